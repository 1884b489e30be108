import type { JsonValue } from '../core/json.js';
import { openCheckpoint } from './checkpoint.js';
import { type CosignatureVerifier, cosignaturesOf } from './cosignature.js';
import { decodeEntry, type PersonalValue, personalCommitment, scanEntry } from './entry.js';
import type { NoteVerifier } from './note.js';
import { emptyRoot, leafHash, nodeHash } from './rfc6962.js';
import { verifyConsistency } from './verify.js';

/**
 * Full verification of a ledger from its raw material — entries, recorded leaf hashes, signed
 * checkpoints, consistency proofs between them, personal values — by a party that trusts only
 * the verifier key. Works the same on an export directory and on a live database.
 */

/** What the verifier reads, in seq order. */
export interface AuditSource {
  /** Entries as stored: exact bytes, and the leaf hash recorded when they were appended. */
  entries(): AsyncIterable<{ bytes: Uint8Array; leafHash?: Uint8Array }>;
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

/** Incremental RFC 6962 root over leaves appended one by one. */
class RootBuilder {
  private readonly stack: { level: number; hash: Uint8Array }[] = [];
  size = 0;

  push(leaf: Uint8Array): void {
    this.stack.push({ level: 0, hash: leaf });
    this.size++;
    while (this.stack.length >= 2) {
      const right = this.stack[this.stack.length - 1]!;
      const left = this.stack[this.stack.length - 2]!;
      if (left.level !== right.level) break;
      this.stack.splice(-2, 2, { level: left.level + 1, hash: nodeHash(left.hash, right.hash) });
    }
  }

  root(): Uint8Array {
    if (this.stack.length === 0) return emptyRoot;
    let acc = this.stack[this.stack.length - 1]!.hash;
    for (let i = this.stack.length - 2; i >= 0; i--) acc = nodeHash(this.stack[i]!.hash, acc);
    return acc;
  }
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
  const fail = (problem: AuditProblem): AuditReport => ({
    ok: false,
    entries: builder.size,
    root: b64(builder.root()),
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
  const checkAt = (size: number): AuditProblem | undefined => {
    while (nextCheckpoint < checkpoints.length && checkpoints[nextCheckpoint]!.size === size) {
      const checkpoint = checkpoints[nextCheckpoint++]!;
      const root = builder.root();
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
  let expected = 0;
  for await (const stored of source.entries()) {
    const scanned = options.strict ? strictScan(stored.bytes, expected) : scanEntry(stored.bytes, expected);
    if (scanned.problem !== undefined) {
      const found = scanned.foundSeq;
      if (found === undefined)
        return fail({
          code: 'entry-malformed',
          seq: expected,
          message: `entry seq ${expected} ${scanned.problem}`,
        });
      return fail({
        code: 'entry-out-of-order',
        seq: expected,
        message:
          found > expected
            ? `entry seq ${expected} is missing or out of order (entry seq ${found} is in its place)`
            : `entry seq ${found} appears where seq ${expected} belongs (entries reordered or duplicated)`,
      });
    }
    const leaf = leafHash(stored.bytes);
    if (stored.leafHash && !same(leaf, stored.leafHash)) {
      return fail({
        code: 'entry-altered',
        seq: expected,
        message: `entry seq ${expected} does not match the leaf hash recorded when it was appended: it was altered`,
      });
    }
    if (scanned.personal) commitments.set(expected, scanned.personal);
    builder.push(leaf);
    expected++;
    if (expected % 65_536 === 0) options.onProgress?.(expected);
    const problem = checkAt(expected);
    if (problem) return fail(problem);
  }

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

function strictScan(bytes: Uint8Array, expectedSeq: number): ReturnType<typeof scanEntry> {
  const decoded = decodeEntry(bytes, expectedSeq);
  if ('problem' in decoded) return decoded;
  const personal = decoded.entry.data.personal;
  return personal && typeof personal === 'object' && !Array.isArray(personal) ? { personal } : {};
}
