import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Arbiter } from '../../app/arbiter.js';
import { type ReportableEvent, recordReport, reportableEvents } from '../../app/reports/reports.js';
import type { JsonObject } from '../../core/json.js';
import type { ActionRequest } from '../../policy/request.js';
import { ActionRequestSchema } from '../../policy/request.js';
import { principalOf } from '../auth.js';
import { ErrorSchema } from '../schemas.js';

const security = [{ bearer: [] }];
const errors = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema };

const ReportSchema = Type.Object(
  {
    type: Type.Union(reportableEvents.map((type) => Type.Literal(type))),
    subject: Type.String({ minLength: 1, maxLength: 500 }),
    data: Type.Record(Type.String(), Type.Unknown()),
  },
  { additionalProperties: false },
);

/** Dry-run explanations and agent-reported events. */
export function reportRoutes(app: FastifyInstance, arbiter: Arbiter): void {
  app.post<{ Body: ActionRequest }>(
    '/v1/decisions/explain',
    {
      config: { roles: ['agent', 'approver', 'admin'] },
      schema: {
        tags: ['decisions'],
        summary: 'What would be decided for this request now, with the explanation — nothing is recorded',
        security,
        body: ActionRequestSchema,
        response: errors,
      },
    },
    async (request) => arbiter.decisions.explain(principalOf(request), request.body),
  );

  app.post<{ Body: { type: ReportableEvent; subject: string; data: Record<string, unknown> } }>(
    '/v1/events',
    {
      config: { roles: ['agent'] },
      schema: {
        tags: ['ledger'],
        summary: `Record an event the agent observed (${reportableEvents.join(', ')}) in the ledger`,
        security,
        body: ReportSchema,
        response: errors,
      },
    },
    async (request, reply) => {
      const ledgerIndex = await recordReport(arbiter.store, arbiter.ledger, principalOf(request), {
        ...request.body,
        data: request.body.data as JsonObject,
      });
      return reply.code(201).send({ ledgerIndex });
    },
  );
}
