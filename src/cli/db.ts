import type { Command } from 'commander';
import { defaultDatabaseUrl, openStore } from '../store/open.js';
import { PostgresStore } from '../store/postgres/postgres-store.js';
import { type ExitCode, exitCodes } from './exit-codes.js';
import type { Output } from './io.js';

type Run = (action: () => Promise<ExitCode> | ExitCode) => Promise<void>;

/** `arbiter db migrate`: apply migrations without starting a server (e.g. before a rolling upgrade). */
export function registerDbCommands(program: Command, output: Output, run: Run): void {
  const db = program.command('db').description('database administration');
  db.command('migrate')
    .description('apply schema migrations and exit (serve also applies them at start)')
    .option(
      '--db <url>',
      'database: sqlite:PATH or postgres://…',
      process.env.ARBITER_DB ?? defaultDatabaseUrl,
    )
    .action((options: { db: string }) =>
      run(async () => {
        const store = await openStore(options.db);
        try {
          const version = store instanceof PostgresStore ? await store.schemaVersion() : undefined;
          output.out(
            `migrated ${store.location}${version === undefined ? '' : ` to schema version ${version}`}`,
          );
        } finally {
          await store.close();
        }
        return exitCodes.ok;
      }),
    );
}
