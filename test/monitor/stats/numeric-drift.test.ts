import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildProfile } from '../../../src/monitor/profile.js';
import { quantileEdgesOfSorted } from '../../../src/monitor/stats/bins.js';
import {
  chiSquareTest,
  jensenShannon,
  kolmogorovSmirnovSf,
  ksTest,
  ksTestSorted,
  numericDrift,
  numericDriftSorted,
  populationStd,
  psi,
  StatsInputError,
  wassersteinDistance,
  wassersteinNormed,
} from '../../../src/monitor/stats/index.js';
import { sortFloat64 } from '../../../src/monitor/stats/radix-sort.js';
import {
  previousBinCounts,
  previousKsTest,
  previousPopulationStd,
  previousProfileEdges,
  previousQuantileEdges,
  previousWassersteinDistance,
  previousWassersteinNormed,
} from './previous-drift.js';
import { parkMiller, relativeError } from './reference.js';

/** Interior quantile edges of unsorted values, as profiles compute them. */
const edgesOf = (values: readonly number[], bins: number) =>
  quantileEdgesOfSorted(sortFloat64(new Float64Array(values)), bins);

function expectInputError(run: () => unknown, reason: string, argument: string): void {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(StatsInputError);
    expect((error as StatsInputError).reason).toBe(reason);
    expect((error as StatsInputError).argument).toBe(argument);
    return;
  }
  throw new Error('expected a StatsInputError');
}

/** Sum of three uniforms, scaled and shifted — the generator of test/fixtures/drift-scipy/make.py. */
function bell(seed: number, count: number, shift = 0, scale = 1): number[] {
  const u = parkMiller(seed, 3 * count);
  return Array.from({ length: count }, (_, k) => (u[3 * k]! + u[3 * k + 1]! + u[3 * k + 2]!) * scale + shift);
}

/** Values on a grid of `levels` steps of 0.1 (many ties), as make.py's `steps`. */
function steps(seed: number, count: number, levels: number, shift = 0): number[] {
  return parkMiller(seed, count).map((u) => Math.trunc(u * levels) / 10 + shift);
}

describe('numericDrift: refused inputs', () => {
  it('refuses empty samples, naming the sample', () => {
    expectInputError(() => numericDrift([], [1]), 'empty', 'reference');
    expectInputError(() => numericDrift(new Float64Array(3), new Float64Array(0)), 'empty', 'current');
  });

  it('refuses NaN and infinities in either kind of array', () => {
    expectInputError(() => numericDrift([1, Number.NaN], [1]), 'not-finite', 'reference');
    expectInputError(
      () => numericDrift(new Float64Array([1, 2]), Float64Array.of(0, Number.POSITIVE_INFINITY)),
      'not-finite',
      'current',
    );
  });

  it('refuses bins that are not a positive integer and an epsilon outside (0, 1)', () => {
    for (const bins of [0, -3, 2.5, Number.NaN])
      expectInputError(() => numericDrift([1], [2], { bins }), 'out-of-range', 'bins');
    for (const psiEpsilon of [0, 1, -0.1, Number.NaN])
      expectInputError(() => numericDrift([1], [2], { psiEpsilon }), 'out-of-range', 'psiEpsilon');
  });

  it('refuses unsorted, empty or non-finite arrays handed over as sorted, and a bad standard deviation', () => {
    expectInputError(
      () => numericDriftSorted(Float64Array.of(1, 3, 2), Float64Array.of(1), 1),
      'not-increasing',
      'sortedReference',
    );
    expectInputError(
      () => numericDriftSorted(Float64Array.of(1), Float64Array.of(Number.NaN), 1),
      'not-finite',
      'sortedCurrent',
    );
    expectInputError(() => ksTestSorted(new Float64Array(0), Float64Array.of(1)), 'empty', 'sortedReference');
    expectInputError(
      () => ksTestSorted(Float64Array.of(1), Float64Array.of(2, 1)),
      'not-increasing',
      'sortedCurrent',
    );
    for (const std of [-1, Number.NaN, Number.POSITIVE_INFINITY])
      expectInputError(
        () => numericDriftSorted(Float64Array.of(1), Float64Array.of(2), std),
        'out-of-range',
        'referenceStd',
      );
  });
});

describe('numericDrift: the same answers as the single-measure functions', () => {
  it('never reorders the caller’s arrays', () => {
    const reference = new Float64Array([3, 1, 2]);
    const current = [9, 7, 8];
    numericDrift(reference, current);
    ksTest(reference, current);
    wassersteinNormed(reference, current);
    expect([...reference]).toEqual([3, 1, 2]);
    expect(current).toEqual([9, 7, 8]);
  });

  it('gives the same result for arrays and Float64Arrays, and equals each single measure', () => {
    const reference = bell(1, 4000);
    const current = bell(2, 3000, 0.1);
    const result = numericDrift(reference, current);
    expect(numericDrift(Float64Array.from(reference), Float64Array.from(current))).toEqual(result);
    expect(result.ks).toEqual(ksTest(reference, current));
    expect(result.wasserstein).toBe(wassersteinDistance(reference, current));
    expect(result.wassersteinNormed).toBe(wassersteinNormed(reference, current));
    expect(result.referenceStd).toBe(populationStd(reference));
    expect(result.psi).toEqual(psi(result.referenceCounts, result.currentCounts));
    expect(result.jensenShannon).toEqual(jensenShannon(result.referenceCounts, result.currentCounts));
    expect(result.referenceCounts.reduce((a, b) => a + b)).toBe(4000);
    expect(result.currentCounts.reduce((a, b) => a + b)).toBe(3000);
    const sorted = numericDriftSorted(
      Float64Array.from(reference).sort(),
      Float64Array.from(current).sort(),
      result.referenceStd,
    );
    expect(sorted).toEqual(result);
  });

  it('passes psiEpsilon and bins through', () => {
    const reference = steps(3, 500, 30);
    const current = steps(4, 500, 40);
    const result = numericDrift(reference, current, { bins: 5, psiEpsilon: 0.01 });
    expect(result.edges).toHaveLength(4);
    expect(result.psi).toEqual(psi(result.referenceCounts, result.currentCounts, { epsilon: 0.01 }));
  });
});

const unsignedZero = (value: number) => (value === 0 ? 0 : value);

describe('differential: bit-identical to the previous implementation on random data', () => {
  // Shapes that stress different paths: continuous, heavy ties across samples, few distinct values
  // (one bin per value), signed zeros, a single point, the exact (<= 10 000) and asymptotic sizes.
  const shapes: [string, () => [number[], number[]]][] = [
    ['continuous, asymptotic sizes', () => [bell(11, 12_000), bell(12, 10_500, 0.01, 1.02)]],
    ['continuous, exact sizes', () => [bell(13, 900), bell(14, 1300, -0.05)]],
    ['heavy ties across samples', () => [steps(15, 15_000, 80), steps(16, 11_000, 90, -0.2)]],
    ['few distinct values', () => [steps(17, 2000, 5), steps(18, 2500, 8)]],
    [
      'signed zeros and negatives',
      () => [steps(19, 700, 6).map((v) => (v === 0 ? -0 : v - 0.2)), steps(20, 600, 6).map((v) => v - 0.2)],
    ],
    ['single points', () => [[2.5], [-1]]],
    ['one side constant', () => [new Array(400).fill(0.25), bell(21, 300)]],
  ];
  for (const [name, make] of shapes)
    it(name, () => {
      const [reference, current] = make();
      const result = numericDrift(reference, current);
      const previousKs = previousKsTest(reference, current);
      expect(result.ks).toEqual(previousKs);
      expect(ksTest(Float64Array.from(reference), current)).toEqual(previousKs);
      const previousDistance = previousWassersteinDistance(reference, current);
      expect(result.wasserstein).toBe(previousDistance);
      expect(wassersteinDistance(reference, Float64Array.from(current))).toBe(previousDistance);
      expect(result.wassersteinNormed).toBe(previousWassersteinNormed(reference, current));
      expect(wassersteinNormed(reference, current)).toBe(previousWassersteinNormed(reference, current));
      expect(result.referenceStd).toBe(previousPopulationStd(reference));
      const edges = previousProfileEdges(reference, 20);
      // An edge at zero may now be −0 where it was +0 (which of the two a Set kept depended on
      // input order); they compare equal, so every bin count below is unchanged.
      expect(result.edges.map(unsignedZero)).toEqual(edges.map(unsignedZero));
      expect(edgesOf(reference, 20)).toEqual(previousQuantileEdges(reference, 20));
      const referenceCounts = previousBinCounts(reference, edges);
      const currentCounts = previousBinCounts(current, edges);
      expect(result.referenceCounts).toEqual(referenceCounts);
      expect(result.currentCounts).toEqual(currentCounts);
      expect(result.psi).toEqual(psi(referenceCounts, currentCounts));
      expect(result.jensenShannon).toEqual(jensenShannon(referenceCounts, currentCounts));
    });

  it('on 40 random pairs of random sizes, grids and shifts', () => {
    const draws = parkMiller(23, 40 * 4);
    for (let t = 0; t < 40; t++) {
      const [sizeA, sizeB, grid, shift] = draws.slice(4 * t, 4 * t + 4) as [number, number, number, number];
      const levels = 2 + Math.floor(grid * 400);
      const reference = steps(100 + t, 1 + Math.floor(sizeA * 3000), levels);
      const current = steps(200 + t, 1 + Math.floor(sizeB * 3000), levels, shift - 0.5);
      const bins = 2 + (t % 25);
      const result = numericDrift(reference, current, { bins });
      expect(result.ks).toEqual(previousKsTest(reference, current));
      expect(result.wasserstein).toBe(previousWassersteinDistance(reference, current));
      expect(result.wassersteinNormed).toBe(previousWassersteinNormed(reference, current));
      const edges = previousProfileEdges(reference, bins);
      expect(result.edges.map(unsignedZero)).toEqual(edges.map(unsignedZero));
      expect(result.referenceCounts).toEqual(previousBinCounts(reference, edges));
      expect(result.currentCounts).toEqual(previousBinCounts(current, edges));
    }
  });

  it('profiles keep the edges, distinct counts and bin counts they had', () => {
    const rows = bell(22, 3000).map((x, k) => ({ x, n: k % 7, p: k % 2 }));
    const profile = buildProfile(
      { system: 's', task: 'classification', prediction: 'p', features: { x: 'numeric', n: 'numeric' } },
      { name: 'd', sha256: '-', rows, rejected: 0 },
      new Date(0),
    );
    const xs = rows.map((row) => row.x);
    const ns = rows.map((row) => row.n);
    const x = profile.features.x!;
    const n = profile.features.n!;
    expect(x.kind === 'numeric' && x.edges).toEqual(previousProfileEdges(xs, 20));
    expect(n.kind === 'numeric' && n.edges).toEqual(previousProfileEdges(ns, 20));
    expect([x.uniqueValues, n.uniqueValues]).toEqual([new Set(xs).size, 7]);
  });
});

interface ScipyNumericCase {
  bins: number;
  ksAsymptotic: { statistic: number; pValue: number };
  ksAuto: { statistic: number; pValue: number };
  wasserstein: number;
  referenceStd: number;
  edges: number[];
  referenceCounts: number[];
  currentCounts: number[];
  psi: number;
  jensenShannon: number;
}

interface ScipyCategoricalCase {
  referenceCounts: number[];
  currentCounts: number[];
  chiSquare: { statistic: number; pValue: number };
  jensenShannon: number;
}

// Recorded by test/fixtures/drift-scipy/make.py (SciPy 1.17.1, NumPy 2.4.6); the samples are
// regenerated here with the same generators.
const scipy = JSON.parse(
  readFileSync(new URL('../../fixtures/drift-scipy/reference.json', import.meta.url), 'utf8'),
) as { numeric: Record<string, ScipyNumericCase>; categorical: Record<string, ScipyCategoricalCase> };

const scipySamples: Record<string, () => [number[], number[]]> = {
  'bell-shifted': () => [bell(101, 30000), bell(102, 25000, 0.02)],
  'bell-scaled': () => [bell(103, 12000), bell(104, 18000, -0.05, 1.1)],
  ties: () => [steps(105, 20000, 50), steps(106, 15000, 50, 0.1)],
  'few-values': () => [steps(107, 11000, 6), steps(108, 9000, 7)],
  'small-exact': () => [bell(109, 300), bell(110, 200, 0.3)],
};

describe('numericDrift matches SciPy (test/fixtures/drift-scipy)', () => {
  it('covers every recorded case', () => {
    expect(Object.keys(scipySamples).sort()).toEqual(Object.keys(scipy.numeric).sort());
  });

  for (const [name, expected] of Object.entries(scipy.numeric))
    it(name, () => {
      const [reference, current] = scipySamples[name]!();
      const result = numericDrift(Float64Array.from(reference), current, { bins: expected.bins });
      // ks_2samp default ('auto'): exact up to 10 000 per side, asymptotic above.
      expect(Math.abs(result.ks.statistic - expected.ksAuto.statistic)).toBeLessThan(1e-15);
      expect(relativeError(result.ks.pValue, expected.ksAuto.pValue)).toBeLessThan(1e-9);
      // ks_2samp(method='asymp'): kstwo.sf with the rounded effective size.
      const effective = Math.round((reference.length * current.length) / (reference.length + current.length));
      expect(
        relativeError(kolmogorovSmirnovSf(effective, result.ks.statistic), expected.ksAsymptotic.pValue),
      ).toBeLessThan(1e-9);
      expect(relativeError(result.wasserstein, expected.wasserstein)).toBeLessThan(1e-12);
      expect(relativeError(result.referenceStd, expected.referenceStd)).toBeLessThan(1e-12);
      expect(result.edges).toHaveLength(expected.edges.length);
      for (const [k, edge] of result.edges.entries())
        expect(relativeError(edge, expected.edges[k]!)).toBeLessThan(1e-12);
      expect(result.referenceCounts).toEqual(expected.referenceCounts);
      expect(result.currentCounts).toEqual(expected.currentCounts);
      expect(relativeError(result.psi.value, expected.psi)).toBeLessThan(1e-12);
      expect(relativeError(result.jensenShannon.value, expected.jensenShannon)).toBeLessThan(1e-12);
    });

  for (const [name, expected] of Object.entries(scipy.categorical))
    it(`categorical: ${name} (scipy.stats.chisquare, jensenshannon)`, () => {
      const chi = chiSquareTest(expected.referenceCounts, expected.currentCounts);
      expect(relativeError(chi.statistic, expected.chiSquare.statistic)).toBeLessThan(1e-12);
      expect(relativeError(chi.pValue, expected.chiSquare.pValue)).toBeLessThan(1e-9);
      expect(
        relativeError(
          jensenShannon(expected.referenceCounts, expected.currentCounts).value,
          expected.jensenShannon,
        ),
      ).toBeLessThan(1e-12);
    });
});
