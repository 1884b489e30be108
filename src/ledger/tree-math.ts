/**
 * Index arithmetic for RFC 6962 trees. Sizes and indexes are JavaScript numbers, exact up to
 * 2^53; plain arithmetic is used instead of bit operators, which truncate to 32 bits.
 */

/** A perfect subtree: the 2^level leaves starting at index · 2^level. */
export interface NodeId {
  level: number;
  index: number;
}

/** The largest power of two strictly smaller than n; requires n >= 2. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** True when n is a power of two (n >= 1). */
export function isPowerOfTwo(n: number): boolean {
  return n >= 1 && Number.isInteger(Math.log2(n)) && 2 ** Math.log2(n) === n;
}

/**
 * The perfect subtrees that make up the leaf range [start, end), largest first. Requires that
 * start is a multiple of a power of two at least end - start, which holds for every range the
 * RFC 6962 recursion produces; the range's hash is the right fold of these nodes' hashes.
 */
export function rangeNodes(start: number, end: number): NodeId[] {
  const nodes: NodeId[] = [];
  let position = start;
  let remaining = end - start;
  let size = 1;
  while (size * 2 <= remaining) size *= 2;
  for (let level = Math.log2(size); level >= 0; level--) {
    const width = 2 ** level;
    if (remaining >= width) {
      nodes.push({ level, index: position / width });
      position += width;
      remaining -= width;
    }
  }
  return nodes;
}

/** The leaf ranges whose hashes form the inclusion proof of `index` in a tree of `size` (RFC 6962 PATH), bottom-up. */
export function inclusionRanges(index: number, size: number): [number, number][] {
  const out: [number, number][] = [];
  const path = (start: number, end: number): void => {
    const n = end - start;
    if (n <= 1) return;
    const k = splitPoint(n);
    if (index - start < k) {
      path(start, start + k);
      out.push([start + k, end]);
    } else {
      path(start + k, end);
      out.push([start, start + k]);
    }
  };
  path(0, size);
  return out;
}

/** The leaf ranges whose hashes form the consistency proof from `oldSize` to `newSize` (RFC 6962 PROOF). */
export function consistencyRanges(oldSize: number, newSize: number): [number, number][] {
  const out: [number, number][] = [];
  const subproof = (m: number, start: number, end: number, complete: boolean): void => {
    const n = end - start;
    if (m === n) {
      if (!complete) out.push([start, end]);
      return;
    }
    const k = splitPoint(n);
    if (m <= k) {
      subproof(m, start, start + k, complete);
      out.push([start + k, end]);
    } else {
      subproof(m - k, start + k, end, false);
      out.push([start, start + k]);
    }
  };
  if (oldSize > 0 && oldSize < newSize) subproof(oldSize, 0, newSize, true);
  return out;
}
