import type pg from 'pg';
import { type ProtocolWriter, Query, type QueryResults, writeUnnamed } from './extended-query.js';

/**
 * Statements without parameters (BEGIN first), then a statement with parameters, written to the
 * connection together and answered in one round trip: the last statement's Parse (only the first time
 * on a connection), Parse/Bind/Describe/Execute of each leading statement, then Bind/Describe/Execute
 * of the last, then one Sync. The backend runs them in order, so the last one runs after the leading
 * ones have returned — after a lock they take is held. An error in any of them skips the rest up to
 * the Sync.
 *
 * Why the named Parse goes first: node-postgres records a named statement as parsed on the connection
 * at the first ParseComplete of its round trip, whichever statement that answers. Sent after the
 * leading ones, it was recorded when BEGIN's Parse completed; a lock wait cut short by
 * statement_timeout then skipped the real Parse, and the connection refused every later use of the
 * statement ("prepared statement … does not exist"). Parsing a statement is not undone by a rollback,
 * and the backend parses it before BEGIN just as well.
 */
class LeadingThenStatement extends Query {
  /** For whoever records the statements a client sends: this one opens a transaction first. */
  readonly leading: readonly string[];

  constructor(
    leading: readonly string[],
    query: pg.QueryConfig,
    callback: (error: Error | undefined, results?: QueryResults) => void,
  ) {
    super(query, undefined, callback);
    this.leading = leading;
  }

  override prepare(connection: ProtocolWriter): void {
    if (this.name && !this.hasBeenParsed(connection)) {
      connection.parse({ text: this.text, name: this.name, types: this.types });
      // What Query.prepare records when it sends a Parse: it then sends none (hasBeenParsed).
      connection.submittedNamedStatements[this.name] = this.text;
    }
    for (const text of this.leading) writeUnnamed(connection, text);
    super.prepare(connection);
  }
}

/**
 * Runs `leading` and then `query` (a named prepared statement) in one round trip on `client`, and
 * resolves with one result per statement, in order. Rejects with the first error; when `leading`
 * began a transaction it is then open and aborted (or its connection lost) for the caller to roll back.
 */
export function beginWith(
  client: pg.ClientBase,
  leading: readonly string[],
  query: pg.QueryConfig,
): Promise<pg.QueryResult[]> {
  return new Promise((resolve, reject) => {
    client.query(
      new LeadingThenStatement(leading, query, (error, results) => {
        if (error) reject(error);
        else resolve(Array.isArray(results) ? results : results ? [results] : []);
      }),
    );
  });
}
