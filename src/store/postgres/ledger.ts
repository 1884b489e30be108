import type { Row } from '../row-mapping.js';
import {
  type AppendWriter,
  type EntryBatchReader,
  type NodeReader,
  packedEntryBatch,
} from '../sql/ledger.js';

/**
 * The ledger queries PostgreSQL does its own way (the rest are shared, in `sql/ledger.ts`): many
 * nodes in one round trip, and a whole append in one statement, passing columns as arrays.
 */

/** The one thing the store needs from `pg`: run a parameterised statement. */
export interface Queryable {
  query(sql: string, params?: readonly unknown[]): Promise<{ rows: Row[]; rowCount: number | null }>;
}

const bytes = (value: unknown) => value as Buffer;

/** Level-0 nodes come from the entries' leaf hashes. */
export function pgNodes(db: Queryable): NodeReader {
  return async (ids) => {
    const leaves = ids.filter((id) => id.level === 0).map((id) => id.index);
    const inner = ids.filter((id) => id.level > 0);
    const found = new Map<string, Uint8Array>();
    if (leaves.length > 0) {
      const { rows } = await db.query(
        'SELECT seq, leaf_hash FROM ledger_entries WHERE seq = ANY($1::bigint[])',
        [leaves],
      );
      for (const row of rows) found.set(`0/${Number(row.seq)}`, bytes(row.leaf_hash));
    }
    if (inner.length > 0) {
      const { rows } = await db.query(
        'SELECT n.level, n.idx, n.hash FROM ledger_nodes n JOIN unnest($1::int[], $2::bigint[]) AS wanted (level, idx) ON n.level = wanted.level AND n.idx = wanted.idx',
        [inner.map((id) => id.level), inner.map((id) => id.index)],
      );
      for (const row of rows) found.set(`${row.level}/${Number(row.idx)}`, bytes(row.hash));
    }
    return ids.map(({ level, index }) => {
      const hash = found.get(`${level}/${index}`);
      if (!hash) throw new Error(`ledger node (${level}, ${index}) is missing`);
      return hash;
    });
  };
}

/**
 * A range of entries in one round trip as three aggregates (see packedEntryBatch): one bytea of
 * all entries instead of a row object and a hex-decoded Buffer per entry. A missing (NULL) entry
 * counts as empty and a leaf hash that is not 32 bytes as 32 zero bytes, so neither can shift the
 * others out of line.
 */
export function pgEntryBatch(db: Queryable): EntryBatchReader {
  return async (start, end) => {
    const { rows } = await db.query(
      `SELECT string_agg(coalesce(entry, ''::bytea), ''::bytea ORDER BY seq) AS bytes,
              string_agg(length(coalesce(entry, ''::bytea))::text, ',' ORDER BY seq) AS lengths,
              string_agg(CASE WHEN length(leaf_hash) = 32 THEN leaf_hash ELSE decode(repeat('00', 32), 'hex') END,
                         ''::bytea ORDER BY seq) AS leaf_hashes
       FROM ledger_entries WHERE seq >= $1 AND seq < $2`,
      [start, end],
    );
    const row = rows[0]!;
    return packedEntryBatch(
      start,
      row.bytes === null ? null : bytes(row.bytes),
      row.lengths as string | null,
      row.leaf_hashes === null ? null : bytes(row.leaf_hashes),
    );
  };
}

/** Entries, nodes and personal values in one statement: one round trip per append. */
export function pgAppend(db: Queryable): AppendWriter {
  return async ({ entries, nodes, personal }) => {
    await db.query(
      `WITH entries AS (
         INSERT INTO ledger_entries (seq, time, type, actor, subject, entry, leaf_hash)
         SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bytea[], $7::bytea[])
       ), nodes AS (
         INSERT INTO ledger_nodes (level, idx, hash) SELECT * FROM unnest($8::int[], $9::bigint[], $10::bytea[])
       ), personal AS (
         INSERT INTO ledger_personal (seq, field, salt, value) SELECT * FROM unnest($11::bigint[], $12::text[], $13::bytea[], $14::text[])
       )
       SELECT 1`,
      [
        entries.map((e) => e.seq),
        entries.map((e) => e.time),
        entries.map((e) => e.type),
        entries.map((e) => e.actor),
        entries.map((e) => e.subject),
        entries.map((e) => Buffer.from(e.bytes)),
        entries.map((e) => Buffer.from(e.leafHash)),
        nodes.map((n) => n.level),
        nodes.map((n) => n.index),
        nodes.map((n) => Buffer.from(n.hash)),
        personal.map((v) => v.seq),
        personal.map((v) => v.field),
        personal.map((v) => Buffer.from(v.salt)),
        personal.map((v) => JSON.stringify(v.value)),
      ],
    );
  };
}
