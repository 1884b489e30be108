import type { PgQueryClass } from './extended-query.js';

/**
 * The start-up check of node-postgres internals that commit-after.ts and begin-with.ts override and
 * call (pg is pinned to 8.23.1; another release may lack them or use them differently). Each path
 * names the prototype methods it relies on with their arity, and dry runs of its Query subclass's
 * `submit` against a recording connection (no I/O) with the protocol messages each must write.
 */

/** A prototype method and the number of arguments it declares. */
export type Hook = readonly [name: string, arity: number];

/** Named statements a connection knows of before the dry run (pg skips their Parse). */
export interface KnownStatements {
  parsedStatements?: Record<string, string>;
  submittedNamedStatements?: Record<string, string>;
}

export interface DryRun {
  /** Creates the query over the class under check and submits it to `connection`. */
  submit(connection: object): Error | null;
  /** The messages it must write: `parse NAME` for a named Parse, `parse TEXT` for an unnamed one. */
  expected: readonly string[];
  known?: KnownStatements;
  /** Says in the problem which dry run wrote something else. */
  label?: string;
}

/** What the connection methods a Query calls while submitting are recorded as. */
const writers = ['parse', 'bind', 'describe', 'execute', 'sync', 'flush', 'close', 'query'] as const;

function recordingConnection(known: KnownStatements = {}): { connection: object; written: string[] } {
  const written: string[] = [];
  const record = (name: string) => (message?: { name?: string; text?: string }) =>
    void written.push(name === 'parse' ? `parse ${message?.name || message?.text}` : name);
  const connection = {
    parsedStatements: { ...known.parsedStatements },
    submittedNamedStatements: { ...known.submittedNamedStatements },
    stream: { cork() {}, uncork() {} },
    ...Object.fromEntries(writers.map((name) => [name, record(name)])),
  };
  return { connection, written };
}

/**
 * Why `base` cannot carry a path that needs `hooks` and `dryRuns`, or undefined when it can. Never
 * throws: a release that makes the check itself fail is a problem like any other.
 */
export function queryProblem(
  base: PgQueryClass,
  hooks: readonly Hook[],
  dryRuns: readonly DryRun[],
): string | undefined {
  try {
    const prototype = (base as unknown as { prototype: Record<string, unknown> }).prototype;
    for (const [hook, arity] of hooks) {
      const method = prototype[hook];
      if (typeof method !== 'function') return `Query.prototype.${hook} is missing`;
      if (method.length !== arity)
        return `Query.prototype.${hook} takes ${method.length} arguments, not ${arity}`;
    }
    for (const run of dryRuns) {
      const { connection, written } = recordingConnection(run.known);
      const refused = run.submit(connection);
      if (refused) return `Query.submit refused a named statement: ${refused.message}`;
      if (written.join(',') !== run.expected.join(','))
        return `Query.submit${run.label ? ` (${run.label})` : ''} wrote ${written.join(', ') || 'nothing'} instead of ${run.expected.join(', ')}`;
    }
    return undefined;
  } catch (error) {
    return `checking Query threw: ${(error as Error)?.message ?? error}`;
  }
}

/** The named statement every dry run submits. */
export const dryRunStatement = { name: 'arbiter_self_check', text: 'SELECT $1::int', values: [1] } as const;

/**
 * How a batch's statements are sent: in one round trip over node-postgres's internals when they pass
 * the check above, else in two through its public API, with `problem` saying why (the caller warns
 * once). Both ways promise the same outcomes.
 */
export interface RoundTripPath<Send> {
  send: Send;
  roundTrips: 1 | 2;
  /** Why the one-round-trip way is not used. */
  problem?: string;
}

/** The one-round-trip way unless `problem`, then the public-API way. */
export function roundTripPath<Send>(
  problem: string | undefined,
  oneRoundTrip: () => Send,
  twoRoundTrips: Send,
): RoundTripPath<Send> {
  return problem === undefined
    ? { send: oneRoundTrip(), roundTrips: 1 }
    : { send: twoRoundTrips, roundTrips: 2, problem };
}
