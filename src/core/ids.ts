import { randomBytes } from 'node:crypto';

// Random bytes are drawn from a pool refilled 4 KiB at a time: one system call per ~340 ids or
// 128 salts, instead of one each (a call costs more than its bytes). Each byte is handed out once.
let pool = Buffer.alloc(0);
let poolOffset = 0;
function refill(): void {
  pool = randomBytes(4096);
  poolOffset = 0;
}

function randomByte(): number {
  if (poolOffset >= pool.length) refill();
  return pool[poolOffset++]!;
}

/**
 * `size` cryptographically random bytes (node:crypto's CSPRNG) from the same pool: ledger salts.
 * A copy, so a refill never changes bytes already handed out.
 */
export function pooledRandomBytes(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let filled = 0; filled < size; ) {
    if (poolOffset >= pool.length) refill();
    const take = Math.min(size - filled, pool.length - poolOffset);
    bytes.set(pool.subarray(poolOffset, poolOffset + take), filled);
    poolOffset += take;
    filled += take;
  }
  return bytes;
}

/** Makes identifiers; injected so domain code and tests control them. */
export type IdGenerator = (prefix: string) => string;

const alphabet = '0123456789abcdefghjkmnpqrstvwxyz';

/**
 * `prefix_` + 10 characters of millisecond time + 12 random characters (Crockford base32,
 * lowercase): identifiers sort by creation time and are hard to guess.
 */
export const randomIds: IdGenerator = (prefix) => {
  let time = Date.now();
  let timePart = '';
  for (let i = 0; i < 10; i++) {
    timePart = alphabet[time % 32] + timePart;
    time = Math.floor(time / 32);
  }
  let randomPart = '';
  for (let i = 0; i < 12; i++) randomPart += alphabet[randomByte() % 32];
  return `${prefix}_${timePart}${randomPart}`;
};
