import type { Command } from 'commander';
import { TokenService } from '../app/access/tokens.js';
import { ArbiterError } from '../core/errors.js';
import { randomIds } from '../core/ids.js';
import { type Role, roles } from '../identity/records.js';
import { type DatabaseOptions, withDatabaseOptions, withLedger } from './database.js';
import { type ExitCode, exitCodes } from './exit-codes.js';
import type { Output } from './io.js';

type Run = (action: () => Promise<ExitCode> | ExitCode) => Promise<void>;

type DbOptions = DatabaseOptions;

function withTokens<T>(options: DbOptions, use: (tokens: TokenService) => Promise<T>): Promise<T> {
  return withLedger(options, (ledger) =>
    use(new TokenService({ store: ledger.store, ledger, clock: () => new Date(), ids: randomIds })),
  );
}

/** `arbiter tokens create|list|revoke`: administered against the database directly. */
export function registerTokenCommands(program: Command, output: Output, run: Run): void {
  const tokens = program.command('tokens').description('bearer tokens: create (printed once), list, revoke');
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
          const { token } = await withTokens(options, (service) =>
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
          );
          output.out(token);
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
