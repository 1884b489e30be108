import type { JsonValue } from '../core/json.js';
import { openCheckpoint } from './checkpoint.js';
import { type CosignatureVerifier, cosignaturesOf } from './cosignature.js';
import { type PersonalValue, personalCommitment } from './entry.js';
import type { NoteVerifier } from './note.js';
import { emptyRoot, nodeHash } from './rfc6962.js';
import type { EntryBatch } from './storage.js';
import { verifyConsistency } from './verify.js';
import {
  type ChunkOptions,
  type ChunkVerdict,
  entryBatches,
  type Subtree,
  verifyChunk,
} from './verify-chunk.js';

/**
 * Full verification of a ledger from its raw material — entries, recorded leaf hashes, signed
 * checkpoints, consistency proofs between them, personal values — by a party that trusts only
 * the verifier key. Works the same on an export directory and on a live database.
 */

/** What the verifier reads, in seq order. */
export interface AuditSource {
  /** Entries as stored: exact bytes, and the leaf hash recorded when they were appended. */
  entries(): AsyncIterable<{ bytes: Uint8Array; leafHash?: Uint8Array }>;
  /**
   * The same packed in batches, when the source can read them so (a database can): batch k
   * starts at seq k × verificationChunkSize and asks for that many entries.
   */
  batches?(): AsyncIterable<EntryBatch>;
  /** Signed checkpoint notes, in any order. */
  checkpoints(): Promise<string[]>;
  /** Consistency proofs between consecutive checkpoints, when the source has them. */
  consistencyProofs?(): Promise<{ from: number; to: number; proof: Uint8Array[] }[]>;
  /** Personal values kept beside the log (erased ones are simply absent). */
  personal(): AsyncIterable<PersonalValue>;
}

export type AuditProblemCode =
  | 'entry-out-of-order'
  | 'entry-malformed'
  | 'entry-altered'
  | 'checkpoint-signature'
  | 'checkpoint-origin'
  | 'checkpoint-root-mismatch'
  | 'checkpoint-beyond-log'
  | 'checkpoint-inconsistent'
  | 'no-checkpoint'
  | 'personal-mismatch'
  | 'checkpoint-cosignature'
  | 'not-witnessed';

export interface AuditProblem {
  code: AuditProblemCode;
  message: string;
  seq?: number;
  checkpointSize?: number;
}

export interface AuditReport {
  ok: boolean;
  entries: number;
  /** Root recomputed over all entries, base64. */
  root: string;
  checkpoints: number;
  latestCheckpoint?: { size: number; root: string };
  /** Entries appended after the latest checkpoint (not yet covered by a signature). */
  uncheckpointed: number;
  personalVerified: number;
  /** With `witnesses`: the newest checkpoint a quorum cosigned, and what came after it. */
  witnessed?: WitnessedReport;
  /** Set when verification failed: the first thing that did not match, and why. */
  problem?: AuditProblem;
}

export interface WitnessedReport {
  quorum: number;
  /** Size of the newest checkpoint cosigned by at least `quorum` of the given witnesses. */
  size: number;
  root: string;
  /** The witnesses that cosigned it. */
  witnesses: string[];
  /** Entries after it: signed by the log, perhaps, but not yet witnessed. */
  unwitnessed: number;
}

/** Incremental RFC 6962 root over perfect subtrees appended left to right (RFC 6962 stack). */
class RootBuilder {
  private readonly stack: Subtree[] = [];
  size = 0;

  /** Requires the subtree to start where the tree ends at a multiple of its size: a real subtree. */
  push(subtree: Subtree): void {
    const leaves = 2 ** subtree.level;
    if (this.size % leaves !== 0)
      throw new Error(`a subtree of ${leaves} leaves cannot start at ${this.size}: chunks misaligned`);
    this.stack.push(subtree);
    this.size += leaves;
    while (this.stack.length >= 2) {
      const right = this.stack[this.stack.length - 1]!;
      const left = this.stack[this.stack.length - 2]!;
      if (left.level !== right.level) break;
      this.stack.splice(-2, 2, { level: left.level + 1, hash: nodeHash(left.hash, right.hash) });
    }
  }

  /** The root of the tree, followed by `more` (subtrees to the right of it, in order). */
  root(more: readonly Subtree[] = []): Uint8Array {
    const all = more.length === 0 ? this.stack : [...this.stack, ...more];
    if (all.length === 0) return emptyRoot;
    let acc = all[all.length - 1]!.hash;
    for (let i = all.length - 2; i >= 0; i--) acc = nodeHash(all[i]!.hash, acc);
    return acc;
  }
}

/**
 * Verifies batches in log order and yields their verdicts in the same order (verifyChunk on each);
 * it may do the work on other threads. Stopping the iteration early must release them.
 */
export type ChunkVerifier = (
  batches: AsyncIterable<EntryBatch>,
  options: ChunkOptions,
) => AsyncIterable<ChunkVerdict>;

/** Every chunk on the calling thread, one after another. */
export const verifyChunksInThread: ChunkVerifier = async function* (batches, options) {
  for await (const batch of batches) yield verifyChunk(batch, options);
};

/** The largest power of two dividing `size` (> 0): the largest subtree that can start there. */
function alignmentOf(size: number): number {
  let alignment = 1;
  while (size % (alignment * 2) === 0) alignment *= 2;
  return alignment;
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const same = (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b) === 0;

export interface AuditOptions {
  verifiers: readonly NoteVerifier[];
  /** The origin checkpoints must carry, when known (from the export manifest or the database). */
  origin?: string;
  /** Require at least one checkpoint (default true): an unsigned log proves nothing. */
  requireCheckpoint?: boolean;
  /** Decode and re-canonicalise every entry instead of the fast structural scan (slower). */
  strict?: boolean;
  /** Called every 65,536 entries with the count so far, for progress output. */
  onProgress?: (entries: number) => void;
  /** Who verifies the chunks of entries (default: this thread); e.g. a pool of worker threads. */
  verifyChunks?: ChunkVerifier;
  /**
   * Require witness cosignatures: at least one checkpoint cosigned by `quorum` of these witnesses
   * (whose entries are then verified against it like any checkpoint); entries after the newest
   * such checkpoint are reported as not yet witnessed — a failure with `requireLatest`.
   */
  witnesses?: { verifiers: readonly CosignatureVerifier[]; quorum: number; requireLatest?: boolean };
}

/** Verifies everything and names the first entry or checkpoint that does not match. */
export async function auditLedger(source: AuditSource, options: AuditOptions): Promise<AuditReport> {
  const builder = new RootBuilder();
  /** The report of a failure after the entries verified so far (the builder's, then `more`). */
  const fail = (problem: AuditProblem, more: readonly Subtree[] = []): AuditReport => ({
    ok: false,
    entries: more.reduce((size, subtree) => size + 2 ** subtree.level, builder.size),
    root: b64(builder.root(more)),
    checkpoints: 0,
    uncheckpointed: 0,
    personalVerified: 0,
    problem,
  });

  // Checkpoints first: their signatures decide what the entries are checked against.
  const notes = await source.checkpoints();
  const checkpoints: { size: number; root: Uint8Array }[] = [];
  const witnessed: { size: number; root: Uint8Array; witnesses: string[] }[] = [];
  for (const note of notes) {
    const opened = openCheckpoint(note, options.verifiers);
    const size = Number(note.split('\n')[1]);
    if (!opened.ok) {
      return fail({
        code: 'checkpoint-signature',
        checkpointSize: size,
        message: `checkpoint at size ${size}: ${opened.message}`,
      });
    }
    if (options.origin !== undefined && opened.checkpoint.origin !== options.origin) {
      return fail({
        code: 'checkpoint-origin',
        checkpointSize: size,
        message: `checkpoint at size ${size} is for log "${opened.checkpoint.origin}", not "${options.origin}"`,
      });
    }
    checkpoints.push(opened.checkpoint);
    if (options.witnesses) {
      const { cosignatures, forged } = cosignaturesOf(note, options.witnesses.verifiers);
      if (forged.length > 0)
        return fail({
          code: 'checkpoint-cosignature',
          checkpointSize: size,
          message: `checkpoint at size ${size} carries a cosignature by ${forged.join(', ')} that does not verify`,
        });
      if (cosignatures.length >= options.witnesses.quorum)
        witnessed.push({ ...opened.checkpoint, witnesses: cosignatures.map((c) => c.witness).sort() });
    }
  }
  checkpoints.sort((a, b) => a.size - b.size);
  witnessed.sort((a, b) => a.size - b.size);
  if (options.witnesses && witnessed.length === 0)
    return fail({
      code: 'not-witnessed',
      message: `no checkpoint is cosigned by ${options.witnesses.quorum} of the ${options.witnesses.verifiers.length} given witness${options.witnesses.verifiers.length === 1 ? '' : 'es'}: nothing shows this history is the one the witnesses saw`,
    });
  if (checkpoints.length === 0 && options.requireCheckpoint !== false) {
    return fail({
      code: 'no-checkpoint',
      message: 'no signed checkpoint: nothing commits to the log contents',
    });
  }

  let nextCheckpoint = 0;
  const roots = new Map<number, Uint8Array>();
  const commitments = new Map<number, Record<string, JsonValue>>();
  /** Checks the checkpoints at `size`, whose root is the builder's followed by `more`. */
  const checkAt = (size: number, more: readonly Subtree[] = []): AuditProblem | undefined => {
    while (nextCheckpoint < checkpoints.length && checkpoints[nextCheckpoint]!.size === size) {
      const checkpoint = checkpoints[nextCheckpoint++]!;
      const root = builder.root(more);
      roots.set(size, root);
      if (!same(root, checkpoint.root)) {
        return {
          code: 'checkpoint-root-mismatch',
          checkpointSize: size,
          message: `the entries do not reproduce the signed root at size ${size}: an entry before seq ${size} was changed, removed or inserted along with its leaf hash`,
        };
      }
    }
    return undefined;
  };

  const early = checkAt(0);
  if (early) return fail(early);
  const batches = source.batches?.() ?? entryBatches(source.entries());
  const verify = options.verifyChunks ?? verifyChunksInThread;
  const sizes = checkpoints.map((checkpoint) => checkpoint.size);
  let reported = 0;
  // Verdicts come in log order; within one, checkpoints inside the chunk are checked before its
  // problem, exactly as if the entries were checked one by one.
  for await (const verdict of verify(batches, { sizes, ...(options.strict ? { strict: true } : {}) })) {
    if (verdict.start > builder.size) {
      // The previous chunk held fewer entries than it should: they are not stored at all.
      return fail({
        code: 'entry-out-of-order',
        seq: builder.size,
        message: `entry seq ${builder.size} is missing (no entry with seq ${builder.size} to ${verdict.start - 1} is stored)`,
      });
    }
    if (verdict.start < builder.size)
      throw new Error(`chunk verdict for ${verdict.start} arrived where ${builder.size} was expected`);
    if (verdict.start > 0 && verdict.verified > alignmentOf(verdict.start))
      throw new Error(
        `a chunk of ${verdict.verified} entries cannot start at ${verdict.start}: chunks misaligned`,
      );
    for (const { size, frontier } of verdict.frontiersAt) {
      const problem = checkAt(size, frontier);
      if (problem) return fail(problem, frontier);
    }
    for (const subtree of verdict.frontier) builder.push(subtree);
    for (const { seq, commitments: committed } of verdict.personal) commitments.set(seq, committed);
    const problem = checkAt(builder.size);
    if (problem) return fail(problem);
    if (verdict.problem) return fail(verdict.problem);
    if (Math.floor(builder.size / 65_536) > reported) {
      reported = Math.floor(builder.size / 65_536);
      options.onProgress?.(builder.size);
    }
  }
  const expected = builder.size;

  const beyond = checkpoints[nextCheckpoint];
  if (beyond) {
    return fail({
      code: 'checkpoint-beyond-log',
      checkpointSize: beyond.size,
      message: `the log has ${expected} entries but a signed checkpoint commits to ${beyond.size}: entries were removed from the end (truncated)`,
    });
  }

  // Consistency between consecutive checkpoints, from the proofs the source provides.
  const proofs = (await source.consistencyProofs?.()) ?? [];
  for (const { from, to, proof } of proofs) {
    const oldRoot = roots.get(from);
    const newRoot = roots.get(to);
    if (!oldRoot || !newRoot || !verifyConsistency(from, to, proof, oldRoot, newRoot)) {
      return fail({
        code: 'checkpoint-inconsistent',
        checkpointSize: to,
        message: `checkpoint at size ${to} is not consistent with checkpoint at size ${from}`,
      });
    }
  }

  let personalVerified = 0;
  for await (const value of source.personal()) {
    const committed = commitments.get(value.seq)?.[value.field];
    if (committed !== personalCommitment(value.salt, value.value)) {
      return fail({
        code: 'personal-mismatch',
        seq: value.seq,
        message: `personal field "${value.field}" of entry seq ${value.seq} does not match the commitment in the entry`,
      });
    }
    personalVerified++;
  }

  const latest = checkpoints[checkpoints.length - 1];
  const newestWitnessed = witnessed.at(-1);
  const witnessedReport: WitnessedReport | undefined =
    options.witnesses && newestWitnessed
      ? {
          quorum: options.witnesses.quorum,
          size: newestWitnessed.size,
          root: b64(newestWitnessed.root),
          witnesses: newestWitnessed.witnesses,
          unwitnessed: expected - newestWitnessed.size,
        }
      : undefined;
  if (options.witnesses?.requireLatest && witnessedReport && witnessedReport.unwitnessed > 0)
    return fail({
      code: 'not-witnessed',
      checkpointSize: witnessedReport.size,
      message: `the newest checkpoint cosigned by ${witnessedReport.quorum} witness${witnessedReport.quorum === 1 ? '' : 'es'} is at size ${witnessedReport.size}; ${witnessedReport.unwitnessed} later entries are not witnessed (--require-latest)`,
    });
  return {
    ok: true,
    entries: expected,
    root: b64(builder.root()),
    checkpoints: checkpoints.length,
    ...(latest ? { latestCheckpoint: { size: latest.size, root: b64(latest.root) } } : {}),
    uncheckpointed: expected - (latest?.size ?? 0),
    personalVerified,
    ...(witnessedReport ? { witnessed: witnessedReport } : {}),
  };
}
