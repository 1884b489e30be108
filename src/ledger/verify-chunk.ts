import type { JsonValue } from '../core/json.js';
import { decodeEntry, personalOf, type scanEntry, scanEntryAt } from './entry.js';
import { leafHashAt, nodeHash } from './rfc6962.js';
import type { EntryBatch } from './storage.js';

/**
 * Verification of one chunk of entries, on its own: each entry scanned, leaf-hashed and compared
 * with its recorded leaf hash, and the chunk's leaves folded into RFC 6962 perfect subtrees, so
 * the caller combines chunks with one node hash each instead of one per entry. Pure and
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
  const sizes = (options.sizes ?? [])
    .filter((size) => size > start && size <= start + ends.length)
    .sort((a, b) => a - b);
  const levels: number[] = [];
  const hashes: Uint8Array[] = [];
  // Copies: a digest may be a view of a larger pooled buffer, all of which a worker would post.
  const frontier = () => levels.map((level, i) => ({ level, hash: new Uint8Array(hashes[i]!) }));
  const verdict: ChunkVerdict = { start, verified: 0, frontier: [], frontiersAt: [], personal: [] };
  let nextSize = 0;
  let from = 0;
  for (let i = 0; i < ends.length; i++) {
    const seq = start + i;
    const to = ends[i]!;
    const scanned = options.strict
      ? strictScan(bytes.subarray(from, to), seq)
      : scanEntryAt(bytes, from, to, seq);
    if (scanned.problem !== undefined) {
      verdict.problem = scanProblem(seq, scanned.problem, scanned.foundSeq);
      break;
    }
    const leaf = leafHashAt(bytes, from, to);
    from = to;
    if (i < recorded && !matchesAt(leaf, leafHashes, i * 32)) {
      verdict.problem = {
        code: 'entry-altered',
        seq,
        message: `entry seq ${seq} does not match the leaf hash recorded when it was appended: it was altered`,
      };
      break;
    }
    if (scanned.personal) verdict.personal.push({ seq, commitments: scanned.personal });
    // RFC 6962 stack: a new leaf merges with every complete subtree of its own size to its left.
    let level = 0;
    let hash = leaf;
    while (levels.length > 0 && levels[levels.length - 1] === level) {
      levels.pop();
      hash = nodeHash(hashes.pop()!, hash);
      level++;
    }
    levels.push(level);
    hashes.push(hash);
    verdict.verified = i + 1;
    while (nextSize < sizes.length && sizes[nextSize] === seq + 1)
      verdict.frontiersAt.push({ size: sizes[nextSize++]!, frontier: frontier() });
  }
  verdict.frontier = frontier();
  return verdict;
}

/** True when the 32 bytes of `recorded` at `offset` equal `leaf`. */
function matchesAt(leaf: Uint8Array, recorded: Uint8Array, offset: number): boolean {
  let diff = 0;
  for (let j = 0; j < 32; j++) diff |= leaf[j]! ^ recorded[offset + j]!;
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
