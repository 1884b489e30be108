import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ArbiterError } from '../../core/errors.js';
import { type FileScan, type ScanOptions, scanReader } from '../../supply/scan.js';
import { withFileReader } from './file-reader.js';

/** The files under the given paths (directories recursively, dot-directories and node_modules skipped), in order. */
export function filesUnder(paths: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (path: string) => {
    let stat: ReturnType<typeof statSync>;
    try {
      stat = statSync(path);
    } catch {
      throw new ArbiterError('ARB_ERR_INPUT_NOT_FOUND', `${path}: no such file or directory`);
    }
    if (stat.isDirectory()) {
      for (const entry of readdirSync(path).sort())
        if (!entry.startsWith('.') && entry !== 'node_modules') walk(join(path, entry));
    } else if (stat.isFile()) out.push(path);
  };
  for (const path of paths) walk(path);
  return out;
}

/** Scans the file at `path`, read in place through a file reader; `shown` is the name findings carry. */
export function scanFile(path: string, shown: string = path, options: ScanOptions = {}): Promise<FileScan> {
  return withFileReader(path, (reader) => scanReader(shown, reader, options));
}
