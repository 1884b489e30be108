/**
 * Every drift measure of one numeric column on raw data, with each sample sorted once: the KS
 * test, the Wasserstein distance (plain and normed) and PSI / Jensen–Shannon over the reference's
 * bins all read the same two sorted arrays. This is the per-column unit of work; spreading
 * columns over threads is the caller's business (`arbiter/monitor/parallel`).
 */

import { binCountsOfSorted, DEFAULT_BINS, referenceEdgesOfSorted } from './bins.js';
import { type BinnedDrift, jensenShannon, psi } from './histograms.js';
import { requireFinite, requireNonEmpty, type Sample, StatsInputError } from './input.js';
import { type KsResult, ksResult } from './ks.js';
import { compareSorted, requireSorted, sortedCopy } from './sorted.js';
import { normedScale, populationStdUnchecked } from './wasserstein.js';

/** Options of `numericDrift`. */
export interface NumericDriftOptions {
  /** Bins for PSI and Jensen–Shannon, fixed from the reference as a monitoring profile does (default 20). */
  bins?: number;
  /** PSI's stand-in proportion for an empty bin (default 1e-4, see `psi`). */
  psiEpsilon?: number;
}

/** Result of `numericDrift`. */
export interface NumericDrift {
  /** As `ksTest(reference, current)`. */
  ks: KsResult;
  /** As `wassersteinDistance(reference, current)`. */
  wasserstein: number;
  /** As `wassersteinNormed(reference, current)`: `wasserstein` / max(referenceStd, 0.001). */
  wassersteinNormed: number;
  /** Population standard deviation of the reference. */
  referenceStd: number;
  /** Interior edges of the bins: (-∞, e₀), [e₀, e₁), …, [eₖ, ∞). */
  edges: number[];
  referenceCounts: number[];
  currentCounts: number[];
  /** `psi(referenceCounts, currentCounts)`. */
  psi: BinnedDrift;
  /** `jensenShannon(referenceCounts, currentCounts)`. */
  jensenShannon: BinnedDrift;
}

/**
 * Every drift measure of a numeric column: KS (as `ksTest`), Wasserstein (as `wassersteinDistance`
 * and `wassersteinNormed`), and PSI and Jensen–Shannon over bins fixed from the reference the way
 * a monitoring profile fixes them (quantile bins, or one bin per value when the reference has at
 * most `bins` distinct values). Each result equals what the single-measure function returns on
 * the same data; the work is two sorts instead of one or two per measure. Samples may be arrays
 * or Float64Arrays; they are copied, never reordered.
 *
 * Throws `StatsInputError` for an empty sample, a non-finite value, bins that are not an integer
 * >= 1 or an epsilon outside (0, 1).
 */
export function numericDrift(
  reference: Sample,
  current: Sample,
  options: NumericDriftOptions = {},
): NumericDrift {
  requireNonEmpty('reference', reference);
  requireNonEmpty('current', current);
  requireFinite('reference', reference);
  requireFinite('current', current);
  checkOptions(options);
  // The standard deviation sums in the caller's order, so it is bit-identical to `populationStd`.
  const referenceStd = populationStdUnchecked(reference);
  return driftOfSorted(sortedCopy(reference), sortedCopy(current), referenceStd, options);
}

/**
 * `numericDrift` on samples already sorted ascending; `referenceStd` is the reference's population
 * standard deviation (taken before sorting, so its summation order is the caller's). Throws
 * `StatsInputError` for an empty, non-finite or unsorted sample, a negative or non-finite
 * referenceStd, or bad options.
 */
export function numericDriftSorted(
  sortedReference: Float64Array,
  sortedCurrent: Float64Array,
  referenceStd: number,
  options: NumericDriftOptions = {},
): NumericDrift {
  requireSorted('sortedReference', sortedReference);
  requireSorted('sortedCurrent', sortedCurrent);
  if (!(Number.isFinite(referenceStd) && referenceStd >= 0))
    throw new StatsInputError('out-of-range', 'referenceStd', `is ${referenceStd}, must be finite and >= 0`);
  checkOptions(options);
  return driftOfSorted(sortedReference, sortedCurrent, referenceStd, options);
}

function checkOptions(options: NumericDriftOptions): void {
  const bins = options.bins ?? DEFAULT_BINS;
  if (!(Number.isInteger(bins) && bins >= 1))
    throw new StatsInputError('out-of-range', 'bins', `is ${bins}, must be an integer >= 1`);
  const epsilon = options.psiEpsilon;
  if (epsilon !== undefined && !(epsilon > 0 && epsilon < 1))
    throw new StatsInputError('out-of-range', 'psiEpsilon', `is ${epsilon}, must be in (0, 1)`);
}

function driftOfSorted(
  a: Float64Array,
  b: Float64Array,
  referenceStd: number,
  options: NumericDriftOptions,
): NumericDrift {
  const walk = compareSorted(a, b);
  const edges = referenceEdgesOfSorted(a, options.bins ?? DEFAULT_BINS);
  const referenceCounts = binCountsOfSorted(a, edges);
  const currentCounts = binCountsOfSorted(b, edges);
  return {
    ks: ksResult(walk.maxGap, a.length, b.length),
    wasserstein: walk.wasserstein,
    wassersteinNormed: walk.wasserstein / normedScale(referenceStd),
    referenceStd,
    edges,
    referenceCounts,
    currentCounts,
    psi: psi(
      referenceCounts,
      currentCounts,
      options.psiEpsilon === undefined ? {} : { epsilon: options.psiEpsilon },
    ),
    jensenShannon: jensenShannon(referenceCounts, currentCounts),
  };
}
