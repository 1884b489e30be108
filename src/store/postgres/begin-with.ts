import pg from 'pg';
import {
  type PgQueryClass,
  type ProtocolWriter,
  type QueryConstructor,
  type QueryResults,
  writeUnnamed,
} from './extended-query.js';
import { dryRunStatement, queryProblem, type RoundTripPath, roundTripPath } from './query-check.js';

/**
 * Runs `leading` (statements without parameters, BEGIN first) and then `query` (a named prepared
 * statement) on `client`, and resolves with one result per statement, in order. Rejects with the first
 * error; when `leading` began a transaction it is then open and aborted (or its connection lost) for
 * the caller to roll back.
 */
export type BeginWith = (
  client: pg.ClientBase,
  leading: readonly string[],
  query: pg.QueryConfig,
) => Promise<pg.QueryResult[]>;

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
function leadingThenStatement(base: PgQueryClass) {
  const Query = base as unknown as QueryConstructor;
  return class LeadingThenStatement extends Query {
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
  };
}

/** BeginWith in one round trip (LeadingThenStatement over `base`). */
function oneRoundTrip(base: PgQueryClass): BeginWith {
  const LeadingThenStatement = leadingThenStatement(base);
  return (client, leading, query) =>
    new Promise((resolve, reject) => {
      client.query(
        new LeadingThenStatement(leading, query, (error, results) => {
          if (error) reject(error);
          else resolve(Array.isArray(results) ? results : results ? [results] : []);
        }),
      );
    });
}

/**
 * The same promise through pg's public API only, in two round trips: the leading statements in one
 * simple query (several statements; an error skips the rest and leaves a transaction BEGIN opened
 * aborted, as behind a Sync), then the statement.
 */
const twoRoundTrips: BeginWith = async (client, leading, query) => {
  const first = (await client.query(leading.join('; '))) as unknown as QueryResults;
  const results = Array.isArray(first) ? first : [first];
  results.push(await client.query(query));
  return results;
};

/** The statements the dry runs put ahead of the named one. */
const dryRunLeading = ['BEGIN', 'SELECT 1'];
const leadingMessages = dryRunLeading.flatMap((text) => [`parse ${text}`, 'bind', 'describe', 'execute']);
const statementMessages = ['bind', 'describe', 'execute', 'sync'];

/**
 * Why LeadingThenStatement cannot run over `base`, or undefined when it can. It overrides `prepare` and
 * relies on `hasBeenParsed`, on `connection.submittedNamedStatements` (which pg consults to skip a
 * Parse already sent) and on `prepare` ending the exchange with Execute and Sync: another release may
 * lack them, and then the named statement could be parsed after the leading ones (the bug the order
 * above fixes), twice, or never, or the client's queue could throw. So the hooks must be methods of
 * the expected arity, and dry runs against a recording connection (query-check.ts) must write the
 * named Parse first, then each leading statement, then the named statement and Sync — and no named
 * Parse when the connection has sent or parsed it already.
 */
export function beginWithProblem(base: PgQueryClass): string | undefined {
  const submit = (connection: object) => {
    const LeadingThenStatement = leadingThenStatement(base);
    return new LeadingThenStatement(dryRunLeading, { ...dryRunStatement, values: [1] }, () => {}).submit(
      connection,
    );
  };
  const known = { [dryRunStatement.name]: dryRunStatement.text };
  return queryProblem(
    base,
    [
      ['prepare', 1],
      ['hasBeenParsed', 1],
      ['_getRows', 2],
      ['submit', 1],
    ],
    [
      { submit, expected: [`parse ${dryRunStatement.name}`, ...leadingMessages, ...statementMessages] },
      {
        submit,
        known: { submittedNamedStatements: known },
        label: 'its Parse already sent',
        expected: [...leadingMessages, ...statementMessages],
      },
      {
        submit,
        known: { parsedStatements: known },
        label: 'already parsed',
        expected: [...leadingMessages, ...statementMessages],
      },
    ],
  );
}

/** How a write batch's opening statements and read-ahead are sent over `base` (node-postgres's Query by default). */
export function beginWithFor(base: PgQueryClass = pg.Query): BeginPath {
  return roundTripPath(beginWithProblem(base), () => oneRoundTrip(base), twoRoundTrips);
}

export type BeginPath = RoundTripPath<BeginWith>;
