/**
 * An in-place ascending sort of a Float64Array by least-significant-digit radix on the IEEE 754
 * bits: six passes of 11-bit digits, each a counting scatter, instead of comparisons. On a million
 * doubles it takes under half the CPU time of `Float64Array.prototype.sort` (bench/monitor/drift.js
 * sorts 28 such arrays), and its order is the same: ascending, −0 before +0.
 *
 * Sorting the raw bit patterns as unsigned integers puts the non-negative values first, ascending,
 * then the negative ones by ascending magnitude; reversing that tail and moving it to the front
 * gives numeric order (−0, the smallest negative pattern, ends up just before +0).
 */

const DIGIT_BITS = 11;
const BUCKETS = 1 << DIGIT_BITS;
const DIGIT_MASK = BUCKETS - 1;
/** Six digits of 11 bits: 66 >= 64, the last digit holds the top 9 bits (sign and exponent). */
const PASSES = 6;

/** Below this length the comparison sort is quicker than setting up six passes. */
const RADIX_MIN_LENGTH = 1024;

/**
 * Sorts `values` ascending in place and returns it, in exactly the order
 * `Float64Array.prototype.sort` gives. Precondition (unchecked): no NaN (the statistics refuse
 * non-finite input before sorting). Uses a scratch array of the same length.
 */
export function sortFloat64(values: Float64Array): Float64Array {
  const n = values.length;
  if (n < RADIX_MIN_LENGTH) return values.sort();
  const counts = new Uint32Array(PASSES * BUCKETS);
  const words = new Uint32Array(values.buffer, values.byteOffset, 2 * n);
  // Little-endian words (every platform Node runs on): word 2k is the low half of value k.
  for (let k = 0; k < n; k++) {
    const lo = words[2 * k]!;
    const hi = words[2 * k + 1]!;
    counts[lo & DIGIT_MASK]!++;
    counts[BUCKETS + ((lo >>> 11) & DIGIT_MASK)]!++;
    counts[2 * BUCKETS + (((lo >>> 22) | (hi << 10)) & DIGIT_MASK)]!++;
    counts[3 * BUCKETS + ((hi >>> 1) & DIGIT_MASK)]!++;
    counts[4 * BUCKETS + ((hi >>> 12) & DIGIT_MASK)]!++;
    counts[5 * BUCKETS + (hi >>> 23)]!++;
  }
  let source: Float64Array = values;
  let target: Float64Array = new Float64Array(n);
  for (let pass = 0; pass < PASSES; pass++) {
    const base = pass * BUCKETS;
    // A digit every value shares (the low mantissa bits of integers, say) moves nothing.
    let offset = 0;
    let shared = false;
    for (let d = 0; d < BUCKETS; d++) {
      const count = counts[base + d]!;
      if (count === n) shared = true;
      counts[base + d] = offset;
      offset += count;
    }
    if (shared) continue;
    const sourceWords = new Uint32Array(source.buffer, source.byteOffset, 2 * n);
    const shift = pass * DIGIT_BITS;
    // Three loops, so the digit's position is not re-decided for every value.
    if (shift + DIGIT_BITS <= 32)
      for (let k = 0; k < n; k++)
        target[counts[base + ((sourceWords[2 * k]! >>> shift) & DIGIT_MASK)]!++] = source[k]!;
    else if (shift >= 32)
      for (let k = 0; k < n; k++)
        target[counts[base + ((sourceWords[2 * k + 1]! >>> (shift - 32)) & DIGIT_MASK)]!++] = source[k]!;
    else
      for (let k = 0; k < n; k++) {
        const d = ((sourceWords[2 * k]! >>> shift) | (sourceWords[2 * k + 1]! << (32 - shift))) & DIGIT_MASK;
        target[counts[base + d]!++] = source[k]!;
      }
    const sorted = target;
    target = source;
    source = sorted;
  }
  // The negative values (sign bit set) form the tail, by ascending magnitude.
  const sourceWords = new Uint32Array(source.buffer, source.byteOffset, 2 * n);
  let low = 0;
  let high = n;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (sourceWords[2 * mid + 1]! >= 0x80000000) high = mid;
    else low = mid + 1;
  }
  const negatives = n - low;
  for (let k = 0; k < negatives; k++) target[k] = source[n - 1 - k]!;
  target.set(source.subarray(0, low), negatives);
  if (target !== values) values.set(target);
  return values;
}
