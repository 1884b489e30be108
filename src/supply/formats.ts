import { ByteCursor, readerSource } from './byte-cursor.js';
import type { ScanFinding } from './findings.js';
import { scanPickleStream } from './pickle-scan.js';
import { type RandomAccessReader, readerChunks } from './reader.js';
import type { ScanScope } from './scan-scope.js';

/**
 * Header checks for model formats that must not run code but can be malformed to attack their
 * parsers (out-of-bounds offsets, huge lengths), and the object arrays of NumPy files, which carry
 * pickles. Each reads only its header through the reader, so a file of any size costs its header.
 */

const npyMagic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

/** NumPy `.npy` magic: `\x93NUMPY`. */
export function isNpy(head: Uint8Array): boolean {
  return npyMagic.every((byte, i) => head[i] === byte);
}

const view = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** A header larger than the scanner reads whole: not a pass, a scan-limit finding. */
function headerTooLarge(file: string, offset: number, bytes: number, scope: ScanScope): void {
  scope.report({
    file,
    offset,
    severity: 'high',
    rule: 'scan-limit',
    message: `a header of ${bytes} bytes is larger than the ${scope.limits.maxHeaderBytes} bytes the scanner reads whole`,
  });
}

/** NumPy .npy: a header dict; object arrays (dtype `O`) store their elements as a pickle. */
export async function scanNpy(file: string, reader: RandomAccessReader, scope: ScanScope): Promise<void> {
  const problem = (offset: number, message: string) =>
    scope.report({ file, offset, severity: 'high', rule: 'npy-malformed', message });
  const start = await reader.read(0, 12);
  if (start.length < 10) return problem(0, 'truncated .npy header');
  const major = start[6]!;
  const headerLength = major === 1 ? view(start).getUint16(8, true) : view(start).getUint32(8, true);
  const headerStart = major === 1 ? 10 : 12;
  const headerEnd = headerStart + headerLength;
  if (headerEnd > reader.size)
    return problem(8, `.npy header length ${headerLength} runs past the end of the file`);
  if (headerLength > scope.limits.maxHeaderBytes) return headerTooLarge(file, 8, headerLength, scope);
  const header = new TextDecoder('latin1').decode(await reader.read(headerStart, headerLength));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1] ?? /'descr'\s*:\s*(\[)/.exec(header)?.[1];
  if (descr === undefined) return problem(headerStart, '.npy header has no descr');
  if (!descr.includes('O') && descr !== '[') return;
  const findings: ScanFinding[] = [];
  const inner: ScanScope = { ...scope, report: (finding) => findings.push(finding) };
  await scanPickleStream(file, new ByteCursor(readerSource(reader, headerEnd)), inner, { maxPickles: 1 });
  scope.report({
    file,
    offset: headerEnd,
    severity: findings.some((f) => f.severity === 'critical') ? 'critical' : 'medium',
    rule: 'npy-object-array',
    message: `object array (descr ${descr}): its elements are a pickle, and np.load(allow_pickle=True) runs it`,
  });
  for (const finding of findings) scope.report(finding);
}

/** safetensors: an 8-byte little-endian header length, then a JSON object. */
export function isSafetensors(head: Uint8Array, size: number): boolean {
  if (head.length < 10) return false;
  const length = Number(view(head).getBigUint64(0, true));
  return length > 1 && 8 + length <= size && head[8] === 0x7b;
}

const dtypeBytes: Record<string, number> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  F8_E8M0: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
  C64: 8,
};

/** The safetensors loader refuses headers above 100 MB. */
const safetensorsHeaderLimit = 100_000_000;

/** safetensors: tensors must lie inside the data section, match their shape and dtype, and not overlap. */
export async function scanSafetensors(
  file: string,
  reader: RandomAccessReader,
  scope: ScanScope,
): Promise<void> {
  const problem = (offset: number, message: string) =>
    scope.report({ file, offset, severity: 'high', rule: 'safetensors-malformed', message });
  if (reader.size < 8) return problem(0, 'shorter than the 8-byte header length');
  const headerLength = Number(view(await reader.read(0, 8)).getBigUint64(0, true));
  if (headerLength > safetensorsHeaderLimit)
    return problem(0, `header length ${headerLength} exceeds the 100 MB limit`);
  if (8 + headerLength > reader.size)
    return problem(0, `header length ${headerLength} runs past the end of the file`);
  if (headerLength > scope.limits.maxHeaderBytes) return headerTooLarge(file, 0, headerLength, scope);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(await reader.read(8, headerLength)));
  } catch {
    return problem(8, 'header is not valid UTF-8 JSON');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    return problem(8, 'header is not a JSON object');
  const dataSize = reader.size - 8 - headerLength;
  const spans: [number, number, string][] = [];
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null || Object.values(raw).some((v) => typeof v !== 'string'))
        return problem(8, '__metadata__ must map strings to strings');
      continue;
    }
    const tensor = (raw ?? {}) as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const size = typeof tensor.dtype === 'string' ? dtypeBytes[tensor.dtype] : undefined;
    if (size === undefined)
      return problem(8, `tensor ${name} has an unknown dtype ${JSON.stringify(tensor.dtype)}`);
    if (!Array.isArray(tensor.shape) || !tensor.shape.every((d) => Number.isSafeInteger(d) && d >= 0))
      return problem(8, `tensor ${name} has an invalid shape`);
    const offsets = tensor.data_offsets;
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)
    )
      return problem(8, `tensor ${name} has invalid data_offsets`);
    const [begin, end] = offsets as [number, number];
    if (begin > end || end > dataSize)
      return problem(
        8 + headerLength + begin,
        `tensor ${name} data [${begin}, ${end}) lies outside the ${dataSize}-byte data section`,
      );
    const expected = (tensor.shape as number[]).reduce((a, b) => a * b, 1) * size;
    if (end - begin !== expected)
      return problem(
        8 + headerLength + begin,
        `tensor ${name} holds ${end - begin} bytes but its shape and dtype need ${expected}`,
      );
    spans.push([begin, end, name]);
  }
  spans.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < spans.length; i++) {
    if (spans[i]![0] < spans[i - 1]![1])
      return problem(
        8 + headerLength + spans[i]![0],
        `tensors ${spans[i - 1]![2]} and ${spans[i]![2]} overlap`,
      );
  }
}

/** GGUF magic: `GGUF`. */
export function isGguf(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === 0x47 && head[1] === 0x47 && head[2] === 0x55 && head[3] === 0x46;
}

const ggufScalarBytes: Record<number, number> = {
  0: 1,
  1: 1,
  2: 2,
  3: 2,
  4: 4,
  5: 4,
  6: 4,
  7: 1,
  10: 8,
  11: 8,
  12: 8,
};
const maxGgufName = 64 * 1024;

/** GGUF: header, key-value metadata and tensor infos whose lengths, counts and offsets must stay inside the file. */
export async function scanGguf(file: string, reader: RandomAccessReader, scope: ScanScope): Promise<void> {
  const cursor = new ByteCursor(readerSource(reader));
  const problem = (message: string) =>
    scope.report({ file, offset: cursor.position, severity: 'high', rule: 'gguf-malformed', message });
  const need = async (count: number) => cursor.available() >= count || (await cursor.fill(count));
  const u32 = () => view(cursor.take(4)).getUint32(0, true);
  const u64 = () => Number(view(cursor.take(8)).getBigUint64(0, true));
  /** A string: its text when short enough to be a name, else skipped; undefined when it runs past the end. */
  const string = async (): Promise<string | undefined> => {
    if (!(await need(8))) return undefined;
    const length = u64();
    if (length > reader.size) return undefined;
    if (length > maxGgufName) return (await cursor.skip(length)) ? '<long string>' : undefined;
    if (!(await need(length))) return undefined;
    return new TextDecoder().decode(cursor.take(length));
  };
  const skipValue = async (type: number, depth: number): Promise<boolean> => {
    const scalar = ggufScalarBytes[type];
    if (scalar !== undefined) return cursor.skip(scalar);
    if (type === 8) return (await string()) !== undefined;
    if (type === 9 && depth < 4) {
      if (!(await need(12))) return false;
      const itemType = u32();
      const count = u64();
      if (count > reader.size) return false;
      const itemBytes = ggufScalarBytes[itemType];
      if (itemBytes !== undefined) return cursor.skip(count * itemBytes);
      for (let i = 0; i < count; i++) if (!(await skipValue(itemType, depth + 1))) return false;
      return true;
    }
    return false;
  };
  if (!(await need(24))) return problem('truncated header');
  cursor.take(4);
  const version = u32();
  if (version < 1 || version > 3) return problem(`unsupported GGUF version ${version}`);
  const tensorCount = u64();
  const kvCount = u64();
  // Each entry needs at least a few bytes: counts beyond the file size are lies meant to exhaust memory.
  if (tensorCount > reader.size / 8 || kvCount > reader.size / 8)
    return problem(`counts (${tensorCount} tensors, ${kvCount} keys) cannot fit in ${reader.size} bytes`);
  let alignment = 32;
  for (let i = 0; i < kvCount; i++) {
    const key = await string();
    if (key === undefined || !(await need(4)))
      return problem(`metadata entry ${i} runs past the end of the file`);
    const type = u32();
    if (key === 'general.alignment' && type === 4 && (await need(4))) {
      alignment = view(cursor.peek(4)).getUint32(0, true);
      if (alignment === 0 || alignment % 8 !== 0) return problem(`general.alignment ${alignment} is invalid`);
    }
    if (!(await skipValue(type, 0)))
      return problem(`metadata value ${key} (type ${type}) is invalid or runs past the end`);
  }
  const tensors: { name: string; offset: number }[] = [];
  for (let i = 0; i < tensorCount; i++) {
    const name = await string();
    if (name === undefined || !(await need(4)))
      return problem(`tensor info ${i} runs past the end of the file`);
    const dims = u32();
    if (dims > 8 || !(await need(dims * 8 + 12)))
      return problem(`tensor ${name} has ${dims} dimensions or runs past the end`);
    cursor.take(dims * 8 + 4);
    tensors.push({ name, offset: u64() });
  }
  const dataStart = Math.ceil(cursor.position / alignment) * alignment;
  for (const tensor of tensors) {
    if (tensor.offset % alignment !== 0 || dataStart + tensor.offset > reader.size)
      return problem(`tensor ${tensor.name} offset ${tensor.offset} is misaligned or outside the file`);
  }
}

const hdf5Magic = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/** HDF5 magic (Keras `.h5`). */
export function isHdf5(head: Uint8Array): boolean {
  return hdf5Magic.every((byte, i) => head[i] === byte);
}

/** Longest `"class_name": "Lambda"` match the chunked search must see whole. */
const lambdaOverlap = 256;

/**
 * Keras models (HDF5 .h5, or the model config of a .keras archive): a Lambda layer stores Python
 * code (marshalled bytecode or source) that runs when the model is loaded without safe mode.
 * HDF5 keeps the model config as a JSON string attribute, so searching the bytes finds it; the
 * search goes chunk by chunk with an overlap, so a file of any size is searched in bounded memory.
 */
export async function scanKerasConfig(
  file: string,
  reader: RandomAccessReader,
  scope: ScanScope,
): Promise<void> {
  const pattern = /"class_name"\s{0,64}:\s{0,64}"(Lambda|TFOpLambda)"/g;
  const decoder = new TextDecoder('latin1');
  let carry = '';
  let carryStart = 0;
  let position = 0;
  let reportedUpTo = -1;
  for await (const chunk of readerChunks(reader)) {
    const text = carry + decoder.decode(chunk);
    for (const match of text.matchAll(pattern)) {
      const offset = carryStart + (match.index ?? 0);
      if (offset <= reportedUpTo) continue;
      reportedUpTo = offset;
      scope.report({
        file,
        offset,
        severity: match[1] === 'Lambda' ? 'high' : 'medium',
        rule: 'keras-lambda',
        message: `Keras ${match[1]} layer: it carries Python code that runs when the model is loaded (unless safe_mode is on)`,
      });
    }
    position += chunk.length;
    carry = text.slice(-lambdaOverlap);
    carryStart = position - carry.length;
  }
}
