import { concatBytes, equalBytes } from './bytes.js';

/**
 * RFC 6962 / RFC 9162 Merkle proofs checked in the browser with WebCrypto SHA-256: leaf hash =
 * SHA-256(0x00 ‖ entry), node hash = SHA-256(0x01 ‖ left ‖ right). The verification follows
 * RFC 9162 §2.1.3.2 and §2.1.4.2 step by step (as src/ledger/verify.ts does on the server) and,
 * like it, returns false for malformed input instead of throwing.
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

const isHash = (value: unknown): value is Uint8Array => value instanceof Uint8Array && value.length === 32;
const isSize = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
const isHashList = (value: unknown): value is Uint8Array[] =>
  Array.isArray(value) && value.length <= 128 && value.every(isHash);
const isOdd = (n: number) => n % 2 === 1;
const half = (n: number) => Math.floor(n / 2);

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
  if (index >= treeSize) return false;
  let fn = index;
  let sn = treeSize - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      r = await nodeHash(p, r);
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && equalBytes(r, root);
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
  if (proof.length === 0) return false;

  // When the old tree is a perfect subtree its root is the proof's implicit first node.
  const path = Number.isInteger(Math.log2(oldSize)) ? [oldRoot, ...proof] : [...proof];
  let fn = oldSize - 1;
  let sn = newSize - 1;
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      fr = await nodeHash(c, fr);
      sr = await nodeHash(c, sr);
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      sr = await nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && equalBytes(fr, oldRoot) && equalBytes(sr, newRoot);
}
