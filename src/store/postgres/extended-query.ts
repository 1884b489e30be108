import type pg from 'pg';

/**
 * What this module's users need of node-postgres's `Query` beyond its declared types: the hooks the
 * client calls for each backend message; `prepare`, which writes a parameterised statement's extended-
 * protocol messages; and `_getRows`, where a Query without a row limit ends that exchange with Execute
 * and Sync (pg 8). Overriding them puts several statements before one Sync: PostgreSQL answers them
 * in one round trip, and an error in any of them skips the rest up to the Sync.
 */
export interface QueryHooks {
  /** The statement's name (a named prepared statement) and text, and its parameter types if given. */
  readonly name: string | undefined;
  readonly text: string;
  readonly types: unknown;
  handleCommandComplete(message: unknown, connection: unknown): void;
  handleError(error: Error, connection: unknown): void;
  prepare(connection: ProtocolWriter): void;
  _getRows(connection: ProtocolWriter, rows: number | undefined): void;
  /** Writes the query's messages to `connection`; an Error when it refuses to (checked at open). */
  submit(connection: unknown): Error | null;
  /** Whether this named statement was parsed, or its Parse sent, on `connection` (then Parse is skipped). */
  hasBeenParsed(connection: ProtocolWriter): boolean;
}

export interface ProtocolWriter {
  /** Named statements whose Parse was sent and not yet answered (pg 8.13+), by name. */
  submittedNamedStatements: Record<string, string>;
  parse(query: { text: string; name?: string; types?: unknown }): void;
  bind(config?: object): void;
  describe(config: { type: 'P'; name: string }): void;
  execute(config?: object): void;
  sync(): void;
}

/** node-postgres's Query class, or a stand-in for another release of it (tests). */
export type PgQueryClass = typeof pg.Query;

/** One result per statement the query ran (a lone statement's result is not an array). */
export type QueryResults = pg.QueryResult | pg.QueryResult[];

export type QueryConstructor = new (
  config: pg.QueryConfig,
  values: undefined,
  callback: (error: Error | undefined, results?: QueryResults) => void,
) => pg.Query & QueryHooks;

/** Parse, Bind, Describe and Execute of `text` (no parameters, unnamed statement), without Sync. */
export function writeUnnamed(connection: ProtocolWriter, text: string): void {
  connection.parse({ text });
  connection.bind({});
  connection.describe({ type: 'P', name: '' });
  connection.execute({});
}
