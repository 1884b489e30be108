import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { beginWithFor, beginWithProblem } from '../../src/store/postgres/begin-with.js';
import { commitAfterProblem } from '../../src/store/postgres/commit-after.js';
import { queryWith } from '../helpers/pg-query.js';

// The one-round-trip batch start (src/store/postgres/begin-with.ts) subclasses node-postgres's Query and
// relies on more of its internals than the COMMIT does. Each stand-in below is pg as another release
// could be: the check at open must notice, so that the store sends the read-ahead on its own instead
// of a named statement parsed twice, never, or after the leading ones.

type Writer = Record<'parse' | 'bind' | 'describe' | 'execute' | 'sync', (message?: object) => void>;
interface Statement {
  name: string;
  text: string;
  hasBeenParsed(connection: unknown): boolean;
  _getRows(connection: unknown, rows: undefined): void;
}

/** After BEGIN, SELECT 1 (the dry run's leading statements): Bind/Describe/Execute of the named one, Sync. */
const leading = 'parse BEGIN, bind, describe, execute, parse SELECT 1, bind, describe, execute';

describe('the check of node-postgres internals for the batch start', () => {
  it('passes the node-postgres release package.json pins, and uses one round trip over it', () => {
    expect(beginWithProblem(pg.Query)).toBeUndefined();
    expect(beginWithFor()).toMatchObject({ roundTrips: 1 });
    expect(beginWithFor().problem).toBeUndefined();
  });

  it('names a hook that is missing or whose arguments changed', () => {
    for (const hook of ['prepare', 'hasBeenParsed', '_getRows', 'submit'])
      expect(beginWithProblem(queryWith(hook, undefined)), hook).toBe(`Query.prototype.${hook} is missing`);
    expect(beginWithProblem(queryWith('hasBeenParsed', () => false))).toBe(
      'Query.prototype.hasBeenParsed takes 0 arguments, not 1',
    );
  });

  it('refuses a release that records only completed Parses (pg before 8.13): the named statement would be parsed twice', () => {
    const older = queryWith(
      'hasBeenParsed',
      function (this: Statement, connection: { parsedStatements: object }) {
        return Object.hasOwn(connection.parsedStatements, this.name);
      },
    );
    expect(beginWithProblem(older)).toBe(
      `Query.submit wrote parse arbiter_self_check, ${leading}, parse arbiter_self_check, bind, describe, execute, sync instead of parse arbiter_self_check, ${leading}, bind, describe, execute, sync`,
    );
    // The COMMIT after a statement does not rely on it.
    expect(commitAfterProblem(older)).toBeUndefined();
  });

  it('refuses a release whose prepare writes another order', () => {
    const describeFirst = queryWith('prepare', function (this: Statement, connection: Writer) {
      if (!this.hasBeenParsed(connection)) connection.parse({ text: this.text, name: this.name });
      connection.describe({ type: 'P', name: '' });
      connection.bind({});
      this._getRows(connection, undefined);
    });
    expect(beginWithProblem(describeFirst)).toBe(
      `Query.submit wrote parse arbiter_self_check, ${leading}, describe, bind, execute, sync instead of parse arbiter_self_check, ${leading}, bind, describe, execute, sync`,
    );
  });

  it('refuses a release that parses again a statement the connection parsed in an earlier round trip', () => {
    // Both dry runs of a connection that has not parsed it pass: only the third sees the record ignored.
    // Over it, every batch after a connection's first would fail: "prepared statement already exists".
    const onlySubmitted = queryWith('hasBeenParsed', function (this: Statement, connection: unknown) {
      const { submittedNamedStatements } = connection as { submittedNamedStatements: Record<string, string> };
      return submittedNamedStatements[this.name] !== undefined;
    });
    expect(beginWithProblem(onlySubmitted)).toBe(
      `Query.submit (already parsed) wrote parse arbiter_self_check, ${leading}, bind, describe, execute, sync instead of ${leading}, bind, describe, execute, sync`,
    );
  });

  it('refuses a release whose dry run throws, and never throws itself', () => {
    expect(
      beginWithProblem(
        queryWith('prepare', (_connection: unknown) => {
          throw new TypeError('connection.describe is not a function');
        }),
      ),
    ).toBe('checking Query threw: connection.describe is not a function');
    expect(beginWithProblem(undefined as unknown as typeof pg.Query)).toMatch(/^checking Query threw: /);
  });

  it('falls back to two round trips, saying why', () => {
    expect(beginWithFor(queryWith('hasBeenParsed', undefined))).toMatchObject({
      roundTrips: 2,
      problem: 'Query.prototype.hasBeenParsed is missing',
    });
  });
});
