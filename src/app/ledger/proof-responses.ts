import { type Static, Type } from '@sinclair/typebox';
import { ArbiterError } from '../../core/errors.js';
import type { Ledger } from './ledger.js';

const base64 = (description: string) => Type.String({ description: `${description}, base64` });

export const InclusionProofSchema = Type.Object(
  {
    index: Type.Number(),
    treeSize: Type.Number(),
    leafHash: base64('RFC 6962 leaf hash of the entry'),
    root: base64('root hash of the tree of treeSize'),
    proof: Type.Array(Type.String(), { description: 'the audit path, base64 hashes' }),
  },
  { description: 'RFC 6962 inclusion proof of entry index in the tree of treeSize' },
);
export type InclusionProof = Static<typeof InclusionProofSchema>;

export const ConsistencyProofSchema = Type.Object(
  {
    first: Type.Number(),
    second: Type.Number(),
    firstRoot: base64('root hash of the older tree'),
    secondRoot: base64('root hash of the newer tree'),
    proof: Type.Array(Type.String(), { description: 'base64 hashes' }),
  },
  { description: 'RFC 6962 consistency proof between two tree sizes' },
);
export type ConsistencyProof = Static<typeof ConsistencyProofSchema>;

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/** A size or index outside the log is the caller's mistake, not an internal error. */
function outOfRange<T>(promise: Promise<T>): Promise<T> {
  return promise.catch((error: unknown) => {
    if (error instanceof RangeError) throw new ArbiterError('ARB_ERR_LEDGER_RANGE', error.message);
    throw error;
  });
}

/** An inclusion proof as `GET /v1/ledger/proofs/inclusion` and `arbiter ledger proof --index` show it. */
export async function inclusionProofResponse(
  ledger: Ledger,
  index: number,
  treeSize?: number,
): Promise<InclusionProof> {
  const reader = ledger.store.ledger;
  const size = treeSize ?? (await reader.size());
  const proof = await outOfRange(ledger.log.inclusionProof(reader, index, size));
  const [leaf] = await reader.nodes([{ level: 0, index }]);
  const { root } = await ledger.log.root(reader, size);
  return { index, treeSize: size, leafHash: b64(leaf!), root: b64(root), proof: proof.map(b64) };
}

/** A consistency proof as `GET /v1/ledger/proofs/consistency` and `arbiter ledger proof --consistency` show it. */
export async function consistencyProofResponse(
  ledger: Ledger,
  first: number,
  second?: number,
): Promise<ConsistencyProof> {
  const reader = ledger.store.ledger;
  const size = second ?? (await reader.size());
  const proof = await outOfRange(ledger.log.consistencyProof(reader, first, size));
  return {
    first,
    second: size,
    firstRoot: b64((await ledger.log.root(reader, first)).root),
    secondRoot: b64((await ledger.log.root(reader, size)).root),
    proof: proof.map(b64),
  };
}
