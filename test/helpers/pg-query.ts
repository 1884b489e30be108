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
