import { randomUUID } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { openOsvDatabase, readPackages } from '../app/releases/package-files.js';
import { loadRelease } from '../app/releases/release-file.js';
import { gatherRelease } from '../app/releases/run-gate.js';
import { assertValidBom } from '../app/supply/bom-schema-files.js';
import { findLockfiles } from '../app/supply/lockfile-files.js';
import { filesUnder, scanFile } from '../app/supply/model-files.js';
import { arbiterTool } from '../app/version.js';
import { ArbiterError } from '../core/errors.js';
import type { JsonObject } from '../core/json.js';
import { bomVulnerabilities, matchVulnerabilities } from '../gate/collect.js';
import { type BomModel, buildBom } from '../supply/bom.js';
import { type BomDiff, diffBoms } from '../supply/bom-diff.js';
import { isLockfile } from '../supply/lockfiles.js';
import { type ExitCode, exitCodes } from './exit-codes.js';
import { type Output, readInputText } from './io.js';

type Run = (action: () => Promise<ExitCode> | ExitCode) => Promise<void>;

/** Formats that are not models by themselves: plain archives, known data, bytes nothing identifies. */
const notModels = new Set(['unknown', 'zip', 'data']);

/** Cheap first look, so a BOM of a large repository does not read every file whole. */
function mightBeModel(file: string): boolean {
  const head = Buffer.alloc(16);
  const fd = openSync(file, 'r');
  try {
    const n = readSync(fd, head, 0, 16, 0);
    if (n < 8) return false;
  } finally {
    closeSync(fd);
  }
  const text = head.toString('latin1');
  return (
    (head[0] === 0x80 && head[1]! <= 5) || // pickle protocol 2+
    head[0] === 0x08 || // ONNX: ir_version first
    text.startsWith('\x1f\x8b') || // joblib containers: gzip, bz2, xz, lzma, zlib
    text.startsWith('BZh') ||
    text.startsWith('\xfd7zXZ') ||
    text.startsWith(']\x00') ||
    (head[0] === 0x78 && ((head[0] << 8) | head[1]!) % 31 === 0) ||
    text.startsWith('PK\x03\x04') ||
    text.startsWith('\x93NUMPY') ||
    text.startsWith('GGUF') ||
    text.startsWith('\x89HDF\r\n\x1a\n') ||
    (head.readBigUInt64LE(0) < 100_000_000n && head[8] === 0x7b) // safetensors: header length, then '{'
  );
}

/**
 * Model files under a directory, found by content. Files beside a model that the scanner cannot
 * identify (custom code, unknown weights) belong to the model too, and are listed with format
 * `unknown`, so the AI-BOM shows — and `bom diff` tracks — everything a loader may read.
 */
async function modelFilesIn(dir: string): Promise<BomModel[]> {
  const models: BomModel[] = [];
  const modelDirectories = new Set<string>();
  const component = (file: string, scan: { sha256: string; sizeBytes: number; format: string }): BomModel => {
    const path = relative(dir, file);
    return { name: path, path, sha256: scan.sha256, sizeBytes: scan.sizeBytes, format: scan.format };
  };
  const files = filesUnder([dir]);
  const listed = new Set<string>();
  for (const file of files) {
    if (!mightBeModel(file)) continue;
    const scan = await scanFile(file);
    if (notModels.has(scan.format)) continue;
    models.push(component(file, scan));
    listed.add(file);
    modelDirectories.add(dirname(file));
  }
  for (const file of files) {
    if (listed.has(file) || !modelDirectories.has(dirname(file)) || isLockfile(file)) continue;
    const scan = await scanFile(file);
    if (scan.format === 'unknown') models.push(component(file, scan));
  }
  return models.sort((a, b) => a.path.localeCompare(b.path));
}

function projectIdentity(dir: string): { name: string; version: string } {
  try {
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
      name?: string;
      version?: string;
    };
    return { name: manifest.name ?? basename(resolve(dir)), version: manifest.version ?? '0.0.0' };
  } catch {
    return { name: basename(resolve(dir)), version: '0.0.0' };
  }
}

interface BomOptions {
  output?: string;
  osv?: string;
  name?: string;
  subjectVersion?: string;
}

async function bomFor(path: string, options: BomOptions): Promise<{ bom: JsonObject; warnings: string[] }> {
  let stat: ReturnType<typeof statSync>;
  try {
    stat = statSync(path);
  } catch {
    throw new ArbiterError('ARB_ERR_INPUT_NOT_FOUND', `${path}: no such file or directory`);
  }
  const now = new Date();
  if (stat.isFile()) {
    const collected = await gatherRelease(loadRelease(path), {
      ...(options.osv ? { osv: options.osv } : {}),
      now,
    });
    return { bom: collected.bom, warnings: collected.warnings };
  }
  const identity = projectIdentity(path);
  const { packages, warnings } = readPackages(findLockfiles(path));
  const vulnerabilities = options.osv
    ? matchVulnerabilities(await openOsvDatabase(options.osv), packages)
    : [];
  const bom = buildBom({
    subject: { name: options.name ?? identity.name, version: options.subjectVersion ?? identity.version },
    packages,
    models: await modelFilesIn(path),
    datasets: [],
    vulnerabilities: bomVulnerabilities(vulnerabilities),
    timestamp: now,
    tool: arbiterTool(),
    serialNumber: `urn:uuid:${randomUUID()}`,
  });
  assertValidBom(bom, 'the generated BOM');
  return { bom, warnings };
}

function readBom(file: string): unknown {
  const text = readInputText(file);
  let bom: unknown;
  try {
    bom = JSON.parse(text);
  } catch (error) {
    throw new ArbiterError('ARB_ERR_INPUT_INVALID', `${file}: not JSON (${(error as Error).message})`);
  }
  assertValidBom(bom, file);
  return bom;
}

function describeDiff(diff: BomDiff): string[] {
  const lines: string[] = [];
  const label = (c: { type: string; name: string; version?: string }) =>
    `${c.type} ${c.name}${c.version ? `@${c.version}` : ''}`;
  for (const c of diff.added)
    lines.push(`+ ${label(c)}${c.licenses.length ? `  (${c.licenses.join(', ')})` : ''}`);
  for (const c of diff.removed) lines.push(`- ${label(c)}`);
  for (const c of diff.changed) {
    const parts = [
      c.changes.includes('version') ? `version ${c.from.version ?? '?'} → ${c.to.version ?? '?'}` : '',
      c.changes.includes('license')
        ? `licence ${c.from.licenses.join(', ') || 'none'} → ${c.to.licenses.join(', ') || 'none'}`
        : '',
      c.changes.includes('hash') ? 'content hash changed' : '',
    ].filter(Boolean);
    lines.push(`~ ${c.type} ${c.name}: ${parts.join('; ')}`);
  }
  for (const s of diff.suspicious) lines.push(`! ${s.type} ${s.name}: ${s.reason}`);
  const counts = `${diff.added.length} added, ${diff.removed.length} removed, ${diff.changed.length} changed, ${diff.suspicious.length} need review`;
  lines.push(lines.length === 0 ? `no differences (${counts})` : counts);
  return lines;
}

/** `arbiter bom PATH` and `arbiter bom diff OLD NEW`. */
export function registerBomCommands(program: Command, output: Output, run: Run): void {
  const bom = program
    .command('bom')
    .description(
      'write a CycloneDX 1.6 AI-BOM for a project directory (lockfiles, model files found by content) or a Release file (models with model card, datasets, dependencies)',
    )
    .argument('<path>', 'a project directory or a Release file')
    .option('-o, --output <file>', 'write the BOM here instead of standard output')
    .option('--osv <path>', 'add known vulnerabilities from an OSV database (directory or all.zip)')
    .option(
      '--name <name>',
      'the name of the BOM subject (directory mode; default package.json name or the directory)',
    )
    .option(
      '--subject-version <version>',
      'the version of the BOM subject (directory mode; default package.json version)',
    )
    .action((path: string, options: BomOptions) =>
      run(async () => {
        const { bom: document, warnings } = await bomFor(path, options);
        const text = `${JSON.stringify(document, null, 2)}\n`;
        if (options.output) writeFileSync(options.output, text);
        else output.out(text);
        for (const warning of warnings) output.err(`warning: ${warning}`);
        if (options.output) {
          const components = (document.components as unknown[]).length;
          output.err(`wrote ${options.output}: CycloneDX 1.6, ${components} components`);
        }
        return exitCodes.ok;
      }),
    );
  bom
    .command('diff')
    .description(
      'compare two CycloneDX BOMs: added, removed and changed models, datasets and packages, licence changes, and hash changes without a new signature (exit 1 when any needs review)',
    )
    .argument('<old>', 'the earlier BOM (JSON)')
    .argument('<new>', 'the later BOM (JSON)')
    .option('--json', 'print the differences as JSON')
    .action((oldFile: string, newFile: string, options: { json?: boolean }) =>
      run(() => {
        const diff = diffBoms(readBom(oldFile), readBom(newFile));
        if (options.json) output.out(JSON.stringify(diff, null, 2));
        else for (const line of describeDiff(diff)) output.out(line);
        return diff.suspicious.length > 0 ? exitCodes.failed : exitCodes.ok;
      }),
    );
}
