import type { JsonObject } from '../core/json.js';
import type { DataFinding } from '../data/findings.js';
import type { DataCheckResult } from '../data/result.js';
import type { GateFinding } from '../policy/evaluate-gate.js';

/**
 * `arbiter data check` results in a gate: what GatePolicies read as `release.datasets[i].checks`,
 * the data findings waivers can name, the check summary in the gate run (and so its ledger entry),
 * and the data set's digest and check summary on its AI-BOM `data` component. Pure: the results
 * are read by `app/releases/dataset-check-files.ts`.
 */

/** One data set's check result, as the Release names it. */
export interface DatasetCheckEvidence {
  /** The data set's name in the Release. */
  dataset: string;
  /** The check result file, as shown to users. */
  file: string;
  /** SHA-256 of the result file: the gate run pins what it read. */
  sha256: string;
  result: DataCheckResult;
}

/** The key a data finding is left out by when a waiver covers it. */
export const dataFindingKey = (dataset: string, finding: DataFinding) => `data:${dataset}:${finding.id}`;

/**
 * The `release.datasets` CEL reads: each dataset of the Release, with `checks` (every check's
 * figures), `findings`, `errors`, `warnings`, `passed` and `checkedSha256` when a check result is
 * named. Findings a waiver covers for the check being judged are left out of `findings`, the
 * counts, and the personal-data counts (`checks.pii.count`, `checks.pii.byKind`); figures such
 * as a disparate-impact ratio do not change — a check over them is waived as a whole.
 */
export function datasetsWithChecks(
  datasets: readonly Record<string, unknown>[],
  evidence: readonly DatasetCheckEvidence[],
  excluded: ReadonlySet<string> = new Set(),
): Record<string, unknown>[] {
  return datasets.map((dataset) => {
    const found = evidence.find((entry) => entry.dataset === dataset.name);
    if (!found) return dataset;
    const { result } = found;
    const findings = result.findings.filter(
      (finding) => !excluded.has(dataFindingKey(found.dataset, finding)),
    );
    const pii = findings.filter((finding) => finding.rule.startsWith('pii.'));
    const byKind: Record<string, number> = {};
    for (const finding of pii) {
      const kind = finding.rule.slice(4);
      byKind[kind] = (byKind[kind] ?? 0) + (finding.count ?? 0);
    }
    return {
      ...dataset,
      checks: {
        ...result.checks,
        pii: {
          ...result.checks.pii,
          count: pii.reduce((sum, finding) => sum + (finding.count ?? 0), 0),
          byKind,
        },
      },
      findings,
      errors: findings.filter((finding) => finding.severity === 'error').length,
      warnings: findings.filter((finding) => finding.severity === 'warning').length,
      passed: findings.every((finding) => finding.severity !== 'error'),
      checkedSha256: result.dataset.sha256,
      checkedRows: result.dataset.rows,
    };
  });
}

/** Data findings as gate findings a waiver's selectors match: `tools: [arbiter-data]`, `rules: [pii.*]`, `findings: [<finding id>]`. */
export function datasetWaivableFindings(
  evidence: readonly DatasetCheckEvidence[],
): (GateFinding & { key: string })[] {
  return evidence.flatMap((entry) =>
    entry.result.findings.map((finding) => ({
      key: dataFindingKey(entry.dataset, finding),
      id: finding.id,
      aliases: [`${entry.dataset}/${finding.id}`],
      message: `${entry.dataset}: ${finding.message}`,
      failing: true,
      location: { file: entry.file },
      tool: 'arbiter-data',
      rule: finding.rule,
    })),
  );
}

/** What a gate run records of each checked data set: digests and the check's counts. */
export interface DatasetCheckSummary {
  name: string;
  sha256: string;
  rows: number;
  passed: boolean;
  errors: number;
  warnings: number;
  personalData: number;
  duplicateRows: number;
  sharedRows: number;
  /** The check result file's SHA-256. */
  checksSha256: string;
  schema: string;
}

/** The check summary of each data set, for the gate run and its ledger entry. */
export function datasetCheckSummaries(evidence: readonly DatasetCheckEvidence[]): DatasetCheckSummary[] {
  return evidence.map(({ dataset, sha256, result }) => ({
    name: dataset,
    sha256: result.dataset.sha256,
    rows: result.dataset.rows,
    passed: result.passed,
    errors: result.summary.errors,
    warnings: result.summary.warnings,
    personalData: result.checks.pii.count,
    duplicateRows: result.checks.quality.duplicateRows,
    sharedRows: result.checks.leakage.sharedRows,
    checksSha256: sha256,
    schema: result.schema.name,
  }));
}

/** Arbiter's BOM properties for a data set's check. */
export const dataCheckProperty = {
  sha256: 'arbiter:data:check:sha256',
  passed: 'arbiter:data:check:passed',
  errors: 'arbiter:data:check:errors',
  warnings: 'arbiter:data:check:warnings',
  personalData: 'arbiter:data:check:personalData',
  rows: 'arbiter:data:check:rows',
  result: 'arbiter:data:check:resultSha256',
  schema: 'arbiter:data:check:schema',
} as const;

/**
 * The AI-BOM with each checked data set's digest (as a SHA-256 hash when the component has none)
 * and check summary (as properties) on its `data` component, which is added when the BOM lacks one.
 */
export function bomWithDatasetChecks(bom: JsonObject, evidence: readonly DatasetCheckEvidence[]): JsonObject {
  if (evidence.length === 0) return bom;
  const components = Array.isArray(bom.components) ? [...(bom.components as JsonObject[])] : [];
  for (const summary of datasetCheckSummaries(evidence)) {
    const ref = `data:${summary.name}`;
    const index = components.findIndex((component) => component['bom-ref'] === ref);
    const base: JsonObject =
      index >= 0 ? components[index]! : { type: 'data', 'bom-ref': ref, name: summary.name };
    const properties = [
      ...((Array.isArray(base.properties) ? base.properties : []) as JsonObject[]).filter(
        (property) => !String(property.name).startsWith('arbiter:data:check:'),
      ),
      { name: dataCheckProperty.sha256, value: summary.sha256 },
      { name: dataCheckProperty.passed, value: String(summary.passed) },
      { name: dataCheckProperty.errors, value: String(summary.errors) },
      { name: dataCheckProperty.warnings, value: String(summary.warnings) },
      { name: dataCheckProperty.personalData, value: String(summary.personalData) },
      { name: dataCheckProperty.rows, value: String(summary.rows) },
      { name: dataCheckProperty.result, value: summary.checksSha256 },
      { name: dataCheckProperty.schema, value: summary.schema },
    ];
    const component: JsonObject = {
      ...base,
      ...(Array.isArray(base.hashes) ? {} : { hashes: [{ alg: 'SHA-256', content: summary.sha256 }] }),
      properties,
    };
    if (index >= 0) components[index] = component;
    else components.push(component);
  }
  return { ...bom, components };
}
