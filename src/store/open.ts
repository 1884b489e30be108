import { resolve } from 'node:path';
import { ArbiterError } from '../core/errors.js';
import { openSqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './store.js';

/** The default database when none is given. */
export const defaultDatabaseUrl = 'sqlite:./.arbiter/arbiter.db';

/** Parsed `--db` URL. */
export type DatabaseUrl = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

/** Parses `sqlite:PATH`, `sqlite::memory:` or `postgres://…`. */
export function parseDatabaseUrl(url: string): DatabaseUrl {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (path === '')
      throw new ArbiterError('ARB_ERR_USAGE', 'sqlite: URL needs a path, e.g. sqlite:./.arbiter/arbiter.db');
    return { kind: 'sqlite', path: path === ':memory:' ? path : resolve(path) };
  }
  if (/^postgres(ql)?:\/\//.test(url)) return { kind: 'postgres', url };
  throw new ArbiterError('ARB_ERR_USAGE', `--db ${url}: use sqlite:PATH or postgres://USER@HOST/DB`);
}

/** Opens the store a database URL names. */
export async function openStore(url: string): Promise<Store> {
  const parsed = parseDatabaseUrl(url);
  if (parsed.kind === 'sqlite') return openSqliteStore({ path: parsed.path });
  throw new ArbiterError('ARB_ERR_USAGE', 'PostgreSQL is not available in this build yet; use sqlite:PATH');
}
