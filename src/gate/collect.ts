import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { assertValidBom } from '../app/supply/bom-schema-files.js';
import { findLockfiles } from '../app/supply/lockfile-files.js';
import { scanFile } from '../app/supply/model-files.js';
import { loadOsvDatabase } from '../app/supply/osv-files.js';
import { sha256Hex } from '../core/digest.js';
import { ArbiterError } from '../core/errors.js';
import type { JsonObject } from '../core/json.js';
import { packageVersion } from '../core/version.js';
import {
  type BomDataset,
  type BomModel,
  type BomPackage,
  type BomVulnerability,
  buildBom,
  vulnerabilityEntry,
} from '../supply/bom.js';
import type { ScanFinding } from '../supply/findings.js';
import {
  LockfileError,
  normalizePypiName,
  parseLockfile,
  unpinnedRequirements,
} from '../supply/lockfiles.js';
import { type OsvDatabase, OsvError } from '../supply/osv.js';
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
import {
  append,
  type EvidencePaths,
  evidencePaths,
  readBaselineEvidence,
  readExternalEvidence,
} from './external-evidence.js';
import { type GateInput, uniqueInputs } from './inputs.js';
import { type LoadedRelease, releasePath } from './release.js';
import type { SarifRunSummary, ScannerFinding } from './sarif-input.js';

/**
 * Gathers the facts about a release that the gate judges: reads and scans the model files,
 * parses the lockfiles, matches packages against the OSV database and builds (or reads) the
 * AI-BOM. Every path is shown relative to the working directory, as CI annotations need.
 */

export interface CollectOptions {
  /** An OSV database: a directory of OSV JSON files or an osv.dev `all.zip`. */
  osv?: string;
  now: Date;
  /** Evidence files named on the command line (paths as given), besides those the release lists. */
  evidence?: EvidencePaths;
  /** The baseline release: its SARIF findings tell which are new, its evaluation results are compared. */
  baseline?: LoadedRelease;
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

const shown = (path: string) => relative(process.cwd(), path) || '.';

export { releasePath } from './release.js';

/** An OSV database, with its errors as CLI errors. */
export async function openOsvDatabase(path: string): Promise<OsvDatabase> {
  try {
    return await loadOsvDatabase(path);
  } catch (error) {
    if (error instanceof OsvError) throw new ArbiterError('ARB_ERR_OSV_DATABASE', error.message);
    throw error;
  }
}

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

/** Packages from lockfiles, with licences the release declares for those whose lockfile records none. */
export function readPackages(
  files: readonly string[],
  declaredLicenses: Readonly<Record<string, string>> = {},
): { packages: BomPackage[]; warnings: string[]; inputs: GateInput[] } {
  const packages: BomPackage[] = [];
  const warnings: string[] = [];
  const inputs: GateInput[] = [];
  const declared = new Map(
    Object.entries(declaredLicenses).map(([name, license]) => [name.toLowerCase(), license]),
  );
  for (const file of files) {
    let text: string;
    try {
      const bytes = readFileSync(file);
      inputs.push({ kind: 'lockfile', path: shown(file), sha256: sha256Hex(bytes) });
      text = bytes.toString('utf8');
    } catch {
      throw new ArbiterError('ARB_ERR_INPUT_NOT_FOUND', `dependency file ${shown(file)} cannot be read`);
    }
    try {
      for (const pkg of parseLockfile(shown(file), text)) {
        const license =
          pkg.license ??
          declared.get(pkg.name.toLowerCase()) ??
          (pkg.ecosystem === 'PyPI' ? declared.get(normalizePypiName(pkg.name)) : undefined);
        packages.push({ ...pkg, ...(license ? { license } : {}) });
      }
      for (const name of unpinnedRequirements(shown(file), text))
        warnings.push(`${shown(file)}: ${name} is not pinned to one version and is left out of the BOM`);
    } catch (error) {
      if (error instanceof LockfileError) throw new ArbiterError('ARB_ERR_INPUT_INVALID', error.message);
      throw error;
    }
  }
  return { packages, warnings, inputs };
}

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

export const arbiterTool = () => ({ name: 'arbiter', version: packageVersion() });

/**
 * The release's signature file and the directory it covers, so each model's BOM entry names the
 * signature over it: `bom diff` can then tell a re-signed model from bytes that changed unsigned.
 */
function signatureCover(
  release: LoadedRelease,
): { file: string; sha256: string; directory: string } | undefined {
  const provenance = release.spec.provenance;
  if (!provenance?.signature) return undefined;
  const file = releasePath(release, provenance.signature);
  if (!existsSync(file)) return undefined;
  return {
    file: shown(file),
    sha256: sha256Hex(readFileSync(file)),
    directory: provenance.modelDirectory ? releasePath(release, provenance.modelDirectory) : dirname(file),
  };
}

const isInside = (file: string, directory: string) => !relative(directory, file).startsWith('..');

/** Findings of an earlier `arbiter scan --json`, for releases that scanned elsewhere. */
function readScanResults(file: string): FileScan[] {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { files?: FileScan[] };
    if (!Array.isArray(parsed.files)) throw new Error('no "files" array');
    return parsed.files;
  } catch (error) {
    throw new ArbiterError(
      'ARB_ERR_INPUT_INVALID',
      `${shown(file)}: not the JSON output of arbiter scan (${error instanceof Error ? error.message : String(error)})`,
    );
  }
}

function readJson(file: string, what: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ArbiterError(
      existsSync(file) ? 'ARB_ERR_INPUT_INVALID' : 'ARB_ERR_INPUT_NOT_FOUND',
      `${what} ${shown(file)} cannot be read as JSON (${error instanceof Error ? error.message : String(error)})`,
    );
  }
}

/** Hashes a file the gate reads whole elsewhere (the release file, a signature, a BOM). */
function inputOf(kind: GateInput['kind'], path: string): GateInput | undefined {
  try {
    return { kind, path: shown(path), sha256: sha256Hex(readFileSync(path)) };
  } catch {
    return undefined;
  }
}

export async function collectRelease(
  release: LoadedRelease,
  options: CollectOptions,
): Promise<CollectedRelease> {
  const spec = release.spec;
  const warnings: string[] = [];
  const inputs: GateInput[] = [];
  const addInput = (input: GateInput | undefined) => {
    if (input) inputs.push(input);
  };
  addInput(inputOf('release', release.file));
  if (options.baseline) addInput(inputOf('baseline', options.baseline.file));
  const precomputed = spec.scan ? readScanResults(releasePath(release, spec.scan)) : undefined;
  if (spec.scan) addInput(inputOf('scan', releasePath(release, spec.scan)));
  const scanFindings: ScanFinding[] = [];
  const signature = signatureCover(release);
  if (signature) inputs.push({ kind: 'signature', path: signature.file, sha256: signature.sha256 });
  const models: ModelEvidence[] = [];
  const bomModels: BomModel[] = [];
  for (const model of spec.models ?? []) {
    const path = releasePath(release, model.path);
    const file = shown(path);
    const base = {
      name: model.name ?? model.path,
      path: model.path,
      file,
      ...(model.framework ? { framework: model.framework } : {}),
      ...(model.license ? { license: model.license } : {}),
      ...(model.sha256 ? { expectedSha256: model.sha256 } : {}),
    };
    if (!existsSync(path) || !statSync(path).isFile()) {
      models.push({ ...base, exists: false });
      continue;
    }
    const scan = await scanFile(path, file);
    inputs.push({ kind: 'model', path: file, sha256: scan.sha256 });
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
      ...(signature && isInside(path, signature.directory)
        ? { signature: { file: signature.file, sha256: signature.sha256 } }
        : {}),
    });
  }

  const datasets: BomDataset[] = (spec.datasets ?? []).map((dataset) => {
    const path = dataset.path ? releasePath(release, dataset.path) : undefined;
    const read = path && existsSync(path) ? inputOf('dataset', path) : undefined;
    addInput(read);
    const sha256 = dataset.sha256 ?? read?.sha256;
    return { ...dataset, ...(sha256 ? { sha256 } : {}) };
  });

  const lockfiles = spec.dependencies
    ? spec.dependencies.map((file) => releasePath(release, file))
    : findLockfiles(dirname(release.file));
  const {
    packages,
    warnings: packageWarnings,
    inputs: lockfileInputs,
  } = readPackages(lockfiles, spec.packageLicenses);
  append(warnings, packageWarnings);
  append(inputs, lockfileInputs);

  // Other tools' reports: SARIF, SBOMs, VEX, evaluation results (an unreadable one is exit 2).
  const external = readExternalEvidence(evidencePaths(release, options.evidence));
  append(inputs, external.inputs);
  const baseline = options.baseline ? readBaselineEvidence(options.baseline) : undefined;
  if (baseline) {
    append(inputs, baseline.inputs);
    append(warnings, baseline.warnings);
  }

  const database = options.osv ? await openOsvDatabase(options.osv) : undefined;
  if (database)
    inputs.push({
      kind: 'osv-database',
      path: shown(options.osv ?? database.source),
      sha256: database.sha256,
      records: database.records,
      ...(database.newestModified ? { newestModified: database.newestModified } : {}),
    });
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
  if (spec.bom) {
    const file = releasePath(release, spec.bom);
    bom = readJson(file, 'BOM') as JsonObject;
    assertValidBom(bom, shown(file));
    bomSource = shown(file);
    addInput(inputOf('bom', file));
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
      tool: arbiterTool(),
      serialNumber: `urn:uuid:${randomUUID()}`,
    });
    assertValidBom(bom, 'the generated BOM');
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
    assertValidBom(bom, `the AI-BOM merged with ${external.sboms.map((sbom) => sbom.file).join(', ')}`);
  }

  return {
    evidence: {
      releaseFile: shown(release.file),
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
      ...(spec.provenance?.signature
        ? { signatureFile: shown(releasePath(release, spec.provenance.signature)) }
        : {}),
    },
    bom,
    bomSource,
    warnings,
    inputs: uniqueInputs(inputs),
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
