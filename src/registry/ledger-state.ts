import type { LedgerEntry } from '../ledger/entry.js';
import type { SystemRow } from './records.js';

/**
 * A System's status as the ledger records it: the newest `system.frozen` / `system.unfrozen`
 * entry about it, `active` when there is none. A stored status the ledger does not support (a
 * frozen System set back to active in the database) is refused by the decision path and named by
 * the state audit.
 */

export const systemStatusEntryTypes = ['system.frozen', 'system.unfrozen'] as const;

/** The status the entries about one System record. */
export function recordedSystemStatus(entries: readonly LedgerEntry[]): SystemRow['status'] {
  const newest = [...entries]
    .filter((entry) => entry.type === 'system.frozen' || entry.type === 'system.unfrozen')
    .sort((a, b) => b.seq - a.seq)[0];
  return newest?.type === 'system.frozen' ? 'frozen' : 'active';
}
