import type { Command } from 'commander';
import { defaultLedgerKeyPath, type Ledger, openLedger } from '../app/ledger.js';
import { defaultDatabaseUrl, openStore } from '../store/open.js';

/** `--db` and `--ledger-key`, for commands that work on the database directly. */
export interface DatabaseOptions {
  db: string;
  ledgerKey?: string;
}

/** Adds `--db` and `--ledger-key` to a command. */
export function withDatabaseOptions(command: Command): Command {
  return command
    .option(
      '--db <url>',
      'database: sqlite:PATH or postgres://…',
      process.env.ARBITER_DB ?? defaultDatabaseUrl,
    )
    .option('--ledger-key <file>', 'ledger signing key file (default: beside an SQLite database)');
}

/** Opens the store and its ledger for the duration of `use`, and closes them after. */
export async function withLedger<T>(
  options: DatabaseOptions,
  use: (ledger: Ledger) => Promise<T>,
): Promise<T> {
  const store = await openStore(options.db);
  try {
    return await use(
      await openLedger(store, { keyPath: options.ledgerKey ?? defaultLedgerKeyPath(options.db) }),
    );
  } finally {
    await store.close();
  }
}
