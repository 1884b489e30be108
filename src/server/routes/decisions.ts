import type { FastifyInstance } from 'fastify';
import type { Arbiter } from '../../app/arbiter.js';
import type { DecisionRequest, OutcomeRequest, VoteRequest } from '../../app/decisions/decisions.js';
import type { DecisionStatus } from '../../store/records.js';
import { principalOf } from '../auth.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import {
  DecisionIdParams,
  DecisionListQuery,
  DecisionRequestSchema,
  DecisionViewSchema,
  ErrorSchema,
  instantOf,
  OutcomeSchema,
  VoteSchema,
  WaitQuery,
} from '../schemas.js';

const errors = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema };
const security = [{ bearer: [] }];

function decodeBefore(cursor: string): { createdAt: string; id: string } {
  const { time, id } = decodeCursor(cursor);
  return { createdAt: time, id };
}

type Position = { createdAt: string; id: string };

/** The earlier of two keyset positions (newest-first order). */
function earlier(a: Position | undefined, b: Position | undefined): Position | undefined {
  if (!a || !b) return a ?? b;
  return a.createdAt < b.createdAt || (a.createdAt === b.createdAt && a.id < b.id) ? a : b;
}

export function decisionRoutes(app: FastifyInstance, arbiter: Arbiter): void {
  const { decisions } = arbiter;

  app.post<{ Body: DecisionRequest }>(
    '/v1/decisions',
    {
      config: { roles: ['agent', 'approver', 'admin'] },
      schema: {
        tags: ['decisions'],
        summary:
          'Ask before acting: returns allowed, pending (with the approvals needed) or denied, with the reasons',
        security,
        body: DecisionRequestSchema,
        response: { 200: DecisionViewSchema, 201: DecisionViewSchema, ...errors },
      },
    },
    async (request, reply) => {
      const { decision, created } = await decisions.request(principalOf(request), request.body);
      return reply.code(created ? 201 : 200).send(decision);
    },
  );

  app.get<{
    Querystring: {
      status?: DecisionStatus;
      system?: string;
      action?: string;
      environment?: string;
      since?: string;
      until?: string;
      limit?: string;
      cursor?: string;
    };
  }>(
    '/v1/decisions',
    {
      config: { roles: ['agent', 'approver', 'auditor', 'admin'] },
      schema: {
        tags: ['decisions'],
        summary: 'Decisions, newest first (agents see their own)',
        security,
        querystring: DecisionListQuery,
      },
    },
    async (request) => {
      const query = request.query;
      const limit = Math.min(500, Math.max(1, Number(query.limit ?? 50)));
      const before = earlier(
        query.cursor ? decodeBefore(query.cursor) : undefined,
        // Created strictly before `until`: no id sorts below the empty string.
        query.until ? { createdAt: instantOf(query.until, 'until'), id: '' } : undefined,
      );
      const page = await decisions.list(principalOf(request), {
        ...(query.status ? { status: query.status } : {}),
        ...(query.system ? { systemId: query.system } : {}),
        ...(query.action ? { action: query.action } : {}),
        ...(query.environment ? { environment: query.environment } : {}),
        ...(query.since ? { since: instantOf(query.since, 'since') } : {}),
        ...(before ? { before } : {}),
        limit,
      });
      const last = page.at(-1);
      return {
        decisions: page,
        nextCursor: page.length === limit && last ? encodeCursor(last.createdAt, last.id) : null,
      };
    },
  );

  app.get<{ Params: { id: string } }>(
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

  app.get<{ Params: { id: string }; Querystring: { timeoutMs?: string } }>(
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

  app.post<{ Params: { id: string }; Body: VoteRequest }>(
    '/v1/decisions/:id/approvals',
    {
      config: { roles: ['agent', 'approver', 'admin'] },
      schema: {
        tags: ['decisions'],
        summary: 'Approve or reject a pending decision (approvers; never the requester, never an agent)',
        security,
        params: DecisionIdParams,
        body: VoteSchema,
        response: { 200: DecisionViewSchema, ...errors },
      },
    },
    async (request) => decisions.vote(principalOf(request), request.params.id, request.body),
  );

  app.post<{ Params: { id: string }; Body: OutcomeRequest }>(
    '/v1/decisions/:id/outcome',
    {
      config: { roles: ['agent', 'approver', 'admin'] },
      schema: {
        tags: ['decisions'],
        summary: 'The requester reports what happened: succeeded, failed or rolled_back',
        security,
        params: DecisionIdParams,
        body: OutcomeSchema,
        response: { 200: DecisionViewSchema, ...errors },
      },
    },
    async (request) => decisions.reportOutcome(principalOf(request), request.params.id, request.body),
  );
}
