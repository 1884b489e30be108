import type { RandomAccessReader } from './reader.js';
import { sliceReader } from './reader.js';

/**
 * Sequential reading over a stream of chunks (a window of a file, or the output of a decompressor),
 * for parsers that walk a format byte by byte: what is buffered is read synchronously, and only a
 * parser that runs out awaits the next chunk. Memory holds one chunk plus what a single read asks for.
 */

/** Where a cursor's bytes come from. */
export interface ChunkSource {
  /** The next chunk, or undefined at the end. */
  next(): Promise<Uint8Array | undefined>;
  /** Skips bytes without producing them, when the source can seek; returns how many it skipped. */
  skip?(count: number): Promise<number>;
  /** The random-access reader behind the source and the reader offset of the source's first byte. */
  origin?: { reader: RandomAccessReader; offset: number };
}

const firstChunkBytes = 64 * 1024;
const largestChunkBytes = 1024 * 1024;

/** The window [start, end) of a reader as a source; chunks grow from 64 KiB so small files read little. */
export function readerSource(reader: RandomAccessReader, start = 0, end = reader.size): ChunkSource {
  let at = start;
  let step = firstChunkBytes;
  const limit = Math.min(end, reader.size);
  return {
    origin: { reader, offset: start },
    async next() {
      if (at >= limit) return undefined;
      const chunk = await reader.read(at, Math.min(step, limit - at));
      if (chunk.length === 0) return undefined;
      at += chunk.length;
      step = Math.min(largestChunkBytes, step * 2);
      return chunk;
    },
    async skip(count) {
      const skipped = Math.max(0, Math.min(count, limit - at));
      at += skipped;
      return skipped;
    },
  };
}

/** A source over chunks produced by an async iterator (a decompressor's output). */
export function iteratorSource(chunks: AsyncIterator<Uint8Array>): ChunkSource {
  return {
    async next() {
      const result = await chunks.next();
      return result.done ? undefined : result.value;
    },
  };
}

const empty = new Uint8Array(0);

export class ByteCursor {
  private buffer: Uint8Array = empty;
  private at = 0;
  /** Absolute position of buffer[0]. */
  private base = 0;

  constructor(private readonly source: ChunkSource) {}

  /** How many bytes have been consumed: the offset of the next byte in the source. */
  get position(): number {
    return this.base + this.at;
  }

  /** Bytes buffered and not yet consumed. */
  available(): number {
    return this.buffer.length - this.at;
  }

  /** Makes at least `count` bytes available; false when the source ends first (what there is stays). */
  async fill(count: number): Promise<boolean> {
    while (this.available() < count) {
      const chunk = await this.source.next();
      if (chunk === undefined) return false;
      if (this.available() === 0) {
        this.base += this.buffer.length;
        this.buffer = chunk;
      } else {
        const joined = new Uint8Array(this.available() + chunk.length);
        joined.set(this.buffer.subarray(this.at));
        joined.set(chunk, this.available());
        this.base += this.at;
        this.buffer = joined;
      }
      this.at = 0;
    }
    return true;
  }

  /** The next byte; requires available() >= 1. */
  byte(): number {
    return this.buffer[this.at++]!;
  }

  /** The next `count` bytes (a view, valid until the next fill); requires available() >= count. */
  take(count: number): Uint8Array {
    const out = this.buffer.subarray(this.at, this.at + count);
    this.at += count;
    return out;
  }

  /** A view of the next `count` buffered bytes without consuming them; requires available() >= count. */
  peek(count: number): Uint8Array {
    return this.buffer.subarray(this.at, this.at + count);
  }

  /** Consumes `count` bytes without keeping them; false when the source ends first. */
  async skip(count: number): Promise<boolean> {
    const buffered = Math.min(count, this.available());
    this.at += buffered;
    let left = count - buffered;
    if (left === 0) return true;
    this.base += this.buffer.length;
    this.buffer = empty;
    this.at = 0;
    if (this.source.skip) {
      const skipped = await this.source.skip(left);
      this.base += skipped;
      return skipped === left;
    }
    while (left > 0) {
      const chunk = await this.source.next();
      if (chunk === undefined) return false;
      if (chunk.length <= left) {
        this.base += chunk.length;
        left -= chunk.length;
      } else {
        this.buffer = chunk;
        this.at = left;
        left = 0;
      }
    }
    return true;
  }

  /**
   * The bytes up to the next newline (which is consumed, not returned), or undefined when there is
   * none within `max` bytes or before the end.
   */
  async line(max: number): Promise<Uint8Array | undefined> {
    let searched = 0;
    while (true) {
      const end = this.buffer.indexOf(0x0a, this.at + searched);
      if (end >= 0 && end - this.at <= max) {
        const out = this.buffer.subarray(this.at, end);
        this.at = end + 1;
        return out;
      }
      searched = this.available();
      if (searched > max || !(await this.fill(searched + 1))) return undefined;
    }
  }

  /** True when no byte is left. */
  async atEnd(): Promise<boolean> {
    return !(await this.fill(1));
  }

  /**
   * A reader over [position, position + length) of the source, when the source is a window of a
   * random-access reader; undefined for streamed (decompressed) sources.
   */
  windowAt(position: number, length: number): RandomAccessReader | undefined {
    const origin = this.source.origin;
    return origin ? sliceReader(origin.reader, origin.offset + position, length) : undefined;
  }
}
