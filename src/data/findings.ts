import type { CheckedFile, DataChecks } from './check.js';
import { personalDataKinds } from './pii/kinds.js';
import { type DatasetSchema, thresholdsOf } from './schema.js';

/**
 * Findings from check results: one per problem, with a stable id (waivers name it), a rule, a
 * severity, the column or group, counts, and a message that never repeats a value from the data.
 *
 * Errors: personal data or secrets where the schema does not allow them, unreadable rows, broken
 * column expectations, rows shared between training and evaluation, a feature that alone predicts
 * the label (AUC ≥ maxFeatureAuc), a group whose positive-label rate is below minDisparateImpact
 * of the reference's, a parity difference above maxParityDifference, duplicates above
 * maxDuplicateShare. Warnings: duplicates below it, constant columns, insufficient or
 * under-represented groups, drift. `arbiter data check` exits 1 when there is an error.
 */

export const findingSeverities = ['error', 'warning', 'info'] as const;
export type DataFindingSeverity = (typeof findingSeverities)[number];

export interface DataFinding {
  /** Stable across runs: the rule and what it is about (`pii.email:notes`). */
  id: string;
  rule: string;
  severity: DataFindingSeverity;
  column?: string;
  attribute?: string;
  group?: string;
  count?: number;
  share?: number;
  /** The figure the rule compares (an AUC, a ratio, a drift score). */
  value?: number;
  threshold?: number;
  message: string;
  /** Where to look: `file:row`, at most a few. */
  examples?: string[];
}

const percent = (share: number) => `${(share * 100).toPrecision(3)}%`;
const fixed = (x: number) => Number(x.toPrecision(4));

const kindNames: Record<(typeof personalDataKinds)[number], string> = {
  email: 'e-mail addresses',
  phone: 'phone numbers',
  'payment-card': 'payment card numbers',
  iban: 'IBANs',
  'national-id': 'national identification numbers',
  'ip-address': 'IP addresses',
  secret: 'secrets (credentials or high-entropy tokens)',
};

/** Every finding of a check, errors first. */
export function dataFindings(
  checks: DataChecks,
  schema: DatasetSchema,
  files: readonly CheckedFile[],
): DataFinding[] {
  const thresholds = thresholdsOf(schema);
  const out: DataFinding[] = [];

  for (const [column, found] of Object.entries(checks.pii.columns))
    for (const kind of personalDataKinds) {
      const result = found.kinds[kind];
      if (!result) continue;
      const schemes = result.schemes ? ` (${Object.keys(result.schemes).sort().join(', ')})` : '';
      out.push({
        id: `pii.${kind}:${column}`,
        rule: `pii.${kind}`,
        severity: 'error',
        column,
        count: result.cells,
        share: result.share,
        message: `column "${column}" holds ${kindNames[kind]}${schemes} in ${result.cells} of ${found.values} values (${percent(result.share)}); the schema does not declare it may (columns.${column}.personal)`,
        examples: result.samples.map((sample) => `${sample.file}:${sample.row} ${sample.redacted}`),
      });
    }

  const { quality } = checks;
  const unreadable = files.filter((file) => file.unreadable > 0);
  if (quality.unreadableRows > 0)
    out.push({
      id: 'quality.unreadable',
      rule: 'quality.unreadable',
      severity: 'error',
      count: quality.unreadableRows,
      message: `${quality.unreadableRows} rows could not be read and were not checked (${unreadable.map((file) => `${file.path}: ${file.unreadable}`).join(', ')})`,
    });
  for (const [column, result] of Object.entries(quality.columns)) {
    const expectation = schema.columns?.[column];
    const total = result.values + result.missing;
    const push = (rule: string, count: number, what: string) =>
      out.push({
        id: `quality.${rule}:${column}`,
        rule: `quality.${rule}`,
        severity: 'error',
        column,
        count,
        share: total === 0 ? 0 : count / total,
        message: `column "${column}": ${count} values ${what}`,
        examples: result.examples,
      });
    if (result.typeViolations > 0)
      push(
        'type',
        result.typeViolations,
        `are not of type ${expectation?.type ?? 'number'}${expectation?.type ? '' : ' (a numeric feature)'}`,
      );
    if (result.rangeViolations > 0)
      push(
        'range',
        result.rangeViolations,
        `are outside [${expectation?.min ?? '-∞'}, ${expectation?.max ?? '∞'}]`,
      );
    if (result.valueViolations > 0)
      push('values', result.valueViolations, 'are not among the allowed values');
    if (result.duplicateValues !== undefined && result.duplicateValues > 0)
      push('unique', result.duplicateValues, 'repeat an earlier value in a column declared unique');
    if (expectation?.maxMissingShare !== undefined && result.missingShare > expectation.maxMissingShare)
      out.push({
        id: `quality.missing:${column}`,
        rule: 'quality.missing',
        severity: 'error',
        column,
        count: result.missing,
        share: result.missingShare,
        threshold: expectation.maxMissingShare,
        message: `column "${column}": ${result.missing} of ${total} values missing (${percent(result.missingShare)}), more than the ${percent(expectation.maxMissingShare)} allowed`,
      });
    if (result.constant && total > 1)
      out.push({
        id: `quality.constant:${column}`,
        rule: 'quality.constant',
        severity: 'warning',
        column,
        message: `column "${column}" holds one value in every row that has one: it carries no information`,
      });
  }
  if (quality.duplicateRows > 0)
    out.push({
      id: 'quality.duplicates',
      rule: 'quality.duplicates',
      severity: quality.duplicateShare > thresholds.maxDuplicateShare ? 'error' : 'warning',
      count: quality.duplicateRows,
      share: quality.duplicateShare,
      threshold: thresholds.maxDuplicateShare,
      message: `${quality.duplicateRows} rows repeat an earlier row (${percent(quality.duplicateShare)}${schema.id ? `, ignoring the id column "${schema.id}"` : ''})`,
    });

  for (const [attribute, result] of Object.entries(checks.representation)) {
    for (const group of result.insufficientGroups)
      out.push({
        id: `representation.insufficient:${attribute}=${group}`,
        rule: 'representation.insufficient',
        severity: 'warning',
        attribute,
        group,
        count: result.groups[group]!.rows,
        threshold: schema.minGroupSize ?? 30,
        message: `group "${group}" of "${attribute}" has ${result.groups[group]!.rows} rows, fewer than the minimum group size ${schema.minGroupSize ?? 30}: it is reported as insufficient and left out of the bias figures`,
      });
    for (const group of result.underRepresented.filter((g) => !result.insufficientGroups.includes(g)))
      out.push({
        id: `representation.under-represented:${attribute}=${group}`,
        rule: 'representation.under-represented',
        severity: 'warning',
        attribute,
        group,
        share: result.groups[group]!.share,
        threshold: thresholds.minGroupShare,
        message: `group "${group}" of "${attribute}" is ${percent(result.groups[group]!.share)} of the rows, below ${percent(thresholds.minGroupShare)}`,
      });
  }

  for (const [attribute, bias] of Object.entries(checks.bias.label?.attributes ?? {})) {
    for (const [group, rate] of Object.entries(bias.groups))
      if (rate.ratio !== null && rate.ratio < thresholds.minDisparateImpact)
        out.push({
          id: `bias.disparate-impact:${attribute}=${group}`,
          rule: 'bias.disparate-impact',
          severity: 'error',
          attribute,
          group,
          value: fixed(rate.ratio),
          threshold: thresholds.minDisparateImpact,
          message: `label "${schema.label}": group "${group}" of "${attribute}" has the positive label ${percent(rate.rate!)} of the time, ${fixed(rate.ratio)} times the reference group "${bias.reference}" (${percent(bias.referenceRate!)}); below ${thresholds.minDisparateImpact}`,
        });
    if (
      thresholds.maxParityDifference !== undefined &&
      bias.demographicParityDifference !== null &&
      bias.demographicParityDifference > thresholds.maxParityDifference
    )
      out.push({
        id: `bias.parity-difference:${attribute}`,
        rule: 'bias.parity-difference',
        severity: 'error',
        attribute,
        value: fixed(bias.demographicParityDifference),
        threshold: thresholds.maxParityDifference,
        message: `label "${schema.label}": positive rates across the groups of "${attribute}" differ by ${fixed(bias.demographicParityDifference)} (max − min), more than ${thresholds.maxParityDifference}`,
      });
  }

  const { leakage } = checks;
  if (leakage.sharedRows > 0)
    out.push({
      id: 'leakage.shared-rows',
      rule: 'leakage.shared-rows',
      severity: 'error',
      count: leakage.sharedRows,
      share: leakage.sharedShare,
      message: `${leakage.sharedRows} of ${leakage.evalRows} evaluation rows (${percent(leakage.sharedShare)}) also occur in the training data`,
    });
  for (const [feature, result] of Object.entries(leakage.features))
    if (result.auc !== null && result.auc >= thresholds.maxFeatureAuc)
      out.push({
        id: `leakage.feature-auc:${feature}`,
        rule: 'leakage.feature-auc',
        severity: 'error',
        column: feature,
        value: fixed(result.auc),
        threshold: thresholds.maxFeatureAuc,
        message: `feature "${feature}" alone predicts the label "${schema.label}" with AUC ${fixed(result.auc)} (≥ ${thresholds.maxFeatureAuc}): the label has probably leaked into it`,
      });

  const { drift } = checks;
  if (drift) {
    for (const feature of drift.driftedFeatures) {
      const result = drift.features[feature]!;
      out.push({
        id: `drift.feature:${feature}`,
        rule: 'drift.feature',
        severity: 'warning',
        column: feature,
        value: result.score,
        threshold: result.threshold,
        message: `feature "${feature}" drifted from the baseline "${drift.baseline.name}" (${result.method} ${result.score}, threshold ${result.threshold})`,
      });
    }
    if (drift.datasetDrift)
      out.push({
        id: 'drift.dataset',
        rule: 'drift.dataset',
        severity: 'warning',
        share: drift.share,
        message: `${drift.drifted} of ${drift.total} features drifted from the baseline "${drift.baseline.name}" (${percent(drift.share)}): the data set as a whole has drifted`,
      });
    if (drift.label?.drifted)
      out.push({
        id: 'drift.label',
        rule: 'drift.label',
        severity: 'warning',
        column: schema.label!,
        value: drift.label.score,
        threshold: drift.label.threshold,
        message: `the label "${schema.label}" is distributed differently from the baseline (${drift.label.method} ${drift.label.score})`,
      });
  }
  const order = { error: 0, warning: 1, info: 2 } as const;
  return out.sort((a, b) => order[a.severity] - order[b.severity] || a.id.localeCompare(b.id));
}
