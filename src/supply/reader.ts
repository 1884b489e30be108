import { createHash } from 'node:crypto';

/**
 * Random access to the bytes of a file or an archive member, of any size. Scanners read headers,
 * directories and pickles where they are instead of holding whole files; the file-backed reader
 * lives at the edge (`app/supply/file-reader.ts`), the in-memory one here serves tests and callers
 * that already hold the bytes.
 */
export interface RandomAccessReader {
  /** Length in bytes. */
  size: number;
  /**
   * The bytes of [offset, offset + length), cut short only at the end of the data. Requires
   * 0 <= offset and 0 <= length; the result may share memory with the reader (do not write to it).
   */
  read(offset: number, length: number): Promise<Uint8Array>;
}

/**
 * A reader that can also fill a caller's buffer (the file-backed one): a sequential pass such as
 * hashing then reuses one buffer instead of allocating a fresh chunk per read, which on a large
 * file costs several times the reading itself.
 */
export interface BufferFillingReader extends RandomAccessReader {
  /** Fills `target` from `offset`; returns how many bytes were read (fewer only at the end). */
  readInto(offset: number, target: Uint8Array): Promise<number>;
}

/** A reader over bytes already in memory. */
export function bytesReader(bytes: Uint8Array): RandomAccessReader {
  return {
    size: bytes.length,
    read: async (offset, length) => bytes.subarray(offset, Math.min(bytes.length, offset + length)),
  };
}

/** The window [offset, offset + length) of another reader, clamped to its end (stored archive members). */
export function sliceReader(reader: RandomAccessReader, offset: number, length: number): RandomAccessReader {
  const start = Math.min(offset, reader.size);
  const size = Math.max(0, Math.min(length, reader.size - start));
  return {
    size,
    read: (at, count) => reader.read(start + at, Math.max(0, Math.min(count, size - at))),
  };
}

/** How much a sequential pass reads at a time: large enough for throughput, small enough for memory. */
export const readChunkBytes = 4 * 1024 * 1024;

/** The bytes of [start, end) in order, `chunkBytes` at a time. */
export async function* readerChunks(
  reader: RandomAccessReader,
  options: { start?: number; end?: number; chunkBytes?: number } = {},
): AsyncGenerator<Uint8Array> {
  const end = Math.min(options.end ?? reader.size, reader.size);
  const step = options.chunkBytes ?? readChunkBytes;
  for (let at = options.start ?? 0; at < end; ) {
    const chunk = await reader.read(at, Math.min(step, end - at));
    if (chunk.length === 0) throw new RangeError(`reader returned no bytes at offset ${at} of ${end}`);
    at += chunk.length;
    yield chunk;
  }
}

/** Called as a long pass advances, with the bytes done so far and the total. */
export type Progress = (done: number, total: number) => void;

/** Hex SHA-256 of everything the reader holds, streamed so no file sits in memory whole. */
export async function sha256Of(reader: RandomAccessReader, progress?: Progress): Promise<string> {
  const hash = createHash('sha256');
  let done = 0;
  if ('readInto' in reader) {
    const filling = reader as BufferFillingReader;
    const buffer = new Uint8Array(Math.min(readChunkBytes, Math.max(1, reader.size)));
    while (done < reader.size) {
      const count = await filling.readInto(
        done,
        buffer.subarray(0, Math.min(buffer.length, reader.size - done)),
      );
      if (count === 0) throw new RangeError(`reader returned no bytes at offset ${done} of ${reader.size}`);
      hash.update(buffer.subarray(0, count));
      done += count;
      progress?.(done, reader.size);
    }
    return hash.digest('hex');
  }
  for await (const chunk of readerChunks(reader)) {
    hash.update(chunk);
    done += chunk.length;
    progress?.(done, reader.size);
  }
  return hash.digest('hex');
}
