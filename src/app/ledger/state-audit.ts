import {
  applyDecisionEntry,
  decisionMismatches,
  type RecordedDecision,
  startDecision,
} from '../../decisions/ledger-state.js';
import type { DecisionRow } from '../../decisions/records.js';
import { recordedToken, tokenEntryTypes, tokenMismatch } from '../../identity/ledger-state.js';
import { decodeEntry, type LedgerEntry } from '../../ledger/entry.js';
import { recordedSystemStatus, systemStatusEntryTypes } from '../../registry/ledger-state.js';
import type { Store } from '../../store/store.js';

/** One row that differs from what the ledger records. */
export interface StateAuditMismatch {
  kind: 'decision' | 'token' | 'system';
  id: string;
  /** What differs (`status`, `requirements`, `approvals`, `row`, …, or a token's reason). */
  field: string;
  table: string;
  ledger: string;
}

export interface StateAuditReport {
  ok: boolean;
  checked: { decisions: number; tokens: number; systems: number };
  mismatches: StateAuditMismatch[];
}

const chunk = 1_000;
const tokenTypes = new Set<string>(tokenEntryTypes);
const systemTypes = new Set<string>(systemStatusEntryTypes);

/**
 * The state audit: replays every ledger entry (decoded from its hashed bytes, which the ledger
 * audit has just verified against the signed checkpoints) into what it records of each decision,
 * approval, token and System status, and compares every table row with it. A row someone changed
 * in the database without the signing key — weakened requirements, a denial flipped to allowed, a
 * token that was never issued, a System unfrozen — is named here.
 */
export async function auditState(store: Store): Promise<StateAuditReport> {
  const decisions = new Map<string, RecordedDecision>();
  const tokenEntries = new Map<string, LedgerEntry[]>();
  const systemEntries = new Map<string, LedgerEntry[]>();
  const mismatches: StateAuditMismatch[] = [];
  const size = await store.ledger.size();
  for (let start = 0; start < size; start += chunk) {
    const stored = await store.ledger.entryBytes(start, Math.min(size, start + chunk));
    for (const [offset, { bytes }] of stored.entries()) {
      const decoded = decodeEntry(bytes, start + offset);
      if (!('entry' in decoded)) continue; // the ledger audit reports malformed entries
      const entry = decoded.entry;
      if (entry.type === 'decision.created') decisions.set(entry.subject, startDecision(entry));
      else if (entry.type.startsWith('decision.') || entry.type === 'approval.recorded') {
        const recorded = decisions.get(entry.subject);
        if (recorded) decisions.set(entry.subject, applyDecisionEntry(recorded, entry));
      } else if (tokenTypes.has(entry.type)) push(tokenEntries, entry);
      else if (systemTypes.has(entry.type)) push(systemEntries, entry);
    }
  }

  let decisionRows = 0;
  const seen = new Set<string>();
  let before: { createdAt: string; id: string } | undefined;
  for (;;) {
    const page: DecisionRow[] = await store.listDecisions({ limit: 500, ...(before ? { before } : {}) });
    for (const row of page) {
      decisionRows++;
      seen.add(row.id);
      const recorded = decisions.get(row.id);
      // Approvals matter only where approval was asked for; one query per such decision.
      const votable = row.effect === 'require_approval' || recorded?.effect === 'require_approval';
      const approvals =
        votable || (recorded?.votes.length ?? 0) > 0 ? await store.approvalsOf(row.id) : undefined;
      for (const problem of decisionMismatches(row, approvals, recorded))
        mismatches.push({ kind: 'decision', id: row.id, ...problem });
    }
    if (page.length < 500) break;
    const last = page.at(-1)!;
    before = { createdAt: last.createdAt, id: last.id };
  }
  for (const id of decisions.keys())
    if (!seen.has(id))
      mismatches.push({ kind: 'decision', id, field: 'row', table: 'none', ledger: 'decision.created' });

  const tokens = await store.listTokens();
  for (const row of tokens) {
    const mismatch = tokenMismatch(row, recordedToken(tokenEntries.get(row.id) ?? []));
    if (mismatch)
      mismatches.push({
        kind: 'token',
        id: row.id,
        field: mismatch.reason,
        table: 'row',
        ledger: mismatch.message,
      });
  }

  const systems = await store.listSystems();
  for (const row of systems) {
    const recorded = recordedSystemStatus(systemEntries.get(row.id) ?? []);
    if (recorded !== row.status)
      mismatches.push({ kind: 'system', id: row.id, field: 'status', table: row.status, ledger: recorded });
  }
  return {
    ok: mismatches.length === 0,
    checked: { decisions: decisionRows, tokens: tokens.length, systems: systems.length },
    mismatches,
  };
}

function push(map: Map<string, LedgerEntry[]>, entry: LedgerEntry): void {
  const list = map.get(entry.subject);
  if (list) list.push(entry);
  else map.set(entry.subject, [entry]);
}

/** One line per mismatch, for a terminal. */
export function describeStateMismatch(mismatch: StateAuditMismatch): string {
  if (mismatch.kind === 'token') return `token ${mismatch.id}: ${mismatch.field}: ${mismatch.ledger}`;
  return `${mismatch.kind} ${mismatch.id}: ${mismatch.field}: table ${mismatch.table}, ledger ${mismatch.ledger}`;
}
