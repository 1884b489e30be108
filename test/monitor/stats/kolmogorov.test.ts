import { describe, expect, it } from 'vitest';
import { kolmogorovSf, kolmogorovSmirnovSf, smirnovSf } from '../../../src/monitor/stats/index.js';
import { relativeError } from './reference.js';

describe('kolmogorovSmirnovSf (scipy.stats.kstwo.sf)', () => {
  it('has closed forms at the ends', () => {
    // n = 1: D₁ = max(U, 1 − U), so P(D₁ >= x) = 2(1 − x) for x >= ½: 2 · 0.3 = 0.6.
    expect(kolmogorovSmirnovSf(1, 0.7)).toBeCloseTo(0.6, 15);
    // n·x >= n − 1 (Ruben–Gambino): 2(1 − x)ⁿ = 2 · 0.05¹⁰ = 1.953125e-13.
    expect(relativeError(kolmogorovSmirnovSf(10, 0.95), 1.953125e-13)).toBeLessThan(1e-12);
    // x <= 1/(2n): every sample has D_n >= 1/(2n).
    expect(kolmogorovSmirnovSf(10, 0.05)).toBe(1);
    expect(kolmogorovSmirnovSf(10, 1)).toBe(0);
    expect(kolmogorovSmirnovSf(10, 0)).toBe(1);
    expect(kolmogorovSmirnovSf(0, 0.5)).toBeNaN();
    expect(kolmogorovSmirnovSf(2.5, 0.5)).toBeNaN();
  });

  it('matches SciPy across every computation region', () => {
    // [n, x, scipy.stats.kstwo.sf(x, n)], SciPy 1.17.1. Regions: Ruben–Gambino (t <= 1), Durbin
    // matrix (small n·x²), SciPy's Pomeranz region (here Durbin), 2·smirnov, Pelz–Good (n > 140),
    // and Smirnov's n > 10⁶ approximation.
    const cases = [
      [2, 0.3, 0.98],
      [3, 0.4, 0.5946666666666665],
      [10, 0.08, 0.9999978058034054],
      [10, 0.3, 0.27053557479999946],
      [10, 0.6, 0.0005681672000000003],
      [50, 0.1, 0.6623112704658186],
      [50, 0.2, 0.03143877776953241],
      [50, 0.35, 5.573523514803185e-6],
      [140, 0.1, 0.11353657290090946],
      [141, 0.05, 0.854845693009663],
      [141, 0.1, 0.11128445516467944],
      [1000, 0.01, 0.9999496745370611],
      [1000, 0.03, 0.3226902143914636],
      [1000, 0.06, 0.001428597887952891],
      [5000, 0.015, 0.20846142096186204],
      [5000, 0.03, 0.00024159234422666817],
      [200000, 0.001, 0.9881500208855729],
      [200000, 0.004, 0.003314212822560255],
      [2000000, 0.001, 0.03660662431970485],
    ] as const;
    for (const [n, x, expected] of cases)
      expect(relativeError(kolmogorovSmirnovSf(n, x), expected), `n=${n} x=${x}`).toBeLessThan(1e-9);
  });

  it('approaches the limiting distribution as n grows', () => {
    for (const z of [0.6, 1, 1.4]) {
      const gap = Math.abs(kolmogorovSmirnovSf(1_000_000, z / 1000) - kolmogorovSf(z));
      expect(gap).toBeLessThan(2e-3);
    }
  });
});

describe('kolmogorovSf (scipy.special.kolmogorov)', () => {
  it('is 2e^(−2x²) to double precision for large x', () => {
    // The next term, 2e^(−8x²), is below 1e-31 at x = 3.
    expect(kolmogorovSf(3)).toBeCloseTo(2 * Math.exp(-18), 20);
  });

  it('matches SciPy on both sides of the series cut-over at 0.82', () => {
    // [x, scipy.special.kolmogorov(x)], SciPy 1.17.1
    const cases = [
      [0.03, 1],
      [0.3, 0.9999906941986655],
      [0.5, 0.9639452436648751],
      [0.82, 0.5119717052984973],
      [0.83, 0.4961909953505036],
      [1, 0.26999967167735456],
      [1.5, 0.022217962616525127],
    ] as const;
    for (const [x, expected] of cases) expect(relativeError(kolmogorovSf(x), expected)).toBeLessThan(1e-13);
    expect(kolmogorovSf(0)).toBe(1);
  });
});

describe('smirnovSf (scipy.special.smirnov)', () => {
  it('has closed forms for x <= 1/n and x >= 1 − 1/n', () => {
    // n = 1: P(D₁⁺ >= x) = 1 − x.
    expect(smirnovSf(1, 0.25)).toBe(0.75);
    // n·x <= 1: 1 − x(1 + x)^(n−1) = 1 − 0.1 · 1.1⁴ = 1 − 0.14641 = 0.85359.
    expect(smirnovSf(5, 0.1)).toBeCloseTo(0.85359, 15);
    // ⌊n·x⌋ >= n − 1: (1 − x)ⁿ = 0.03²⁰ = 3.486784401e-31.
    expect(relativeError(smirnovSf(20, 0.97), 3.486784401e-31)).toBeLessThan(1e-12);
  });

  it('matches SciPy for the Birnbaum–Tingey sum', () => {
    // [n, x, scipy.special.smirnov(n, x)], SciPy 1.17.1
    const cases = [
      [10, 0.3, 0.1354635556],
      [100, 0.1, 0.1265906584562817],
      [1000, 0.05, 0.006506037390545166],
      [1000, 0.001, 0.9972857902774867],
    ] as const;
    for (const [n, x, expected] of cases)
      expect(relativeError(smirnovSf(n, x), expected)).toBeLessThan(1e-11);
    expect(smirnovSf(10, 0)).toBe(1);
    expect(smirnovSf(10, 1)).toBe(0);
    expect(smirnovSf(10, 1.5)).toBeNaN();
  });
});
