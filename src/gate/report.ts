import { junitXml } from '../core/junit.js';
import { type SarifResult, sarifLog } from '../core/sarif.js';
import type { GateCheckResult } from '../policy/evaluate-gate.js';
import type { GateRun } from './run.js';

/** Reports of a gate run: SARIF for code scanning, JUnit for test tabs, Markdown for a pull-request comment. */

const checkId = (check: GateCheckResult) => `${check.policy}/${check.check}`;

const icon = (check: GateCheckResult) =>
  check.status === 'passed'
    ? '✅'
    : check.status === 'waived'
      ? '🟡'
      : check.severity === 'warning'
        ? '⚠️'
        : '❌';

/** `| a | b |` cells must not break the table. */
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

/** The run as a Markdown summary for a pull-request comment: the checks, then what failed and why. */
export function gateMarkdown(run: GateRun): string {
  const failed = run.checks.filter((check) => check.status === 'failed' && check.severity === 'error');
  const lines = [
    `## ${run.passed ? '✅ Release gate passed' : '❌ Release gate failed'}: ${run.release.system} ${run.release.version}`,
    '',
    `${run.checks.length} checks · ${failed.length} failed · ${run.checks.filter((c) => c.status === 'waived').length} waived · ${run.checks.filter((c) => c.status === 'failed' && c.severity === 'warning').length} warnings${run.baseline ? ` · compared with ${run.baseline.version}` : ''}`,
    '',
    '| | Check | Result |',
    '| --- | --- | --- |',
    ...run.checks.map((check) => `| ${icon(check)} | \`${checkId(check)}\` | ${cell(check.message)} |`),
    '',
  ];
  const detailed = run.checks.filter((check) => check.status !== 'passed');
  for (const check of detailed) {
    lines.push(`<details><summary>${icon(check)} <code>${checkId(check)}</code></summary>`, '');
    lines.push(`- expected: \`${cell(check.expected)}\``);
    const facts = Object.entries(check.facts);
    if (facts.length > 0)
      lines.push(`- actual: ${facts.map(([k, v]) => `\`${k} = ${JSON.stringify(v)}\``).join(', ')}`);
    if (check.waiver)
      lines.push(
        `- waived by \`${check.waiver.name}\` (owner ${check.waiver.owner}, expires ${check.waiver.expires}): ${cell(check.waiver.reason)}`,
      );
    for (const expired of check.expiredWaivers ?? [])
      lines.push(`- waiver \`${expired.name}\` expired ${expired.expired} and no longer applies`);
    const findings = (check.findings ?? []).filter((finding) => finding.failing);
    for (const finding of findings.slice(0, 50))
      lines.push(`- ${cell(finding.message)}${finding.waivedBy ? ` _(waived by ${finding.waivedBy})_` : ''}`);
    if (findings.length > 50) lines.push(`- … and ${findings.length - 50} more`);
    lines.push('', '</details>', '');
  }
  lines.push(...evidenceMarkdown(run));
  const summary = run.summary;
  lines.push(
    `AI-BOM: ${summary.bom.components} components (${summary.bom.source}) · ${summary.packages} packages · ${summary.models.length} model files · ${summary.scanFindings} scan findings · ${summary.vulnerabilities} known vulnerabilities${summary.database ? ` (OSV, ${summary.database.records} records${summary.database.ageDays !== undefined ? `, ${summary.database.ageDays} days old` : ''})` : ''}`,
    '',
    `Policy bundle \`${run.bundle.slice(0, 19)}…\``,
  );
  for (const warning of run.warnings) lines.push(`> ${cell(warning)}`);
  return `${lines.join('\n')}\n`;
}

const percent = (rate: number) => `${Number((rate * 100).toFixed(2))}%`;
const short = (sha256: string) => `${sha256.slice(0, 12)}…`;

/** `0.5% (baseline 0.2%)` */
function rateAgainst(rate: number | undefined, baseline: number | undefined): string {
  if (rate === undefined) return '';
  return `${percent(rate)}${baseline === undefined ? '' : ` (baseline ${percent(baseline)})`}`;
}

/**
 * The evidence of other tools, grouped by source, with what is new since the baseline: each
 * scanner's SARIF run, the SBOMs merged, what VEX suppressed and why, each evaluation suite.
 */
export function evidenceMarkdown(run: GateRun): string[] {
  const evidence = run.summary.evidence;
  if (!evidence) return [];
  const lines: string[] = [];
  const since = run.baseline ? `new since ${run.baseline.version}` : 'new (no baseline)';
  if (evidence.sarif.length > 0) {
    lines.push('### Scanner findings (SARIF)', '');
    for (const source of evidence.sarif) {
      const counts = (['critical', 'high', 'medium', 'low', 'info'] as const)
        .filter((severity) => source.bySeverity[severity] > 0)
        .map((severity) => `${source.bySeverity[severity]} ${severity}`)
        .join(', ');
      lines.push(
        `**${cell(source.toolName)}${source.toolVersion ? ` ${cell(source.toolVersion)}` : ''}** (\`${cell(source.input)}\`): ${source.findings} findings${counts ? ` (${counts})` : ''} · **${source.new} ${since}**${source.suppressed > 0 ? ` · ${source.suppressed} suppressed` : ''}`,
        '',
      );
      if (source.newFindings.length > 0) {
        lines.push('| Severity | Rule | Where | Message |', '| --- | --- | --- | --- |');
        for (const finding of source.newFindings)
          lines.push(
            `| ${finding.severity} | \`${cell(finding.rule)}\` | \`${cell(finding.file)}${finding.line ? `:${finding.line}` : ''}\`${finding.package ? ` (${cell(finding.package)})` : ''} | ${cell(finding.message)} |`,
          );
        if (source.new > source.newFindings.length)
          lines.push(`| | | | … and ${source.new - source.newFindings.length} more |`);
        lines.push('');
      }
    }
  }
  if (evidence.evaluations.length > 0) {
    lines.push('### Evaluations and red-team results', '');
    lines.push('| Suite | Kind | Cases | Failed | Pass rate | Attack success | Failing categories |');
    lines.push('| --- | --- | --- | --- | --- | --- | --- |');
    for (const suite of evidence.evaluations)
      lines.push(
        `| \`${cell(suite.suite)}\` (${cell(suite.tool)}) | ${suite.kind} | ${suite.total} | ${suite.failed}${suite.baseline ? ` (baseline ${suite.baseline.failed})` : ''} | ${rateAgainst(suite.passRate, suite.baseline?.passRate)} | ${rateAgainst(suite.attackSuccessRate, suite.baseline?.attackSuccessRate) || '–'} | ${suite.failingCategories.map((c) => `${cell(c.category)} ${c.failed}/${c.total}${c.highestFailedSeverity !== 'none' ? ` (${c.highestFailedSeverity})` : ''}`).join(', ') || '–'} |`,
      );
    lines.push('');
  }
  if (evidence.sboms.length > 0 || evidence.vex.length > 0) {
    lines.push('### SBOMs and VEX', '');
    for (const sbom of evidence.sboms)
      lines.push(
        `- SBOM \`${cell(sbom.file)}\` (${cell(sbom.tool)}, CycloneDX ${sbom.specVersion}): ${sbom.components} components, ${sbom.added} added to the AI-BOM, ${sbom.vulnerabilities} vulnerabilities reported`,
      );
    for (const vex of evidence.vex)
      lines.push(`- VEX \`${cell(vex.file)}\` (${vex.format}): ${vex.statements} statements`);
    lines.push('');
  }
  if (evidence.suppressed.length > 0) {
    lines.push('<details><summary>Suppressed: not affected per VEX or the tool</summary>', '');
    for (const entry of evidence.suppressed) {
      const why = [entry.suppression.justification, entry.suppression.detail].filter(Boolean).join(': ');
      lines.push(
        `- \`${cell(entry.id)}\`${entry.package ? ` in ${cell(entry.package)}` : ''} (${cell(entry.tool)}): ${entry.suppression.status} per \`${cell(entry.suppression.file)}\`${why ? ` — ${cell(why)}` : ''}`,
      );
    }
    lines.push('', '</details>', '');
  }
  if (evidence.baselineComplete === false)
    lines.push(
      "> Some of the baseline's evidence could not be read: every finding of its tools counts as new.",
      '',
    );
  const inputs = run.summary.inputs ?? [];
  if (inputs.length > 0) {
    lines.push(
      `<details><summary>What the decision rests on: ${inputs.length} files, by SHA-256</summary>`,
      '',
    );
    lines.push('| Kind | File | SHA-256 |', '| --- | --- | --- |');
    for (const input of inputs)
      lines.push(`| ${input.kind} | \`${cell(input.path)}\` | \`${short(input.sha256)}\` |`);
    lines.push('', '</details>', '');
  }
  return lines;
}

/** The same, as plain lines for the terminal. */
export function evidenceText(run: GateRun): string[] {
  const evidence = run.summary.evidence;
  if (!evidence) return [];
  const lines: string[] = [];
  const since = run.baseline ? `new since ${run.baseline.version}` : 'new';
  for (const source of evidence.sarif)
    lines.push(
      `  sarif  ${source.tool} (${source.input}): ${source.findings} findings, ${source.new} ${since}${source.suppressed > 0 ? `, ${source.suppressed} suppressed` : ''}`,
    );
  for (const sbom of evidence.sboms)
    lines.push(
      `  sbom   ${sbom.tool} (${sbom.file}): ${sbom.components} components, ${sbom.vulnerabilities} vulnerabilities`,
    );
  for (const vex of evidence.vex) lines.push(`  vex    ${vex.file}: ${vex.statements} statements`);
  for (const entry of evidence.suppressed)
    lines.push(
      `         suppressed ${entry.id}${entry.package ? ` in ${entry.package}` : ''}: ${entry.suppression.status}${entry.suppression.justification ? ` (${entry.suppression.justification})` : ''}`,
    );
  for (const suite of evidence.evaluations)
    lines.push(
      `  eval   ${suite.suite} (${suite.kind}, ${suite.tool}): ${suite.failed}/${suite.total} failed${suite.attackSuccessRate !== undefined ? `, attack success ${rateAgainst(suite.attackSuccessRate, suite.baseline?.attackSuccessRate)}` : ''}`,
    );
  const inputs = run.summary.inputs ?? [];
  if (inputs.length > 0) lines.push(`  ${inputs.length} input files pinned by SHA-256 (--json lists them)`);
  return lines.length > 0 ? ['evidence:', ...lines] : [];
}

/** The run as JUnit XML: one suite per GatePolicy, one case per check (waived and warnings skipped). */
export function gateJunit(run: GateRun): string {
  const policies = [...new Set(run.checks.map((check) => check.policy))];
  return junitXml(
    policies.map((policy) => ({
      name: `gate ${run.release.system} ${run.release.version}: ${policy}`,
      cases: run.checks
        .filter((check) => check.policy === policy)
        .map((check) => {
          const body = [
            check.message,
            `expected: ${check.expected}`,
            ...Object.entries(check.facts).map(([k, v]) => `${k} = ${JSON.stringify(v)}`),
            ...(check.findings ?? []).filter((f) => f.failing).map((f) => `- ${f.message}`),
          ].join('\n');
          const base = { name: check.check, classname: `arbiter.gate.${policy}` };
          if (check.status === 'waived')
            return { ...base, skipped: `waived by ${check.waiver?.name ?? 'a waiver'}: ${check.message}` };
          if (check.status === 'failed' && check.severity === 'warning')
            return { ...base, skipped: `warning: ${check.message}` };
          if (check.status === 'failed') return { ...base, failure: { message: check.message, body } };
          return base;
        }),
    })),
  );
}

/** What a SARIF log of a gate run says beyond the run itself: which Arbiter wrote it, where the release's facts are. */
export interface GateSarifOptions {
  /** Arbiter's version, for the SARIF tool driver; omitted when not given. */
  version?: string;
  /**
   * The line of a release fact (`release.metrics.accuracy`) in the release file, worked out when the
   * release was loaded (gate/release-lines.ts); line 1 when not given.
   */
  releaseLine?: (fact: string) => number;
}

/** The run as SARIF 2.1.0, for GitHub code scanning: one result per failing finding or check. */
export function gateSarif(run: Pick<GateRun, 'checks' | 'release'>, options: GateSarifOptions = {}) {
  const reported = run.checks.filter((check) => check.status !== 'passed');
  const rules = [...new Map(reported.map((check) => [checkId(check), check])).values()].map((check) => ({
    id: checkId(check),
    description: check.expected,
  }));
  const lineOf = options.releaseLine ?? (() => 1);
  const results: SarifResult[] = reported.flatMap((check) => {
    const level = check.status === 'waived' || check.severity === 'warning' ? 'warning' : 'error';
    const properties = {
      status: check.status,
      ...(check.waiver ? { waiver: check.waiver.name, waiverOwner: check.waiver.owner } : {}),
    };
    const findings = (check.findings ?? []).filter((finding) => finding.failing);
    if (findings.length > 0)
      return findings.map((finding) => ({
        ruleId: checkId(check),
        level: finding.waivedBy ? 'note' : level,
        message: `${finding.message}${finding.waivedBy ? ` (waived by ${finding.waivedBy})` : ''}`,
        file: finding.location?.file ?? run.release.file,
        ...(finding.location?.byteOffset !== undefined ? { byteOffset: finding.location.byteOffset } : {}),
        ...(finding.location?.line !== undefined ? { startLine: finding.location.line } : {}),
        fingerprint: `${checkId(check)}:${finding.id}:${finding.message}`,
        properties,
      }));
    const firstRead = Object.keys(check.facts).find((fact) => fact.startsWith('release.'));
    return [
      {
        ruleId: checkId(check),
        level,
        message: `${check.message} (expected ${check.expected})`,
        file: run.release.file,
        startLine: firstRead ? lineOf(firstRead) : 1,
        fingerprint: `${checkId(check)}:${run.release.system}`,
        properties,
      },
    ];
  });
  return sarifLog(
    { name: 'arbiter-gate', ...(options.version ? { version: options.version } : {}) },
    rules,
    results,
  );
}
