import { describe, expect, it } from 'vitest';
import { compactBins, maxExactValues, valueKey } from '../../src/data/feature-auc.js';
import {
  duplicateRows,
  FeatureAucCheck,
  HashStore,
  hash8,
  rowKey,
  sharedHashes,
} from '../../src/data/index.js';
import { murmur3 } from '../../src/data/row-hash.js';
import { seeded } from '../helpers/seeded.js';

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

  /** Exact AUC by sorting, ties counted half (the pairwise loop is too slow at this size). */
  function sortedAuc(values: number[], labels: boolean[]): number {
    const order = values.map((v, i) => [v, labels[i]!] as const).sort((a, b) => a[0] - b[0]);
    let negativesBelow = 0;
    let positives = 0;
    let wins = 0;
    for (let i = 0; i < order.length; ) {
      let j = i;
      let pos = 0;
      let neg = 0;
      while (j < order.length && order[j]![0] === order[i]![0]) {
        if (order[j]![1]) pos++;
        else neg++;
        j++;
      }
      wins += pos * (negativesBelow + neg / 2);
      negativesBelow += neg;
      positives += pos;
      i = j;
    }
    return wins / (positives * negativesBelow);
  }

  it('rounding to four significant digits moves the AUC of 105,000 random floats by less than 0.001', () => {
    const next = seeded(21);
    const values = Array.from({ length: 105_000 }, () => next());
    const labels = values.map((v) => next() < v);
    const check = new FeatureAucCheck({ x: 'numeric' });
    for (const [i, x] of values.entries()) check.addRow({ x }, labels[i]!);
    expect(Math.abs(check.results().x!.auc! - sortedAuc(values, labels))).toBeLessThan(1e-3);
  });

  it(`past ${maxExactValues.toLocaleString('en-US')} keys (values over forty decades) it bins them and stays close`, () => {
    const next = seeded(33);
    const values = Array.from({ length: 300_000 }, () => 10 ** (next() * 40 - 20));
    const labels = values.map((v) => next() < 0.5 + Math.log10(v) / 80);
    const check = new FeatureAucCheck({ x: 'numeric' });
    for (const [i, x] of values.entries()) check.addRow({ x }, labels[i]!);
    expect(new Set(values.map(valueKey)).size).toBeGreaterThan(maxExactValues);
    expect(Math.abs(check.results().x!.auc! - sortedAuc(values, labels))).toBeLessThan(
      2 / compactBins + 1e-3,
    );
  });

  it('orders values by key: the key is monotonic and equal only within four significant digits', () => {
    const sorted = [
      -1e12, -5.5, -1, -0.0001234, 0, 1e-300, 0.001234, 0.9999, 1, 1.0006, 9.9994, 10, 123456, 1e300,
    ];
    const keys = sorted.map(valueKey);
    for (let i = 1; i < keys.length; i++) expect(keys[i]!, `${sorted[i]}`).toBeGreaterThan(keys[i - 1]!);
    expect(valueKey(1.00004)).toBe(valueKey(1));
    expect(valueKey(99995)).toBe(valueKey(100000));
  });
});

/** MurmurHash3 x86_32 over bytes, written from the reference implementation (smhasher). */
function naiveMurmur3(bytes: Uint8Array, seed: number): number {
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  let h = seed >>> 0;
  const blocks = Math.floor(bytes.length / 4);
  const rotl = (x: number, r: number) => ((x << r) | (x >>> (32 - r))) >>> 0;
  for (let i = 0; i < blocks; i++) {
    let k =
      (bytes[4 * i]! | (bytes[4 * i + 1]! << 8) | (bytes[4 * i + 2]! << 16) | (bytes[4 * i + 3]! << 24)) >>>
      0;
    k = Math.imul(k, c1) >>> 0;
    k = rotl(k, 15);
    k = Math.imul(k, c2) >>> 0;
    h = (h ^ k) >>> 0;
    h = rotl(h, 13);
    h = (Math.imul(h, 5) + 0xe6546b64) >>> 0;
  }
  const tail = blocks * 4;
  const rest = bytes.length & 3;
  if (rest > 0) {
    let k = 0;
    if (rest >= 3) k ^= bytes[tail + 2]! << 16;
    if (rest >= 2) k ^= bytes[tail + 1]! << 8;
    k ^= bytes[tail]!;
    k = Math.imul(k, c1) >>> 0;
    k = rotl(k, 15);
    k = Math.imul(k, c2) >>> 0;
    h = (h ^ k) >>> 0;
  }
  h = (h ^ bytes.length) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

describe('MurmurHash3', () => {
  it('the reference reproduces the published test vectors', () => {
    expect(naiveMurmur3(new Uint8Array([]), 0)).toBe(0);
    expect(naiveMurmur3(new Uint8Array([]), 1)).toBe(0x514e28b7);
    expect(naiveMurmur3(new Uint8Array([0xff, 0xff, 0xff, 0xff]), 0)).toBe(0x76293b50);
    expect(naiveMurmur3(new Uint8Array([0x21, 0x43, 0x65, 0x87]), 0)).toBe(0xf55b516b);
    expect(naiveMurmur3(new Uint8Array([0x21, 0x43, 0x65]), 0)).toBe(0x7e4a8634);
  });

  it('the row hash is MurmurHash3 of the UTF-16LE bytes, on 3,000 random strings', () => {
    const next = seeded(17);
    for (let i = 0; i < 3000; i++) {
      const text = String.fromCharCode(
        ...Array.from({ length: Math.floor(next() * 40) }, () => Math.floor(next() * 0xd7ff)),
      );
      const bytes = new Uint8Array(Buffer.from(text, 'utf16le'));
      expect(murmur3(text, 0x9747b28c)).toBe(naiveMurmur3(bytes, 0x9747b28c));
    }
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
