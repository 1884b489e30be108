import { lstat, mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

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
  const temporary = temporaryPathOf(path, process.pid);
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

/** The temporary file `pid` writes before renaming it over `path`: `<path>.<pid>.tmp`. */
function temporaryPathOf(path: string, pid: number): string {
  return `${path}.${pid}.tmp`;
}

/** True when a process with this id exists (EPERM: it does, owned by someone else). */
export function processIsRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Linux's largest pid is 2^22; other systems stay below 2^31. */
const maxPid = 2 ** 31 - 1;

/**
 * Deletes the temporary files a crash left beside `path`: regular files named exactly
 * `<name of path>.<pid>.tmp` whose process is no longer running — or is this one, with no write
 * of `path` in progress (a restarted container often gets the pid it had). Anything else in the
 * directory is left alone, and so is the file of a running process: another process writing the
 * same file (`arbiter ledger adopt`), or an unrelated one that reused the pid. Returns the paths
 * it deleted; a missing directory has none. Precondition: called at start-up, before this process
 * writes `path`.
 */
export async function removeStaleTemporaryFiles(
  path: string,
  isRunning: (pid: number) => boolean = processIsRunning,
): Promise<string[]> {
  const directory = dirname(path);
  const prefix = `${basename(path)}.`;
  let names: string[];
  try {
    names = await readdir(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const pidText = name.slice(prefix.length, -'.tmp'.length);
    if (!/^[1-9][0-9]{0,9}$/.test(pidText) || Number(pidText) > maxPid) continue;
    const pid = Number(pidText);
    const ours = pid === process.pid;
    if (ours ? pendingWrites.has(resolve(path)) : isRunning(pid)) continue;
    const temporary = join(directory, name);
    const stats = await lstat(temporary).catch(() => undefined); // gone already: nothing to do
    if (!stats?.isFile()) continue;
    await rm(temporary, { force: true });
    removed.push(temporary);
  }
  return removed;
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
