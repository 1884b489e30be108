import type { Command } from 'commander';
import { loadPolicyDirectory } from '../app/policies/load-dir.js';
import { parseDuration } from '../core/duration.js';
import { ArbiterError } from '../core/errors.js';
import type { ReplayedDecision, ReplayReport } from '../decisions/replay.js';
import { effects } from '../policy/documents.js';
import { type ExitCode, exitCodes } from './exit-codes.js';
import type { Output } from './io.js';

type Run = (action: () => Promise<ExitCode> | ExitCode) => Promise<void>;

interface ReplayCommandOptions {
  policies: string;
  since: string;
  db?: string;
  failOnLoosen?: boolean;
  json?: boolean;
  limit: string;
}

/** `arbiter policy replay`: recorded decisions against a candidate bundle, before it ships. */
export function registerPolicyReplayCommand(policy: Command, output: Output, run: Run): void {
  policy
    .command('replay')
    .description(
      're-evaluate recorded decisions against a candidate bundle and print how their effects would change',
    )
    .requiredOption('--policies <dir>', 'the candidate governance directory')
    .option('--since <age-or-time>', 'decisions created since: a duration (30d) or an ISO 8601 time', '30d')
    .option(
      '--db <url>',
      'database: sqlite:PATH or postgres://… (default $ARBITER_DB or sqlite:./.arbiter/arbiter.db)',
    )
    .option('--fail-on-loosen', 'exit 1 if any decision would get a looser effect')
    .option('--json', 'print the report as JSON')
    .option('--limit <n>', 'example decisions shown per transition', '5')
    .addHelpText(
      'after',
      '\nLoosening: deny→allow, deny→require_approval, require_approval→allow. See docs/policies.md.',
    )
    .action((options: ReplayCommandOptions) =>
      run(async () => {
        const now = new Date();
        const since = parseSince(options.since, now);
        const examples = parseLimit(options.limit);
        const bundle = loadPolicyDirectory(options.policies);
        // The store and its drivers load only here, so `arbiter policy lint|eval|test` never pays for them.
        const [{ defaultDatabaseUrl, openStore }, { requireExistingDatabase }, { replayRecordedDecisions }] =
          await Promise.all([
            import('../store/open.js'),
            import('./database.js'),
            import('../app/policies/replay.js'),
          ]);
        const db = options.db ?? process.env.ARBITER_DB ?? defaultDatabaseUrl;
        requireExistingDatabase(db);
        const store = await openStore(db);
        let report: ReplayReport;
        try {
          report = await replayRecordedDecisions(store, { bundle, since, examples, now });
        } finally {
          await store.close();
        }
        const meta = { since: since.toISOString(), bundle: bundle.digest, policies: options.policies };
        output.out(
          options.json ? JSON.stringify({ ...meta, ...report }, null, 2) : describeReplay(report, meta),
        );
        return options.failOnLoosen && report.loosened > 0 ? exitCodes.failed : exitCodes.ok;
      }),
    );
}

function parseSince(text: string, now: Date): Date {
  const ms = parseDuration(text);
  if (ms !== undefined) return new Date(now.getTime() - ms);
  const time = new Date(text);
  if (/^\d{4}-\d{2}-\d{2}/.test(text) && !Number.isNaN(time.getTime())) return time;
  throw new ArbiterError('ARB_ERR_USAGE', `--since ${text}: give a duration such as 30d or an ISO 8601 time`);
}

function parseLimit(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) > 1000)
    throw new ArbiterError('ARB_ERR_USAGE', `--limit ${text}: give a whole number from 0 to 1000`);
  return Number(text);
}

/** The report for a person: the matrix, then each change with its actors and examples. */
export function describeReplay(
  report: ReplayReport,
  meta: { since: string; bundle: string; policies: string },
): string {
  const lines = [
    `replayed ${report.replayed} decisions since ${meta.since} against ${meta.policies} (${meta.bundle})${report.skippedFrozen > 0 ? `; ${report.skippedFrozen} denied by the kill switch were not replayed` : ''}`,
    '',
    `${'then \\ now'.padEnd(18)}${effects.map((effect) => effect.padStart(18)).join('')}`,
    ...effects.map(
      (from) =>
        `${from.padEnd(18)}${effects.map((to) => String(report.matrix[from][to]).padStart(18)).join('')}`,
    ),
    '',
    report.changed === 0
      ? 'no decision would change'
      : `${report.changed} would change: ${report.loosened} loosened, ${report.tightened} tightened`,
  ];
  for (const transition of report.transitions) {
    const actors = transition.actors.map((actor) => `${actor.id} ${actor.count}`).join(', ');
    lines.push(
      '',
      `${transition.from} → ${transition.to}: ${transition.count}${transition.loosens ? ' (loosens)' : ''}  [${actors}]`,
      ...transition.examples.map(describeExample),
    );
  }
  return lines.join('\n');
}

function describeExample(decision: ReplayedDecision): string {
  const { resource } = decision;
  const rules = [
    ...decision.rulesAdded.map((rule) => `+${rule}`),
    ...decision.rulesRemoved.map((rule) => `-${rule}`),
    ...decision.rulesChanged.map(({ rule, from, to }) => `~${rule} (${from} → ${to})`),
  ];
  return `  ${decision.id}  ${decision.createdAt}  ${decision.action} ${resource.type}:${resource.id}${resource.environment ? ` (${resource.environment})` : ''} by ${decision.actor}${rules.length > 0 ? `  rules ${rules.join(' ')}` : ''}`;
}
