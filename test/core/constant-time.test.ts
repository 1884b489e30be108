import { describe, expect, it } from 'vitest';
import { sameSecretText } from '../../src/core/constant-time.js';

describe('sameSecretText', () => {
  it('is true for equal text', () => {
    expect(sameSecretText('whsec_abc', 'whsec_abc')).toBe(true);
    expect(sameSecretText('ключ 🔑', 'ключ 🔑')).toBe(true);
  });

  it('is false for different text of the same length', () => {
    expect(sameSecretText('whsec_abc', 'whsec_abd')).toBe(false);
    expect(sameSecretText('Abc', 'abc')).toBe(false);
  });

  it('is false for different lengths, a prefix included', () => {
    expect(sameSecretText('whsec_ab', 'whsec_abc')).toBe(false);
    expect(sameSecretText('whsec_abc', 'whsec_ab')).toBe(false);
    // Same number of UTF-16 units, different bytes.
    expect(sameSecretText('é', 'e')).toBe(false);
  });

  it('is false when one side is empty, true only when both are', () => {
    expect(sameSecretText('', 'secret')).toBe(false);
    expect(sameSecretText('secret', '')).toBe(false);
    expect(sameSecretText('', '')).toBe(true);
  });

  it('tells apart texts that differ only after a NUL', () => {
    expect(sameSecretText('a\u0000b', 'a\u0000c')).toBe(false);
  });
});
