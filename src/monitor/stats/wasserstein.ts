/**
 * First Wasserstein (earth mover's) distance between one-dimensional distributions, and the
 * normed version Evidently uses as its default drift score for large numeric columns.
 */

import {
  requireCounts,
  requireFinite,
  requireFiniteNumber,
  requireNonEmpty,
  requireSameLength,
  type Sample,
  StatsInputError,
  sum,
} from './input.js';
import { compareSorted, sortedCopy } from './sorted.js';

/**
 * Evidently divides by max(np.std(reference), 0.001): a constant reference would otherwise make
 * any movement infinitely large.
 */
export const WASSERSTEIN_MIN_SCALE = 0.001;

/**
 * First Wasserstein distance between the empirical distributions of two samples,
 * ∫ |U(x) − V(x)| dx over their empirical CDFs, as `scipy.stats.wasserstein_distance(u, v)`.
 * 0 for identical samples (in any order); for two single points, their distance. Samples may be
 * arrays or Float64Arrays; they are copied, never reordered.
 * Throws `StatsInputError` for an empty sample or a non-finite value.
 */
export function wassersteinDistance(u: Sample, v: Sample): number {
  requireNonEmpty('u', u);
  requireNonEmpty('v', v);
  requireFinite('u', u);
  requireFinite('v', v);
  return compareSorted(sortedCopy(u), sortedCopy(v)).wasserstein;
}

/** Population standard deviation (divides by n), as NumPy's default `np.std`. */
export function populationStd(values: Sample): number {
  requireNonEmpty('values', values);
  requireFinite('values', values);
  return populationStdUnchecked(values);
}

/** `populationStd` without the checks, for callers that have made them. */
export function populationStdUnchecked(values: Sample): number {
  const mean = sum(values) / values.length;
  let squares = 0;
  for (let i = 0; i < values.length; i++) squares += (values[i]! - mean) ** 2;
  return Math.sqrt(squares / values.length);
}

/**
 * The Wasserstein distance between reference and current divided by the reference's population
 * standard deviation floored at 0.001 — Evidently's `wasserstein` stattest, which reports drift when
 * this is >= 0.1. Unitless; 0 for identical samples. Throws as `wassersteinDistance`.
 */
export function wassersteinNormed(reference: Sample, current: Sample): number {
  requireNonEmpty('reference', reference);
  requireNonEmpty('current', current);
  requireFinite('reference', reference);
  requireFinite('current', current);
  const distance = compareSorted(sortedCopy(reference), sortedCopy(current)).wasserstein;
  return distance / normedScale(populationStdUnchecked(reference));
}

/** Evidently's divisor for the normed distance: the reference's standard deviation, floored. */
export function normedScale(referenceStd: number): number {
  return Math.max(referenceStd, WASSERSTEIN_MIN_SCALE);
}

/**
 * The Wasserstein distance between two histograms over shared bins. `edges` (finite, strictly
 * increasing, one more than the bins) bound bin i by [edges[i], edges[i+1]]. The values of each bin
 * are taken as spread uniformly over it, so both CDFs are piecewise linear between edges and
 * ∫ |F_ref − F_cur| is integrated exactly bin by bin (where the difference changes sign inside a
 * bin, the two triangles are summed). This equals the raw-data distance when the data really are
 * uniform within bins; with all mass of both histograms in the same bin it is 0.
 *
 * Throws `StatsInputError` for mismatched lengths, bad edges, or negative or all-zero counts.
 */
export function wassersteinDistanceFromHistograms(
  edges: readonly number[],
  refCounts: readonly number[],
  curCounts: readonly number[],
): number {
  requireNonEmpty('refCounts', refCounts);
  requireSameLength('refCounts', refCounts, 'curCounts', curCounts);
  if (edges.length !== refCounts.length + 1)
    throw new StatsInputError(
      'length-mismatch',
      'edges',
      `has length ${edges.length}; ${refCounts.length} bins need ${refCounts.length + 1} edges`,
    );
  requireFinite('edges', edges);
  for (let k = 1; k < edges.length; k++)
    if (!(edges[k]! > edges[k - 1]!))
      throw new StatsInputError('not-increasing', 'edges', `element ${k} is not above element ${k - 1}`);
  requireCounts('refCounts', refCounts);
  requireCounts('curCounts', curCounts);
  const refTotal = sum(refCounts);
  const curTotal = sum(curCounts);
  if (refTotal === 0) throw new StatsInputError('zero-total', 'refCounts', 'all counts are 0');
  if (curTotal === 0) throw new StatsInputError('zero-total', 'curCounts', 'all counts are 0');
  let refCdf = 0;
  let curCdf = 0;
  let distance = 0;
  for (let k = 0; k < refCounts.length; k++) {
    const width = edges[k + 1]! - edges[k]!;
    const start = refCdf - curCdf;
    refCdf += refCounts[k]! / refTotal;
    curCdf += curCounts[k]! / curTotal;
    const end = refCdf - curCdf;
    const magnitude = Math.abs(start) + Math.abs(end);
    if (magnitude === 0) continue;
    distance +=
      start * end >= 0 ? (width * magnitude) / 2 : (width * (start * start + end * end)) / (2 * magnitude);
  }
  return distance;
}

/**
 * `wassersteinDistanceFromHistograms` divided by max(refStd, 0.001): the normed score of
 * `wassersteinNormed` when only histograms and the reference standard deviation are kept.
 * Throws as `wassersteinDistanceFromHistograms`, and for a negative or non-finite refStd.
 */
export function wassersteinFromHistograms(
  edges: readonly number[],
  refCounts: readonly number[],
  curCounts: readonly number[],
  refStd: number,
): number {
  requireFiniteNumber('refStd', refStd);
  if (refStd < 0) throw new StatsInputError('negative', 'refStd', 'must be >= 0');
  return wassersteinDistanceFromHistograms(edges, refCounts, curCounts) / normedScale(refStd);
}
