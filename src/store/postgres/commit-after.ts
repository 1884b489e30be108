import pg from 'pg';
import { type ProtocolWriter, Query } from './extended-query.js';

/**
 * A statement with parameters and then COMMIT, written to the connection together and answered in one
 * round trip: Bind/Execute of the statement (Parse too, the first time on a connection), Parse/Bind/
 * Execute of COMMIT, then one Sync. If the statement fails, PostgreSQL skips everything up to the Sync:
 * COMMIT does not run, and the transaction stays open and aborted for the caller to roll back.
 */
class StatementThenCommit extends Query {
  /** Commands completed so far: the statement's is the first, COMMIT's the second. */
  private completed = 0;
  /** For whoever records the statements a client sends: this one also commits. */
  readonly thenCommit = true;
  /** A PostgreSQL error answered the statement itself, so COMMIT was skipped. */
  statementRefused = false;

  override handleCommandComplete(message: unknown, connection: unknown): void {
    this.completed++;
    super.handleCommandComplete(message, connection);
  }

  override handleError(error: Error, connection: unknown): void {
    // Only an error response from the server proves COMMIT was skipped; a lost connection does not.
    if (this.completed === 0 && error instanceof pg.DatabaseError) this.statementRefused = true;
    super.handleError(error, connection);
  }

  override _getRows(connection: ProtocolWriter, rows: number | undefined): void {
    if (rows) throw new Error('a row limit is not supported before COMMIT');
    connection.execute({});
    connection.parse({ text: 'COMMIT' });
    connection.bind({});
    connection.execute({});
    connection.sync();
  }
}

/** The statement failed and COMMIT did not run; `cause` is PostgreSQL's error. */
export class StatementRefusedError extends Error {
  constructor(cause: Error) {
    super(cause.message, { cause });
    this.name = 'StatementRefusedError';
  }
}

/**
 * Runs `query` (a named prepared statement) and then COMMIT in one round trip on `client`, inside its open
 * transaction. Resolves once COMMIT has returned. Rejects with StatementRefusedError when the statement
 * was refused (nothing committed; the transaction needs a ROLLBACK), or with the error otherwise (the
 * COMMIT's own failure or a lost connection: whether it committed is then unknown, as with any COMMIT).
 */
export function commitAfter(client: pg.ClientBase, query: pg.QueryConfig): Promise<void> {
  return new Promise((resolve, reject) => {
    const submitted: StatementThenCommit = new StatementThenCommit(query, undefined, (error) => {
      if (!error) resolve();
      else reject(submitted.statementRefused ? new StatementRefusedError(error) : error);
    });
    client.query(submitted);
  });
}
