import type { CompiledQuery, DatabaseConnection, QueryResult } from 'kysely';
import type { Queryable } from './ledger.js';

/**
 * Kysely's connection to the pool or to the write batch's client, through the store's Queryable:
 * every statement keeps running as a named prepared statement (parsed and planned once per
 * connection), which Kysely's own PostgreSQL driver does not do.
 */
export class QueryableConnection implements DatabaseConnection {
  constructor(private readonly db: Queryable) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const { rows, rowCount } = await this.db.query(query.sql, query.parameters);
    return {
      rows: rows as R[],
      ...(rowCount === null ? {} : { numAffectedRows: BigInt(rowCount) }),
    };
  }

  // biome-ignore lint/correctness/useYield: streaming is not used by the store
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming queries are not supported by the PostgreSQL store');
  }
}
