import { describe, expect, it } from 'vitest';
import {
  chiSquareTest,
  jensenShannon,
  psi,
  StatsInputError,
  zTestProportions,
} from '../../../src/monitor/stats/index.js';
import { evenDofChiSquareSf, parkMiller, relativeError } from './reference.js';

function expectInputError(run: () => unknown, reason: string, argument: string): void {
  expect(run).toThrow(StatsInputError);
  try {
    run();
  } catch (error) {
    expect((error as StatsInputError).reason).toBe(reason);
    expect((error as StatsInputError).argument).toBe(argument);
  }
}

const sumOf = (values: number[]) => values.reduce((total, value) => total + value, 0);

describe('psi', () => {
  it('by hand', () => {
    // r = (0.5, 0.5), c = (0.25, 0.75):
    //   (0.25 − 0.5)·ln(0.25/0.5) = 0.25·ln 2,  (0.75 − 0.5)·ln(0.75/0.5) = 0.25·ln 1.5
    //   total 0.25·(ln 2 + ln 1.5) = 0.25·ln 3 = 0.27465307216702745
    const result = psi([50, 50], [25, 75]);
    expect(result.contributions[0]).toBeCloseTo(0.25 * Math.LN2, 15);
    expect(result.contributions[1]).toBeCloseTo(0.25 * Math.log(1.5), 15);
    expect(result.value).toBeCloseTo(0.25 * Math.log(3), 15);
  });

  it('is 0 for identical proportions and symmetric in its arguments', () => {
    expect(psi([10, 20, 30], [1, 2, 3]).value).toBe(0);
    expect(psi([3, 5, 9], [4, 4, 1]).value).toBeCloseTo(psi([4, 4, 1], [3, 5, 9]).value, 15);
  });

  it('floors an empty bin at epsilon', () => {
    // r = (1, 0 → 1e-4), c = (0.5, 0.5):
    //   (0.5 − 1)·ln(0.5/1) = 0.5·ln 2 = 0.34657;  (0.5 − 1e-4)·ln(0.5/1e-4) = 0.4999·ln 5000 = 4.25775
    const result = psi([100, 0], [50, 50]);
    expect(result.contributions[0]).toBeCloseTo(0.5 * Math.LN2, 15);
    expect(result.contributions[1]).toBeCloseTo(0.4999 * Math.log(5000), 13);
    expect(psi([100, 0], [50, 50], { epsilon: 1e-3 }).contributions[1]).toBeCloseTo(
      0.499 * Math.log(500),
      13,
    );
  });

  it('uses a millionth of the smallest proportion when that is below epsilon (Evidently)', () => {
    // r = (1e-5, 0.99999, 0): smallest non-zero 1e-5 <= 1e-4, so the empty bin becomes 1e-11;
    // c = (0.5, 0.25, 0.25): third term (0.25 − 1e-11)·ln(0.25/1e-11).
    const result = psi([1, 99999, 0], [2, 1, 1]);
    expect(result.contributions[2]).toBeCloseTo((0.25 - 1e-11) * Math.log(0.25 / 1e-11), 12);
  });

  it('refuses bad histograms', () => {
    expectInputError(() => psi([], []), 'empty', 'referenceCounts');
    expectInputError(() => psi([1, 2], [1]), 'length-mismatch', 'currentCounts');
    expectInputError(() => psi([1, -2], [1, 2]), 'negative', 'referenceCounts');
    expectInputError(() => psi([0, 0], [1, 2]), 'zero-total', 'referenceCounts');
    expectInputError(() => psi([1, 2], [0, 0]), 'zero-total', 'currentCounts');
    expectInputError(() => psi([1, 2], [1, Number.NaN]), 'not-finite', 'currentCounts');
    expectInputError(() => psi([1, 2], [1, 2], { epsilon: 0 }), 'out-of-range', 'epsilon');
  });
});

describe('jensenShannon', () => {
  it('by hand', () => {
    // p = (½, ½), q = (¼, ¾), m = (⅜, ⅝):
    //   bin 0: ½(½·ln(½/⅜) + ¼·ln(¼/⅜)) = ½(0.143841 − 0.101366) = 0.0212375
    //   bin 1: ½(½·ln(½/⅝) + ¾·ln(¾/⅝)) = ½(−0.111572 + 0.136741) = 0.0125845
    //   divergence 0.033822, distance √0.033822 = 0.183908
    const result = jensenShannon([1, 1], [1, 3]);
    const bin0 = 0.5 * (0.5 * Math.log(0.5 / 0.375) + 0.25 * Math.log(0.25 / 0.375));
    const bin1 = 0.5 * (0.5 * Math.log(0.5 / 0.625) + 0.75 * Math.log(0.75 / 0.625));
    expect(result.contributions[0]).toBeCloseTo(bin0, 15);
    expect(result.contributions[1]).toBeCloseTo(bin1, 15);
    expect(result.value).toBeCloseTo(Math.sqrt(bin0 + bin1), 15);
    // scipy.spatial.distance.jensenshannon([1, 1], [1, 3])
    expect(result.value).toBeCloseTo(0.18390779094047432, 15);
  });

  it('is √ln 2 for disjoint supports and 0 for identical ones', () => {
    // m = (½, ½): each side contributes ½·1·ln 2, divergence ln 2.
    expect(jensenShannon([1, 0], [0, 1]).value).toBeCloseTo(Math.sqrt(Math.LN2), 15);
    expect(jensenShannon([3, 0, 0], [3, 0, 0])).toEqual({ value: 0, contributions: [0, 0, 0] });
    expect(jensenShannon([2, 4, 6], [1, 2, 3]).value).toBe(0);
  });

  it('matches scipy.spatial.distance.jensenshannon with empty bins', () => {
    // scipy.spatial.distance.jensenshannon([10, 20, 30, 0], [12, 18, 25, 5])
    const result = jensenShannon([10, 20, 30, 0], [12, 18, 25, 5]);
    expect(result.value).toBeCloseTo(0.17881585845264694, 15);
    expect(sumOf(result.contributions)).toBeCloseTo(result.value ** 2, 15);
    // The bin present in one histogram only carries the largest share.
    expect(Math.max(...result.contributions)).toBe(result.contributions[3]);
  });

  it('refuses mismatched histograms', () => {
    expectInputError(() => jensenShannon([1, 2, 3], [1, 2]), 'length-mismatch', 'currentCounts');
    expectInputError(() => jensenShannon([0], [1]), 'zero-total', 'referenceCounts');
  });
});

describe('chiSquareTest (Evidently chisquare: current against reference proportions)', () => {
  it('by hand', () => {
    // totals 60 and 60, so expected = reference = (10, 20, 30):
    //   (15−10)²/10 + (15−20)²/20 + 0 = 2.5 + 1.25 = 3.75, dof 2, p = e^(−3.75/2) = e^(−1.875)
    const result = chiSquareTest([10, 20, 30], [15, 15, 30]);
    expect(result.contributions).toEqual([2.5, 1.25, 0]);
    expect(result.statistic).toBe(3.75);
    expect(result.dof).toBe(2);
    expect(result.pValue).toBeCloseTo(Math.exp(-1.875), 14);
  });

  it('scales the reference to the current total (scipy.stats.chisquare)', () => {
    // expected = [120, 80, 40, 10] · 90/250; scipy.stats.chisquare([30,35,20,5], expected)
    const result = chiSquareTest([120, 80, 40, 10], [30, 35, 20, 5]);
    expect(result.statistic).toBeCloseTo(8.090277777777779, 13);
    expect(result.dof).toBe(3);
    expect(relativeError(result.pValue, 0.04418232066116657)).toBeLessThan(1e-12);
  });

  it('gives statistic ∞ and p = 0 for a category new in the current data (as SciPy)', () => {
    const result = chiSquareTest([5, 0, 7], [5, 2, 7]);
    expect(result.statistic).toBe(Number.POSITIVE_INFINITY);
    expect(result.pValue).toBe(0);
  });

  it('ignores bins empty in both histograms and treats one bin as no evidence', () => {
    const withEmpty = chiSquareTest([10, 0, 20, 30], [15, 0, 15, 30]);
    expect(withEmpty.dof).toBe(2);
    expect(withEmpty.statistic).toBe(3.75);
    expect(chiSquareTest([7, 0], [3, 0])).toEqual({ statistic: 0, pValue: 1, dof: 0, contributions: [0, 0] });
    expect(chiSquareTest([4, 4], [9, 9]).pValue).toBe(1);
  });

  it('agrees with the even-dof closed form on random histograms', () => {
    const draws = parkMiller(61, 2000);
    for (let trial = 0; trial < 40; trial++) {
      const bins = 3 + 2 * (trial % 4); // odd bin counts → even dof
      const reference = Array.from({ length: bins }, (_, i) => 5 + Math.floor(draws[trial * 20 + i]! * 50));
      const current = Array.from(
        { length: bins },
        (_, i) => 5 + Math.floor(draws[trial * 20 + 10 + i]! * 50),
      );
      const refTotal = sumOf(reference);
      const curTotal = sumOf(current);
      const statistic = sumOf(
        current.map((observed, i) => {
          const expected = (reference[i]! * curTotal) / refTotal;
          return (observed - expected) ** 2 / expected;
        }),
      );
      const result = chiSquareTest(reference, current);
      expect(result.statistic).toBeCloseTo(statistic, 10);
      expect(relativeError(result.pValue, evenDofChiSquareSf(statistic, bins - 1))).toBeLessThan(1e-10);
    }
  });
});

describe('zTestProportions (Evidently z)', () => {
  it('by hand', () => {
    // 30/100 vs 50/100: pooled P = 0.4, se = √(0.4·0.6·(1/100 + 1/100)) = √0.0048 = 0.0692820
    // z = (0.3 − 0.5)/0.0692820 = −2.886751; p = 2·(1 − Φ(2.886751)) = 0.0038924
    const result = zTestProportions(30, 100, 50, 100);
    expect(result.statistic).toBeCloseTo(-0.2 / Math.sqrt(0.0048), 14);
    // 2 * scipy.stats.norm.sf(2.886751345948129)
    expect(relativeError(result.pValue, 0.003892417122778628)).toBeLessThan(1e-12);
  });

  it('matches the SciPy-computed reference values', () => {
    // [refSuccesses, refTotal, curSuccesses, curTotal, z, 2 * scipy.stats.norm.sf(|z|)]
    const cases = [
      [5, 20, 9, 25, -0.7920253452165767, 0.428345897981267],
      [500, 1000, 560, 1000, -2.6881245598254755, 0.007185458758132356],
    ] as const;
    for (const [rs, rt, cs, ct, z, p] of cases) {
      const result = zTestProportions(rs, rt, cs, ct);
      expect(result.statistic).toBeCloseTo(z, 13);
      expect(relativeError(result.pValue, p)).toBeLessThan(1e-12);
    }
  });

  it('is symmetric, and p = 1 for equal proportions or a single shared value', () => {
    expect(zTestProportions(50, 100, 30, 100).pValue).toBe(zTestProportions(30, 100, 50, 100).pValue);
    expect(zTestProportions(10, 40, 5, 20)).toEqual({ statistic: 0, pValue: 1 });
    expect(zTestProportions(0, 40, 0, 20)).toEqual({ statistic: 0, pValue: 1 });
    expect(zTestProportions(40, 40, 20, 20)).toEqual({ statistic: 0, pValue: 1 });
  });

  it('keeps a tiny p-value instead of rounding it to 0', () => {
    // 100/1000 vs 300/1000: pooled 0.2, z = −0.2/√(0.2·0.8·0.002) = −11.1803; Evidently's
    // 2·(1 − Φ(|z|)) rounds to 0, 2·Φ(−|z|) does not. 2 * scipy.stats.norm.sf(11.180339887498947):
    const result = zTestProportions(100, 1000, 300, 1000);
    expect(result.statistic).toBeCloseTo(-11.180339887498947, 12);
    expect(relativeError(result.pValue, 5.089468973814369e-29)).toBeLessThan(1e-11);
  });

  it('refuses impossible counts', () => {
    expectInputError(() => zTestProportions(5, 0, 1, 2), 'empty', 'refTotal');
    expectInputError(() => zTestProportions(5, 4, 1, 2), 'out-of-range', 'refSuccesses');
    expectInputError(() => zTestProportions(1, 4, 3, 2), 'out-of-range', 'curSuccesses');
    expectInputError(() => zTestProportions(1.5, 4, 1, 2), 'not-integer', 'refSuccesses');
  });
});
