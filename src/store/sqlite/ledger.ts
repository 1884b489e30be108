import type Database from 'better-sqlite3';
import type { AppendWriter, NodeReader } from '../sql/ledger.js';

/**
 * The ledger queries SQLite does its own way (the rest are shared, in `sql/ledger.ts`), on the
 * hot path of every append: one prepared lookup per node (no round trips to save in process),
 * and the append's rows inserted with prepared statements.
 */

/** Level-0 nodes come from the entries' leaf hashes. */
export function sqliteNodes(db: Database.Database): NodeReader {
  const leaf = db.prepare('SELECT leaf_hash FROM ledger_entries WHERE seq = ?').pluck();
  const node = db.prepare('SELECT hash FROM ledger_nodes WHERE level = ? AND idx = ?').pluck();
  return async (ids) =>
    ids.map(({ level, index }) => {
      const hash = level === 0 ? leaf.get(index) : node.get(level, index);
      if (hash === undefined) throw new Error(`ledger node (${level}, ${index}) is missing`);
      return hash as Buffer;
    });
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
