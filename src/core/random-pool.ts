import { randomBytes, randomFillSync } from 'node:crypto';

// One call into the system's generator per 4 KiB instead of one per salt: a call costs more than
// the bytes. Each byte is handed out once, and a copy is returned, so a refill never changes one.
const pool = Buffer.allocUnsafeSlow(4096);
let offset = pool.length;

/** `size` cryptographically random bytes (node:crypto's CSPRNG), drawn from a pool. */
export function pooledRandomBytes(size: number): Uint8Array {
  if (size > pool.length) return new Uint8Array(randomBytes(size));
  if (offset + size > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const bytes = new Uint8Array(size);
  bytes.set(pool.subarray(offset, offset + size));
  offset += size;
  return bytes;
}
