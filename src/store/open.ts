import { resolve } from 'node:path';
import { ArbiterError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
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

/** PostgreSQL tuning, from flags or the environment. */
export interface PostgresTuning {
  poolSize?: number;
  statementTimeoutMs?: number;
  connectTimeoutMs?: number;
  applicationName?: string;
}

/** Tuning from ARBITER_PG_POOL_SIZE, ARBITER_PG_STATEMENT_TIMEOUT_MS, ARBITER_PG_CONNECT_TIMEOUT_MS. */
export function postgresTuningFromEnvironment(env: NodeJS.ProcessEnv = process.env): PostgresTuning {
  const number = (name: string) => {
    const value = env[name];
    if (value === undefined || value === '') return undefined;
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed <= 0)
      throw new ArbiterError('ARB_ERR_USAGE', `${name}=${value} must be a positive integer`);
    return parsed;
  };
  const poolSize = number('ARBITER_PG_POOL_SIZE');
  const statementTimeoutMs = number('ARBITER_PG_STATEMENT_TIMEOUT_MS');
  const connectTimeoutMs = number('ARBITER_PG_CONNECT_TIMEOUT_MS');
  return {
    ...(poolSize ? { poolSize } : {}),
    ...(statementTimeoutMs ? { statementTimeoutMs } : {}),
    ...(connectTimeoutMs ? { connectTimeoutMs } : {}),
  };
}

/** Opens the store a database URL names, applying migrations; warnings at open go to `logger` (default: stderr). */
export async function openStore(
  url: string,
  tuning: PostgresTuning = postgresTuningFromEnvironment(),
  logger?: Logger,
): Promise<Store> {
  const parsed = parseDatabaseUrl(url);
  if (parsed.kind === 'sqlite') return openSqliteStore({ path: parsed.path });
  // The driver loads only for a PostgreSQL URL: every SQLite command (and each test's CLI run) would
  // otherwise read pg and its modules at start.
  const { PostgresStore } = await import('./postgres/postgres-store.js');
  return PostgresStore.open({ url: parsed.url, ...tuning, ...(logger ? { logger } : {}) });
}
