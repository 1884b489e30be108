import { describe, expect, it } from 'vitest';
import { ownCopy } from '../../src/core/own-copy.js';

describe('ownCopy', () => {
  const records: [string, Record<string, unknown>][] = [
    ['an empty record', {}],
    ['a record of several keys', { b: 1, a: { nested: true }, c: [1, 2], autonomy: 3 }],
    ['a record with integer-like keys', { z: 1, 2: 'two', 1: 'one' }],
    // Parsed JSON keeps `__proto__` as an own key: the copy must too, not take it as its prototype.
    [
      'a record with an own __proto__ key',
      JSON.parse('{"__proto__":{"polluted":true},"constructor":1,"k":"x"}'),
    ],
  ];

  it.each(records)('copies %s as a spread does', (_name, record) => {
    const copy = ownCopy(record);
    expect(copy).not.toBe(record);
    expect(JSON.stringify(copy)).toBe(JSON.stringify({ ...record }));
    expect(Object.keys(copy)).toEqual(Object.keys({ ...record }));
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect((copy as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each(records)(
    'copies %s and then sets a key (new or already there) as a literal spreading it does',
    (_name, record) => {
      for (const key of ['autonomy', 'personal', 'k']) {
        const copy = ownCopy(record);
        copy[key] = 'set';
        const literal = { ...record, [key]: 'set' };
        expect(JSON.stringify(copy)).toBe(JSON.stringify(literal));
        expect(Object.keys(copy)).toEqual(Object.keys(literal));
      }
    },
  );

  it('copies only own enumerable keys, and leaves the record as it was', () => {
    const record = Object.create(
      { inherited: 1 },
      { own: { value: 2, enumerable: true }, hidden: { value: 3 } },
    );
    const copy = ownCopy(record as Record<string, unknown>);
    expect(copy).toEqual({ own: 2 });
    copy.own = 5;
    expect(record.own).toBe(2);
  });
});
