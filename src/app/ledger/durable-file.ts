import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/** The last pending write per file (resolved path), so writes to one file run one after another. */
const pendingWrites = new Map<string, Promise<void>>();

/**
 * Replaces the file at `path` with `text` so that a reader — or the file after a crash — holds
 * either the old text or the new one, never part of either: written to a temporary file in the
 * same directory, fsynced, renamed over the old one, and the directory fsynced so the rename is
 * durable too. Asynchronous, so the fsyncs (milliseconds each) never stall the event loop.
 *
 * Writes to the same file from this process are serialised in call order: the last call's text
 * is what remains, and two writes never share the temporary file. A failed write rejects with
 * the file system's error and leaves the previous file as it was.
 */
export function replaceFileDurably(path: string, text: string): Promise<void> {
  const key = resolve(path);
  const previous = pendingWrites.get(key) ?? Promise.resolve();
  // Runs after the previous write whether it succeeded or not; each caller sees its own outcome.
  const write = previous.then(() => writeThenRename(path, text));
  const settled = write.catch(() => {});
  pendingWrites.set(key, settled);
  void settled.then(() => {
    if (pendingWrites.get(key) === settled) pendingWrites.delete(key);
  });
  return write;
}

async function writeThenRename(path: string, text: string): Promise<void> {
  const directory = dirname(path);
  await mkdir(directory, { recursive: true, mode: 0o700 });
  // Per process: another process writing the same file (`arbiter ledger adopt`) uses its own.
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    const file = await open(temporary, 'w', 0o600);
    try {
      await file.writeFile(text, 'utf8');
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, path);
  } catch (error) {
    // The old file is untouched; only our own temporary file is cleaned up, never a directory.
    await rm(temporary, { force: true }).catch(() => {});
    throw error;
  }
  await syncDirectory(directory);
}

/** Makes a rename in `directory` durable. Windows cannot open a directory to fsync it (and needs not). */
async function syncDirectory(directory: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
