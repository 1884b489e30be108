import { canonicalJson } from '../core/canonical-json.js';
import type { JsonObject, JsonValue } from '../core/json.js';
import type { LedgerEntry } from './entry.js';

/**
 * Reading stored entry bytes back: the full decode and the fast structural scan verification
 * runs on every entry. Apart from entry.ts (the schema and building entries) so that what
 * verification loads on each worker thread stays small.
 */

/** Version of the entry format; part of every entry. */
export const entryVersion = 1;

/**
 * Decodes stored entry bytes, checking that they are a well-formed version 1 entry in canonical
 * form with the expected seq; returns the entry, or why it is not one.
 */
export function decodeEntry(
  bytes: Uint8Array,
  expectedSeq: number,
): { entry: LedgerEntry } | { problem: string; foundSeq?: number } {
  let text: string;
  let parsed: unknown;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    parsed = JSON.parse(text);
  } catch {
    return { problem: 'is not valid UTF-8 JSON' };
  }
  const entry = parsed as Partial<LedgerEntry>;
  if (typeof entry !== 'object' || entry === null || entry.v !== entryVersion)
    return { problem: 'is not a version 1 ledger entry' };
  if (entry.seq !== expectedSeq) {
    return {
      problem: `has seq ${String(entry.seq)} where seq ${expectedSeq} belongs`,
      ...(typeof entry.seq === 'number' ? { foundSeq: entry.seq } : {}),
    };
  }
  if (canonicalJson(parsed as JsonValue) !== text) return { problem: 'is not in canonical (RFC 8785) form' };
  return { entry: entry as LedgerEntry };
}

/**
 * The commitments under `data.personal`, if any. A tampered entry can be canonical JSON with any
 * shape (no `data`, `data` an array): that is no commitments, not a crash.
 */
export function personalOf(entry: LedgerEntry): Record<string, JsonValue> | undefined {
  const data: unknown = entry.data;
  if (!data || typeof data !== 'object' || Array.isArray(data)) return undefined;
  const personal = (data as JsonObject).personal;
  return personal && typeof personal === 'object' && !Array.isArray(personal) ? personal : undefined;
}

const latin1 = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));
const entryStart = latin1('{"actor":"');
const entryEnd = latin1(',"v":1}');
const seqKey = latin1('"seq":');
const personalKey = latin1('"personal":{');
/** Boyer–Moore–Horspool shifts for `personalKey`: how far the search may jump past each byte. */
const personalShift = (() => {
  const shift = new Uint8Array(256).fill(personalKey.length);
  for (let i = 0; i < personalKey.length - 1; i++) shift[personalKey[i]!] = personalKey.length - 1 - i;
  return shift;
})();
const digit0 = 0x30;
const comma = 0x2c;

/** True when bytes[at, at + part.length) equals `part`. */
function hasAt(bytes: Uint8Array, at: number, part: Uint8Array): boolean {
  for (let i = 0; i < part.length; i++) if (bytes[at + i] !== part[i]) return false;
  return true;
}

/** Whether bytes[from, to) contains `"personal":{` (Boyer–Moore–Horspool: about length / 12 steps). */
function hasPersonalKey(bytes: Uint8Array, from: number, to: number): boolean {
  const last = personalKey.length - 1;
  for (let at = from; at + last < to; at += personalShift[bytes[at + last]!]!) {
    if (hasAt(bytes, at, personalKey)) return true;
  }
  return false;
}

/**
 * The fast structural check verification runs on every entry, on the raw bytes: they look like
 * a version 1 canonical entry and carry the expected seq. Key order in canonical JSON puts the
 * top-level "seq" after "data", and no JSON string can contain the characters `"seq":`
 * unescaped, so the last occurrence is the top-level one. Entries with personal fields are
 * decoded in full to read their commitments. Integrity does not rest on this check (the leaf
 * hash and the signed root do); `decodeEntry` is the full check, used in strict mode.
 */
export function scanEntry(
  bytes: Uint8Array,
  expectedSeq: number,
): { problem?: string; foundSeq?: number; personal?: Record<string, JsonValue> } {
  return scanEntryAt(bytes, 0, bytes.length, expectedSeq);
}

/**
 * scanEntry of the entry at bytes[from, to), without copying it out: verification scans a
 * million entries in place in their batch, in plain loops rather than Buffer calls (whose fixed
 * cost per call was most of the scan's).
 */
export function scanEntryAt(
  bytes: Uint8Array,
  from: number,
  to: number,
  expectedSeq: number,
): { problem?: string; foundSeq?: number; personal?: Record<string, JsonValue> } {
  if (
    to - from < entryStart.length + entryEnd.length ||
    !hasAt(bytes, from, entryStart) ||
    !hasAt(bytes, to - entryEnd.length, entryEnd)
  ) {
    return { problem: 'is not a version 1 ledger entry' };
  }
  let at = to - seqKey.length;
  while (at >= from && !hasAt(bytes, at, seqKey)) at--;
  if (at < from) return { problem: 'has no valid seq' };
  let seq = 0;
  let position = at + seqKey.length;
  const first = position;
  while (position < to && bytes[position] !== comma) {
    const digit = bytes[position]! - digit0;
    if (digit < 0 || digit > 9 || (position > first && seq === 0 && bytes[first] === digit0))
      return { problem: 'has no valid seq' };
    seq = seq * 10 + digit;
    position++;
  }
  if (position === first || position >= to) return { problem: 'has no valid seq' };
  if (seq !== expectedSeq)
    return { problem: `has seq ${seq} where seq ${expectedSeq} belongs`, foundSeq: seq };
  if (!hasPersonalKey(bytes, from, to)) return {};
  const decoded = decodeEntry(bytes.subarray(from, to), expectedSeq);
  if ('problem' in decoded) return decoded;
  const personal = personalOf(decoded.entry);
  return personal ? { personal } : {};
}
