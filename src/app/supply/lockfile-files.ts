import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isLockfile } from '../../supply/lockfiles.js';

/** Finds supported lockfiles under a directory, sorted. Symlinks are not followed (no cycles). */
export function findLockfiles(dir: string): string[] {
  const found: string[] = [];
  const walk = (at: string): void => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) {
        // Installed trees and virtualenvs hold other projects' lockfiles, not ours.
        const skip = entry.name === 'node_modules' || entry.name === 'venv' || entry.name.startsWith('.');
        if (!skip) walk(path);
      } else if (entry.isFile() && isLockfile(entry.name)) {
        found.push(path);
      }
    }
  };
  walk(dir);
  return found.sort();
}
