import { emptyRoot, nodeHash } from './rfc6962.js';
import { consistencyRanges, inclusionRanges, splitPoint } from './tree-math.js';

/**
 * Proofs over a full list of leaf hashes, exactly as RFC 6962 §2.1 defines them. These are the
 * library functions for callers who hold the leaves; the log itself builds the same proofs from
 * stored subtree hashes (see log.ts), reading O(log n) nodes.
 */

/** Merkle Tree Hash of the leaves [start, end) (RFC 6962 MTH). */
function subtreeRoot(leafHashes: readonly Uint8Array[], start: number, end: number): Uint8Array {
  const n = end - start;
  if (n === 1) return leafHashes[start]!;
  const k = splitPoint(n);
  return nodeHash(subtreeRoot(leafHashes, start, start + k), subtreeRoot(leafHashes, start + k, end));
}

/** Root hash of a tree with these leaf hashes; the empty tree's root is SHA-256(""). */
export function rootHash(leafHashes: readonly Uint8Array[]): Uint8Array {
  return leafHashes.length === 0 ? emptyRoot : subtreeRoot(leafHashes, 0, leafHashes.length);
}

/** Inclusion proof (audit path) for leaf `index`; requires 0 <= index < leafHashes.length. */
export function inclusionProof(leafHashes: readonly Uint8Array[], index: number): Uint8Array[] {
  if (!Number.isSafeInteger(index) || index < 0 || index >= leafHashes.length) {
    throw new RangeError(`inclusion proof: index ${index} is outside a tree of size ${leafHashes.length}`);
  }
  return inclusionRanges(index, leafHashes.length).map(([start, end]) => subtreeRoot(leafHashes, start, end));
}

/**
 * Consistency proof from the tree of the first `oldSize` leaves to the tree of all of them;
 * requires 0 <= oldSize <= leafHashes.length. Empty when oldSize is 0 or equals the size.
 */
export function consistencyProof(leafHashes: readonly Uint8Array[], oldSize: number): Uint8Array[] {
  if (!Number.isSafeInteger(oldSize) || oldSize < 0 || oldSize > leafHashes.length) {
    throw new RangeError(`consistency proof: old size ${oldSize} is outside 0..${leafHashes.length}`);
  }
  return consistencyRanges(oldSize, leafHashes.length).map(([start, end]) =>
    subtreeRoot(leafHashes, start, end),
  );
}
