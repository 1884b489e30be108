import type { BomDataset, BomPackage } from '../supply/bom.js';
import type { ScanFinding } from '../supply/findings.js';
import type { VexStatement } from '../supply/vex.js';
import type { EvaluationResult } from './evaluation-results.js';
import type { SarifRunSummary, ScannerFinding } from './sarif-input.js';

/**
 * What `arbiter gate` found out about a release before judging it: the model files with their
 * digests and formats, what scanning found in them, the locked packages, known vulnerabilities and
 * the model signature. The supply-chain checks are pure functions of this.
 */

export interface ModelEvidence {
  name: string;
  /** The path as the release file writes it. */
  path: string;
  /** The path to show (relative to the working directory). */
  file: string;
  exists: boolean;
  sha256?: string;
  sizeBytes?: number;
  format?: string;
  framework?: string;
  license?: string;
  /** The digest the release pins. */
  expectedSha256?: string;
}

export interface VulnerabilityEvidence {
  id: string;
  aliases: string[];
  summary: string;
  severity: 'low' | 'medium' | 'high' | 'critical' | 'unknown';
  fixedIn?: string;
  reason: string;
  url?: string;
  /** `lockfile` is the lockfile, or the SBOM file, that lists the package. */
  package: { ecosystem: string; name: string; version: string; purl: string; lockfile: string };
  /** Who reported it: `osv` (matched here), or the SBOM's tool (`trivy 0.57.1`). */
  source?: string;
  /** Set when a VEX statement (or the SBOM's own analysis) says it does not apply. */
  suppressed?: Suppression;
}

/** Why a finding does not count: a VEX statement, or a suppression in the scanner's own output. */
export interface Suppression {
  by: 'vex' | 'tool';
  /** As written: `not_affected`, `false_positive`, `resolved`, `fixed`; `accepted` for tool suppressions. */
  status: string;
  justification?: string;
  detail?: string;
  /** The VEX (or SBOM, or SARIF) file that says so, as shown. */
  file: string;
}

/** A scanner's finding with what the gate worked out: new since the baseline, suppressed. */
export interface ScannerFindingEvidence extends ScannerFinding {
  /** Not among the baseline release's findings (or, without a baseline, not `unchanged` per the tool). */
  new: boolean;
  suppressed?: Suppression;
}

export interface DatabaseEvidence {
  source: string;
  records: number;
  newestModified?: string;
  ageDays?: number;
}

export interface SignatureEvidence {
  /** The signature file as shown. */
  file: string;
  verified: boolean;
  signer?: string;
  reason?: string;
  problems: string[];
}

export interface SupplyEvidence {
  /** The release file, as shown; findings about the release itself point here. */
  releaseFile: string;
  models: ModelEvidence[];
  scanFindings: ScanFinding[];
  packages: BomPackage[];
  datasets: BomDataset[];
  /** Absent when no OSV database was given. */
  database?: DatabaseEvidence;
  vulnerabilities: VulnerabilityEvidence[];
  /** Signature verification per GatePolicy (each has its own signers); absent when the release has no signature. */
  signatures: ReadonlyMap<string, SignatureEvidence>;
  signatureFile?: string;
  /** Findings of external scanners (SARIF), and the tool runs they came from. */
  scannerFindings: ScannerFindingEvidence[];
  sarifRuns: SarifRunSummary[];
  /** Evaluation and red-team result files. */
  evaluations: EvaluationResult[];
  vexStatements: VexStatement[];
  /** SBOM files of other tools whose components and vulnerabilities joined the release's. */
  sboms: string[];
}
