import { readFileSync } from 'node:fs';
import { ArbiterError } from '../../core/errors.js';
import { type LoadedRelease, parseRelease } from '../../gate/release.js';
import { releaseLineFinder } from '../../gate/release-lines.js';

/** Reading a Release file from disk; parsing it is gate/release.ts's. */

/** Reads and validates a Release file; problems are reported as `file:line:col: message`. */
export function loadRelease(file: string): LoadedRelease {
  return readReleaseFile(file).release;
}

/**
 * Reads and validates a Release file, and finds where each of its facts is written (for SARIF
 * annotations) from the same text, so nothing reads the file again later.
 */
export function readReleaseFile(file: string): {
  release: LoadedRelease;
  lineOf: (fact: string) => number;
} {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new ArbiterError('ARB_ERR_INPUT_NOT_FOUND', `release file ${file} cannot be read`);
  }
  return { release: parseRelease(file, text), lineOf: releaseLineFinder(file, text) };
}
