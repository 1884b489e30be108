import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { Arbiter } from '../../app/arbiter.js';
import { cosignedNote } from '../../app/ledger/cosigned-checkpoints.js';
import {
  ConsistencyProofSchema,
  consistencyProofResponse,
  InclusionProofSchema,
  inclusionProofResponse,
} from '../../app/ledger/proof-responses.js';
import type { LedgerEntry } from '../../ledger/entry.js';
import {
  ConsistencyQuery,
  errorResponses,
  InclusionQuery,
  LedgerEntriesQuery,
  LedgerEntriesSchema,
  TextResponse,
} from '../schemas.js';

const security = [{ bearer: [] }];
const errors = errorResponses(400, 401, 403);
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const readers = ['approver', 'auditor', 'admin'] as const;
const signedNote = 'text/plain; charset=utf-8';

/** The ledger for auditors: the signed checkpoint and its key, entries, and RFC 6962 proofs. */
export function ledgerRoutes(app: FastifyInstance, arbiter: Arbiter): void {
  const { ledger, store } = arbiter;
  const reader = store.ledger;
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  api.get(
    '/v1/ledger/checkpoint',
    {
      config: { roles: readers },
      schema: {
        tags: ['ledger'],
        summary:
          'The latest signed checkpoint (C2SP signed note) with every witness cosignature received for it, signed now if the log grew',
        security,
        response: {
          200: TextResponse(
            signedNote,
            "A C2SP tlog-checkpoint signed note: the log's signature, then the witnesses' cosignature/v1 lines; empty before the first checkpoint",
          ),
          ...errorResponses(401, 403),
        },
      },
    },
    async (_request, reply) => {
      await arbiter.checkpointIfGrown();
      const latest = await store.newestCheckpoint();
      return reply.type(signedNote).send(latest ? await cosignedNote(store, latest) : '');
    },
  );

  api.get(
    '/v1/ledger/key',
    {
      config: { roles: readers },
      schema: {
        tags: ['ledger'],
        summary: 'The verifier key of the ledger (signed-note format)',
        security,
        response: {
          200: TextResponse(signedNote, 'The Ed25519 verifier key, in the signed-note verifier format'),
          ...errorResponses(401, 403),
        },
      },
    },
    async (_request, reply) => reply.type(signedNote).send(`${ledger.verifierKey}\n`),
  );

  api.get(
    '/v1/ledger/witnesses',
    {
      config: { roles: readers },
      schema: {
        tags: ['ledger'],
        summary:
          "The witnesses checkpoints are submitted to: one cosignature/v1 verifier key per line (from the governance repository's Witness documents)",
        security,
        response: {
          200: TextResponse(
            signedNote,
            'cosignature/v1 verifier keys (name+keyID+base64(0x04 ‖ key)), one per line; empty when none is configured',
          ),
          ...errorResponses(401, 403),
        },
      },
    },
    async (_request, reply) =>
      reply.type(signedNote).send(
        arbiter.witnesses
          .witnesses()
          .map((witness) => `${witness.verifierKey}\n`)
          .join(''),
      ),
  );

  api.get(
    '/v1/ledger/entries',
    {
      config: { roles: readers },
      schema: {
        tags: ['ledger'],
        summary: 'Entries start <= seq < end (at most 1000)',
        security,
        querystring: LedgerEntriesQuery,
        response: { 200: LedgerEntriesSchema, ...errors },
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
          entry: JSON.parse(Buffer.from(entry.bytes).toString('utf8')) as LedgerEntry,
        })),
      };
    },
  );

  api.get(
    '/v1/ledger/proofs/inclusion',
    {
      config: { roles: readers },
      schema: {
        tags: ['ledger'],
        summary: 'RFC 6962 inclusion proof',
        security,
        querystring: InclusionQuery,
        response: { 200: InclusionProofSchema, ...errors },
      },
    },
    async (request) =>
      inclusionProofResponse(
        ledger,
        Number(request.query.index),
        request.query.treeSize === undefined ? undefined : Number(request.query.treeSize),
      ),
  );

  api.get(
    '/v1/ledger/proofs/consistency',
    {
      config: { roles: readers },
      schema: {
        tags: ['ledger'],
        summary: 'RFC 6962 consistency proof',
        security,
        querystring: ConsistencyQuery,
        response: { 200: ConsistencyProofSchema, ...errors },
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
