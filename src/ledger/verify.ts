import { isHash, isHashList, isSize, walkConsistency, walkInclusion } from './proof-walk.js';
import { emptyRoot, nodeHash } from './rfc6962.js';

/**
 * Proof verification as RFC 9162 §2.1.3.2 and §2.1.4.2 specify it, hashing with node:crypto; the
 * walk itself (which node is hashed with which) is proof-walk.ts, shared with the dashboard. Pure,
 * and total: malformed input (wrong lengths, garbage, out-of-range sizes) returns false, never
 * throws.
 */

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** True when `proof` shows the leaf with hash `leafHash` at `index` in the tree of `treeSize` leaves with root `root`. */
export function verifyInclusion(
  leafHash: Uint8Array,
  index: number,
  treeSize: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (!isHash(leafHash) || !isHash(root) || !isSize(index) || !isSize(treeSize) || !isHashList(proof))
    return false;
  const implied = walkInclusion(leafHash, index, treeSize, proof, nodeHash);
  return implied !== undefined && equalBytes(implied, root);
}

/**
 * True when `proof` shows the tree of `newSize` leaves with root `newRoot` extends the tree of
 * `oldSize` leaves with root `oldRoot`.
 *
 * Edge cases (RFC 9162 defines proofs only for 0 < oldSize < newSize): when oldSize equals
 * newSize the proof must be empty and the roots equal; when oldSize is 0 every tree extends the
 * empty one, so the proof must be empty and `oldRoot` must be the empty tree's root; an oldSize
 * larger than newSize is never consistent.
 */
export function verifyConsistency(
  oldSize: number,
  newSize: number,
  proof: readonly Uint8Array[],
  oldRoot: Uint8Array,
  newRoot: Uint8Array,
): boolean {
  if (!isSize(oldSize) || !isSize(newSize) || !isHash(oldRoot) || !isHash(newRoot) || !isHashList(proof))
    return false;
  if (oldSize > newSize) return false;
  if (oldSize === newSize) return proof.length === 0 && equalBytes(oldRoot, newRoot);
  if (oldSize === 0) return proof.length === 0 && equalBytes(oldRoot, emptyRoot);
  const implied = walkConsistency(oldSize, newSize, proof, oldRoot, nodeHash);
  return implied !== undefined && equalBytes(implied[0], oldRoot) && equalBytes(implied[1], newRoot);
}

export { equalBytes };
