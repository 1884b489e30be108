import {
  isHash,
  isHashList,
  isSize,
  walkConsistency,
  walkInclusion,
} from '../../../src/ledger/proof-walk.js';
import { concatBytes, equalBytes } from './bytes.js';

/**
 * RFC 6962 / RFC 9162 Merkle proofs checked in the browser with WebCrypto SHA-256: leaf hash =
 * SHA-256(0x00 ‖ entry), node hash = SHA-256(0x01 ‖ left ‖ right). The verification follows
 * RFC 9162 §2.1.3.2 and §2.1.4.2 through src/ledger/proof-walk.ts, the walk src/ledger/verify.ts
 * uses on the server, and like it returns false for malformed input instead of throwing.
 */

async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
}

/** SHA-256 of arbitrary bytes. */
export const digest = sha256;

/** Hash of a leaf: SHA-256(0x00 ‖ entry). */
export function leafHash(entry: Uint8Array): Promise<Uint8Array> {
  return sha256(concatBytes(new Uint8Array([0]), entry));
}

/** Hash of an interior node: SHA-256(0x01 ‖ left ‖ right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Promise<Uint8Array> {
  return sha256(concatBytes(new Uint8Array([1]), left, right));
}

// A hash the walk is still computing: the proof's own nodes are ready, every combination is pending.
type PendingHash = Uint8Array | Promise<Uint8Array>;
const pendingNode = async (left: PendingHash, right: PendingHash): Promise<Uint8Array> =>
  nodeHash(await left, await right);

/** True when `proof` shows the leaf `leaf` (its hash) at `index` in the tree of `treeSize` leaves with root `root`. */
export async function verifyInclusion(
  leaf: Uint8Array,
  index: number,
  treeSize: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): Promise<boolean> {
  if (!isHash(leaf) || !isHash(root) || !isSize(index) || !isSize(treeSize) || !isHashList(proof))
    return false;
  const implied = walkInclusion<PendingHash>(leaf, index, treeSize, proof, pendingNode);
  return implied !== undefined && equalBytes(await implied, root);
}

/** Root of the empty tree: SHA-256 of nothing. */
export function emptyRoot(): Promise<Uint8Array> {
  return sha256(new Uint8Array(0));
}

/**
 * True when `proof` shows the tree of `newSize` leaves with root `newRoot` extends the tree of
 * `oldSize` leaves with root `oldRoot`. Equal sizes need an empty proof and equal roots; size 0
 * needs an empty proof and the empty root; a shrinking tree is never consistent.
 */
export async function verifyConsistency(
  oldSize: number,
  newSize: number,
  proof: readonly Uint8Array[],
  oldRoot: Uint8Array,
  newRoot: Uint8Array,
): Promise<boolean> {
  if (!isSize(oldSize) || !isSize(newSize) || !isHash(oldRoot) || !isHash(newRoot) || !isHashList(proof))
    return false;
  if (oldSize > newSize) return false;
  if (oldSize === newSize) return proof.length === 0 && equalBytes(oldRoot, newRoot);
  if (oldSize === 0) return proof.length === 0 && equalBytes(oldRoot, await emptyRoot());
  const implied = walkConsistency<PendingHash>(oldSize, newSize, proof, oldRoot, pendingNode);
  if (implied === undefined) return false;
  const [oldImplied, newImplied] = await Promise.all(implied);
  return equalBytes(oldImplied, oldRoot) && equalBytes(newImplied, newRoot);
}
