import type { JsonValue } from '../core/json.js';
import { type ChunkTree, hashChunkTree } from './chunk-tree.js';
import { decodeEntry, personalOf, type scanEntry, scanEntryAt } from './entry-scan.js';
import type { EntryBatch } from './storage.js';

/**
 * Verification of one chunk of entries, on its own: each entry scanned, leaf-hashed and compared
 * with its recorded leaf hash, and the chunk's leaves folded into RFC 6962 perfect subtrees, so
 * the caller combines chunks with one node hash each instead of one per entry; the hashing is
 * done in bulk (chunk-tree.ts). Pure and
 * independent of every other chunk: chunks can be verified in any order, on any thread, and
 * their verdicts combined in log order (audit.ts does).
 */

/** Entries per chunk: a power of two, so a chunk starting at a multiple of it is a perfect subtree. */
export const verificationChunkSize = 16_384;

/** A perfect subtree of 2^level leaves, by its hash. */
export interface Subtree {
  level: number;
  hash: Uint8Array;
}

/** The first entry of a chunk that failed, and why. */
export interface EntryProblem {
  code: 'entry-malformed' | 'entry-out-of-order' | 'entry-altered';
  seq: number;
  message: string;
}

export interface ChunkVerdict {
  /** The batch's start. */
  start: number;
  /** How many entries from `start` passed: all of the batch, or those before `problem`. */
  verified: number;
  /** The perfect subtrees over [start, start + verified), largest first. */
  frontier: Subtree[];
  /** The same over [start, size) for each requested size in (start, start + verified]. */
  frontiersAt: { size: number; frontier: Subtree[] }[];
  /** The commitments of verified entries that have personal fields. */
  personal: { seq: number; commitments: Record<string, JsonValue> }[];
  problem?: EntryProblem;
}

export interface ChunkOptions {
  /** Decode and re-canonicalise every entry instead of the fast structural scan. */
  strict?: boolean;
  /** Tree sizes whose frontier the caller needs (checkpoint sizes), in any order. */
  sizes?: readonly number[];
}

/**
 * Verifies the entries of `batch`, which must carry seqs start, start + 1, …, stopping at the
 * first that fails. Requires batch.start to be a multiple of a power of two at least the batch's
 * length (true of chunks of `verificationChunkSize` read from multiples of it), so the frontier's
 * subtrees are subtrees of the whole log.
 */
export function verifyChunk(batch: EntryBatch, options: ChunkOptions = {}): ChunkVerdict {
  const { start, bytes, ends, leafHashes } = batch;
  const recorded = Math.floor(leafHashes.length / 32);
  const verdict: ChunkVerdict = { start, verified: 0, frontier: [], frontiersAt: [], personal: [] };
  // The structural check of every entry, up to the first that fails it.
  let scanned = ends.length;
  let scanFailure: EntryProblem | undefined;
  let from = 0;
  for (let i = 0; i < ends.length; i++) {
    const seq = start + i;
    const to = ends[i]!;
    const scan = options.strict
      ? strictScan(bytes.subarray(from, to), seq)
      : scanEntryAt(bytes, from, to, seq);
    if (scan.problem !== undefined) {
      scanned = i;
      scanFailure = scanProblem(seq, scan.problem, scan.foundSeq);
      break;
    }
    if (scan.personal) verdict.personal.push({ seq, commitments: scan.personal });
    from = to;
  }
  // Every scanned entry's leaf and the subtrees over them, hashed in bulk; the first entry that
  // fails either check is the chunk's problem, as if each were checked in turn.
  const tree = hashChunkTree(bytes, ends, scanned);
  const altered = firstMismatch(tree.leaves, leafHashes, Math.min(scanned, recorded));
  if (altered !== undefined) {
    const seq = start + altered;
    verdict.verified = altered;
    verdict.problem = {
      code: 'entry-altered',
      seq,
      message: `entry seq ${seq} does not match the leaf hash recorded when it was appended: it was altered`,
    };
    verdict.personal = verdict.personal.filter((entry) => entry.seq < seq);
  } else {
    verdict.verified = scanned;
    if (scanFailure) verdict.problem = scanFailure;
  }
  verdict.frontier = frontierOf(tree, verdict.verified);
  const sizes = new Set(options.sizes ?? []);
  for (const size of [...sizes].sort((a, b) => a - b))
    if (size > start && size <= start + verdict.verified)
      verdict.frontiersAt.push({ size, frontier: frontierOf(tree, size - start) });
  return verdict;
}

/**
 * The perfect subtrees over the first `count` leaves, largest first: one per bit of `count`, as
 * the RFC 6962 stack holds them after `count` leaves. Copies, so a worker posts 32 bytes each.
 */
function frontierOf(tree: ChunkTree, count: number): Subtree[] {
  const frontier: Subtree[] = [];
  let covered = 0;
  for (let level = 31; level >= 0; level--) {
    if ((count & (2 ** level)) === 0) continue;
    frontier.push({ level, hash: tree.subtree(level, covered / 2 ** level) });
    covered += 2 ** level;
  }
  return frontier;
}

/** The first i < count whose leaf hash differs from the one recorded at 32 i, if any. */
function firstMismatch(leaves: Uint8Array, recorded: Uint8Array, count: number): number | undefined {
  const length = 32 * count;
  // One comparison of the whole range first: in a ledger that verifies, every leaf matches.
  const whole = Buffer.from(leaves.buffer, leaves.byteOffset, length);
  if (whole.equals(Buffer.from(recorded.buffer, recorded.byteOffset, length))) return undefined;
  for (let i = 0; i < count; i++) if (!matchesAt(leaves, recorded, 32 * i)) return i;
  return undefined;
}

/** True when the 32 bytes of `leaves` and of `recorded` at `offset` are equal. */
function matchesAt(leaves: Uint8Array, recorded: Uint8Array, offset: number): boolean {
  let diff = 0;
  for (let j = offset; j < offset + 32; j++) diff |= leaves[j]! ^ recorded[j]!;
  return diff === 0;
}

function scanProblem(seq: number, problem: string, found: number | undefined): EntryProblem {
  if (found === undefined) return { code: 'entry-malformed', seq, message: `entry seq ${seq} ${problem}` };
  return {
    code: 'entry-out-of-order',
    seq,
    message:
      found > seq
        ? `entry seq ${seq} is missing or out of order (entry seq ${found} is in its place)`
        : `entry seq ${found} appears where seq ${seq} belongs (entries reordered or duplicated)`,
  };
}

function strictScan(bytes: Uint8Array, expectedSeq: number): ReturnType<typeof scanEntry> {
  const decoded = decodeEntry(bytes, expectedSeq);
  if ('problem' in decoded) return decoded;
  const personal = personalOf(decoded.entry);
  return personal ? { personal } : {};
}

/**
 * Packs entries read one by one (an export's lines) into batches of `verificationChunkSize`,
 * starting at seq 0. The first entry without a recorded leaf hash ends the recorded prefix of its
 * batch (an export's leaf-hash file may be shorter than its entries); a recorded hash that is not
 * 32 bytes becomes 32 zero bytes, which matches no entry.
 */
export async function* entryBatches(
  entries: AsyncIterable<{ bytes: Uint8Array; leafHash?: Uint8Array }>,
  chunkSize: number = verificationChunkSize,
): AsyncIterable<EntryBatch> {
  let start = 0;
  let pending: { bytes: Uint8Array; leafHash?: Uint8Array }[] = [];
  const pack = (): EntryBatch => {
    const ends = new Uint32Array(pending.length);
    let total = 0;
    for (let i = 0; i < pending.length; i++) ends[i] = total += pending[i]!.bytes.length;
    const bytes = new Uint8Array(total);
    let recorded = 0;
    while (recorded < pending.length && pending[recorded]!.leafHash !== undefined) recorded++;
    const leafHashes = new Uint8Array(recorded * 32);
    for (let i = 0; i < pending.length; i++) {
      bytes.set(pending[i]!.bytes, ends[i - 1] ?? 0);
      const recordedHash = pending[i]!.leafHash;
      if (i < recorded && recordedHash?.length === 32) leafHashes.set(recordedHash, i * 32);
    }
    const batch = { start, bytes, ends, leafHashes };
    start += pending.length;
    pending = [];
    return batch;
  };
  for await (const entry of entries) {
    pending.push(entry);
    if (pending.length === chunkSize) yield pack();
  }
  if (pending.length > 0) yield pack();
}
