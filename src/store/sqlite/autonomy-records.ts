import type Database from 'better-sqlite3';
import type {
  AutonomyChangeRow,
  AutonomyReads,
  AutonomyWrites,
  SystemOutcomeFilter,
  SystemOutcomeRow,
} from '../autonomy-records.js';
import { autonomyChangeFrom, outcomeCountsFrom, systemOutcomeFrom } from '../autonomy-row-mapping.js';
import type { OutcomeStatus } from '../records.js';
import type { Row } from '../row-mapping.js';

const byConnection = new WeakMap<Database.Database, SqliteAutonomyRecords>();

/** The autonomy records of one SQLite connection (statements prepared once, on first use). */
export function sqliteAutonomyRecords(db: Database.Database): SqliteAutonomyRecords {
  let records = byConnection.get(db);
  if (!records) {
    records = new SqliteAutonomyRecords(db);
    byConnection.set(db, records);
  }
  return records;
}

// Environments travel as one JSON parameter; the decisions_system_outcome index finds the rows.
const outcomeWhere =
  'system_id = ? AND outcome_at >= ? AND outcome_at < ? AND environment IN (SELECT value FROM json_each(?))';
// Later than any ISO 8601 time: "no upper bound".
const endOfTime = '9999';

export class SqliteAutonomyRecords implements AutonomyReads, AutonomyWrites {
  private readonly statements = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {}

  /** Prepared lazily: the read-only connection never prepares the writes. */
  private statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

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
      `INSERT INTO autonomy_changes (system_id, seq, at, from_level, to_level, ceiling, cause, changed_by, reason, decisions, ledger_index)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      row.systemId,
      row.seq,
      row.at,
      row.from,
      row.to,
      row.ceiling,
      row.cause,
      row.by,
      row.reason,
      JSON.stringify(row.decisions),
      row.ledgerIndex,
    );
  }

  private params(systemId: string, filter: SystemOutcomeFilter): unknown[] {
    return [systemId, filter.since, filter.until ?? endOfTime, JSON.stringify(filter.environments)];
  }
}
