import { type Static, Type } from '@sinclair/typebox';
import { canonicalJson } from '../core/canonical-json.js';
import { sha256Hex } from '../core/digest.js';
import { pooledRandomBytes } from '../core/ids.js';
import type { JsonObject, JsonValue } from '../core/json.js';
import { JsonObjectSchema } from '../core/json-schema.js';

/** Version of the entry format; part of every entry. */
export const entryVersion = 1;

export const LedgerEntrySchema = Type.Object(
  {
    v: Type.Number({ description: 'Version of the entry format' }),
    seq: Type.Number(),
    time: Type.String({ description: 'ISO 8601 UTC time the entry was appended' }),
    type: Type.String({
      description: 'What happened: `decision.created`, `approval.recorded`, `policy.reloaded`, …',
    }),
    actor: Type.String({ description: 'Who caused it: a System id, a user account, or `arbiter` itself' }),
    subject: Type.String({ description: 'What it is about: a decision id, a System id, …' }),
    data: JsonObjectSchema,
  },
  {
    description:
      'A ledger entry as hashed: RFC 8785 JSON of exactly these fields. Personal fields appear in `data` only as commitments under `personal`',
  },
);
/** A ledger entry as hashed: RFC 8785 JSON of exactly these fields. */
export type LedgerEntry = Static<typeof LedgerEntrySchema>;

/** What a caller appends: the event, plus fields holding personal data kept outside the hashed entry. */
export interface LedgerAppend {
  type: string;
  actor: string;
  subject: string;
  data: JsonObject;
  /** Personal data (names, emails, free text about people): committed to, stored beside the log, erasable. */
  personal?: Record<string, JsonValue>;
}

/** A personal value kept beside the log: the salt and value behind a commitment in the entry. */
export interface PersonalValue {
  seq: number;
  field: string;
  salt: Uint8Array;
  value: JsonValue;
}

/** Commitment to a personal value: `sha256:` hex of SHA-256(salt ‖ RFC 8785 JSON of the value). */
export function personalCommitment(salt: Uint8Array, value: JsonValue): string {
  const valueBytes = Buffer.from(canonicalJson(value), 'utf8');
  return `sha256:${sha256Hex(Buffer.concat([salt, valueBytes]))}`;
}

/**
 * Builds the entry for an append at `seq`: personal fields are replaced by commitments under
 * `data.personal`, with fresh 32-byte salts so equal values do not produce equal commitments.
 */
export function buildEntry(
  append: LedgerAppend,
  seq: number,
  time: Date,
  salt: (size: number) => Uint8Array = pooledRandomBytes,
): { entry: LedgerEntry; bytes: Uint8Array; personal: PersonalValue[] } {
  if (append.data.personal !== undefined) {
    throw new TypeError(
      'ledger entry data may not use the reserved key "personal"; pass personal fields separately',
    );
  }
  const personal: PersonalValue[] = [];
  const commitments: Record<string, JsonValue> = {};
  for (const [field, value] of Object.entries(append.personal ?? {})) {
    const fieldSalt = new Uint8Array(salt(32));
    personal.push({ seq, field, salt: fieldSalt, value });
    commitments[field] = personalCommitment(fieldSalt, value);
  }
  const data: JsonObject = personal.length > 0 ? { ...append.data, personal: commitments } : append.data;
  const entry: LedgerEntry = {
    v: entryVersion,
    seq,
    time: time.toISOString(),
    type: append.type,
    actor: append.actor,
    subject: append.subject,
    data,
  };
  return { entry, bytes: encodeEntry(entry), personal };
}

/** The exact bytes that are hashed into the tree. */
export function encodeEntry(entry: LedgerEntry): Uint8Array {
  return new TextEncoder().encode(canonicalJson(entry as unknown as JsonValue));
}

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
