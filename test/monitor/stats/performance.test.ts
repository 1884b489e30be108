import { describe, expect, it } from 'vitest';
import {
  classificationMetrics,
  regressionMetrics,
  rocAuc,
  rocAucFromHistograms,
  StatsInputError,
} from '../../../src/monitor/stats/index.js';
import { naiveRocAuc, parkMiller } from './reference.js';

function expectInputError(run: () => unknown, reason: string, argument: string): void {
  expect(run).toThrow(StatsInputError);
  try {
    run();
  } catch (error) {
    expect((error as StatsInputError).reason).toBe(reason);
    expect((error as StatsInputError).argument).toBe(argument);
  }
}

describe('classificationMetrics', () => {
  it('by hand', () => {
    // rows:   0 1 2 3 4 5 6 7
    // yTrue:  1 1 1 0 0 0 0 1
    // yPred:  1 0 1 0 1 0 0 1
    // tp = rows 0,2,7 = 3; fn = row 1; fp = row 4; tn = rows 3,5,6 = 3
    // accuracy 6/8, precision 3/4, recall 3/4, f1 2·3/(2·3 + 1 + 1) = 6/8
    const result = classificationMetrics({
      yTrue: [1, 1, 1, 0, 0, 0, 0, 1],
      yPred: [1, 0, 1, 0, 1, 0, 0, 1],
    });
    expect(result).toEqual({
      accuracy: 0.75,
      precision: 0.75,
      recall: 0.75,
      f1: 0.75,
      confusion: { tp: 3, fp: 1, tn: 3, fn: 1 },
      count: 8,
    });
  });

  it('distinguishes precision from recall', () => {
    // yTrue 1 1 0 0, yPred 1 1 1 1: tp 2, fp 2 → precision ½, recall 1, f1 2·2/(4 + 2) = ⅔
    const result = classificationMetrics({ yTrue: [1, 1, 0, 0], yPred: [1, 1, 1, 1] });
    expect(result.precision).toBe(0.5);
    expect(result.recall).toBe(1);
    expect(result.f1).toBeCloseTo(2 / 3, 15);
    expect(result.accuracy).toBe(0.5);
  });

  it('returns 0 where scikit-learn’s zero_division default does', () => {
    // No predicted positives and no actual positives: every ratio divides by zero.
    expect(classificationMetrics({ yTrue: [0, 0, 0], yPred: [0, 0, 0] })).toMatchObject({
      accuracy: 1,
      precision: 0,
      recall: 0,
      f1: 0,
    });
    // Positives exist but none predicted: precision 0/0 → 0, recall 0/2 = 0.
    expect(classificationMetrics({ yTrue: [1, 1, 0], yPred: [0, 0, 0] })).toMatchObject({
      precision: 0,
      recall: 0,
    });
  });

  it('adds ROC AUC when scores are given, null for a single class', () => {
    expect(
      classificationMetrics({ yTrue: [0, 0, 1, 1], yPred: [0, 1, 0, 1], scores: [0.1, 0.4, 0.35, 0.8] })
        .rocAuc,
    ).toBe(0.75);
    expect(classificationMetrics({ yTrue: [1, 1], yPred: [1, 1], scores: [0.2, 0.9] }).rocAuc).toBeNull();
    expect('rocAuc' in classificationMetrics({ yTrue: [1, 0], yPred: [1, 0] })).toBe(false);
  });

  it('refuses malformed labels', () => {
    expectInputError(() => classificationMetrics({ yTrue: [], yPred: [] }), 'empty', 'yTrue');
    expectInputError(() => classificationMetrics({ yTrue: [1, 0], yPred: [1] }), 'length-mismatch', 'yPred');
    expectInputError(
      () => classificationMetrics({ yTrue: [1, 2 as 1], yPred: [1, 0] }),
      'not-binary',
      'yTrue',
    );
    expectInputError(
      () => classificationMetrics({ yTrue: [1, 0], yPred: [1, 0], scores: [0.3] }),
      'length-mismatch',
      'scores',
    );
  });
});

describe('rocAuc', () => {
  it('by hand (the scikit-learn documentation example)', () => {
    // positives score 0.35, 0.8; negatives 0.1, 0.4. Pairs won: 0.35>0.1, 0.8>0.1, 0.8>0.4 → 3/4.
    expect(rocAuc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).toBe(0.75);
  });

  it('counts ties as one half', () => {
    expect(rocAuc([0, 1], [0.5, 0.5])).toBe(0.5);
    // positive 0.5 vs negatives 0.5 (tie, ½) and 0.2 (win, 1) → 1.5/2
    expect(rocAuc([1, 0, 0], [0.5, 0.5, 0.2])).toBe(0.75);
    expect(rocAuc([1, 1, 0, 0], [0.1, 0.2, 0.8, 0.9])).toBe(0);
  });

  it('matches the Mann–Whitney U from SciPy on generated data', () => {
    // yt = [1 if u < 0.4 else 0 for u in pm(31,200)]; sc = round(u*20)/20 + (0.1 if y else 0) for u in pm(32,200)
    // U = scipy.stats.mannwhitneyu(pos, neg).statistic; U / (82 · 118) = 0.6261885076477883
    const yTrue = parkMiller(31, 200).map((u) => (u < 0.4 ? 1 : 0));
    const scores = parkMiller(32, 200).map((u, i) => Math.round(u * 20) / 20 + (yTrue[i] === 1 ? 0.1 : 0));
    expect(yTrue.filter((y) => y === 1)).toHaveLength(82);
    expect(rocAuc(yTrue, scores)).toBeCloseTo(0.6261885076477883, 14);
    expect(rocAuc(yTrue, scores)).toBeCloseTo(naiveRocAuc(yTrue, scores), 14);
  });

  it('agrees with all-pairs counting on random tied scores', () => {
    const draws = parkMiller(81, 4000);
    let next = 0;
    for (let trial = 0; trial < 40; trial++) {
      const n = 2 + Math.floor(draws[next++]! * 30);
      const yTrue = Array.from({ length: n }, (_, i) =>
        i === 0 ? 1 : i === 1 ? 0 : draws[next++]! < 0.5 ? 1 : 0,
      );
      const scores = Array.from({ length: n }, () => Math.floor(draws[next++]! * 6));
      expect(rocAuc(yTrue, scores)).toBeCloseTo(naiveRocAuc(yTrue, scores), 14);
    }
  });

  it('is null with one class only', () => {
    expect(rocAuc([0, 0], [0.1, 0.2])).toBeNull();
    expect(rocAuc([1], [0.1])).toBeNull();
  });
});

describe('rocAucFromHistograms', () => {
  it('by hand', () => {
    // positives per bin (0, 1, 2), negatives (2, 1, 0), bins ascending:
    //   bin 1: 1 positive × (2 below + ½·1 tied) = 2.5; bin 2: 2 × (3 below) = 6 → 8.5 / (3·3)
    expect(rocAucFromHistograms([0, 1, 2], [2, 1, 0])).toBeCloseTo(8.5 / 9, 15);
  });

  it('equals rocAuc on the bin indices', () => {
    const positives = [3, 0, 5, 2, 7];
    const negatives = [6, 4, 1, 0, 2];
    const yTrue: (0 | 1)[] = [];
    const scores: number[] = [];
    for (const [label, histogram] of [
      [1, positives],
      [0, negatives],
    ] as const)
      histogram.forEach((count, bin) => {
        for (let k = 0; k < count; k++) {
          yTrue.push(label);
          scores.push(bin);
        }
      });
    expect(rocAucFromHistograms(positives, negatives)).toBeCloseTo(rocAuc(yTrue, scores)!, 15);
  });

  it('is null without positives or negatives and refuses bad histograms', () => {
    expect(rocAucFromHistograms([0, 0], [1, 2])).toBeNull();
    expect(rocAucFromHistograms([1, 2], [0, 0])).toBeNull();
    expectInputError(() => rocAucFromHistograms([1, 2], [1]), 'length-mismatch', 'negativeCounts');
    expectInputError(() => rocAucFromHistograms([1, -2], [1, 1]), 'negative', 'positiveCounts');
  });
});

describe('regressionMetrics', () => {
  it('by hand', () => {
    // errors: +1, −2, 0, +3 → MAE = 6/4 = 1.5; MSE = (1 + 4 + 0 + 9)/4 = 3.5, RMSE = √3.5
    expect(regressionMetrics([1, 2, 3, 4], [2, 0, 3, 7])).toEqual({
      mae: 1.5,
      rmse: Math.sqrt(3.5),
      count: 4,
    });
  });

  it('is 0 for perfect predictions and handles a single row', () => {
    expect(regressionMetrics([5, -1], [5, -1])).toEqual({ mae: 0, rmse: 0, count: 2 });
    expect(regressionMetrics([2], [-1])).toEqual({ mae: 3, rmse: 3, count: 1 });
  });

  it('refuses empty, mismatched and non-finite input', () => {
    expectInputError(() => regressionMetrics([], []), 'empty', 'yTrue');
    expectInputError(() => regressionMetrics([1], [1, 2]), 'length-mismatch', 'yPred');
    expectInputError(() => regressionMetrics([1], [Number.NaN]), 'not-finite', 'yPred');
  });
});
