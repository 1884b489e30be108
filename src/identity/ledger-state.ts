import type { LedgerEntry } from '../ledger/entry.js';
import type { TokenRow } from './records.js';

/**
 * A bearer token as the ledger records it, and how a stored token row differs from that.
 * `token.created` records the token's hash with its role and identity; `token.attested` records the
 * same for a token issued before hashes were recorded (an admin vouched for it, see
 * `arbiter tokens attest`); `token.revoked` ends it. A row the ledger does not record — inserted
 * or altered by someone who can write to the database — is not a token.
 */

export const tokenEntryTypes = ['token.created', 'token.attested', 'token.revoked'] as const;

/** What the ledger records of one token. */
export interface RecordedToken {
  id: string;
  /** SHA-256 hex of the token; undefined when only a hash-less `token.created` exists. */
  hash?: string;
  role?: string;
  systemId?: string;
  user?: string;
  groups: string[];
  revoked: boolean;
  /** True when its hash comes from `token.attested` rather than `token.created`. */
  attested: boolean;
}

/** The fields a `token.created` / `token.attested` entry holds for a row. */
export function tokenEntryData(row: TokenRow): {
  hash: string;
  role: string;
  systemId?: string;
  user?: string;
  groups: string[];
} {
  return {
    hash: row.hash,
    role: row.role,
    ...(row.systemId ? { systemId: row.systemId } : {}),
    ...(row.userName ? { user: row.userName } : {}),
    groups: row.groups,
  };
}

const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** Replays the entries about one token. Undefined when neither `token.created` nor `token.attested` is among them. */
export function recordedToken(entries: readonly LedgerEntry[]): RecordedToken | undefined {
  let recorded: RecordedToken | undefined;
  for (const entry of [...entries].sort((a, b) => a.seq - b.seq)) {
    if (entry.type === 'token.created' || entry.type === 'token.attested') {
      const hash = text(entry.data.hash);
      // An attestation fills in the hash a hash-less `token.created` lacks; it never replaces one.
      if (recorded?.hash !== undefined) continue;
      const role = text(entry.data.role);
      const systemId = text(entry.data.systemId);
      const user = text(entry.data.user);
      recorded = {
        id: entry.subject,
        ...(hash !== undefined ? { hash } : {}),
        ...(role !== undefined ? { role } : {}),
        ...(systemId !== undefined ? { systemId } : {}),
        ...(user !== undefined ? { user } : {}),
        groups: strings(entry.data.groups),
        revoked: recorded?.revoked ?? false,
        attested: entry.type === 'token.attested' && hash !== undefined,
      };
    } else if (entry.type === 'token.revoked' && recorded) {
      recorded = { ...recorded, revoked: true };
    }
  }
  return recorded;
}

/** Why a token row is not what the ledger records, or undefined when the ledger supports it. */
export function tokenMismatch(
  row: TokenRow,
  recorded: RecordedToken | undefined,
): { reason: 'unrecorded' | 'unattested' | 'altered' | 'revoked'; message: string } | undefined {
  // Revoked in both: it authenticates nobody, whatever else it was.
  if (row.revokedAt && recorded?.revoked) return undefined;
  if (!recorded)
    return { reason: 'unrecorded', message: `token ${row.id} has no token.created entry in the ledger` };
  if (recorded.hash === undefined)
    return {
      reason: 'unattested',
      message: `token ${row.id} was issued before the ledger recorded token hashes and has not been attested (arbiter tokens attest --by NAME)`,
    };
  const expected = tokenEntryData(row);
  const differing = [
    expected.hash !== recorded.hash ? 'hash' : '',
    expected.role !== recorded.role ? 'role' : '',
    expected.systemId !== recorded.systemId ? 'system' : '',
    expected.user !== recorded.user ? 'user' : '',
    JSON.stringify(expected.groups) !== JSON.stringify(recorded.groups) ? 'groups' : '',
  ].filter(Boolean);
  if (differing.length > 0)
    return {
      reason: 'altered',
      message: `token ${row.id}'s ${differing.join(', ')} differ from what the ledger recorded when it was issued`,
    };
  if (recorded.revoked && !row.revokedAt)
    return { reason: 'revoked', message: `the ledger records token ${row.id} as revoked` };
  return undefined;
}
