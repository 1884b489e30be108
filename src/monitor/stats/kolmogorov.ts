/**
 * Distributions of the Kolmogorov–Smirnov statistic:
 * - `kolmogorovSf`: the limiting distribution of √n D_n (SciPy `kstwobign.sf`, `special.kolmogorov`);
 * - `smirnovSf`: the exact one-sided D_n⁺ (SciPy `special.smirnov`);
 * - `kolmogorovSmirnovSf`: the two-sided D_n for finite n (SciPy `kstwo.sf`), choosing between exact
 *   and asymptotic formulas the way Simard & L'Ecuyer (2011) recommend and SciPy implements.
 */

import { logGamma } from './special.js';

const PI_SQUARED = Math.PI * Math.PI;
const SQRT_2PI = Math.sqrt(2 * Math.PI);
// exp() of anything below this is 0 in double precision (with subnormals).
const MIN_LOG = -745;

/**
 * P(K > x) for the Kolmogorov distribution K = lim √n D_n:
 * 2 Σ (−1)^(k−1) e^(−2k²x²) for x > 0.82, and 1 − (√(2π)/x) Σ e^(−(2k−1)²π²/(8x²)) below,
 * where each series converges in a few terms. x <= 0 gives 1.
 */
export function kolmogorovSf(x: number): number {
  if (Number.isNaN(x)) return x;
  if (x <= 0) return 1;
  if (x <= 0.82) {
    const base = -PI_SQUARED / (8 * x * x);
    if (base < MIN_LOG) return 1;
    let cdf = 0;
    for (let k = 1; k < 100; k++) {
      const m = 2 * k - 1;
      const term = Math.exp(base * m * m);
      cdf += term;
      if (term < 1e-17 * cdf) break;
    }
    return Math.min(1, Math.max(0, 1 - (SQRT_2PI / x) * cdf));
  }
  let sf = 0;
  for (let k = 1; k < 100; k++) {
    const term = Math.exp(-2 * k * k * x * x);
    sf += k % 2 === 1 ? term : -term;
    if (term < 1e-17 * sf) break;
  }
  return Math.min(1, Math.max(0, 2 * sf));
}

/**
 * P(D_n⁺ >= x), the exact one-sided Smirnov survival function for sample size n >= 1 and
 * 0 <= x <= 1, by the Birnbaum–Tingey sum
 *   x Σ_{v=0}^{⌊n(1−x)⌋} C(n, v) (x + v/n)^(v−1) (1 − x − v/n)^(n−v),
 * summed in log space (all terms are positive, so there is no cancellation; the logarithms cost
 * some precision for large n, about 1e-10 relative at n = 2·10⁵). As SciPy, n > 10⁶ uses the
 * approximation e^(−(6nx+1)²/(18n)). NaN unless n is a positive integer and 0 <= x <= 1.
 */
export function smirnovSf(n: number, x: number): number {
  if (!(n >= 1) || !Number.isInteger(n) || !(x >= 0 && x <= 1)) return Number.NaN;
  if (x === 0) return 1;
  if (x === 1) return 0;
  if (n === 1) return 1 - x;
  if (n * x <= 1) return 1 - x * (1 + x) ** (n - 1);
  if (-2 * n * x * x < MIN_LOG) return 0;
  if (Math.floor(n * x) >= n - 1) return (1 - x) ** n;
  if (n > 1_000_000) return Math.exp(-((6 * n * x + 1) ** 2) / (18 * n));
  const lastV = Math.floor(n * (1 - x));
  const logX = Math.log(x);
  let logBinomial = 0;
  let total = 0;
  let previous = 0;
  for (let v = 0; v <= lastV; v++) {
    if (v > 0) logBinomial += Math.log((n - v + 1) / v);
    const rest = (n - v - n * x) / n;
    if (rest <= 0) break;
    const logTerm =
      v === 0
        ? n * Math.log1p(-x)
        : logBinomial + logX + (v - 1) * Math.log(x + v / n) + (n - v) * Math.log(rest);
    const term = Math.exp(logTerm);
    total += term;
    // Past the peak the terms fall geometrically; stop once they no longer change the sum.
    if (term < previous && term < 1e-18 * total) break;
    previous = term;
  }
  return Math.min(1, Math.max(0, total));
}

function multiply(a: Float64Array, b: Float64Array, m: number): Float64Array {
  const out = new Float64Array(m * m);
  for (let i = 0; i < m; i++)
    for (let k = 0; k < m; k++) {
      const aik = a[i * m + k]!;
      if (aik === 0) continue;
      for (let j = 0; j < m; j++) out[i * m + j]! += aik * b[k * m + j]!;
    }
  return out;
}

function maxAbs(a: Float64Array): number {
  let max = 0;
  for (const value of a) if (Math.abs(value) > max) max = Math.abs(value);
  return max;
}

const SCALE_BITS = 128;
const SCALE = 2 ** SCALE_BITS;

/** value · 2^exponent without overflowing the intermediate power of two. */
function ldexp(value: number, exponent: number): number {
  let result = value;
  let e = exponent;
  while (e > 1000) {
    result *= 2 ** 1000;
    e -= 1000;
  }
  while (e < -1000) {
    result *= 2 ** -1000;
    e += 1000;
  }
  return result * 2 ** e;
}

/**
 * P(D_n < d) by Durbin's matrix formula in the form of Marsaglia, Tsang & Wang (2003):
 * with nd = k − h (k integer, 0 <= h < 1) and m = 2k − 1, the probability is
 * n!/nⁿ · (Hⁿ)_{kk} for an m×m matrix H. Exact; O(m³ log n), so used for small nd only.
 */
function durbinCdf(n: number, d: number): number {
  const nd = n * d;
  if (d >= 1) return 1;
  if (nd <= 0.5) return 0;
  const k = Math.ceil(nd);
  const h = k - nd;
  const m = 2 * k - 1;
  const inverseFactorial = new Float64Array(m + 1);
  inverseFactorial[0] = 1;
  for (let i = 1; i <= m; i++) inverseFactorial[i] = inverseFactorial[i - 1]! / i;
  let base: Float64Array = new Float64Array(m * m);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < m; j++) if (i - j + 1 >= 0) base[i * m + j] = inverseFactorial[i - j + 1]!;
  for (let i = 0; i < m; i++) {
    base[i * m] = (1 - h ** (i + 1)) * inverseFactorial[i + 1]!;
    base[(m - 1) * m + (m - 1 - i)] = (1 - h ** (i + 1)) * inverseFactorial[i + 1]!;
  }
  base[(m - 1) * m] = (1 - 2 * h ** m + Math.max(0, 2 * h - 1) ** m) * inverseFactorial[m]!;

  let power: Float64Array | undefined;
  let powerExponent = 0;
  let baseExponent = 0;
  for (let remaining = n; remaining > 0; remaining = Math.floor(remaining / 2)) {
    if (remaining % 2 === 1) {
      power = power === undefined ? base.slice() : multiply(power, base, m);
      powerExponent += baseExponent;
      if (maxAbs(power) > SCALE) {
        for (let i = 0; i < power.length; i++) power[i]! /= SCALE;
        powerExponent += SCALE_BITS;
      }
    }
    if (remaining > 1) {
      base = multiply(base, base, m);
      baseExponent *= 2;
      if (maxAbs(base) > SCALE) {
        for (let i = 0; i < base.length; i++) base[i]! /= SCALE;
        baseExponent += SCALE_BITS;
      }
    }
  }
  let p = power![(k - 1) * m + (k - 1)]!;
  let exponent = powerExponent;
  // Multiply by n!/nⁿ = Π i/n, rescaling so the running product never underflows.
  for (let i = 1; i <= n; i++) {
    p = (p * i) / n;
    if (p !== 0 && p < 1 / SCALE) {
      p *= SCALE;
      exponent -= SCALE_BITS;
    }
  }
  return Math.min(1, Math.max(0, ldexp(p, exponent)));
}

/**
 * Pelz & Good's (1976) asymptotic expansion P(D_n <= x) ≈ K0(z) + K1(z)/√n + K2(z)/n + K3(z)/n^1.5
 * with z = x√n, in the theta-function form suited to small z.
 */
function pelzGoodCdf(n: number, x: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const z = Math.sqrt(n) * x;
  const z2 = z * z;
  const z4 = z2 * z2;
  const z6 = z4 * z2;
  const z8 = z4 * z4;
  const oddBase = -PI_SQUARED / (8 * z2);
  if (oddBase < -708) return 0;
  const allBase = -PI_SQUARED / (2 * z2);
  const terms = Math.ceil((16 * z) / Math.PI);
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let t2 = 0;
  let t3 = 0;
  for (let k = terms; k >= 1; k--) {
    const m = 2 * k - 1;
    // a = π²(k − ½)² = π²m²/4
    const a = (PI_SQUARED * m * m) / 4;
    const w = Math.exp(oddBase * m * m);
    s0 += w;
    s1 += (a - z2) * w;
    s2 += (6 * z6 + 2 * z4 + (2 * z4 - 5 * z2) * a + (1 - 2 * z2) * a * a) * w;
    s3 +=
      (-30 * z6 -
        90 * z8 +
        (135 * z4 - 96 * z6) * a +
        (212 * z4 - 60 * z2) * a * a +
        (5 - 30 * z2) * a ** 3) *
      w;
    const b = PI_SQUARED * k * k;
    const w2 = Math.exp(allBase * k * k);
    t2 += b * w2;
    t3 += (3 * b * z2 - b * b) * w2;
  }
  const k0 = (SQRT_2PI / z) * s0;
  const k1 = (SQRT_2PI / (6 * z4)) * s1;
  const k2 = (SQRT_2PI / (72 * z6 * z)) * s2 - (SQRT_2PI / (36 * z2 * z)) * t2;
  const k3 = (SQRT_2PI / (6480 * z8 * z2)) * s3 + (SQRT_2PI / (216 * z6)) * t3;
  const rootN = Math.sqrt(n);
  return k0 + k1 / rootN + k2 / n + k3 / (n * rootN);
}

/**
 * P(D_n >= x) for the two-sided one-sample Kolmogorov–Smirnov statistic with sample size n, as
 * `scipy.stats.kstwo.sf(x, n)`. Regions follow Simard & L'Ecuyer (2011) and SciPy: the exact
 * Ruben–Gambino formulas near the ends, 2·smirnovSf where the one-sided events cannot overlap
 * (x >= 0.5) or the overlap is negligible, Durbin's exact matrix for small n·x², and Pelz–Good
 * for large n. Where SciPy uses Pomeranz's exact recursion (n <= 140, 0.754693 < n·x² <= 4)
 * this uses Durbin's exact matrix instead: the same probability by another exact method.
 * n must be a positive integer (NaN otherwise).
 */
export function kolmogorovSmirnovSf(n: number, x: number): number {
  if (!(n >= 1) || !Number.isInteger(n) || Number.isNaN(x)) return Number.NaN;
  if (x >= 1) return 0;
  if (x <= 0) return 1;
  const t = n * x;
  if (t <= 1) {
    if (t <= 0.5) return 1;
    // P(D_n < x) = n!/nⁿ (2t − 1)ⁿ for 1/(2n) < x <= 1/n.
    const cdf =
      n <= 140 ? productCdf(n, t) : Math.exp(logGamma(n + 1) - n * Math.log(n) + n * Math.log(2 * t - 1));
    return Math.min(1, Math.max(0, 1 - cdf));
  }
  if (t >= n - 1) return Math.min(1, 2 * (1 - x) ** n);
  if (x >= 0.5) return Math.min(1, 2 * smirnovSf(n, x));
  const nx2 = t * x;
  if (n <= 140) {
    if (nx2 <= 4) return Math.min(1, Math.max(0, 1 - durbinCdf(n, x)));
    return Math.min(1, 2 * smirnovSf(n, x));
  }
  if (nx2 >= 370) return 0;
  if (nx2 >= 2.2) return Math.min(1, 2 * smirnovSf(n, x));
  const cdf = n <= 100_000 && n * x ** 1.5 <= 1.4 ? durbinCdf(n, x) : pelzGoodCdf(n, x);
  return Math.min(1, Math.max(0, 1 - cdf));
}

function productCdf(n: number, t: number): number {
  let p = 1;
  for (let i = 1; i <= n; i++) p *= (i / n) * (2 * t - 1);
  return p;
}
