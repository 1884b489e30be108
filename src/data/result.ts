import { canonicalJson } from '../core/canonical-json.js';
import { sha256Hex } from '../core/digest.js';
import type { CheckedFile, DataChecks } from './check.js';
import { type DataFinding, dataFindings } from './findings.js';
import type { DatasetSchema } from './schema.js';

/**
 * The result of `arbiter data check` (format `arbiter.data.check/v1`): what was checked (files
 * with their digests, the schema), the results of every check, the findings, and the verdict.
 * This is what `--json` prints, what a Release's `datasets[].checks` names, and what gate policies
 * read as `release.datasets[i].checks`.
 */

export const dataCheckFormat = 'arbiter.data.check/v1';

export interface DataCheckResult {
  format: typeof dataCheckFormat;
  dataset: {
    name: string;
    /** SHA-256 over the files' names, roles and digests: changes when any file does. */
    sha256: string;
    rows: number;
    files: CheckedFile[];
  };
  schema: { name: string; kind: 'DatasetSchema' | 'MonitorSchema'; sha256: string };
  checks: DataChecks;
  findings: DataFinding[];
  summary: { errors: number; warnings: number; infos: number };
  /** No error findings. */
  passed: boolean;
  checkedAt: string;
}

/** The digest of a data set made of these files: stable under reordering of the command line. */
export function datasetDigest(files: readonly Pick<CheckedFile, 'path' | 'role' | 'sha256'>[]): string {
  const entries = files
    .map((file) => ({ name: file.path.split('/').pop()!, role: file.role, sha256: file.sha256 }))
    .sort((a, b) => a.sha256.localeCompare(b.sha256) || a.role.localeCompare(b.role));
  return sha256Hex(canonicalJson(entries));
}

/** Assembles the result from the finished checks. `now` stamps it. */
export function dataCheckResult(input: {
  name: string;
  files: CheckedFile[];
  schema: { name: string; kind: 'DatasetSchema' | 'MonitorSchema'; sha256: string; spec: DatasetSchema };
  checks: DataChecks;
  now: Date;
}): DataCheckResult {
  const findings = dataFindings(input.checks, input.schema.spec, input.files);
  const count = (severity: DataFinding['severity']) => findings.filter((f) => f.severity === severity).length;
  const summary = { errors: count('error'), warnings: count('warning'), infos: count('info') };
  return {
    format: dataCheckFormat,
    dataset: {
      name: input.name,
      sha256: datasetDigest(input.files),
      rows: input.files.reduce((sum, file) => sum + file.rows, 0),
      files: input.files,
    },
    schema: { name: input.schema.name, kind: input.schema.kind, sha256: input.schema.sha256 },
    checks: input.checks,
    findings,
    summary,
    passed: summary.errors === 0,
    checkedAt: input.now.toISOString(),
  };
}
