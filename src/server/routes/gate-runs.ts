import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { Arbiter } from '../../app/arbiter.js';
import { GateRunRequestSchema } from '../../app/gate-runs/report.js';
import { GateRunViewSchema, gateRunView } from '../../app/gate-runs/view.js';
import { principalOf } from '../auth.js';
import { PageSchema, page, pageRequest } from '../pagination.js';
import { bodyRefusals, errorResponses, GateRunIdParams, GateRunListQuery } from '../schemas.js';

const errors = errorResponses(400, 401, 403, 404);
const security = [{ bearer: [] }];
const readers = ['approver', 'auditor', 'admin'] as const;

/** CI gate runs: `arbiter gate --record` sends them; humans read them. */
export function gateRunRoutes(app: FastifyInstance, arbiter: Arbiter): void {
  const { gateRuns } = arbiter;
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  api.post(
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
          ...errorResponses(409, 422),
          ...bodyRefusals,
        },
      },
    },
    async (request, reply) => {
      const { run, created } = await gateRuns.record(principalOf(request), request.body);
      return reply.code(created ? 201 : 200).send(gateRunView(run));
    },
  );

  api.get(
    '/v1/gate-runs',
    {
      config: { roles: readers },
      schema: {
        tags: ['gate runs'],
        summary: 'Gate runs newest first, without their reports',
        security,
        querystring: GateRunListQuery,
        response: { 200: PageSchema('gateRuns', GateRunViewSchema), ...errors },
      },
    },
    async (request) => {
      const query = request.query;
      const { limit, after } = pageRequest(query);
      const rows = await gateRuns.list(principalOf(request), {
        ...(query.system ? { systemId: query.system } : {}),
        ...(query.version ? { version: query.version } : {}),
        ...(after ? { before: { recordedAt: after.time, id: after.id } } : {}),
        limit,
      });
      return page('gateRuns', rows.map(gateRunView), limit, (run) => ({ time: run.recordedAt, id: run.id }));
    },
  );

  api.get(
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
