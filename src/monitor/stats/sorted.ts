/**
 * Samples sorted once and shared: the KS statistic, the Wasserstein distance and the quantile bins
 * all read the two samples in ascending order, so each is copied into a Float64Array and sorted
 * once (numerically, by radix: `sortFloat64`), and one merge walk over both
 * sorted samples yields the KS gap and the Wasserstein integral together.
 */

import { requireFinite, requireNonEmpty, type Sample, StatsInputError } from './input.js';
import { sortFloat64 } from './radix-sort.js';

/** A sorted copy of a sample the caller has already checked (non-empty, finite). */
export function sortedCopy(values: Sample): Float64Array {
  return sortFloat64(values instanceof Float64Array ? values.slice() : new Float64Array(values));
}

/**
 * Checks a sample handed over already sorted: non-empty, finite and non-decreasing. Throws
 * `StatsInputError` otherwise — an unsorted array would give wrong statistics, not an error.
 */
export function requireSorted(argument: string, values: Float64Array): void {
  requireNonEmpty(argument, values);
  requireFinite(argument, values);
  for (let k = 1; k < values.length; k++)
    if (values[k]! < values[k - 1]!)
      throw new StatsInputError('not-increasing', argument, `element ${k} is below element ${k - 1}`);
}

/** What one merge walk over two sorted samples measures. */
export interface SortedComparison {
  /**
   * max over the pooled values of |i·n2 − j·n1|, i and j the counts of each sample at or below
   * the value: n1·n2 times the KS statistic, as an exact integer (n1·n2 < 2⁵³ for any sample
   * that fits in memory).
   */
  maxGap: number;
  /** ∫ |F_a − F_b| dx, the first Wasserstein distance between the empirical distributions. */
  wasserstein: number;
}

/**
 * Walks both sorted samples once in pooled order. At each distinct value both CDFs step together
 * (ties within or across samples); between consecutive distinct values the CDFs are i/n1 and
 * j/n2, which gives the Wasserstein area of that stretch. Preconditions (unchecked): a and b are
 * non-empty, finite and ascending.
 */
export function compareSorted(a: Float64Array, b: Float64Array): SortedComparison {
  const n1 = a.length;
  const n2 = b.length;
  const scale = n1 * n2;
  let i = 0;
  let j = 0;
  let gap = 0;
  let maxGap = 0;
  let previous = Math.min(a[0]!, b[0]!);
  let wasserstein = 0;
  while (i < n1 || j < n2) {
    const next = Math.min(
      i < n1 ? a[i]! : Number.POSITIVE_INFINITY,
      j < n2 ? b[j]! : Number.POSITIVE_INFINITY,
    );
    wasserstein += (gap / scale) * (next - previous);
    while (i < n1 && a[i] === next) i++;
    while (j < n2 && b[j] === next) j++;
    gap = Math.abs(i * n2 - j * n1);
    if (gap > maxGap) maxGap = gap;
    previous = next;
  }
  return { maxGap, wasserstein };
}
