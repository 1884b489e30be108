import type { LedgerReader, LedgerWriter } from '../ledger/storage.js';
import type { RecordReads, RecordWrites } from './records.js';

/**
 * The one storage interface of Arbiter, implemented by the embedded SQLite store and the
 * PostgreSQL store. Reads see committed state; every write runs in a transaction that the store
 * may group with concurrent writes (group commit): one durable commit per batch, never an
 * acknowledgement before it.
 */
export interface Store extends RecordReads {
  readonly kind: 'sqlite' | 'postgres';
  /** Where the data lives, for messages (no credentials). */
  readonly location: string;
  readonly ledger: LedgerReader;
  /**
   * Runs `work` in a transaction and resolves after it commits. Concurrent writes share one
   * transaction (group commit, see write-queue.ts), without savepoints: when one write throws, the
   * whole transaction rolls back, that write is rejected with its error and the others run again
   * in a new transaction. So work must only use the transaction (no waiting on other I/O, no
   * effects outside it) and be safe to run more than once. `reads` names rows the work will read,
   * so that a store can read them for the whole batch in one round trip (PostgreSQL does; the
   * answers the work gets are the same either way).
   */
  write<T>(work: (tx: StoreTransaction) => Promise<T>, reads?: WriteReads): Promise<T>;
  getMeta(key: string): Promise<string | undefined>;
  /**
   * Calls `listener` after a transaction that changed a decision commits — in this process, and
   * with PostgreSQL in every replica — so long polls wake up wherever they wait.
   */
  onDecisionChanged(listener: (decisionId: string) => void): void;
  /**
   * Whether this process is the one that signs checkpoints and submits them to witnesses. With
   * PostgreSQL one replica at a time holds a session advisory lock (taken here when free, lost
   * with its connection); an SQLite database has one writer process, which always is.
   */
  holdsCheckpointLock(): Promise<boolean>;
  close(): Promise<void>;
}

/** Rows a write will read (Store.write): Systems by id, decisions by their actor's idempotency key. */
export interface WriteReads {
  systems?: readonly string[];
  idempotencyKeys?: readonly { actorId: string; key: string }[];
}

/** Personal-data erasure request: by exact value, or by entry (and optionally field). */
export type ErasureMatch = { value: string } | { seq: number; field?: string };

export interface StoreTransaction extends RecordReads, RecordWrites {
  readonly ledger: LedgerWriter;
  getMeta(key: string): Promise<string | undefined>;
  setMeta(key: string, value: string): Promise<void>;
  /**
   * Deletes the meta rows whose key starts with `prefix` and whose value, an ISO 8601 UTC time as
   * `Date.toISOString` writes it, is earlier than `before` (the same format); returns how many.
   * For records that only matter for a while, such as used sign-in states.
   */
  purgeMeta(range: { prefix: string; before: string }): Promise<number>;
  /** Announces, once this transaction commits, that a decision changed (see Store.onDecisionChanged). */
  decisionChanged(decisionId: string): Promise<void>;
  /** Deletes personal values (and their salts) beside the ledger; returns how many. */
  erasePersonal(match: ErasureMatch): Promise<number>;
}
