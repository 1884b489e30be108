import type { Kysely } from 'kysely';
import type {
  AutonomyChangeRow,
  AutonomyReads,
  AutonomyWrites,
  SystemOutcomeFilter,
  SystemOutcomeRow,
} from '../autonomy-records.js';
import { autonomyChangeFrom, outcomeCountsFrom, systemOutcomeFrom } from '../autonomy-row-mapping.js';
import type { OutcomeStatus } from '../records.js';
import type { SqlDialect } from './dialect.js';
import { precompiled } from './precompiled.js';
import type { Database } from './schema.js';

// Later than any ISO 8601 time: "no upper bound".
const endOfTime = '9999';

/** The autonomy records, written once for both databases. */
export class SqlAutonomyRecords implements AutonomyReads, AutonomyWrites {
  /** Read for every decision of a System (its standing autonomy level): compiled once. */
  private readonly changes;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: SqlDialect,
  ) {
    this.changes = precompiled(db, (p: { systemId: string; atOrBefore: string; limit: number }) =>
      db
        .selectFrom('autonomy_changes')
        .selectAll()
        .where('system_id', '=', p.systemId)
        .where('at', '<=', p.atOrBefore)
        .orderBy('seq', 'desc')
        .limit(p.limit),
    );
  }

  async autonomyChanges(
    systemId: string,
    options: { limit: number; atOrBefore?: string },
  ): Promise<AutonomyChangeRow[]> {
    const { rows } = await this.changes({
      systemId,
      atOrBefore: options.atOrBefore ?? endOfTime,
      limit: options.limit,
    });
    return rows.map(autonomyChangeFrom);
  }

  async systemFailures(
    systemId: string,
    filter: SystemOutcomeFilter & { limit: number },
  ): Promise<SystemOutcomeRow[]> {
    const rows = await this.outcomes(systemId, filter)
      .select(['id', 'action', 'environment', 'outcome_status', 'outcome_at'])
      .where('outcome_status', 'in', ['failed', 'rolled_back'])
      .orderBy('outcome_at')
      .orderBy('id')
      .limit(filter.limit)
      .execute();
    return rows.map(systemOutcomeFrom);
  }

  async systemOutcomeCounts(
    systemId: string,
    filter: SystemOutcomeFilter,
  ): Promise<Record<OutcomeStatus, number>> {
    const rows = await this.outcomes(systemId, filter)
      .select((eb) => ['outcome_status', eb.fn.countAll().as('count')])
      .groupBy('outcome_status')
      .execute();
    return outcomeCountsFrom(rows);
  }

  async insertAutonomyChange(row: AutonomyChangeRow): Promise<void> {
    await this.db
      .insertInto('autonomy_changes')
      .values({
        system_id: row.systemId,
        seq: row.seq,
        at: row.at,
        from_level: row.from,
        to_level: row.to,
        ceiling: row.ceiling,
        cause: row.cause,
        changed_by: row.by,
        reason: row.reason,
        decisions: JSON.stringify(row.decisions),
        ledger_index: row.ledgerIndex,
      })
      .execute();
  }

  /** Decisions of a System with an outcome in the filter's time range; the decisions_system_outcome index finds them. */
  private outcomes(systemId: string, filter: SystemOutcomeFilter) {
    return this.db
      .selectFrom('decisions')
      .where('system_id', '=', systemId)
      .where('outcome_at', '>=', filter.since)
      .where('outcome_at', '<', filter.until ?? endOfTime)
      .where(this.dialect.inList('environment', filter.environments, 'text'));
  }
}
