import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/core/canonical-json.js';
import type { JsonObject } from '../../src/core/json.js';
import { buildEntry, personalCommitment } from '../../src/ledger/entry.js';

describe('buildEntry with personal fields', () => {
  const salt = (size: number) => new Uint8Array(size).fill(7);
  const time = new Date('2026-12-06T22:55:18.479Z');

  it.each([
    ['plain data', { b: 1, a: 'x' }],
    // Parsed JSON keeps `__proto__` as an own key: it stays in the entry (and its bytes).
    ['data with an own __proto__ key', JSON.parse('{"__proto__":{"polluted":true},"z":1}')],
  ] as [string, JsonObject][])('adds the commitments to a copy of %s, as the spread did', (_name, data) => {
    const before = JSON.stringify(data);
    const { entry, bytes } = buildEntry(
      { type: 't', actor: 'a', subject: 's', data, personal: { who: 'alice' } },
      3,
      time,
      salt,
    );
    const commitments = { who: personalCommitment(salt(32), 'alice') };
    const literal = { ...data, personal: commitments };
    expect(JSON.stringify(entry.data)).toBe(JSON.stringify(literal));
    expect(Object.getPrototypeOf(entry.data)).toBe(Object.prototype);
    expect(Buffer.from(bytes).toString()).toBe(canonicalJson({ ...entry, data: literal }));
    // The caller's data is left as it was.
    expect(JSON.stringify(data)).toBe(before);
  });

  it('keeps data without personal fields as given', () => {
    const data = { a: 1 };
    expect(buildEntry({ type: 't', actor: 'a', subject: 's', data }, 0, time, salt).entry.data).toBe(data);
  });
});
