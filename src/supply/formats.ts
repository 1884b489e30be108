import type { ScanFinding } from './findings.js';
import { scanPickles } from './pickle.js';

/**
 * Header checks for model formats that must not run code but can be malformed to attack
 * their parsers (out-of-bounds offsets, huge lengths), and the object arrays of NumPy files,
 * which carry pickles.
 */

const npyMagic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

export function isNpy(data: Uint8Array): boolean {
  return npyMagic.every((byte, i) => data[i] === byte);
}

/** NumPy .npy: a header dict; object arrays (dtype `O`) store their elements as a pickle. */
export function scanNpy(file: string, data: Uint8Array): ScanFinding[] {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (data.length < 10)
    return [{ file, offset: 0, severity: 'high', rule: 'npy-malformed', message: 'truncated .npy header' }];
  const major = data[6]!;
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const headerStart = major === 1 ? 10 : 12;
  const headerEnd = headerStart + headerLength;
  if (headerEnd > data.length)
    return [
      {
        file,
        offset: 8,
        severity: 'high',
        rule: 'npy-malformed',
        message: `.npy header length ${headerLength} runs past the end of the file`,
      },
    ];
  const header = new TextDecoder('latin1').decode(data.subarray(headerStart, headerEnd));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1] ?? /'descr'\s*:\s*(\[)/.exec(header)?.[1];
  if (descr === undefined)
    return [
      {
        file,
        offset: headerStart,
        severity: 'high',
        rule: 'npy-malformed',
        message: '.npy header has no descr',
      },
    ];
  if (!descr.includes('O') && descr !== '[') return [];
  const pickled = scanPickles(file, data, { start: headerEnd, maxPickles: 1 });
  return [
    {
      file,
      offset: headerEnd,
      severity: pickled.some((f) => f.severity === 'critical') ? 'critical' : 'medium',
      rule: 'npy-object-array',
      message: `object array (descr ${descr}): its elements are a pickle, and np.load(allow_pickle=True) runs it`,
    },
    ...pickled,
  ];
}

export function isSafetensors(data: Uint8Array): boolean {
  if (data.length < 10) return false;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const length = Number(view.getBigUint64(0, true));
  return length > 1 && length <= data.length - 8 && data[8] === 0x7b; // '{'
}

const dtypeBytes: Record<string, number> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
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
};

/** safetensors: an 8-byte header length, a JSON header, then tensors that must lie inside the data and not overlap. */
export function scanSafetensors(file: string, data: Uint8Array): ScanFinding[] {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const problem = (offset: number, message: string): ScanFinding[] => [
    { file, offset, severity: 'high', rule: 'safetensors-malformed', message },
  ];
  if (data.length < 8) return problem(0, 'shorter than the 8-byte header length');
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > 100 * 1024 * 1024)
    return problem(0, `header length ${headerLength} exceeds the 100 MB limit`);
  if (8 + headerLength > data.length)
    return problem(0, `header length ${headerLength} runs past the end of the file`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(data.subarray(8, 8 + headerLength)));
  } catch {
    return problem(8, 'header is not valid UTF-8 JSON');
  }
  const dataSize = data.length - 8 - headerLength;
  const spans: [number, number, string][] = [];
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null || Object.values(raw).some((v) => typeof v !== 'string'))
        return problem(8, '__metadata__ must map strings to strings');
      continue;
    }
    const tensor = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
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
  return [];
}

export function isGguf(data: Uint8Array): boolean {
  return data.length >= 4 && data[0] === 0x47 && data[1] === 0x47 && data[2] === 0x55 && data[3] === 0x46;
}

/** GGUF: header, key-value metadata and tensor infos whose lengths, counts and offsets must stay inside the file. */
export function scanGguf(file: string, data: Uint8Array): ScanFinding[] {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let at = 4;
  const problem = (message: string): ScanFinding[] => [
    { file, offset: at, severity: 'high', rule: 'gguf-malformed', message },
  ];
  const need = (count: number) => at + count <= data.length;
  if (!need(20)) return problem('truncated header');
  const version = view.getUint32(at, true);
  at += 4;
  if (version < 1 || version > 3) return problem(`unsupported GGUF version ${version}`);
  const tensorCount = Number(view.getBigUint64(at, true));
  const kvCount = Number(view.getBigUint64(at + 8, true));
  at += 16;
  // Each entry needs at least a few bytes: counts beyond the file size are lies meant to exhaust memory.
  if (tensorCount > data.length / 8 || kvCount > data.length / 8)
    return problem(`counts (${tensorCount} tensors, ${kvCount} keys) cannot fit in ${data.length} bytes`);
  const string = (): string | undefined => {
    if (!need(8)) return undefined;
    const length = Number(view.getBigUint64(at, true));
    at += 8;
    if (!need(length)) return undefined;
    const text = new TextDecoder().decode(data.subarray(at, at + length));
    at += length;
    return text;
  };
  const scalarSize: Record<number, number> = {
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
  const skipValue = (type: number, depth: number): boolean => {
    if (type in scalarSize) {
      if (!need(scalarSize[type]!)) return false;
      at += scalarSize[type]!;
      return true;
    }
    if (type === 8) return string() !== undefined;
    if (type === 9 && depth < 4) {
      if (!need(12)) return false;
      const itemType = view.getUint32(at, true);
      const count = Number(view.getBigUint64(at + 4, true));
      at += 12;
      if (count > data.length) return false;
      for (let i = 0; i < count; i++) if (!skipValue(itemType, depth + 1)) return false;
      return true;
    }
    return false;
  };
  for (let i = 0; i < kvCount; i++) {
    const key = string();
    if (key === undefined || !need(4)) return problem(`metadata entry ${i} runs past the end of the file`);
    const type = view.getUint32(at, true);
    at += 4;
    if (!skipValue(type, 0))
      return problem(`metadata value ${key} (type ${type}) is invalid or runs past the end`);
  }
  const tensors: { name: string; offset: number }[] = [];
  for (let i = 0; i < tensorCount; i++) {
    const name = string();
    if (name === undefined || !need(4)) return problem(`tensor info ${i} runs past the end of the file`);
    const dims = view.getUint32(at, true);
    at += 4;
    if (dims > 8 || !need(dims * 8 + 12))
      return problem(`tensor ${name} has ${dims} dimensions or runs past the end`);
    at += dims * 8 + 4;
    tensors.push({ name, offset: Number(view.getBigUint64(at, true)) });
    at += 8;
  }
  const alignment = 32;
  const dataStart = Math.ceil(at / alignment) * alignment;
  for (const tensor of tensors) {
    if (tensor.offset % alignment !== 0 || dataStart + tensor.offset > data.length) {
      return problem(`tensor ${tensor.name} offset ${tensor.offset} is misaligned or outside the file`);
    }
  }
  return [];
}

const hdf5Magic = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

export function isHdf5(data: Uint8Array): boolean {
  return hdf5Magic.every((byte, i) => data[i] === byte);
}

/**
 * Keras models (HDF5 .h5, or the model config of a .keras archive): a Lambda layer stores Python
 * code (marshalled bytecode or source) that runs when the model is loaded without safe mode.
 * HDF5 keeps the model config as a JSON string attribute, so searching the bytes finds it.
 */
export function scanKerasConfig(file: string, data: Uint8Array): ScanFinding[] {
  const text = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('latin1');
  const findings: ScanFinding[] = [];
  const pattern = /"class_name"\s*:\s*"(Lambda|TFOpLambda)"/g;
  for (const match of text.matchAll(pattern)) {
    findings.push({
      file,
      offset: match.index ?? 0,
      severity: match[1] === 'Lambda' ? 'high' : 'medium',
      rule: 'keras-lambda',
      message: `Keras ${match[1]} layer: it carries Python code that runs when the model is loaded (unless safe_mode is on)`,
    });
  }
  return findings;
}
