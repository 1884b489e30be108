import type { Command } from 'commander';
import { ArbiterApiError, ArbiterClient, type Decision, type DecisionQuery } from '../client/index.js';
import { parseDuration } from '../core/duration.js';
import { ArbiterError } from '../core/errors.js';
import { type ExitCode, exitCodes } from './exit-codes.js';
import { jsonObjectOption, type Output } from './io.js';
import { savedSession } from './login.js';

type Run = (action: () => Promise<ExitCode> | ExitCode) => Promise<void>;

export interface RemoteOptions {
  url?: string;
  token?: string;
  json?: boolean;
}

export function clientFor(options: RemoteOptions): ArbiterClient {
  const url = options.url ?? process.env.ARBITER_URL ?? 'http://127.0.0.1:8080';
  const token = options.token ?? (process.env.ARBITER_TOKEN || undefined) ?? savedSession(url)?.token;
  if (!token)
    throw new ArbiterError(
      'ARB_ERR_USAGE',
      'no token: set ARBITER_TOKEN, pass --token, or run arbiter login',
    );
  return new ArbiterClient({ url, token });
}

/** API errors become CLI errors with the server's code and message (exit 2). */
export async function remote<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ArbiterApiError) {
      throw new ArbiterError('ARB_ERR_USAGE', `${error.code}: ${error.message}`, { details: error.details });
    }
    throw error;
  }
}

export function withRemote(command: Command): Command {
  return command
    .option('--url <url>', 'Arbiter URL (default $ARBITER_URL or http://127.0.0.1:8080)')
    .option('--token <token>', 'bearer token (default $ARBITER_TOKEN)')
    .option('--json', 'print JSON');
}

/** A one-screen account of a decision. */
export function describeDecision(decision: Decision): string {
  const lines = [
    `${decision.id}  ${decision.status.toUpperCase()}  ${decision.action} ${decision.resource.type}:${decision.resource.id}${decision.resource.environment ? ` (${decision.resource.environment})` : ''}  by ${decision.actor.id}`,
  ];
  if (decision.statusReason) lines.push(`  status: ${decision.statusReason}`);
  for (const reason of decision.reasons)
    lines.push(`  ${reason.effect.padEnd(16)} ${reason.policy}/${reason.rule}: ${reason.message}`);
  if (decision.status === 'pending') {
    for (const requirement of decision.approvals.required) {
      const from = requirement.from.length > 0 ? requirement.from.join(' and ') : 'any approver';
      lines.push(
        `  needs ${requirement.count} approval${requirement.count === 1 ? '' : 's'} from ${from} within ${requirement.ttl}: ${requirement.met ? 'met' : `missing ${requirement.missing.join(', ') || `${requirement.count - requirement.approvers.length} more`}`}`,
      );
    }
    if (decision.expiresAt) lines.push(`  expires ${decision.expiresAt}`);
  }
  for (const vote of decision.approvals.received)
    lines.push(
      `  ${vote.verdict}d by ${vote.approver} at ${vote.at}${vote.reason ? `: ${vote.reason}` : ''}`,
    );
  if (decision.outcome)
    lines.push(
      `  outcome: ${decision.outcome.status}${decision.outcome.detail ? ` (${decision.outcome.detail})` : ''}`,
    );
  lines.push(`  request ${decision.requestHash}  bundle ${decision.bundle}  ledger #${decision.ledgerIndex}`);
  return lines.join('\n');
}

const verdictExit = (decision: Decision): ExitCode =>
  decision.status === 'allowed' ? exitCodes.ok : exitCodes.failed;

/** `arbiter request`, `decisions`, `approve`, `reject`, `systems`: clients of a running server. */
export function registerRemoteCommands(program: Command, output: Output, run: Run): void {
  const print = (options: RemoteOptions, value: unknown, text: () => string) =>
    output.out(options.json ? JSON.stringify(value, null, 2) : text());

  withRemote(
    program
      .command('request')
      .description('ask a running Arbiter before acting; exit 0 allowed, 1 pending or denied'),
  )
    .requiredOption('--action <action>', 'what to do, e.g. deploy')
    .requiredOption('--resource <type:id>', 'what it acts on, e.g. service:payments')
    .option('--env <environment>', 'environment, e.g. prod')
    .option('--rationale <text>', 'why (required for agents)')
    .option('--confidence <0..1>', 'how sure the agent is')
    .option('--change <json>', 'what changes, a JSON object')
    .option('--context <json>', 'anything else policies read, a JSON object')
    .option('--idempotency-key <key>', 'retries with the same key return the same decision')
    .action(
      (
        options: RemoteOptions & {
          action: string;
          resource: string;
          env?: string;
          rationale?: string;
          confidence?: string;
          change?: string;
          context?: string;
          idempotencyKey?: string;
        },
      ) =>
        run(async () => {
          const at = options.resource.indexOf(':');
          if (at <= 0 || at === options.resource.length - 1)
            throw new ArbiterError('ARB_ERR_USAGE', '--resource must be TYPE:ID, e.g. service:payments');
          const confidence = options.confidence === undefined ? undefined : Number(options.confidence);
          if (confidence !== undefined && !(confidence >= 0 && confidence <= 1))
            throw new ArbiterError('ARB_ERR_USAGE', '--confidence must be between 0 and 1');
          const change = jsonObjectOption('--change', options.change);
          const context = jsonObjectOption('--context', options.context);
          const decision = await remote(() =>
            clientFor(options).requestAction({
              action: options.action,
              resource: {
                type: options.resource.slice(0, at),
                id: options.resource.slice(at + 1),
                ...(options.env ? { environment: options.env } : {}),
              },
              ...(options.rationale ? { rationale: options.rationale } : {}),
              ...(confidence !== undefined ? { confidence } : {}),
              ...(change ? { change } : {}),
              ...(context ? { context } : {}),
              ...(options.idempotencyKey ? { idempotencyKey: options.idempotencyKey } : {}),
            }),
          );
          print(options, decision, () => describeDecision(decision));
          return verdictExit(decision);
        }),
    );

  const decisions = program
    .command('decisions')
    .description('list, show and wait for decisions on a running Arbiter');
  withRemote(decisions.command('list').description('decisions, newest first'))
    .option('--status <status>', 'allowed, pending or denied')
    .option('--system <id>', 'only this System')
    .option('--limit <n>', 'how many', '20')
    .action((options: RemoteOptions & { status?: string; system?: string; limit: string }) =>
      run(async () => {
        const page = await remote(() =>
          clientFor(options).listDecisions({
            // The server checks the status and answers a bad one with a 400 naming it.
            ...(options.status ? { status: options.status as DecisionQuery['status'] } : {}),
            ...(options.system ? { system: options.system } : {}),
            limit: Number(options.limit),
          }),
        );
        print(options, page, () =>
          page.decisions.length === 0
            ? 'no decisions'
            : page.decisions
                .map(
                  (d) =>
                    `${d.id}  ${d.status.padEnd(8)} ${d.action} ${d.resource.type}:${d.resource.id}${d.resource.environment ? `@${d.resource.environment}` : ''}  ${d.actor.id}  ${d.createdAt}`,
                )
                .join('\n'),
        );
        return exitCodes.ok;
      }),
    );
  withRemote(
    decisions.command('show').description('one decision with its reasons and approvals').argument('<id>'),
  ).action((id: string, options: RemoteOptions) =>
    run(async () => {
      const decision = await remote(() => clientFor(options).getDecision(id));
      print(options, decision, () => describeDecision(decision));
      return exitCodes.ok;
    }),
  );
  withRemote(
    decisions
      .command('wait')
      .description('wait until a decision leaves pending; exit 0 allowed, 1 denied or still pending')
      .argument('<id>'),
  )
    .option('--timeout <duration>', 'how long to wait, e.g. 90s, 10m', '5m')
    .action((id: string, options: RemoteOptions & { timeout: string }) =>
      run(async () => {
        const timeoutMs = parseDuration(options.timeout);
        if (timeoutMs === undefined)
          throw new ArbiterError(
            'ARB_ERR_USAGE',
            `--timeout ${options.timeout} is not a duration such as 90s or 10m`,
          );
        const decision = await remote(() =>
          clientFor(options).waitForDecision(id, {
            timeoutMs,
            onWaiting: () => {
              if (process.stderr.isTTY) process.stderr.write('.');
            },
          }),
        );
        print(options, decision, () => describeDecision(decision));
        return verdictExit(decision);
      }),
    );

  for (const verdict of ['approve', 'reject'] as const) {
    withRemote(
      program.command(verdict).description(`${verdict} a pending decision (approvers)`).argument('<id>'),
    )
      .requiredOption('--reason <text>', 'why; recorded with your vote')
      .option('--request-hash <hash>', 'refuse unless the decision is exactly the request you reviewed')
      .action((id: string, options: RemoteOptions & { reason: string; requestHash?: string }) =>
        run(async () => {
          const client = clientFor(options);
          const decision = await remote(() =>
            verdict === 'approve'
              ? client.approve(id, options.reason, options.requestHash)
              : client.reject(id, options.reason),
          );
          print(options, decision, () => describeDecision(decision));
          return exitCodes.ok;
        }),
      );
  }

  const systems = program
    .command('systems')
    .description('registered AI systems: list, freeze (kill switch), unfreeze, autonomy');
  withRemote(systems.command('list').description('every registered agent and model')).action(
    (options: RemoteOptions) =>
      run(async () => {
        const list = await remote(() => clientFor(options).listSystems());
        print(options, list, () =>
          list
            .map(
              (s) =>
                `${s.id.padEnd(18)} ${s.kind.padEnd(6)} ${s.status.padEnd(7)} autonomy ${s.autonomy}${s.autonomyCeiling > s.autonomy ? ` (ceiling ${s.autonomyCeiling})` : ''}  risk ${s.riskTier.padEnd(8)} owner ${s.owner.team} (${s.owner.person})${s.statusReason && s.status === 'frozen' ? `  — ${s.statusReason}` : ''}`,
            )
            .join('\n'),
        );
        return exitCodes.ok;
      }),
  );
  for (const [name, frozen] of [
    ['freeze', true],
    ['unfreeze', false],
  ] as const) {
    withRemote(
      systems
        .command(name)
        .description(
          frozen ? 'kill switch: deny every new and pending request of the System' : 'lift the kill switch',
        )
        .argument('<id>'),
    )
      .requiredOption('--reason <text>', 'why; recorded in the ledger')
      .action((id: string, options: RemoteOptions & { reason: string }) =>
        run(async () => {
          const system = await remote(() => clientFor(options).setFrozen(id, frozen, options.reason));
          print(
            options,
            system,
            () => `${system.id} is ${system.status}${system.statusReason ? `: ${system.statusReason}` : ''}`,
          );
          return exitCodes.ok;
        }),
      );
  }
  withRemote(
    systems
      .command('autonomy')
      .description("set a System's autonomy, e.g. promote it back after its error budget demoted it")
      .argument('<id>'),
  )
    .requiredOption('--level <n>', '0 observe, 1 suggest, 2 act with approval, 3 act within boundaries')
    .requiredOption('--reason <text>', 'why; recorded in the ledger')
    .action((id: string, options: RemoteOptions & { level: string; reason: string }) =>
      run(async () => {
        if (!/^[0-3]$/.test(options.level))
          throw new ArbiterError('ARB_ERR_USAGE', `--level ${options.level}: give 0, 1, 2 or 3`);
        const system = await remote(() =>
          clientFor(options).setAutonomy(id, Number(options.level), options.reason),
        );
        print(
          options,
          system,
          () => `${system.id} acts at autonomy ${system.autonomy} (ceiling ${system.autonomyCeiling})`,
        );
        return exitCodes.ok;
      }),
    );
}
