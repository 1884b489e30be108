/**
 * The hash-free half of RFC 9162 proof verification (§2.1.3.2 inclusion, §2.1.4.2 consistency;
 * RFC 6962 §2.1.1/§2.1.2 define the proofs): which node is combined with which, in what order.
 * The caller supplies the combiner, so the same walk drives the server's synchronous node:crypto
 * hashing (src/ledger/verify.ts) and the dashboard's WebCrypto hashing, where a value is a
 * pending hash and the combiner awaits its children (web/src/ledger/merkle.ts). Imports nothing,
 * so it bundles for the browser. Sizes and indexes are plain numbers, exact up to 2^53; plain
 * arithmetic is used instead of bit operators, which truncate to 32 bits.
 */

/** The parent of two children: RFC 6962's node hash SHA-256(0x01 ‖ left ‖ right), or a deferred form of it. */
export type NodeCombiner<H> = (left: H, right: H) => H;

/** A 32-byte hash. */
export function isHash(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array && value.length === 32;
}

/** A proof: at most 128 hashes (no tree of up to 2^64 leaves needs more). */
export function isHashList(value: unknown): value is Uint8Array[] {
  return Array.isArray(value) && value.length <= 128 && value.every(isHash);
}

/** A tree size or leaf index: a safe non-negative integer. */
export function isSize(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

const isOdd = (n: number) => n % 2 === 1;
const half = (n: number) => Math.floor(n / 2);

/**
 * The root that `proof` implies for the leaf hash `leaf` at `index` in a tree of `treeSize`
 * leaves (RFC 9162 §2.1.3.2 steps 2–5), or undefined when no root follows: index outside the
 * tree, or a proof too long or too short for (index, treeSize). Requires safe non-negative
 * integers. Allocates nothing beyond what `node` does.
 */
export function walkInclusion<H>(
  leaf: H,
  index: number,
  treeSize: number,
  proof: readonly H[],
  node: NodeCombiner<H>,
): H | undefined {
  if (index >= treeSize) return undefined;
  let fn = index;
  let sn = treeSize - 1;
  let r = leaf;
  for (let i = 0; i < proof.length; i++) {
    if (sn === 0) return undefined;
    if (isOdd(fn) || fn === sn) {
      r = node(proof[i]!, r);
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      r = node(r, proof[i]!);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 ? r : undefined;
}

/**
 * The [old root, new root] pair that `proof` implies for the trees of `oldSize` and `newSize`
 * leaves (RFC 9162 §2.1.4.2 steps 2–7), or undefined when none follows: sizes outside
 * 0 < oldSize < newSize, an empty proof, or a proof too long or too short for the sizes.
 * Requires safe non-negative integers; the edge cases outside the RFC's range (equal sizes, the
 * empty old tree) are the caller's. When oldSize is a power of two the old tree is a perfect
 * subtree, and `oldRoot` is the proof's implicit first node.
 */
export function walkConsistency<H>(
  oldSize: number,
  newSize: number,
  proof: readonly H[],
  oldRoot: H,
  node: NodeCombiner<H>,
): [H, H] | undefined {
  if (oldSize === 0 || oldSize >= newSize || proof.length === 0) return undefined;
  const seeded = Number.isInteger(Math.log2(oldSize));
  let fn = oldSize - 1;
  let sn = newSize - 1;
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = seeded ? oldRoot : proof[0]!;
  let sr = fr;
  for (let i = seeded ? 0 : 1; i < proof.length; i++) {
    if (sn === 0) return undefined;
    if (isOdd(fn) || fn === sn) {
      fr = node(proof[i]!, fr);
      sr = node(proof[i]!, sr);
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      sr = node(sr, proof[i]!);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 ? [fr, sr] : undefined;
}
