import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { Arbiter } from '../../app/arbiter.js';
import {
  LinkIncidentRequestSchema,
  OpenIncidentRequestSchema,
  ResolveIncidentRequestSchema,
} from '../../app/incidents/requests.js';
import { IncidentViewSchema } from '../../incidents/incident.js';
import { TraceSchema } from '../../incidents/trace.js';
import { principalOf } from '../auth.js';
import { PageSchema, page, pageRequest } from '../pagination.js';
import { instantOf } from '../query-strings.js';
import {
  bodyRefusals,
  DecisionIdParams,
  errorResponses,
  IncidentIdParams,
  IncidentListQuery,
} from '../schemas.js';

const errors = errorResponses(400, 401, 403, 404);
const security = [{ bearer: [] }];
const humanReaders = ['approver', 'auditor', 'admin'] as const;

/** Incidents and accountability traces. */
export function incidentRoutes(app: FastifyInstance, arbiter: Arbiter): void {
  const { incidents, traces } = arbiter;
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  api.post(
    '/v1/incidents',
    {
      config: { roles: ['agent', 'approver', 'admin'] },
      schema: {
        tags: ['incidents'],
        summary: 'Open an incident (agents: about their own System), optionally linked to a decision',
        security,
        body: OpenIncidentRequestSchema,
        response: { 201: IncidentViewSchema, ...errors, ...errorResponses(422), ...bodyRefusals },
      },
    },
    async (request, reply) => reply.code(201).send(await incidents.open(principalOf(request), request.body)),
  );

  api.get(
    '/v1/incidents',
    {
      config: { roles: ['agent', ...humanReaders] },
      schema: {
        tags: ['incidents'],
        summary: 'Incidents, newest first (agents see their own System’s)',
        security,
        querystring: IncidentListQuery,
        response: { 200: PageSchema('incidents', IncidentViewSchema), ...errors },
      },
    },
    async (request) => {
      const query = request.query;
      const { limit, after } = pageRequest(query);
      const rows = await incidents.list(principalOf(request), {
        ...(query.status ? { status: query.status } : {}),
        ...(query.system ? { systemId: query.system } : {}),
        ...(query.severity ? { severity: query.severity } : {}),
        ...(query.since ? { since: instantOf(query.since, 'since') } : {}),
        ...(after ? { before: { openedAt: after.time, id: after.id } } : {}),
        limit,
      });
      return page('incidents', rows, limit, (incident) => ({ time: incident.openedAt, id: incident.id }));
    },
  );

  api.get(
    '/v1/incidents/:id',
    {
      config: { roles: ['agent', ...humanReaders] },
      schema: {
        tags: ['incidents'],
        summary: 'One incident with its links',
        security,
        params: IncidentIdParams,
        response: { 200: IncidentViewSchema, ...errors },
      },
    },
    async (request) => incidents.get(principalOf(request), request.params.id),
  );

  api.post(
    '/v1/incidents/:id/links',
    {
      config: { roles: ['approver', 'admin'] },
      schema: {
        tags: ['incidents'],
        summary: 'Link a decision, gate run, alert or deployment (200 when already linked)',
        security,
        params: IncidentIdParams,
        body: LinkIncidentRequestSchema,
        response: {
          200: IncidentViewSchema,
          201: IncidentViewSchema,
          ...errors,
          ...errorResponses(422),
          ...bodyRefusals,
        },
      },
    },
    async (request, reply) => {
      const { incident, created } = await incidents.link(
        principalOf(request),
        request.params.id,
        request.body,
      );
      return reply.code(created ? 201 : 200).send(incident);
    },
  );

  api.post(
    '/v1/incidents/:id/resolve',
    {
      config: { roles: ['approver', 'admin'] },
      schema: {
        tags: ['incidents'],
        summary: 'Resolve an incident with a summary (once)',
        security,
        params: IncidentIdParams,
        body: ResolveIncidentRequestSchema,
        response: { 200: IncidentViewSchema, ...errors, ...errorResponses(409), ...bodyRefusals },
      },
    },
    async (request) => incidents.resolve(principalOf(request), request.params.id, request.body),
  );

  // Traces sign a checkpoint first (as GET /v1/ledger/checkpoint does), so every step is provable.
  api.get(
    '/v1/incidents/:id/trace',
    {
      config: { roles: humanReaders },
      schema: {
        tags: ['incidents'],
        summary:
          'The accountability trace of an incident: decisions, rules, approvals, releases, alerts, owners, with ledger proofs',
        security,
        params: IncidentIdParams,
        response: { 200: TraceSchema, ...errors },
      },
    },
    async (request) => {
      await arbiter.checkpointIfGrown();
      return traces.incident(principalOf(request), request.params.id);
    },
  );

  api.get(
    '/v1/decisions/:id/trace',
    {
      config: { roles: humanReaders },
      schema: {
        tags: ['decisions'],
        summary: 'The accountability trace of one decision, with ledger proofs',
        security,
        params: DecisionIdParams,
        response: { 200: TraceSchema, ...errors },
      },
    },
    async (request) => {
      await arbiter.checkpointIfGrown();
      return traces.decision(principalOf(request), request.params.id);
    },
  );
}
