/**
 * Two-sample Kolmogorov–Smirnov test, two-sided, as `scipy.stats.ks_2samp(reference, current)`
 * with its defaults (`alternative='two-sided'`, `method='auto'`).
 */

import {
  requireCount,
  requireFinite,
  requireNonEmpty,
  requireSameLength,
  type Sample,
  StatsInputError,
} from './input.js';
import { kolmogorovSmirnovSf } from './kolmogorov.js';
import { compareSorted, requireSorted, sortedCopy } from './sorted.js';

/** Result of a two-sample KS test. */
export interface KsResult {
  /** sup_x |F_ref(x) − F_cur(x)| over the empirical CDFs, in [0, 1]. */
  statistic: number;
  /** Two-sided p-value, in [0, 1]. */
  pValue: number;
  /** Which p-value `ksTest` computed (`ksFromCdfs` is always asymptotic). */
  method: 'exact' | 'asymptotic';
}

/** SciPy's `MAX_AUTO_N`: `method='auto'` is exact when both sample sizes are at most this. */
export const KS_EXACT_MAX_SIZE = 10_000;

function gcd(a: number, b: number): number {
  let x = a;
  let y = b;
  while (y !== 0) [x, y] = [y, x % y];
  return x;
}

/** Round half to even, as NumPy's `np.round`. */
function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction < 0.5) return floor;
  if (fraction > 0.5) return floor + 1;
  return floor % 2 === 0 ? floor : floor + 1;
}

/**
 * Exact P(D_{n1,n2} >= h / lcm(n1, n2)) under the null hypothesis, for sample sizes n1, n2 >= 1
 * and an integer 0 <= h <= lcm (the statistic times the lcm; every attainable D is such a multiple).
 *
 * A sample pair is a lattice path from (0, 0) to (n1, n2) and D >= h/lcm exactly when the path
 * touches a point with |n2·i − n1·j| / gcd >= h. The probability of having touched such a point,
 * q(i, j), obeys q = (i·q(i−1, j) + j·q(i, j−1)) / (i + j) inside the band and 1 outside
 * (Hodges 1958; computing the complement directly as in Viehmann 2021 keeps tiny p-values
 * precise). Equal sizes use the reflection formula 2 Σ (−1)^(k−1) C(2n, n−kh) / C(2n, n).
 * Cost O(n1 · band width) = O(n1 · n2 · D).
 */
export function ksExactPValue(n1: number, n2: number, h: number): number {
  requireCount('n1', n1);
  requireCount('n2', n2);
  requireCount('h', h);
  if (n1 === 0 || n2 === 0) throw new StatsInputError('empty', n1 === 0 ? 'n1' : 'n2', 'must be >= 1');
  const g = gcd(n1, n2);
  const lcm = (n1 / g) * n2;
  if (h > lcm) throw new StatsInputError('out-of-range', 'h', `must be at most lcm(n1, n2) = ${lcm}`);
  if (h === 0) return 1;
  if (n1 === n2) return equalSizesPValue(n1, h);
  // Columns along the larger sample, so the band (along the smaller one) is short.
  const m = Math.max(n1, n2);
  const n = Math.min(n1, n2);
  const mg = m / g;
  const ng = n / g;
  // Point (i, j) is inside the band when |ng·i − mg·j| < h.
  const q = new Float64Array(n + 1).fill(1);
  let hi = Math.min(n, Math.ceil(h / mg) - 1);
  for (let j = 0; j <= hi; j++) q[j] = 0;
  for (let i = 1; i <= m; i++) {
    const lo = Math.max(0, Math.floor((ng * i - h) / mg) + 1);
    hi = Math.min(n, Math.ceil((ng * i + h) / mg) - 1);
    if (lo > hi) return 1;
    // q[j] still holds column i − 1 for j >= lo (1 above the old band: never written).
    let below = lo === 0 ? 0 : 1;
    for (let j = lo; j <= hi; j++) {
      const value = (i * q[j]! + j * below) / (i + j);
      q[j] = value;
      below = value;
    }
  }
  return Math.min(1, Math.max(0, q[n]!));
}

function equalSizesPValue(n: number, h: number): number {
  // term_k = C(2n, n − kh) / C(2n, n) = Π_{j<kh} (n − j) / (n + j + 1), for kh <= n.
  const terms: number[] = [];
  let term = 1;
  for (let k = 1; k * h <= n; k++) {
    for (let j = (k - 1) * h; j < k * h; j++) term *= (n - j) / (n + j + 1);
    if (term === 0) break;
    terms.push(term);
  }
  let total = 0;
  for (let k = terms.length; k >= 1; k--) total = terms[k - 1]! - total;
  return Math.min(1, Math.max(0, 2 * total));
}

/** P-value from the asymptotic branch of ks_2samp: kstwo with the rounded effective size. */
function asymptoticPValue(statistic: number, n1: number, n2: number): number {
  const effective = (n1 * n2) / (n1 + n2);
  return kolmogorovSmirnovSf(Math.max(1, roundHalfEven(effective)), statistic);
}

/**
 * Two-sample, two-sided Kolmogorov–Smirnov test, matching `scipy.stats.ks_2samp(reference,
 * current)` (SciPy 1.17, `method='auto'`).
 *
 * The statistic is the largest gap between the two empirical CDFs, evaluated after every distinct
 * value of the pooled sample, so tied values (within or across samples) step both CDFs together.
 * The p-value is exact (`ksExactPValue`) when both sizes are at most 10 000 — SciPy's `auto`
 * rule; it applies no n1·n2 limit in that mode — and otherwise the asymptotic
 * `kstwo.sf(D, round(n1·n2 / (n1 + n2)))` (`kolmogorovSmirnovSf`). The exact p-value is that of
 * continuous data; with many ties it is conservative. Samples may be arrays or Float64Arrays; they
 * are copied, never reordered.
 *
 * Throws `StatsInputError` when either sample is empty or holds a non-finite value.
 */
export function ksTest(reference: Sample, current: Sample): KsResult {
  requireNonEmpty('reference', reference);
  requireNonEmpty('current', current);
  requireFinite('reference', reference);
  requireFinite('current', current);
  const a = sortedCopy(reference);
  const b = sortedCopy(current);
  return ksResult(compareSorted(a, b).maxGap, a.length, b.length);
}

/**
 * `ksTest` on samples already sorted ascending, for callers that sort once and share the arrays
 * (`numericDrift`). Throws `StatsInputError` for an empty, non-finite or unsorted sample.
 */
export function ksTestSorted(sortedReference: Float64Array, sortedCurrent: Float64Array): KsResult {
  requireSorted('sortedReference', sortedReference);
  requireSorted('sortedCurrent', sortedCurrent);
  return ksResult(
    compareSorted(sortedReference, sortedCurrent).maxGap,
    sortedReference.length,
    sortedCurrent.length,
  );
}

/**
 * The KS result from the walk's integer gap (n1·n2 times the statistic). Once one sample is
 * exhausted its CDF is 1 and the gap only shrinks towards 0, so the walk's maximum is the statistic.
 * Preconditions (unchecked): n1, n2 >= 1 and maxGap an integer in [0, n1·n2], as `compareSorted` gives.
 */
export function ksResult(maxGap: number, n1: number, n2: number): KsResult {
  const statistic = maxGap / (n1 * n2);
  if (Math.max(n1, n2) <= KS_EXACT_MAX_SIZE) {
    const g = gcd(n1, n2);
    return { statistic, pValue: ksExactPValue(n1, n2, maxGap / g), method: 'exact' };
  }
  return { statistic, pValue: asymptoticPValue(statistic, n1, n2), method: 'asymptotic' };
}

/**
 * The KS test when only cumulative counts at shared bin edges are kept (a monitoring window's
 * histogram): `referenceCdf[k]` and `currentCdf[k]` are the numbers of reference and current
 * values <= edge k, out of `nRef` and `nCur` values.
 *
 * The statistic max_k |referenceCdf[k]/nRef − currentCdf[k]/nCur| looks at the edges only, so it
 * is a lower bound of the statistic on the raw values (equal when every distinct value is an
 * edge); the p-value, asymptotic as in `ksTest`'s large-sample branch, is correspondingly an upper
 * bound — binning can hide drift, never invent it.
 *
 * Throws `StatsInputError` for empty or mismatched arrays, sizes that are not positive integers,
 * or cumulative counts that decrease or fall outside [0, n].
 */
export function ksFromCdfs(
  referenceCdf: readonly number[],
  currentCdf: readonly number[],
  nRef: number,
  nCur: number,
): KsResult {
  requireNonEmpty('referenceCdf', referenceCdf);
  requireSameLength('referenceCdf', referenceCdf, 'currentCdf', currentCdf);
  requireCount('nRef', nRef);
  requireCount('nCur', nCur);
  if (nRef === 0) throw new StatsInputError('empty', 'nRef', 'must be >= 1');
  if (nCur === 0) throw new StatsInputError('empty', 'nCur', 'must be >= 1');
  checkCumulative('referenceCdf', referenceCdf, nRef);
  checkCumulative('currentCdf', currentCdf, nCur);
  let statistic = 0;
  for (let k = 0; k < referenceCdf.length; k++) {
    const gap = Math.abs(referenceCdf[k]! / nRef - currentCdf[k]! / nCur);
    if (gap > statistic) statistic = gap;
  }
  return { statistic, pValue: asymptoticPValue(statistic, nRef, nCur), method: 'asymptotic' };
}

function checkCumulative(argument: string, cdf: readonly number[], total: number): void {
  requireFinite(argument, cdf);
  let previous = 0;
  for (let k = 0; k < cdf.length; k++) {
    const value = cdf[k]!;
    if (value < 0) throw new StatsInputError('negative', argument, `element ${k} is negative`);
    if (value < previous)
      throw new StatsInputError('not-increasing', argument, `element ${k} is below element ${k - 1}`);
    if (value > total)
      throw new StatsInputError('out-of-range', argument, `element ${k} exceeds the sample size ${total}`);
    previous = value;
  }
}
