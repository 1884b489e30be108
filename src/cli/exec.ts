import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { ArbiterApiError, ArbiterClient, type Decision } from '../client/index.js';
import { dashboardLink } from '../core/dashboard-links.js';
import { parseDuration } from '../core/duration.js';
import { ArbiterError } from '../core/errors.js';
import { type ExitCode, exitCodes } from './exit-codes.js';
import { jsonObjectOption, type Output } from './io.js';

type Run = (action: () => Promise<ExitCode> | ExitCode) => Promise<void>;

interface ExecOptions {
  action: string;
  resource: string;
  env?: string;
  rationale?: string;
  confidence?: string;
  change?: string;
  context?: string;
  wait: string;
  idempotencyKey?: string;
  url?: string;
  token?: string;
  dashboardUrl?: string;
}

/** Facts about the CI run, so approvers see which pipeline asks (GitHub Actions, GitLab CI). */
export function ciContext(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const pick = (entries: [string, string | undefined][]) =>
    Object.fromEntries(entries.filter(([, value]) => value)) as Record<string, string>;
  if (env.GITHUB_ACTIONS === 'true') {
    return pick([
      ['provider', 'github-actions'],
      ['repository', env.GITHUB_REPOSITORY],
      ['sha', env.GITHUB_SHA],
      ['ref', env.GITHUB_REF],
      ['runId', env.GITHUB_RUN_ID],
      ['runAttempt', env.GITHUB_RUN_ATTEMPT],
      ['job', env.GITHUB_JOB],
      ['actor', env.GITHUB_ACTOR],
      [
        'url',
        env.GITHUB_SERVER_URL && env.GITHUB_RUN_ID
          ? `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`
          : undefined,
      ],
    ]);
  }
  if (env.GITLAB_CI === 'true') {
    return pick([
      ['provider', 'gitlab-ci'],
      ['repository', env.CI_PROJECT_PATH],
      ['sha', env.CI_COMMIT_SHA],
      ['ref', env.CI_COMMIT_REF_NAME],
      ['pipelineId', env.CI_PIPELINE_ID],
      ['jobId', env.CI_JOB_ID],
      ['job', env.CI_JOB_NAME],
      ['url', env.CI_JOB_URL],
    ]);
  }
  return {};
}

/** A retry of the same CI job step asks again with the same key, so it gets the same decision. */
function defaultIdempotencyKey(options: ExecOptions, env: NodeJS.ProcessEnv = process.env): string {
  const ci = ciContext(env);
  const run = ci.runId ? `${ci.runId}-${ci.runAttempt ?? '1'}-${ci.job ?? ''}` : ci.jobId;
  return run ? `exec-${run}-${options.action}-${options.resource}` : randomUUID();
}

function reasons(decision: Decision): string {
  return decision.reasons
    .map((reason) => `  ${reason.effect} ${reason.policy}/${reason.rule}: ${reason.message}`)
    .join('\n');
}

/** Why a decision that is not `allowed` does not run, in words for the person reading the CI log. */
function refusal(decision: Decision): string {
  const why = decision.statusReason ? ` (${decision.statusReason})` : '';
  if (decision.status === 'started')
    return decision.outcome
      ? `${decision.id} already ran: its outcome was reported (${decision.outcome.status}); an allowed decision runs once — ask again with a new --idempotency-key`
      : `${decision.id} was already started${why}; an allowed decision runs once — ask again with a new --idempotency-key`;
  if (decision.status === 'expired')
    return `${decision.id} expired: it was not started within its execution window — ask again with a new --idempotency-key`;
  return `${decision.id} is ${decision.status}${why}`;
}

/** `arbiter exec`: ask, wait for approval, claim the decision, run the command only then, report the outcome. */
export function registerExecCommand(program: Command, output: Output, run: Run): void {
  program
    .command('exec')
    .description(
      'ask Arbiter, wait for approval if needed, claim the decision, run COMMAND only if allowed, report its outcome; exits with its code (1 when denied, revoked, expired, or already run)',
    )
    .requiredOption('--action <action>', 'what the command does, e.g. deploy')
    .requiredOption('--resource <type:id>', 'what it acts on, e.g. service:payments')
    .option('--env <environment>', 'environment, e.g. prod')
    .option('--rationale <text>', 'why (required for agent tokens)')
    .option('--confidence <0..1>', 'how sure the agent is')
    .option('--change <json>', 'what changes, a JSON object')
    .option('--context <json>', 'more facts for policies, a JSON object (CI facts are added)')
    .option('--wait <duration>', 'how long to wait for approval', '30m')
    .option(
      '--idempotency-key <key>',
      'default: derived from the CI run, so a retried job reuses its decision',
    )
    .option('--url <url>', 'Arbiter URL (default $ARBITER_URL or http://127.0.0.1:8080)')
    .option('--token <token>', 'token (default $ARBITER_TOKEN)')
    .option('--dashboard-url <url>', 'where approvers go (default $ARBITER_DASHBOARD_URL or the Arbiter URL)')
    .argument('<command...>', 'the command to run, after --')
    .addHelpText(
      'after',
      '\nExample:\n  arbiter exec --action deploy --resource service:payments --env prod --rationale "release 1.4.2" -- ./deploy.sh 1.4.2',
    )
    .action((command: string[], options: ExecOptions) =>
      run(async () => {
        const at = options.resource.indexOf(':');
        if (at <= 0 || at === options.resource.length - 1)
          throw new ArbiterError('ARB_ERR_USAGE', '--resource must be TYPE:ID, e.g. service:payments');
        const waitMs = parseDuration(options.wait);
        if (waitMs === undefined)
          throw new ArbiterError(
            'ARB_ERR_USAGE',
            `--wait ${options.wait} is not a duration such as 90s or 30m`,
          );
        const confidence = options.confidence === undefined ? undefined : Number(options.confidence);
        if (confidence !== undefined && !(confidence >= 0 && confidence <= 1))
          throw new ArbiterError('ARB_ERR_USAGE', '--confidence must be between 0 and 1');
        const token = options.token ?? process.env.ARBITER_TOKEN;
        if (!token) throw new ArbiterError('ARB_ERR_USAGE', 'no token: set ARBITER_TOKEN or pass --token');
        const url = options.url ?? process.env.ARBITER_URL ?? 'http://127.0.0.1:8080';
        const dashboard = (options.dashboardUrl ?? process.env.ARBITER_DASHBOARD_URL ?? url).replace(
          /\/+$/,
          '',
        );
        const client = new ArbiterClient({ url, token });
        const change = jsonObjectOption('--change', options.change);
        const ci = ciContext();

        let decision: Decision;
        try {
          decision = await client.requestAction({
            action: options.action,
            resource: {
              type: options.resource.slice(0, at),
              id: options.resource.slice(at + 1),
              ...(options.env ? { environment: options.env } : {}),
            },
            ...(options.rationale ? { rationale: options.rationale } : {}),
            ...(confidence !== undefined ? { confidence } : {}),
            ...(change ? { change } : {}),
            context: {
              ...jsonObjectOption('--context', options.context),
              command,
              ...(Object.keys(ci).length > 0 ? { ci } : {}),
            },
            idempotencyKey: options.idempotencyKey ?? defaultIdempotencyKey(options),
          });
          if (decision.status === 'pending') {
            output.err(`arbiter: ${decision.id} needs approval before \`${command.join(' ')}\` runs:`);
            output.err(reasons(decision));
            for (const requirement of decision.approvals.required) {
              output.err(
                `  needs ${requirement.count} from ${requirement.from.join(' and ') || 'any approver'} within ${requirement.ttl}`,
              );
            }
            output.err(
              `  approve at ${dashboardLink(dashboard, { kind: 'decision', id: decision.id })}  or: arbiter approve ${decision.id} --reason …`,
            );
            const started = Date.now();
            const waited = await client.waitForDecision(decision.id, {
              timeoutMs: waitMs,
              onWaiting: (current) => {
                const votes = current.approvals.received
                  .map((vote) => `${vote.approver} ${vote.verdict}d`)
                  .join(', ');
                output.err(
                  `arbiter: still waiting (${Math.round((Date.now() - started) / 1000)} s)${votes ? `; ${votes}` : ''}`,
                );
              },
            });
            // Given up on: withdraw it, so nobody approves a run that will never happen.
            if (waited.status === 'pending')
              decision = await client
                .withdraw(waited.id, `arbiter exec stopped waiting after ${options.wait}`)
                .catch(() => waited);
            else decision = waited;
          }
        } catch (error) {
          if (error instanceof ArbiterApiError)
            throw new ArbiterError('ARB_ERR_USAGE', `${error.code}: ${error.message}`);
          throw error;
        }
        if (decision.status !== 'allowed') {
          output.err(`arbiter: ${refusal(decision)}; not running \`${command.join(' ')}\``);
          if (decision.reasons.length > 0 && decision.status !== 'started') output.err(reasons(decision));
          return exitCodes.failed;
        }
        // Claim it: an allowed decision runs once. A second exec with the same key, a freeze, or
        // a window that passed since the answer stops here, before the command runs.
        try {
          decision = await client.start(decision.id);
        } catch (error) {
          if (!(error instanceof ArbiterApiError)) throw error;
          output.err(
            `arbiter: ${decision.id} cannot be started (${error.code}: ${error.message}); not running \`${command.join(' ')}\``,
          );
          return exitCodes.failed;
        }
        output.err(`arbiter: ${decision.id} allowed and claimed; running \`${command.join(' ')}\``);

        const [executable, ...args] = command;
        const child = spawn(executable!, args, { stdio: 'inherit' });
        const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
        const onInt = forward('SIGINT');
        const onTerm = forward('SIGTERM');
        process.on('SIGINT', onInt);
        process.on('SIGTERM', onTerm);
        const { code, signal, error } = await new Promise<{
          code: number | null;
          signal: NodeJS.Signals | null;
          error?: Error;
        }>((resolve) => {
          child.once('error', (spawnError) => resolve({ code: 127, signal: null, error: spawnError }));
          child.once('exit', (exitCode, exitSignal) => resolve({ code: exitCode, signal: exitSignal }));
        });
        process.off('SIGINT', onInt);
        process.off('SIGTERM', onTerm);
        const exit = error ? 127 : (code ?? 128);
        const detail = error
          ? `could not start: ${error.message}`
          : signal
            ? `killed by ${signal}`
            : `exit code ${exit}`;
        await client
          .reportOutcome(decision.id, exit === 0 ? 'succeeded' : 'failed', detail)
          .then(() =>
            output.err(
              `arbiter: reported ${exit === 0 ? 'succeeded' : `failed (${detail})`} for ${decision.id}`,
            ),
          )
          .catch((reportError: unknown) =>
            output.err(`arbiter: could not report the outcome: ${(reportError as Error).message}`),
          );
        return exit as ExitCode;
      }),
    );
}
