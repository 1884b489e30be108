import type { StreamDecoder } from './decompress.js';
import { LimitExceeded } from './limits.js';

/**
 * Streaming LZMA decoders for the two containers Python's `lzma` module writes, as joblib's `lzma`
 * and `xz` compressors use them: the legacy `.lzma` ("alone") format and `.xz` with an LZMA2
 * filter. The core follows the LZMA specification (Igor Pavlov's LzmaSpec): a range decoder,
 * adaptive bit models, literal/match/rep symbols and a sliding dictionary. Memory is the dictionary,
 * which grows with the output up to the size the header declares (at most 64 MiB, xz -9's size).
 */

const maxDictionaryBytes = 64 * 1024 * 1024;
/** The most input one symbol can consume: decode a symbol only with this much buffered (or at the end). */
const symbolInputBytes = 21;
const outChunkBytes = 64 * 1024;
const probabilityInit = 1024;

class NeedInput extends Error {}

/** The sliding window: grows with the output up to the dictionary size, then wraps. */
class Dictionary {
  private buffer: Uint8Array = new Uint8Array(64 * 1024);
  private position = 0;
  private full = false;
  /** Where the next emitted chunk starts. */
  private emitted = 0;
  total = 0;

  constructor(
    private readonly capacity: number,
    private readonly emit: (chunk: Uint8Array) => void,
  ) {}

  reset(): void {
    this.flush();
    this.position = 0;
    this.emitted = 0;
    this.full = false;
    this.total = 0;
  }

  /** The byte `distance` back (1 = the last byte written); requires a valid distance. */
  get(distance: number): number {
    let at = this.position - distance;
    if (at < 0) at += this.buffer.length;
    return this.buffer[at]!;
  }

  /** True when `distance` reaches back no further than what has been written. */
  reaches(distance: number): boolean {
    return distance <= (this.full ? this.buffer.length : this.position);
  }

  put(byte: number): void {
    if (this.position === this.buffer.length) this.makeRoom();
    this.buffer[this.position++] = byte;
    this.total++;
  }

  private makeRoom(): void {
    this.flush();
    if (this.buffer.length < this.capacity) {
      const grown = new Uint8Array(Math.min(this.capacity, this.buffer.length * 2));
      grown.set(this.buffer);
      this.buffer = grown;
      return;
    }
    this.position = 0;
    this.emitted = 0;
    this.full = true;
  }

  /** Hands out everything written since the last flush. */
  flush(): void {
    if (this.position > this.emitted) this.emit(this.buffer.slice(this.emitted, this.position));
    this.emitted = this.position;
  }

  pending(): number {
    return this.position - this.emitted;
  }
}

/** An LZMA decoder core over caller-supplied input; state persists across calls. */
class LzmaCore {
  private lc = 0;
  private lp = 0;
  private pb = 0;
  private literal = new Uint16Array(0);
  private readonly isMatch = new Uint16Array(192);
  private readonly isRep = new Uint16Array(12);
  private readonly isRepG0 = new Uint16Array(12);
  private readonly isRepG1 = new Uint16Array(12);
  private readonly isRepG2 = new Uint16Array(12);
  private readonly isRep0Long = new Uint16Array(192);
  private readonly posSlot = new Uint16Array(4 * 64);
  private readonly posSpecial = new Uint16Array(115);
  private readonly align = new Uint16Array(16);
  private readonly lengths = lengthModel();
  private readonly repLengths = lengthModel();
  private state = 0;
  private rep0 = 0;
  private rep1 = 0;
  private rep2 = 0;
  private rep3 = 0;
  private range = 0;
  private code = 0;
  input: Uint8Array = new Uint8Array(0);
  at = 0;
  /** Set when the end marker has been decoded. */
  ended = false;

  constructor(readonly dictionary: Dictionary) {}

  /** New lc/lp/pb (from a properties byte) and fresh probabilities. */
  setProperties(properties: number): void {
    if (properties >= 9 * 5 * 5) throw new Error(`LZMA properties byte ${properties} is invalid`);
    this.lc = properties % 9;
    this.lp = Math.floor(properties / 9) % 5;
    this.pb = Math.floor(properties / 45);
    this.literal = new Uint16Array(0x300 << (this.lc + this.lp));
    this.resetState();
  }

  resetState(): void {
    for (const table of [
      this.literal,
      this.isMatch,
      this.isRep,
      this.isRepG0,
      this.isRepG1,
      this.isRepG2,
      this.isRep0Long,
      this.posSlot,
      this.posSpecial,
      this.align,
      this.lengths.probabilities,
      this.repLengths.probabilities,
    ])
      table.fill(probabilityInit);
    this.state = 0;
    this.rep0 = this.rep1 = this.rep2 = this.rep3 = 0;
    this.ended = false;
  }

  /** Starts the range decoder on the next 5 input bytes. */
  initRange(): void {
    if (this.next() !== 0) throw new Error('LZMA range coder stream does not start with 0');
    this.code = 0;
    for (let i = 0; i < 4; i++) this.code = ((this.code << 8) | this.next()) >>> 0;
    this.range = 0xffffffff;
  }

  private next(): number {
    if (this.at >= this.input.length) throw new NeedInput();
    return this.input[this.at++]!;
  }

  private normalize(): void {
    if (this.range < 0x1000000) {
      this.range = (this.range << 8) >>> 0;
      this.code = ((this.code << 8) | this.next()) >>> 0;
    }
  }

  private bit(probabilities: Uint16Array, index: number): number {
    const probability = probabilities[index]!;
    const bound = (this.range >>> 11) * probability;
    let bit: number;
    if (this.code < bound) {
      this.range = bound;
      probabilities[index] = probability + ((2048 - probability) >>> 5);
      bit = 0;
    } else {
      this.range -= bound;
      this.code -= bound;
      probabilities[index] = probability - (probability >>> 5);
      bit = 1;
    }
    this.normalize();
    return bit;
  }

  private tree(probabilities: Uint16Array, offset: number, bits: number): number {
    let symbol = 1;
    for (let i = 0; i < bits; i++) symbol = (symbol << 1) | this.bit(probabilities, offset + symbol);
    return symbol - (1 << bits);
  }

  private reverseTree(probabilities: Uint16Array, offset: number, bits: number): number {
    let symbol = 1;
    let result = 0;
    for (let i = 0; i < bits; i++) {
      const bit = this.bit(probabilities, offset + symbol);
      symbol = (symbol << 1) | bit;
      result |= bit << i;
    }
    return result;
  }

  private direct(bits: number): number {
    let result = 0;
    for (let i = 0; i < bits; i++) {
      this.range >>>= 1;
      let bit = 0;
      if (this.code >= this.range) {
        this.code -= this.range;
        bit = 1;
      }
      result = ((result << 1) | bit) >>> 0;
      this.normalize();
    }
    return result;
  }

  private length(model: LengthModel, posState: number): number {
    const p = model.probabilities;
    if (this.bit(p, 0) === 0) return this.tree(p, 2 + posState * 8, 3);
    if (this.bit(p, 1) === 0) return 8 + this.tree(p, 2 + 128 + posState * 8, 3);
    return 16 + this.tree(p, 2 + 256, 8);
  }

  private distance(length: number): number {
    const lengthState = Math.min(length, 3);
    const slot = this.tree(this.posSlot, lengthState * 64, 6);
    if (slot < 4) return slot;
    const directBits = (slot >>> 1) - 1;
    let distance = ((2 | (slot & 1)) << directBits) >>> 0;
    if (slot < 14) return distance + this.reverseTree(this.posSpecial, distance - slot - 1, directBits);
    distance = (distance + ((this.direct(directBits - 4) << 4) >>> 0)) >>> 0;
    return (distance + this.reverseTree(this.align, 0, 4)) >>> 0;
  }

  /**
   * Decodes symbols until `limit` bytes have come out, the end marker, or (when `resumable`) fewer
   * than a symbol's worth of input is left. A symbol that runs out of input mid-way is an error
   * unless the caller holds back, which is what `resumable` does.
   */
  decode(limit: number, resumable: boolean): void {
    const dictionary = this.dictionary;
    const pbMask = (1 << this.pb) - 1;
    const lpMask = (1 << this.lp) - 1;
    while (dictionary.total < limit && !this.ended) {
      if (resumable && this.input.length - this.at < symbolInputBytes) return;
      const saved = this.at;
      try {
        const posState = dictionary.total & pbMask;
        if (this.bit(this.isMatch, (this.state << 4) + posState) === 0) {
          const previous = dictionary.total > 0 ? dictionary.get(1) : 0;
          const base = 0x300 * (((dictionary.total & lpMask) << this.lc) + (previous >>> (8 - this.lc)));
          let symbol = 1;
          if (this.state >= 7) {
            let match = dictionary.get(this.rep0 + 1);
            do {
              const matchBit = (match >>> 7) & 1;
              match <<= 1;
              const bit = this.bit(this.literal, base + ((1 + matchBit) << 8) + symbol);
              symbol = (symbol << 1) | bit;
              if (matchBit !== bit) break;
            } while (symbol < 0x100);
          }
          while (symbol < 0x100) symbol = (symbol << 1) | this.bit(this.literal, base + symbol);
          dictionary.put(symbol - 0x100);
          this.state = this.state < 4 ? 0 : this.state < 10 ? this.state - 3 : this.state - 6;
          continue;
        }
        let length: number;
        if (this.bit(this.isRep, this.state) === 1) {
          if (dictionary.total === 0) throw new Error('LZMA repeat match before any output');
          if (this.bit(this.isRepG0, this.state) === 0) {
            if (this.bit(this.isRep0Long, (this.state << 4) + posState) === 0) {
              this.state = this.state < 7 ? 9 : 11;
              dictionary.put(dictionary.get(this.rep0 + 1));
              continue;
            }
          } else {
            let distance: number;
            if (this.bit(this.isRepG1, this.state) === 0) distance = this.rep1;
            else {
              if (this.bit(this.isRepG2, this.state) === 0) distance = this.rep2;
              else {
                distance = this.rep3;
                this.rep3 = this.rep2;
              }
              this.rep2 = this.rep1;
            }
            this.rep1 = this.rep0;
            this.rep0 = distance;
          }
          length = this.length(this.repLengths, posState);
          this.state = this.state < 7 ? 8 : 11;
        } else {
          this.rep3 = this.rep2;
          this.rep2 = this.rep1;
          this.rep1 = this.rep0;
          length = this.length(this.lengths, posState);
          this.state = this.state < 7 ? 7 : 10;
          this.rep0 = this.distance(length);
          if (this.rep0 === 0xffffffff) {
            this.ended = true;
            return;
          }
          if (!dictionary.reaches(this.rep0 + 1))
            throw new Error(`LZMA match distance ${this.rep0 + 1} reaches before the data`);
        }
        for (let i = length + 2; i > 0; i--) dictionary.put(dictionary.get(this.rep0 + 1));
      } catch (error) {
        if (error instanceof NeedInput) {
          this.at = saved;
          throw new Error('LZMA data is truncated');
        }
        throw error;
      }
      if (dictionary.pending() >= outChunkBytes) dictionary.flush();
    }
  }
}

interface LengthModel {
  probabilities: Uint16Array;
}

/** choice, choice2, low[16][8], mid[16][8], high[256]. */
function lengthModel(): LengthModel {
  return { probabilities: new Uint16Array(2 + 128 + 128 + 256) };
}

function dictionaryBytes(declared: number): number {
  if (declared > maxDictionaryBytes)
    throw new LimitExceeded(
      'inflated-size',
      `LZMA dictionary of ${declared} bytes is larger than the scanner's ${maxDictionaryBytes}-byte limit`,
    );
  return Math.max(4096, declared);
}

function appendInput(pending: Uint8Array, chunk: Uint8Array): Uint8Array {
  if (chunk.length === 0) return pending;
  if (pending.length === 0) return chunk.slice();
  const joined = new Uint8Array(pending.length + chunk.length);
  joined.set(pending);
  joined.set(chunk, pending.length);
  return joined;
}

/** `.lzma` (LZMA_Alone): properties, dictionary size, 64-bit size (all ones = unknown, end marker). */
export function lzmaAloneDecoder(emit: (chunk: Uint8Array) => void): StreamDecoder {
  let pending: Uint8Array = new Uint8Array(0);
  let core: LzmaCore | undefined;
  let expected = Number.POSITIVE_INFINITY;
  return {
    push(chunk, final) {
      pending = appendInput(pending, chunk);
      if (!core) {
        if (pending.length < 13 + 5) {
          if (final) throw new Error('LZMA header is truncated');
          return;
        }
        const view = new DataView(pending.buffer, pending.byteOffset, pending.byteLength);
        const declared = view.getUint32(1, true);
        const size = view.getBigUint64(5, true);
        core = new LzmaCore(new Dictionary(dictionaryBytes(declared), emit));
        core.setProperties(pending[0]!);
        if (size !== 0xffffffffffffffffn) expected = Number(size);
        core.input = pending;
        core.at = 13;
        core.initRange();
      }
      core.input = pending;
      core.decode(expected, !final);
      pending = pending.subarray(core.at);
      core.input = pending;
      core.at = 0;
      core.dictionary.flush();
      if (final && !core.ended && core.dictionary.total < expected)
        throw new Error('LZMA data ends before its end marker');
    },
  };
}

const xzMagic = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];
const checkBytes: Record<number, number> = { 0: 0, 1: 4, 4: 8, 10: 32 };

/**
 * `.xz`: a stream header, blocks each holding one LZMA2 filter (what Python's lzma writes; BCJ and
 * delta filters are refused), then the index and footer, possibly followed by more streams. The
 * block check (CRC32, CRC64 or SHA-256) is skipped, not verified: the scanner judges the content
 * it decodes, and a loader that rejects a bad check does so only after unpickling it.
 */
export function xzDecoder(emit: (chunk: Uint8Array) => void): StreamDecoder {
  let pending: Uint8Array = new Uint8Array(0);
  type Phase = 'stream-header' | 'block-header' | 'lzma2' | 'block-end' | 'index' | 'footer' | 'padding';
  let phase: Phase = 'stream-header';
  let check = 0;
  let core: LzmaCore | undefined;
  let consumedInBlock = 0;
  let needProperties = true;
  let sawStream = false;

  const varint = (at: number): [number, number] | undefined => {
    let value = 0;
    for (let i = 0; i < 9; i++) {
      if (at + i >= pending.length) return undefined;
      const byte = pending[at + i]!;
      value += (byte & 0x7f) * 2 ** (7 * i);
      if ((byte & 0x80) === 0) return [value, at + i + 1];
    }
    throw new Error('xz variable-length integer is too long');
  };

  /** Advances one step; false when more input is needed. */
  const step = (): boolean => {
    switch (phase) {
      case 'stream-header': {
        if (pending.length < 12) return false;
        if (!xzMagic.every((byte, i) => pending[i] === byte)) throw new Error('not an xz stream');
        if (pending[6] !== 0 || (pending[7]! & 0xf0) !== 0) throw new Error('xz stream flags are invalid');
        check = pending[7]! & 0x0f;
        if (checkBytes[check] === undefined) throw new Error(`xz check type ${check} is not supported`);
        pending = pending.subarray(12);
        phase = 'block-header';
        sawStream = true;
        return true;
      }
      case 'block-header': {
        if (pending.length < 1) return false;
        if (pending[0] === 0) {
          phase = 'index';
          return true;
        }
        const size = (pending[0]! + 1) * 4;
        if (pending.length < size) return false;
        const flags = pending[1]!;
        if ((flags & 0x03) !== 0)
          throw new Error('xz filter chains other than LZMA2 alone are not supported');
        let at = 2;
        for (const present of [flags & 0x40, flags & 0x80]) {
          if (!present) continue;
          const parsed = varint(at);
          if (!parsed) throw new Error('xz block header is truncated');
          at = parsed[1];
        }
        const filter = varint(at);
        const propertySize = filter && varint(filter[1]);
        if (!filter || !propertySize || filter[0] !== 0x21 || propertySize[0] !== 1)
          throw new Error('xz block does not use the LZMA2 filter');
        const property = pending[propertySize[1]]!;
        if (property > 40) throw new Error('xz LZMA2 dictionary size is invalid');
        const declared =
          property === 40 ? 0xffffffff : (2 | (property & 1)) * 2 ** (Math.floor(property / 2) + 11);
        core = new LzmaCore(new Dictionary(dictionaryBytes(declared), emit));
        needProperties = true;
        pending = pending.subarray(size);
        consumedInBlock = size;
        phase = 'lzma2';
        return true;
      }
      case 'lzma2': {
        if (pending.length < 1 || !core) return false;
        const control = pending[0]!;
        if (control === 0) {
          pending = pending.subarray(1);
          consumedInBlock += 1;
          core.dictionary.flush();
          phase = 'block-end';
          return true;
        }
        if (control === 1 || control === 2) {
          if (pending.length < 3) return false;
          const size = ((pending[1]! << 8) | pending[2]!) + 1;
          if (pending.length < 3 + size) return false;
          if (control === 1) core.dictionary.reset();
          for (let i = 0; i < size; i++) core.dictionary.put(pending[3 + i]!);
          core.dictionary.flush();
          pending = pending.subarray(3 + size);
          consumedInBlock += 3 + size;
          return true;
        }
        if (control < 0x80) throw new Error(`xz LZMA2 control byte ${control} is invalid`);
        const reset = (control >>> 5) & 3;
        const header = reset >= 2 ? 6 : 5;
        if (pending.length < header) return false;
        const unpacked = ((control & 0x1f) << 16) + ((pending[1]! << 8) | pending[2]!) + 1;
        const packed = ((pending[3]! << 8) | pending[4]!) + 1;
        if (pending.length < header + packed) return false;
        if (reset === 3) core.dictionary.reset();
        if (reset >= 2) {
          core.setProperties(pending[5]!);
          needProperties = false;
        } else if (needProperties) throw new Error('xz LZMA2 chunk lacks properties');
        else if (reset === 1) core.resetState();
        core.input = pending.subarray(header, header + packed);
        core.at = 0;
        core.initRange();
        const target = core.dictionary.total + unpacked;
        core.decode(target, false);
        if (core.dictionary.total !== target || core.ended)
          throw new Error('xz LZMA2 chunk does not decode to its declared size');
        core.dictionary.flush();
        pending = pending.subarray(header + packed);
        consumedInBlock += header + packed;
        return true;
      }
      case 'block-end': {
        const padding = (4 - (consumedInBlock % 4)) % 4;
        const size = padding + checkBytes[check]!;
        if (pending.length < size) return false;
        pending = pending.subarray(size);
        phase = 'block-header';
        return true;
      }
      case 'index': {
        const count = varint(1);
        if (!count) return false;
        let at = count[1];
        for (let i = 0; i < count[0] * 2; i++) {
          const value = varint(at);
          if (!value) return false;
          at = value[1];
        }
        const end = at + ((4 - (at % 4)) % 4) + 4;
        if (pending.length < end) return false;
        pending = pending.subarray(end);
        phase = 'footer';
        return true;
      }
      case 'footer': {
        if (pending.length < 12) return false;
        if (pending[10] !== 0x59 || pending[11] !== 0x5a) throw new Error('xz stream footer is missing');
        pending = pending.subarray(12);
        phase = 'padding';
        return true;
      }
      case 'padding': {
        if (pending.length < 1) return false;
        if (pending[0] === 0) {
          if (pending.length < 4) return false;
          if (pending[1] !== 0 || pending[2] !== 0 || pending[3] !== 0)
            throw new Error('xz stream padding is invalid');
          pending = pending.subarray(4);
          return true;
        }
        phase = 'stream-header';
        return true;
      }
    }
  };

  return {
    push(chunk, final) {
      pending = appendInput(pending, chunk);
      while (step()) {}
      if (final && (!sawStream || (phase !== 'padding' && phase !== 'stream-header') || pending.length > 0))
        throw new Error('xz data is truncated or has trailing bytes');
    },
  };
}
