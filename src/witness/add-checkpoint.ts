import { type Checkpoint, openCheckpoint } from '../ledger/checkpoint.js';
import { type NoteVerifier, noteParts } from '../ledger/note.js';
import { emptyRoot, hashSize } from '../ledger/rfc6962.js';
import { verifyConsistency } from '../ledger/verify.js';

/**
 * The witness side of C2SP tlog-witness `add-checkpoint` (c2sp.org/tlog-witness): the request
 * body's grammar and the decision whether to cosign, as pure functions. The adapter holds the
 * state and runs `decideAddCheckpoint` and the store of its result as one atomic step.
 */

/** The spec: a client MUST NOT send more than 63 consistency proof lines. */
export const maxProofLines = 63;
/** Larger than any honest request: 63 proof lines, a checkpoint and a handful of signatures. */
export const maxRequestBytes = 16 * 1024;

export interface AddCheckpointRequest {
  oldSize: number;
  proof: Uint8Array[];
  /** The signed checkpoint note, signature lines included. */
  note: string;
}

export type ParsedRequest = { ok: true; request: AddCheckpointRequest } | { ok: false; reason: string };

const decimal = /^(0|[1-9][0-9]*)$/;

/**
 * Parses `old N\n`, up to 63 base64 hash lines, an empty line, then the checkpoint note. Every
 * malformation is a reason (the witness answers 400), never an exception.
 */
export function parseAddCheckpointRequest(body: string): ParsedRequest {
  if (Buffer.byteLength(body, 'utf8') > maxRequestBytes)
    return { ok: false, reason: `request body is larger than ${maxRequestBytes} bytes` };
  const blank = body.indexOf('\n\n');
  if (blank < 0) return { ok: false, reason: 'request has no empty line before the checkpoint' };
  const head = body.slice(0, blank).split('\n');
  const note = body.slice(blank + 2);
  const oldLine = /^old (\S+)$/.exec(head[0] ?? '');
  if (!oldLine || !decimal.test(oldLine[1] as string))
    return { ok: false, reason: 'first line must be "old <size>" in decimal without leading zeroes' };
  const oldSize = Number(oldLine[1]);
  if (!Number.isSafeInteger(oldSize)) return { ok: false, reason: 'old size is too large' };
  const proofLines = head.slice(1);
  if (proofLines.length > maxProofLines)
    return { ok: false, reason: `more than ${maxProofLines} consistency proof lines` };
  const proof: Uint8Array[] = [];
  for (const [i, line] of proofLines.entries()) {
    const hash = Buffer.from(line, 'base64');
    if (hash.length !== hashSize || hash.toString('base64') !== line)
      return { ok: false, reason: `proof line ${i + 1} is not a base64 SHA-256 hash` };
    proof.push(new Uint8Array(hash));
  }
  if (oldSize === 0 && proof.length > 0)
    return { ok: false, reason: 'the proof must be empty when the old size is 0' };
  return { ok: true, request: { oldSize, proof, note } };
}

/** Formats a request body exactly as the spec's example: old line, proof lines, empty line, note. */
export function formatAddCheckpointRequest(request: AddCheckpointRequest): string {
  const proof = request.proof.map((hash) => `${Buffer.from(hash).toString('base64')}\n`).join('');
  return `old ${request.oldSize}\n${proof}\n${request.note}`;
}

/** A log the witness is configured to witness: its origin and the keys it trusts for it. */
export interface WitnessedLog {
  origin: string;
  verifiers: NoteVerifier[];
}

/** What the witness last cosigned for a log (absent: it never did). */
export interface WitnessedHead {
  size: number;
  root: Uint8Array;
}

export type AddCheckpointDecision =
  /** Cosign `checkpoint` and store it as the log's latest; `body` is the note body to cosign. */
  | { status: 200; checkpoint: Checkpoint; body: string }
  | { status: 400 | 403 | 404 | 422; reason: string; origin?: string }
  /** `size` is the stored size, the response body (`text/x.tlog.size`). */
  | { status: 409; reason: string; size: number; origin: string };

/**
 * Decides one add-checkpoint request against the state, in the order of the spec: unknown
 * origin 404; no trusted signature verifies 403; old size above the checkpoint's 400; old size
 * not the latest cosigned size 409; same size, other root 409; proof does not verify 422.
 * `latest` is looked up by origin after the note is parsed: the caller passes a function.
 */
export function decideAddCheckpoint(options: {
  request: AddCheckpointRequest;
  logs: readonly WitnessedLog[];
  latest: (origin: string) => WitnessedHead | undefined;
}): AddCheckpointDecision {
  const { request } = options;
  const origin = request.note.slice(0, request.note.indexOf('\n'));
  const log = options.logs.find((candidate) => candidate.origin === origin);
  if (!log) return { status: 404, reason: `unknown log origin ${JSON.stringify(origin.slice(0, 200))}` };
  const opened = openCheckpoint(request.note, log.verifiers);
  if (!opened.ok) {
    // A malformed note is the client's error; a note no trusted key signed is forbidden.
    const status = opened.reason === 'malformed' || opened.reason === 'not-a-checkpoint' ? 400 : 403;
    return { status, reason: opened.message, origin };
  }
  const { checkpoint } = opened;
  if (checkpoint.origin !== log.origin)
    return { status: 404, reason: 'checkpoint origin is not the configured log', origin };
  if (request.oldSize > checkpoint.size)
    return {
      status: 400,
      reason: `old size ${request.oldSize} is larger than the checkpoint's size ${checkpoint.size}`,
      origin,
    };
  const stored = options.latest(origin) ?? { size: 0, root: emptyRoot };
  if (request.oldSize !== stored.size)
    return {
      status: 409,
      reason: `old size ${request.oldSize} is not the latest cosigned size ${stored.size}`,
      size: stored.size,
      origin,
    };
  if (checkpoint.size === stored.size) {
    if (!Buffer.from(checkpoint.root).equals(Buffer.from(stored.root)))
      return {
        status: 409,
        reason: `a different root for size ${stored.size} was already cosigned`,
        size: stored.size,
        origin,
      };
    if (request.proof.length > 0)
      return { status: 422, reason: 'the proof must be empty between equal sizes', origin };
  } else if (!verifyConsistency(stored.size, checkpoint.size, request.proof, stored.root, checkpoint.root)) {
    return {
      status: 422,
      reason: `the consistency proof from ${stored.size} to ${checkpoint.size} does not verify`,
      origin,
    };
  }
  // The note opened above, so it has a signature block.
  return { status: 200, checkpoint, body: noteParts(request.note)?.text ?? '' };
}
