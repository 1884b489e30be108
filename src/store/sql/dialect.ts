import {
  type DatabaseConnection,
  type Driver,
  type Expression,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type SqlBool,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  sql,
} from 'kysely';
import { erasedValue, type PersonalMirror } from '../personal-mirrors.js';
import type { ColumnName, Database } from './schema.js';

/**
 * What the shared queries need to know about the database beneath them: the few expressions
 * whose SQL differs between SQLite and PostgreSQL. Everything else is written once in Kysely.
 */
export interface SqlDialect {
  readonly kind: 'sqlite' | 'postgres';
  /**
   * `column IN (values)` with the whole list as one parameter, so the statement text (and its
   * prepared statement) is the same however long the list: SQLite reads it with json_each,
   * PostgreSQL as an array.
   */
  inList(column: ColumnName, values: readonly (string | number)[], type: ColumnKind): Expression<SqlBool>;
  /** Row locks for a claim that several replicas may make at once (PostgreSQL); SQLite has one writer. */
  readonly skipLocked: boolean;
  /** `SET column = …` that erases a personal value mirrored in a table column. */
  erased(mirror: PersonalMirror): Expression<unknown>;
  /**
   * Many rows as one SELECT with one parameter per column (PostgreSQL's unnest) or one in all
   * (SQLite's json_each): a batch of thousands is one statement, under either database's limit on
   * parameters, with the same text whatever its size. Values in `types`' order.
   */
  rows(types: readonly ColumnKind[], rows: readonly (readonly unknown[])[]): Expression<unknown>;
}

export type ColumnKind = 'text' | 'bigint' | 'int';

export const sqliteDialect: SqlDialect = {
  kind: 'sqlite',
  inList: (column, values) =>
    sql<SqlBool>`${sql.ref(column)} IN (SELECT value FROM json_each(${JSON.stringify(values)}))`,
  skipLocked: false,
  erased: (mirror) => sql.raw(erasedValue(mirror, 'sqlite')),
  rows: (types, rows) =>
    sql`SELECT ${sql.join(types.map((_, i) => sql.raw(`value ->> ${i}`)))} FROM json_each(${JSON.stringify(rows)})`,
};

export const postgresDialect: SqlDialect = {
  kind: 'postgres',
  inList: (column, values, type) =>
    sql<SqlBool>`${sql.ref(column)} = ANY(${[...values]}::${sql.raw(type)}[])`,
  skipLocked: true,
  erased: (mirror) => sql.raw(erasedValue(mirror, 'postgres')),
  rows: (types, rows) =>
    sql`SELECT * FROM unnest(${sql.join(types.map((type, i) => sql`${rows.map((row) => row[i])}::${sql.raw(type)}[]`))})`,
};

/**
 * A Kysely instance over one connection the store already manages (SQLite's writer or reader,
 * PostgreSQL's pool or the write batch's client). Transactions stay with the store's write queue
 * (group commit), so the driver refuses Kysely's own.
 */
export function kyselyOver(connection: DatabaseConnection, dialect: SqlDialect): Kysely<Database> {
  const postgres = dialect.kind === 'postgres';
  return new Kysely<Database>({
    dialect: {
      createAdapter: () => (postgres ? new PostgresAdapter() : new SqliteAdapter()),
      createDriver: () => new ConnectionDriver(connection),
      createIntrospector: (db) => (postgres ? new PostgresIntrospector(db) : new SqliteIntrospector(db)),
      createQueryCompiler: () => (postgres ? new PostgresQueryCompiler() : new SqliteQueryCompiler()),
    },
  });
}

const ownTransactions = () =>
  Promise.reject(new Error("transactions belong to the store's write queue, not to Kysely"));

class ConnectionDriver implements Driver {
  constructor(private readonly connection: DatabaseConnection) {}
  async init(): Promise<void> {}
  async acquireConnection(): Promise<DatabaseConnection> {
    return this.connection;
  }
  beginTransaction = ownTransactions;
  commitTransaction = ownTransactions;
  rollbackTransaction = ownTransactions;
  async releaseConnection(): Promise<void> {}
  async destroy(): Promise<void> {}
}
