import type { LedgerProof, TraceCheckpoint } from '../../incidents/trace.js';
import { openCheckpoint } from '../../ledger/checkpoint.js';
import { decodeEntry, type LedgerEntry } from '../../ledger/entry.js';
import { parseVerifierKey } from '../../ledger/note.js';
import { leafHash } from '../../ledger/rfc6962.js';
import { verifyInclusion } from '../../ledger/verify.js';
import type { Ledger } from './ledger.js';

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/**
 * Inclusion proofs of ledger entries against the latest signed checkpoint, each verified as an
 * outside auditor would: the checkpoint's signature with the verifier key, the leaf hash recomputed
 * from the entry's bytes, the proof against the signed root (not the database's copy of it).
 */
export class LedgerProver {
  private readonly proofs = new Map<number, Promise<{ proof: LedgerProof; entry?: LedgerEntry }>>();

  private constructor(
    private readonly ledger: Ledger,
    readonly checkpoint: TraceCheckpoint | null,
    /** The signed tree (size and root) when the checkpoint's signature verifies. */
    private readonly signed: { size: number; root: Uint8Array } | undefined,
  ) {}

  /** A prover for the latest stored checkpoint (none yet: every proof is `no-checkpoint`). */
  static async latest(ledger: Ledger): Promise<LedgerProver> {
    const stored = (await ledger.store.ledger.checkpoints()).at(-1);
    if (!stored) return new LedgerProver(ledger, null, undefined);
    const opened = openCheckpoint(stored.note, [parseVerifierKey(ledger.verifierKey)]);
    const valid = opened.ok && opened.checkpoint.origin === ledger.origin;
    return new LedgerProver(
      ledger,
      {
        origin: ledger.origin,
        size: stored.size,
        root: b64(opened.ok ? opened.checkpoint.root : stored.root),
        note: stored.note,
        signatureValid: valid,
        createdAt: stored.createdAt,
      },
      valid && opened.ok ? { size: opened.checkpoint.size, root: opened.checkpoint.root } : undefined,
    );
  }

  /** The proof of entry `index`, with the decoded entry when it exists. Cached per index. */
  prove(index: number): Promise<{ proof: LedgerProof; entry?: LedgerEntry }> {
    let pending = this.proofs.get(index);
    if (!pending) {
      pending = this.compute(index);
      this.proofs.set(index, pending);
    }
    return pending;
  }

  /** The proof, also checking that the entry is of `type` about `subject` as the record claims. */
  async proveClaim(index: number, claim: { type?: string; subject?: string }): Promise<LedgerProof> {
    const { proof, entry } = await this.prove(index);
    if (!entry) return proof;
    const wrong =
      (claim.type !== undefined && entry.type !== claim.type) ||
      (claim.subject !== undefined && entry.subject !== claim.subject);
    if (!wrong) return proof;
    return {
      ...proof,
      verified: false,
      status: 'failed',
      problem: `entry ${index} is ${entry.type} about ${entry.subject}, not ${claim.type ?? entry.type} about ${claim.subject ?? entry.subject}`,
    };
  }

  private async compute(index: number): Promise<{ proof: LedgerProof; entry?: LedgerEntry }> {
    const reader = this.ledger.store.ledger;
    const [stored] = await reader.entries(index, index + 1);
    const empty = { index, type: null, time: null, leafHash: null, treeSize: null, proof: [] };
    if (!stored)
      return { proof: { ...empty, verified: false, status: 'missing', problem: `no entry ${index}` } };
    const decoded = decodeEntry(stored.bytes, index);
    const entry = 'entry' in decoded ? decoded.entry : undefined;
    const leaf = leafHash(stored.bytes);
    const base = {
      ...empty,
      type: entry?.type ?? stored.type,
      time: entry?.time ?? stored.time,
      leafHash: b64(leaf),
    };
    const result = (proof: LedgerProof) => ({ proof, ...(entry ? { entry } : {}) });
    if (!this.checkpoint) return result({ ...base, verified: false, status: 'no-checkpoint' });
    if (!this.signed)
      return result({
        ...base,
        verified: false,
        status: 'failed',
        problem: 'the checkpoint signature does not verify with the ledger key',
      });
    if (index >= this.signed.size)
      return result({ ...base, treeSize: this.signed.size, verified: false, status: 'after-checkpoint' });
    const path = await this.ledger.log.inclusionProof(reader, index, this.signed.size);
    const verified =
      entry !== undefined && verifyInclusion(leaf, index, this.signed.size, path, this.signed.root);
    return result({
      ...base,
      treeSize: this.signed.size,
      proof: path.map(b64),
      verified,
      status: verified ? 'verified' : 'failed',
      ...(verified
        ? {}
        : {
            problem:
              'problem' in decoded
                ? `entry ${index} ${decoded.problem}`
                : `entry ${index} is not in the signed tree of size ${this.signed.size}`,
          }),
    });
  }
}
