import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative } from 'node:path';
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
} from '../supply/bom.js';
import { assertValidBom } from '../supply/bom-schema.js';
import type { ScanFinding } from '../supply/findings.js';
import {
  findLockfiles,
  LockfileError,
  normalizePypiName,
  parseLockfile,
  unpinnedRequirements,
} from '../supply/lockfiles.js';
import { loadOsvDatabase, type OsvDatabase, OsvError } from '../supply/osv.js';
import { type FileScan, scanBytes } from '../supply/scan.js';
import type { DatabaseEvidence, ModelEvidence, SupplyEvidence, VulnerabilityEvidence } from './evidence.js';
import type { LoadedRelease } from './release.js';

/**
 * Gathers the facts about a release that the gate judges: reads and scans the model files,
 * parses the lockfiles, matches packages against the OSV database and builds (or reads) the
 * AI-BOM. Every path is shown relative to the working directory, as CI annotations need.
 */

export interface CollectOptions {
  /** An OSV database: a directory of OSV JSON files or an osv.dev `all.zip`. */
  osv?: string;
  now: Date;
}

export interface CollectedRelease {
  evidence: Omit<SupplyEvidence, 'signatures'>;
  bom: JsonObject;
  /** `generated`, or the BOM file the release names. */
  bomSource: string;
  /** Things worth saying that fail nothing (unpinned requirements…). */
  warnings: string[];
}

const shown = (path: string) => relative(process.cwd(), path) || '.';

export function releasePath(release: LoadedRelease, path: string): string {
  return isAbsolute(path) ? path : join(dirname(release.file), path);
}

/** An OSV database, with its errors as CLI errors. */
export function openOsvDatabase(path: string): OsvDatabase {
  try {
    return loadOsvDatabase(path);
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
): { packages: BomPackage[]; warnings: string[] } {
  const packages: BomPackage[] = [];
  const warnings: string[] = [];
  const declared = new Map(
    Object.entries(declaredLicenses).map(([name, license]) => [name.toLowerCase(), license]),
  );
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
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
  return { packages, warnings };
}

export function matchVulnerabilities(
  database: OsvDatabase,
  packages: readonly BomPackage[],
): VulnerabilityEvidence[] {
  return packages.flatMap((pkg) =>
    database.match({ ecosystem: pkg.ecosystem, name: pkg.name, version: pkg.version }).map((match) => ({
      id: match.id,
      aliases: match.aliases,
      summary: match.summary,
      severity: match.severity,
      ...(match.fixedIn ? { fixedIn: match.fixedIn } : {}),
      reason: match.reason,
      ...(match.url ? { url: match.url } : {}),
      package: {
        ecosystem: pkg.ecosystem,
        name: pkg.name,
        version: pkg.version,
        purl: pkg.purl,
        lockfile: pkg.source,
      },
    })),
  );
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

export async function collectRelease(
  release: LoadedRelease,
  options: CollectOptions,
): Promise<CollectedRelease> {
  const spec = release.spec;
  const warnings: string[] = [];
  const precomputed = spec.scan ? readScanResults(releasePath(release, spec.scan)) : undefined;
  const scanFindings: ScanFinding[] = [];
  const signature = signatureCover(release);
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
    const scan = scanBytes(file, readFileSync(path));
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
    const sha256 = dataset.sha256 ?? (path && existsSync(path) ? sha256Hex(readFileSync(path)) : undefined);
    return { ...dataset, ...(sha256 ? { sha256 } : {}) };
  });

  const lockfiles = spec.dependencies
    ? spec.dependencies.map((file) => releasePath(release, file))
    : findLockfiles(dirname(release.file));
  const { packages, warnings: packageWarnings } = readPackages(lockfiles, spec.packageLicenses);
  warnings.push(...packageWarnings);

  const database = options.osv ? openOsvDatabase(options.osv) : undefined;
  const vulnerabilities = database ? matchVulnerabilities(database, packages) : [];

  let bom: JsonObject;
  let bomSource = 'generated';
  if (spec.bom) {
    const file = releasePath(release, spec.bom);
    bom = readJson(file, 'BOM') as JsonObject;
    assertValidBom(bom, shown(file));
    bomSource = shown(file);
  } else {
    bom = buildBom({
      subject: { name: spec.system, version: spec.version },
      packages,
      models: bomModels,
      datasets,
      vulnerabilities: bomVulnerabilities(vulnerabilities),
      ...(spec.metrics ? { metrics: spec.metrics } : {}),
      ...(spec.slices ? { slices: spec.slices } : {}),
      timestamp: options.now,
      tool: arbiterTool(),
    });
    assertValidBom(bom, 'the generated BOM');
  }

  return {
    evidence: {
      releaseFile: shown(release.file),
      models,
      scanFindings,
      packages,
      datasets,
      ...(database ? { database: databaseEvidence(database, options.now) } : {}),
      vulnerabilities,
      ...(spec.provenance?.signature
        ? { signatureFile: shown(releasePath(release, spec.provenance.signature)) }
        : {}),
    },
    bom,
    bomSource,
    warnings,
  };
}
