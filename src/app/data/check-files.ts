import { readFileSync } from 'node:fs';
import { ArbiterError } from '../../core/errors.js';
import { type CheckedFile, type DataRole, DatasetCheck } from '../../data/check.js';
import {
  BaselineSample,
  baselineProfile,
  countBaselineRow,
  profileForData,
  settleBaseline,
} from '../../data/drift.js';
import { type DataCheckResult, dataCheckResult } from '../../data/result.js';
import type { DatasetSchema } from '../../data/schema.js';
import type { Profile } from '../../monitor/profile.js';
import { readDataFileRows } from './data-file.js';
import { type LoadedDatasetSchema, loadDatasetSchema } from './schema-file.js';
import type { ReadProblem } from './source.js';

/**
 * `arbiter data check` without the command line: reads the schema and the baseline, streams every
 * file through one `DatasetCheck`, and assembles the result. I/O lives here; the checks are pure.
 */

export interface DataCheckOptions {
  /** Files by role: `data` (positional), `train` and `eval` (for leakage). */
  files: { path: string; role: DataRole }[];
  schema: string;
  /** An older data file, or an `arbiter monitor profile` JSON file. */
  baseline?: string;
  /** The data set's name in the result (default: the first file's name). */
  name?: string;
  now?: Date;
  /** Reports progress per file: what is being read, how far, of how much. */
  progress?: (file: string, done: number, total: number) => void;
  /** Receives each file's first unreadable rows (line or row and reason). */
  onProblems?: (file: string, problems: readonly ReadProblem[]) => void;
}

/** The columns a schema reads, and what for. */
function namedColumns(schema: DatasetSchema): Map<string, string> {
  const columns = new Map<string, string>();
  for (const feature of Object.keys(schema.features)) columns.set(feature, 'feature');
  if (schema.label !== undefined) columns.set(schema.label, 'label');
  for (const [attribute, spec] of Object.entries(schema.sensitive ?? {}))
    columns.set(spec.from ?? attribute, `sensitive attribute "${attribute}"`);
  return columns;
}

function requireColumns(path: string, seen: ReadonlySet<string>, schema: DatasetSchema): void {
  const missing = [...namedColumns(schema)].filter(([column]) => !seen.has(column));
  if (missing.length > 0)
    throw new ArbiterError(
      'ARB_ERR_DATA_COLUMN_MISSING',
      `${path}: no column ${missing.map(([column, what]) => `"${column}" (${what})`).join(', ')}, named in the schema`,
      { details: { path, columns: missing.map(([column]) => column) } },
    );
}

async function readBaseline(
  path: string,
  schema: LoadedDatasetSchema,
  now: Date,
  progress: DataCheckOptions['progress'],
): Promise<{ profile: Profile; kind: 'dataset' | 'profile' }> {
  if (/\.json$/i.test(path)) {
    let profile: Profile;
    try {
      profile = JSON.parse(readFileSync(path, 'utf8')) as Profile;
    } catch {
      throw new ArbiterError('ARB_ERR_DATA_BASELINE_INVALID', `${path}: not a JSON monitoring profile`);
    }
    if (profile?.format !== 'arbiter.monitor.profile/v1' || typeof profile.features !== 'object')
      throw new ArbiterError(
        'ARB_ERR_DATA_BASELINE_INVALID',
        `${path}: not an Arbiter monitoring profile (arbiter monitor profile --out)`,
      );
    return { profile: profileForData(profile, schema.spec), kind: 'profile' };
  }
  // Two passes: a sample fixes the bins, then every row is counted over them.
  const sample = new BaselineSample();
  const first = readDataFileRows(
    path,
    progress ? (done, total) => progress(`${path} (baseline, 1/2)`, done, total) : undefined,
  );
  for await (const chunk of first.chunks) for (const row of chunk.rows) sample.add(row);
  if (sample.seen === 0) throw new ArbiterError('ARB_ERR_DATA_BASELINE_INVALID', `${path}: no readable rows`);
  requireColumns(path, new Set(sample.rows.flatMap((row) => Object.keys(row))), {
    ...schema.spec,
    sensitive: {},
  });
  const profile = baselineProfile(
    schema.spec,
    sample,
    { name: path.split('/').pop()!, sha256: first.stats.sha256 },
    now,
  );
  const second = readDataFileRows(
    path,
    progress ? (done, total) => progress(`${path} (baseline, 2/2)`, done, total) : undefined,
  );
  for await (const chunk of second.chunks) for (const row of chunk.rows) countBaselineRow(profile, row);
  settleBaseline(profile);
  return { profile, kind: 'dataset' };
}

/** Runs every check over the files and returns the result. */
export async function checkDataFiles(options: DataCheckOptions): Promise<DataCheckResult> {
  const now = options.now ?? new Date();
  const schema = loadDatasetSchema(options.schema);
  const baseline = options.baseline
    ? await readBaseline(options.baseline, schema, now, options.progress)
    : undefined;
  const check = new DatasetCheck(schema.spec, baseline);
  const files: CheckedFile[] = [];
  for (const { path, role } of options.files) {
    const read = readDataFileRows(
      path,
      options.progress ? (done, total) => options.progress!(path, done, total) : undefined,
    );
    let checkedColumns = false;
    for await (const chunk of read.chunks) {
      if (!checkedColumns) {
        requireColumns(path, new Set(chunk.rows.flatMap((row) => Object.keys(row))), schema.spec);
        checkedColumns = true;
      }
      check.addRows(chunk.rows, { file: path, role, firstRow: chunk.firstRow });
    }
    check.addUnreadable(read.stats.unreadable);
    if (read.stats.problems.length > 0) options.onProblems?.(path, read.stats.problems);
    files.push({
      path,
      role,
      format: read.format,
      sha256: read.stats.sha256,
      bytes: read.stats.bytes,
      rows: read.stats.rows,
      unreadable: read.stats.unreadable,
    });
  }
  return dataCheckResult({
    name: options.name ?? options.files[0]!.path.split('/').pop()!,
    files,
    schema,
    checks: check.finish(),
    now,
  });
}
