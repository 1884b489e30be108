import type { IncidentFilter } from './incident-records.js';
import type { DecisionFilter } from './records.js';

/**
 * A newest-first page of a table, as both stores list decisions and incidents: equality filters,
 * a lower time bound, a keyset cursor (the last row of the previous page) and a limit. The two
 * dialects differ only in placeholders and in how the cursor compares (PostgreSQL's row values).
 */
export interface PageQuery {
  table: string;
  /** Column = value, for each value given; undefined values filter nothing. */
  equal: readonly (readonly [column: string, value: unknown])[];
  /** The ISO 8601 time column rows are ordered by (newest first, then id). */
  timeColumn: string;
  since?: string | undefined;
  before?: { time: string; id: string } | undefined;
  limit: number;
}

export type SqlDialect = 'sqlite' | 'postgres';

/** The SELECT and its parameters for `query` in `dialect`. */
export function pageSql(query: PageQuery, dialect: SqlDialect): { sql: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  const param = (value: unknown) => {
    params.push(value);
    return dialect === 'postgres' ? `$${params.length}` : '?';
  };
  const time = query.timeColumn;
  for (const [column, value] of query.equal) if (value) where.push(`${column} = ${param(value)}`);
  if (query.since) where.push(`${time} >= ${param(query.since)}`);
  if (query.before) {
    const { time: at, id } = query.before;
    where.push(
      dialect === 'postgres'
        ? `(${time}, id) < (${param(at)}, ${param(id)})`
        : `(${time} < ${param(at)} OR (${time} = ${param(at)} AND id < ${param(id)}))`,
    );
  }
  const sql = `SELECT * FROM ${query.table} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ${time} DESC, id DESC LIMIT ${param(query.limit)}`;
  return { sql, params };
}

/** A page of decisions, newest first. */
export function decisionPage(filter: DecisionFilter): PageQuery {
  return {
    table: 'decisions',
    equal: [
      ['status', filter.status],
      ['system_id', filter.systemId],
      ['actor_id', filter.actorId],
      ['action', filter.action],
      ['environment', filter.environment],
    ],
    timeColumn: 'created_at',
    since: filter.since,
    before: filter.before && { time: filter.before.createdAt, id: filter.before.id },
    limit: filter.limit,
  };
}

/** A page of incidents, most recently opened first. */
export function incidentPage(filter: IncidentFilter): PageQuery {
  return {
    table: 'incidents',
    equal: [
      ['status', filter.status],
      ['system_id', filter.systemId],
      ['severity', filter.severity],
    ],
    timeColumn: 'opened_at',
    since: filter.since,
    before: filter.before && { time: filter.before.openedAt, id: filter.before.id },
    limit: filter.limit,
  };
}
