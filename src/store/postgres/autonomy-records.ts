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
import type { Queryable } from './records.js';

// The decisions_system_outcome index finds the rows.
const outcomeWhere =
  'system_id = $1 AND outcome_at >= $2 AND ($3::text IS NULL OR outcome_at < $3) AND environment = ANY($4::text[])';

/** The autonomy records over one PostgreSQL connection or transaction. */
export class PgAutonomyRecords implements AutonomyReads, AutonomyWrites {
  constructor(private readonly db: Queryable) {}

  async autonomyChanges(
    systemId: string,
    options: { limit: number; atOrBefore?: string },
  ): Promise<AutonomyChangeRow[]> {
    const { rows } = await this.db.query(
      'SELECT * FROM autonomy_changes WHERE system_id = $1 AND ($2::text IS NULL OR at <= $2) ORDER BY seq DESC LIMIT $3',
      [systemId, options.atOrBefore ?? null, options.limit],
    );
    return rows.map(autonomyChangeFrom);
  }

  async systemFailures(
    systemId: string,
    filter: SystemOutcomeFilter & { limit: number },
  ): Promise<SystemOutcomeRow[]> {
    const { rows } = await this.db.query(
      `SELECT id, action, environment, outcome_status, outcome_at FROM decisions
       WHERE ${outcomeWhere} AND outcome_status IN ('failed', 'rolled_back') ORDER BY outcome_at, id LIMIT $5`,
      [...params(systemId, filter), filter.limit],
    );
    return rows.map(systemOutcomeFrom);
  }

  async systemOutcomeCounts(
    systemId: string,
    filter: SystemOutcomeFilter,
  ): Promise<Record<OutcomeStatus, number>> {
    const { rows } = await this.db.query(
      `SELECT outcome_status, COUNT(*) AS count FROM decisions WHERE ${outcomeWhere} GROUP BY outcome_status`,
      params(systemId, filter),
    );
    return outcomeCountsFrom(rows);
  }

  async insertAutonomyChange(row: AutonomyChangeRow): Promise<void> {
    await this.db.query(
      `INSERT INTO autonomy_changes (${autonomyChangeColumns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      autonomyChangeValues(row),
    );
  }
}

function params(systemId: string, filter: SystemOutcomeFilter): unknown[] {
  return [systemId, filter.since, filter.until ?? null, [...filter.environments]];
}
