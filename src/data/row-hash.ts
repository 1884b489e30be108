import { hash } from 'node:crypto';
import { categoricalValue, numericValue } from '../monitor/columns.js';

/**
 * Row identity for duplicate and leakage detection: a canonical text of the row's values (numbers
 * by value, so `1`, `1.0` and `"1"` from CSV, ARFF, NDJSON or Parquet agree; missing as one
 * marker), hashed with SHA-256 and cut to 8 bytes. With 64 bits, 10 million rows are expected to
 * hold a false match with probability about 3·10⁻⁶ (n²/2⁶⁵), and SHA-256 makes forging one as hard
 * as a second preimage of 64 bits.
 */

const missingMarker = '\u0000';
const separator = '\u001f';

/** The canonical text of one value. */
export function canonicalCell(value: unknown): string {
  const number = typeof value === 'boolean' ? undefined : numericValue(value);
  if (number !== undefined) return String(number);
  return categoricalValue(typeof value === 'string' ? value.trim() : value) ?? missingMarker;
}

/** The canonical text of a row over the given columns, in that order. */
export function rowKey(row: Readonly<Record<string, unknown>>, columns: readonly string[]): string {
  let key = '';
  for (let i = 0; i < columns.length; i++) {
    if (i > 0) key += separator;
    key += canonicalCell(row[columns[i]!]);
  }
  return key;
}

/** The first 8 bytes of SHA-256 of a key. */
export function hash8(key: string): Uint8Array {
  return hash('sha256', key, 'buffer').subarray(0, 8);
}
