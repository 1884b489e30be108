import { describe, expect, it } from 'vitest';
import { groupSelections, readInterval } from '../../../src/monitor/report/fairness.js';
import { fairnessFromCounts } from '../../../src/monitor/stats/index.js';

describe('groupSelections', () => {
  it('reads what the fairness statistics produce (fairnessFromCounts)', () => {
    const report = fairnessFromCounts(
      {
        a: { tp: 30, fp: 10, tn: 50, fn: 10 },
        b: { tp: 2, fp: 1, tn: 5, fn: 2 },
      },
      { minGroupSize: 30 },
    );
    const groups = groupSelections(report);
    expect(groups.map((g) => [g.group, g.rate, g.n, g.insufficient])).toEqual([
      ['a', 0.4, 100, false],
      ['b', 0.3, 10, true],
    ]);
    const [low, high] = report.byGroup.a!.selectionRateInterval!;
    expect(groups[0]).toMatchObject({ low, high });
    expect(groups[0]!.fields.confusion).toBe('tp 30, fp 10, tn 50, fn 10');
    expect(groups[0]!.fields.selectionRate).toBe('0.4');
    expect(groups[0]!.fields).not.toHaveProperty('sufficient');
  });

  it('accepts the usual other shapes of a rate, a size and an interval', () => {
    const groups = groupSelections({
      byGroup: {
        wilson: { n: 50, rate: 0.2, wilson: { low: 0.1, high: 0.33 } },
        derived: { rows: 40, selected: 10 },
        nested: { selectionRate: { value: 0.6, lower: 0.5, upper: 0.7 }, count: 80 },
        flat: { selectionRate: 0.3, selectionRateLow: 0.2, selectionRateHigh: 0.4 },
        bare: 0.55,
      },
      insufficientGroups: [],
    });
    expect(groups.map(({ group, rate, low, high, n }) => ({ group, rate, low, high, n }))).toEqual([
      { group: 'wilson', rate: 0.2, low: 0.1, high: 0.33, n: 50 },
      { group: 'derived', rate: 0.25, low: undefined, high: undefined, n: 40 },
      { group: 'nested', rate: 0.6, low: 0.5, high: 0.7, n: 80 },
      { group: 'flat', rate: 0.3, low: 0.2, high: 0.4, n: undefined },
      { group: 'bare', rate: 0.55, low: undefined, high: undefined, n: undefined },
    ]);
  });

  it('takes a group marked sufficient: false as insufficient even when the list omits it', () => {
    const groups = groupSelections({
      byGroup: {
        small: { selectionRate: 0.5, count: 4, sufficient: false },
        big: { selectionRate: 0.4, count: 90, sufficient: true },
      },
      insufficientGroups: [],
    });
    expect(groups.map((g) => [g.group, g.insufficient])).toEqual([
      ['small', true],
      ['big', false],
    ]);
  });

  it('survives junk: no rate, non-object groups, missing lists, insufficient groups not in byGroup', () => {
    const groups = groupSelections({
      byGroup: { a: null, b: 'text', c: [1, 2], d: { selectionRate: Number.NaN } },
      insufficientGroups: ['d', 'e', 42 as unknown as string],
    });
    expect(groups.map((g) => [g.group, g.rate, g.insufficient])).toEqual([
      ['a', null, false],
      ['b', null, false],
      ['c', null, false],
      ['d', null, true],
      ['e', null, true],
    ]);
    expect(groupSelections({ byGroup: 'nope' as never, insufficientGroups: 'nope' as never })).toEqual([]);
    expect(groupSelections({})).toEqual([]);
  });
});

describe('readInterval', () => {
  it.each([
    [[0.1, 0.3], { low: 0.1, high: 0.3 }],
    [[0.3, 0.1], { low: 0.1, high: 0.3 }],
    [
      { lo: 0.1, hi: 0.3 },
      { low: 0.1, high: 0.3 },
    ],
    [[0.1], undefined],
    [[0.1, null], undefined],
    [{ low: 0.1 }, undefined],
    [null, undefined],
  ])('%j → %j', (value, interval) => {
    expect(readInterval(value)).toEqual(interval);
  });
});
