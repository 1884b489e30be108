import { type ImportedSbom, readCycloneDx } from '../supply/sbom-import.js';
import { parseVex, type VexStatement } from '../supply/vex.js';
import { type EvaluationResult, parseEvaluationResult } from './evaluation-results.js';
import { type GateInput, type GateInputKind, parseJsonInput } from './inputs.js';
import { parseSarif, type SarifRunSummary, type ScannerFinding } from './sarif-input.js';

/**
 * The evidence other tools produced for a release: SARIF from scanners, CycloneDX SBOMs, VEX
 * documents and evaluation / red-team results. The release file's `evidence` lists them
 * (relative to the release file); `arbiter gate --sarif-in …` adds more (relative to the working
 * directory). The edge reads and hashes each file (app/releases/evidence-files.ts); this module
 * parses the bytes it read.
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

/** What each kind of evidence file is called in messages. */
export const evidenceWhat: Readonly<Record<EvidenceKind, string>> = {
  sarif: 'SARIF file',
  sbom: 'SBOM',
  vex: 'VEX document',
  evaluations: 'evaluation result file',
};

/** The gate input kind each kind of evidence file is recorded as. */
export const evidenceInputKind: Readonly<Record<EvidenceKind, GateInputKind>> = {
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

/** Evidence with nothing in it yet. */
export function emptyEvidence(): ExternalEvidence {
  return {
    findings: [],
    sarifRuns: [],
    sboms: [],
    vexStatements: [],
    evaluations: [],
    inputs: [],
    warnings: [],
  };
}

/**
 * Adds one evidence file to `evidence`: its input record, and what its bytes say. Bytes that are
 * not the kind's format are an input error (exit 2) naming the file.
 */
export function addEvidenceFile(
  evidence: ExternalEvidence,
  kind: EvidenceKind,
  file: { bytes: Buffer; input: GateInput },
): void {
  const { bytes, input } = file;
  evidence.inputs.push(input);
  const value = parseJsonInput(bytes, input.path, evidenceWhat[kind]);
  if (kind === 'sarif') {
    const parsed = parseSarif(input.path, value);
    append(evidence.findings, parsed.findings);
    append(evidence.sarifRuns, parsed.runs);
  } else if (kind === 'sbom') evidence.sboms.push(readCycloneDx(input.path, value));
  else if (kind === 'vex') append(evidence.vexStatements, parseVex(input.path, value));
  else evidence.evaluations.push(parseEvaluationResult(input.path, value));
}
