import type { BomDataset, BomPackage } from '../supply/bom.js';
import type { ScanFinding } from '../supply/findings.js';

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
  package: { ecosystem: string; name: string; version: string; purl: string; lockfile: string };
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
}
