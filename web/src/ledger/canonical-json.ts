/**
 * RFC 8785 (JSON Canonicalization Scheme) for values that came out of JSON.parse: ECMAScript's
 * number and string serialisation is what the RFC specifies, so only the key order (UTF-16 code
 * units, which is what Array.prototype.sort compares) is left to do. This is how the browser
 * rebuilds the exact bytes of a ledger entry from the JSON the API returns.
 */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export function canonicalJson(value: Json): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError('not a finite number');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key]!)}`).join(',')}}`;
}

/** UTF-8 bytes of the canonical JSON: what the ledger hashes. */
export function canonicalJsonBytes(value: Json): Uint8Array {
  return new TextEncoder().encode(canonicalJson(value));
}
