import { describe, expect, it } from 'vitest';
import { recordedToken, tokenEntryData, tokenMismatch } from '../../src/identity/ledger-state.js';
import type { TokenRow } from '../../src/identity/records.js';
import type { LedgerEntry } from '../../src/ledger/entry.js';

/** A token row against its entries: each edit a database writer could make, named after it. */
const row: TokenRow = {
  id: 'tok_1',
  hash: 'ab'.repeat(32),
  role: 'approver',
  userName: 'alice',
  groups: ['sre'],
  createdAt: 'x',
};
const entry = (seq: number, type: string, data: LedgerEntry['data']): LedgerEntry => ({
  v: 1,
  seq,
  time: 't',
  type,
  actor: 'root',
  subject: 'tok_1',
  data,
});
const created = entry(1, 'token.created', tokenEntryData(row));
const reason = (edited: TokenRow, entries: LedgerEntry[]) =>
  tokenMismatch(edited, recordedToken(entries))?.reason;

describe('tokenMismatch', () => {
  it('a row as issued is supported', () => {
    expect(reason(row, [created])).toBeUndefined();
  });
  it('inserted-row: no entry at all', () => {
    expect(reason(row, [])).toBe('unrecorded');
  });
  it.each([
    ['role-raised', { role: 'admin' }],
    ['groups-added', { groups: ['sre', 'dba'] }],
    ['user-renamed', { userName: 'bob' }],
    ['hash-swapped', { hash: 'cd'.repeat(32) }],
  ] as const)('%s is altered', (_name, edit) => {
    expect(reason({ ...row, ...edit } as TokenRow, [created])).toBe('altered');
  });
  it('un-revoked in the table while the ledger revokes it', () => {
    expect(reason(row, [created, entry(2, 'token.revoked', {})])).toBe('revoked');
    expect(reason({ ...row, revokedAt: 'y' }, [created, entry(2, 'token.revoked', {})])).toBeUndefined();
  });
  it('a hash-less token.created (before hashes) is unattested until token.attested', () => {
    const old = entry(1, 'token.created', { role: 'approver', user: 'alice', groups: ['sre'] });
    expect(reason(row, [old])).toBe('unattested');
    expect(reason(row, [old, entry(5, 'token.attested', tokenEntryData(row))])).toBeUndefined();
    expect(recordedToken([old, entry(5, 'token.attested', tokenEntryData(row))])?.attested).toBe(true);
  });
  it('an attestation never replaces a recorded hash', () => {
    const other = { ...row, hash: 'cd'.repeat(32) };
    expect(reason(other, [created, entry(5, 'token.attested', tokenEntryData(other))])).toBe('altered');
  });
});
