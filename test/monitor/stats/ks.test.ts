import { describe, expect, it } from 'vitest';
import {
  kolmogorovSmirnovSf,
  ksExactPValue,
  ksFromCdfs,
  ksTest,
  StatsInputError,
} from '../../../src/monitor/stats/index.js';
import { naiveKsExactPValue, naiveKsStatistic, parkMiller, relativeError } from './reference.js';

function expectInputError(run: () => unknown, reason: string, argument: string): void {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(StatsInputError);
    expect(error).toBeInstanceOf(RangeError);
    expect((error as StatsInputError).reason).toBe(reason);
    expect((error as StatsInputError).argument).toBe(argument);
    return;
  }
  throw new Error('expected a StatsInputError');
}

describe('ksTest, by hand', () => {
  it('disjoint samples: D = 1 and p = 2 / C(8, 3)', () => {
    // Only the two orderings "all reference first" and "all current first" separate the samples
    // completely: p = 2 / 56 = 1/28.
    const result = ksTest([1, 2, 3, 4, 5], [6, 7, 8]);
    expect(result.statistic).toBe(1);
    expect(result.pValue).toBeCloseTo(1 / 28, 15);
    expect(result.method).toBe('exact');
    expect(ksTest([6, 7, 8], [1, 2, 3, 4, 5]).pValue).toBeCloseTo(1 / 28, 15);
  });

  it('identical samples, in any order: D = 0 and p = 1', () => {
    expect(ksTest([3, 1, 2], [1, 2, 3])).toEqual({ statistic: 0, pValue: 1, method: 'exact' });
  });

  it('steps both CDFs together at tied values', () => {
    // reference [1,1,2,2,3] (n=5), current [1,2,2,3,3,3] (n=6):
    //   after 1: 2/5 − 1/6 = 0.2333;  after 2: 4/5 − 3/6 = 0.3;  after 3: 1 − 1 = 0.
    // Evaluating between tied values instead would give |2/5 − 0| = 0.4 at the first 1.
    const result = ksTest([1, 1, 2, 2, 3], [1, 2, 2, 3, 3, 3]);
    expect(result.statistic).toBeCloseTo(0.3, 15);
    // scipy.stats.ks_2samp([1,1,2,2,3], [1,2,2,3,3,3]).pvalue
    expect(result.pValue).toBeCloseTo(0.8961038961038962, 14);
  });

  it('single elements and all-equal values', () => {
    // [1] vs [2]: both orderings of the two points give D = 1, so p = 1 (scipy agrees).
    expect(ksTest([1], [2])).toEqual({ statistic: 1, pValue: 1, method: 'exact' });
    expect(ksTest([3, 3, 3], [3, 3])).toEqual({ statistic: 0, pValue: 1, method: 'exact' });
  });

  it('refuses empty and non-finite samples', () => {
    expectInputError(() => ksTest([], [1]), 'empty', 'reference');
    expectInputError(() => ksTest([1], []), 'empty', 'current');
    expectInputError(() => ksTest([1, Number.NaN], [1]), 'not-finite', 'reference');
    expectInputError(() => ksTest([1], [Number.POSITIVE_INFINITY]), 'not-finite', 'current');
  });
});

describe('ksTest against scipy.stats.ks_2samp (SciPy 1.17.1, method="auto")', () => {
  // Samples come from parkMiller(seed, n); Python generated the same doubles.
  it('exact p-values', () => {
    const cases = [
      // ks_2samp(pm(1,300), [u*1.1 for u in pm(2,200)])
      [parkMiller(1, 300), parkMiller(2, 200).map((u) => u * 1.1), 0.13166666666666665, 0.029211288018390635],
      // ks_2samp(pm(3,60), [u+0.2 for u in pm(4,45)])
      [parkMiller(3, 60), parkMiller(4, 45).map((u) => u + 0.2), 0.29444444444444445, 0.0189869699101248],
      // equal sizes: ks_2samp(pm(5,5000), [u+0.03 for u in pm(6,5000)])
      [parkMiller(5, 5000), parkMiller(6, 5000).map((u) => u + 0.03), 0.0414, 0.000378897480158173],
      // largest exact case: ks_2samp(pm(7,10000), [u+0.02 for u in pm(8,9999)])
      [
        parkMiller(7, 10000),
        parkMiller(8, 9999).map((u) => u + 0.02),
        0.02702903290329033,
        0.0013251654029542404,
      ],
      // ties: ks_2samp([int(u*6) for u in pm(9,40)], [int(u*6+0.5) for u in pm(10,30)])
      [
        parkMiller(9, 40).map((u) => Math.trunc(u * 6)),
        parkMiller(10, 30).map((u) => Math.trunc(u * 6 + 0.5)),
        0.10833333333333334,
        0.9763557698937916,
      ],
    ] as const;
    for (const [reference, current, statistic, pValue] of cases) {
      const result = ksTest(reference, current);
      expect(result.method).toBe('exact');
      expect(result.statistic).toBeCloseTo(statistic, 14);
      expect(relativeError(result.pValue, pValue)).toBeLessThan(1e-9);
    }
  });

  it('asymptotic p-values above 10 000 values', () => {
    const reference = parkMiller(11, 12000);
    const cases = [
      // ks_2samp(pm(11,12000), [u+0.015 for u in pm(12,11000)]): en = 5739.13 → kstwo(·, 5739), Pelz–Good
      [reference, parkMiller(12, 11000).map((u) => u + 0.015), 0.01917424242424237, 0.029021276040437916],
      // ... u+0.04: the 2·smirnov region
      [reference, parkMiller(12, 11000).map((u) => u + 0.04), 0.043030303030303085, 1.1354568672148972e-9],
      // ks_2samp(pm(13,10001), [u+0.3 for u in pm(14,7)]): en = 6.995 → kstwo(·, 7)
      [parkMiller(13, 10001), parkMiller(14, 7).map((u) => u + 0.3), 0.4317139714599969, 0.10607195319375773],
    ] as const;
    for (const [ref, current, statistic, pValue] of cases) {
      const result = ksTest(ref, current);
      expect(result.method).toBe('asymptotic');
      expect(result.statistic).toBeCloseTo(statistic, 13);
      expect(relativeError(result.pValue, pValue)).toBeLessThan(1e-9);
    }
  });
});

describe('ksTest against the naive definitions on random samples', () => {
  it('statistic equals sup |F_ref − F_cur| counted at every point; p equals path enumeration', () => {
    const draws = parkMiller(99, 4000);
    let next = 0;
    const draw = () => draws[next++]!;
    for (let trial = 0; trial < 60; trial++) {
      const n1 = 1 + Math.floor(draw() * 8);
      const n2 = 1 + Math.floor(draw() * 7);
      // Few distinct values so ties are common.
      const a = Array.from({ length: n1 }, () => Math.floor(draw() * 5));
      const b = Array.from({ length: n2 }, () => Math.floor(draw() * 5));
      const result = ksTest(a, b);
      const statistic = naiveKsStatistic(a, b);
      expect(result.statistic).toBeCloseTo(statistic, 14);
      expect(result.pValue).toBeCloseTo(naiveKsExactPValue(n1, n2, statistic), 12);
    }
  });
});

describe('ksExactPValue', () => {
  it('equal sizes by hand', () => {
    // n1 = n2 = 2, lcm 2: D = 1 (h = 2) only for the 2 separated orderings of C(4, 2) = 6 → 1/3;
    // D >= ½ (h = 1) for every ordering → 1.
    expect(ksExactPValue(2, 2, 2)).toBeCloseTo(1 / 3, 15);
    expect(ksExactPValue(2, 2, 1)).toBe(1);
    expect(ksExactPValue(2, 2, 0)).toBe(1);
  });

  it('agrees with path enumeration for every attainable statistic', () => {
    for (const [n1, n2] of [
      [3, 5],
      [4, 6],
      [6, 6],
      [7, 2],
      [1, 9],
    ] as const) {
      const lcm = (n1 * n2) / gcd(n1, n2);
      for (let h = 0; h <= lcm; h++)
        expect(ksExactPValue(n1, n2, h), `${n1},${n2},${h}`).toBeCloseTo(
          naiveKsExactPValue(n1, n2, h / lcm),
          13,
        );
    }
  });

  it('refuses sizes and statistics it cannot mean', () => {
    expectInputError(() => ksExactPValue(0, 3, 1), 'empty', 'n1');
    expectInputError(() => ksExactPValue(2, 3, 7), 'out-of-range', 'h');
    expectInputError(() => ksExactPValue(2.5, 3, 1), 'not-integer', 'n1');
  });
});

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

describe('ksFromCdfs', () => {
  it('equals ksTest’s statistic when every distinct value is an edge', () => {
    // The tie example above, by cumulative counts at the edges 1, 2, 3:
    // reference [2, 4, 5] of 5, current [1, 3, 6] of 6 → gaps 0.2333, 0.3, 0.
    const result = ksFromCdfs([2, 4, 5], [1, 3, 6], 5, 6);
    expect(result.statistic).toBeCloseTo(0.3, 15);
    expect(result.method).toBe('asymptotic');
    // scipy.stats.ks_2samp([1,1,2,2,3], [1,2,2,3,3,3], method='asymp').pvalue: kstwo.sf(0.3, round(30/11) = 3)
    expect(result.pValue).toBeCloseTo(0.8862222222222221, 14);
  });

  it('is a lower bound of the statistic on the raw values', () => {
    const reference = parkMiller(51, 400);
    const current = parkMiller(52, 300).map((u) => u ** 1.5);
    const raw = ksTest(reference, current).statistic;
    const edges = [0.1, 0.25, 0.5, 0.75, 0.9];
    const cdf = (sample: number[]) => edges.map((edge) => sample.filter((v) => v <= edge).length);
    const binned = ksFromCdfs(cdf(reference), cdf(current), 400, 300);
    expect(binned.statistic).toBeLessThanOrEqual(raw);
    expect(binned.statistic).toBeGreaterThan(0);
    expect(binned.pValue).toBeCloseTo(kolmogorovSmirnovSf(171, binned.statistic), 15);
  });

  it('refuses inconsistent cumulative counts', () => {
    expectInputError(() => ksFromCdfs([], [], 1, 1), 'empty', 'referenceCdf');
    expectInputError(() => ksFromCdfs([1, 2], [1], 2, 2), 'length-mismatch', 'currentCdf');
    expectInputError(() => ksFromCdfs([2, 1], [1, 2], 2, 2), 'not-increasing', 'referenceCdf');
    expectInputError(() => ksFromCdfs([1, 2], [1, 3], 2, 2), 'out-of-range', 'currentCdf');
    expectInputError(() => ksFromCdfs([-1, 2], [1, 2], 2, 2), 'negative', 'referenceCdf');
    expectInputError(() => ksFromCdfs([1, 2], [1, 2], 0, 2), 'empty', 'nRef');
    expectInputError(() => ksFromCdfs([1, 2], [1, 2], 2, 1.5), 'not-integer', 'nCur');
  });
});
