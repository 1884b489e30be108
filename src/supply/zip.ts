import { crc32 } from 'node:zlib';
import { ByteCursor, type ChunkSource, iteratorSource, readerSource } from './byte-cursor.js';
import { decompressChunks } from './decompress.js';
import { LimitExceeded, type ScanLimits } from './limits.js';
import { type RandomAccessReader, readerChunks } from './reader.js';

/**
 * A ZIP reader for model archives (PyTorch, NumPy .npz, Keras .keras, OSV all.zip) over a
 * random-access reader, so an archive of any size is read where its directory and members are.
 * It trusts the central directory over local headers, as PyTorch's miniz does: flag bits, data
 * descriptors, names that differ in the local header and bad CRCs do not stop it (the tricks that
 * made other scanners give up while `torch.load` went on). ZIP64 is supported; members are stored,
 * deflated, bzip2- or LZMA-compressed, and inflate under the scan's limits.
 */
export interface ZipMember {
  name: string;
  /** Offset of the member's local header. */
  offset: number;
  compressedSize: number;
  size: number;
  method: number;
  flags: number;
  crc32: number;
}

export class ZipError extends Error {
  override name = 'ZipError';
}

const eocdSignature = 0x06054b50;
const centralSignature = 0x02014b50;
const localSignature = 0x04034b50;
const zip64LocatorSignature = 0x07064b50;
const zip64EndSignature = 0x06064b50;

/** True when the bytes start with a local file header, as PyTorch's and NumPy's loaders require. */
export function isZip(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04;
}

const view = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

async function readExactly(reader: RandomAccessReader, offset: number, length: number, what: string) {
  const bytes = offset + length <= reader.size ? await reader.read(offset, length) : new Uint8Array(0);
  if (bytes.length !== length) throw new ZipError(`${what} lies outside the archive`);
  return bytes;
}

/** Where the central directory is and how many entries it claims. */
async function endOfDirectory(reader: RandomAccessReader): Promise<{ count: number; directory: number }> {
  const tailLength = Math.min(reader.size, 22 + 65_535);
  const tail = await reader.read(reader.size - tailLength, tailLength);
  const tailView = view(tail);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tailView.getUint32(i, true) === eocdSignature) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new ZipError('no end-of-central-directory record: not a complete ZIP file');
  let count = tailView.getUint16(eocd + 10, true);
  let directory = tailView.getUint32(eocd + 16, true);
  if (directory === 0xffffffff || count === 0xffff) {
    const locatorAt = reader.size - tailLength + eocd - 20;
    if (locatorAt < 0) throw new ZipError('ZIP64 locator missing');
    const locator = view(await readExactly(reader, locatorAt, 20, 'the ZIP64 locator'));
    if (locator.getUint32(0, true) !== zip64LocatorSignature) throw new ZipError('ZIP64 locator missing');
    const endAt = Number(locator.getBigUint64(8, true));
    const end = view(await readExactly(reader, endAt, 56, 'the ZIP64 end record'));
    if (end.getUint32(0, true) !== zip64EndSignature) throw new ZipError('ZIP64 end record missing');
    count = Number(end.getBigUint64(32, true));
    directory = Number(end.getBigUint64(48, true));
  }
  return { count, directory };
}

/** The central directory's members, in order. */
export async function listZip(reader: RandomAccessReader, limits: ScanLimits): Promise<ZipMember[]> {
  const { count, directory } = await endOfDirectory(reader);
  if (count > limits.maxArchiveMembers)
    throw new LimitExceeded(
      'archive-members',
      `the archive lists ${count} members, more than the ${limits.maxArchiveMembers} the scanner opens`,
    );
  if (directory >= reader.size) throw new ZipError('the central directory lies outside the archive');
  const cursor = new ByteCursor(readerSource(reader, directory));
  const members: ZipMember[] = [];
  const decoder = new TextDecoder();
  for (let i = 0; i < count; i++) {
    if (!(await cursor.fill(46))) throw new ZipError(`central directory entry ${i} is truncated`);
    const entry = view(cursor.take(46));
    if (entry.getUint32(0, true) !== centralSignature)
      throw new ZipError(`central directory entry ${i} is damaged`);
    const flags = entry.getUint16(8, true);
    const method = entry.getUint16(10, true);
    const crc = entry.getUint32(16, true);
    let compressedSize = entry.getUint32(20, true);
    let size = entry.getUint32(24, true);
    const nameLength = entry.getUint16(28, true);
    const extraLength = entry.getUint16(30, true);
    const commentLength = entry.getUint16(32, true);
    let offset = entry.getUint32(42, true);
    if (!(await cursor.fill(nameLength + extraLength + commentLength)))
      throw new ZipError(`central directory entry ${i} is truncated`);
    const name = decoder.decode(cursor.take(nameLength));
    const extra = cursor.take(extraLength);
    cursor.take(commentLength);
    // The ZIP64 extended information field (id 1) replaces the 0xffffffff values, in this order.
    const extraView = view(extra);
    for (let at = 0; at + 4 <= extra.length; ) {
      const id = extraView.getUint16(at, true);
      const length = extraView.getUint16(at + 2, true);
      if (id === 0x0001) {
        let field = at + 4;
        const next = () => {
          if (field + 8 > at + 4 + length || field + 8 > extra.length)
            throw new ZipError(`ZIP64 field of ${name} is truncated`);
          const value = Number(extraView.getBigUint64(field, true));
          field += 8;
          return value;
        };
        if (size === 0xffffffff) size = next();
        if (compressedSize === 0xffffffff) compressedSize = next();
        if (offset === 0xffffffff) offset = next();
      }
      at += 4 + length;
    }
    members.push({ name, offset, compressedSize, size, method, flags, crc32: crc });
  }
  return members;
}

/** Offset of a member's data: past its local header, whose own name and extra lengths count (as miniz reads it). */
export async function memberDataOffset(reader: RandomAccessReader, member: ZipMember): Promise<number> {
  const header = view(await readExactly(reader, member.offset, 30, `the local header of ${member.name}`));
  if (header.getUint32(0, true) !== localSignature)
    throw new ZipError(`local header of ${member.name} is damaged`);
  const start = member.offset + 30 + header.getUint16(26, true) + header.getUint16(28, true);
  if (start + member.compressedSize > reader.size)
    throw new ZipError(`${member.name} runs past the end of the archive`);
  return start;
}

/** Compression methods the reader inflates: stored, deflate, bzip2, LZMA. */
const readableMethods = new Set([0, 8, 12, 14]);

/**
 * A member's content as a chunk source: stored members are a window of the archive (random access,
 * so parsers can skip); compressed ones inflate as they are read, under `limits`.
 */
export async function memberSource(
  reader: RandomAccessReader,
  member: ZipMember,
  limits: ScanLimits,
): Promise<ChunkSource> {
  if (!readableMethods.has(member.method))
    throw new ZipError(
      `${member.name} uses compression method ${member.method}, which the scanner does not read`,
    );
  const start = await memberDataOffset(reader, member);
  const end = start + member.compressedSize;
  if (member.method === 0) return readerSource(reader, start, end);
  const raw = readerChunks(reader, { start, end, chunkBytes: 64 * 1024 });
  if (member.method === 8) return iteratorSource(decompressChunks(raw, 'deflate', limits));
  if (member.method === 12) return iteratorSource(decompressChunks(raw, 'bzip2', limits));
  return iteratorSource(decompressChunks(zipLzmaAsAlone(raw, member), 'lzma', limits));
}

/**
 * ZIP's LZMA (method 14) writes a 4-byte version/size header and the 5 property bytes, then the raw
 * stream; rewritten as an `.lzma` header (properties, size) it decodes with the same decoder.
 */
async function* zipLzmaAsAlone(
  raw: AsyncIterable<Uint8Array>,
  member: ZipMember,
): AsyncGenerator<Uint8Array> {
  let header: Uint8Array | undefined;
  let held = new Uint8Array(0);
  for await (const chunk of raw) {
    if (header) {
      yield chunk;
      continue;
    }
    const joined = new Uint8Array(held.length + chunk.length);
    joined.set(held);
    joined.set(chunk, held.length);
    held = joined;
    if (held.length < 9) continue;
    const alone = new Uint8Array(13);
    alone.set(held.subarray(4, 9));
    // Flag bit 1 says an end marker closes the stream; otherwise the size bounds it.
    const size = member.flags & 0x02 ? 0xffffffffffffffffn : BigInt(member.size);
    view(alone).setBigUint64(5, size, true);
    header = alone;
    yield alone;
    yield held.subarray(9);
  }
  if (!header) throw new ZipError(`${member.name}: LZMA header is truncated`);
}

/** Whether a member's bytes match the CRC-32 its directory entry records (reads the member once more). */
export async function memberCrcMatches(
  reader: RandomAccessReader,
  member: ZipMember,
  limits: ScanLimits,
): Promise<boolean> {
  const source = await memberSource(reader, member, limits);
  let crc = 0;
  for (let chunk = await source.next(); chunk !== undefined; chunk = await source.next())
    crc = crc32(chunk, crc);
  return crc >>> 0 === member.crc32;
}
