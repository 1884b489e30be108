import type { JsonObject } from '../core/json.js';
import {
  type BomDataset,
  type BomModel,
  type BomPackage,
  type BomVulnerability,
  buildBom,
  vulnerabilityEntry,
} from '../supply/bom.js';
import type { ScanFinding } from '../supply/findings.js';
import type { OsvDatabase } from '../supply/osv.js';
import { parsePurl, purlKey } from '../supply/purl.js';
import { mergeSboms } from '../supply/sbom-import.js';
import type { FileScan } from '../supply/scan.js';
import type { EvaluationResult } from './evaluation-results.js';
import type { DatabaseEvidence, ModelEvidence, SupplyEvidence, VulnerabilityEvidence } from './evidence.js';
import {
  applyVexToVulnerabilities,
  judgeScannerFindings,
  osvVulnerabilities,
  sbomPackagesToMatch,
  sbomVulnerabilities,
  uniqueVulnerabilities,
} from './evidence-join.js';
import { append, type ExternalEvidence } from './external-evidence.js';
import { type GateInput, uniqueInputs } from './inputs.js';
import type { LoadedRelease } from './release.js';
import type { SarifRunSummary, ScannerFinding } from './sarif-input.js';

/**
 * Gathers the facts about a release that the gate judges, from its files as the edge read them
 * (app/releases/release-files.ts): the model files' scans, the lockfiles' packages matched
 * against the OSV database, other tools' evidence, and the AI-BOM, built or as the release names
 * it. Pure: every file is already in memory, every path already shown relative to the working
 * directory.
 */

/** A model file a release names, as read: its scan, or nothing when there is no such file. */
export interface ModelFileRead {
  /** The path as shown. */
  file: string;
  scan?: FileScan;
  /** Inside the directory the release's signature covers. */
  signed: boolean;
}

/** Everything `arbiter gate` read for one release, in memory. */
export interface ReleaseFiles {
  release: LoadedRelease;
  /** The release file, as shown. */
  releaseFile: string;
  /** The results of an earlier `arbiter scan --json` the release names (`spec.scan`). */
  scanResults?: FileScan[];
  /** The model signature the release names (`provenance.signature`), as shown, whether or not it exists. */
  signatureFile?: string;
  /** That signature, when it could be read, with its digest. */
  signature?: { file: string; sha256: string };
  /** One entry per `spec.models`, in order. */
  models: ModelFileRead[];
  /** One entry per `spec.datasets`, in order: the digest of the file read, if it was. */
  datasetDigests: (string | undefined)[];
  /** Packages from the lockfiles, and what is worth saying about them. */
  packages: BomPackage[];
  packageWarnings: string[];
  external: ExternalEvidence;
  /** The baseline release's own evidence (those files still readable). */
  baseline?: ExternalEvidence & { complete: boolean };
  osv?: OsvDatabase;
  /** The AI-BOM the release names (`spec.bom`), already validated. */
  bom?: { value: JsonObject; file: string };
  /** Every file read, in the order read, with its SHA-256. */
  inputs: GateInput[];
}

export interface CollectOptions {
  now: Date;
  /** Who made the BOM: Arbiter and its version. */
  tool: { name: string; version: string };
  /** The generated BOM's serial number (`urn:uuid:…`): drawn at the edge, so the domain stays deterministic. */
  serialNumber: string;
  /** Throws ARB_ERR_BOM_INVALID when a BOM is not valid CycloneDX 1.6; `what` names it. */
  validateBom: (bom: unknown, what: string) => void;
}

/** An SBOM of another tool, as merged into the AI-BOM. */
export interface SbomSummary {
  file: string;
  tool: string;
  specVersion: string;
  components: number;
  /** Components the AI-BOM did not have yet. */
  added: number;
  vulnerabilities: number;
}

/** What the baseline release's own evidence files said (those still readable). */
export interface BaselineEvidence {
  findings: ScannerFinding[];
  sarifRuns: SarifRunSummary[];
  evaluations: EvaluationResult[];
  /** False when one of its files could not be read (then every finding counts as new). */
  complete: boolean;
}

export interface CollectedRelease {
  evidence: Omit<SupplyEvidence, 'signatures'>;
  bom: JsonObject;
  /** `generated`, or the BOM file the release names. */
  bomSource: string;
  /** Things worth saying that fail nothing (unpinned requirements…). */
  warnings: string[];
  /** Every file the decision rests on, with its SHA-256, in the order read. */
  inputs: GateInput[];
  sboms: SbomSummary[];
  baseline?: BaselineEvidence;
}

/** What the gate reports of the OSV database: its size and how old its newest record is at `now`. */
export function databaseEvidence(database: OsvDatabase, now: Date): DatabaseEvidence {
  return {
    source: database.source,
    records: database.records,
    ...(database.newestModified
      ? {
          newestModified: database.newestModified,
          ageDays: Number(((now.getTime() - Date.parse(database.newestModified)) / 86_400_000).toFixed(2)),
        }
      : {}),
  };
}

/** The packages' known vulnerabilities in the OSV database. */
export function matchVulnerabilities(
  database: OsvDatabase,
  packages: readonly BomPackage[],
): VulnerabilityEvidence[] {
  return osvVulnerabilities(database, packages);
}

/** Matched vulnerabilities as the BOM records them, against the package's bom-ref (its purl). */
export function bomVulnerabilities(vulnerabilities: readonly VulnerabilityEvidence[]): BomVulnerability[] {
  return vulnerabilities.map((v) => ({
    id: v.id,
    aliases: v.aliases,
    summary: v.summary,
    severity: v.severity,
    ...(v.url ? { url: v.url } : {}),
    ...(v.fixedIn ? { fixedIn: v.fixedIn } : {}),
    affects: v.package.purl,
  }));
}

/** Judges nothing yet: turns the files read for a release into the evidence and AI-BOM the gate judges. */
export function collectRelease(files: ReleaseFiles, options: CollectOptions): CollectedRelease {
  const { release, external, baseline, osv: database } = files;
  const spec = release.spec;
  const warnings: string[] = [];
  const precomputed = files.scanResults;
  const scanFindings: ScanFinding[] = [];
  const signature = files.signature;
  const models: ModelEvidence[] = [];
  const bomModels: BomModel[] = [];
  (spec.models ?? []).forEach((model, i) => {
    const { file, scan, signed } = files.models[i]!;
    const base = {
      name: model.name ?? model.path,
      path: model.path,
      file,
      ...(model.framework ? { framework: model.framework } : {}),
      ...(model.license ? { license: model.license } : {}),
      ...(model.sha256 ? { expectedSha256: model.sha256 } : {}),
    };
    if (!scan) {
      models.push({ ...base, exists: false });
      return;
    }
    const earlier = precomputed?.find((entry) => entry.sha256 === scan.sha256);
    if (precomputed && !earlier)
      warnings.push(`${file}: not in the release's scan results (or changed since); scanned now`);
    scanFindings.push(
      ...(earlier?.findings.map((finding) => ({
        ...finding,
        file: finding.file.replace(earlier.file, file),
      })) ?? scan.findings),
    );
    models.push({
      ...base,
      exists: true,
      sha256: scan.sha256,
      sizeBytes: scan.sizeBytes,
      format: scan.format,
    });
    bomModels.push({
      name: base.name,
      path: model.path,
      sha256: scan.sha256,
      sizeBytes: scan.sizeBytes,
      format: scan.format,
      ...(model.framework ? { framework: model.framework } : {}),
      ...(model.license ? { license: model.license } : {}),
      ...(spec.modelCard ? { modelCard: spec.modelCard } : {}),
      ...(signature && signed ? { signature: { file: signature.file, sha256: signature.sha256 } } : {}),
    });
  });

  const datasets: BomDataset[] = (spec.datasets ?? []).map((dataset, i) => {
    const sha256 = dataset.sha256 ?? files.datasetDigests[i];
    return { ...dataset, ...(sha256 ? { sha256 } : {}) };
  });

  const packages = files.packages;
  append(warnings, files.packageWarnings);
  if (baseline) append(warnings, baseline.warnings);

  const fromSboms = sbomPackagesToMatch(external.sboms, packages);
  const lockfileVulnerabilities = database ? osvVulnerabilities(database, packages) : [];
  const sbomPackageVulnerabilities = database
    ? fromSboms.flatMap(({ pkg, ref }) =>
        osvVulnerabilities(database, [pkg]).map((v) => ({ ...v, ...(ref ? { ref } : {}) })),
      )
    : [];
  const vulnerabilities = applyVexToVulnerabilities(
    uniqueVulnerabilities([
      ...lockfileVulnerabilities,
      ...sbomPackageVulnerabilities,
      ...external.sboms.flatMap(sbomVulnerabilities),
    ]),
    external.vexStatements,
  ).map(({ ref: _, ...vulnerability }: VulnerabilityEvidence & { ref?: string }) => vulnerability);

  let bom: JsonObject;
  let bomSource = 'generated';
  if (files.bom) {
    bom = files.bom.value;
    bomSource = files.bom.file;
  } else {
    bom = buildBom({
      subject: { name: spec.system, version: spec.version },
      packages,
      models: bomModels,
      datasets,
      vulnerabilities: bomVulnerabilities(lockfileVulnerabilities),
      ...(spec.metrics ? { metrics: spec.metrics } : {}),
      ...(spec.slices ? { slices: spec.slices } : {}),
      timestamp: options.now,
      tool: options.tool,
      serialNumber: options.serialNumber,
    });
    options.validateBom(bom, 'the generated BOM');
  }
  const sboms: SbomSummary[] = [];
  if (external.sboms.length > 0) {
    let merged = bom;
    for (const sbom of external.sboms) {
      const result = mergeSboms(merged, [sbom]);
      merged = result.bom;
      sboms.push({
        file: sbom.file,
        tool: sbom.tool,
        specVersion: sbom.specVersion,
        components: sbom.components.length,
        added: result.added,
        vulnerabilities: sbom.vulnerabilities.length,
      });
    }
    bom = withOsvMatchesOfSbomPackages(merged, sbomPackageVulnerabilities);
    options.validateBom(bom, `the AI-BOM merged with ${external.sboms.map((sbom) => sbom.file).join(', ')}`);
  }

  return {
    evidence: {
      releaseFile: files.releaseFile,
      models,
      scanFindings,
      packages,
      datasets,
      scannerFindings: judgeScannerFindings(external.findings, {
        ...(baseline ? { baseline: baseline.findings } : {}),
        vex: external.vexStatements,
      }),
      sarifRuns: external.sarifRuns,
      evaluations: external.evaluations,
      vexStatements: external.vexStatements,
      sboms: external.sboms.map((sbom) => sbom.file),
      ...(database ? { database: databaseEvidence(database, options.now) } : {}),
      vulnerabilities,
      ...(files.signatureFile ? { signatureFile: files.signatureFile } : {}),
    },
    bom,
    bomSource,
    warnings,
    inputs: uniqueInputs(files.inputs),
    sboms,
    ...(baseline
      ? {
          baseline: {
            findings: baseline.findings,
            sarifRuns: baseline.sarifRuns,
            evaluations: baseline.evaluations,
            complete: baseline.complete,
          },
        }
      : {}),
  };
}

/**
 * OSV matches of packages only an SBOM lists, added to the merged BOM against the component that
 * now stands for the package (found by purl, as the merge deduplicated by it).
 */
function withOsvMatchesOfSbomPackages(
  bom: JsonObject,
  matches: readonly VulnerabilityEvidence[],
): JsonObject {
  if (matches.length === 0) return bom;
  const refs = new Map<string, string>();
  for (const component of Array.isArray(bom.components) ? bom.components : []) {
    if (typeof component !== 'object' || component === null || Array.isArray(component)) continue;
    const purl = typeof component.purl === 'string' ? parsePurl(component.purl) : undefined;
    if (purl && typeof component['bom-ref'] === 'string') refs.set(purlKey(purl), component['bom-ref']);
  }
  const added = bomVulnerabilities(
    matches.flatMap((match) => {
      const purl = parsePurl(match.package.purl);
      const ref = purl ? refs.get(purlKey(purl)) : undefined;
      return ref ? [{ ...match, package: { ...match.package, purl: ref } }] : [];
    }),
  );
  if (added.length === 0) return bom;
  const existing = Array.isArray(bom.vulnerabilities) ? bom.vulnerabilities : [];
  return { ...bom, vulnerabilities: [...existing, ...added.map(vulnerabilityEntry)] };
}
