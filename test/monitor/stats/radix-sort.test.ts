import { describe, expect, it } from 'vitest';
import { sortFloat64 } from '../../../src/monitor/stats/radix-sort.js';
import { parkMiller } from './reference.js';

/** Bit-for-bit equality with the built-in numeric sort, signed zeros included. */
function expectSameAsBuiltIn(values: Float64Array): void {
  const expected = values.slice().sort();
  const actual = sortFloat64(values.slice());
  expect(actual.length).toBe(expected.length);
  for (let k = 0; k < expected.length; k++)
    if (!Object.is(actual[k], expected[k]))
      throw new Error(`element ${k}: ${actual[k]} where the built-in sort has ${expected[k]}`);
}

function fromDraws(seed: number, count: number, map: (u: number, k: number) => number): Float64Array {
  return Float64Array.from(parkMiller(seed, count), map);
}

describe('sortFloat64: the order of Float64Array.prototype.sort', () => {
  it('on continuous data of both signs, around the radix threshold and above it', () => {
    for (const size of [0, 1, 2, 1023, 1024, 1025, 5000, 70_000])
      expectSameAsBuiltIn(fromDraws(size + 1, size, (u) => (u - 0.5) * 1e3 * u));
  });

  it('with signed zeros, subnormals, infinities and the extremes mixed in', () => {
    const specials = [
      -0,
      0,
      5e-324,
      -5e-324,
      2.2250738585072014e-308,
      -2.2250738585072014e-308,
      Number.MAX_VALUE,
      -Number.MAX_VALUE,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      1,
      -1,
    ];
    expectSameAsBuiltIn(fromDraws(7, 6000, (u, k) => specials[k % specials.length]! * (k % 5 === 0 ? u : 1)));
  });

  it('with digits every value shares (small integers), all-equal values, and only negatives', () => {
    expectSameAsBuiltIn(fromDraws(8, 20_000, (u) => Math.floor(u * 100)));
    expectSameAsBuiltIn(new Float64Array(3000).fill(-2.5));
    expectSameAsBuiltIn(fromDraws(9, 4000, (u) => -u * 1e-3));
  });

  it('on already sorted and reversed input', () => {
    const sorted = fromDraws(10, 5000, (u) => u - 0.5).sort();
    expectSameAsBuiltIn(sorted);
    expectSameAsBuiltIn(sorted.slice().reverse());
  });

  it('sorts a view in place without touching the rest of its buffer', () => {
    const backing = fromDraws(11, 9000, (u) => u - 0.5);
    const outside = [...backing.subarray(0, 1000), ...backing.subarray(8000)];
    const view = backing.subarray(1000, 8000);
    const expected = view.slice().sort();
    expect(sortFloat64(view)).toBe(view);
    expect([...view]).toEqual([...expected]);
    expect([...backing.subarray(0, 1000), ...backing.subarray(8000)]).toEqual(outside);
  });
});
