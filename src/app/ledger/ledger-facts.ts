import { ArbiterError } from '../../core/errors.js';
import { decodeEntry, type LedgerEntry } from '../../ledger/entry.js';
import { leafHash } from '../../ledger/rfc6962.js';
import { verifyInclusion } from '../../ledger/verify.js';
import type { Ledger } from './ledger.js';
import type { TreeHead, TrustedCheckpoint } from './trusted-checkpoint.js';

/** Past this many proven entries the cache starts over (a bound on memory, not on correctness). */
const maxCachedEntries = 200_000;

/**
 * Ledger entries this process may rely on: each one read from the database, decoded from its
 * hashed bytes (never from the query columns) and proven by an RFC 6962 inclusion proof against a
 * tree this process trusts — the trusted checkpoint kept outside the database, or a newer tree
 * proven to extend it. A database writer can edit ledger rows as well as tables; an edited entry
 * fails its proof, and an edit before the trusted checkpoint stops the proof of extension.
 *
 * Each entry is proven once per process and cached by index: entries never change once included.
 * Looking entries up by subject uses the database's index as a hint only; what it finds is proven.
 * Absence cannot be proven that way (a writer may hide an entry by changing its subject column) —
 * the state audit, which replays every entry's bytes, finds that.
 */
export class LedgerFacts {
  private readonly proven = new Map<number, Promise<LedgerEntry>>();

  constructor(
    private readonly ledger: Ledger,
    private readonly trusted: TrustedCheckpoint,
  ) {}

  /** Entry `index`, proven. Throws ARB_ERR_STATE_UNSUPPORTED when it is missing or fails its proof. */
  entry(index: number): Promise<LedgerEntry> {
    let pending = this.proven.get(index);
    if (!pending) {
      if (this.proven.size >= maxCachedEntries) this.proven.clear();
      pending = this.prove(index);
      this.proven.set(index, pending);
      // A failure is not cached: the next call proves again (and fails again while the edit stands).
      pending.catch(() => this.proven.delete(index));
    }
    return pending;
  }

  /** Every entry about `subject` of one of `types`, proven, in log order. */
  async about(subject: string, types: readonly string[]): Promise<LedgerEntry[]> {
    const hints = await this.ledger.store.ledgerEntriesAbout({ subject, types: [...types], limit: 10_000 });
    const entries = await Promise.all(hints.map((hint) => this.entry(hint.seq)));
    return entries.filter((entry) => entry.subject === subject && types.includes(entry.type));
  }

  private async prove(index: number): Promise<LedgerEntry> {
    const reader = this.ledger.store.ledger;
    const [stored] = await reader.entryBytes(index, index + 1);
    if (!stored) throw unsupported(`ledger entry ${index} is missing`, index);
    const decoded = decodeEntry(stored.bytes, index);
    if ('problem' in decoded) throw unsupported(`ledger entry ${index} ${decoded.problem}`, index);
    let head = await this.headCovering(index);
    let path: Uint8Array[];
    try {
      path = await this.ledger.log.inclusionProof(reader, index, head.size);
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      // The verified tree was seen inside a transaction that rolled back: prove against today's.
      head = await this.trusted.verifyExtension();
      path = await this.ledger.log.inclusionProof(reader, index, head.size);
    }
    if (!verifyInclusion(leafHash(stored.bytes), index, head.size, path, head.root))
      throw unsupported(
        `ledger entry ${index} is not the entry included in the trusted tree of size ${head.size}: it was altered in the database`,
        index,
      );
    return decoded.entry;
  }

  /** A trusted tree that contains `index`: the verified head, extended (and proven) when it is too small. */
  private async headCovering(index: number): Promise<TreeHead> {
    const head = this.trusted.verifiedHead;
    if (index < head.size) return head;
    const extended = await this.trusted.verifyExtension();
    if (index >= extended.size) throw unsupported(`ledger entry ${index} is not in the log`, index);
    return extended;
  }
}

function unsupported(message: string, index: number): ArbiterError {
  return new ArbiterError('ARB_ERR_STATE_UNSUPPORTED', message, {
    details: { reason: 'ledger-entry', index },
  });
}
