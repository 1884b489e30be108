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
  return serialise(value, '$');
}

function serialise(value: unknown, path: string): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonical JSON: ${path} is not a finite number`);
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value))
        return `[${value.map((item, i) => serialise(item, `${path}[${i}]`)).join(',')}]`;
      if (!isPlainObject(value)) throw new TypeError(`canonical JSON: ${path} is not a plain object`);
      const keys = Object.keys(value).sort();
      const members = keys.map((key) => `${JSON.stringify(key)}:${serialise(value[key], `${path}.${key}`)}`);
      return `{${members.join(',')}}`;
    }
    default:
      throw new TypeError(`canonical JSON: ${path} is ${typeof value}, which JSON cannot represent`);
  }
}

/** Canonical JSON as UTF-8 bytes, the form that is hashed and signed. */
export function canonicalJsonBytes(value: JsonValue): Uint8Array {
  return new TextEncoder().encode(canonicalJson(value));
}
