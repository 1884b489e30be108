import type { CheckResult, CheckStatus } from './check.js';
import type { RedteamReport } from './runner.js';

const label: Record<CheckStatus, string> = { pass: 'PASS', fail: 'FAIL', skip: 'SKIP' };

function summaryLine(report: RedteamReport): string {
  const { pass, fail, skip } = report.summary;
  return `${pass} passed, ${fail} failed, ${skip} skipped (${report.results.length} checks in ${(report.durationMs / 1000).toFixed(1)} s)`;
}

function evidenceLine(line: CheckResult['evidence'][number]): string {
  return line.status === 0 && line.response === ''
    ? line.request
    : `${line.request} → ${line.status} ${line.response}`;
}

/** A terminal table: one line per check, then the notes and evidence of failures. */
export function formatText(report: RedteamReport): string {
  const lines = [`arbiter redteam ${report.target}`, ''];
  const idWidth = Math.max(...report.results.map((r) => r.id.length), 2);
  lines.push(`${'ID'.padEnd(idWidth)}  RESULT  CHECK`);
  for (const result of report.results) {
    lines.push(`${result.id.padEnd(idWidth)}  ${label[result.status].padEnd(6)}  ${result.title}`);
    if (result.status !== 'pass' && result.note) lines.push(`${' '.repeat(idWidth + 10)}${result.note}`);
  }
  const failures = report.results.filter((r) => r.status === 'fail');
  if (failures.length > 0) {
    lines.push('', 'Evidence of failures:');
    for (const result of failures) {
      lines.push(`  ${result.id}: ${result.note ?? ''}`);
      for (const line of result.evidence) lines.push(`    ${evidenceLine(line)}`);
    }
  }
  if (report.writes.length > 0) {
    lines.push('', 'Written on the target by this run:');
    for (const write of report.writes) lines.push(`  ${write}`);
  }
  lines.push('', summaryLine(report));
  return lines.join('\n');
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** A Markdown report: a summary table, then each check with its evidence. */
export function formatMarkdown(report: RedteamReport): string {
  const identities = Object.entries(report.identities)
    .map(
      ([role, identity]) =>
        `${role} \`${identity.id ?? '?'}\`${identity.groups?.length ? ` (${identity.groups.join(', ')})` : ''}`,
    )
    .join(', ');
  const lines = [
    `# Red-team report: ${report.target}`,
    '',
    `Run at ${report.startedAt} with \`arbiter redteam\`: ${summaryLine(report)}.`,
    '',
    `Tokens: ${identities || 'none identified'}.`,
    '',
    '| check | result | what it checks | note |',
    '| --- | --- | --- | --- |',
    ...report.results.map(
      (r) =>
        `| ${r.id} | ${r.status === 'fail' ? '**FAIL**' : label[r.status]} | ${cell(r.title)} | ${cell(r.note ?? '')} |`,
    ),
    '',
  ];
  if (report.writes.length > 0) {
    lines.push('Written on the target by this run (besides refused requests):', '');
    for (const write of report.writes) lines.push(`- ${write}`);
    lines.push('');
  }
  lines.push('## Evidence', '');
  for (const result of report.results) {
    lines.push(`### ${result.id} ${label[result.status]}: ${result.title}`, '');
    if (result.note) lines.push(result.note, '');
    if (result.evidence.length > 0) {
      lines.push('```');
      for (const line of result.evidence) lines.push(evidenceLine(line));
      lines.push('```', '');
    }
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

/** The report as JSON for scripts. */
export function formatJson(report: RedteamReport): string {
  return JSON.stringify(report, null, 2);
}
