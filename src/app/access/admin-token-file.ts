import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseDatabaseUrl } from '../../store/open.js';
import type { Store } from '../../store/store.js';
import { fileBesideDatabase } from '../database-files.js';
import type { TokenService } from './tokens.js';

/**
 * Where the first admin token is written: beside an SQLite database and named after it
 * (`arbiter.db` → `arbiter.admin.token`), like the ledger key, so two databases in one folder never
 * overwrite each other's token; for PostgreSQL (or an in-memory database), .arbiter/admin.token in the
 * working directory — as an absolute path, so what serve prints can be found from any directory.
 */
export function defaultAdminTokenPath(databaseUrl: string): string {
  return fileBesideDatabase(databaseUrl, 'admin.token') ?? resolve('.arbiter', 'admin.token');
}

/**
 * The name every SQLite database's token had before: `admin.token` in its folder, shared by all
 * the databases there. Undefined where the name did not change.
 */
export function legacyAdminTokenPath(databaseUrl: string): string | undefined {
  const parsed = parseDatabaseUrl(databaseUrl);
  if (parsed.kind !== 'sqlite' || parsed.path === ':memory:') return undefined;
  return join(dirname(parsed.path), 'admin.token');
}

/** What the start did about the admin token file. */
export type AdminTokenFile =
  | { written: string; token: string }
  | { adoptedFrom: string; path: string }
  | undefined;

function writeSecret(path: string, text: string, flag: 'w' | 'wx'): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, text, { mode: 0o600, flag });
  if (existsSync(path)) chmodSync(path, 0o600);
}

/**
 * On a database without tokens: creates the first admin token and writes it to `path` (mode
 * 0600). On a database that has tokens, whose file at `path` is missing but whose folder has the
 * old shared `admin.token`: copies that file to `path` only when the token in it is a live admin
 * token of this very database — the old file may as well belong to another database of the
 * folder, and then it is left alone. The old file is never changed or removed.
 */
export async function settleAdminTokenFile(options: {
  store: Store;
  tokens: TokenService;
  path: string;
  legacyPath?: string;
}): Promise<AdminTokenFile> {
  const { store, tokens, path, legacyPath } = options;
  if ((await store.listTokens()).length === 0) {
    const { token } = await tokens.create({ role: 'admin', user: 'admin', label: 'first start' }, 'arbiter');
    writeSecret(path, `${token}\n`, 'w');
    return { written: path, token };
  }
  if (!legacyPath || legacyPath === path || existsSync(path) || !existsSync(legacyPath)) return undefined;
  let text: string;
  try {
    text = readFileSync(legacyPath, 'utf8');
  } catch {
    return undefined;
  }
  const principal = await tokens.authenticate(text.trim()).catch(() => undefined);
  if (principal?.role !== 'admin') return undefined;
  try {
    writeSecret(path, text, 'wx');
  } catch {
    // Another process wrote it meanwhile, or the folder is read-only: the old file still works.
    return undefined;
  }
  return { adoptedFrom: legacyPath, path };
}
