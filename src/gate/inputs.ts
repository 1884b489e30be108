import { ArbiterError } from '../core/errors.js';

/**
 * Every file a gate decision rests on, with its SHA-256: recorded in the gate run's summary, so the
 * ledger entry that pins the report's digest pins exactly this evidence. The files are read at the
 * edge (app/releases/input-files.ts) within the limits set here; parsing them is pure.
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

/**
 * The largest input file the gate reads (256 MiB): a SARIF log with hundreds of thousands of
 * results is far below it, and a larger file is refused before it is read rather than exhausting
 * memory (V8 cannot hold a string much over 512 MiB at all). docs/gate.md#bring-your-scanners.
 */
export const maxInputBytes = 256 * 1024 * 1024;

/**
 * How deeply objects and arrays may nest in a JSON input (256 levels; real tools' output stays
 * under 20). Deeper input is refused before anything walks it, so no reader can exhaust the stack.
 */
export const maxInputDepth = 256;

/** `components[0].components[3]`, shortened in the middle when it is long. */
function jsonPath(segments: readonly (string | number)[]): string {
  const text = (list: readonly (string | number)[]) =>
    list
      .map((segment, i) =>
        typeof segment === 'number'
          ? `[${segment}]`
          : /^[A-Za-z_$][\w$-]*$/.test(segment)
            ? `${i === 0 ? '' : '.'}${segment}`
            : `[${JSON.stringify(segment)}]`,
      )
      .join('');
  if (segments.length <= 12) return text(segments);
  return `${text(segments.slice(0, 6))}…(${segments.length - 9} levels)…${text(segments.slice(-3)).replace(/^(?=[A-Za-z_$])/, '.')}`;
}

/**
 * Refuses JSON nested more than `maxInputDepth` levels, naming the file and the path where it
 * goes too deep. Walks with an explicit stack: the check itself must not recurse.
 */
export function assertJsonDepth(value: unknown, file: string, what: string, limit = maxInputDepth): void {
  // Each entry: a container, the path segment that leads to it, its depth and its parent entry.
  interface Frame {
    value: unknown;
    key: string | number | undefined;
    depth: number;
    parent: Frame | undefined;
  }
  const stack: Frame[] = [{ value, key: undefined, depth: 1, parent: undefined }];
  while (stack.length > 0) {
    const frame = stack.pop() as Frame;
    const current = frame.value;
    if (typeof current !== 'object' || current === null) continue;
    if (frame.depth > limit) {
      const segments: (string | number)[] = [];
      for (let f: Frame | undefined = frame; f?.key !== undefined; f = f.parent) segments.push(f.key);
      segments.reverse();
      throw new ArbiterError(
        'ARB_ERR_INPUT_INVALID',
        `${what} ${file}: ${jsonPath(segments)} is nested more than ${limit} levels deep; deeper input is refused`,
        { details: { file, reason: 'too-deep', limit } },
      );
    }
    if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--)
        if (typeof current[i] === 'object' && current[i] !== null)
          stack.push({ value: current[i], key: i, depth: frame.depth + 1, parent: frame });
    } else {
      for (const key of Object.keys(current)) {
        const item = (current as Record<string, unknown>)[key];
        if (typeof item === 'object' && item !== null)
          stack.push({ value: item, key, depth: frame.depth + 1, parent: frame });
      }
    }
  }
}

/**
 * JSON from bytes (a UTF-8 byte-order mark is allowed: Windows tools write one), nested at most
 * `maxInputDepth` levels.
 */
export function parseJsonInput(bytes: Buffer, file: string, what: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8').replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new ArbiterError(
      'ARB_ERR_INPUT_INVALID',
      `${what} ${file} is not JSON (${error instanceof Error ? error.message : String(error)})`,
      { details: { file } },
    );
  }
  assertJsonDepth(value, file, what);
  return value;
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
