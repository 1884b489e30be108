import type { StreamDecoder } from './decompress.js';

/**
 * A streaming bzip2 decoder (the format of bzip2 1.0.x and Python's `bz2` module, as joblib's `bz2`
 * compressor writes it): Huffman-coded MTF/RLE symbols, an inverse Burrows–Wheeler transform and
 * the final run-length stage, block by block. A block is decoded only once all of it has arrived,
 * so memory holds one block (at most 900 kB of input and its output tables), and output leaves in
 * 64 KiB chunks. Block and stream CRCs are checked; randomised blocks (bzip2 0.9.0) are refused.
 */

const blockMagicHigh = 0x314159;
const blockMagicLow = 0x265359;
const endMagicHigh = 0x177245;
const endMagicLow = 0x385090;
const maxSelectors = 18_002;
const maxCodeLength = 20;
const outChunkBytes = 64 * 1024;

const crcTable = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 24;
    for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    table[i] = c >>> 0;
  }
  return table;
})();

class Truncated extends Error {}

/** Bits, most significant first, from a byte array that holds at least one whole block. */
class BitReader {
  constructor(
    readonly data: Uint8Array,
    public position: number,
  ) {}

  bits(count: number): number {
    let value = 0;
    for (let i = 0; i < count; i++) {
      const byte = this.position >>> 3;
      if (byte >= this.data.length) throw new Truncated('bzip2 data ends inside a block');
      value = (value << 1) | ((this.data[byte]! >>> (7 - (this.position & 7))) & 1);
      this.position++;
    }
    return value >>> 0;
  }

  bit(): number {
    return this.bits(1);
  }

  alignToByte(): void {
    this.position = (this.position + 7) & ~7;
  }
}

interface HuffmanGroup {
  limit: Int32Array;
  base: Int32Array;
  perm: Int32Array;
  minLength: number;
}

function huffmanGroup(lengths: Uint8Array, alphaSize: number): HuffmanGroup {
  let minLength = maxCodeLength;
  let maxLength = 0;
  for (let i = 0; i < alphaSize; i++) {
    minLength = Math.min(minLength, lengths[i]!);
    maxLength = Math.max(maxLength, lengths[i]!);
  }
  const perm = new Int32Array(alphaSize);
  let p = 0;
  for (let length = minLength; length <= maxLength; length++)
    for (let symbol = 0; symbol < alphaSize; symbol++) if (lengths[symbol] === length) perm[p++] = symbol;
  const count = new Int32Array(maxCodeLength + 2);
  for (let i = 0; i < alphaSize; i++) count[lengths[i]! + 1]!++;
  for (let i = 1; i < count.length; i++) count[i]! += count[i - 1]!;
  const limit = new Int32Array(maxCodeLength + 1).fill(-1);
  const base = new Int32Array(maxCodeLength + 2);
  let code = 0;
  for (let length = minLength; length <= maxLength; length++) {
    const first = count[length]!;
    const n = count[length + 1]! - first;
    base[length] = first - code;
    code += n;
    limit[length] = code - 1;
    code <<= 1;
  }
  return { limit, base, perm, minLength };
}

function decodeSymbol(reader: BitReader, group: HuffmanGroup): number {
  let length = group.minLength;
  let code = reader.bits(length);
  while (length <= maxCodeLength) {
    if (code <= group.limit[length]!) {
      const index = code + group.base[length]!;
      if (index < 0 || index >= group.perm.length) break;
      return group.perm[index]!;
    }
    code = (code << 1) | reader.bit();
    length++;
  }
  throw new Error('bzip2 Huffman code is invalid');
}

/** The next block's bytes after the inverse BWT, before the final run-length stage, and its CRC. */
function readBlock(
  reader: BitReader,
  blockSize: number,
): { tt: Uint32Array; length: number; origin: number } {
  if (reader.bit()) throw new Error('randomised bzip2 blocks (bzip2 0.9.0) are not supported');
  const origin = reader.bits(24);
  const used = reader.bits(16);
  const symbols: number[] = [];
  for (let i = 0; i < 16; i++) {
    if (!(used & (0x8000 >>> i))) continue;
    const bits = reader.bits(16);
    for (let j = 0; j < 16; j++) if (bits & (0x8000 >>> j)) symbols.push(i * 16 + j);
  }
  if (symbols.length === 0) throw new Error('bzip2 block uses no symbols');
  const alphaSize = symbols.length + 2;
  const groupCount = reader.bits(3);
  if (groupCount < 2 || groupCount > 6) throw new Error(`bzip2 block has ${groupCount} Huffman groups`);
  const selectorCount = reader.bits(15);
  if (selectorCount < 1) throw new Error('bzip2 block has no selectors');
  const order = [0, 1, 2, 3, 4, 5].slice(0, groupCount);
  const selectors = new Uint8Array(Math.min(selectorCount, maxSelectors));
  for (let i = 0; i < selectorCount; i++) {
    let j = 0;
    while (reader.bit()) if (++j >= groupCount) throw new Error('bzip2 selector out of range');
    const group = order[j]!;
    order.splice(j, 1);
    order.unshift(group);
    if (i < selectors.length) selectors[i] = group;
  }
  const groups: HuffmanGroup[] = [];
  for (let g = 0; g < groupCount; g++) {
    const lengths = new Uint8Array(alphaSize);
    let length = reader.bits(5);
    for (let s = 0; s < alphaSize; s++) {
      while (true) {
        if (length < 1 || length > maxCodeLength) throw new Error('bzip2 code length out of range');
        if (!reader.bit()) break;
        length += reader.bit() ? -1 : 1;
      }
      lengths[s] = length;
    }
    groups.push(huffmanGroup(lengths, alphaSize));
  }

  const limit = blockSize * 100_000;
  const tt = new Uint32Array(limit);
  const counts = new Int32Array(256);
  const mtf = symbols.slice();
  const endOfBlock = alphaSize - 1;
  let length = 0;
  let selector = 0;
  let left = 0;
  let group = groups[0]!;
  let run = 0;
  let runBit = 1;
  while (true) {
    if (left === 0) {
      if (selector >= selectors.length) throw new Error('bzip2 block runs out of selectors');
      group = groups[selectors[selector++]!]!;
      left = 50;
    }
    left--;
    const symbol = decodeSymbol(reader, group);
    if (symbol <= 1) {
      run += runBit << symbol;
      runBit <<= 1;
      if (run > limit) throw new Error('bzip2 run exceeds the block size');
      continue;
    }
    if (run > 0) {
      if (length + run > limit) throw new Error('bzip2 block exceeds its declared size');
      const byte = mtf[0]!;
      counts[byte]! += run;
      tt.fill(byte, length, length + run);
      length += run;
      run = 0;
      runBit = 1;
    }
    if (symbol === endOfBlock) break;
    if (length >= limit) throw new Error('bzip2 block exceeds its declared size');
    const index = symbol - 1;
    const byte = mtf[index]!;
    mtf.splice(index, 1);
    mtf.unshift(byte);
    counts[byte]!++;
    tt[length++] = byte;
  }
  if (origin >= Math.max(1, length)) throw new Error('bzip2 block origin pointer is out of range');
  // Inverse BWT: each entry keeps its byte in the low 8 bits and the next index above them.
  let sum = 0;
  for (let i = 0; i < 256; i++) {
    const c = counts[i]!;
    counts[i] = sum;
    sum += c;
  }
  for (let i = 0; i < length; i++) {
    const byte = tt[i]! & 0xff;
    tt[counts[byte]!]! |= i << 8;
    counts[byte]!++;
  }
  return { tt, length, origin };
}

/** A push-style bzip2 decoder, multistream like Python's bz2 module. */
export function bzip2Decoder(emit: (chunk: Uint8Array) => void): StreamDecoder {
  let pending: Uint8Array = new Uint8Array(0);
  /** Bits of pending[0] already consumed: blocks are bit-aligned, not byte-aligned. */
  let bitOffset = 0;
  let blockSize = 0;
  let streamCrc = 0;
  let finished = false;
  let out = new Uint8Array(outChunkBytes);
  let outLength = 0;
  const put = (byte: number) => {
    out[outLength++] = byte;
    if (outLength === outChunkBytes) {
      emit(out);
      out = new Uint8Array(outChunkBytes);
      outLength = 0;
    }
  };
  const flush = () => {
    if (outLength > 0) emit(out.slice(0, outLength));
    outLength = 0;
  };

  /** Decodes one unit (stream header, block or stream end); false when more input is needed. */
  const step = (final: boolean): boolean => {
    const reader = new BitReader(pending, bitOffset);
    try {
      if (blockSize === 0) {
        if (pending.length < 4) {
          if (final && pending.length > 0) throw new Error('bzip2 data ends inside a stream header');
          return false;
        }
        if (pending[0] !== 0x42 || pending[1] !== 0x5a || pending[2] !== 0x68)
          throw new Error('not a bzip2 stream (no BZh header)');
        const level = pending[3]! - 0x30;
        if (level < 1 || level > 9) throw new Error(`bzip2 block size ${level} is invalid`);
        blockSize = level;
        streamCrc = 0;
        finished = false;
        pending = pending.subarray(4);
        return true;
      }
      // A whole block (≤ 900 kB of data, under 1 MB compressed) must be present unless input has ended:
      // the decoder is not resumable inside a block.
      if (!final && pending.length < blockSize * 100_000 + 64 * 1024) return false;
      const high = reader.bits(24);
      const low = reader.bits(24);
      if (high === endMagicHigh && low === endMagicLow) {
        const expected = reader.bits(32);
        if (expected !== streamCrc >>> 0) throw new Error('bzip2 stream CRC does not match');
        reader.alignToByte();
        pending = pending.subarray(reader.position >>> 3);
        bitOffset = 0;
        blockSize = 0;
        finished = true;
        return true;
      }
      if (high !== blockMagicHigh || low !== blockMagicLow) throw new Error('bzip2 block magic is missing');
      const expected = reader.bits(32);
      const { tt, length, origin } = readBlock(reader, blockSize);
      let crc = 0xffffffff;
      let index = tt[origin]! >>> 8;
      let previous = -1;
      let same = 0;
      const write = (byte: number) => {
        crc = ((crc << 8) ^ crcTable[((crc >>> 24) ^ byte) & 0xff]!) >>> 0;
        put(byte);
      };
      for (let i = 0; i < length; i++) {
        const entry = tt[index]!;
        const byte = entry & 0xff;
        index = entry >>> 8;
        if (same === 4) {
          for (let r = 0; r < byte; r++) write(previous);
          same = 0;
          previous = -1;
          continue;
        }
        if (byte === previous) same++;
        else {
          previous = byte;
          same = 1;
        }
        write(byte);
      }
      crc = ~crc >>> 0;
      if (crc !== expected) throw new Error('bzip2 block CRC does not match');
      streamCrc = (((streamCrc << 1) | (streamCrc >>> 31)) ^ crc) >>> 0;
      pending = pending.subarray(reader.position >>> 3);
      bitOffset = reader.position & 7;
      return true;
    } catch (error) {
      if (error instanceof Truncated) {
        if (final) throw new Error('bzip2 data is truncated');
        return false;
      }
      throw error;
    }
  };
  return {
    push(chunk, final) {
      if (chunk.length > 0) {
        const joined = new Uint8Array(pending.length + chunk.length);
        joined.set(pending);
        joined.set(chunk, pending.length);
        pending = joined;
      }
      while (pending.length > 0 && step(final)) {
        if (finished && pending.length === 0) break;
      }
      if (final) {
        if (!finished || blockSize !== 0) throw new Error('bzip2 data is truncated');
        flush();
      } else if (outLength > 0) flush();
    },
  };
}
