import { hash } from 'node:crypto';

// crypto.hash is the one-shot form: no Hash object to build and finalise, about half the cost of
// createHash().update().digest() for the short inputs hashed on every decision (tokens, requests).

/** SHA-256 of bytes or UTF-8 text, as lowercase hex. */
export function sha256Hex(input: Uint8Array | string): string {
  return hash('sha256', input, 'hex');
}

/** SHA-256 of bytes or UTF-8 text, as raw bytes. */
export function sha256(input: Uint8Array | string): Uint8Array {
  return new Uint8Array(hash('sha256', input, 'buffer'));
}
