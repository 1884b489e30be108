import { open } from 'node:fs/promises';
import type { BufferFillingReader } from '../../supply/reader.js';

/** A random-access reader over a file on disk, with the handle to close when done. */
export interface FileReader extends BufferFillingReader {
  close(): Promise<void>;
}

/**
 * Opens `path` for positional reads: nothing is read until a scanner asks, so a file of any size
 * (past the 2 GiB a single Buffer can hold) is scanned in bounded memory. The size is taken once,
 * at open; a file that shrinks meanwhile reads short, which the scanners report as truncation.
 */
export async function openFileReader(path: string): Promise<FileReader> {
  const handle = await open(path, 'r');
  const { size } = await handle.stat();
  const fill = async (offset: number, target: Uint8Array) => {
    const wanted = Math.max(0, Math.min(target.length, size - offset));
    let filled = 0;
    while (filled < wanted) {
      const { bytesRead } = await handle.read(target, filled, wanted - filled, offset + filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return filled;
  };
  return {
    size,
    async read(offset, length) {
      const buffer = new Uint8Array(Math.max(0, Math.min(length, size - offset)));
      return buffer.subarray(0, await fill(offset, buffer));
    },
    readInto: fill,
    close: () => handle.close(),
  };
}

/** Runs `use` with a reader over `path`, closing it afterwards. */
export async function withFileReader<T>(path: string, use: (reader: FileReader) => Promise<T>): Promise<T> {
  const reader = await openFileReader(path);
  try {
    return await use(reader);
  } finally {
    await reader.close();
  }
}
