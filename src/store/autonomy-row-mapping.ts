import type { AutonomyChangeRow, SystemOutcomeRow } from './autonomy-records.js';
import type { OutcomeStatus } from './records.js';
import type { Row } from './row-mapping.js';

/** Row mapping of the autonomy records, shared by the SQLite and PostgreSQL stores. */

export function autonomyChangeFrom(row: Row): AutonomyChangeRow {
  return {
    systemId: row.system_id as string,
    seq: Number(row.seq),
    at: row.at as string,
    from: Number(row.from_level),
    to: Number(row.to_level),
    ceiling: Number(row.ceiling),
    cause: row.cause as AutonomyChangeRow['cause'],
    by: row.changed_by as string,
    reason: row.reason as string,
    decisions: JSON.parse(row.decisions as string) as string[],
    ledgerIndex: Number(row.ledger_index),
  };
}

export function systemOutcomeFrom(row: Row): SystemOutcomeRow {
  return {
    decisionId: row.id as string,
    action: row.action as string,
    environment: row.environment as string,
    status: row.outcome_status as OutcomeStatus,
    at: row.outcome_at as string,
  };
}

/** `outcome_status, count` rows as counts per status; COUNT is a string in PostgreSQL. */
export function outcomeCountsFrom(rows: readonly Row[]): Record<OutcomeStatus, number> {
  const counts: Record<OutcomeStatus, number> = { succeeded: 0, failed: 0, rolled_back: 0 };
  for (const row of rows) counts[row.outcome_status as OutcomeStatus] = Number(row.count);
  return counts;
}
