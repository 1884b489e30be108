import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Whether a presented secret (a token, a signature, a state) equals the expected one, in time
 * that depends on neither where they differ nor their lengths: both are compared as SHA-256
 * digests, so a length mismatch does not return early either. Text is compared as UTF-8.
 */
export function sameSecretText(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
