import { basename, dirname, join } from 'node:path';
import { parseDatabaseUrl } from '../store/open.js';

/**
 * A file that belongs to one SQLite database: in its folder and named after it
 * (`arbiter.db` + `ledger.key` → `arbiter.ledger.key`), so two databases in one folder never share
 * it. Undefined for PostgreSQL and in-memory databases, which have no folder of their own.
 */
export function fileBesideDatabase(databaseUrl: string, suffix: string): string | undefined {
  const parsed = parseDatabaseUrl(databaseUrl);
  if (parsed.kind !== 'sqlite' || parsed.path === ':memory:') return undefined;
  return join(dirname(parsed.path), `${basename(parsed.path).replace(/\.(db|sqlite3?)$/i, '')}.${suffix}`);
}
