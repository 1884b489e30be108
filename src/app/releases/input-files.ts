import { closeSync, existsSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { sha256Hex } from '../../core/digest.js';
import { ArbiterError } from '../../core/errors.js';
import { type GateInput, type GateInputKind, maxInputBytes } from '../../gate/inputs.js';

/**
 * Reading the files a gate decision rests on, at the edge: every path is shown relative to the
 * working directory (as CI annotations need), every file hashed as it is read.
 */

/** A path as the gate shows it: relative to the working directory. */
export const shownPath = (path: string) => relative(process.cwd(), path) || '.';

const mebibytes = (bytes: number) =>
  `${(bytes / (1024 * 1024)).toFixed(bytes % (1024 * 1024) === 0 ? 0 : 1)} MiB`;

/**
 * Reads a file once, returning its bytes with the input record that pins them. A file larger
 * than `maxInputBytes` is refused (ARB_ERR_INPUT_INVALID, `details.reason: 'too-large'`) unread.
 */
export function readInput(
  kind: GateInputKind,
  path: string,
  what: string,
  limit: number = maxInputBytes,
): { bytes: Buffer; input: GateInput } {
  const file = shownPath(path);
  let descriptor: number;
  try {
    descriptor = openSync(path, 'r');
  } catch {
    throw new ArbiterError(
      existsSync(path) ? 'ARB_ERR_INPUT_INVALID' : 'ARB_ERR_INPUT_NOT_FOUND',
      `${what} ${file} cannot be read`,
      { details: { file } },
    );
  }
  try {
    let size: number;
    try {
      const stat = fstatSync(descriptor);
      if (!stat.isFile()) throw new Error('not a file');
      size = stat.size;
    } catch {
      throw new ArbiterError('ARB_ERR_INPUT_INVALID', `${what} ${file} cannot be read`, {
        details: { file },
      });
    }
    if (size > limit)
      throw new ArbiterError(
        'ARB_ERR_INPUT_INVALID',
        `${what} ${file} is ${size} bytes (${mebibytes(size)}); input files larger than ${mebibytes(limit)} are refused`,
        { details: { file, reason: 'too-large', bytes: size, limit } },
      );
    const bytes = readFileSync(descriptor);
    // A file that grew after fstat is held to the same limit.
    if (bytes.length > limit)
      throw new ArbiterError(
        'ARB_ERR_INPUT_INVALID',
        `${what} ${file} grew past ${mebibytes(limit)} while being read; input files larger than that are refused`,
        { details: { file, reason: 'too-large', bytes: bytes.length, limit } },
      );
    return { bytes, input: { kind, path: file, sha256: sha256Hex(bytes) } };
  } finally {
    closeSync(descriptor);
  }
}

/** Hashes a file the gate reads whole elsewhere (the release file, a signature, a BOM); undefined when unreadable. */
export function hashInput(kind: GateInputKind, path: string): GateInput | undefined {
  try {
    return { kind, path: shownPath(path), sha256: sha256Hex(readFileSync(path)) };
  } catch {
    return undefined;
  }
}
