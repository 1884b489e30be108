import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { Arbiter } from '../../app/arbiter.js';
import {
  DecisionRequestSchema,
  OutcomeRequestSchema,
  StartRequestSchema,
  VoteRequestSchema,
  WithdrawRequestSchema,
} from '../../app/decisions/requests.js';
import { DecisionViewSchema } from '../../app/decisions/view.js';
import { principalOf } from '../auth.js';
import { type PagePosition, PageSchema, page, pageRequest } from '../pagination.js';
import { instantOf } from '../query-strings.js';
import { bodyRefusals, DecisionIdParams, DecisionListQuery, errorResponses, WaitQuery } from '../schemas.js';

const errors = errorResponses(400, 401, 403, 404, 409);
const security = [{ bearer: [] }];

/** The earlier of two keyset positions (newest-first order). */
function earlier(a: PagePosition | undefined, b: PagePosition | undefined): PagePosition | undefined {
  if (!a || !b) return a ?? b;
  return a.time < b.time || (a.time === b.time && a.id < b.id) ? a : b;
}

/**
 * Decisions: ask before acting, list and read them, wait, approve or reject, start (claim) once,
 * withdraw, report the outcome.
 */
export function decisionRoutes(app: FastifyInstance, arbiter: Arbiter): void {
  const { decisions } = arbiter;
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  api.post(
    '/v1/decisions',
    {
      config: { roles: ['agent', 'approver', 'admin'] },
      schema: {
        tags: ['decisions'],
        summary:
          'Ask before acting: returns allowed, pending (with the approvals needed) or denied, with the reasons',
        security,
        body: DecisionRequestSchema,
        response: { 200: DecisionViewSchema, 201: DecisionViewSchema, ...errors, ...bodyRefusals },
      },
    },
    async (request, reply) => {
      const { decision, created } = await decisions.request(principalOf(request), request.body);
      return reply.code(created ? 201 : 200).send(decision);
    },
  );

  api.get(
    '/v1/decisions',
    {
      config: { roles: ['agent', 'approver', 'auditor', 'admin'] },
      schema: {
        tags: ['decisions'],
        summary: 'Decisions, newest first (agents see their own)',
        security,
        querystring: DecisionListQuery,
        response: { 200: PageSchema('decisions', DecisionViewSchema), ...errors },
      },
    },
    async (request) => {
      const query = request.query;
      const { limit, after } = pageRequest(query);
      const before = earlier(
        after,
        // Created strictly before `until`: no id sorts below the empty string.
        query.until ? { time: instantOf(query.until, 'until'), id: '' } : undefined,
      );
      const rows = await decisions.list(principalOf(request), {
        ...(query.status ? { status: query.status } : {}),
        ...(query.system ? { systemId: query.system } : {}),
        ...(query.action ? { action: query.action } : {}),
        ...(query.environment ? { environment: query.environment } : {}),
        ...(query.since ? { since: instantOf(query.since, 'since') } : {}),
        ...(before ? { before: { createdAt: before.time, id: before.id } } : {}),
        limit,
      });
      return page('decisions', rows, limit, (decision) => ({ time: decision.createdAt, id: decision.id }));
    },
  );

  api.get(
    '/v1/decisions/:id',
    {
      config: { roles: ['agent', 'approver', 'auditor', 'admin'] },
      schema: {
        tags: ['decisions'],
        summary: 'One decision',
        security,
        params: DecisionIdParams,
        response: { 200: DecisionViewSchema, ...errors },
      },
    },
    async (request) => decisions.get(principalOf(request), request.params.id),
  );

  api.get(
    '/v1/decisions/:id/wait',
    {
      config: { roles: ['agent', 'approver', 'auditor', 'admin'] },
      schema: {
        tags: ['decisions'],
        summary:
          'Long poll: returns when the decision leaves pending, or after timeoutMs with its current state',
        security,
        params: DecisionIdParams,
        querystring: WaitQuery,
        response: { 200: DecisionViewSchema, ...errors },
      },
    },
    async (request) => {
      const timeoutMs = Math.min(60_000, Number(request.query.timeoutMs ?? 30_000));
      return decisions.wait(principalOf(request), request.params.id, timeoutMs);
    },
  );

  api.post(
    '/v1/decisions/:id/approvals',
    {
      config: { roles: ['agent', 'approver', 'admin'] },
      schema: {
        tags: ['decisions'],
        summary: 'Approve or reject a pending decision (approvers; never the requester, never an agent)',
        security,
        params: DecisionIdParams,
        body: VoteRequestSchema,
        response: { 200: DecisionViewSchema, ...errors, ...bodyRefusals },
      },
    },
    async (request) => decisions.vote(principalOf(request), request.params.id, request.body),
  );

  api.post(
    '/v1/decisions/:id/outcome',
    {
      config: { roles: ['agent', 'approver', 'admin'] },
      schema: {
        tags: ['decisions'],
        summary: 'The requester reports what happened: succeeded, failed or rolled_back',
        security,
        params: DecisionIdParams,
        body: OutcomeRequestSchema,
        response: { 200: DecisionViewSchema, ...errors, ...bodyRefusals },
      },
    },
    async (request) => decisions.reportOutcome(principalOf(request), request.params.id, request.body),
  );

  api.post(
    '/v1/decisions/:id/start',
    {
      config: { roles: ['agent', 'approver', 'admin'] },
      schema: {
        tags: ['decisions'],
        summary:
          'The requester claims its allowed decision as it starts acting: once, within the execution window; a second claim is refused (409)',
        security,
        params: DecisionIdParams,
        body: StartRequestSchema,
        response: { 200: DecisionViewSchema, ...errors, ...bodyRefusals },
      },
    },
    async (request) => decisions.start(principalOf(request), request.params.id),
  );

  api.post(
    '/v1/decisions/:id/withdraw',
    {
      config: { roles: ['agent', 'approver', 'admin'] },
      schema: {
        tags: ['decisions'],
        summary:
          'The requester gives up on a pending (or allowed, not started) decision: nobody can approve or start it afterwards',
        security,
        params: DecisionIdParams,
        body: WithdrawRequestSchema,
        response: { 200: DecisionViewSchema, ...errors, ...bodyRefusals },
      },
    },
    async (request) => decisions.withdraw(principalOf(request), request.params.id, request.body.reason),
  );
}
