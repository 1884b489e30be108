import { ByteCursor, type ChunkSource, readerSource } from './byte-cursor.js';
import { type Compression, CorruptCompressedData } from './decompress.js';
import { type ScanFinding, type Severity, severityRank } from './findings.js';
import { isNpy, scanGguf, scanKerasConfig, scanNpy, scanSafetensors } from './formats.js';
import { archiveKind, containerCursor, identify, type ModelFormat } from './identify.js';
import { defaultScanLimits, LimitExceeded, type ScanLimits } from './limits.js';
import { scanOnnx } from './onnx.js';
import { scanPickleStream } from './pickle-scan.js';
import { bytesReader, type Progress, type RandomAccessReader, sha256Of, sliceReader } from './reader.js';
import { maxFindingsPerFile, type ScanScope } from './scan-scope.js';
import { listZip, memberCrcMatches, memberSource, ZipError, type ZipMember } from './zip.js';

export { type ModelFormat, modelFormats } from './identify.js';

/**
 * Model-file scanning: what a file is (from its content), and what loading it would do. A file is
 * read through a random-access reader — its SHA-256 streamed, its headers, directories and pickles
 * read where they are — so its size costs time, not memory. Archives and compressed containers are
 * opened under limits; what the scanner cannot read to the end is a finding, never a pass.
 */

export interface FileScan {
  file: string;
  format: ModelFormat;
  sizeBytes: number;
  sha256: string;
  findings: ScanFinding[];
  /** For compressed pickles (joblib containers): the compressor. */
  compression?: Compression | 'lz4';
}

export interface ScanOptions {
  limits?: Partial<ScanLimits>;
  /** Severity of an `unknown-format` finding (default medium). */
  unknownSeverity?: Severity;
  /** Told how far the SHA-256 pass (the bulk of a large file's time) has come. */
  progress?: Progress;
}

/** Compressed members up to this size are inflated into memory so random-access scanners can read them. */
const inMemoryMemberBytes = 64 * 1024 * 1024;

/** Scans one file's content, read through `reader`. Archive members are reported as `file!member`. */
export async function scanReader(
  file: string,
  reader: RandomAccessReader,
  options: ScanOptions = {},
): Promise<FileScan> {
  const limits: ScanLimits = { ...defaultScanLimits, ...options.limits };
  const findings: ScanFinding[] = [];
  let dropped = 0;
  const report = (finding: ScanFinding) => {
    if (findings.length < maxFindingsPerFile) findings.push(finding);
    else dropped++;
  };
  const sha256 = await sha256Of(reader, options.progress);
  const scanner = new Scanner(limits, report, options.unknownSeverity ?? 'medium');
  const identified = await scanner.scanFile(file, reader, 0);
  if (dropped > 0)
    findings.push({
      file,
      offset: 0,
      severity: findings.reduce<Severity>(
        (worst, f) => (severityRank(f.severity) > severityRank(worst) ? f.severity : worst),
        'high',
      ),
      rule: 'scan-limit',
      message: `${dropped} more findings were not listed (a file may list at most ${maxFindingsPerFile})`,
    });
  return {
    file,
    format: identified.format,
    sizeBytes: reader.size,
    sha256,
    findings,
    ...(identified.compression ? { compression: identified.compression } : {}),
  };
}

/** Scans bytes already in memory. */
export function scanBytes(file: string, data: Uint8Array, options: ScanOptions = {}): Promise<FileScan> {
  return scanReader(file, bytesReader(data), options);
}

/** The format of a file's content, as the scanner decides it (archives by their member names). */
export async function detectFormat(reader: RandomAccessReader, name = ''): Promise<ModelFormat> {
  const { format } = await identify(reader, name);
  if (format !== 'zip') return format;
  try {
    return archiveKind((await listZip(reader, defaultScanLimits)).map((member) => member.name));
  } catch {
    return 'zip';
  }
}

/** The rule a failure to read something becomes. */
function failureFinding(file: string, offset: number, error: unknown): ScanFinding {
  if (error instanceof LimitExceeded)
    return {
      file,
      offset,
      severity: 'high',
      rule:
        error.limit === 'pickle-complexity' || error.limit === 'header-size' ? 'scan-limit' : 'archive-limit',
      message: error.message,
    };
  if (error instanceof ZipError)
    return {
      file,
      offset,
      severity: 'high',
      rule: 'zip-malformed',
      message: `archive cannot be read: ${error.message}`,
    };
  if (error instanceof CorruptCompressedData)
    return { file, offset, severity: 'high', rule: 'compressed-corrupt', message: error.message };
  return {
    file,
    offset,
    severity: 'high',
    rule: 'scan-error',
    message: `the scanner failed on this file (${error instanceof Error ? error.message : String(error)}); it cannot vouch for it`,
  };
}

class Scanner {
  constructor(
    private readonly limits: ScanLimits,
    private readonly report: (finding: ScanFinding) => void,
    private readonly unknownSeverity: Severity,
  ) {}

  private scope(depth: number): ScanScope {
    return {
      limits: this.limits,
      depth,
      report: this.report,
      scanInner: (file, reader) => this.scanInner(file, reader, depth + 1),
    };
  }

  /** A file (depth 0) or bytes found inside one: identified, then scanned; failures become findings. */
  async scanFile(file: string, reader: RandomAccessReader, depth: number) {
    let identified: Awaited<ReturnType<typeof identify>> = { format: 'unknown' };
    try {
      identified = await identify(reader, file);
      const format = await this.scanIdentified(file, reader, identified, depth);
      return { ...identified, format };
    } catch (error) {
      this.report(failureFinding(file, 0, error));
      return identified;
    }
  }

  private async scanInner(file: string, reader: RandomAccessReader, depth: number): Promise<void> {
    if (depth > this.limits.maxNestingDepth) {
      this.report(
        failureFinding(
          file,
          0,
          new LimitExceeded('nesting-depth', `nested deeper than ${this.limits.maxNestingDepth} containers`),
        ),
      );
      return;
    }
    await this.scanFile(file, reader, depth);
  }

  private async scanIdentified(
    file: string,
    reader: RandomAccessReader,
    identified: Awaited<ReturnType<typeof identify>>,
    depth: number,
  ): Promise<ModelFormat> {
    const scope = this.scope(depth);
    switch (identified.format) {
      case 'pickle':
      case 'pytorch-legacy': {
        const result = await scanPickleStream(file, new ByteCursor(readerSource(reader)), scope);
        return result.joblib ? 'joblib' : identified.format;
      }
      case 'joblib': {
        if (!identified.compression) {
          this.report({
            file,
            offset: 0,
            severity: 'high',
            rule: 'compressed-unreadable',
            message:
              'an lz4-compressed joblib container, which the scanner does not decompress: it cannot vouch for it',
          });
          return 'joblib';
        }
        const cursor = containerCursor(
          reader,
          identified.compression,
          identified.compressedFrom ?? 0,
          this.limits,
        );
        await scanPickleStream(file, cursor, scope);
        return 'joblib';
      }
      case 'numpy':
        await scanNpy(file, reader, scope);
        return 'numpy';
      case 'safetensors':
        await scanSafetensors(file, reader, scope);
        return 'safetensors';
      case 'gguf':
        await scanGguf(file, reader, scope);
        return 'gguf';
      case 'keras-h5':
        await scanKerasConfig(file, reader, scope);
        return 'keras-h5';
      case 'onnx':
        await scanOnnx(file, reader, scope);
        return 'onnx';
      case 'zip':
        return this.scanArchive(file, reader, depth);
      case 'data':
        return 'data';
      default:
        if (identified.unreadable) {
          this.report({
            file,
            offset: 0,
            severity: 'high',
            rule: 'archive-unreadable',
            message: `${identified.unreadable}, which the scanner does not open: it cannot vouch for what it holds`,
          });
          return 'unknown';
        }
        this.report({
          file,
          offset: 0,
          severity: this.unknownSeverity,
          rule: 'unknown-format',
          message:
            'the scanner cannot identify this file as a model format or as known data (JSON, YAML, text, Markdown, tokenizer or config files): nothing vouches for what loading it does',
        });
        return 'unknown';
    }
  }

  private async scanArchive(file: string, reader: RandomAccessReader, depth: number): Promise<ModelFormat> {
    let members: ZipMember[];
    try {
      members = await listZip(reader, this.limits);
    } catch (error) {
      this.report(failureFinding(file, 0, error));
      return 'zip';
    }
    const kind = archiveKind(members.map((member) => member.name));
    if (depth + 1 > this.limits.maxNestingDepth) {
      this.report(
        failureFinding(
          file,
          0,
          new LimitExceeded('nesting-depth', `archives nest deeper than ${this.limits.maxNestingDepth}`),
        ),
      );
      return kind;
    }
    for (const member of members) {
      if (member.name.endsWith('/')) continue;
      const name = `${file}!${member.name}`;
      try {
        await this.scanMember(name, reader, member, kind, depth + 1);
      } catch (error) {
        this.report(failureFinding(name, member.offset, error));
      }
    }
    return kind;
  }

  /**
   * One archive member. Pickles are found by content and by name (PyTorch loads `data.pkl` whatever
   * it holds, and other pickles by name when asked); tensor storages are data unless they parse as a
   * pickle that imports something; everything else is identified like a file.
   */
  private async scanMember(
    name: string,
    archive: RandomAccessReader,
    member: ZipMember,
    kind: ModelFormat,
    depth: number,
  ) {
    const scope = this.scope(depth);
    const limits = { ...this.limits, maxInflatedBytes: Math.min(this.limits.maxInflatedBytes, member.size) };
    const source = await memberSource(archive, member, limits);
    const cursor = new ByteCursor(source);
    const storage = kind === 'pytorch-zip' && /(^|\/)data\/[^/]+$/.test(member.name);
    const namedPickle = /\.(pkl|pickle)$/i.test(member.name);
    if (storage) {
      await scanPickleStream(name, cursor, scope, { maxPickles: 1, opportunistic: true });
      return;
    }
    if (kind === 'keras' && member.name === 'config.json') {
      await scanKerasConfig(name, await this.memberReader(member, source), scope);
      return;
    }
    await cursor.fill(2);
    const head = cursor.peek(Math.min(2, cursor.available()));
    if (namedPickle || (head[0] === 0x80 && (head[1] ?? 99) <= 5)) {
      await scanPickleStream(name, cursor, scope);
      if (member.size <= inMemoryMemberBytes && !(await memberCrcMatches(archive, member, limits)))
        this.report({
          file: name,
          offset: member.offset,
          severity: 'medium',
          rule: 'zip-crc-mismatch',
          message:
            'the CRC-32 of this member does not match the archive directory: loaders disagree about such archives (some refuse them, PyTorch reads them)',
        });
      return;
    }
    if (member.method !== 0 && member.size > inMemoryMemberBytes) {
      if (isNpy(cursor.peek(Math.min(6, cursor.available())))) {
        this.report(
          failureFinding(
            name,
            member.offset,
            new LimitExceeded(
              'inflated-size',
              `a compressed .npy member of ${member.size} bytes is larger than the ${inMemoryMemberBytes} bytes the scanner inflates to check its header`,
            ),
          ),
        );
      }
      return;
    }
    const reader =
      member.method === 0
        ? sliceReader(archive, source.origin!.offset, member.compressedSize)
        : await this.memberReader(member, source, cursor);
    const identified = await identify(reader, member.name);
    if (identified.format === 'unknown' || identified.format === 'data') return;
    await this.scanIdentified(name, reader, identified, depth);
  }

  /** A member's whole content in memory (only for members up to `inMemoryMemberBytes`). */
  private async memberReader(
    member: ZipMember,
    source: ChunkSource,
    started?: ByteCursor,
  ): Promise<RandomAccessReader> {
    if (source.origin) return sliceReader(source.origin.reader, source.origin.offset, member.compressedSize);
    if (member.size > inMemoryMemberBytes)
      throw new LimitExceeded(
        'inflated-size',
        `member of ${member.size} bytes is larger than the ${inMemoryMemberBytes} bytes the scanner inflates into memory`,
      );
    const cursor = started ?? new ByteCursor(source);
    await cursor.fill(member.size + 1);
    const bytes = cursor.take(Math.min(cursor.available(), member.size)).slice();
    return bytesReader(bytes);
  }
}

export { ZipError };
