/**
 * Drift measures on binned counts: the reference and current histograms share their bins (the
 * same categories, or the same numeric bin edges), so each is an array of counts in the same
 * order. Counts may be weighted (any finite number >= 0).
 */

import {
  requireCount,
  requireCounts,
  requireNonEmpty,
  requireSameLength,
  StatsInputError,
  sum,
} from './input.js';
import { chiSquareSf, normalSf } from './special.js';

function checkHistograms(referenceCounts: readonly number[], currentCounts: readonly number[]) {
  requireNonEmpty('referenceCounts', referenceCounts);
  requireSameLength('referenceCounts', referenceCounts, 'currentCounts', currentCounts);
  requireCounts('referenceCounts', referenceCounts);
  requireCounts('currentCounts', currentCounts);
  const referenceTotal = sum(referenceCounts);
  const currentTotal = sum(currentCounts);
  if (referenceTotal === 0) throw new StatsInputError('zero-total', 'referenceCounts', 'all counts are 0');
  if (currentTotal === 0) throw new StatsInputError('zero-total', 'currentCounts', 'all counts are 0');
  return { referenceTotal, currentTotal };
}

/** A drift score with its per-bin terms, which sum to `value` (for Jensen–Shannon: to value²). */
export interface BinnedDrift {
  value: number;
  /** One term per bin, in bin order, so an alert can name the bins that moved most. */
  contributions: number[];
}

/** Options of `psi`. */
export interface PsiOptions {
  /** Stand-in proportion for an empty bin (default 1e-4). */
  epsilon?: number;
}

/**
 * Replace the zero proportions as Evidently's `get_binned_data` does: by epsilon, or — when some
 * non-empty bin is itself at most epsilon — by a millionth of the smallest non-zero proportion, so
 * an empty bin always stays smaller than every observed one. Proportions are not renormalized.
 */
function fillEmpty(proportions: number[], epsilon: number): number[] {
  let smallest = Number.POSITIVE_INFINITY;
  for (const p of proportions) if (p > 0 && p < smallest) smallest = p;
  const fill = smallest <= epsilon ? smallest / 1e6 : epsilon;
  return proportions.map((p) => (p === 0 ? fill : p));
}

/**
 * Population Stability Index Σ (c_i − r_i) · ln(c_i / r_i) over the bin proportions r (reference)
 * and c (current), as Evidently's `psi` stattest. Empty bins would make the logarithm infinite, so
 * a zero proportion is replaced by `epsilon` (default 1e-4), or by a millionth of the smallest
 * non-zero proportion when that is itself <= epsilon (Evidently's rule, applied to each histogram
 * on its own, so a bin empty in both contributes 0 unless the two fills differ). Every term is >= 0;
 * identical histograms give 0. Common reading: < 0.1 stable, 0.1–0.25 moderate, > 0.25 major
 * shift (Evidently's default drift threshold is 0.1).
 *
 * Throws `StatsInputError` for empty, mismatched, negative or all-zero counts, or epsilon outside (0, 1).
 */
export function psi(
  referenceCounts: readonly number[],
  currentCounts: readonly number[],
  options: PsiOptions = {},
): BinnedDrift {
  const { referenceTotal, currentTotal } = checkHistograms(referenceCounts, currentCounts);
  const epsilon = options.epsilon ?? 1e-4;
  if (!(epsilon > 0 && epsilon < 1))
    throw new StatsInputError('out-of-range', 'epsilon', 'must be in (0, 1)');
  const r = fillEmpty(
    referenceCounts.map((count) => count / referenceTotal),
    epsilon,
  );
  const c = fillEmpty(
    currentCounts.map((count) => count / currentTotal),
    epsilon,
  );
  const contributions = r.map((ref, i) => (c[i]! - ref) * Math.log(c[i]! / ref));
  return { value: sum(contributions), contributions };
}

/** x · ln(x / y) with 0 · ln 0 = 0 (SciPy's `rel_entr` for x, y >= 0, y > 0 where x > 0). */
function relativeEntropyTerm(x: number, y: number): number {
  return x === 0 ? 0 : x * Math.log(x / y);
}

/**
 * Jensen–Shannon distance with natural logarithms, as `scipy.spatial.distance.jensenshannon(p, q)`
 * (default base e) and Evidently's `jensenshannon` stattest: both histograms are normalized to
 * proportions p and q, m = (p + q)/2, and the distance is √(½ KL(p‖m) + ½ KL(q‖m)). Empty bins
 * need no smoothing (0 · ln 0 = 0). Range [0, √ln 2 ≈ 0.8326]: 0 for identical proportions,
 * √ln 2 for disjoint supports. `contributions[i]` = ½ (p_i ln(p_i/m_i) + q_i ln(q_i/m_i)) is bin
 * i's share of the divergence; they sum to value² (the divergence), not to the distance.
 *
 * Throws `StatsInputError` for empty, mismatched, negative or all-zero counts.
 */
export function jensenShannon(
  referenceCounts: readonly number[],
  currentCounts: readonly number[],
): BinnedDrift {
  const { referenceTotal, currentTotal } = checkHistograms(referenceCounts, currentCounts);
  const contributions = referenceCounts.map((count, i) => {
    const p = count / referenceTotal;
    const q = currentCounts[i]! / currentTotal;
    const m = (p + q) / 2;
    return (relativeEntropyTerm(p, m) + relativeEntropyTerm(q, m)) / 2;
  });
  return { value: Math.sqrt(Math.max(0, sum(contributions))), contributions };
}

/** A test statistic with its p-value. */
export interface TestResult {
  statistic: number;
  pValue: number;
}

/** Result of `chiSquareTest`. */
export interface ChiSquareResult extends TestResult {
  /** Degrees of freedom: bins that are non-empty in at least one histogram, minus 1. */
  dof: number;
  /** Per-bin (observed − expected)² / expected terms, which sum to the statistic (0 for ignored bins). */
  contributions: number[];
}

/**
 * Pearson chi-square goodness-of-fit of the current counts against the reference proportions, as
 * Evidently's `chisquare` stattest: expected_i = referenceCounts_i · (Σ current / Σ reference),
 * statistic Σ (current_i − expected_i)² / expected_i, dof = k − 1, p-value from the chi-square
 * survival function (`scipy.stats.chisquare(current, expected)`). This is not the 2×k homogeneity
 * test (`chi2_contingency`), which also treats the reference as a sample and gives larger p-values.
 *
 * Conventions: a bin empty in both histograms is ignored (Evidently's categories are the values
 * seen in either sample, so it never has one); a bin empty in the reference but not in the current
 * histogram makes the statistic Infinity and the p-value 0, as SciPy; a single remaining bin gives
 * statistic 0, dof 0, p-value 1.
 *
 * Throws `StatsInputError` for empty, mismatched, negative or all-zero counts.
 */
export function chiSquareTest(
  referenceCounts: readonly number[],
  currentCounts: readonly number[],
): ChiSquareResult {
  const { referenceTotal, currentTotal } = checkHistograms(referenceCounts, currentCounts);
  const scale = currentTotal / referenceTotal;
  let bins = 0;
  const contributions = referenceCounts.map((count, i) => {
    const observed = currentCounts[i]!;
    if (count === 0 && observed === 0) return 0;
    bins++;
    const expected = count * scale;
    return expected === 0 ? Number.POSITIVE_INFINITY : (observed - expected) ** 2 / expected;
  });
  const dof = bins - 1;
  if (dof === 0) return { statistic: 0, pValue: 1, dof, contributions };
  const statistic = sum(contributions);
  return { statistic, pValue: chiSquareSf(statistic, dof), dof, contributions };
}

/**
 * Two-proportion z-test with the pooled proportion, two-sided, as Evidently's `z` stattest:
 * z = (p_ref − p_cur) / √(P (1 − P) (1/n_ref + 1/n_cur)) with P the pooled proportion, and
 * p-value 2 · (1 − Φ(|z|)) — computed as 2 · Φ(−|z|), so it stays precise far in the tail where
 * Evidently's `1 − cdf` rounds to 0. When P is 0 or 1 (both samples all failures or all
 * successes) there is no variance and no evidence of a difference: z = 0, p-value 1 (Evidently
 * returns p = 1 for this case too).
 *
 * Throws `StatsInputError` unless the counts are integers with 0 <= successes <= total and total >= 1.
 */
export function zTestProportions(
  refSuccesses: number,
  refTotal: number,
  curSuccesses: number,
  curTotal: number,
): TestResult {
  requireCount('refSuccesses', refSuccesses);
  requireCount('refTotal', refTotal);
  requireCount('curSuccesses', curSuccesses);
  requireCount('curTotal', curTotal);
  if (refTotal === 0) throw new StatsInputError('empty', 'refTotal', 'must be >= 1');
  if (curTotal === 0) throw new StatsInputError('empty', 'curTotal', 'must be >= 1');
  if (refSuccesses > refTotal)
    throw new StatsInputError('out-of-range', 'refSuccesses', `exceeds refTotal ${refTotal}`);
  if (curSuccesses > curTotal)
    throw new StatsInputError('out-of-range', 'curSuccesses', `exceeds curTotal ${curTotal}`);
  const pooled = (refSuccesses + curSuccesses) / (refTotal + curTotal);
  if (pooled === 0 || pooled === 1) return { statistic: 0, pValue: 1 };
  const statistic =
    (refSuccesses / refTotal - curSuccesses / curTotal) /
    Math.sqrt(pooled * (1 - pooled) * (1 / refTotal + 1 / curTotal));
  return { statistic, pValue: Math.min(1, 2 * normalSf(Math.abs(statistic))) };
}
