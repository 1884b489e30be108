import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { storeAuditSource } from '../app/ledger/export.js';
import { auditState, describeStateMismatch } from '../app/ledger/state-audit.js';
import { ArbiterError } from '../core/errors.js';
import { isPlainObject } from '../core/json.js';
import { auditLedger } from '../ledger/audit.js';
import { parseVerifierKey } from '../ledger/note.js';
import type { ProbeActionRequest, StateAuditRun } from '../redteam/index.js';
import { allChecks, formatJson, formatMarkdown, formatText, runRedteam } from '../redteam/index.js';
import { withLedger } from './database.js';
import { type ExitCode, exitCodes } from './exit-codes.js';
import { type Output, readDataFile } from './io.js';

type Run = (action: () => Promise<ExitCode> | ExitCode) => Promise<void>;

interface RedteamCliOptions {
  url?: string;
  agentToken?: string;
  approverToken?: string;
  auditorToken?: string;
  adminToken?: string;
  ledgerKey?: string;
  db?: string;
  dbKey?: string;
  pendingRequest?: string;
  skip?: string;
  load?: boolean;
  timeout: string;
  json?: boolean;
  out?: string;
}

function required(value: string | undefined, option: string, env: string): string {
  if (!value) throw new ArbiterError('ARB_ERR_USAGE', `${option} is required (or set ${env})`);
  return value;
}

function pendingRequestFrom(file: string | undefined): ProbeActionRequest | undefined {
  if (file === undefined) return undefined;
  const request = readDataFile(file);
  const resource = isPlainObject(request) ? request.resource : undefined;
  if (!isPlainObject(request) || typeof request.action !== 'string' || !isPlainObject(resource))
    throw new ArbiterError(
      'ARB_ERR_INPUT_INVALID',
      `${file}: a decision request needs action and resource {type, id, environment?}`,
    );
  return request as unknown as ProbeActionRequest;
}

/** `arbiter redteam`: hostile-input, authorization and fail-closed checks against a running server. */
export function registerRedteamCommand(program: Command, output: Output, run: Run): void {
  const ids = allChecks.map((check) => check.id).join(', ');
  program
    .command('redteam')
    .description(
      'run hostile-input, authorization, separation-of-duties, fail-closed, disclosure, ledger, rate-limit and (with --load) load checks against a running Arbiter; exit 1 on any failure',
    )
    .option('--url <url>', 'the Arbiter to check (default $ARBITER_URL)')
    .option('--agent-token <token>', 'an agent token (default $ARBITER_REDTEAM_AGENT_TOKEN)')
    .option('--approver-token <token>', 'an approver token (default $ARBITER_REDTEAM_APPROVER_TOKEN)')
    .option('--auditor-token <token>', 'an auditor token (default $ARBITER_REDTEAM_AUDITOR_TOKEN)')
    .option('--admin-token <token>', 'an admin token, only read with (default $ARBITER_REDTEAM_ADMIN_TOKEN)')
    .option('--ledger-key <file>', "the ledger's verifier key to pin (default: the key the server publishes)")
    .option(
      '--db <url>',
      "the target's database (sqlite:PATH or postgres://…), read only: runs the state audit (LED-04) of `arbiter ledger verify --db`",
    )
    .option(
      '--db-key <file>',
      "with --db: the target's ledger signing key file (default: beside an SQLite database)",
    )
    .option(
      '--pending-request <file>',
      'a decision request (JSON or YAML) that waits for approval under your policies (default: a big prod deploy)',
    )
    .option('--skip <ids>', `comma-separated check ids or areas not to run (${ids})`)
    .option(
      '--load',
      'also run the load checks (LOAD-01: 512 slow-header connections, LOAD-02: large bodies); they load the target on purpose',
    )
    .option('--timeout <seconds>', 'per-request timeout', '15')
    .option('--json', 'print the report as JSON')
    .option('--out <file>', 'also write the report as Markdown to this file')
    .addHelpText(
      'after',
      '\nWhat the run writes on the target is listed in the report and in docs/redteam.md. Run it after every upgrade.',
    )
    .action((options: RedteamCliOptions) =>
      run(async () => {
        const env = process.env;
        const timeoutSeconds = Number(options.timeout);
        if (!(timeoutSeconds > 0))
          throw new ArbiterError('ARB_ERR_USAGE', '--timeout must be a positive number of seconds');
        const ledgerKey = options.ledgerKey ? readKey(options.ledgerKey) : undefined;
        const pendingRequest = pendingRequestFrom(options.pendingRequest);
        const auditor = options.auditorToken ?? env.ARBITER_REDTEAM_AUDITOR_TOKEN;
        const admin = options.adminToken ?? env.ARBITER_REDTEAM_ADMIN_TOKEN;
        const report = await runRedteam({
          url: required(options.url ?? env.ARBITER_URL, '--url', 'ARBITER_URL'),
          tokens: {
            agent: required(
              options.agentToken ?? env.ARBITER_REDTEAM_AGENT_TOKEN,
              '--agent-token',
              'ARBITER_REDTEAM_AGENT_TOKEN',
            ),
            approver: required(
              options.approverToken ?? env.ARBITER_REDTEAM_APPROVER_TOKEN,
              '--approver-token',
              'ARBITER_REDTEAM_APPROVER_TOKEN',
            ),
            ...(auditor ? { auditor } : {}),
            ...(admin ? { admin } : {}),
          },
          ...(ledgerKey ? { ledgerKey } : {}),
          ...(pendingRequest ? { pendingRequest } : {}),
          ...(options.skip
            ? {
                skip: options.skip
                  .split(',')
                  .map((id) => id.trim())
                  .filter(Boolean),
              }
            : {}),
          ...(options.load ? { load: true } : {}),
          ...(options.db ? { stateAudit: stateAuditOf(options.db, options.dbKey, ledgerKey) } : {}),
          timeoutMs: timeoutSeconds * 1000,
          ...(options.json || !process.stderr.isTTY
            ? {}
            : { onResult: (result) => process.stderr.write(`${result.id} ${result.status}\n`) }),
        });
        if (options.out) writeFileSync(options.out, formatMarkdown(report));
        output.out(options.json ? formatJson(report) : formatText(report));
        return report.summary.fail > 0 ? exitCodes.failed : exitCodes.ok;
      }),
    );
}

/** LED-04's audit: the log of the database against its checkpoints (and the pinned key), then its tables against the log. */
function stateAuditOf(db: string, keyPath: string | undefined, pinnedKey: string | undefined): StateAuditRun {
  return () =>
    withLedger(
      { db, ...(keyPath ? { ledgerKey: keyPath } : {}) },
      async (ledger) => {
        const verifier = parseVerifierKey((pinnedKey ?? ledger.verifierKey).trim());
        const log = await auditLedger(storeAuditSource(ledger), {
          verifiers: [verifier],
          origin: ledger.origin,
        });
        if (!log.ok)
          return {
            ok: false,
            checked: `${log.entries} entries`,
            problems: [`ledger: ${log.problem?.message}`],
          };
        const state = await auditState(ledger.store);
        const { decisions, tokens, systems } = state.checked;
        return {
          ok: state.ok,
          checked: `${log.entries} entries verified; ${decisions} decisions, ${tokens} tokens, ${systems} Systems agree with them`,
          problems: state.mismatches.map(describeStateMismatch),
        };
      },
      { existing: true },
    );
}

function readKey(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    throw new ArbiterError('ARB_ERR_INPUT_NOT_FOUND', `${file}: cannot read the ledger key`);
  }
}
