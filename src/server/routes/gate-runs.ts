import type { FastifyInstance } from 'fastify';
import type { Arbiter } from '../../app/arbiter.js';
import { gateRunView } from '../../app/gate-runs/gate-runs.js';
import { type GateRunRequest, GateRunRequestSchema } from '../../app/gate-runs/report.js';
import { principalOf } from '../auth.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { ErrorSchema, GateRunIdParams, GateRunListQuery, GateRunViewSchema } from '../schemas.js';

const errors = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema };
const security = [{ bearer: [] }];
const readers = ['approver', 'auditor', 'admin'] as const;

/** CI gate runs: `arbiter gate --record` sends them; humans read them. */
export function gateRunRoutes(app: FastifyInstance, arbiter: Arbiter): void {
  const { gateRuns } = arbiter;

  app.post<{ Body: GateRunRequest }>(
    '/v1/gate-runs',
    {
      // A run with many findings is larger than a decision request; reports are stored whole.
      bodyLimit: 8 * 1024 * 1024,
      config: { roles: ['agent', 'admin'] },
      schema: {
        tags: ['gate runs'],
        summary:
          'Record a gate run for a registered System: stored with its report and pinned by a gate.run ledger entry',
        security,
        body: GateRunRequestSchema,
        response: {
          200: GateRunViewSchema,
          201: GateRunViewSchema,
          ...errors,
          409: ErrorSchema,
          422: ErrorSchema,
        },
      },
    },
    async (request, reply) => {
      const { run, created } = await gateRuns.record(principalOf(request), request.body);
      return reply.code(created ? 201 : 200).send(gateRunView(run));
    },
  );

  app.get<{ Querystring: { system?: string; version?: string; limit?: string; cursor?: string } }>(
    '/v1/gate-runs',
    {
      config: { roles: readers },
      schema: {
        tags: ['gate runs'],
        summary: 'Gate runs newest first, without their reports',
        security,
        querystring: GateRunListQuery,
        response: errors,
      },
    },
    async (request) => {
      const query = request.query;
      const limit = Math.min(500, Math.max(1, Number(query.limit ?? 50)));
      const before = query.cursor ? decodeCursor(query.cursor) : undefined;
      const page = await gateRuns.list(principalOf(request), {
        ...(query.system ? { systemId: query.system } : {}),
        ...(query.version ? { version: query.version } : {}),
        ...(before ? { before: { recordedAt: before.time, id: before.id } } : {}),
        limit,
      });
      const last = page.at(-1);
      return {
        gateRuns: page.map(gateRunView),
        nextCursor: page.length === limit && last ? encodeCursor(last.recordedAt, last.id) : null,
      };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/gate-runs/:id',
    {
      config: { roles: readers },
      schema: {
        tags: ['gate runs'],
        summary: 'One gate run with its full report',
        security,
        params: GateRunIdParams,
        response: { 200: GateRunViewSchema, ...errors },
      },
    },
    async (request) => gateRunView(await gateRuns.get(principalOf(request), request.params.id)),
  );
}
