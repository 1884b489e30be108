import { createHash } from 'node:crypto';

/** SHA-256 of bytes or UTF-8 text, as lowercase hex. */
export function sha256Hex(input: Uint8Array | string): string {
  return createHash('sha256').update(input).digest('hex');
}

/** SHA-256 of bytes or UTF-8 text, as raw bytes. */
export function sha256(input: Uint8Array | string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(input).digest());
}
