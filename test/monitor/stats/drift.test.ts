import { describe, expect, it } from 'vitest';
import {
  datasetDriftShare,
  defaultDriftMethod,
  isDrifted,
  StatsInputError,
} from '../../../src/monitor/stats/index.js';

describe('defaultDriftMethod (Evidently _get_default_stattest)', () => {
  it('follows Evidently’s table', () => {
    const cases = [
      // small reference (<= 1000 rows)
      ['numeric', 1000, 6, 'ks', 0.05],
      ['numeric', 200, 5, 'chisquare', 0.05], // few distinct numeric values count as categorical
      ['numeric', 200, 2, 'z', 0.05],
      ['categorical', 1000, 3, 'chisquare', 0.05],
      ['categorical', 50, 2, 'z', 0.05],
      ['categorical', 50, 1, 'z', 0.05],
      // large reference
      ['numeric', 1001, 6, 'wasserstein', 0.1],
      ['numeric', 5000, 5, 'jensenshannon', 0.1],
      ['categorical', 1001, 2, 'jensenshannon', 0.1],
      ['categorical', 1001, 40, 'jensenshannon', 0.1],
    ] as const;
    for (const [kind, referenceSize, uniqueValues, method, threshold] of cases)
      expect(
        defaultDriftMethod({ kind, referenceSize, uniqueValues }),
        `${kind} ${referenceSize} ${uniqueValues}`,
      ).toEqual({
        method,
        threshold,
        scoreKind: method === 'wasserstein' || method === 'jensenshannon' ? 'distance' : 'p-value',
      });
  });

  it('refuses impossible profiles', () => {
    expect(() => defaultDriftMethod({ kind: 'numeric', referenceSize: -1, uniqueValues: 3 })).toThrow(
      StatsInputError,
    );
    expect(() => defaultDriftMethod({ kind: 'numeric', referenceSize: 10, uniqueValues: 2.5 })).toThrow(
      StatsInputError,
    );
    expect(() =>
      defaultDriftMethod({ kind: 'text' as 'numeric', referenceSize: 10, uniqueValues: 2 }),
    ).toThrow(/must be 'numeric' or 'categorical'/);
  });
});

describe('isDrifted', () => {
  it('compares at the boundary as Evidently’s stattests do', () => {
    // ks: p <= threshold; chisquare and z: p < threshold; distances: >= threshold.
    expect(isDrifted('ks', 0.05)).toBe(true);
    expect(isDrifted('chisquare', 0.05)).toBe(false);
    expect(isDrifted('z', 0.05)).toBe(false);
    expect(isDrifted('z', 0.0499)).toBe(true);
    expect(isDrifted('wasserstein', 0.1)).toBe(true);
    expect(isDrifted('jensenshannon', 0.0999)).toBe(false);
    expect(isDrifted('psi', 0.3, 0.25)).toBe(true);
    expect(isDrifted('ks', Number.NaN)).toBe(false);
    expect(isDrifted('psi', Number.NaN)).toBe(false);
  });
});

describe('datasetDriftShare (Evidently get_dataset_drift)', () => {
  it('drifts when the share reaches the threshold, inclusive', () => {
    // 1 of 2 columns = 0.5 >= 0.5
    expect(datasetDriftShare([{ drifted: true }, { drifted: false }])).toEqual({
      driftedColumns: 1,
      columns: 2,
      share: 0.5,
      datasetDrift: true,
    });
    // 1 of 3 = 0.333 < 0.5
    expect(datasetDriftShare([{ drifted: true }, { drifted: false }, { drifted: false }]).datasetDrift).toBe(
      false,
    );
    expect(
      datasetDriftShare([{ drifted: true }, { drifted: false }, { drifted: false }], 0.3).datasetDrift,
    ).toBe(true);
  });

  it('refuses no columns and thresholds outside [0, 1]', () => {
    expect(() => datasetDriftShare([])).toThrow(StatsInputError);
    expect(() => datasetDriftShare([{ drifted: true }], 1.5)).toThrow(/must be in \[0, 1\]/);
  });
});
