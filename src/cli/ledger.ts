import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { exportAuditSource, exportLedger, storeAuditSource } from '../app/ledger/export.js';
import { consistencyProofResponse, inclusionProofResponse } from '../app/ledger/proof-responses.js';
import { auditState, describeStateMismatch, type StateAuditReport } from '../app/ledger/state-audit.js';
import { adoptDatabaseTree } from '../app/ledger/trusted-checkpoint.js';
import { chunkVerifier, defaultVerifyWorkers, maxVerifyWorkers } from '../app/ledger/verify-pool.js';
import { ArbiterError } from '../core/errors.js';
import type { JsonValue } from '../core/json.js';
import { type AuditOptions, type AuditReport, type AuditSource, auditLedger } from '../ledger/audit.js';
import { parseCosignatureVerifierKey } from '../ledger/cosignature.js';
import { parseVerifierKey } from '../ledger/note.js';
import { type DatabaseOptions, openTrustedCheckpoint, withDatabaseOptions, withLedger } from './database.js';
import { type ExitCode, exitCodes } from './exit-codes.js';
import { jsonObjectOption, type Output } from './io.js';

type Run = (action: () => Promise<ExitCode> | ExitCode) => Promise<void>;

type DbOptions = DatabaseOptions;

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

function nonNegativeInteger(name: string, text: string): number {
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new ArbiterError(
      'ARB_ERR_USAGE',
      `${name} must be a non-negative integer, got ${JSON.stringify(text)}`,
    );
  }
  return Number(text);
}

/** A verifier key given as the key text itself or as a file holding it. */
export function loadVerifierKey(value: string) {
  const text = existsSync(value) ? readFileSync(value, 'utf8').trim() : value.trim();
  try {
    return parseVerifierKey(text);
  } catch (error) {
    throw new ArbiterError('ARB_ERR_LEDGER_KEY', `--key: ${(error as Error).message}`);
  }
}

/** `--witness KEY… --quorum N --require-latest`, checked before anything is read. */
function witnessQuorum(options: {
  witness?: string[];
  quorum?: string;
  requireLatest?: boolean;
}): AuditOptions['witnesses'] {
  if (!options.witness) {
    if (options.quorum !== undefined || options.requireLatest)
      throw new ArbiterError('ARB_ERR_USAGE', '--quorum and --require-latest need --witness KEY…');
    return undefined;
  }
  const verifiers = options.witness.map((value) => {
    const text = existsSync(value) ? readFileSync(value, 'utf8').trim() : value.trim();
    try {
      return parseCosignatureVerifierKey(text);
    } catch (error) {
      throw new ArbiterError('ARB_ERR_WITNESS_CONFIG', `--witness ${value}: ${(error as Error).message}`);
    }
  });
  const names = new Set(verifiers.map((verifier) => verifier.name));
  if (names.size !== verifiers.length)
    throw new ArbiterError('ARB_ERR_WITNESS_CONFIG', '--witness: two keys have the same witness name');
  const quorum = options.quorum === undefined ? 1 : nonNegativeInteger('--quorum', options.quorum);
  if (quorum < 1 || quorum > verifiers.length)
    throw new ArbiterError(
      'ARB_ERR_USAGE',
      `--quorum must be between 1 and the number of witnesses (${verifiers.length}), got ${quorum}`,
    );
  return { verifiers, quorum, requireLatest: options.requireLatest === true };
}

/** A checkpoint file given to `verify --checkpoint`: its note text. */
function readHeldCheckpoint(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new ArbiterError('ARB_ERR_INPUT_NOT_FOUND', `--checkpoint ${file}: ${(error as Error).message}`);
  }
}

/**
 * The source's own checkpoints plus those held elsewhere: each must verify with the key and be
 * reproduced by the entries, so a log rewritten and re-signed by its key holder fails against a
 * checkpoint an auditor kept from before.
 */
function withHeldCheckpoints(source: AuditSource, held: readonly string[]): AuditSource {
  if (held.length === 0) return source;
  return { ...source, checkpoints: async () => [...(await source.checkpoints()), ...held] };
}

function reportAudit(report: AuditReport, output: Output, json: boolean | undefined): ExitCode {
  if (json) output.out(JSON.stringify(report, null, 2));
  else if (report.ok) {
    output.out(`ok: ${report.entries} entries, size ${report.entries}, root ${report.root}`);
    output.out(
      `   ${report.checkpoints} signed checkpoint${report.checkpoints === 1 ? '' : 's'} verified` +
        (report.latestCheckpoint ? `, latest at size ${report.latestCheckpoint.size}` : '') +
        (report.uncheckpointed > 0 ? `; ${report.uncheckpointed} newer entries not yet checkpointed` : '') +
        `; ${report.personalVerified} personal values match their commitments`,
    );
    if (report.witnessed)
      output.out(
        `   witnessed: checkpoint at size ${report.witnessed.size} cosigned by ${report.witnessed.witnesses.join(', ')} (quorum ${report.witnessed.quorum})` +
          (report.witnessed.unwitnessed > 0
            ? `; ${report.witnessed.unwitnessed} newer entries not yet witnessed`
            : '; every entry is witnessed'),
      );
  } else {
    output.out(`FAILED: ${report.problem?.message}`);
    output.out(`   (${report.problem?.code}; ${report.entries} entries verified before it)`);
  }
  return report.ok ? exitCodes.ok : exitCodes.failed;
}

/** Prints the state audit after the ledger's own report; any mismatch fails the command. */
function reportStateAudit(report: StateAuditReport, output: Output): ExitCode {
  const { decisions, tokens, systems } = report.checked;
  const checked = `${decisions} decision${decisions === 1 ? '' : 's'}, ${tokens} token${tokens === 1 ? '' : 's'}, ${systems} System${systems === 1 ? '' : 's'}`;
  if (report.ok) {
    output.out(`state: ${checked} agree with the ledger`);
    return exitCodes.ok;
  }
  output.out(
    `STATE MISMATCH: ${report.mismatches.length} stored fact${report.mismatches.length === 1 ? '' : 's'} the ledger does not support (${checked} checked)`,
  );
  for (const mismatch of report.mismatches) output.out(`   ${describeStateMismatch(mismatch)}`);
  return exitCodes.failed;
}

/** `arbiter ledger …`. */
export function registerLedgerCommands(program: Command, output: Output, run: Run): void {
  const ledger = program
    .command('ledger')
    .description('the tamper-evident ledger: append, checkpoint, prove, export, verify, erase personal data')
    .addHelpText(
      'after',
      '\nSee docs/ledger.md. --db defaults to $ARBITER_DB or sqlite:./.arbiter/arbiter.db.',
    );

  const withDb = withDatabaseOptions;

  withDb(
    ledger
      .command('append')
      .description('append one entry (for tests and scripts); prints its seq and leaf hash'),
  )
    .requiredOption('--type <type>', 'entry type, e.g. note.added')
    .option('--data <json>', 'the entry data, a JSON object', '{}')
    .option('--actor <actor>', 'who caused it', 'cli')
    .option('--subject <subject>', 'what it is about', '')
    .option(
      '--personal <json>',
      'personal fields (JSON object): committed to in the entry, stored beside it, erasable',
    )
    .action(
      (
        options: DbOptions & {
          type: string;
          data: string;
          actor: string;
          subject: string;
          personal?: string;
        },
      ) =>
        run(async () => {
          const data = jsonObjectOption('--data', options.data);
          const personal =
            options.personal === undefined
              ? undefined
              : (jsonObjectOption('--personal', options.personal) as Record<string, JsonValue>);
          const appended = await withLedger(options, (l) =>
            l.store.write((tx) =>
              l.log.append(tx.ledger, [
                {
                  type: options.type,
                  actor: options.actor,
                  subject: options.subject,
                  data,
                  ...(personal ? { personal } : {}),
                },
              ]),
            ),
          );
          const [entry] = appended;
          output.out(
            JSON.stringify({ seq: entry!.seq, leafHash: b64(entry!.leafHash), entry: entry!.entry }),
          );
          return exitCodes.ok;
        }),
    );

  withDb(
    ledger
      .command('checkpoint')
      .description('sign a checkpoint of the current tree and print it (C2SP signed note)'),
  ).action((options: DbOptions) =>
    run(async () => {
      const checkpoint = await withLedger(options, async (l) =>
        (await openTrustedCheckpoint(l, options)).sign(),
      );
      output.out(checkpoint.note.trimEnd());
      return exitCodes.ok;
    }),
  );

  withDb(
    ledger.command('key').description('print the verifier key auditors use to check checkpoints'),
  ).action((options: DbOptions) =>
    run(async () => {
      output.out(await withLedger(options, async (l) => l.verifierKey));
      return exitCodes.ok;
    }),
  );

  withDb(
    ledger
      .command('proof')
      .description('print an inclusion proof (--index) or a consistency proof (--consistency OLD NEW)'),
  )
    .option('--index <i>', 'entry whose inclusion to prove')
    .option('--size <n>', 'tree size to prove against (default: current size)')
    .option('--consistency <sizes...>', 'two tree sizes: OLD NEW')
    .action((options: DbOptions & { index?: string; size?: string; consistency?: string[] }) =>
      run(async () => {
        if ((options.index === undefined) === (options.consistency === undefined)) {
          throw new ArbiterError(
            'ARB_ERR_USAGE',
            'give either --index I [--size N] or --consistency OLD NEW',
          );
        }
        const result = await withLedger(
          options,
          async (l) => {
            if (options.index !== undefined)
              return inclusionProofResponse(
                l,
                nonNegativeInteger('--index', options.index),
                options.size === undefined ? undefined : nonNegativeInteger('--size', options.size),
              );
            if (options.consistency?.length !== 2)
              throw new ArbiterError('ARB_ERR_USAGE', '--consistency takes two sizes: OLD NEW');
            return consistencyProofResponse(
              l,
              nonNegativeInteger('OLD', options.consistency[0]!),
              nonNegativeInteger('NEW', options.consistency[1]!),
            );
          },
          { existing: true },
        );
        output.out(JSON.stringify(result, null, 2));
        return exitCodes.ok;
      }),
    );

  withDb(
    ledger
      .command('export')
      .description('write entries, checkpoints and the verifier key to a directory for offline verification'),
  )
    .requiredOption('--out <dir>', 'new or empty directory')
    .option('--checkpoint', 'sign a fresh checkpoint first, so the export is covered to its end', true)
    .option('--no-checkpoint', 'export without signing a new checkpoint')
    .action((options: DbOptions & { out: string; checkpoint: boolean }) =>
      run(async () => {
        const manifest = await withLedger(
          options,
          async (l) => {
            if (options.checkpoint) await (await openTrustedCheckpoint(l, options)).sign();
            return exportLedger(l, options.out, (done, total) => {
              if (process.stderr.isTTY && total > 100_000)
                process.stderr.write(`\rexporting ${done}/${total}`);
            });
          },
          { existing: true },
        );
        output.out(
          `exported ${manifest.size} entries of ${manifest.origin} to ${options.out} (root ${manifest.root})`,
        );
        return exitCodes.ok;
      }),
    );

  withDb(
    ledger
      .command('verify')
      .description(
        'verify an export directory offline (DIR --key VKEY) or a live database (--db URL); with --db, also audit the state: every decision, approval, token and System status in the tables must be what the ledger records. Exit 1 on any mismatch',
      )
      .argument('[dir]', 'export directory to verify offline'),
  )
    .option(
      '--key <vkey>',
      'verifier key (the text, or a file holding it); required for DIR, default for --db: the database key',
    )
    .option(
      '--checkpoint <files...>',
      "signed checkpoints kept outside the log (e.g. the server's trusted checkpoint, or ones auditors saved): the log must reproduce each",
    )
    .option('--no-state', 'with --db: verify the log only, skip the state audit')
    .option(
      '--witness <vkeys...>',
      'witness cosignature/v1 verifier keys (the text, or files holding them), obtained from the witnesses themselves',
    )
    .option(
      '--quorum <n>',
      'with --witness: accept only checkpoints cosigned by at least N of them (default 1)',
    )
    .option(
      '--require-latest',
      'with --witness: fail when entries after the newest witnessed checkpoint exist (default: report them)',
    )
    .option(
      '--workers <n>',
      `worker threads verifying entries, 0 to ${maxVerifyWorkers} (the main thread reads while they hash); 0 verifies on the main thread (default: one per CPU, here ${defaultVerifyWorkers()})`,
    )
    .option('--json', 'print the report as JSON')
    .action(
      (
        dir: string | undefined,
        options: DbOptions & {
          key?: string;
          json?: boolean;
          checkpoint?: string[];
          state: boolean;
          witness?: string[];
          quorum?: string;
          requireLatest?: boolean;
          workers?: string;
        },
        command: Command,
      ) =>
        run(async () => {
          const held = (options.checkpoint ?? []).map(readHeldCheckpoint);
          const witnesses = witnessQuorum(options);
          const workers =
            options.workers === undefined
              ? defaultVerifyWorkers()
              : nonNegativeInteger('--workers', options.workers);
          if (workers > maxVerifyWorkers)
            throw new ArbiterError(
              'ARB_ERR_USAGE',
              `--workers must be at most ${maxVerifyWorkers}, got ${workers}`,
            );
          const verifyChunks = chunkVerifier(workers);
          const progress = (entries: number) => {
            if (process.stderr.isTTY) process.stderr.write(`\rverified ${entries} entries`);
          };
          if (dir !== undefined) {
            if (command.getOptionValueSource('db') === 'cli')
              throw new ArbiterError('ARB_ERR_USAGE', 'give either DIR or --db, not both');
            if (!options.key)
              throw new ArbiterError(
                'ARB_ERR_USAGE',
                'verifying an export needs --key VKEY (obtain it from the operator, not from the export)',
              );
            const verifier = loadVerifierKey(options.key);
            const { source, manifest } = exportAuditSource(dir);
            return reportAudit(
              await auditLedger(withHeldCheckpoints(source, held), {
                verifiers: [verifier],
                origin: manifest.origin,
                onProgress: progress,
                verifyChunks,
                ...(witnesses ? { witnesses } : {}),
              }),
              output,
              options.json,
            );
          }
          const { report, state } = await withLedger(
            options,
            async (l) => {
              const verifier = loadVerifierKey(options.key ?? l.verifierKey);
              const report = await auditLedger(withHeldCheckpoints(storeAuditSource(l), held), {
                verifiers: [verifier],
                origin: l.origin,
                onProgress: progress,
                verifyChunks,
                ...(witnesses ? { witnesses } : {}),
              });
              // The state is compared with entries only once their bytes are proven.
              const state = report.ok && options.state ? await auditState(l.store) : undefined;
              return { report, state };
            },
            { existing: true },
          );
          if (options.json) {
            output.out(
              JSON.stringify(state ? { ...report, ok: report.ok && state.ok, state } : report, null, 2),
            );
            return report.ok && (state?.ok ?? true) ? exitCodes.ok : exitCodes.failed;
          }
          const logCode = reportAudit(report, output, false);
          if (!state) return logCode;
          return reportStateAudit(state, output) === exitCodes.ok ? logCode : exitCodes.failed;
        }),
    );

  withDb(
    ledger
      .command('erase')
      .description('erase personal data kept beside the log; entries and proofs stay valid'),
  )
    .option(
      '--value <value>',
      'erase every personal field holding exactly this value (e.g. an email address)',
    )
    .option('--seq <n>', 'erase the personal fields of this entry')
    .option('--field <name>', 'with --seq: only this field')
    .action((options: DbOptions & { value?: string; seq?: string; field?: string }) =>
      run(async () => {
        if ((options.value === undefined) === (options.seq === undefined))
          throw new ArbiterError('ARB_ERR_USAGE', 'give either --value V or --seq N [--field F]');
        const match =
          options.value !== undefined
            ? { value: options.value }
            : {
                seq: nonNegativeInteger('--seq', options.seq!),
                ...(options.field ? { field: options.field } : {}),
              };
        const erased = await withLedger(options, (l) =>
          l.store.write(async (tx) => {
            const count = await tx.erasePersonal(match);
            // The erasure itself is recorded, without the erased value.
            await l.log.append(tx.ledger, [
              {
                type: 'personal.erased',
                actor: 'cli',
                subject: 'ledger',
                data: { count, ...('seq' in match ? { seq: match.seq } : {}) },
              },
            ]);
            return count;
          }),
        );
        output.out(`erased ${erased} personal value${erased === 1 ? '' : 's'}`);
        return exitCodes.ok;
      }),
    );

  withDb(
    ledger
      .command('adopt')
      .description(
        "trust the database's ledger as it is now although it does not extend the trusted checkpoint (after reviewing a restore); recorded in the ledger",
      ),
  )
    .requiredOption('--by <name>', 'who reviewed the database and accepts it')
    .requiredOption('--reason <text>', 'why (e.g. "restored from the 03:00 backup after disk loss")')
    .action((options: DbOptions & { by: string; reason: string }) =>
      run(async () => {
        if (options.by.trim() === '' || options.reason.trim() === '')
          throw new ArbiterError('ARB_ERR_USAGE', '--by and --reason must not be empty');
        const adoption = await withLedger(
          options,
          (l) =>
            adoptDatabaseTree(l, {
              ...(options.trustedCheckpoint ? { path: options.trustedCheckpoint } : {}),
              by: options.by.trim(),
              reason: options.reason.trim(),
            }),
          { existing: true },
        );
        output.out(
          `adopted: the database's ledger (size ${adoption.adopted.size}) is trusted from now on; ` +
            (adoption.previous
              ? `it replaces the trusted checkpoint at size ${adoption.previous.size}`
              : 'there was no trusted checkpoint before') +
            `; recorded as ledger entry ${adoption.seq}; ${adoption.path} updated`,
        );
        return exitCodes.ok;
      }),
    );
}
