import type { AppendWrite, LedgerTail } from '../../ledger/storage.js';
import { rangeNodes } from '../../ledger/tree-math.js';
import type { Row } from '../row-mapping.js';
import {
  type AppendWriter,
  type EntryBatchReader,
  type NodeReader,
  packedEntryBatch,
  SqlLedgerWrites,
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

/** The ledger part of an append statement: entries, nodes and personal values from arrays ($1 … $14). */
export const appendInserts = `entries AS (
         INSERT INTO ledger_entries (seq, time, type, actor, subject, entry, leaf_hash)
         SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bytea[], $7::bytea[])
       ), nodes AS (
         INSERT INTO ledger_nodes (level, idx, hash) SELECT * FROM unnest($8::int[], $9::bigint[], $10::bytea[])
       ), personal AS (
         INSERT INTO ledger_personal (seq, field, salt, value) SELECT * FROM unnest($11::bigint[], $12::text[], $13::bytea[], $14::text[])
       )`;

/** The 14 arrays of `appendInserts`, for one or more appends in order. */
export function appendParams(writes: readonly AppendWrite[]): unknown[] {
  const entries = writes.flatMap((w) => w.entries);
  const nodes = writes.flatMap((w) => w.nodes);
  const personal = writes.flatMap((w) => w.personal);
  return [
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
  ];
}

/** Entries, nodes and personal values in one statement: one round trip per append. */
export function pgAppend(db: Queryable): AppendWriter {
  return async (write) => {
    await db.query(`WITH ${appendInserts} SELECT 1`, appendParams([write]));
  };
}

/**
 * The ledger's writes in a write batch. The batch's first statement reads the tail with BEGIN and
 * the advisory lock (one round trip), with the frontier when another replica appended since (see
 * tailStatement); the first append of the batch is handed that tail instead of reading it again.
 * Any append makes it stale, so it is used at most once.
 */
export class PgLedgerWrites extends SqlLedgerWrites {
  knownTail: LedgerTail | undefined;

  override async tail(): Promise<LedgerTail> {
    const known = this.knownTail;
    this.knownTail = undefined;
    return known ?? super.tail();
  }
}

/**
 * The log's last entry as this replica's log last built on it: BEGIN's round trip then reads the
 * frontier only when the tail is another (tailStatement) — when another replica appended since. It
 * follows the log's cache, which moves only by appends: here, when a batch that appended commits;
 * one that appended and rolled back forgets it. A wrong guess costs round trips, never correctness:
 * the log checks its cache against the tail either way, and reads the frontier itself when the
 * store did not.
 */
export class SeenTail {
  private seen: LedgerTail | undefined;
  private appended: LedgerTail | undefined;

  /** The tail statement for the next batch's BEGIN. */
  statement(): string {
    return tailStatement(this.seen);
  }

  /** An append of this batch (deferred or sent). */
  append(write: AppendWrite): void {
    const last = write.entries.at(-1);
    if (last) this.appended = { size: last.seq + 1, lastLeaf: last.leafHash };
  }

  committed(): void {
    if (this.appended) this.seen = this.appended;
    this.appended = undefined;
  }

  rolledBack(): void {
    if (this.appended) this.seen = undefined;
    this.appended = undefined;
  }
}

/**
 * The ledger's tail — its last entry's seq and leaf hash, no row when the log is empty — and, unless
 * that entry is `seen`'s, the hashes of the frontier's perfect subtrees above the leaves (the nodes
 * (level, size / 2^level − 1) for each level ≥ 1 whose bit is set in size, largest first; NULL where
 * one is missing) as `frontier`, NULL when the tail is `seen`'s. Sent after the ledger lock in BEGIN's
 * round trip, so both are read under it: the two round trips that a replica re-reading the frontier
 * after another's appends took under the lock are folded into the one it makes anyway. Takes no
 * parameters (it goes with BEGIN): `seen` is written in as an integer and hex digits.
 */
export function tailStatement(seen: LedgerTail | undefined): string {
  const known =
    seen?.lastLeaf && Number.isSafeInteger(seen.size) && seen.size > 0
      ? `t.seq = ${seen.size - 1} AND t.leaf_hash = decode('${Buffer.from(seen.lastLeaf).toString('hex')}', 'hex')`
      : 'false';
  return `SELECT t.seq, t.leaf_hash, CASE WHEN ${known} THEN NULL ELSE ARRAY(
       SELECT n.hash FROM generate_series(62, 1, -1) AS l (level)
         LEFT JOIN ledger_nodes n ON n.level = l.level AND n.idx = ((t.seq + 1) >> l.level) - 1
       WHERE ((t.seq + 1) >> l.level) & 1 = 1 ORDER BY l.level DESC) END AS frontier
     FROM (SELECT seq, leaf_hash FROM ledger_entries ORDER BY seq DESC LIMIT 1) t`;
}

/**
 * The tail from tailStatement's row (`seq`, `leaf_hash`, `frontier`), or of an empty log; with the
 * frontier's hashes in rangeNodes order (the last leaf's where size is odd) when they were read. A
 * frontier with a node missing is left out rather than refused here, in BEGIN, where a failure would
 * fail every job of the batch: the log then reads the nodes itself, and only an append fails on it.
 */
export function tailFrom(row: Row | undefined): LedgerTail {
  if (!row) return { size: 0, lastLeaf: undefined };
  const size = Number(row.seq) + 1;
  const lastLeaf = bytes(row.leaf_hash);
  const inner = row.frontier as (Buffer | null)[] | null | undefined;
  const ids = rangeNodes(0, size);
  if (!inner || inner.includes(null) || inner.length !== ids.filter((id) => id.level > 0).length)
    return { size, lastLeaf };
  let next = 0;
  const frontier = ids.map(({ level }) => (level === 0 ? lastLeaf : inner[next++]!));
  return { size, lastLeaf, frontier };
}
