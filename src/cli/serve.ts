import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getHeapStatistics } from 'node:v8';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { defaultAdminTokenPath, legacyAdminTokenPath } from '../app/access/admin-token-file.js';
import { type Arbiter, startArbiter } from '../app/arbiter.js';
import type { GitHubAppOptions } from '../app/integrations/github/reviews.js';
import type { GitLabOptions } from '../app/integrations/gitlab/approvals.js';
import type {
  SlackDirectoryGroups,
  SlackOptions,
  SlackUserMapping,
} from '../app/integrations/slack/interactions.js';
import type { RunningWitness } from '../app/witness/witness.js';
import { ArbiterError } from '../core/errors.js';
import { issueDemoTokens } from '../demo/demo.js';
import { type MonitoringDemo, seedMonitoringDemo } from '../demo/monitoring.js';
import { type DemoStory, seedDemoStory } from '../demo/story.js';
import { startDemoWitness } from '../demo/witness.js';
import { formatProblem } from '../policy/problems.js';
import { buildServer, serverLogger } from '../server/app.js';
import { defaultLimits, limitOptions, limitsFromOptions } from '../server/limits.js';
import { defaultDatabaseUrl } from '../store/open.js';
import { type ExitCode, exitCodes } from './exit-codes.js';
import { githubAppPrivateKey, httpUrl, pollSeconds } from './flag-values.js';
import type { Output } from './io.js';
import {
  defaultServeSemiSpaceMb,
  requestedSemiSpaceMb,
  semiSpaceEnv,
  semiSpaceFlag,
  youngGenerationSummary,
} from './young-generation.js';

type Run = (action: () => Promise<ExitCode> | ExitCode) => Promise<void>;

const packageRoot = fileURLToPath(new URL('../..', import.meta.url));

interface ServeOptions {
  db?: string;
  policies?: string;
  host: string;
  port: string;
  demo?: boolean;
  ledgerKey?: string;
  trustedCheckpoint?: string;
  logLevel?: string;
  checkpointInterval: string;
  dbPoolSize?: string;
  dbStatementTimeout?: string;
  replicaName?: string;
  dashboardUrl?: string;
  githubAppId?: string;
  githubPrivateKey?: string;
  githubWebhookSecretEnv: string;
  githubApiUrl?: string;
  gitlabUrl: string;
  gitlabTokenEnv?: string;
  gitlabWebhookSecretEnv?: string;
  gitlabSigningTokenEnv?: string;
  gitlabPollInterval: string;
  slackSigningSecretEnv?: string;
  slackUsers?: string;
  slackBotTokenEnv?: string;
  slackApiUrl?: string;
  deliveryRetentionDays: string;
  humanTokens: string;
  sessionKey?: string;
  semiSpaceMb?: string;
}

/** Slack approval buttons, when `--slack-signing-secret-env` is given (off by default). */
function slackOptions(options: ServeOptions): SlackOptions | undefined {
  if (!options.slackSigningSecretEnv) return undefined;
  const signingSecret = process.env[options.slackSigningSecretEnv];
  if (!signingSecret)
    throw new ArbiterError(
      'ARB_ERR_USAGE',
      `--slack-signing-secret-env names $${options.slackSigningSecretEnv}, which is not set`,
    );
  let botToken: string | undefined;
  if (options.slackBotTokenEnv) {
    botToken = process.env[options.slackBotTokenEnv];
    if (!botToken)
      throw new ArbiterError(
        'ARB_ERR_USAGE',
        `--slack-bot-token-env names $${options.slackBotTokenEnv}, which is not set`,
      );
  }
  if (options.slackApiUrl) httpUrl('--slack-api-url', options.slackApiUrl);
  const mapping = options.slackUsers
    ? readSlackUsers(options.slackUsers)
    : { users: [], directoryGroups: [] };
  return {
    signingSecret,
    ...mapping,
    ...(botToken ? { botToken } : {}),
    ...(options.slackApiUrl ? { apiUrl: options.slackApiUrl } : {}),
  };
}

/**
 * The explicit Slack → person mapping: a YAML list of {team, user, email, groups}; an entry with
 * only {email, groups} gives the groups of a person found through Slack's directory.
 */
function readSlackUsers(path: string): Pick<SlackOptions, 'users' | 'directoryGroups'> {
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ArbiterError(
      'ARB_ERR_INPUT_INVALID',
      `cannot read --slack-users ${path}: ${(error as Error).message}`,
    );
  }
  if (!Array.isArray(parsed))
    throw new ArbiterError(
      'ARB_ERR_INPUT_INVALID',
      `--slack-users ${path} is not a list of {team, user, email, groups}`,
    );
  const users: SlackUserMapping[] = [];
  const directoryGroups: SlackDirectoryGroups[] = [];
  parsed.forEach((entry, index) => {
    const { team, user, email, groups = [] } = (entry ?? {}) as Record<string, unknown>;
    const common =
      typeof email === 'string' &&
      email.includes('@') &&
      Array.isArray(groups) &&
      groups.every((group) => typeof group === 'string');
    const account =
      typeof team === 'string' &&
      /^[A-Z0-9]{1,32}$/.test(team) &&
      typeof user === 'string' &&
      /^[A-Z0-9]{1,32}$/.test(user);
    if (common && account) users.push({ team, user, email, groups: groups as string[] });
    else if (common && team === undefined && user === undefined)
      directoryGroups.push({ email, groups: groups as string[] });
    else
      throw new ArbiterError(
        'ARB_ERR_INPUT_INVALID',
        `--slack-users ${path}: entry ${index + 1} needs team (T…), user (U…), email and optional groups (or only email and groups, for a person found through the directory)`,
      );
  });
  return { users, directoryGroups };
}

/** The GitHub App options, when `--github-app-id` is given: the key file and the secret must be there too. */
function githubOptions(options: ServeOptions): GitHubAppOptions | undefined {
  if (!options.githubAppId) return undefined;
  if (!options.githubPrivateKey)
    throw new ArbiterError(
      'ARB_ERR_USAGE',
      "--github-app-id needs --github-private-key <file> (the App's PEM key)",
    );
  const webhookSecret = process.env[options.githubWebhookSecretEnv];
  if (!webhookSecret)
    throw new ArbiterError(
      'ARB_ERR_USAGE',
      `--github-app-id needs the App's webhook secret in $${options.githubWebhookSecretEnv}`,
    );
  let privateKey: string;
  try {
    privateKey = readFileSync(options.githubPrivateKey, 'utf8');
  } catch (error) {
    throw new ArbiterError(
      'ARB_ERR_INPUT_NOT_FOUND',
      `cannot read the GitHub App key ${options.githubPrivateKey}: ${(error as Error).message}`,
    );
  }
  githubAppPrivateKey(options.githubPrivateKey, privateKey);
  if (options.githubApiUrl) httpUrl('--github-api-url', options.githubApiUrl);
  return {
    appId: options.githubAppId,
    privateKey,
    webhookSecret,
    ...(options.githubApiUrl ? { apiUrl: options.githubApiUrl } : {}),
  };
}

/** GitLab deployment approvals, when `--gitlab-token-env` is given: every named variable must be set. */
function gitlabOptions(options: ServeOptions): GitLabOptions | undefined {
  if (!options.gitlabTokenEnv) return undefined;
  const fromEnv = (flag: string, name: string) => {
    const value = process.env[name];
    if (!value) throw new ArbiterError('ARB_ERR_USAGE', `${flag} names $${name}, which is not set`);
    return value;
  };
  const token = fromEnv('--gitlab-token-env', options.gitlabTokenEnv);
  const webhookSecret = options.gitlabWebhookSecretEnv
    ? fromEnv('--gitlab-webhook-secret-env', options.gitlabWebhookSecretEnv)
    : undefined;
  const signingToken = options.gitlabSigningTokenEnv
    ? fromEnv('--gitlab-signing-token-env', options.gitlabSigningTokenEnv)
    : undefined;
  if (signingToken && !/^whsec_[A-Za-z0-9+/]{20,}={0,2}$/.test(signingToken))
    throw new ArbiterError(
      'ARB_ERR_USAGE',
      `$${options.gitlabSigningTokenEnv} is not a GitLab signing token (whsec_ and base64)`,
    );
  httpUrl('--gitlab-url', options.gitlabUrl);
  const interval = pollSeconds('--gitlab-poll-interval', options.gitlabPollInterval);
  if (interval === 0 && !webhookSecret && !signingToken)
    throw new ArbiterError(
      'ARB_ERR_USAGE',
      '--gitlab-poll-interval 0 needs webhooks (--gitlab-webhook-secret-env or --gitlab-signing-token-env): nothing else finds blocked deployments',
    );
  return {
    url: options.gitlabUrl,
    token,
    pollIntervalMs: interval * 1000,
    ...(webhookSecret ? { webhookSecret } : {}),
    ...(signingToken ? { signingToken } : {}),
  };
}

function positive(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0)
    throw new ArbiterError('ARB_ERR_USAGE', `${name} ${value} must be a positive integer`);
  return parsed;
}

/** `arbiter serve`: the decision checkpoint over HTTP. */
export function registerServeCommand(program: Command, output: Output, run: Run): void {
  const command = program
    .command('serve')
    .description(
      'run the Arbiter server: decisions, approvals, systems, ledger (HTTP API, OpenAPI at /openapi.json)',
    )
    .option(
      '--db <url>',
      `database: sqlite:PATH or postgres://… (default ${defaultDatabaseUrl}; with --demo sqlite:./.arbiter/demo.db)`,
    )
    .option(
      '--policies <dir>',
      'governance directory (default ./policies if present; with --demo the bundled examples)',
    )
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port (0 picks a free one)', '8080')
    .option('--demo', 'load the example policies and Systems and print demo tokens')
    .option('--ledger-key <file>', 'ledger signing key file')
    .option(
      '--session-key <file>',
      'key sealing sign-in session cookies, kept outside the database (default: beside the ledger key; every replica needs the same file)',
    )
    .option(
      '--human-tokens <on|off>',
      'off: people sign in with the IdentityProvider only; bearer tokens of approvers, auditors and admins are refused (docs/identity.md)',
      'on',
    )
    .option(
      '--trusted-checkpoint <file>',
      'the newest signed checkpoint, kept outside the database (default: beside the ledger key); the server refuses a database that does not extend it',
    )
    .option('--log-level <level>', 'fatal, error, warn, info, debug (default info; warn with --demo)')
    .option('--checkpoint-interval <seconds>', 'sign a checkpoint this often when the ledger grew', '60')
    .option('--db-pool-size <n>', 'PostgreSQL connections per replica (default 10, or $ARBITER_PG_POOL_SIZE)')
    .option(
      '--db-statement-timeout <ms>',
      'PostgreSQL statement timeout (default 10000, or $ARBITER_PG_STATEMENT_TIMEOUT_MS)',
    )
    .option('--replica-name <name>', 'this replica in pg_stat_activity (default arbiter/HOST/PID)')
    .option(
      '--dashboard-url <url>',
      'public URL of this server, for links in notifications (default $ARBITER_DASHBOARD_URL or http://HOST:PORT)',
    )
    .option(
      '--github-app-id <id>',
      'answer GitHub deployment protection rules as this App (docs/integrations.md)',
    )
    .option('--github-private-key <file>', "the GitHub App's private key (PEM)")
    .option(
      '--github-webhook-secret-env <name>',
      "environment variable holding the GitHub App's webhook secret",
      'GITHUB_WEBHOOK_SECRET',
    )
    .option(
      '--github-api-url <url>',
      'GitHub API (GitHub Enterprise Server: https://HOST/api/v3)',
      'https://api.github.com',
    )
    .option(
      '--gitlab-token-env <name>',
      'answer GitLab deployment approvals: environment variable holding the API token of the approver user (docs/integrations.md)',
    )
    .option('--gitlab-url <url>', 'GitLab instance (self-managed: https://HOST)', 'https://gitlab.com')
    .option(
      '--gitlab-webhook-secret-env <name>',
      "environment variable holding the GitLab webhook's secret token (X-Gitlab-Token)",
    )
    .option(
      '--gitlab-signing-token-env <name>',
      "environment variable holding the GitLab webhook's signing token (whsec_…), when GitLab signs deliveries",
    )
    .option(
      '--gitlab-poll-interval <seconds>',
      'list blocked GitLab deployments this often (0: only when a job event says one waits)',
      '30',
    )
    .option(
      '--slack-signing-secret-env <name>',
      "turn on Slack approval buttons: environment variable holding the Slack app's signing secret",
    )
    .option(
      '--slack-users <file>',
      'YAML list mapping Slack accounts to people: {team, user, email, groups}; {email, groups} gives groups to people found through the directory',
    )
    .option(
      '--slack-bot-token-env <name>',
      'environment variable holding a Slack bot token (users:read, users:read.email, chat:write): find clickers by confirmed email, update messages with chat.update',
    )
    .option('--slack-api-url <url>', "Slack's Web API", 'https://slack.com/api')
    .option(
      '--delivery-retention-days <days>',
      'remember provider webhook deliveries (replay protection) this many days',
      '40',
    )
    .option(
      `${semiSpaceFlag} <MB>`,
      `V8 semi-space size (young generation) the server runs with: larger means fewer collections and a shorter verdict tail for ~30 MB more memory at 32; 0 keeps V8's default; ignored when node is given --max-semi-space-size itself (default ${defaultServeSemiSpaceMb}, or $${semiSpaceEnv})`,
    );
  for (const option of limitOptions) {
    const fallback = defaultLimits[option.key] / option.scale;
    command.option(option.flag, `${option.description} (default ${fallback}, or $${option.env})`);
  }
  command
    .addHelpText(
      'after',
      '\nSignals: SIGTERM/SIGINT shut down gracefully (finish requests, checkpoint, close); SIGHUP reloads policies.',
    )
    .action((options: ServeOptions) =>
      run(async () => {
        const port = Number(options.port);
        if (options.humanTokens !== 'on' && options.humanTokens !== 'off')
          throw new ArbiterError('ARB_ERR_USAGE', `--human-tokens ${options.humanTokens} must be on or off`);
        if (!Number.isInteger(port) || port < 0 || port > 65535)
          throw new ArbiterError('ARB_ERR_USAGE', `--port ${options.port} is not a port number`);
        // Checked before anything starts: a bad limit is a usage error, not a half-started server.
        const limits = limitsFromOptions(options as unknown as Record<string, unknown>, process.env);
        // bin/arbiter.js applied a valid size before this process started (young-generation.ts).
        try {
          requestedSemiSpaceMb(
            options.semiSpaceMb === undefined ? [] : [semiSpaceFlag, options.semiSpaceMb],
            process.env,
          );
        } catch (error) {
          throw new ArbiterError('ARB_ERR_USAGE', (error as Error).message);
        }
        const databaseUrl =
          options.db ??
          process.env.ARBITER_DB ??
          (options.demo ? 'sqlite:./.arbiter/demo.db' : defaultDatabaseUrl);
        const policyDir =
          options.policies ??
          (options.demo
            ? join(packageRoot, 'examples', 'policies')
            : existsSync('policies')
              ? 'policies'
              : undefined);
        const github = githubOptions(options);
        const gitlab = gitlabOptions(options);
        const slack = slackOptions(options);
        const logger = serverLogger(options.logLevel ?? (options.demo ? 'warn' : 'info'));
        const legacy = legacyAdminTokenPath(databaseUrl);
        const arbiter = await startArbiter({
          databaseUrl,
          logger,
          ...(policyDir ? { policyDir } : {}),
          ...(options.ledgerKey ? { ledgerKeyPath: options.ledgerKey } : {}),
          ...(options.sessionKey ? { identity: { sessionKeyPath: options.sessionKey } } : {}),
          ...(options.trustedCheckpoint ? { trustedCheckpointPath: options.trustedCheckpoint } : {}),
          adminTokenPath: defaultAdminTokenPath(databaseUrl),
          ...(legacy ? { legacyAdminTokenPath: legacy } : {}),
          checkpointIntervalMs: Math.max(1, Number(options.checkpointInterval)) * 1000,
          ...(github ? { github } : {}),
          ...(gitlab ? { gitlab } : {}),
          ...(slack ? { slack } : {}),
          deliveryRetentionDays: positive('--delivery-retention-days', options.deliveryRetentionDays)!,
          notifications: {
            dashboardUrl:
              options.dashboardUrl ?? process.env.ARBITER_DASHBOARD_URL ?? `http://${options.host}:${port}`,
          },
          postgres: {
            ...(options.dbPoolSize ? { poolSize: positive('--db-pool-size', options.dbPoolSize)! } : {}),
            ...(options.dbStatementTimeout
              ? { statementTimeoutMs: positive('--db-statement-timeout', options.dbStatementTimeout)! }
              : {}),
            applicationName: options.replicaName ?? `arbiter/${hostname()}/${process.pid}`,
          },
        });
        const { app, state } = await buildServer(arbiter, {
          loggerInstance: logger,
          limits,
          humanTokens: options.humanTokens === 'on',
        });
        let address: string;
        // Fastify logs "Server listening at" as it binds: a JSON line before the banner, which says
        // the same to people. Quiet while binding; logged once the banner is out (below).
        const level = logger.level;
        if (['info', 'debug', 'trace'].includes(level)) logger.level = 'warn';
        try {
          address = await app.listen({ host: options.host, port });
        } catch (error) {
          await arbiter.close();
          throw new ArbiterError(
            'ARB_ERR_USAGE',
            `cannot listen on ${options.host}:${port}: ${(error as Error).message}`,
          );
        } finally {
          logger.level = level;
        }
        // Signal handlers first: "Ready" promises that SIGTERM and SIGHUP are handled. A stop that
        // comes while the demo is still being written waits for it before closing the store.
        const startUp: StartUp = { done: Promise.resolve() };
        const stopped = lifecycle(app, state, arbiter, output, startUp);
        let demoWitness: RunningWitness | undefined;
        const starting = (async () => {
          announce(
            output,
            arbiter,
            address,
            databaseUrl,
            policyDir,
            options.demo ? await issueDemoTokens(arbiter) : undefined,
          );
          if (options.demo) {
            announceMonitoring(output, address, await seedMonitoringDemo(arbiter, new Date()));
            announceStory(output, address, await seedDemoStory(arbiter));
            demoWitness = await startDemoWitness(arbiter, databaseUrl, logger);
            announceWitness(output, address, databaseUrl, demoWitness);
          }
        })();
        startUp.done = starting.catch(() => undefined);
        await starting;
        if (!state.shuttingDown) {
          output.out('\nReady. Ctrl-C (SIGINT) or SIGTERM stops gracefully; SIGHUP reloads policies.');
          logger.info({ address }, `Server listening at ${address}`);
        }
        const code = await stopped;
        await demoWitness?.close();
        return code;
      }),
    );
}

function announce(
  output: Output,
  arbiter: Arbiter,
  address: string,
  databaseUrl: string,
  policyDir: string | undefined,
  demoTokens: Awaited<ReturnType<typeof issueDemoTokens>> | undefined,
): void {
  output.out(`Arbiter listening on ${address}`);
  output.out(`  database  ${databaseUrl.replace(/\/\/[^@/]*@/, '//***@')}`);
  output.out(
    `  policies  ${policyDir ?? '(none: every request is denied)'}  bundle ${arbiter.policies.bundle.digest}`,
  );
  output.out(`  ledger    ${arbiter.ledger.origin}  verifier key ${arbiter.ledger.verifierKey}`);
  output.out(
    `  memory    ${youngGenerationSummary(process.execArgv, process.env, getHeapStatistics().heap_size_limit)}`,
  );
  // Only addresses that answer a GET: /v1 itself has no page, its routes are in the OpenAPI document.
  output.out(`  API       ${address}/openapi.json (OpenAPI; routes under /v1)   metrics ${address}/metrics`);
  const tokenFile = arbiter.adminTokenFile;
  if (tokenFile && 'written' in tokenFile)
    output.out(`  first start: an admin token was written to ${tokenFile.written} (mode 0600)`);
  if (tokenFile && 'adoptedFrom' in tokenFile)
    output.out(
      `  admin token: ${tokenFile.adoptedFrom} holds this database's admin token; copied to ${tokenFile.path}, its name from now on`,
    );
  if (demoTokens) {
    output.out('\nDemo tokens (shown once; new ones are issued at every demo start):');
    for (const token of demoTokens)
      output.out(
        `  ${token.name.padEnd(15)} ${token.role.padEnd(9)} ${token.detail.padEnd(22)} ${token.token}`,
      );
    const agent = demoTokens.find((token) => token.name === 'deploy-bot')!.token;
    output.out(
      `\nTry it:\n  curl -s -X POST ${address}/v1/decisions -H 'Authorization: Bearer ${agent}' -H 'Content-Type: application/json' \\`,
    );
    output.out(
      `    -d '{"action":"deploy","resource":{"type":"service","id":"payments","environment":"prod"},"change":{"linesChanged":812},"rationale":"Roll out the checkout fix","confidence":0.95}'`,
    );
  }
}

function announceMonitoring(output: Output, address: string, demo: MonitoringDemo | undefined): void {
  if (!demo) return;
  output.out(
    `\nMonitoring: ${demo.system} has ${demo.windows} windows of production data${demo.ingested > 0 ? ` (${demo.ingested} events streamed just now)` : ''}; firing alerts:`,
  );
  for (const alert of demo.firing)
    output.out(`  ${alert.severity.padEnd(8)} ${alert.alert}: ${alert.message}`);
  if (demo.firing.length === 0) output.out('  (none)');
  output.out(
    `  report: npx arbiter monitor report --system ${demo.system} --url ${address} --token <erin's token> --html report.html`,
  );
}

function announceWitness(
  output: Output,
  address: string,
  databaseUrl: string,
  witness: RunningWitness,
): void {
  // The witness serves one route, POST /add-checkpoint: its bare address would read "not found".
  output.out(
    `\nWitness: ${witness.name} cosigns every checkpoint (C2SP tlog-witness: POST ${witness.url}/add-checkpoint).`,
  );
  output.out('  It runs in this process for the demo and is NOT independent: see docs/ledger.md#witnesses.');
  output.out(
    `  cosigned checkpoint: curl -s ${address}/v1/ledger/checkpoint -H 'Authorization: Bearer <erin's token>'`,
  );
  output.out(
    `  verify with a quorum: npx arbiter ledger verify --db ${databaseUrl} --witness ${witness.verifierKey} --quorum 1`,
  );
}

function announceStory(output: Output, address: string, story: DemoStory | undefined): void {
  if (!story) return;
  if (story.gateRuns.length > 0) output.out(`\nRelease gates (${address}/gates):`);
  for (const run of story.gateRuns)
    output.out(`  credit-scoring ${run.version} ${run.passed ? 'passed' : 'FAILED'}  ${run.id}`);
  output.out(
    `\nAccountability: deploy-bot's production deploy ${story.failedDecision} was approved and failed.`,
  );
  if (story.incident)
    output.out(
      `  incident ${story.incident}: ${address}/incidents/${story.incident}   npx arbiter trace ${story.incident} --url ${address} --token <erin's token>`,
    );
  if (story.waiting) output.out(`  waiting for approval: ${story.waiting} (sign in as alice or bob)`);
}

/** Start-up work still running when a stop may come (the demo's data): the store closes after it. */
interface StartUp {
  done: Promise<unknown>;
}

/** Runs until SIGTERM/SIGINT; SIGHUP reloads policies. Resolves with the exit code. */
function lifecycle(
  app: Awaited<ReturnType<typeof buildServer>>['app'],
  state: { shuttingDown: boolean },
  arbiter: Arbiter,
  output: Output,
  startUp: StartUp,
): Promise<ExitCode> {
  return new Promise((resolve) => {
    const reload = () => {
      arbiter.policies
        .reload('arbiter', 'signal')
        .then((result) => {
          if (result.ok) output.out(`policies reloaded: bundle ${result.bundle}`);
          else {
            output.err(`policy reload rejected; bundle ${arbiter.policies.bundle.digest} stays in force:`);
            for (const problem of result.problems) output.err(`  ${formatProblem(problem)}`);
          }
        })
        .catch((error: unknown) => output.err(`policy reload failed: ${(error as Error).message}`));
    };
    let stopping: string | undefined;
    const stop = (signal: string) => {
      // A supervisor that signals every process of the service (systemd's default) and serve's
      // launcher, which forwards it (young-generation.ts), both deliver the same SIGTERM.
      if (stopping === 'SIGTERM' && signal === 'SIGTERM') return;
      if (stopping) {
        output.err(`${signal} again: exiting now`);
        process.exit(1);
      }
      stopping = signal;
      output.out(`${signal}: shutting down (finishing requests, checkpointing the ledger)`);
      state.shuttingDown = true;
      arbiter.events.close();
      app
        .close()
        .then(() => startUp.done)
        .then(() => arbiter.close())
        .then(() => {
          output.out('stopped');
          process.off('SIGHUP', reload);
          resolve(exitCodes.ok);
        })
        .catch((error: unknown) => {
          output.err(`shutdown failed: ${(error as Error).message}`);
          resolve(exitCodes.failed);
        });
    };
    process.on('SIGHUP', reload);
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
}
