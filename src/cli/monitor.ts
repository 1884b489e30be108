import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { sha256Hex } from '../core/digest.js';
import { ArbiterError } from '../core/errors.js';
import { type DataFormat, detectDataFormat, parseData, type Row } from '../monitor/data.js';
import { buildProfile, type Profile, rowToEvent } from '../monitor/profile.js';
import { monitoringReportHtml } from '../monitor/report/html.js';
import { type MonitorSchema, MonitorSchemaDocument } from '../monitor/schema.js';
import type { MonitorEvent } from '../monitor/window.js';
import { parseSingleDocument } from '../policy/single-document.js';
import { type ExitCode, exitCodes } from './exit-codes.js';
import { type Output, readInputText } from './io.js';
import { clientFor, type RemoteOptions, remote, withRemote } from './remote.js';

type Run = (action: () => Promise<ExitCode> | ExitCode) => Promise<void>;

function readSchema(file: string): MonitorSchema {
  return parseSingleDocument<{ spec: MonitorSchema }>(
    file,
    readInputText(file),
    'MonitorSchema',
    MonitorSchemaDocument,
    'ARB_ERR_INPUT_INVALID',
  ).spec;
}

function readProfile(file: string): Profile {
  const profile = JSON.parse(readInputText(file)) as Profile;
  if (profile?.format !== 'arbiter.monitor.profile/v1')
    throw new ArbiterError(
      'ARB_ERR_INPUT_INVALID',
      `${file}: not an Arbiter monitoring profile (arbiter monitor profile --out)`,
    );
  return profile;
}

function readRows(
  file: string,
  output: Output,
): { rows: Row[]; rejected: number; text: string; format: DataFormat } {
  const text = readInputText(file);
  const parsed = parseData(file, text);
  for (const problem of parsed.problems.slice(0, 10))
    output.err(`warning: ${file}:${problem.line}: ${problem.message}`);
  if (parsed.problems.length > 10)
    output.err(`warning: … and ${parsed.problems.length - 10} more unreadable rows`);
  return { rows: parsed.rows, rejected: parsed.problems.length, text, format: detectDataFormat(file, text) };
}

/** Rows already shaped as events (`{features: {...}, prediction}`) go as they are; others are mapped by the schema. */
function toEvents(schema: MonitorSchema, rows: readonly Row[]): MonitorEvent[] {
  return rows.map((row) =>
    typeof row.features === 'object' && row.features !== null
      ? (row as unknown as MonitorEvent)
      : rowToEvent(schema, row),
  );
}

/** A progress line on a terminal, a line every ten per cent otherwise (CI logs). */
function progress(output: Output, total: number, what: string) {
  const started = Date.now();
  let lastTenth = -1;
  return (done: number) => {
    const rate = Math.round(done / Math.max(0.001, (Date.now() - started) / 1000));
    if (process.stderr.isTTY) {
      const width = 30;
      const filled = Math.round((done / Math.max(1, total)) * width);
      process.stderr.write(
        `\r[${'='.repeat(filled)}${' '.repeat(width - filled)}] ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')} ${what}  ${rate.toLocaleString('en-US')}/s`,
      );
      if (done >= total) process.stderr.write('\n');
      return;
    }
    const tenth = Math.floor((done / Math.max(1, total)) * 10);
    if (tenth > lastTenth) {
      lastTenth = tenth;
      output.err(`${done}/${total} ${what} (${rate}/s)`);
    }
  };
}

interface IngestOptions extends RemoteOptions {
  system: string;
  schema?: string;
  profile?: string;
  batch: string;
  labels?: boolean;
}

export function registerMonitorCommands(program: Command, output: Output, run: Run): void {
  const monitor = program
    .command('monitor')
    .description(
      'monitor deployed models: reference profiles, production events, drift / performance / fairness reports',
    );

  monitor
    .command('profile')
    .description(
      'build the reference profile of a data set (CSV, NDJSON or ARFF) described by a MonitorSchema',
    )
    .requiredOption('--data <file>', 'the reference data')
    .requiredOption('--schema <file>', 'a MonitorSchema YAML document')
    .requiredOption('--out <file>', 'where to write the profile JSON')
    .action((options: { data: string; schema: string; out: string }) =>
      run(() => {
        const schema = readSchema(options.schema);
        const { rows, rejected, text } = readRows(options.data, output);
        if (rows.length === 0)
          throw new ArbiterError('ARB_ERR_INPUT_INVALID', `${options.data}: no readable rows`);
        const missing = [schema.prediction, ...Object.keys(schema.features)].filter((column) =>
          rows.every((row) => row[column] === undefined),
        );
        if (missing.length > 0)
          throw new ArbiterError(
            'ARB_ERR_INPUT_INVALID',
            `${options.data}: no column ${missing.map((c) => `"${c}"`).join(', ')} (named in ${options.schema})`,
          );
        const profile = buildProfile(
          schema,
          { name: basename(options.data), sha256: sha256Hex(text), rows, rejected },
          new Date(),
        );
        writeFileSync(options.out, `${JSON.stringify(profile, null, 2)}\n`);
        output.out(
          `profile of ${schema.system}: ${rows.length} rows (${rejected} unreadable), window ${profile.window} → ${options.out}`,
        );
        for (const [name, column] of Object.entries(profile.features))
          output.out(
            `  ${name.padEnd(24)} ${column.kind.padEnd(11)} ${column.kind === 'numeric' ? `${column.edges.length + 1} bins` : `${column.categories.length} categories`}, drift by ${column.drift.method} (${column.drift.method === 'ks' || column.drift.method === 'chisquare' || column.drift.method === 'z' ? 'p <' : '≥'} ${column.drift.threshold})`,
          );
        return exitCodes.ok;
      }),
    );

  withRemote(
    monitor
      .command('ingest')
      .description(
        'send production events (or, with --labels, late labels) from a data file to a running Arbiter',
      )
      .argument(
        '<file>',
        'CSV, NDJSON or ARFF rows; NDJSON events ({features, prediction, …}) are sent as they are',
      )
      .requiredOption('--system <id>', 'the monitored System')
      .option('--schema <file>', 'the MonitorSchema that maps columns to events')
      .option('--profile <file>', 'or a profile (its embedded schema)')
      .option('--batch <n>', 'events per request', '1000')
      .option('--labels', 'send {id, label} labels for events sent earlier'),
  ).action((file: string, options: IngestOptions) =>
    run(async () => {
      const batch = Number(options.batch);
      if (!Number.isInteger(batch) || batch < 1 || batch > 10_000)
        throw new ArbiterError('ARB_ERR_USAGE', '--batch must be an integer from 1 to 10000');
      const schema = options.schema
        ? readSchema(options.schema)
        : options.profile
          ? readProfile(options.profile).schema
          : undefined;
      const { rows, rejected: unreadable } = readRows(file, output);
      const looksLikeEvents = rows.length > 0 && rows.every((row) => typeof row.features === 'object');
      if (!schema && !looksLikeEvents && !options.labels)
        throw new ArbiterError(
          'ARB_ERR_USAGE',
          'rows are not events: pass --schema or --profile to map the columns',
        );
      const client = clientFor(options);
      const items = options.labels
        ? rows.map((row) => ({
            id: String(row[schema?.id ?? 'id']),
            label: row[schema?.label ?? 'label'],
          }))
        : toEvents(schema as MonitorSchema, rows);
      const tick = progress(output, items.length, options.labels ? 'labels' : 'events');
      let accepted = 0;
      let rejected = 0;
      const problems: string[] = [];
      for (let start = 0; start < items.length; start += batch) {
        const chunk = items.slice(start, start + batch);
        const result = await remote(() =>
          options.labels
            ? client.sendMonitorLabels(options.system, chunk as { id: string; label: unknown }[])
            : client.sendMonitorEvents(options.system, chunk as MonitorEvent[]),
        );
        accepted += result.accepted;
        rejected += result.rejected;
        for (const problem of result.problems ?? [])
          problems.push(`row ${start + problem.index + 1}: ${problem.message}`);
        tick(start + chunk.length);
      }
      for (const problem of problems.slice(0, 20)) output.err(`rejected ${problem}`);
      const summary = { accepted, rejected, unreadable };
      output.out(
        options.json
          ? JSON.stringify(summary)
          : `${accepted} accepted, ${rejected} rejected, ${unreadable} unreadable rows`,
      );
      return exitCodes.ok;
    }),
  );

  withRemote(
    monitor
      .command('report')
      .description(
        'drift, performance and fairness per window for a monitored System (text, JSON or an offline HTML page)',
      )
      .requiredOption('--system <id>', 'the monitored System')
      .option('--from <time>', 'first window (RFC 3339)')
      .option('--to <time>', 'last window (RFC 3339)')
      .option('--merge <period>', 'merge windows: day')
      .option('--html <file>', 'write an HTML report with charts, readable offline'),
  ).action(
    (
      options: RemoteOptions & { system: string; from?: string; to?: string; merge?: string; html?: string },
    ) =>
      run(async () => {
        if (options.merge && options.merge !== 'day')
          throw new ArbiterError('ARB_ERR_USAGE', '--merge takes "day"');
        const client = clientFor(options);
        const query = {
          ...(options.from ? { from: options.from } : {}),
          ...(options.to ? { to: options.to } : {}),
          ...(options.merge ? { merge: options.merge as 'day' } : {}),
        };
        const [windows, alerts] = await remote(() =>
          Promise.all([client.monitorWindows(options.system, query), client.monitorAlerts(options.system)]),
        );
        if (options.html) {
          writeFileSync(
            options.html,
            monitoringReportHtml({
              system: options.system,
              generatedAt: new Date().toISOString(),
              windows: windows.windows.map((w) => ({ ...w.metrics, ...(w.open ? { open: true } : {}) })),
              alerts: alerts.alerts,
            }),
          );
          output.err(`wrote ${options.html}`);
        }
        if (options.json) {
          output.out(JSON.stringify({ windows: windows.windows, alerts: alerts.alerts }, null, 2));
          return exitCodes.ok;
        }
        output.out(`${options.system}: ${windows.windows.length} windows`);
        output.out('window start          rows  labeled  drift  drifted features');
        for (const { metrics, open } of windows.windows)
          output.out(
            `${metrics.window.start.slice(0, 16).replace('T', ' ')}${open ? '*' : ' '}  ${String(metrics.window.rows).padStart(6)}  ${String(metrics.window.labeled).padStart(7)}  ${metrics.datasetDrift.share.toFixed(2).padStart(5)}  ${metrics.datasetDrift.features.join(', ')}`,
          );
        for (const alert of alerts.alerts.filter((a) => a.status === 'firing'))
          output.out(
            `FIRING ${alert.severity} ${alert.policy}/${alert.alert} since ${alert.firingSince}: ${alert.message}`,
          );
        return exitCodes.ok;
      }),
  );
}
