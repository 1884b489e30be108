import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { defaultLedgerKeyPath, type Ledger, openLedger } from '../app/ledger/ledger.js';
import { TrustedCheckpoint } from '../app/ledger/trusted-checkpoint.js';
import { ArbiterError } from '../core/errors.js';
import { defaultDatabaseUrl, openStore, parseDatabaseUrl } from '../store/open.js';

/** `--db` and `--ledger-key`, for commands that work on the database directly. */
export interface DatabaseOptions {
  db: string;
  ledgerKey?: string;
  trustedCheckpoint?: string;
}

/** Adds `--db` and `--ledger-key` to a command. */
export function withDatabaseOptions(command: Command): Command {
  return command
    .option(
      '--db <url>',
      'database: sqlite:PATH or postgres://…',
      process.env.ARBITER_DB ?? defaultDatabaseUrl,
    )
    .option('--ledger-key <file>', 'ledger signing key file (default: beside an SQLite database)')
    .option(
      '--trusted-checkpoint <file>',
      'the checkpoint kept outside the database (default: beside the ledger key, …ledger.checkpoint)',
    );
}

/** Whether `url` names an SQLite file that is not there yet (opening it would create it). */
export function isMissingSqliteDatabase(url: string): boolean {
  const database = parseDatabaseUrl(url);
  return database.kind === 'sqlite' && database.path !== ':memory:' && !existsSync(database.path);
}

/** Refuses `--db sqlite:PATH` when PATH does not exist (PostgreSQL databases are the operator's to create). */
export function requireExistingDatabase(url: string): void {
  if (isMissingSqliteDatabase(url))
    throw new ArbiterError(
      'ARB_ERR_INPUT_NOT_FOUND',
      `--db ${url}: no such database file (the demo's is sqlite:./.arbiter/demo.db)`,
    );
}

/** The trusted checkpoint of `ledger`; refuses a database that does not extend it. */
export function openTrustedCheckpoint(ledger: Ledger, options: DatabaseOptions): Promise<TrustedCheckpoint> {
  return TrustedCheckpoint.open(ledger, options.trustedCheckpoint ? { path: options.trustedCheckpoint } : {});
}

/**
 * Opens the store and its ledger for the duration of `use`, and closes them after. Commands that
 * only read (`existing`) refuse an SQLite file that is not there rather than creating an empty
 * database and a new signing key, and reporting on nothing.
 */
export async function withLedger<T>(
  options: DatabaseOptions,
  use: (ledger: Ledger) => Promise<T>,
  { existing = false }: { existing?: boolean } = {},
): Promise<T> {
  if (existing) requireExistingDatabase(options.db);
  const store = await openStore(options.db);
  try {
    return await use(
      await openLedger(store, { keyPath: options.ledgerKey ?? defaultLedgerKeyPath(options.db) }),
    );
  } finally {
    await store.close();
  }
}
