import type { Compilable, CompiledQuery, Insertable, Kysely, QueryResult } from 'kysely';
import { ownCopy } from '../../core/own-copy.js';
import type { Database } from './schema.js';

/** Stands in for a named parameter while a query is compiled. */
class Slot {
  constructor(readonly name: string) {}
}

/**
 * A query built and compiled once, then run with new parameter values: the hot path's queries
 * (every decision runs a dozen) would otherwise pay Kysely's building and compiling on each call,
 * several times what running the prepared statement costs in SQLite (measured: see
 * docs/benchmarks.md). `build` receives a stand-in for each parameter, by name, and must use them
 * only as values (no branching on them); the SQL text is then fixed, so the dialect's statement
 * cache prepares it once.
 */
export function precompiled<P extends object, O>(
  db: Kysely<Database>,
  build: (params: P) => Compilable<O>,
): (params: P) => Promise<QueryResult<O>> {
  const slots = new Proxy({} as P, { get: (_, name) => new Slot(String(name)) });
  const compiled = build(slots).compile();
  const names = compiled.parameters.map((value) => (value instanceof Slot ? value.name : undefined));
  const constants = compiled.parameters;
  return (params) => {
    const values = names.map((name, i) =>
      name === undefined ? constants[i] : (params as Record<string, unknown>)[name],
    );
    // `{ ...compiled, parameters: values }`, built as a copy plus a key (see ownCopy): it runs for
    // every hot query, several per decision.
    const query = ownCopy(compiled) as { -readonly [K in keyof CompiledQuery<O>]: CompiledQuery<O>[K] };
    query.parameters = values;
    return db.executeQuery(query);
  };
}

/**
 * An INSERT of one row into `table`, compiled on first use for the columns the row names (callers
 * always name the same ones, giving null rather than leaving a column out).
 */
export function precompiledInsert<T extends keyof Database>(
  db: Kysely<Database>,
  table: T,
): (row: Insertable<Database[T]>) => Promise<QueryResult<unknown>> {
  const byColumns = new Map<string, (row: Record<string, unknown>) => Promise<QueryResult<unknown>>>();
  return (row) => {
    const columns = Object.keys(row);
    const key = columns.join();
    let insert = byColumns.get(key);
    if (!insert) {
      insert = precompiled(db, (slots: Record<string, unknown>) =>
        db
          .insertInto(table)
          .values(Object.fromEntries(columns.map((column) => [column, slots[column]])) as never),
      );
      byColumns.set(key, insert);
    }
    return insert(row as Record<string, unknown>);
  };
}
