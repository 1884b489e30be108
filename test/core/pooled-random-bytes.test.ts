import { describe, expect, it } from 'vitest';
import { pooledRandomBytes } from '../../src/core/ids.js';

describe('pooledRandomBytes', () => {
  it('gives bytes of the size asked for, never the same twice, across refills of the pool', () => {
    const seen = new Set<string>();
    // 4 KiB pool (shared with the id generator): 1,000 salts of 32 bytes draw it empty seven times, and 33-byte draws straddle its end.
    for (let i = 0; i < 1_000; i++) {
      const size = i % 2 === 0 ? 32 : 33;
      const bytes = pooledRandomBytes(size);
      expect(bytes).toBeInstanceOf(Uint8Array);
      expect(bytes.length).toBe(size);
      seen.add(Buffer.from(bytes).toString('hex'));
    }
    expect(seen.size).toBe(1_000);
  });

  it('returns copies: a later draw or refill never changes bytes already handed out', () => {
    const first = pooledRandomBytes(32);
    const kept = Buffer.from(first).toString('hex');
    for (let i = 0; i < 200; i++) pooledRandomBytes(32);
    expect(Buffer.from(first).toString('hex')).toBe(kept);
    expect(first.byteOffset).toBe(0);
    expect(first.buffer.byteLength).toBe(32);
  });

  it('serves sizes larger than the pool, across several refills', () => {
    const big = pooledRandomBytes(10_000);
    expect(big.length).toBe(10_000);
    // 10,000 random bytes are not all one value.
    expect(new Set(big).size).toBeGreaterThan(200);
  });

  it('looks uniform: every byte value appears in 64 KiB of output', () => {
    const counts = new Array<number>(256).fill(0);
    for (let i = 0; i < 2_048; i++) for (const byte of pooledRandomBytes(32)) counts[byte]!++;
    // Expected 256 each; a value that never appears would mean a stuck or reused pool.
    expect(Math.min(...counts)).toBeGreaterThan(150);
  });
});
