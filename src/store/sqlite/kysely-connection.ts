import type Database from 'better-sqlite3';
import type { CompiledQuery, DatabaseConnection, QueryResult } from 'kysely';
import { type ReadBarrier, whenReadable } from './ledger.js';

/** More distinct statements than the store has queries means something builds SQL from data. */
const maxCachedStatements = 1_000;

/**
 * Kysely's connection to one better-sqlite3 database, with each statement prepared once per SQL
 * text and kept: preparing costs more than running most of Arbiter's queries, and Kysely's own
 * SQLite driver prepares on every call. The shared queries pass lists as one JSON parameter (see
 * SqlDialect.inList), so the texts are few and bounded.
 */
export class CachedStatementConnection implements DatabaseConnection {
  private readonly statements = new Map<string, Database.Statement>();

  constructor(
    private readonly db: Database.Database,
    /** Waited for after each query, before its result is returned (the reader's barrier: see WalSync.readable). */
    private readonly barrier: ReadBarrier = () => undefined,
  ) {}

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    return whenReadable(this.barrier, () => this.run<R>(query));
  }

  private run<R>(query: CompiledQuery): QueryResult<R> {
    const statement = this.statement(query.sql);
    const params = query.parameters.map(bindable);
    if (statement.reader) return { rows: statement.all(...params) as R[] };
    const { changes } = statement.run(...params);
    return { rows: [], numAffectedRows: BigInt(changes) };
  }

  // biome-ignore lint/correctness/useYield: streaming is not used by the store
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming queries are not supported by the SQLite store');
  }

  private statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      if (this.statements.size >= maxCachedStatements) this.statements.clear();
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }
}

/** better-sqlite3 binds no booleans: SQLite keeps them as 0 and 1. */
const bindable = (value: unknown) => (typeof value === 'boolean' ? (value ? 1 : 0) : value);
