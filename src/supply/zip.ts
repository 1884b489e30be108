import { inflateRawSync } from 'node:zlib';

/**
 * A small ZIP reader for model archives (PyTorch, NumPy .npz, Keras .keras). It reads the central
 * directory and trusts it over local headers, so archives with data descriptors, odd flag bits or
 * extra fields read fine; ZIP64 sizes and offsets are supported. Stored and deflated members only.
 */
export interface ZipMember {
  name: string;
  offset: number;
  compressedSize: number;
  size: number;
  method: number;
}

export class ZipError extends Error {}

const eocdSignature = 0x06054b50;
const centralSignature = 0x02014b50;
const localSignature = 0x04034b50;

export function isZip(data: Uint8Array): boolean {
  return data.length >= 4 && data[0] === 0x50 && data[1] === 0x4b && data[2] === 0x03 && data[3] === 0x04;
}

export function listZip(data: Uint8Array): ZipMember[] {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let eocd = -1;
  for (let i = data.length - 22; i >= Math.max(0, data.length - 22 - 65_535); i--) {
    if (view.getUint32(i, true) === eocdSignature) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new ZipError('no end-of-central-directory record: not a complete ZIP file');
  let count = view.getUint16(eocd + 10, true);
  let directory = view.getUint32(eocd + 16, true);
  if (directory === 0xffffffff || count === 0xffff) {
    const locator = eocd - 20;
    if (locator < 0 || view.getUint32(locator, true) !== 0x07064b50)
      throw new ZipError('ZIP64 locator missing');
    const zip64 = Number(view.getBigUint64(locator + 8, true));
    if (zip64 + 56 > data.length || view.getUint32(zip64, true) !== 0x06064b50)
      throw new ZipError('ZIP64 end record missing');
    count = Number(view.getBigUint64(zip64 + 32, true));
    directory = Number(view.getBigUint64(zip64 + 48, true));
  }
  const members: ZipMember[] = [];
  let at = directory;
  for (let i = 0; i < count; i++) {
    if (at + 46 > data.length || view.getUint32(at, true) !== centralSignature)
      throw new ZipError(`central directory entry ${i} is damaged`);
    const method = view.getUint16(at + 10, true);
    let compressedSize = view.getUint32(at + 20, true);
    let size = view.getUint32(at + 24, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    let offset = view.getUint32(at + 42, true);
    const name = new TextDecoder().decode(data.subarray(at + 46, at + 46 + nameLength));
    // ZIP64 extended information extra field (id 0x0001) replaces the 0xffffffff values, in order.
    let extra = at + 46 + nameLength;
    const extraEnd = extra + extraLength;
    while (extra + 4 <= extraEnd) {
      const id = view.getUint16(extra, true);
      const length = view.getUint16(extra + 2, true);
      if (id === 0x0001) {
        let field = extra + 4;
        if (size === 0xffffffff) {
          size = Number(view.getBigUint64(field, true));
          field += 8;
        }
        if (compressedSize === 0xffffffff) {
          compressedSize = Number(view.getBigUint64(field, true));
          field += 8;
        }
        if (offset === 0xffffffff) offset = Number(view.getBigUint64(field, true));
      }
      extra += 4 + length;
    }
    members.push({ name, offset, compressedSize, size, method });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return members;
}

/** The bytes of a member (the central directory's sizes win over the local header's). */
export function readZipMember(data: Uint8Array, member: ZipMember): Uint8Array {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (member.offset + 30 > data.length || view.getUint32(member.offset, true) !== localSignature) {
    throw new ZipError(`local header of ${member.name} is damaged`);
  }
  const start =
    member.offset + 30 + view.getUint16(member.offset + 26, true) + view.getUint16(member.offset + 28, true);
  if (start + member.compressedSize > data.length)
    throw new ZipError(`${member.name} runs past the end of the archive`);
  const raw = data.subarray(start, start + member.compressedSize);
  if (member.method === 0) return raw;
  if (member.method === 8) return new Uint8Array(inflateRawSync(raw));
  throw new ZipError(
    `${member.name} uses compression method ${member.method}, which the scanner does not read`,
  );
}
