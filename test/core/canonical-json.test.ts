import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalDigest, canonicalJson, canonicalJsonSize } from '../../src/core/canonical-json.js';
import type { JsonValue } from '../../src/core/json.js';

describe('canonicalJson (RFC 8785)', () => {
  it('sorts object keys by UTF-16 code units and drops whitespace', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'x'], '€': 0, '\u{1F600}': 1, '\r': 2 })).toBe(
      '{"\\r":2,"a":[true,null,"x"],"b":1,"€":0,"😀":1}',
    );
  });

  it('serialises numbers the way ECMAScript does, as RFC 8785 §3.2.2.3 requires', () => {
    // Values from RFC 8785 Appendix B.
    expect(
      canonicalJson([
        0, -0, 1e21, 1e-7, 0.000001, 333333333.3333333, 9007199254740992, 5e-324, -1.7976931348623157e308,
      ]),
    ).toBe('[0,0,1e+21,1e-7,0.000001,333333333.3333333,9007199254740992,5e-324,-1.7976931348623157e+308]');
  });

  it('escapes strings minimally', () => {
    expect(canonicalJson('\u0000\b\t\n\f\r"\\/\u007f')).toBe('"\\u0000\\b\\t\\n\\f\\r\\"\\\\/\u007f"');
  });

  it('writes every string, as a value and as a key, exactly as JSON.stringify does', () => {
    // The serialiser quotes strings that need no escaping itself: each character class that does
    // need it, alone and among plain text, must still come out as JSON.stringify writes it.
    const hostile = [
      '"',
      '\\',
      '\u0000',
      '\u001f',
      '\n',
      '\u007f',
      '\u2028',
      '\ud800',
      '\udfff',
      '\ud83d\ude00',
      '\ufeff',
      'é',
    ];
    const cases = [
      '',
      'plain',
      ...hostile,
      ...hostile.map((c) => `a${c}b`),
      hostile.join(''),
      '\udc00\ud800',
    ];
    for (let seed = 1; cases.length < 500; seed++) {
      let text = '';
      for (let i = 0; i < (seed % 7) + 1; i++) text += String.fromCharCode((seed * 7919 * (i + 1)) % 0x10000);
      cases.push(text);
    }
    for (const text of cases) {
      expect(canonicalJson(text)).toBe(JSON.stringify(text));
      expect(canonicalJson({ [text]: text })).toBe(`{${JSON.stringify(text)}:${JSON.stringify(text)}}`);
    }
  });

  it('sorts nested objects too', () => {
    expect(canonicalJson({ z: { y: 1, x: 2 }, a: [{ d: 1, c: 2 }] })).toBe(
      '{"a":[{"c":2,"d":1}],"z":{"x":2,"y":1}}',
    );
  });

  it.each([
    ['undefined', { a: undefined }],
    ['a function', { a: () => 1 }],
    ['a bigint', { a: 1n }],
    ['NaN', { a: Number.NaN }],
    ['Infinity', [Number.POSITIVE_INFINITY]],
    ['a Date', { a: new Date(0) }],
    ['a symbol', [Symbol('x')]],
  ])('refuses %s', (_name, value) => {
    expect(() => canonicalJson(value as never)).toThrow(TypeError);
  });
});

describe('size and digest of canonical JSON', () => {
  it.each([
    // [value, bytes, how the count is derived]
    ['', 2, 'two quotes'],
    ['é', 4, 'quotes + U+00E9 (2 bytes in UTF-8)'],
    ['€', 5, 'quotes + U+20AC (3 bytes)'],
    ['😀', 6, 'quotes + U+1F600 (4 bytes; 2 UTF-16 units)'],
    ['\ud800', 8, 'a lone surrogate is escaped as \\ud800: 6 ASCII + quotes'],
    [{ b: 1, a: 'x' }, 15, '{"a":"x","b":1}'],
  ] as [JsonValue, number, string][])('sizes %j as %d bytes (%s)', (value, bytes) => {
    expect(canonicalJsonSize(value)).toBe(bytes);
    expect(canonicalDigest(value).size).toBe(bytes);
  });

  it('digests exactly the canonical text, key order ignored', () => {
    const hex = createHash('sha256').update('{"a":[1,2],"b":"é"}', 'utf8').digest('hex');
    expect(canonicalDigest({ b: 'é', a: [1, 2] })).toEqual({ digest: `sha256:${hex}`, size: 20 });
    expect(canonicalDigest({ a: [1, 2], b: 'é' })).toEqual(canonicalDigest({ b: 'é', a: [1, 2] }));
  });

  it('refuses what canonical JSON refuses', () => {
    expect(() => canonicalJsonSize({ a: undefined } as never)).toThrow(TypeError);
    expect(() => canonicalDigest([1n] as never)).toThrow(TypeError);
  });
});
