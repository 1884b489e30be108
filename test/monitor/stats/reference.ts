/**
 * Naive statistics written straight from their textbook definitions, sharing no code with
 * src/monitor/stats, to cross-check it on random inputs. Slow on purpose: brute force over all
 * points, all pairs, all lattice paths.
 */

/**
 * Park–Miller minimal standard generator: x ← 16807·x mod (2³¹ − 1), returning x / (2³¹ − 1).
 * Every product stays below 2⁵³, so Python computes the same doubles; the SciPy reference values
 * in these tests were computed on the same sequences.
 */
export function parkMiller(seed: number, count: number): number[] {
  const modulus = 2147483647;
  let x = seed;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    x = (16807 * x) % modulus;
    out.push(x / modulus);
  }
  return out;
}

/** Empirical CDF #{v <= x} / n by counting. */
export function ecdf(sample: readonly number[], x: number): number {
  return sample.filter((v) => v <= x).length / sample.length;
}

/** sup |F_a − F_b|, evaluated at every pooled point by counting. */
export function naiveKsStatistic(a: readonly number[], b: readonly number[]): number {
  return Math.max(...[...a, ...b].map((x) => Math.abs(ecdf(a, x) - ecdf(b, x))));
}

/**
 * Exact P(D >= d) by enumerating every arrangement of n1 reference and n2 current points (all
 * C(n1 + n2, n1) lattice paths, equally likely under the null) and measuring each path's D.
 */
export function naiveKsExactPValue(n1: number, n2: number, d: number): number {
  let total = 0;
  let extreme = 0;
  const walk = (i: number, j: number, max: number): void => {
    const gap = Math.max(max, Math.abs(i / n1 - j / n2));
    if (i === n1 && j === n2) {
      total++;
      if (gap >= d - 1e-12) extreme++;
      return;
    }
    if (i < n1) walk(i + 1, j, gap);
    if (j < n2) walk(i, j + 1, gap);
  };
  walk(0, 0, 0);
  return extreme / total;
}

/** Chi-square survival function for even dof 2k: e^(−x/2) Σ_{i<k} (x/2)^i / i!. */
export function evenDofChiSquareSf(x: number, dof: number): number {
  let term = 1;
  let total = 0;
  for (let i = 0; i < dof / 2; i++) {
    if (i > 0) term *= x / 2 / i;
    total += term;
  }
  return Math.exp(-x / 2) * total;
}

/** Φ(z) = ½ + ∫₀^z φ by composite Simpson's rule with 20 000 panels. */
export function simpsonNormalCdf(z: number): number {
  const density = (t: number) => Math.exp((-t * t) / 2) / Math.sqrt(2 * Math.PI);
  const panels = 20_000;
  const h = z / panels;
  let total = density(0) + density(z);
  for (let i = 1; i < panels; i++) total += (i % 2 === 1 ? 4 : 2) * density(i * h);
  return 0.5 + (total * h) / 3;
}

/** Quantile function of a sample: the smallest v with F(v) >= t. */
function quantile(sorted: readonly number[], t: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(t * sorted.length - 1e-12) - 1)]!;
}

/** W1 = ∫₀¹ |Q_a(t) − Q_b(t)| dt, with both quantile functions constant between k/n1 and k/n2. */
export function naiveWasserstein(a: readonly number[], b: readonly number[]): number {
  const sa = [...a].sort((x, y) => x - y);
  const sb = [...b].sort((x, y) => x - y);
  const breaks = [
    ...new Set([0, 1, ...sa.map((_, k) => (k + 1) / sa.length), ...sb.map((_, k) => (k + 1) / sb.length)]),
  ].sort((x, y) => x - y);
  let total = 0;
  for (let k = 1; k < breaks.length; k++) {
    const middle = (breaks[k - 1]! + breaks[k]!) / 2;
    total += Math.abs(quantile(sa, middle) - quantile(sb, middle)) * (breaks[k]! - breaks[k - 1]!);
  }
  return total;
}

/** P(score_pos > score_neg) + ½ P(tie) over all positive–negative pairs. */
export function naiveRocAuc(yTrue: readonly number[], scores: readonly number[]): number {
  let wins = 0;
  let pairs = 0;
  for (let i = 0; i < yTrue.length; i++)
    for (let j = 0; j < yTrue.length; j++)
      if (yTrue[i] === 1 && yTrue[j] === 0) {
        pairs++;
        if (scores[i]! > scores[j]!) wins++;
        else if (scores[i] === scores[j]) wins += 0.5;
      }
  return wins / pairs;
}

/** Rates of the rows of one group, by filtering. */
export function naiveGroupRates(
  yTrue: readonly number[],
  yPred: readonly number[],
  inGroup: (row: number) => boolean,
): { selectionRate: number; tpr: number | null; fpr: number | null; count: number } {
  const rows = yTrue.map((_, row) => row).filter(inGroup);
  const positives = rows.filter((row) => yTrue[row] === 1);
  const negatives = rows.filter((row) => yTrue[row] === 0);
  return {
    count: rows.length,
    selectionRate: rows.filter((row) => yPred[row] === 1).length / rows.length,
    tpr:
      positives.length === 0 ? null : positives.filter((row) => yPred[row] === 1).length / positives.length,
    fpr:
      negatives.length === 0 ? null : negatives.filter((row) => yPred[row] === 1).length / negatives.length,
  };
}

/** |actual − expected| <= tolerance · |expected| (a relative comparison that also works for tiny values). */
export function relativeError(actual: number, expected: number): number {
  if (actual === expected) return 0;
  return Math.abs(actual - expected) / Math.abs(expected);
}
