import { readFileSync } from 'node:fs';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { commitAfterFor, commitAfterProblem } from '../../src/store/postgres/commit-after.js';
import { queryWith } from '../helpers/pg-query.js';

// The one-round-trip COMMIT (src/store/postgres/commit-after.ts) subclasses node-postgres's Query and
// relies on its internals. Each stand-in below is pg as another release could be: the check at
// open must notice, so that the store sends COMMIT on its own instead of a statement without it.

describe('the check of node-postgres internals', () => {
  it('passes the node-postgres release package.json pins, and uses one round trip over it', () => {
    const pinned = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    const installed = JSON.parse(
      readFileSync(new URL('../../node_modules/pg/package.json', import.meta.url), 'utf8'),
    );
    expect(installed.version).toBe(pinned.dependencies.pg);
    expect(commitAfterProblem(pg.Query)).toBeUndefined();
    expect(commitAfterFor()).toMatchObject({ roundTrips: 1 });
    expect(commitAfterFor().problem).toBeUndefined();
  });

  it('names a hook that is missing', () => {
    for (const hook of ['_getRows', 'handleError', 'handleCommandComplete', 'submit'])
      expect(commitAfterProblem(queryWith(hook, undefined)), hook).toBe(`Query.prototype.${hook} is missing`);
    expect(commitAfterProblem(queryWith('_getRows', 'not a method'))).toBe(
      'Query.prototype._getRows is missing',
    );
  });

  it('names a hook whose arguments changed', () => {
    expect(commitAfterProblem(queryWith('handleError', (error: Error) => error))).toBe(
      'Query.prototype.handleError takes 1 arguments, not 2',
    );
    expect(commitAfterProblem(queryWith('_getRows', (a: unknown, b: unknown, c: unknown) => [a, b, c]))).toBe(
      'Query.prototype._getRows takes 3 arguments, not 2',
    );
  });

  it('refuses a release whose exchange no longer ends through _getRows (the statement would run without COMMIT)', () => {
    type Writer = Record<'parse' | 'bind' | 'describe' | 'execute' | 'sync', (message?: object) => void>;
    const endsItself = queryWith('prepare', function (this: { text: string }, connection: Writer) {
      connection.parse({ text: this.text });
      connection.bind({});
      connection.describe({});
      connection.execute({});
      connection.sync();
    });
    expect(commitAfterProblem(endsItself)).toBe(
      'Query.submit wrote parse SELECT $1::int, bind, describe, execute, sync instead of parse arbiter_self_check, bind, describe, execute, parse COMMIT, bind, execute, sync',
    );
  });

  it('refuses a release whose dry run throws or refuses, and never throws itself', () => {
    expect(
      commitAfterProblem(
        queryWith('prepare', () => {
          throw new TypeError('connection.describe is not a function');
        }),
      ),
    ).toBe('checking Query threw: connection.describe is not a function');
    expect(commitAfterProblem(queryWith('submit', (_connection: unknown) => new Error('no name')))).toBe(
      'Query.submit refused a named statement: no name',
    );
    expect(commitAfterProblem(undefined as unknown as typeof pg.Query)).toMatch(/^checking Query threw: /);
  });

  it('falls back to two round trips, saying why', () => {
    const path = commitAfterFor(queryWith('_getRows', undefined));
    expect(path).toMatchObject({ roundTrips: 2, problem: 'Query.prototype._getRows is missing' });
  });
});
