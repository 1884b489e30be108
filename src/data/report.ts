import { type SarifResult, type SarifRule, sarifLog } from '../core/sarif.js';
import type { DataFinding } from './findings.js';
import type { DataCheckResult } from './result.js';

/**
 * A check result for people and for code scanning: terminal lines, a Markdown summary for a pull
 * request, and SARIF 2.1.0. All three are built from the findings and counts only, so they hold no
 * more of the data than the JSON result does (redacted samples, never raw values).
 */

const icons = { error: '❌', warning: '⚠️', info: 'ℹ️' } as const;
const fixed = (x: number | null | undefined) =>
  x === null || x === undefined ? '–' : String(Number(x.toPrecision(4)));

/** Markdown table cell text: no pipes, no line breaks, no HTML. */
function cell(text: string): string {
  return text
    .replace(/\|/g, '\\|')
    .replace(/[\r\n]+/g, ' ')
    .replace(/</g, '&lt;');
}

/** Terminal lines: the verdict, the data set and one line per finding. */
export function dataCheckText(result: DataCheckResult): string[] {
  const { dataset, summary, checks } = result;
  const lines = [
    `data set ${dataset.name}: ${dataset.rows} rows in ${dataset.files.length} file${dataset.files.length === 1 ? '' : 's'} (sha256 ${dataset.sha256.slice(0, 16)}…), schema ${result.schema.name}`,
    ...dataset.files.map(
      (file) =>
        `  ${file.role.padEnd(5)} ${file.path} (${file.format}, ${file.rows} rows${file.unreadable ? `, ${file.unreadable} unreadable` : ''})`,
    ),
    `personal data: ${checks.pii.count} · duplicate rows: ${checks.quality.duplicateRows} · shared train/eval rows: ${checks.leakage.sharedRows} · strongest single feature AUC: ${checks.leakage.strongestFeature ? `${fixed(checks.leakage.strongestFeature.auc)} (${checks.leakage.strongestFeature.feature})` : '–'}${checks.drift ? ` · drifted features: ${checks.drift.drifted}/${checks.drift.total}` : ''}`,
  ];
  if (checks.bias.label)
    lines.push(
      `label bias: statistical parity difference ${fixed(checks.bias.label.statisticalParityDifference)}, disparate impact ${fixed(checks.bias.label.disparateImpactRatio)} (worst over ${Object.keys(checks.bias.label.attributes).join(', ') || 'no attributes'})`,
    );
  for (const finding of result.findings) {
    lines.push(`${finding.severity.toUpperCase().padEnd(7)} ${finding.id}: ${finding.message}`);
    for (const example of finding.examples ?? []) lines.push(`          at ${example}`);
  }
  lines.push(
    `${result.passed ? 'PASSED' : 'FAILED'}: ${summary.errors} errors, ${summary.warnings} warnings`,
  );
  return lines;
}

/** A Markdown summary for a pull-request comment. */
export function dataCheckMarkdown(result: DataCheckResult): string {
  const { dataset, summary, checks } = result;
  const lines = [
    `## ${result.passed ? '✅ Data check passed' : '❌ Data check failed'}: ${cell(dataset.name)}`,
    '',
    `${dataset.rows} rows · ${summary.errors} errors · ${summary.warnings} warnings · schema \`${cell(result.schema.name)}\` · data set \`sha256:${dataset.sha256.slice(0, 16)}…\``,
    '',
    '| file | role | format | rows | unreadable | sha256 |',
    '| --- | --- | --- | --- | --- | --- |',
    ...dataset.files.map(
      (file) =>
        `| ${cell(file.path)} | ${file.role} | ${file.format} | ${file.rows} | ${file.unreadable} | \`${file.sha256.slice(0, 12)}…\` |`,
    ),
    '',
  ];
  if (result.findings.length > 0) {
    lines.push('| | finding | details |', '| --- | --- | --- |');
    for (const finding of result.findings)
      lines.push(
        `| ${icons[finding.severity]} | \`${cell(finding.id)}\` | ${cell(finding.message)}${finding.examples?.length ? `<br>at ${finding.examples.map((example) => `\`${cell(example)}\``).join(', ')}` : ''} |`,
      );
    lines.push('');
  }
  if (checks.bias.label) {
    lines.push(
      '| attribute | reference | statistical parity difference | disparate impact | max − min | insufficient groups |',
      '| --- | --- | --- | --- | --- | --- |',
    );
    for (const [attribute, bias] of Object.entries(checks.bias.label.attributes))
      lines.push(
        `| ${cell(attribute)} | ${cell(bias.reference ?? '–')} (${bias.referenceFrom}) | ${fixed(bias.statisticalParityDifference)} | ${fixed(bias.disparateImpactRatio)} | ${fixed(bias.demographicParityDifference)} | ${bias.insufficientGroups.map(cell).join(', ') || '–'} |`,
      );
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}

const ruleDescriptions: Record<string, string> = {
  'pii.email': 'E-mail addresses in a column not declared to hold them',
  'pii.phone': 'Phone numbers in a column not declared to hold them',
  'pii.payment-card': 'Payment card numbers (Luhn-valid) in a column not declared to hold them',
  'pii.iban': 'IBANs (mod-97 valid) in a column not declared to hold them',
  'pii.national-id': 'National identification numbers (checksum-valid) in a column not declared to hold them',
  'pii.ip-address': 'IP addresses in a column not declared to hold them',
  'pii.secret': 'Credentials or high-entropy secrets in the data',
  'quality.unreadable': 'Rows that could not be read and were not checked',
  'quality.type': 'Values of the wrong type',
  'quality.range': 'Values outside the expected range',
  'quality.values': 'Values not among the allowed ones',
  'quality.unique': 'Repeated values in a column declared unique',
  'quality.missing': 'More missing values than the schema allows',
  'quality.constant': 'A column with a single value',
  'quality.duplicates': 'Duplicate rows',
  'representation.insufficient': 'A group below the minimum group size',
  'representation.under-represented': 'A group below the minimum share of rows',
  'bias.disparate-impact': "A group's positive-label rate far below the reference group's",
  'bias.parity-difference': 'Positive-label rates differing too much across groups',
  'leakage.shared-rows': 'Evaluation rows that also occur in the training data',
  'leakage.feature-auc': 'A feature that alone predicts the label',
  'drift.feature': 'A feature distributed differently from the baseline',
  'drift.dataset': 'Most features drifted from the baseline',
  'drift.label': 'The label distributed differently from the baseline',
};

/** SARIF 2.1.0 for code scanning: each finding located at its first example's file (and the data set otherwise). */
export function dataCheckSarif(result: DataCheckResult, version: string) {
  const rules: SarifRule[] = [...new Set(result.findings.map((finding) => finding.rule))]
    .sort()
    .map((id) => ({
      id,
      name: id.replace(/[.-](.)/g, (_, ch: string) => ch.toUpperCase()),
      description: ruleDescriptions[id] ?? id,
    }));
  const defaultFile = result.dataset.files[0]?.path ?? result.dataset.name;
  const results: SarifResult[] = result.findings.map((finding: DataFinding) => {
    const at = finding.examples?.[0]?.split(' ')[0];
    const file = at ? at.slice(0, at.lastIndexOf(':')) : defaultFile;
    return {
      ruleId: finding.rule,
      level: finding.severity === 'info' ? 'note' : finding.severity,
      message: finding.message,
      file,
      fingerprint: `${result.dataset.name}/${finding.id}`,
      properties: {
        dataset: result.dataset.name,
        datasetSha256: result.dataset.sha256,
        ...(finding.count !== undefined ? { count: finding.count } : {}),
        ...(finding.share !== undefined ? { share: finding.share } : {}),
        ...(finding.value !== undefined ? { value: finding.value } : {}),
      },
    };
  });
  return sarifLog({ name: 'arbiter-data', version }, rules, results);
}
