import { describe, expect, it } from 'vitest';
import {
  type ConfusionCounts,
  fairnessFromCounts,
  fairnessMetrics,
  StatsInputError,
  wilsonInterval,
} from '../../../src/monitor/stats/index.js';
import { naiveGroupRates, parkMiller } from './reference.js';

function expectInputError(run: () => unknown, reason: string, argument: string): void {
  expect(run).toThrow(StatsInputError);
  try {
    run();
  } catch (error) {
    expect((error as StatsInputError).reason).toBe(reason);
    expect((error as StatsInputError).argument).toBe(argument);
  }
}

/** Rows (yTrue, yPred) realizing a confusion matrix. */
function rowsOf({ tp, fp, tn, fn }: ConfusionCounts): { yTrue: (0 | 1)[]; yPred: (0 | 1)[] } {
  const yTrue: (0 | 1)[] = [];
  const yPred: (0 | 1)[] = [];
  const add = (count: number, label: 0 | 1, prediction: 0 | 1) => {
    for (let k = 0; k < count; k++) {
      yTrue.push(label);
      yPred.push(prediction);
    }
  };
  add(tp, 1, 1);
  add(fn, 1, 0);
  add(fp, 0, 1);
  add(tn, 0, 0);
  return { yTrue, yPred };
}

// A: selection (8+3)/30 = 11/30, TPR 8/10 = 0.8, FPR 3/20 = 0.15
// B: selection (3+2)/30 = 1/6,   TPR 3/6 = 0.5,  FPR 2/24 = 1/12
// C: 5 rows, below minGroupSize 30, TPR 1 and FPR 0.25 would dominate if it were used.
const groupA = { tp: 8, fp: 3, tn: 17, fn: 2 };
const groupB = { tp: 3, fp: 2, tn: 22, fn: 3 };
const groupC = { tp: 1, fp: 1, tn: 3, fn: 0 };

describe('wilsonInterval (scipy.stats.binomtest(k, n).proportion_ci(method="wilson"))', () => {
  it('matches SciPy', () => {
    // [k, n, low, high], SciPy 1.17.1, confidence 0.95
    const cases = [
      [0, 10, 0, 0.27753279986288926],
      [3, 10, 0.10779126740630102, 0.6032218525388546],
      [10, 10, 0.7224672001371109, 1],
      [45, 100, 0.35614537979511984, 0.5475539700255787],
      [1, 31, 0.00571722152541683, 0.16194105164724903],
    ] as const;
    for (const [k, n, low, high] of cases) {
      const [lo, hi] = wilsonInterval(k, n)!;
      expect(lo).toBeCloseTo(low, 14);
      expect(hi).toBeCloseTo(high, 14);
    }
    // confidence_level=0.9
    const [lo, hi] = wilsonInterval(3, 10, 0.9)!;
    expect(lo).toBeCloseTo(0.1268765839031979, 14);
    expect(hi).toBeCloseTo(0.5583002041301649, 14);
  });

  it('by hand for 0 of 1', () => {
    // p̂ = 0, n = 1: center z²/2 / (1 + z²), half (z/(1+z²))·(z/2) → [0, z²/(1+z²)]
    const z = 1.959963984540054;
    expect(wilsonInterval(0, 1)![1]).toBeCloseTo((z * z) / (1 + z * z), 14);
  });

  it('is null for an empty denominator and refuses impossible input', () => {
    expect(wilsonInterval(0, 0)).toBeNull();
    expectInputError(() => wilsonInterval(3, 2), 'out-of-range', 'successes');
    expectInputError(() => wilsonInterval(1, 2, 1), 'out-of-range', 'confidence');
  });
});

describe('fairnessFromCounts (Fairlearn definitions)', () => {
  it('by hand, leaving out the insufficient group', () => {
    const report = fairnessFromCounts({ A: groupA, B: groupB, C: groupC });
    // demographic parity: 11/30 − 5/30 = 0.2; ratio (1/6)/(11/30) = 5/11
    expect(report.demographicParityDifference).toBeCloseTo(0.2, 15);
    expect(report.demographicParityRatio).toBeCloseTo(5 / 11, 15);
    // TPR: 0.8 − 0.5 = 0.3, ratio 0.625; FPR: 0.15 − 1/12 = 1/15, ratio (1/12)/0.15 = 5/9
    expect(report.equalOpportunityDifference).toBeCloseTo(0.3, 15);
    expect(report.equalizedOddsDifference).toBeCloseTo(0.3, 15);
    expect(report.equalizedOddsRatio).toBeCloseTo(5 / 9, 15);
    expect(report.insufficientGroups).toEqual(['C']);
    expect(Object.keys(report.byGroup)).toEqual(['A', 'B', 'C']);
    expect(report.byGroup.C).toMatchObject({ count: 5, tpr: 1, fpr: 0.25, sufficient: false });
    expect(report.byGroup.A).toMatchObject({
      confusion: groupA,
      count: 30,
      positives: 10,
      negatives: 20,
      selectionRate: 11 / 30,
      tpr: 0.8,
      fpr: 0.15,
      sufficient: true,
    });
    expect(report.byGroup.A!.tprInterval).toEqual(wilsonInterval(8, 10));
    expect(report.byGroup.A!.fprInterval).toEqual(wilsonInterval(3, 20));
    expect(report.byGroup.A!.selectionRateInterval).toEqual(wilsonInterval(11, 30));
  });

  it('uses the insufficient group once minGroupSize admits it', () => {
    // With C: selection 0.4 is the max → 0.4 − 1/6; TPR 1 − 0.5 = 0.5.
    const report = fairnessFromCounts({ A: groupA, B: groupB, C: groupC }, { minGroupSize: 5 });
    expect(report.insufficientGroups).toEqual([]);
    expect(report.demographicParityDifference).toBeCloseTo(0.4 - 1 / 6, 15);
    expect(report.equalOpportunityDifference).toBeCloseTo(0.5, 15);
  });

  it('makes an undefined TPR null and leaves it out of the aggregates', () => {
    // D has no positives: TPR null. TPR aggregates use A alone (difference 0, ratio 1);
    // FPR: D 4/30 vs A 0.15 → difference 0.15 − 2/15 = 1/60.
    const groupD = { tp: 0, fp: 4, tn: 26, fn: 0 };
    const report = fairnessFromCounts({ A: groupA, D: groupD });
    expect(report.byGroup.D).toMatchObject({ positives: 0, tpr: null, tprInterval: null });
    expect(report.equalOpportunityDifference).toBe(0);
    expect(report.equalizedOddsDifference).toBeCloseTo(1 / 60, 15);
    expect(report.equalizedOddsRatio).toBeCloseTo(2 / 15 / 0.15, 15);
  });

  it('returns null, never NaN, when nothing can be compared', () => {
    // No positives anywhere: TPR aggregates and equalized odds are null.
    const noPositives = fairnessFromCounts(
      { X: { tp: 0, fp: 3, tn: 27, fn: 0 }, Y: { tp: 0, fp: 6, tn: 24, fn: 0 } },
      { minGroupSize: 1 },
    );
    expect(noPositives.equalOpportunityDifference).toBeNull();
    expect(noPositives.equalizedOddsDifference).toBeNull();
    expect(noPositives.equalizedOddsRatio).toBeNull();
    expect(noPositives.demographicParityDifference).toBeCloseTo(0.1, 15);
    // Nobody selected: the difference is 0 but the ratio 0/0 is null (Fairlearn: NaN).
    const noneSelected = fairnessFromCounts({
      X: { tp: 0, fp: 0, tn: 30, fn: 5 },
      Y: { tp: 0, fp: 0, tn: 40, fn: 0 },
    });
    expect(noneSelected.demographicParityDifference).toBe(0);
    expect(noneSelected.demographicParityRatio).toBeNull();
    // Every group insufficient: all disparities null.
    const tooSmall = fairnessFromCounts({ A: groupC, B: groupC });
    expect(tooSmall.insufficientGroups).toEqual(['A', 'B']);
    expect(tooSmall.demographicParityDifference).toBeNull();
    expect(tooSmall.equalizedOddsRatio).toBeNull();
    // A group with no rows at all has every rate null.
    expect(fairnessFromCounts({ E: { tp: 0, fp: 0, tn: 0, fn: 0 } }).byGroup.E).toMatchObject({
      selectionRate: null,
      selectionRateInterval: null,
      sufficient: false,
    });
  });

  it('gives difference 0 and ratio 1 for a single sufficient group (as Fairlearn)', () => {
    const report = fairnessFromCounts({ A: groupA });
    expect(report.demographicParityDifference).toBe(0);
    expect(report.demographicParityRatio).toBe(1);
    expect(report.equalizedOddsRatio).toBe(1);
  });

  it('refuses invalid counts and options', () => {
    expectInputError(() => fairnessFromCounts({ A: { ...groupA, tp: -1 } }), 'not-integer', 'groups["A"].tp');
    expectInputError(
      () => fairnessFromCounts({ A: groupA }, { minGroupSize: 0 }),
      'out-of-range',
      'minGroupSize',
    );
    expectInputError(
      () => fairnessFromCounts({ A: groupA }, { confidence: 0 }),
      'out-of-range',
      'confidence',
    );
  });
});

describe('fairnessMetrics', () => {
  it('groups rows by label and agrees with fairnessFromCounts', () => {
    const a = rowsOf(groupA);
    const b = rowsOf(groupB);
    const c = rowsOf(groupC);
    const report = fairnessMetrics({
      yTrue: [...a.yTrue, ...b.yTrue, ...c.yTrue],
      yPred: [...a.yPred, ...b.yPred, ...c.yPred],
      sensitive: [...a.yTrue.map(() => 'A'), ...b.yTrue.map(() => 'B'), ...c.yTrue.map(() => 'C')],
    });
    expect(report).toEqual(fairnessFromCounts({ A: groupA, B: groupB, C: groupC }));
  });

  it('names intersections by joining attributes with " & " in their given order', () => {
    const report = fairnessMetrics({
      yTrue: [1, 0, 1, 0],
      yPred: [1, 1, 0, 0],
      sensitive: [
        ['female', 'young'],
        ['female', 'young'],
        ['male', 'young'],
        ['female', 'old'],
      ],
      minGroupSize: 1,
    });
    expect(Object.keys(report.byGroup)).toEqual(['female & old', 'female & young', 'male & young']);
    expect(report.byGroup['female & young']).toMatchObject({ count: 2, tpr: 1, fpr: 1, selectionRate: 1 });
  });

  it('agrees with per-group filtering on random rows', () => {
    const draws = parkMiller(91, 3000);
    const n = 900;
    const yTrue = Array.from({ length: n }, (_, i) => (draws[i]! < 0.3 ? 1 : 0) as 0 | 1);
    const yPred = Array.from({ length: n }, (_, i) => (draws[n + i]! < 0.35 ? 1 : 0) as 0 | 1);
    const labels = ['a', 'b', 'c', 'd'];
    const sensitive = Array.from({ length: n }, (_, i) => labels[Math.floor(draws[2 * n + i]! * 4)]!);
    const report = fairnessMetrics({ yTrue, yPred, sensitive });
    const naive = labels.map((label) => naiveGroupRates(yTrue, yPred, (row) => sensitive[row] === label));
    labels.forEach((label, k) => {
      expect(report.byGroup[label]!.count).toBe(naive[k]!.count);
      expect(report.byGroup[label]!.selectionRate).toBeCloseTo(naive[k]!.selectionRate, 15);
      expect(report.byGroup[label]!.tpr).toBeCloseTo(naive[k]!.tpr!, 15);
      expect(report.byGroup[label]!.fpr).toBeCloseTo(naive[k]!.fpr!, 15);
    });
    const selection = naive.map((rates) => rates.selectionRate);
    const tpr = naive.map((rates) => rates.tpr!);
    const fpr = naive.map((rates) => rates.fpr!);
    expect(report.demographicParityDifference).toBeCloseTo(
      Math.max(...selection) - Math.min(...selection),
      15,
    );
    expect(report.demographicParityRatio).toBeCloseTo(Math.min(...selection) / Math.max(...selection), 15);
    expect(report.equalizedOddsDifference).toBeCloseTo(
      Math.max(Math.max(...tpr) - Math.min(...tpr), Math.max(...fpr) - Math.min(...fpr)),
      15,
    );
    expect(report.equalizedOddsRatio).toBeCloseTo(
      Math.min(Math.min(...tpr) / Math.max(...tpr), Math.min(...fpr) / Math.max(...fpr)),
      15,
    );
  });

  it('keeps a group named __proto__ as a group', () => {
    const report = fairnessMetrics({
      yTrue: [1, 0],
      yPred: [1, 0],
      sensitive: ['__proto__', 'x'],
      minGroupSize: 1,
    });
    expect(Object.keys(report.byGroup)).toEqual(['__proto__', 'x']);
  });

  it('refuses malformed rows', () => {
    expectInputError(() => fairnessMetrics({ yTrue: [], yPred: [], sensitive: [] }), 'empty', 'yTrue');
    expectInputError(
      () => fairnessMetrics({ yTrue: [1, 0], yPred: [1, 0], sensitive: ['a'] }),
      'length-mismatch',
      'sensitive',
    );
    expectInputError(
      () => fairnessMetrics({ yTrue: [1, 0], yPred: [1, 0], sensitive: [['a', 'b'], ['a']] }),
      'length-mismatch',
      'sensitive',
    );
    expectInputError(
      () => fairnessMetrics({ yTrue: [1, 0], yPred: [1, 0], sensitive: [['a'], 'b'] as unknown as string[] }),
      'length-mismatch',
      'sensitive',
    );
    expectInputError(
      () => fairnessMetrics({ yTrue: [1, 0], yPred: [1, 0], sensitive: [['a & b'], ['c']] }),
      'out-of-range',
      'sensitive',
    );
    expectInputError(
      () => fairnessMetrics({ yTrue: [1, 0], yPred: [1, 3 as 0], sensitive: ['a', 'b'] }),
      'not-binary',
      'yPred',
    );
  });
});
