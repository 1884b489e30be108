import { hash } from 'node:crypto';

/**
 * RFC 6962 / RFC 9162 §2.1.1 hashing: SHA-256 with domain separation between leaves (0x00)
 * and interior nodes (0x01), so a leaf can never be passed off as a node.
 */

const leafPrefix = new Uint8Array([0x00]);

function sha256(bytes: Uint8Array): Uint8Array {
  const digest = hash('sha256', bytes, 'buffer') as Buffer;
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);
}

// Hashing runs millions of times during verification: reuse one scratch buffer per shape
// instead of allocating the prefixed input every time. Single-threaded, so sharing is safe.
let leafScratch = new Uint8Array(1024);
const nodeScratch = new Uint8Array(65);
nodeScratch[0] = 0x01;

/** Hash of a leaf: SHA-256(0x00 ‖ entry). */
export function leafHash(entry: Uint8Array): Uint8Array {
  if (entry.length + 1 > leafScratch.length)
    leafScratch = new Uint8Array(Math.max(entry.length + 1, leafScratch.length * 2));
  leafScratch.set(leafPrefix, 0);
  leafScratch.set(entry, 1);
  return sha256(leafScratch.subarray(0, entry.length + 1));
}

/** leafHash of the entry at bytes[from, to), without a view of it. */
export function leafHashAt(bytes: Uint8Array, from: number, to: number): Uint8Array {
  const length = to - from;
  if (length + 1 > leafScratch.length)
    leafScratch = new Uint8Array(Math.max(length + 1, leafScratch.length * 2));
  leafScratch[0] = 0x00;
  leafScratch.set(bytes.subarray(from, to), 1);
  return sha256(leafScratch.subarray(0, length + 1));
}

/** Hash of an interior node: SHA-256(0x01 ‖ left ‖ right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  if (left.length === 32 && right.length === 32) {
    nodeScratch.set(left, 1);
    nodeScratch.set(right, 33);
    return sha256(nodeScratch);
  }
  const input = new Uint8Array(1 + left.length + right.length);
  input[0] = 0x01;
  input.set(left, 1);
  input.set(right, 1 + left.length);
  return sha256(input);
}

/** Root of the empty tree: SHA-256 of the empty string. */
export const emptyRoot: Uint8Array = sha256(new Uint8Array(0));

/** Size in bytes of every hash in the tree. */
export const hashSize = 32;
