import { type Static, Type } from '@sinclair/typebox';
import { canonicalJson } from '../core/canonical-json.js';
import { sha256Hex } from '../core/digest.js';
import { pooledRandomBytes } from '../core/ids.js';
import type { JsonObject, JsonValue } from '../core/json.js';
import { JsonObjectSchema } from '../core/json-schema.js';
import { ownCopy } from '../core/own-copy.js';
import { entryVersion } from './entry-scan.js';

// Reading entries back lives in entry-scan.ts, apart from the schema: verification's worker
// threads load it without TypeBox (~0.2 s of CPU per thread to import).
export { decodeEntry, entryVersion, personalOf, scanEntry, scanEntryAt } from './entry-scan.js';

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
  // `{ ...append.data, personal: commitments }`, built as a copy plus a key (see ownCopy).
  let data = append.data;
  if (personal.length > 0) {
    data = ownCopy(append.data);
    data.personal = commitments;
  }
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
