import { describe, expect, it } from 'vitest';
import {
  populationStd,
  StatsInputError,
  wassersteinDistance,
  wassersteinDistanceFromHistograms,
  wassersteinFromHistograms,
  wassersteinNormed,
} from '../../../src/monitor/stats/index.js';
import { naiveWasserstein, parkMiller } from './reference.js';

function expectInputError(run: () => unknown, reason: string, argument: string): void {
  expect(run).toThrow(StatsInputError);
  try {
    run();
  } catch (error) {
    expect((error as StatsInputError).reason).toBe(reason);
    expect((error as StatsInputError).argument).toBe(argument);
  }
}

describe('wassersteinDistance (scipy.stats.wasserstein_distance)', () => {
  it('by hand', () => {
    // A shift by 5 moves every unit of mass 5: W = 5.
    expect(wassersteinDistance([0, 1, 3], [5, 6, 8])).toBe(5);
    // [0,1,3] vs [0,1] by quantiles: t∈(⅓,½): |1−0|·⅙; t∈(⅔,1): |3−1|·⅓ → ⅙ + ⅔ = ⅚.
    expect(wassersteinDistance([0, 1, 3], [0, 1])).toBeCloseTo(5 / 6, 15);
    // Two single points: their distance.
    expect(wassersteinDistance([2], [-1.5])).toBe(3.5);
  });

  it('is 0 for identical samples in any order and for all-equal values', () => {
    expect(wassersteinDistance([3, 1, 2, 2], [2, 3, 2, 1])).toBe(0);
    expect(wassersteinDistance([4, 4, 4], [4, 4])).toBe(0);
  });

  it('matches SciPy on generated samples', () => {
    // scipy.stats.wasserstein_distance(pm(21,500), [u*1.3+0.1 for u in pm(22,700)])
    const a = parkMiller(21, 500);
    const b = parkMiller(22, 700).map((u) => u * 1.3 + 0.1);
    expect(wassersteinDistance(a, b)).toBeCloseTo(0.2688188520049765, 14);
    // ties: ([int(u*10) for u in pm(23,100)], [int(u*12) for u in pm(24,80)])
    const ti = parkMiller(23, 100).map((u) => Math.trunc(u * 10));
    const tj = parkMiller(24, 80).map((u) => Math.trunc(u * 12));
    expect(wassersteinDistance(ti, tj)).toBeCloseTo(0.8324999999999998, 14);
  });

  it('agrees with the quantile-function integral on random samples', () => {
    const draws = parkMiller(71, 3000);
    let next = 0;
    for (let trial = 0; trial < 50; trial++) {
      const n1 = 1 + Math.floor(draws[next++]! * 12);
      const n2 = 1 + Math.floor(draws[next++]! * 12);
      const a = Array.from({ length: n1 }, () => Math.round(draws[next++]! * 8) / 2);
      const b = Array.from({ length: n2 }, () => Math.round(draws[next++]! * 8) / 2);
      expect(wassersteinDistance(a, b)).toBeCloseTo(naiveWasserstein(a, b), 12);
    }
  });

  it('refuses empty and non-finite samples', () => {
    expectInputError(() => wassersteinDistance([], [1]), 'empty', 'u');
    expectInputError(() => wassersteinDistance([1], [Number.NaN]), 'not-finite', 'v');
  });
});

describe('wassersteinNormed (Evidently wasserstein)', () => {
  it('divides by the population standard deviation of the reference', () => {
    // [0,1,3]: mean 4/3, variance ((4/3)² + (1/3)² + (5/3)²)/3 = (42/9)/3 = 14/9, sd √14/3.
    expect(populationStd([0, 1, 3])).toBeCloseTo(Math.sqrt(14) / 3, 15);
    expect(wassersteinNormed([0, 1, 3], [5, 6, 8])).toBeCloseTo(5 / (Math.sqrt(14) / 3), 14);
  });

  it('floors the scale at 0.001 for a constant reference', () => {
    // W([1,1,1], [1,1,2]) = ⅓ (a third of the mass moves by 1); ⅓ / 0.001 = 333.33
    expect(wassersteinNormed([1, 1, 1], [1, 1, 2])).toBeCloseTo(1000 / 3, 10);
    expect(wassersteinNormed([1, 1, 1], [1, 1, 1])).toBe(0);
  });

  it('matches SciPy/NumPy on generated samples', () => {
    // wasserstein_distance(a, b) / max(np.std(a), 0.001) = 0.2688188520049765 / 0.2873126051164402
    const a = parkMiller(21, 500);
    const b = parkMiller(22, 700).map((u) => u * 1.3 + 0.1);
    expect(populationStd(a)).toBeCloseTo(0.2873126051164402, 14);
    expect(wassersteinNormed(a, b)).toBeCloseTo(0.9356319465901308, 13);
  });

  it('names the offending sample', () => {
    expectInputError(() => wassersteinNormed([], [1]), 'empty', 'reference');
    expectInputError(() => wassersteinNormed([1], [Number.POSITIVE_INFINITY]), 'not-finite', 'current');
  });
});

describe('wassersteinFromHistograms (linear CDF within each bin)', () => {
  it('by hand: adjacent uniform bins are one bin-width apart', () => {
    // edges 0,1,2; reference all in [0,1], current all in [1,2]: F_ref − F_cur at the edges 0, 1, 0
    // → each bin a triangle of area ½ → W = 1 = the distance between U[0,1] and U[1,2].
    expect(wassersteinDistanceFromHistograms([0, 1, 2], [1, 0], [0, 1])).toBe(1);
  });

  it('by hand: a sign change inside a bin counts both triangles', () => {
    // edges 0..3; reference (1,0,1) → F 0, ½, ½, 1; current (0,2,0) → F 0, 0, 1, 1.
    // Differences 0, ½, −½, 0: bin 0 area ¼; bin 1 crosses zero mid-bin, two triangles
    // (¼ + ¼)/(2·1) = ¼; bin 2 area ¼ → W = ¾ (the raw uniform densities give the same).
    expect(wassersteinDistanceFromHistograms([0, 1, 2, 3], [1, 0, 1], [0, 2, 0])).toBeCloseTo(0.75, 15);
  });

  it('is 0 when both histograms have the same shape, and scale-free in the counts', () => {
    expect(wassersteinDistanceFromHistograms([0, 1, 5], [3, 0], [7, 0])).toBe(0);
    expect(wassersteinDistanceFromHistograms([0, 2, 3, 9], [1, 2, 3], [10, 20, 30])).toBeCloseTo(0, 15);
  });

  it('matches the raw distance for data spread uniformly within the bins', () => {
    // 1000 evenly spaced points per unit: reference on [0,2] with density (¾, ¼), current (¼, ¾).
    const spread = (from: number, count: number) =>
      Array.from({ length: count }, (_, k) => from + (k + 0.5) / count);
    const reference = [...spread(0, 750), ...spread(1, 250)];
    const current = [...spread(0, 250), ...spread(1, 750)];
    const binned = wassersteinDistanceFromHistograms([0, 1, 2], [750, 250], [250, 750]);
    // Exact for uniform densities: F difference rises linearly to ½ and back: ½·2·½ = ½.
    expect(binned).toBeCloseTo(0.5, 15);
    expect(Math.abs(wassersteinDistance(reference, current) - binned)).toBeLessThan(1e-3);
  });

  it('divides by max(refStd, 0.001)', () => {
    expect(wassersteinFromHistograms([0, 1, 2], [1, 0], [0, 1], 0.5)).toBe(2);
    expect(wassersteinFromHistograms([0, 1, 2], [1, 0], [0, 1], 0)).toBeCloseTo(1000, 10);
  });

  it('refuses bad edges and counts', () => {
    expectInputError(
      () => wassersteinDistanceFromHistograms([0, 1], [1, 1], [1, 1]),
      'length-mismatch',
      'edges',
    );
    expectInputError(
      () => wassersteinDistanceFromHistograms([0, 1, 1], [1, 1], [1, 1]),
      'not-increasing',
      'edges',
    );
    expectInputError(
      () => wassersteinDistanceFromHistograms([0, 1, 2], [1, 1], [1]),
      'length-mismatch',
      'curCounts',
    );
    expectInputError(
      () => wassersteinDistanceFromHistograms([0, 1, 2], [0, 0], [1, 1]),
      'zero-total',
      'refCounts',
    );
    expectInputError(
      () => wassersteinDistanceFromHistograms([0, 1, Number.POSITIVE_INFINITY], [1, 1], [1, 1]),
      'not-finite',
      'edges',
    );
    expectInputError(() => wassersteinFromHistograms([0, 1, 2], [1, 1], [1, 1], -1), 'negative', 'refStd');
  });
});
