import type { Command } from 'commander';
import { TokenService } from '../app/access/tokens.js';
import { ArbiterError } from '../core/errors.js';
import { randomIds } from '../core/ids.js';
import { type Role, roles } from '../identity/records.js';
import {
  type DatabaseOptions,
  isMissingSqliteDatabase,
  withDatabaseOptions,
  withLedger,
} from './database.js';
import { type ExitCode, exitCodes } from './exit-codes.js';
import type { Output } from './io.js';

type Run = (action: () => Promise<ExitCode> | ExitCode) => Promise<void>;

type DbOptions = DatabaseOptions;

/** Only `create` may start a database (tokens issued before the server's first start); the rest need one. */
function withTokens<T>(
  options: DbOptions,
  use: (tokens: TokenService) => Promise<T>,
  { existing = true }: { existing?: boolean } = {},
): Promise<T> {
  return withLedger(
    options,
    (ledger) =>
      use(new TokenService({ store: ledger.store, ledger, clock: () => new Date(), ids: randomIds })),
    { existing },
  );
}

/** `arbiter tokens create|list|revoke`: administered against the database directly. */
export function registerTokenCommands(program: Command, output: Output, run: Run): void {
  const tokens = program
    .command('tokens')
    .description('bearer tokens: create (printed once), list, revoke, attest (upgrade step)');
  const withDb = withDatabaseOptions;

  withDb(
    tokens
      .command('create')
      .description('issue a token; prints the token alone on stdout, so scripts can capture it'),
  )
    .requiredOption('--role <role>', `one of ${roles.join(', ')}`)
    .option('--system <id>', 'for agent tokens: the System the agent acts as')
    .option(
      '--user <name>',
      'for human tokens: the user name, kept in its normal form (NFKC, case-folded, trimmed; a-z 0-9 . _ @ + -); never a System id',
    )
    .option('--groups <a,b>', 'for approvers: their groups (owner teams, group:X selectors)')
    .option('--label <text>', 'a note for `tokens list`')
    .action(
      (
        options: DbOptions & {
          role: string;
          system?: string;
          user?: string;
          groups?: string;
          label?: string;
        },
      ) =>
        run(async () => {
          if (!roles.includes(options.role as Role))
            throw new ArbiterError('ARB_ERR_USAGE', `--role must be one of ${roles.join(', ')}`);
          const groups = options.groups
            ?.split(',')
            .map((group) => group.trim())
            .filter(Boolean);
          const created = isMissingSqliteDatabase(options.db);
          const { token } = await withTokens(
            options,
            (service) =>
              service.create(
                {
                  role: options.role as Role,
                  ...(options.system ? { systemId: options.system } : {}),
                  ...(options.user ? { user: options.user } : {}),
                  ...(groups ? { groups } : {}),
                  ...(options.label ? { label: options.label } : {}),
                },
                'cli',
              ),
            { existing: false },
          );
          output.out(token);
          // A newcomer after `npm start` who leaves out --db issues a token the demo server never sees.
          if (created)
            output.err(
              `note: ${options.db} did not exist, so this created a new database for the token; a server on another database refuses it (pass that server's --db; the demo's is sqlite:./.arbiter/demo.db)`,
            );
          return exitCodes.ok;
        }),
    );

  withDb(tokens.command('list').description('tokens (never their values)'))
    .option('--json', 'print JSON')
    .action((options: DbOptions & { json?: boolean }) =>
      run(async () => {
        const rows = await withTokens(options, (service) => service.list());
        const shown = rows.map(({ hash: _hash, ...row }) => row);
        if (options.json) output.out(JSON.stringify(shown, null, 2));
        else if (shown.length === 0) output.out('no tokens');
        else {
          for (const row of shown) {
            const who = row.systemId
              ? `system ${row.systemId}`
              : `user ${row.userName}${row.groups.length ? ` (${row.groups.join(', ')})` : ''}`;
            output.out(
              `${row.id}  ${row.role.padEnd(8)} ${who}  ${row.revokedAt ? `revoked ${row.revokedAt}` : 'active'}${row.label ? `  ${row.label}` : ''}`,
            );
          }
        }
        return exitCodes.ok;
      }),
    );

  withDb(
    tokens
      .command('attest')
      .description(
        'upgrade step: record a token.attested ledger entry, naming you, for every active token the ledger holds no hash of (issued before token.created recorded hashes). Until then such tokens are refused (ARB_ERR_AUTH_UNRECORDED). Review `tokens list` first: you vouch for every row',
      ),
  )
    .requiredOption('--by <name>', 'the admin who vouches for the tokens (recorded in the ledger)')
    .option('--dry-run', 'list the tokens that would be attested, and write nothing')
    .action((options: DbOptions & { by: string; dryRun?: boolean }) =>
      run(async () => {
        if (!options.by.trim()) throw new ArbiterError('ARB_ERR_USAGE', '--by needs a name');
        const attested = await withTokens(options, (service) =>
          service.attest(options.by.trim(), { dryRun: options.dryRun === true }),
        );
        if (attested.length === 0) output.out('no tokens to attest: the ledger records every active token');
        for (const row of attested) {
          const who = row.systemId ? `system ${row.systemId}` : `user ${row.userName}`;
          output.out(
            `${options.dryRun ? 'would attest' : 'attested'} ${row.id}  ${row.role} ${who}${row.groups.length ? ` (${row.groups.join(', ')})` : ''}`,
          );
        }
        return exitCodes.ok;
      }),
    );

  withDb(
    tokens
      .command('revoke')
      .description('revoke a token at once')
      .argument('<id>', 'token id (tok_…), from tokens list'),
  ).action((id: string, options: DbOptions) =>
    run(async () => {
      await withTokens(options, (service) => service.revoke(id, 'cli'));
      output.out(`revoked ${id}`);
      return exitCodes.ok;
    }),
  );
}
