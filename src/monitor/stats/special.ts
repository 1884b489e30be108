/**
 * Special functions behind the p-values: log-gamma, the regularized incomplete gamma functions
 * (chi-square survival function, erf/erfc) and the standard normal distribution. Double precision,
 * relative error around 1e-14 or better on the ranges the tests cover; no dependencies.
 */

const LN_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

// B_2k / (2k (2k - 1)) for k = 1..8: the coefficients of Stirling's series for ln Γ.
const stirling = [
  1 / 12,
  -1 / 360,
  1 / 1260,
  -1 / 1680,
  1 / 1188,
  -691 / 360360,
  1 / 156,
  -3617 / 122400,
] as const;

/**
 * ln Γ(x) for x > 0. Stirling's series with eight terms for x >= 10 (truncation error below
 * 1e-18); smaller x is shifted up with Γ(x) = Γ(x + k) / (x (x + 1) ... (x + k - 1)).
 * Returns NaN for x <= 0 or NaN, Infinity for x = Infinity.
 */
export function logGamma(x: number): number {
  if (!(x > 0)) return Number.NaN;
  if (x === Number.POSITIVE_INFINITY) return x;
  let shift = 1;
  let z = x;
  while (z < 10) {
    shift *= z;
    z += 1;
  }
  const inverse = 1 / z;
  const inverseSquared = inverse * inverse;
  let series = 0;
  for (let k = stirling.length - 1; k >= 0; k--) series = series * inverseSquared + stirling[k]!;
  return (z - 0.5) * Math.log(z) - z + LN_SQRT_2PI + series * inverse - Math.log(shift);
}

const EPSILON = 1e-16;
const MAX_ITERATIONS = 10_000;
const TINY = 1e-300;

/** ln(e^-x x^a / Γ(a)), the prefactor shared by the series and the continued fraction. */
function logPrefactor(a: number, x: number): number {
  return a * Math.log(x) - x - logGamma(a);
}

/** P(a, x) by its power series; converges quickly for x < a + 1. */
function gammaSeries(a: number, x: number): number {
  let term = 1 / a;
  let total = term;
  for (let n = 1; n < MAX_ITERATIONS; n++) {
    term *= x / (a + n);
    total += term;
    if (Math.abs(term) < Math.abs(total) * EPSILON) break;
  }
  return total * Math.exp(logPrefactor(a, x));
}

/** Q(a, x) by its continued fraction (modified Lentz); converges quickly for x >= a + 1. */
function gammaContinuedFraction(a: number, x: number): number {
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let fraction = d;
  for (let i = 1; i < MAX_ITERATIONS; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    fraction *= delta;
    if (Math.abs(delta - 1) < EPSILON) break;
  }
  return Math.exp(logPrefactor(a, x)) * fraction;
}

/**
 * Regularized lower incomplete gamma P(a, x) = γ(a, x) / Γ(a), for a > 0 and x >= 0
 * (NaN otherwise). P(a, 0) = 0, P(a, ∞) = 1.
 */
export function regularizedGammaP(a: number, x: number): number {
  if (!(a > 0) || !(x >= 0)) return Number.NaN;
  if (x === 0) return 0;
  if (x === Number.POSITIVE_INFINITY) return 1;
  return x < a + 1 ? gammaSeries(a, x) : 1 - gammaContinuedFraction(a, x);
}

/**
 * Regularized upper incomplete gamma Q(a, x) = 1 − P(a, x), computed directly (not as 1 − P)
 * where it is small, so tail probabilities keep their relative precision. a > 0, x >= 0.
 */
export function regularizedGammaQ(a: number, x: number): number {
  if (!(a > 0) || !(x >= 0)) return Number.NaN;
  if (x === 0) return 1;
  if (x === Number.POSITIVE_INFINITY) return 0;
  return x < a + 1 ? 1 - gammaSeries(a, x) : gammaContinuedFraction(a, x);
}

/**
 * Survival function of the chi-square distribution, P(X >= statistic) = Q(dof / 2, statistic / 2),
 * as `scipy.stats.chi2.sf`. dof > 0; statistic <= 0 gives 1, Infinity gives 0.
 */
export function chiSquareSf(statistic: number, dof: number): number {
  if (!(dof > 0) || Number.isNaN(statistic)) return Number.NaN;
  if (statistic <= 0) return 1;
  return regularizedGammaQ(dof / 2, statistic / 2);
}

/** erf(x) = sign(x) P(1/2, x²). */
export function erf(x: number): number {
  if (Number.isNaN(x)) return x;
  if (x === 0) return x;
  const magnitude = regularizedGammaP(0.5, x * x);
  return x < 0 ? -magnitude : magnitude;
}

/** erfc(x) = 1 − erf(x), as Q(1/2, x²) for x >= 0 so the upper tail keeps its relative precision. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return x;
  if (x === 0) return 1;
  return x > 0 ? regularizedGammaQ(0.5, x * x) : 1 + regularizedGammaP(0.5, x * x);
}

/** Standard normal CDF Φ(z), accurate in the lower tail (computed through erfc). */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

/** Standard normal survival function 1 − Φ(z), accurate in the upper tail. */
export function normalSf(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

/**
 * Standard normal quantile Φ⁻¹(p) for 0 < p < 1 (−∞ at 0, +∞ at 1, NaN outside). A rational
 * starting point (Abramowitz & Stegun 26.2.23, error < 4.5e-4) refined by Halley steps on the
 * tail that holds p, so the result is accurate to a few ulps.
 */
export function normalQuantile(p: number): number {
  if (Number.isNaN(p) || p < 0 || p > 1) return Number.NaN;
  if (p === 0) return Number.NEGATIVE_INFINITY;
  if (p === 1) return Number.POSITIVE_INFINITY;
  if (p === 0.5) return 0;
  // Solve the upper-tail equation normalSf(x) = q with x > 0, then restore the sign.
  const lower = p < 0.5;
  const q = lower ? p : 1 - p;
  const t = Math.sqrt(-2 * Math.log(q));
  let x =
    t -
    (2.515517 + 0.802853 * t + 0.010328 * t * t) / (1 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t ** 3);
  for (let i = 0; i < 50; i++) {
    const density = Math.exp(-0.5 * x * x - LN_SQRT_2PI);
    // f(x) = normalSf(x) − q, f' = −φ(x), f'' = x φ(x): Halley's update.
    const ratio = (normalSf(x) - q) / density;
    const step = ratio / (1 - 0.5 * x * ratio);
    x += step;
    if (Math.abs(step) <= 1e-15 * Math.abs(x)) break;
  }
  return lower ? -x : x;
}
