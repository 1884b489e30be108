import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { sha256Hex } from '../core/digest.js';
import { ArbiterError } from '../core/errors.js';

/**
 * Every file a gate decision rests on, with its SHA-256: recorded in the gate run's summary, so the
 * ledger entry that pins the report's digest pins exactly this evidence.
 */

export const gateInputKinds = [
  'release',
  'baseline',
  'lockfile',
  'model',
  'dataset',
  'bom',
  'scan',
  'signature',
  'sarif',
  'sbom',
  'vex',
  'evaluation',
  'baseline-sarif',
  'baseline-evaluation',
  'osv-database',
] as const;
export type GateInputKind = (typeof gateInputKinds)[number];

export interface GateInput {
  kind: GateInputKind;
  /** As shown (relative to the working directory). */
  path: string;
  /** Lowercase hex SHA-256 of the bytes read (for an OSV directory, of its listing; docs/gate.md). */
  sha256: string;
  /** For the OSV database: its newest record's `modified` and the number of records. */
  newestModified?: string;
  records?: number;
}

export const shownPath = (path: string) => relative(process.cwd(), path) || '.';

/** Reads a file once, returning its bytes with the input record that pins them. */
export function readInput(
  kind: GateInputKind,
  path: string,
  what: string,
): { bytes: Buffer; input: GateInput } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch {
    throw new ArbiterError(
      existsSync(path) ? 'ARB_ERR_INPUT_INVALID' : 'ARB_ERR_INPUT_NOT_FOUND',
      `${what} ${shownPath(path)} cannot be read`,
      { details: { file: shownPath(path) } },
    );
  }
  return { bytes, input: { kind, path: shownPath(path), sha256: sha256Hex(bytes) } };
}

/** JSON from bytes (a UTF-8 byte-order mark is allowed: Windows tools write one). */
export function parseJsonInput(bytes: Buffer, file: string, what: string): unknown {
  try {
    return JSON.parse(bytes.toString('utf8').replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new ArbiterError(
      'ARB_ERR_INPUT_INVALID',
      `${what} ${file} is not JSON (${error instanceof Error ? error.message : String(error)})`,
      { details: { file } },
    );
  }
}

/** One record per path and kind: a file named twice (in the release and on the command line) is read once. */
export function uniqueInputs(inputs: readonly GateInput[]): GateInput[] {
  const seen = new Set<string>();
  return inputs.filter((input) => {
    const key = `${input.kind}\0${input.path}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
