import type { FastifyInstance } from 'fastify';
import type { Arbiter } from '../../app/arbiter.js';
import { consistencyProofResponse, inclusionProofResponse } from '../../app/ledger/proof-responses.js';
import { ConsistencyQuery, ErrorSchema, InclusionQuery, LedgerEntriesQuery } from '../schemas.js';

const security = [{ bearer: [] }];
const errors = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema };
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const readers = ['approver', 'auditor', 'admin'] as const;

export function ledgerRoutes(app: FastifyInstance, arbiter: Arbiter): void {
  const { ledger, store } = arbiter;
  const reader = store.ledger;

  app.get(
    '/v1/ledger/checkpoint',
    {
      config: { roles: readers },
      schema: {
        tags: ['ledger'],
        summary: 'The latest signed checkpoint (C2SP signed note), signed now if the log grew',
        security,
      },
    },
    async (_request, reply) => {
      await arbiter.checkpointIfGrown();
      const latest = (await reader.checkpoints()).at(-1);
      return reply.type('text/plain; charset=utf-8').send(latest?.note ?? '');
    },
  );

  app.get(
    '/v1/ledger/key',
    {
      config: { roles: readers },
      schema: { tags: ['ledger'], summary: 'The verifier key of the ledger (signed-note format)', security },
    },
    async (_request, reply) => reply.type('text/plain; charset=utf-8').send(`${ledger.verifierKey}\n`),
  );

  app.get<{ Querystring: { start?: string; end?: string } }>(
    '/v1/ledger/entries',
    {
      config: { roles: readers },
      schema: {
        tags: ['ledger'],
        summary: 'Entries start <= seq < end (at most 1000)',
        security,
        querystring: LedgerEntriesQuery,
        response: errors,
      },
    },
    async (request) => {
      const size = await reader.size();
      const start = Number(request.query.start ?? 0);
      const end = Math.min(size, Number(request.query.end ?? start + 100), start + 1000);
      const entries = end > start ? await reader.entries(start, end) : [];
      return {
        size,
        entries: entries.map((entry) => ({
          seq: entry.seq,
          leafHash: b64(entry.leafHash),
          entry: JSON.parse(Buffer.from(entry.bytes).toString('utf8')) as unknown,
        })),
      };
    },
  );

  app.get<{ Querystring: { index: string; treeSize?: string } }>(
    '/v1/ledger/proofs/inclusion',
    {
      config: { roles: readers },
      schema: {
        tags: ['ledger'],
        summary: 'RFC 6962 inclusion proof',
        security,
        querystring: InclusionQuery,
        response: errors,
      },
    },
    async (request) =>
      inclusionProofResponse(
        ledger,
        Number(request.query.index),
        request.query.treeSize === undefined ? undefined : Number(request.query.treeSize),
      ),
  );

  app.get<{ Querystring: { first: string; second?: string } }>(
    '/v1/ledger/proofs/consistency',
    {
      config: { roles: readers },
      schema: {
        tags: ['ledger'],
        summary: 'RFC 6962 consistency proof',
        security,
        querystring: ConsistencyQuery,
        response: errors,
      },
    },
    async (request) =>
      consistencyProofResponse(
        ledger,
        Number(request.query.first),
        request.query.second === undefined ? undefined : Number(request.query.second),
      ),
  );
}
