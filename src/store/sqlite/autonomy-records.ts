import type {
  AutonomyChangeRow,
  AutonomyReads,
  AutonomyWrites,
  SystemOutcomeFilter,
  SystemOutcomeRow,
} from '../autonomy-records.js';
import {
  autonomyChangeColumns,
  autonomyChangeFrom,
  autonomyChangeValues,
  outcomeCountsFrom,
  systemOutcomeFrom,
} from '../autonomy-row-mapping.js';
import type { OutcomeStatus } from '../records.js';
import type { Row } from '../row-mapping.js';
import { LazyStatements, perConnection } from './statements.js';

// Environments travel as one JSON parameter; the decisions_system_outcome index finds the rows.
const outcomeWhere =
  'system_id = ? AND outcome_at >= ? AND outcome_at < ? AND environment IN (SELECT value FROM json_each(?))';
// Later than any ISO 8601 time: "no upper bound".
const endOfTime = '9999';

/** The autonomy records of one SQLite connection (statements prepared once, on first use). */
export class SqliteAutonomyRecords extends LazyStatements implements AutonomyReads, AutonomyWrites {
  async autonomyChanges(
    systemId: string,
    options: { limit: number; atOrBefore?: string },
  ): Promise<AutonomyChangeRow[]> {
    const rows = this.statement(
      'SELECT * FROM autonomy_changes WHERE system_id = ? AND at <= ? ORDER BY seq DESC LIMIT ?',
    ).all(systemId, options.atOrBefore ?? endOfTime, options.limit) as Row[];
    return rows.map(autonomyChangeFrom);
  }

  async systemFailures(
    systemId: string,
    filter: SystemOutcomeFilter & { limit: number },
  ): Promise<SystemOutcomeRow[]> {
    const rows = this.statement(
      `SELECT id, action, environment, outcome_status, outcome_at FROM decisions
       WHERE ${outcomeWhere} AND outcome_status IN ('failed', 'rolled_back') ORDER BY outcome_at, id LIMIT ?`,
    ).all(...this.params(systemId, filter), filter.limit) as Row[];
    return rows.map(systemOutcomeFrom);
  }

  async systemOutcomeCounts(
    systemId: string,
    filter: SystemOutcomeFilter,
  ): Promise<Record<OutcomeStatus, number>> {
    const rows = this.statement(
      `SELECT outcome_status, COUNT(*) AS count FROM decisions WHERE ${outcomeWhere} GROUP BY outcome_status`,
    ).all(...this.params(systemId, filter)) as Row[];
    return outcomeCountsFrom(rows);
  }

  async insertAutonomyChange(row: AutonomyChangeRow): Promise<void> {
    this.statement(
      `INSERT INTO autonomy_changes (${autonomyChangeColumns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(...autonomyChangeValues(row));
  }

  private params(systemId: string, filter: SystemOutcomeFilter): unknown[] {
    return [systemId, filter.since, filter.until ?? endOfTime, JSON.stringify(filter.environments)];
  }
}

export const sqliteAutonomyRecords = perConnection((db) => new SqliteAutonomyRecords(db));
