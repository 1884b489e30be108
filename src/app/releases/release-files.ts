import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, relative, sep } from 'node:path';
import { sha256Hex } from '../../core/digest.js';
import { ArbiterError } from '../../core/errors.js';
import type { JsonObject } from '../../core/json.js';
import type { ModelFileRead, ReleaseFiles } from '../../gate/collect.js';
import type { EvidencePaths } from '../../gate/external-evidence.js';
import type { GateInput } from '../../gate/inputs.js';
import { type LoadedRelease, releasePath } from '../../gate/release.js';
import { directoryScan } from '../../supply/model-directory.js';
import type { Progress } from '../../supply/reader.js';
import type { FileScan } from '../../supply/scan.js';
import { assertValidBom } from '../supply/bom-schema-files.js';
import { findLockfiles } from '../supply/lockfile-files.js';
import { filesUnder, scanFile } from '../supply/model-files.js';
import { evidencePaths, readBaselineEvidence, readExternalEvidence } from './evidence-files.js';
import { hashInput, shownPath as shown } from './input-files.js';
import { openOsvDatabase, readPackages } from './package-files.js';

/**
 * Reads every file a release names — model files (scanned as they are read), lockfiles, other
 * tools' evidence, the OSV database, the AI-BOM — into memory for the pure collection and
 * evaluation in gate/. Files are read in a fixed order, each hashed; a missing or malformed one is
 * an input error (exit 2) naming it, except the baseline's evidence, which only warns.
 */

export interface ReadReleaseOptions {
  /** An OSV database: a directory of OSV JSON files or an osv.dev `all.zip`. */
  osv?: string;
  /** Evidence files named on the command line (paths as given), besides those the release lists. */
  evidence?: EvidencePaths;
  /** The baseline release: its SARIF findings tell which are new, its evaluation results are compared. */
  baseline?: LoadedRelease;
  /** Shows how far the reading of a large model file has come (a terminal's progress line). */
  progress?: ProgressDisplay;
}

/** Makes a progress display for one file about to be read, or none (small files, no terminal). */
export type ProgressDisplay = (
  file: string,
  sizeBytes: number,
) => { progress: Progress; done: () => void } | undefined;

/** Scans one model file, showing progress while its bytes are hashed. */
async function scanModelFile(path: string, file: string, display?: ProgressDisplay): Promise<FileScan> {
  const bar = display?.(file, statSync(path).size);
  try {
    return await scanFile(path, file, bar ? { progress: bar.progress } : {});
  } finally {
    bar?.done();
  }
}

/**
 * Scans a model that is a file, or every file of a model that is a directory (hidden files and
 * node_modules skipped, as `arbiter scan` skips them); undefined when there is nothing there (no
 * such path, or a directory without files).
 */
async function scanModel(
  path: string,
  file: string,
  display?: ProgressDisplay,
): Promise<FileScan | undefined> {
  if (!existsSync(path)) return undefined;
  const stat = statSync(path);
  if (stat.isFile()) return scanModelFile(path, file, display);
  if (!stat.isDirectory()) return undefined;
  const members = [];
  for (const member of filesUnder([path])) {
    const inside = relative(path, member).split(sep).join('/');
    members.push({ path: inside, scan: await scanModelFile(member, `${file}/${inside}`, display) });
  }
  // An empty directory is no model: reported as missing, never as a clean scan.
  return members.length === 0 ? undefined : directoryScan(file, members);
}

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

/** Reads everything `arbiter gate` judges a release on. */
export async function readReleaseFiles(
  release: LoadedRelease,
  options: ReadReleaseOptions,
): Promise<ReleaseFiles> {
  const spec = release.spec;
  const inputs: GateInput[] = [];
  const addInput = (input: GateInput | undefined) => {
    if (input) inputs.push(input);
  };
  addInput(hashInput('release', release.file));
  if (options.baseline) addInput(hashInput('baseline', options.baseline.file));
  const scanResults = spec.scan ? readScanResults(releasePath(release, spec.scan)) : undefined;
  if (spec.scan) addInput(hashInput('scan', releasePath(release, spec.scan)));
  const signature = signatureCover(release);
  if (signature) inputs.push({ kind: 'signature', path: signature.file, sha256: signature.sha256 });
  const models: ModelFileRead[] = [];
  for (const model of spec.models ?? []) {
    const path = releasePath(release, model.path);
    const file = shown(path);
    const scan = await scanModel(path, file, options.progress);
    if (!scan) {
      models.push({ file, signed: false });
      continue;
    }
    inputs.push({ kind: 'model', path: file, sha256: scan.sha256 });
    models.push({ file, scan, signed: signature !== undefined && isInside(path, signature.directory) });
  }

  const datasetDigests = (spec.datasets ?? []).map((dataset) => {
    const path = dataset.path ? releasePath(release, dataset.path) : undefined;
    const read = path && existsSync(path) ? hashInput('dataset', path) : undefined;
    addInput(read);
    return read?.sha256;
  });

  const lockfiles = spec.dependencies
    ? spec.dependencies.map((file) => releasePath(release, file))
    : findLockfiles(dirname(release.file));
  const packages = readPackages(lockfiles, spec.packageLicenses);
  for (const input of packages.inputs) inputs.push(input);

  // Other tools' reports: SARIF, SBOMs, VEX, evaluation results (an unreadable one is exit 2).
  const external = readExternalEvidence(evidencePaths(release, options.evidence));
  for (const input of external.inputs) inputs.push(input);
  const baseline = options.baseline ? readBaselineEvidence(options.baseline) : undefined;
  if (baseline) for (const input of baseline.inputs) inputs.push(input);

  const osv = options.osv ? await openOsvDatabase(options.osv) : undefined;
  if (osv)
    inputs.push({
      kind: 'osv-database',
      path: shown(options.osv ?? osv.source),
      sha256: osv.sha256,
      records: osv.records,
      ...(osv.newestModified ? { newestModified: osv.newestModified } : {}),
    });

  let bom: ReleaseFiles['bom'];
  if (spec.bom) {
    const file = releasePath(release, spec.bom);
    const value = readJson(file, 'BOM') as JsonObject;
    assertValidBom(value, shown(file));
    bom = { value, file: shown(file) };
    addInput(hashInput('bom', file));
  }

  return {
    release,
    releaseFile: shown(release.file),
    ...(scanResults ? { scanResults } : {}),
    ...(spec.provenance?.signature
      ? { signatureFile: shown(releasePath(release, spec.provenance.signature)) }
      : {}),
    ...(signature ? { signature: { file: signature.file, sha256: signature.sha256 } } : {}),
    models,
    datasetDigests,
    packages: packages.packages,
    packageWarnings: packages.warnings,
    external,
    ...(baseline ? { baseline } : {}),
    ...(osv ? { osv } : {}),
    ...(bom ? { bom } : {}),
    inputs,
  };
}
