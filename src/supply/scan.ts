import { createHash } from 'node:crypto';
import type { ScanFinding } from './findings.js';
import {
  isGguf,
  isHdf5,
  isNpy,
  isSafetensors,
  scanGguf,
  scanKerasConfig,
  scanNpy,
  scanSafetensors,
} from './formats.js';
import { scanPickles } from './pickle.js';
import { isZip, listZip, readZipMember, ZipError } from './zip.js';

/** Model file formats, detected from content, never from the file name. */
export const modelFormats = [
  'pytorch-zip',
  'pytorch-legacy',
  'pickle',
  'numpy',
  'numpy-npz',
  'keras',
  'keras-h5',
  'safetensors',
  'gguf',
  'zip',
  'unknown',
] as const;
export type ModelFormat = (typeof modelFormats)[number];

export interface FileScan {
  file: string;
  format: ModelFormat;
  sizeBytes: number;
  sha256: string;
  findings: ScanFinding[];
}

/** Looks at the bytes: magic numbers, archive members, pickle opcodes. */
export function detectFormat(data: Uint8Array): ModelFormat {
  if (isZip(data)) {
    try {
      const names = listZip(data).map((member) => member.name);
      if (names.some((name) => /(^|\/)data\.pkl$/.test(name))) return 'pytorch-zip';
      if (
        names.some((name) => name === 'config.json') &&
        names.some((name) => name.endsWith('.h5') || name === 'metadata.json')
      )
        return 'keras';
      if (names.length > 0 && names.every((name) => name.endsWith('.npy'))) return 'numpy-npz';
    } catch {
      return 'zip';
    }
    return 'zip';
  }
  if (isNpy(data)) return 'numpy';
  if (isHdf5(data)) return 'keras-h5';
  if (isGguf(data)) return 'gguf';
  if (isSafetensors(data)) return 'safetensors';
  // A pickle starts with PROTO (protocol 2+) or, for protocols 0 and 1, with a plausible first opcode.
  if (data[0] === 0x80 && (data[1] ?? 99) <= 5) {
    // Legacy PyTorch files begin with a pickled magic number: PROTO 2, LONG1 10 bytes, 0x1950a86a20f9469cfc6c.
    if (data[2] === 0x8a && data[3] === 0x0a && data[4] === 0x6c && data[5] === 0xfc) return 'pytorch-legacy';
    return 'pickle';
  }
  if (data.length > 1 && '(cdl]}N'.includes(String.fromCharCode(data[0]!)) && data.includes(0x2e))
    return 'pickle';
  return 'unknown';
}

/** Scans one file's bytes. Archives are opened and their members scanned (`file!member`). */
export function scanBytes(file: string, data: Uint8Array): FileScan {
  const format = detectFormat(data);
  const sha256 = createHash('sha256').update(data).digest('hex');
  const base = { file, format, sizeBytes: data.length, sha256 };
  switch (format) {
    case 'pickle':
    case 'pytorch-legacy':
      return { ...base, findings: scanPickles(file, data) };
    case 'numpy':
      return { ...base, findings: scanNpy(file, data) };
    case 'safetensors':
      return { ...base, findings: scanSafetensors(file, data) };
    case 'gguf':
      return { ...base, findings: scanGguf(file, data) };
    case 'keras-h5':
      return { ...base, findings: scanKerasConfig(file, data) };
    case 'pytorch-zip':
    case 'numpy-npz':
    case 'keras':
    case 'zip':
      return { ...base, findings: scanArchive(file, data, format) };
    default:
      return { ...base, findings: [] };
  }
}

function scanArchive(file: string, data: Uint8Array, format: ModelFormat): ScanFinding[] {
  let members: ReturnType<typeof listZip>;
  try {
    members = listZip(data);
  } catch (error) {
    return [
      {
        file,
        offset: 0,
        severity: 'high',
        rule: 'zip-malformed',
        message: `archive cannot be read: ${(error as Error).message}`,
      },
    ];
  }
  const findings: ScanFinding[] = [];
  for (const member of members) {
    const name = `${file}!${member.name}`;
    const interesting =
      member.name.endsWith('.pkl') ||
      member.name.endsWith('.npy') ||
      member.name === 'config.json' ||
      (format === 'zip' && member.size < 512 * 1024 * 1024);
    if (!interesting) continue;
    let bytes: Uint8Array;
    try {
      bytes = readZipMember(data, member);
    } catch (error) {
      findings.push({
        file: name,
        offset: member.offset,
        severity: 'high',
        rule: 'zip-malformed',
        message: (error as Error).message,
      });
      continue;
    }
    const found = member.name.endsWith('.pkl')
      ? scanPickles(name, bytes)
      : member.name.endsWith('.npy')
        ? isNpy(bytes)
          ? scanNpy(name, bytes)
          : []
        : member.name === 'config.json'
          ? scanKerasConfig(name, bytes)
          : format === 'zip'
            ? scanBytes(name, bytes).findings
            : [];
    // One by one: a crafted pickle can yield more findings than push(...found) has stack for.
    for (const finding of found) findings.push(finding);
  }
  return findings;
}

export { ZipError };
