import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import type { Command } from 'commander';
import { openOsvDatabase, readPackages } from '../app/releases/package-files.js';
import { withFileReader } from '../app/supply/file-reader.js';
import { filesUnder } from '../app/supply/model-files.js';
import { packageVersion } from '../app/version.js';
import { ArbiterError } from '../core/errors.js';
import { sarifLog } from '../core/sarif.js';
import { matchVulnerabilities } from '../gate/collect.js';
import { type Severity, severities, severityRank } from '../supply/findings.js';
import { isLockfile } from '../supply/lockfiles.js';
import { type FileScan, scanReader } from '../supply/scan.js';
import { type ExitCode, exitCodes } from './exit-codes.js';
import type { Output } from './io.js';
import { largeFileProgress, type ProgressStream } from './progress.js';

type Run = (action: () => Promise<ExitCode> | ExitCode) => Promise<void>;

const level = (severity: Severity) =>
  severity === 'critical' || severity === 'high' ? 'error' : severity === 'medium' ? 'warning' : 'note';

export { filesUnder };

/** SARIF for scan results, paths relative to the current directory. */
export function scanSarif(scans: readonly FileScan[]) {
  const findings = scans.flatMap((scan) => scan.findings);
  const rules = [...new Set(findings.map((finding) => finding.rule))].map((id) => ({
    id,
    description: ruleDescriptions[id] ?? id,
  }));
  return sarifLog(
    { name: 'arbiter-scan', version: packageVersion() },
    rules,
    findings.map((finding) => ({
      ruleId: finding.rule,
      level: level(finding.severity),
      message: `${finding.message}${finding.global ? ` (${finding.global})` : ''}`,
      file: relative(process.cwd(), finding.file.split('!')[0]!),
      byteOffset: finding.offset,
      fingerprint: `${finding.rule}:${finding.file}:${finding.global ?? finding.offset}`,
      properties: { severity: finding.severity, member: finding.file },
    })),
  );
}

const ruleDescriptions: Record<string, string> = {
  'pickle-global': 'A pickle imports a global that can run code when the file is loaded',
  'pickle-unparseable': 'A pickle cannot be parsed, so its safety cannot be established',
  'npy-object-array': 'A NumPy object array stores its elements as a pickle',
  'npy-malformed': 'A NumPy file header is malformed',
  'safetensors-malformed': 'A safetensors header is malformed or points outside the file',
  'gguf-malformed': 'A GGUF header is malformed or points outside the file',
  'keras-lambda': 'A Keras Lambda layer carries code that runs when the model is loaded',
  'zip-malformed': 'A model archive cannot be read',
  'zip-crc-mismatch': 'An archive member does not match the CRC-32 its directory records',
  'archive-limit':
    'An archive or compressed stream exceeds a size, ratio or nesting limit (a decompression bomb)',
  'scan-limit': 'A file exceeds what the scanner tracks (header size, pickle complexity, number of findings)',
  'compressed-corrupt': 'A compressed container does not decompress to its end',
  'compressed-unreadable': 'A compressed container uses a compressor the scanner does not read',
  'archive-unreadable':
    'An archive format the scanner recognises but does not open (7z, RAR, tar, Zstandard)',
  'pickle-nested': 'A pickle loads a nested pickle from its own bytes; those bytes were scanned',
  'onnx-custom-op': 'An ONNX model uses operators of a custom domain, which need a native custom-op library',
  'onnx-external-data': 'An ONNX model keeps tensor data in external files',
  'onnx-malformed': 'An ONNX model cannot be read to its end',
  'unknown-format': 'A file is neither a model format the scanner knows nor known data',
  'scan-error': 'The scanner failed on a file, so it cannot vouch for it',
  'vulnerable-package': 'A locked package has a known vulnerability (OSV)',
};

/** Known vulnerabilities of the packages in the scanned lockfiles, as findings on those files. */
async function addVulnerabilities(
  scans: FileScan[],
  lockfiles: readonly string[],
  osv: string,
): Promise<void> {
  const database = await openOsvDatabase(osv);
  const { packages } = readPackages(lockfiles);
  for (const vulnerability of matchVulnerabilities(database, packages)) {
    const scan = scans.find(
      (candidate) => relative(process.cwd(), candidate.file) === vulnerability.package.lockfile,
    );
    scan?.findings.push({
      file: scan.file,
      offset: 0,
      // A record without a severity counts as high, as in the gate: unknown is not harmless.
      severity: vulnerability.severity === 'unknown' ? 'high' : vulnerability.severity,
      rule: 'vulnerable-package',
      message: `${vulnerability.package.name}@${vulnerability.package.version}: ${vulnerability.id} ${vulnerability.summary}${vulnerability.fixedIn ? ` (fixed in ${vulnerability.fixedIn})` : ''}`,
      global: vulnerability.id,
    });
  }
}

/** Scans one file in place; large files show progress on a terminal (never with --json). */
function scanWithProgress(
  file: string,
  options: { unknownSeverity: Severity; terminal: ProgressStream | undefined },
): Promise<FileScan> {
  return withFileReader(file, async (reader) => {
    const bar = largeFileProgress(options.terminal)(file, reader.size);
    try {
      return await scanReader(file, reader, {
        unknownSeverity: options.unknownSeverity,
        ...(bar ? { progress: bar.progress } : {}),
      });
    } finally {
      bar?.done();
    }
  });
}

/** `arbiter scan PATH…`: model files that run code when loaded, and malformed headers. */
export function registerScanCommand(
  program: Command,
  output: Output,
  run: Run,
  terminal: ProgressStream = process.stderr,
): void {
  program
    .command('scan')
    .description(
      'scan model files (pickle, PyTorch, NumPy, Keras, safetensors, GGUF) for code that runs on load; exit 1 on findings at or above --fail-on',
    )
    .argument('<paths...>', 'files or directories')
    .option('--fail-on <severity>', `lowest severity that fails: ${severities.join(', ')}`, 'high')
    .option(
      '--unknown <severity>',
      'severity of files the scanner cannot identify (unknown-format)',
      'medium',
    )
    .option('--json', 'print the results as JSON')
    .option('--sarif <file>', 'also write SARIF 2.1.0 (for code scanning)')
    .option(
      '--osv <path>',
      'also match lockfiles among the paths against an OSV database (directory or all.zip)',
    )
    .action(
      (
        paths: string[],
        options: { failOn: string; unknown: string; json?: boolean; sarif?: string; osv?: string },
      ) =>
        run(async () => {
          for (const [flag, value] of [
            ['--fail-on', options.failOn],
            ['--unknown', options.unknown],
          ] as const)
            if (!severities.includes(value as Severity))
              throw new ArbiterError('ARB_ERR_USAGE', `${flag} must be one of ${severities.join(', ')}`);
          const files = filesUnder(paths);
          const scans: FileScan[] = [];
          for (const file of files)
            scans.push(
              await scanWithProgress(file, {
                unknownSeverity: options.unknown as Severity,
                terminal: options.json ? undefined : terminal,
              }),
            );
          if (options.osv) await addVulnerabilities(scans, files.filter(isLockfile), options.osv);
          const findings = scans.flatMap((scan) => scan.findings);
          const failing = findings.filter(
            (finding) => severityRank(finding.severity) >= severityRank(options.failOn as Severity),
          );
          if (options.sarif) writeFileSync(options.sarif, `${JSON.stringify(scanSarif(scans), null, 2)}\n`);
          if (options.json) {
            output.out(JSON.stringify({ files: scans, failed: failing.length > 0 }, null, 2));
          } else {
            for (const scan of scans) {
              output.out(
                `${scan.findings.length === 0 ? 'ok  ' : 'FAIL'}  ${scan.file}  (${scan.format}, ${scan.sizeBytes} bytes, sha256 ${scan.sha256.slice(0, 16)}…)`,
              );
              for (const finding of scan.findings) {
                output.out(
                  `      ${finding.severity.padEnd(8)} ${finding.rule}  ${finding.file === scan.file ? '' : `${finding.file.split('!')[1]}  `}@${finding.offset}: ${finding.message}`,
                );
              }
            }
            output.out(
              `\n${scans.length} files, ${findings.length} findings, ${failing.length} at or above ${options.failOn}`,
            );
          }
          return failing.length > 0 ? exitCodes.failed : exitCodes.ok;
        }),
    );
}
