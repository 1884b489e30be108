import type { FastifyInstance } from 'fastify';
import type { Arbiter } from '../../app/arbiter.js';
import { ArbiterError } from '../../core/errors.js';
import { ConsistencyQuery, ErrorSchema, InclusionQuery, LedgerEntriesQuery } from '../schemas.js';

const security = [{ bearer: [] }];
const errors = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema };
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const readers = ['approver', 'auditor', 'admin'] as const;

function rangeErrors<T>(promise: Promise<T>): Promise<T> {
  return promise.catch((error: unknown) => {
    if (error instanceof RangeError) throw new ArbiterError('ARB_ERR_LEDGER_RANGE', error.message);
    throw error;
  });
}

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
    async (request) => {
      const index = Number(request.query.index);
      const treeSize =
        request.query.treeSize === undefined ? await reader.size() : Number(request.query.treeSize);
      const proof = await rangeErrors(ledger.log.inclusionProof(reader, index, treeSize));
      const [leaf] = await reader.nodes([{ level: 0, index }]);
      const { root } = await ledger.log.root(reader, treeSize);
      return { index, treeSize, leafHash: b64(leaf!), root: b64(root), proof: proof.map(b64) };
    },
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
    async (request) => {
      const first = Number(request.query.first);
      const second = request.query.second === undefined ? await reader.size() : Number(request.query.second);
      const proof = await rangeErrors(ledger.log.consistencyProof(reader, first, second));
      return {
        first,
        second,
        firstRoot: b64((await ledger.log.root(reader, first)).root),
        secondRoot: b64((await ledger.log.root(reader, second)).root),
        proof: proof.map(b64),
      };
    },
  );
}
