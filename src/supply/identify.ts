import { ByteCursor, iteratorSource, readerSource } from './byte-cursor.js';
import { type Compression, CorruptCompressedData, decompressChunks } from './decompress.js';
import { isGguf, isHdf5, isNpy, isSafetensors } from './formats.js';
import { defaultScanLimits, LimitExceeded } from './limits.js';
import { isOnnx } from './onnx.js';
import { isOpcode, PickleError, type PickleSightings, parsePickle } from './pickle.js';
import { type RandomAccessReader, readerChunks } from './reader.js';
import { isZip } from './zip.js';

/**
 * What a file is, decided from its content as the loaders decide it (a name only separates known
 * non-model data, such as a tokenizer's JSON, from files the scanner cannot identify).
 */

/**
 * Model file formats, detected from content. `data` is known non-model data; `unknown` is a
 * finding; `directory` is a model kept as a directory of files (supply/model-directory.ts).
 */
export const modelFormats = [
  'pytorch-zip',
  'pytorch-legacy',
  'pickle',
  'joblib',
  'numpy',
  'numpy-npz',
  'keras',
  'keras-h5',
  'safetensors',
  'gguf',
  'onnx',
  'zip',
  'data',
  'unknown',
  'directory',
] as const;
export type ModelFormat = (typeof modelFormats)[number];

export interface Identified {
  format: ModelFormat;
  /** For compressed pickles (joblib containers): the compressor and where its stream starts. */
  compression?: Compression;
  compressedFrom?: number;
  /** An archive or compressor the scanner recognises but does not open (7z, RAR, tar, zstd). */
  unreadable?: string;
}

/**
 * Containers a loader may open but this scanner does not. Recognising them matters: what cannot be
 * read fails closed (legacy `torch.load` opens tar archives; other scanners open 7z).
 */
function unreadableContainer(head: Uint8Array): string | undefined {
  const starts = (bytes: number[], at = 0) => bytes.every((byte, i) => head[at + i] === byte);
  if (starts([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c])) return 'a 7z archive';
  if (starts([0x52, 0x61, 0x72, 0x21, 0x1a, 0x07])) return 'a RAR archive';
  if (starts([0x28, 0xb5, 0x2f, 0xfd])) return 'a Zstandard stream';
  if (starts([0x75, 0x73, 0x74, 0x61, 0x72], 257)) return 'a tar archive (the legacy torch.load format)';
  return undefined;
}

/**
 * joblib's container prefixes (joblib 1.6.0 `joblib/compressor.py`): zlib `x`, gzip `\x1f\x8b`,
 * bz2 `BZ`, xz `\xfd7zXZ`, lzma `]\x00`, lz4 `\x04"M\x18`, and pre-0.9.3 `ZF` + a 19-byte length.
 */
function containerOf(head: Uint8Array): { compression: Compression; from: number } | 'lz4' | undefined {
  const [a = -1, b = -1, c = -1] = head;
  if (a === 0x5a && b === 0x46) return { compression: 'zlib', from: 21 };
  if (a === 0x78 && ((a << 8) | b) % 31 === 0) return { compression: 'zlib', from: 0 };
  if (a === 0x1f && b === 0x8b) return { compression: 'gzip', from: 0 };
  if (a === 0x42 && b === 0x5a && c === 0x68) return { compression: 'bzip2', from: 0 };
  if (a === 0xfd && b === 0x37 && c === 0x7a && head[3] === 0x58 && head[4] === 0x5a)
    return { compression: 'xz', from: 0 };
  if (a === 0x5d && b === 0x00) return { compression: 'lzma', from: 0 };
  if (a === 0x04 && b === 0x22 && c === 0x4d && head[3] === 0x18) return 'lz4';
  return undefined;
}

/** The decompressed stream of a container, under `limits`. */
export function containerCursor(
  reader: RandomAccessReader,
  compression: Compression,
  from: number,
  limits = defaultScanLimits,
): ByteCursor {
  const compressed = readerChunks(reader, { start: from, chunkBytes: 64 * 1024 });
  return new ByteCursor(iteratorSource(decompressChunks(compressed, compression, limits)));
}

/** What a compressed container's first bytes decode to: a binary pickle, something else, or nothing. */
async function containerContent(
  reader: RandomAccessReader,
  compression: Compression,
  from: number,
): Promise<'pickle' | 'other' | 'corrupt'> {
  try {
    const cursor = containerCursor(reader, compression, from);
    if (!(await cursor.fill(2))) return 'other';
    const [proto, version] = cursor.peek(2);
    return proto === 0x80 && version! <= 5 ? 'pickle' : 'other';
  } catch (error) {
    if (error instanceof CorruptCompressedData || error instanceof LimitExceeded) return 'corrupt';
    throw error;
  }
}

const dottedName = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/**
 * Protocol 0 and 1 pickles are text-like and have no magic. Bytes count as a pickle when parsing
 * them imports a well-formed global (the point where a loader starts running code), whether or
 * not the parse then fails; text that merely starts with an opcode letter does not.
 */
async function isTextPickle(reader: RandomAccessReader, head: Uint8Array): Promise<boolean> {
  if (head.length === 0 || !isOpcode(head[0]!) || head[0] === 0x80) return false;
  const seen: PickleSightings = { imports: [], calls: [], nested: [] };
  try {
    await parsePickle(new ByteCursor(readerSource(reader)), { seen });
  } catch (error) {
    if (!(error instanceof PickleError) && !(error instanceof LimitExceeded)) throw error;
  }
  return seen.imports.some((item) => dottedName.test(item.module) && dottedName.test(item.name));
}

const dataExtensions =
  /\.(json|jsonl|ndjson|yaml|yml|txt|md|markdown|rst|csv|tsv|toml|cfg|ini|lock|tiktoken|xml|html)$/i;
const dataNames =
  /(^|\/)(README|LICEN[CS]E|NOTICE|COPYING|AUTHORS|CHANGELOG|\.gitattributes|\.gitignore)(\.[A-Za-z]+)?$/i;
/** Binary tokenizer files (SentencePiece protobufs) named as the libraries name them. */
const tokenizerNames = /(^|\/)(tokenizer|spiece|sentencepiece(\.bpe)?|spm)\.model$/i;

/** Text: no NUL byte and valid UTF-8 in the first kilobytes. */
function looksLikeText(head: Uint8Array): boolean {
  if (head.includes(0)) return false;
  try {
    // A multi-byte character cut at the end of the sample is not an error.
    new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(0, Math.max(0, head.length - 4)));
    return true;
  } catch {
    return false;
  }
}

/** Decides the format of `reader`'s content; `name` is used only to recognise known non-model data. */
export async function identify(reader: RandomAccessReader, name: string): Promise<Identified> {
  const head = await reader.read(0, 8192);
  if (isZip(head)) return { format: 'zip' };
  if (isNpy(head)) return { format: 'numpy' };
  if (isHdf5(head)) return { format: 'keras-h5' };
  if (isGguf(head)) return { format: 'gguf' };
  if (isSafetensors(head, reader.size)) return { format: 'safetensors' };
  if (head[0] === 0x80 && (head[1] ?? 99) <= 5) {
    // Legacy PyTorch files begin with a pickled magic number: PROTO 2, LONG1 10 bytes, 0x1950a86a20f9469cfc6c.
    if (head[2] === 0x8a && head[3] === 0x0a && head[4] === 0x6c && head[5] === 0xfc)
      return { format: 'pytorch-legacy' };
    return { format: 'pickle' };
  }
  const unreadable = unreadableContainer(head);
  if (unreadable) return { format: 'unknown', unreadable };
  const container = containerOf(head);
  if (container === 'lz4') return { format: 'joblib' };
  if (container) {
    // A corrupt stream behind an unmistakable magic (not zlib's lone `x`, which text can start with)
    // is still a container: scanning it reports what it cannot decode instead of calling it unknown.
    const content = await containerContent(reader, container.compression, container.from);
    const unmistakable = container.compression !== 'zlib' || container.from > 0 || !looksLikeText(head);
    if (content === 'pickle' || (content === 'corrupt' && unmistakable))
      return { format: 'joblib', compression: container.compression, compressedFrom: container.from };
  }
  if (await isOnnx(reader, head)) return { format: 'onnx' };
  if (await isTextPickle(reader, head)) return { format: 'pickle' };
  if (
    tokenizerNames.test(name) ||
    ((dataExtensions.test(name) || dataNames.test(name)) && looksLikeText(head))
  )
    return { format: 'data' };
  return { format: 'unknown' };
}

/** Archive kinds, from member names: a `data.pkl` under a directory is PyTorch, config + weights is Keras, all `.npy` is NumPy. */
export function archiveKind(names: readonly string[]): ModelFormat {
  if (names.some((name) => /(^|\/)data\.pkl$/.test(name))) return 'pytorch-zip';
  if (names.includes('config.json') && names.some((name) => name.endsWith('.h5') || name === 'metadata.json'))
    return 'keras';
  if (names.length > 0 && names.every((name) => name.endsWith('.npy'))) return 'numpy-npz';
  return 'zip';
}
