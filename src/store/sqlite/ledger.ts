import type Database from 'better-sqlite3';
import {
  type AppendWriter,
  type EntryBatchReader,
  type NodeReader,
  packedEntryBatch,
} from '../sql/ledger.js';

/**
 * The ledger queries SQLite does its own way (the rest are shared, in `sql/ledger.ts`), on the
 * hot path of every append: one prepared lookup per node (no round trips to save in process),
 * and the append's rows inserted with prepared statements; and verification's reads.
 */

/**
 * Called in the same turn as a read, right after it: resolves once what the read saw is on disk
 * (see WalSync.readable); undefined when it is already.
 */
export type ReadBarrier = () => Promise<void> | undefined;

const noBarrier: ReadBarrier = () => undefined;

/**
 * Runs `read` and holds its result until the barrier says what it saw is on disk. The barrier is
 * asked in the same turn as the read and after it, so it sees at least every commit the read saw,
 * by any connection; another process can commit at any moment, so asking before would leave a
 * window between the check and the read.
 */
export async function whenReadable<T>(barrier: ReadBarrier, read: () => T): Promise<T> {
  const result = read();
  const pending = barrier();
  if (pending) await pending;
  return result;
}

/** Level-0 nodes come from the entries' leaf hashes. */
export function sqliteNodes(db: Database.Database, barrier: ReadBarrier = noBarrier): NodeReader {
  const leaf = db.prepare('SELECT leaf_hash FROM ledger_entries WHERE seq = ?').pluck();
  const node = db.prepare('SELECT hash FROM ledger_nodes WHERE level = ? AND idx = ?').pluck();
  return (ids) =>
    whenReadable(barrier, () =>
      ids.map(({ level, index }) => {
        const hash = level === 0 ? leaf.get(index) : node.get(level, index);
        if (hash === undefined) throw new Error(`ledger node (${level}, ${index}) is missing`);
        return hash as Buffer;
      }),
    );
}

export function sqliteAppend(db: Database.Database): AppendWriter {
  const insertEntry = db.prepare(
    'INSERT INTO ledger_entries (seq, time, type, actor, subject, entry, leaf_hash) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const insertNode = db.prepare('INSERT INTO ledger_nodes (level, idx, hash) VALUES (?, ?, ?)');
  const insertPersonal = db.prepare(
    'INSERT INTO ledger_personal (seq, field, salt, value) VALUES (?, ?, ?, ?)',
  );
  return async ({ entries, nodes, personal }) => {
    for (const e of entries) insertEntry.run(e.seq, e.time, e.type, e.actor, e.subject, e.bytes, e.leafHash);
    for (const n of nodes) insertNode.run(n.level, n.index, n.hash);
    for (const v of personal) insertPersonal.run(v.seq, v.field, v.salt, JSON.stringify(v.value));
  };
}

/**
 * A range of entries as one row of three aggregates. Reading a row per entry costs two Buffers
 * and an array each, more than SQLite's own work; this reads a whole range in a few allocations.
 * `group_concat` keeps the bytes exactly (embedded NULs included: it appends by length) and the
 * CAST back to BLOB keeps them as bytes. The rows come in primary-key order, the order of the
 * range scan; verification checks every entry's seq regardless. A missing (NULL) entry counts as
 * empty and a leaf hash that is not a 32-byte blob as 32 zero bytes, so neither can shift the
 * others out of line.
 */
export function sqliteEntryBatch(db: Database.Database, barrier: ReadBarrier = noBarrier): EntryBatchReader {
  const range = db
    .prepare(
      `SELECT CAST(group_concat(entry, x'') AS BLOB), group_concat(length(entry)),
              CAST(group_concat(CASE WHEN typeof(leaf_hash) = 'blob' AND length(leaf_hash) = 32
                                     THEN leaf_hash ELSE zeroblob(32) END, x'') AS BLOB)
       FROM (SELECT coalesce(CAST(entry AS BLOB), x'') AS entry, leaf_hash FROM ledger_entries
             WHERE seq >= ? AND seq < ? ORDER BY seq)`,
    )
    .raw();
  return (start, end) =>
    whenReadable(barrier, () => {
      const [bytes, lengths, leafHashes] = range.get(start, end) as [
        Buffer | null,
        string | null,
        Buffer | null,
      ];
      return packedEntryBatch(start, bytes, lengths, leafHashes);
    });
}
