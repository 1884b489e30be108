import { open } from 'node:fs/promises';
import type { RandomAccessReader } from '../../supply/reader.js';

/** A random-access reader over a file on disk, with the handle to close when done. */
export interface FileReader extends RandomAccessReader {
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
  return {
    size,
    async read(offset, length) {
      const wanted = Math.max(0, Math.min(length, size - offset));
      const buffer = Buffer.allocUnsafe(wanted);
      let filled = 0;
      while (filled < wanted) {
        const { bytesRead } = await handle.read(buffer, filled, wanted - filled, offset + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      return new Uint8Array(buffer.buffer, buffer.byteOffset, filled);
    },
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
