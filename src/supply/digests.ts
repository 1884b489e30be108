import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** Hex SHA-256 of a file's content, streamed so multi-gigabyte weights never sit in memory. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Every non-directory entry under `root` as a POSIX path relative to it (files, symbolic links and
 * special files alike, so callers decide what is acceptable), sorted. `skip` prunes a relative path
 * before it is visited, which also stops descent into a skipped directory.
 */
export async function listFiles(root: string, skip: (relative: string) => boolean): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string, prefix: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (skip(relative)) continue;
      if (entry.isDirectory()) await walk(join(dir, entry.name), relative);
      else found.push(relative);
    }
  };
  await walk(root, '');
  return found.sort();
}
