import pg from 'pg';
import type { PgQueryClass, ProtocolWriter, QueryConstructor } from './extended-query.js';
import { dryRunStatement, queryProblem, type RoundTripPath, roundTripPath } from './query-check.js';

/** Sends `query` (a named prepared statement) and then COMMIT inside `client`'s open transaction. */
export type CommitAfter = (client: pg.ClientBase, query: pg.QueryConfig) => Promise<void>;

/**
 * A statement with parameters and then COMMIT, written to the connection together and answered in one
 * round trip: Bind/Execute of the statement (Parse too, the first time on a connection), Parse/Bind/
 * Execute of COMMIT, then one Sync. If the statement fails, PostgreSQL skips everything up to the Sync:
 * COMMIT does not run, and the transaction stays open and aborted for the caller to roll back.
 */
function statementThenCommit(base: PgQueryClass) {
  const Query = base as unknown as QueryConstructor;
  return class StatementThenCommit extends Query {
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
  };
}

/** The statement failed and COMMIT did not run; `cause` is PostgreSQL's error. */
export class StatementRefusedError extends Error {
  constructor(cause: Error) {
    super(cause.message, { cause });
    this.name = 'StatementRefusedError';
  }
}

/**
 * The statement and COMMIT in one round trip (StatementThenCommit). Resolves once COMMIT has
 * returned. Rejects with StatementRefusedError when the statement was refused (nothing committed; the
 * transaction needs a ROLLBACK), or with the error otherwise (the COMMIT's own failure or a lost
 * connection: whether it committed is then unknown, as with any COMMIT).
 */
function oneRoundTrip(base: PgQueryClass): CommitAfter {
  const StatementThenCommit = statementThenCommit(base);
  return (client, query) =>
    new Promise((resolve, reject) => {
      const submitted = new StatementThenCommit(query, undefined, (error) => {
        if (!error) resolve();
        else reject(submitted.statementRefused ? new StatementRefusedError(error) : error);
      });
      client.query(submitted);
    });
}

/** The same promise as oneRoundTrip through pg's public API only: the statement, then COMMIT. */
const twoRoundTrips: CommitAfter = async (client, query) => {
  try {
    await client.query(query);
  } catch (error) {
    // An error response means the statement ran and failed: COMMIT is not sent.
    throw error instanceof pg.DatabaseError ? new StatementRefusedError(error) : error;
  }
  await client.query('COMMIT');
};

/** The protocol messages a named statement with COMMIT after it must write, in order. */
const expectedMessages = [
  `parse ${dryRunStatement.name}`,
  'bind',
  'describe',
  'execute',
  'parse COMMIT',
  'bind',
  'execute',
  'sync',
];

/**
 * Why StatementThenCommit cannot run over `base`, or undefined when it can. It overrides and calls
 * internals of node-postgres (pinned to 8.23.1): another release may lack them, or no longer end an
 * exchange through `_getRows`, and then the statement would run without its COMMIT. So the hooks
 * must be methods of the expected arity, and a dry run of `submit` against a recording connection
 * (no I/O) must write exactly the messages above (query-check.ts).
 */
export function commitAfterProblem(base: PgQueryClass): string | undefined {
  return queryProblem(
    base,
    [
      ['handleCommandComplete', 2],
      ['handleError', 2],
      ['_getRows', 2],
      ['submit', 1],
    ],
    [
      {
        submit(connection) {
          const StatementThenCommit = statementThenCommit(base);
          return new StatementThenCommit({ ...dryRunStatement, values: [1] }, undefined, () => {}).submit(
            connection,
          );
        },
        expected: expectedMessages,
      },
    ],
  );
}

/** How a write batch's last statement and its COMMIT are sent over `base` (node-postgres's Query by default). */
export function commitAfterFor(base: PgQueryClass = pg.Query): CommitPath {
  return roundTripPath(commitAfterProblem(base), () => oneRoundTrip(base), twoRoundTrips);
}

export type CommitPath = RoundTripPath<CommitAfter>;
