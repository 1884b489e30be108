import type Database from 'better-sqlite3';

/** Records over one SQLite connection whose statements are prepared once, on first use. */
export abstract class LazyStatements {
  private readonly statements = new Map<string, Database.Statement>();

  constructor(protected readonly db: Database.Database) {}

  /** Prepared lazily: the read-only connection never prepares the writes. */
  protected statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }
}

/** One `create(db)` per connection, made on first use and kept as long as the connection lives. */
export function perConnection<T>(create: (db: Database.Database) => T): (db: Database.Database) => T {
  const byConnection = new WeakMap<Database.Database, T>();
  return (db) => {
    let records = byConnection.get(db);
    if (!records) {
      records = create(db);
      byConnection.set(db, records);
    }
    return records;
  };
}
