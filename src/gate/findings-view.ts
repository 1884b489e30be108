import { type Severity, severities } from '../supply/findings.js';
import type { ScannerFindingEvidence } from './evidence.js';
import type { SarifRunSummary } from './sarif-input.js';

/**
 * `release.findings` in CEL: what external scanners (SARIF) found, counted by severity, by tool
 * and by level, and the same counts for findings new since the baseline release. Suppressed
 * findings (VEX, or suppressed in the tool's own output) are counted apart and nowhere else. Pure.
 *
 * Tables keyed by what an input names (tools, rules) are Maps, never plain objects: a rule named
 * `__proto__` would vanish from an object and `constructor` would start from a function. CEL
 * (cel-js) reads a Map as a map; it cannot read an object holding a `constructor` key at all.
 */

type Counts = Record<Severity, number>;
export interface ToolCounts extends Counts {
  count: number;
  new: number;
  suppressed: number;
}

export interface FindingsView {
  count: number;
  bySeverity: Counts;
  byLevel: Record<'error' | 'warning' | 'note' | 'none', number>;
  byTool: Map<string, ToolCounts>;
  tools: string[];
  new: { count: number; bySeverity: Counts; byTool: Map<string, Counts & { count: number }> };
  suppressed: number;
  /** Findings a waiver covers (for the check being judged): counted here and nowhere else. */
  waived: number;
  /** Active findings per rule id. */
  byRule: Map<string, number>;
  highest: Severity | 'none';
  items: Record<string, unknown>[];
}

/** The key that names one scanner finding for waivers and exclusion: its file and fingerprint. */
export const scannerFindingKey = (finding: { input: string; fingerprint: string }) =>
  `sarif:${finding.input}#${finding.fingerprint}`;

const zero = (): Counts => Object.fromEntries(severities.map((s) => [s, 0])) as Counts;

/** Counts per severity and tool; `runs` lists tools that ran, so a clean tool still has a `byTool` entry. */
export function findingsView(
  all: readonly ScannerFindingEvidence[],
  runs: readonly SarifRunSummary[] = [],
  excluded: ReadonlySet<string> = new Set(),
): FindingsView {
  const findings = all.filter((finding) => finding.suppressed || !excluded.has(scannerFindingKey(finding)));
  const active = findings.filter((finding) => !finding.suppressed);
  const fresh = active.filter((finding) => finding.new);
  const tools = [...new Set([...runs.map((run) => run.tool), ...findings.map((f) => f.tool)])].sort();
  const byTool = new Map<string, ToolCounts>(
    tools.map((tool) => [tool, { count: 0, new: 0, suppressed: 0, ...zero() }]),
  );
  const bySeverity = zero();
  const byRule = new Map<string, number>();
  const byLevel = { error: 0, warning: 0, note: 0, none: 0 };
  for (const finding of findings) {
    const counts = byTool.get(finding.tool);
    if (!counts) continue;
    if (finding.suppressed) {
      counts.suppressed++;
      continue;
    }
    counts.count++;
    counts[finding.severity]++;
    if (finding.new) counts.new++;
    bySeverity[finding.severity]++;
    byLevel[finding.level]++;
    byRule.set(finding.rule, (byRule.get(finding.rule) ?? 0) + 1);
  }
  const newBySeverity = zero();
  const newByTool = new Map<string, Counts & { count: number }>(
    tools.map((tool) => [tool, { count: 0, ...zero() }]),
  );
  for (const finding of fresh) {
    newBySeverity[finding.severity]++;
    const counts = newByTool.get(finding.tool);
    if (counts) {
      counts.count++;
      counts[finding.severity]++;
    }
  }
  const highest = [...severities].reverse().find((severity) => bySeverity[severity] > 0) ?? 'none';
  return {
    count: active.length,
    bySeverity,
    byLevel,
    byTool,
    tools,
    new: { count: fresh.length, bySeverity: newBySeverity, byTool: newByTool },
    suppressed: findings.length - active.length,
    waived: all.length - findings.length,
    byRule,
    highest,
    items: findings.map((finding) => ({
      tool: finding.tool,
      input: finding.input,
      rule: finding.rule,
      ruleName: finding.ruleName ?? null,
      level: finding.level,
      severity: finding.severity,
      message: finding.message,
      file: finding.location.file,
      startLine: finding.location.startLine ?? null,
      fingerprint: finding.fingerprint,
      new: finding.new,
      suppressed: finding.suppressed !== undefined,
      package: finding.package?.name ?? null,
      tags: finding.tags ?? [],
    })),
  };
}
