import type { Readable } from 'node:stream';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Arbiter } from '../../app/arbiter.js';
import { MonitorAlertViewSchema } from '../../app/monitoring/alert-view.js';
import { type BatchItem, batchItems, maxBatchItems } from '../../app/monitoring/batch.js';
import { IngestResultSchema, LabelResultSchema } from '../../app/monitoring/batch-results.js';
import { MonitoringOverviewSchema } from '../../app/monitoring/monitored-view.js';
import { MonitorWindowViewSchema } from '../../app/monitoring/window-views.js';
import { ArbiterError } from '../../core/errors.js';
import { principalOf } from '../auth.js';
import { screenNdjson, textParameterError } from '../limits.js';
import { readNdjsonBody } from '../ndjson-body.js';
import { bodyRefusals, errorResponses, MonitoredSystemParams, WindowsQuery } from '../schemas.js';

const errors = errorResponses(400, 401, 403, 404);
const security = [{ bearer: [] }];
const senders = ['agent', 'admin'] as const;
const readers = ['agent', 'approver', 'auditor', 'admin'] as const;
/** 10 000 events of 20 features with ids and times fit with room to spare. */
const batchBodyLimit = 16 * 1024 * 1024;

const BatchBody = Type.Unknown({
  description: `A JSON array, or NDJSON (content-type application/x-ndjson, one item per line); at most ${maxBatchItems} items`,
});

/** The items of a monitoring body; a body that is neither a JSON array nor NDJSON is a 400. */
function itemsOf(body: unknown): BatchItem[] {
  const items = batchItems(body);
  if (!items)
    throw new ArbiterError(
      'ARB_ERR_MONITOR_BATCH_INVALID',
      'send a JSON array (content-type application/json) or NDJSON, one item per line (application/x-ndjson)',
    );
  return items;
}

/**
 * Monitoring of deployed models: production events and late labels in, windows, metrics and
 * alerts out. NDJSON is accepted only on these routes (its parser is scoped to them).
 */
export function monitorRoutes(app: FastifyInstance, arbiter: Arbiter): void {
  const { monitoring } = arbiter;
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  /**
   * Before the body is read: a token that may not send here (another System's agent, a System
   * that is not monitored) is refused without the server reading, or the sender uploading, its
   * batch. The path parameter gets the text check validation would give it later.
   */
  const senderFirst = async (request: FastifyRequest) => {
    const { system } = request.params as { system: string };
    const problem = textParameterError('params', 'system', system);
    if (problem) throw problem;
    await monitoring.checkSender(principalOf(request), system);
  };

  void api.register(async (plain) => {
    const scope = plain.withTypeProvider<TypeBoxTypeProvider>();
    // A line that is not JSON is one rejected item, never a failed batch; the body is parsed as it
    // streams in, and only a body over its byte or item limit fails.
    scope.addContentTypeParser('application/x-ndjson', async (request: FastifyRequest, payload: Readable) =>
      screenNdjson(
        await readNdjsonBody(request, payload, {
          bytes: request.routeOptions.bodyLimit ?? batchBodyLimit,
          items: maxBatchItems,
        }),
      ),
    );

    scope.post(
      '/v1/monitor/:system/events',
      {
        bodyLimit: batchBodyLimit,
        config: { roles: senders },
        onRequest: senderFirst,
        schema: {
          tags: ['monitoring'],
          summary:
            'Send production events ({id?, time?, features, prediction, score?, label?, sensitive?}); bad events are counted and reported, not fatal',
          security,
          consumes: ['application/json', 'application/x-ndjson'],
          params: MonitoredSystemParams,
          body: BatchBody,
          response: { 200: IngestResultSchema, ...errors, ...errorResponses(422), ...bodyRefusals },
        },
      },
      async (request) =>
        monitoring.ingest(principalOf(request), request.params.system, itemsOf(request.body)),
    );

    scope.post(
      '/v1/monitor/:system/labels',
      {
        bodyLimit: batchBodyLimit,
        config: { roles: senders },
        onRequest: senderFirst,
        schema: {
          tags: ['monitoring'],
          summary: 'Send late labels ({id, label}), joined by id to events sent earlier',
          security,
          consumes: ['application/json', 'application/x-ndjson'],
          params: MonitoredSystemParams,
          body: BatchBody,
          response: { 200: LabelResultSchema, ...errors, ...errorResponses(422), ...bodyRefusals },
        },
      },
      async (request) =>
        monitoring.labels(principalOf(request), request.params.system, itemsOf(request.body)),
    );
  });

  api.get(
    '/v1/monitor',
    {
      config: { roles: readers },
      schema: {
        tags: ['monitoring'],
        summary:
          'Monitored Systems with their reference profiles and alert rules; profiles that failed to load',
        security,
        response: { 200: MonitoringOverviewSchema, ...errorResponses(401, 403) },
      },
    },
    async (request) => monitoring.monitored(principalOf(request)),
  );

  api.get(
    '/v1/monitor/:system/windows',
    {
      config: { roles: readers },
      schema: {
        tags: ['monitoring'],
        summary:
          'Windows starting in [from, to) with drift, performance and fairness; open windows are computed on read; merge=day adds windows up per day',
        security,
        params: MonitoredSystemParams,
        querystring: WindowsQuery,
        response: {
          200: Type.Object({ system: Type.String(), windows: Type.Array(MonitorWindowViewSchema) }),
          ...errors,
        },
      },
    },
    async (request) => ({
      system: request.params.system,
      windows: await monitoring.windows(principalOf(request), request.params.system, request.query),
    }),
  );

  api.get(
    '/v1/monitor/:system/alerts',
    {
      config: { roles: readers },
      schema: {
        tags: ['monitoring'],
        summary:
          'The state of every alert of the System: ok, pending (held for fewer than `for` windows) or firing',
        security,
        params: MonitoredSystemParams,
        response: {
          200: Type.Object({ system: Type.String(), alerts: Type.Array(MonitorAlertViewSchema) }),
          ...errors,
        },
      },
    },
    async (request) => ({
      system: request.params.system,
      alerts: await monitoring.alerts(principalOf(request), request.params.system),
    }),
  );
}
