import { isArbiterError } from '../core/errors.js';
import { type ImportedSbom, readCycloneDx } from '../supply/sbom-import.js';
import { parseVex, type VexStatement } from '../supply/vex.js';
import { type EvaluationResult, parseEvaluationResult } from './evaluation-results.js';
import { type GateInput, type GateInputKind, parseJsonInput, readInput, shownPath } from './inputs.js';
import { type LoadedRelease, releasePath } from './release.js';
import { parseSarif, type SarifRunSummary, type ScannerFinding } from './sarif-input.js';

/**
 * Reads the evidence other tools produced for a release: SARIF from scanners, CycloneDX SBOMs,
 * VEX documents and evaluation / red-team results. The release file's `evidence` lists them
 * (relative to the release file); `arbiter gate --sarif-in …` adds more (relative to the working
 * directory). Every file is hashed as it is read.
 */

export const evidenceKinds = ['sarif', 'sbom', 'vex', 'evaluations'] as const;
export type EvidenceKind = (typeof evidenceKinds)[number];
export type EvidencePaths = Partial<Record<EvidenceKind, readonly string[]>>;

export interface ExternalEvidence {
  findings: ScannerFinding[];
  sarifRuns: SarifRunSummary[];
  sboms: ImportedSbom[];
  vexStatements: VexStatement[];
  evaluations: EvaluationResult[];
  inputs: GateInput[];
  /** Problems reading a baseline's evidence (the gate goes on, counting every finding as new). */
  warnings: string[];
}

/** The release's own evidence paths, resolved against it, followed by `extra` (already resolved); duplicates dropped. */
export function evidencePaths(
  release: LoadedRelease,
  extra: EvidencePaths = {},
): Record<EvidenceKind, string[]> {
  const listed = release.spec.evidence ?? {};
  const out = {} as Record<EvidenceKind, string[]>;
  for (const kind of evidenceKinds) {
    const paths = [...(listed[kind] ?? []).map((path) => releasePath(release, path)), ...(extra[kind] ?? [])];
    const seen = new Set<string>();
    out[kind] = paths.filter((path) => {
      const key = shownPath(path);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  }
  return out;
}

const what: Record<EvidenceKind, string> = {
  sarif: 'SARIF file',
  sbom: 'SBOM',
  vex: 'VEX document',
  evaluations: 'evaluation result file',
};
const inputKind: Record<EvidenceKind, GateInputKind> = {
  sarif: 'sarif',
  sbom: 'sbom',
  vex: 'vex',
  evaluations: 'evaluation',
};

/**
 * Appends one by one: `target.push(...items)` passes every item as an argument and overflows the
 * call stack for input-sized arrays (a SARIF log with 130,000 results).
 */
export function append<T>(target: T[], items: readonly T[]): void {
  for (const item of items) target.push(item);
}

/** Reads and validates every file; a missing or malformed one is an input error (exit 2). */
export function readExternalEvidence(paths: Record<EvidenceKind, readonly string[]>): ExternalEvidence {
  const evidence: ExternalEvidence = {
    findings: [],
    sarifRuns: [],
    sboms: [],
    vexStatements: [],
    evaluations: [],
    inputs: [],
    warnings: [],
  };
  for (const kind of evidenceKinds) {
    for (const path of paths[kind]) {
      const { bytes, input } = readInput(inputKind[kind], path, what[kind]);
      evidence.inputs.push(input);
      const value = parseJsonInput(bytes, input.path, what[kind]);
      if (kind === 'sarif') {
        const parsed = parseSarif(input.path, value);
        append(evidence.findings, parsed.findings);
        append(evidence.sarifRuns, parsed.runs);
      } else if (kind === 'sbom') evidence.sboms.push(readCycloneDx(input.path, value));
      else if (kind === 'vex') append(evidence.vexStatements, parseVex(input.path, value));
      else evidence.evaluations.push(parseEvaluationResult(input.path, value));
    }
  }
  return evidence;
}

/**
 * The baseline release's SARIF and evaluation results, for "new since the baseline" and regression
 * checks. Its files may be gone from this checkout: what cannot be read becomes a warning, and
 * every candidate finding then counts as new (failing closed, not open).
 */
export function readBaselineEvidence(baseline: LoadedRelease): ExternalEvidence & { complete: boolean } {
  const paths = evidencePaths(baseline);
  const out: ExternalEvidence & { complete: boolean } = {
    ...readExternalEvidence({ sarif: [], sbom: [], vex: [], evaluations: [] }),
    complete: true,
  };
  for (const kind of ['sarif', 'evaluations'] as const) {
    for (const path of paths[kind]) {
      try {
        const read = readExternalEvidence({
          sarif: kind === 'sarif' ? [path] : [],
          sbom: [],
          vex: [],
          evaluations: kind === 'evaluations' ? [path] : [],
        });
        append(out.findings, read.findings);
        append(out.sarifRuns, read.sarifRuns);
        append(out.evaluations, read.evaluations);
        for (const input of read.inputs)
          out.inputs.push({ ...input, kind: kind === 'sarif' ? 'baseline-sarif' : 'baseline-evaluation' });
      } catch (error) {
        if (!isArbiterError(error)) throw error;
        out.complete = false;
        out.warnings.push(
          `baseline evidence ${shownPath(path)} was not used (${error.message.split('\n')[0]}); ${kind === 'sarif' ? 'findings of its tools count as new' : 'its results are not compared'}`,
        );
      }
    }
  }
  return out;
}
