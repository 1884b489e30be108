import { describe, expect, it } from 'vitest';
import { compactBins, maxExactValues } from '../../src/data/feature-auc.js';
import {
  duplicateRows,
  FeatureAucCheck,
  HashStore,
  hash8,
  rowKey,
  sharedHashes,
} from '../../src/data/index.js';

/** AUC by its definition: over all (positive, negative) pairs, 1 when the positive scores higher, ½ for a tie. */
function naiveAuc(values: number[], labels: boolean[]): number {
  let wins = 0;
  let pairs = 0;
  values.forEach((p, i) => {
    if (!labels[i]) return;
    values.forEach((n, j) => {
      if (labels[j]) return;
      pairs++;
      wins += p > n ? 1 : p === n ? 0.5 : 0;
    });
  });
  return wins / pairs;
}

function seeded(seed: number) {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x1_0000_0000;
  };
}

describe('single-feature AUC', () => {
  it('equals the pairwise definition on random numeric features (max of AUC and 1 − AUC)', () => {
    const next = seeded(9);
    for (let round = 0; round < 20; round++) {
      const values = Array.from({ length: 300 }, () => Math.round(next() * 50));
      const labels = values.map((v) => next() < 0.2 + v / 100);
      const check = new FeatureAucCheck({ x: 'numeric' });
      for (const [i, x] of values.entries()) check.addRow({ x }, labels[i]!);
      const auc = naiveAuc(values, labels);
      expect(check.results().x!.auc).toBeCloseTo(Math.max(auc, 1 - auc), 12);
    }
  });

  it('is 1 for a feature that copies the label, and orders categories by positive rate', () => {
    const check = new FeatureAucCheck({ leaked: 'categorical', noise: 'categorical' });
    for (let i = 0; i < 200; i++)
      check.addRow({ leaked: i % 2 === 0 ? 'yes' : 'no', noise: i % 3 === 0 ? 'a' : 'b' }, i % 2 === 0);
    const results = check.results();
    expect(results.leaked!.auc).toBe(1);
    expect(results.noise!.auc).toBeLessThan(0.6);
  });

  it('does not fit noise: a feature with more than 50 categories is not computed, and says why', () => {
    const check = new FeatureAucCheck({ id: 'categorical' });
    for (let i = 0; i < 100; i++) check.addRow({ id: `customer-${i}` }, i % 2 === 0);
    expect(check.results().id).toMatchObject({ auc: null, skipped: 'more than 50 categories' });
  });

  it('past the exact limit, binned AUC never exceeds the exact one', () => {
    const next = seeded(21);
    const values = Array.from({ length: maxExactValues + 5000 }, () => next());
    const labels = values.map((v) => next() < v);
    const check = new FeatureAucCheck({ x: 'numeric' });
    for (const [i, x] of values.entries()) check.addRow({ x }, labels[i]!);
    // Exact AUC by sorting (the pairwise loop is too slow at this size).
    const order = values.map((v, i) => [v, labels[i]!] as const).sort((a, b) => a[0] - b[0]);
    let negatives = 0;
    let wins = 0;
    let positives = 0;
    for (const [, positive] of order) {
      if (positive) {
        wins += negatives;
        positives++;
      } else negatives++;
    }
    const exact = wins / (positives * negatives);
    const binned = check.results().x!.auc!;
    expect(binned).toBeLessThanOrEqual(exact + 1e-12);
    expect(exact - binned).toBeLessThan(1 / compactBins);
  });
});

describe('row hashes', () => {
  it('count duplicates and shared rows as a Set of the rows would', () => {
    const next = seeded(4);
    const train = new HashStore();
    const evaluation = new HashStore();
    const trainKeys: string[] = [];
    const evalKeys: string[] = [];
    for (let i = 0; i < 5000; i++) {
      const key = rowKey({ a: Math.floor(next() * 3000), b: 'x' }, ['a', 'b']);
      trainKeys.push(key);
      train.add(hash8(key));
    }
    for (let i = 0; i < 2000; i++) {
      const key = rowKey({ a: 2000 + Math.floor(next() * 3000), b: 'x' }, ['a', 'b']);
      evalKeys.push(key);
      evaluation.add(hash8(key));
    }
    const all = [...trainKeys, ...evalKeys];
    expect(duplicateRows([train.sorted(), evaluation.sorted()])).toBe(all.length - new Set(all).size);
    const trainSet = new Set(trainKeys);
    expect(sharedHashes(train.sorted(), evaluation.sorted())).toEqual({
      rows: evalKeys.filter((key) => trainSet.has(key)).length,
      distinct: new Set(evalKeys.filter((key) => trainSet.has(key))).size,
    });
  });

  it('see one row in 1, "1", "1.0" and " 1 " from different formats, and tell missing from empty text apart from "0"', () => {
    const key = (value: unknown) => rowKey({ v: value }, ['v']);
    expect(new Set([key(1), key('1'), key('1.0'), key(' 1 ')]).size).toBe(1);
    expect(key(null)).toBe(key(undefined));
    expect(key(null)).not.toBe(key('0'));
  });

  it('grow past one chunk (2²⁰ hashes) and keep all of them', () => {
    const store = new HashStore();
    const n = (1 << 20) + 10;
    const bytes = new Uint8Array(8);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < n; i++) {
      view.setUint32(0, i % 1000);
      store.add(bytes);
    }
    expect(store.size).toBe(n);
    expect(duplicateRows([store.sorted()])).toBe(n - 1000);
  });
});
