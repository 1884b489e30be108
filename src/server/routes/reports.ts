import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { Arbiter } from '../../app/arbiter.js';
import { ReportedEventSchema, recordReport, reportableEvents } from '../../app/reports/reports.js';
import { VerdictSchema } from '../../policy/evaluate-action.js';
import { ActionRequestSchema } from '../../policy/request.js';
import { principalOf } from '../auth.js';
import { bodyRefusals, EventReceiptSchema, errorResponses } from '../schemas.js';

const security = [{ bearer: [] }];
const errors = errorResponses(400, 401, 403);

/** Dry-run explanations and agent-reported events. */
export function reportRoutes(app: FastifyInstance, arbiter: Arbiter): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  api.post(
    '/v1/decisions/explain',
    {
      config: { roles: ['agent', 'approver', 'admin'] },
      schema: {
        tags: ['decisions'],
        summary: 'What would be decided for this request now, with the explanation — nothing is recorded',
        security,
        body: ActionRequestSchema,
        response: { 200: VerdictSchema, ...errors, ...bodyRefusals },
      },
    },
    async (request) => arbiter.decisions.explain(principalOf(request), request.body),
  );

  api.post(
    '/v1/events',
    {
      config: { roles: ['agent'] },
      schema: {
        tags: ['ledger'],
        summary: `Record an event the agent observed (${reportableEvents.join(', ')}) in the ledger`,
        security,
        body: ReportedEventSchema,
        response: { 201: EventReceiptSchema, ...errors, ...bodyRefusals },
      },
    },
    async (request, reply) => {
      const ledgerIndex = await recordReport(
        arbiter.store,
        arbiter.ledger,
        principalOf(request),
        request.body,
      );
      return reply.code(201).send({ ledgerIndex });
    },
  );
}
