import pg from 'pg';

/**
 * node-postgres's Query with one prototype member replaced (undefined: removed) — pg as another release
 * could be, for the start-up checks of its internals (src/store/postgres/query-check.ts).
 */
export function queryWith(member: string, value: unknown): typeof pg.Query {
  class Changed extends pg.Query {}
  Object.defineProperty(Changed.prototype, member, { value, configurable: true });
  return Changed;
}

/**
 * The texts of the round trips node-postgres clients send while `run` runs: one per round trip, the
 * statements sent ahead of it in the same round trip (BEGIN, the lock, the tail) joined before it.
 */
export async function roundTripsDuring(run: () => Promise<unknown>): Promise<string[]> {
  const sent: string[] = [];
  const originalQuery = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const config = args[0] as string | { text: string; leading?: string[] };
    sent.push(typeof config === 'string' ? config : [...(config.leading ?? []), config.text].join('; '));
    return (originalQuery as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof pg.Client.prototype.query;
  try {
    await run();
  } finally {
    pg.Client.prototype.query = originalQuery;
  }
  return sent;
}
