import { randomBytes } from 'node:crypto';

// Random bytes are drawn from a pool refilled 4 KiB at a time: one system call per ~340 ids.
let pool = Buffer.alloc(0);
let poolOffset = 0;
function randomByte(): number {
  if (poolOffset >= pool.length) {
    pool = randomBytes(4096);
    poolOffset = 0;
  }
  return pool[poolOffset++]!;
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
