import type { PersonalValue } from './entry.js';
import type { NodeId } from './tree-math.js';

/**
 * What the log needs from storage, and nothing more. Stores implement these; the ledger never
 * imports a store. Level-0 nodes are the leaf hashes; higher levels are the perfect subtrees
 * written as the tree grows, so any proof at any size reads O(log n) of them.
 */

/** An entry as stored: its exact hashed bytes, its leaf hash, and columns for querying. */
export interface StoredEntry {
  seq: number;
  time: string;
  type: string;
  actor: string;
  subject: string;
  bytes: Uint8Array;
  leafHash: Uint8Array;
}

export interface StoredNode {
  level: number;
  index: number;
  hash: Uint8Array;
}

/** A signed checkpoint as stored. */
export interface StoredCheckpoint {
  size: number;
  root: Uint8Array;
  note: string;
  createdAt: string;
}

/**
 * Entries as verification reads them: packed into a few buffers rather than one object per entry,
 * so a million entries cost a few dozen allocations and can be handed to a worker thread whole.
 */
export interface EntryBatch {
  /** The seq the first entry must carry: where the batch starts in the log. */
  start: number;
  /** The entries' stored bytes, one after another. */
  bytes: Uint8Array;
  /** Where each entry ends in `bytes`: entry i is bytes[ends[i - 1] ?? 0, ends[i]). */
  ends: Uint32Array;
  /**
   * The leaf hashes recorded when the entries were appended, 32 bytes each, for the first
   * `leafHashes.length / 32` entries (a source may have none). A store puts 32 zero bytes where
   * the recorded value is missing or is not 32 bytes, which then matches no entry.
   */
  leafHashes: Uint8Array;
}

/** Reads of committed ledger state. */
export interface LedgerReader {
  /** Number of entries. */
  size(): Promise<number>;
  /** Hashes of the given perfect subtrees, in order; throws if one is missing. */
  nodes(ids: readonly NodeId[]): Promise<Uint8Array[]>;
  /** Entries with start <= seq < end, in order. */
  entries(start: number, end: number): Promise<StoredEntry[]>;
  /** Just the hashed bytes and recorded leaf hashes of entries start <= seq < end: what verification reads. */
  entryBytes(start: number, end: number): Promise<{ bytes: Uint8Array; leafHash: Uint8Array }[]>;
  /**
   * The same for verification, packed: entries with start <= seq < end in seq order, as one batch
   * with `start` as its start (fewer entries than end - start when some are missing).
   */
  entryBatch(start: number, end: number): Promise<EntryBatch>;
  /** Personal values (those not erased) of entries with start <= seq < end. */
  personal(start: number, end: number): Promise<PersonalValue[]>;
  /** Every stored checkpoint, smallest size first. */
  checkpoints(): Promise<StoredCheckpoint[]>;
}

/** What one append writes: the entries, the perfect subtrees they complete, their personal values. */
export interface AppendWrite {
  entries: readonly StoredEntry[];
  nodes: readonly StoredNode[];
  personal: readonly PersonalValue[];
}

/** The log's size and last leaf hash, and the frontier's hashes when the store read them too (see LedgerWriter.tail). */
export interface LedgerTail {
  size: number;
  lastLeaf: Uint8Array | undefined;
  frontier?: readonly Uint8Array[];
}

/** Writes of one append, inside the caller's database transaction. */
export interface LedgerWriter extends Pick<LedgerReader, 'size' | 'nodes'> {
  /**
   * Size and last leaf hash in one read: how the log checks its cached frontier is current. A store
   * may also return `frontier`, the hashes of rangeNodes(0, size) largest first, read in the same
   * snapshot (the last one is `lastLeaf` when size is odd): the log then builds on them instead of
   * reading them with `nodes`.
   */
  tail(): Promise<LedgerTail>;
  /**
   * Changes whenever a transaction begins or rolls back. While it stays the same, nothing but
   * this writer has appended (appends are serialised per transaction), so the log may trust its
   * cache without reading the tail again.
   */
  readonly epoch?: number;
  /** Writes everything of one append (one statement where the database allows). */
  insertAppend(write: AppendWrite): Promise<void>;
  insertCheckpoint(checkpoint: StoredCheckpoint): Promise<void>;
}
