import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { exportAuditSource, storeAuditSource } from '../app/ledger/export.js';
import { type Framework, frameworks } from '../compliance/frameworks.js';
import { complianceReportHtml } from '../compliance/html.js';
import { buildComplianceReport } from '../compliance/report.js';
import { parseDuration } from '../core/duration.js';
import { ArbiterError } from '../core/errors.js';
import { type AuditSource, auditLedger } from '../ledger/audit.js';
import { decodeEntry, type LedgerEntry } from '../ledger/entry.js';
import { type DatabaseOptions, withDatabaseOptions, withLedger } from './database.js';
import { type ExitCode, exitCodes } from './exit-codes.js';
import type { Output } from './io.js';
import { loadVerifierKey } from './ledger.js';

type Run = (action: () => Promise<ExitCode> | ExitCode) => Promise<void>;

/** Verifies the ledger while keeping its entries: the report is built only from what verified. */
function collecting(source: AuditSource, entries: LedgerEntry[]): AuditSource {
  const collect = (bytes: Uint8Array) => {
    const decoded = decodeEntry(bytes, entries.length);
    if ('entry' in decoded) entries.push(decoded.entry);
  };
  const { batches } = source;
  return {
    ...source,
    async *entries() {
      for await (const item of source.entries()) {
        collect(item.bytes);
        yield item;
      }
    },
    // A database source is audited through its packed batches, so they must be collected too.
    ...(batches && {
      async *batches() {
        for await (const batch of batches.call(source)) {
          let start = 0;
          for (const end of batch.ends) {
            collect(batch.bytes.subarray(start, end));
            start = end;
          }
          yield batch;
        }
      },
    }),
  };
}

/** `--from 30d` means thirty days before now; otherwise an RFC 3339 time or a date. */
function instant(text: string, now: Date, option: string): Date {
  const ago = parseDuration(text);
  if (ago !== undefined) return new Date(now.getTime() - ago);
  const time = Date.parse(text);
  if (Number.isNaN(time))
    throw new ArbiterError(
      'ARB_ERR_USAGE',
      `${option} "${text}" is neither a time (2026-10-01) nor a duration (30d)`,
    );
  return new Date(time);
}

/** The signed note of the checkpoint at `size` (the note's second line is its tree size). */
function noteAt(notes: readonly string[], size: number | undefined): string | undefined {
  return notes.find((note) => Number(note.split('\n')[1]) === size);
}

interface ReportOptions extends DatabaseOptions {
  framework: string;
  from: string;
  to?: string;
  out: string;
  export?: string;
  key?: string;
}

/** `arbiter report --framework …`: an evidence pack for auditors, built from the verified ledger. */
export function registerReportCommand(program: Command, output: Output, run: Run): void {
  withDatabaseOptions(
    program
      .command('report')
      .description(
        'write a compliance evidence pack (HTML + JSON) for a framework and period from the verified ledger; exit 1 when the ledger does not verify',
      )
      .requiredOption('--framework <name>', `one of ${frameworks.join(', ')}`)
      .option('--from <time>', 'start of the period: a time, a date, or a duration ago', '90d')
      .option('--to <time>', 'end of the period (default now)')
      .requiredOption('--out <dir>', 'directory to write report.html, report.json and checkpoint.txt')
      .option('--export <dir>', 'read a ledger export (offline) instead of the database')
      .option('--key <vkey>', 'verifier key (required with --export; default for --db: the database key)'),
  ).action((options: ReportOptions) =>
    run(async () => {
      if (!frameworks.includes(options.framework as Framework))
        throw new ArbiterError('ARB_ERR_USAGE', `--framework must be one of ${frameworks.join(', ')}`);
      const now = new Date();
      const from = instant(options.from, now, '--from');
      const to = options.to ? instant(options.to, now, '--to') : now;
      if (from >= to) throw new ArbiterError('ARB_ERR_USAGE', '--from must be before --to');
      if (existsSync(options.out) && readdirSync(options.out).length > 0)
        throw new ArbiterError('ARB_ERR_USAGE', `${options.out} is not empty; choose a new directory`);

      const entries: LedgerEntry[] = [];
      let notes: string[] = [];
      let origin: string;
      let audit: Awaited<ReturnType<typeof auditLedger>>;
      if (options.export) {
        if (!options.key)
          throw new ArbiterError('ARB_ERR_USAGE', 'reading an export needs --key VKEY (from the operator)');
        const { source, manifest } = exportAuditSource(options.export);
        notes = await source.checkpoints();
        origin = manifest.origin;
        audit = await auditLedger(collecting(source, entries), {
          verifiers: [loadVerifierKey(options.key)],
          origin,
        });
      } else {
        ({ audit, notes, origin } = await withLedger(
          options,
          async (ledger) => {
            const source = storeAuditSource(ledger);
            return {
              notes: await source.checkpoints(),
              origin: ledger.origin,
              audit: await auditLedger(collecting(source, entries), {
                verifiers: [loadVerifierKey(options.key ?? ledger.verifierKey)],
                origin: ledger.origin,
              }),
            };
          },
          { existing: true },
        ));
      }
      const note = noteAt(notes, audit.latestCheckpoint?.size);
      const report = buildComplianceReport({
        framework: options.framework as Framework,
        entries,
        from,
        to,
        now,
        ledger: {
          origin,
          verified: audit.ok,
          entries: audit.entries,
          uncheckpointed: audit.uncheckpointed,
          ...(audit.latestCheckpoint && note ? { checkpoint: { ...audit.latestCheckpoint, note } } : {}),
          ...(audit.problem ? { problem: audit.problem.message } : {}),
        },
      });
      mkdirSync(options.out, { recursive: true });
      writeFileSync(join(options.out, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
      writeFileSync(join(options.out, 'report.html'), complianceReportHtml(report));
      if (note) writeFileSync(join(options.out, 'checkpoint.txt'), note);
      output.out(
        `${report.title}\n${report.period.from} → ${report.period.to}: ${report.summary.met} met, ${report.summary.partial} partial, ${report.summary.gap} gap (${report.controls.length} controls)`,
      );
      for (const control of report.controls)
        output.out(`  ${control.status.padEnd(8)} ${control.id} ${control.title}`);
      output.out(
        `ledger ${audit.ok ? 'verified' : 'DOES NOT VERIFY'}: ${audit.entries} entries; wrote ${join(options.out, 'report.html')}, report.json${note ? ', checkpoint.txt' : ''}`,
      );
      return audit.ok ? exitCodes.ok : exitCodes.failed;
    }),
  );
}
