import { sha256Hex } from '../core/digest.js';
import type { FileScan } from './scan.js';

/**
 * A model kept as a directory (a Hugging Face snapshot: config, tokenizer, sharded weights) is
 * judged as one model: every file in it is scanned, and its digest is that of a manifest naming
 * each file's SHA-256 and path, so renaming, adding or removing any file changes it.
 */

/** One scanned file of a model directory; `path` is relative to the directory, `/`-separated. */
export interface DirectoryMember {
  path: string;
  scan: FileScan;
}

/**
 * The manifest a directory digest covers: one `sha256  path` line per file, sorted by path, in
 * the format `sha256sum` prints, so the digest can be reproduced without Arbiter.
 */
export function directoryManifest(members: readonly DirectoryMember[]): string {
  return [...members]
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((member) => `${member.scan.sha256}  ${member.path}\n`)
    .join('');
}

/** The directory as one scan: its manifest digest, total size and every member's findings. */
export function directoryScan(file: string, members: readonly DirectoryMember[]): FileScan {
  return {
    file,
    format: 'directory',
    sizeBytes: members.reduce((total, member) => total + member.scan.sizeBytes, 0),
    sha256: sha256Hex(directoryManifest(members)),
    findings: members.flatMap((member) => member.scan.findings),
  };
}
