import type { Severity } from '../supply/findings.js';
import type { CollectedRelease, SbomSummary } from './collect.js';
import { type EvaluationStats, evaluationsView } from './evaluation-view.js';
import type { Suppression } from './evidence.js';

/**
 * Other tools' evidence as the gate run reports it, grouped by source: each SARIF run with what is
 * new since the baseline, each SBOM merged, each VEX document and what it suppressed, each
 * evaluation suite next to the baseline's. Bounded (at most `listed` items per list), so a scanner
 * with ten thousand findings does not make an unbounded report. Pure.
 */

export const listed = 50;

export interface SarifSourceSummary {
  tool: string;
  toolName: string;
  toolVersion?: string;
  input: string;
  findings: number;
  new: number;
  suppressed: number;
  bySeverity: Record<Severity, number>;
  /** The new, unsuppressed findings, most severe first (at most `listed`). */
  newFindings: {
    rule: string;
    severity: Severity;
    level: string;
    message: string;
    file: string;
    line?: number;
    package?: string;
  }[];
}

export interface SuppressedSummary {
  /** `vulnerability` (OSV or SBOM) or `sarif` (a scanner finding). */
  kind: 'vulnerability' | 'sarif';
  id: string;
  package?: string;
  tool: string;
  suppression: Suppression;
}

export interface EvaluationSuiteSummary {
  suite: string;
  kind: 'red-team' | 'evaluation';
  tool: string;
  files: string[];
  total: number;
  failed: number;
  passRate: number;
  attackSuccessRate?: number;
  /** The baseline release's results for the same suite, when it had them. */
  baseline?: { total: number; failed: number; passRate: number; attackSuccessRate?: number };
  /** Categories with failed cases: how many, and the highest severity among them. */
  failingCategories: { category: string; failed: number; total: number; highestFailedSeverity: string }[];
}

export interface EvidenceSummary {
  sarif: SarifSourceSummary[];
  sboms: SbomSummary[];
  vex: { file: string; format: string; statements: number }[];
  /** Findings a VEX statement or the tool's own output says do not apply, with why (at most `listed`). */
  suppressed: SuppressedSummary[];
  evaluations: EvaluationSuiteSummary[];
  /** False when a baseline was given but some of its evidence could not be read (all findings then count as new). */
  baselineComplete?: boolean;
}

const order: Record<Severity, number> = { critical: 0, high: 1, medium: 2, low: 3, info: 4 };

const zero = (): Record<Severity, number> => ({ info: 0, low: 0, medium: 0, high: 0, critical: 0 });

const rates = (stats: EvaluationStats) => ({
  total: stats.total,
  failed: stats.failed,
  passRate: stats.passRate,
  ...(stats.attackSuccessRate !== undefined ? { attackSuccessRate: stats.attackSuccessRate } : {}),
});

export function evidenceSummary(collected: CollectedRelease): EvidenceSummary {
  const { evidence } = collected;
  const sarif = evidence.sarifRuns.map((run): SarifSourceSummary => {
    const mine = evidence.scannerFindings.filter((f) => f.input === run.input && f.tool === run.tool);
    const active = mine.filter((f) => !f.suppressed);
    const bySeverity = zero();
    for (const finding of active) bySeverity[finding.severity]++;
    const fresh = active.filter((f) => f.new).sort((a, b) => order[a.severity] - order[b.severity]);
    return {
      tool: run.tool,
      toolName: run.toolName,
      ...(run.toolVersion ? { toolVersion: run.toolVersion } : {}),
      input: run.input,
      findings: active.length,
      new: fresh.length,
      suppressed: mine.length - active.length,
      bySeverity,
      newFindings: fresh.slice(0, listed).map((f) => ({
        rule: f.rule,
        severity: f.severity,
        level: f.level,
        message: f.message.split('\n')[0] ?? '',
        file: f.location.file,
        ...(f.location.startLine ? { line: f.location.startLine } : {}),
        ...(f.package
          ? { package: f.package.version ? `${f.package.name}@${f.package.version}` : f.package.name }
          : {}),
      })),
    };
  });
  // A SARIF file with two runs of one tool is one source per run; merge identical (tool, input) pairs.
  const merged = new Map<string, SarifSourceSummary>();
  for (const entry of sarif)
    if (!merged.has(`${entry.tool}\0${entry.input}`)) merged.set(`${entry.tool}\0${entry.input}`, entry);

  const vexFiles = new Map<string, { file: string; format: string; statements: number }>();
  for (const statement of evidence.vexStatements) {
    const entry = vexFiles.get(statement.file) ?? {
      file: statement.file,
      format: statement.format,
      statements: 0,
    };
    entry.statements++;
    vexFiles.set(statement.file, entry);
  }
  const suppressed: SuppressedSummary[] = [
    ...evidence.vulnerabilities.flatMap((v) =>
      v.suppressed
        ? [
            {
              kind: 'vulnerability' as const,
              id: v.id,
              package: `${v.package.name}@${v.package.version}`,
              tool: v.source ?? 'osv',
              suppression: v.suppressed,
            },
          ]
        : [],
    ),
    ...evidence.scannerFindings.flatMap((f) =>
      f.suppressed
        ? [
            {
              kind: 'sarif' as const,
              id: f.rule,
              ...(f.package
                ? { package: f.package.version ? `${f.package.name}@${f.package.version}` : f.package.name }
                : {}),
              tool: f.tool,
              suppression: f.suppressed,
            },
          ]
        : [],
    ),
  ].slice(0, listed);

  const current = evaluationsView(evidence.evaluations);
  const before = collected.baseline ? evaluationsView(collected.baseline.evaluations) : undefined;
  const evaluations = [...current.suites].map(([suite, view]): EvaluationSuiteSummary => {
    const old = before?.suites.get(suite);
    return {
      suite,
      kind: view.kind,
      tool: view.tool,
      files: view.files,
      ...rates(view),
      ...(old ? { baseline: rates(old) } : {}),
      failingCategories: [...view.categories]
        .filter(([, stats]) => stats.failed > 0)
        .map(([category, stats]) => ({
          category,
          failed: stats.failed,
          total: stats.total,
          highestFailedSeverity: stats.highestFailedSeverity,
        })),
    };
  });
  return {
    sarif: [...merged.values()],
    sboms: collected.sboms,
    vex: [...vexFiles.values()],
    suppressed,
    evaluations,
    ...(collected.baseline ? { baselineComplete: collected.baseline.complete } : {}),
  };
}
