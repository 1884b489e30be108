import { sha256Hex } from './digest.js';
import type { JsonValue } from './json.js';
import { isPlainObject } from './json.js';

/**
 * Serialises a value as RFC 8785 (JSON Canonicalization Scheme) text.
 *
 * ECMAScript's own number and string serialisation is what RFC 8785 specifies, so the work
 * left is ordering object keys by UTF-16 code units and refusing what JSON cannot carry:
 * `undefined`, functions, symbols, bigint, non-finite numbers and class instances.
 */
export function canonicalJson(value: JsonValue): string {
  try {
    return serialise(value);
  } catch (error) {
    if (error instanceof NotJson)
      throw new TypeError(`canonical JSON: ${locate(value, '$') ?? '$'} ${error.message}`);
    throw error;
  }
}

class NotJson extends Error {}

/**
 * A string JSON.stringify would change besides quoting it: a quote, a backslash, a control character or any
 * surrogate (a lone one is escaped; a paired one is not, but is rare enough to leave to stringify).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what JSON escapes
const needsEscaping = /["\\\u0000-\u001f\ud800-\udfff]/;

/**
 * A string as JSON.stringify writes it. Most strings (ids, digests, keys) need no escaping: quoting
 * them directly skips a call into the JSON serialiser per string, a quarter of the time of a
 * decision's ledger entry.
 */
function quote(text: string): string {
  return needsEscaping.test(text) ? JSON.stringify(text) : `"${text}"`;
}

// Hot path: no path bookkeeping; on failure, `locate` walks again to say where.
function serialise(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return quote(value);
    case 'number':
      if (!Number.isFinite(value)) throw new NotJson('is not a finite number');
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) out += (i === 0 ? '' : ',') + serialise(value[i]);
        return `${out}]`;
      }
      if (!isPlainObject(value)) throw new NotJson('is not a plain object');
      const keys = Object.keys(value).sort();
      let out = '{';
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!;
        out += `${i === 0 ? '' : ','}${quote(key)}:${serialise(value[key])}`;
      }
      return `${out}}`;
    }
    default:
      throw new NotJson(`is ${typeof value}, which JSON cannot represent`);
  }
}

/** The path of the first value JSON cannot carry, for the error message. */
function locate(value: unknown, path: string): string | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : path;
  if (typeof value !== 'object') return path;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = locate(value[i], `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  if (!isPlainObject(value)) return path;
  for (const key of Object.keys(value)) {
    const found = locate(value[key], `${path}.${key}`);
    if (found) return found;
  }
  return undefined;
}

/** Canonical JSON as UTF-8 bytes, the form that is hashed and signed. */
export function canonicalJsonBytes(value: JsonValue): Uint8Array {
  return new TextEncoder().encode(canonicalJson(value));
}

/** A value known by the SHA-256 (`sha256:` hex) and the size in bytes of its canonical JSON. */
export interface CanonicalDigest {
  digest: string;
  size: number;
}

/** Digest and size of a value's canonical JSON, serialised once: what is kept instead of the value. */
export function canonicalDigest(value: JsonValue): CanonicalDigest {
  const json = canonicalJson(value);
  return { digest: `sha256:${sha256Hex(json)}`, size: utf8Size(json) };
}

/** The size in bytes of a value's canonical JSON as UTF-8, without hashing it. */
export function canonicalJsonSize(value: JsonValue): number {
  return utf8Size(canonicalJson(value));
}

function utf8Size(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}
