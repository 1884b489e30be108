import { describe, expect, it } from 'vitest';
import { TtlCache } from '../../src/core/ttl-cache.js';

/** A read that answers when told to, counting how often it was started. */
function controlledRead<V>() {
  const control = {
    started: 0,
    answer: (_value: V) => {},
    fail: (_error: Error) => {},
    read: () => {
      control.started++;
      return new Promise<V>((resolve, reject) => {
        control.answer = resolve;
        control.fail = reject;
      });
    },
  };
  return control;
}

describe('TtlCache.load', () => {
  it('one read for every caller that asks while it runs; the value is then cached until it expires', async () => {
    let now = 0;
    const cache = new TtlCache<string, string>(1_000, 100, () => now);
    const read = controlledRead<string>();
    const callers = Array.from({ length: 10 }, () => cache.load('k', read.read));
    read.answer('v1');
    expect(await Promise.all(callers)).toEqual(Array(10).fill('v1'));
    expect(read.started).toBe(1);
    now = 999;
    expect(await cache.load('k', read.read)).toBe('v1');
    expect(read.started).toBe(1);
    now = 1_000;
    const again = cache.load('k', read.read);
    read.answer('v2');
    expect(await again).toBe('v2');
    expect(read.started).toBe(2);
  });

  it('a failed read reaches everyone who joined it and is not cached', async () => {
    const cache = new TtlCache<string, string>(1_000, 100, () => 0);
    const read = controlledRead<string>();
    const callers = [cache.load('k', read.read), cache.load('k', read.read)];
    read.fail(new Error('unknown token'));
    for (const result of await Promise.allSettled(callers))
      expect(result).toMatchObject({ status: 'rejected', reason: { message: 'unknown token' } });
    const next = cache.load('k', read.read);
    read.answer('v');
    expect(await next).toBe('v');
    expect(read.started).toBe(2);
  });

  it('different keys are read separately', async () => {
    const cache = new TtlCache<string, string>(1_000, 100, () => 0);
    const a = controlledRead<string>();
    const b = controlledRead<string>();
    const first = cache.load('a', a.read);
    const second = cache.load('b', b.read);
    a.answer('A');
    b.answer('B');
    expect([await first, await second]).toEqual(['A', 'B']);
  });

  for (const [name, invalidate] of [
    ['delete', (cache: TtlCache<string, string>) => cache.delete('k')],
    ['clear', (cache: TtlCache<string, string>) => cache.clear()],
    ['deleteWhere', (cache: TtlCache<string, string>) => cache.deleteWhere(() => false)],
  ] as const) {
    it(`${name} during a read: callers after it read again, and the older read's value is not kept`, async () => {
      const cache = new TtlCache<string, string>(1_000, 100, () => 0);
      const before = controlledRead<string>();
      const after = controlledRead<string>();
      const early = cache.load('k', before.read);
      invalidate(cache);
      const late = cache.load('k', after.read);
      expect(after.started).toBe(1);
      after.answer('fresh');
      before.answer('stale');
      expect(await early).toBe('stale');
      expect(await late).toBe('fresh');
      // Stored by the read that started after the invalidation, not by the one before it.
      expect(cache.get('k')).toBe('fresh');
    });
  }
});
