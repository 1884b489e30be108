import type { PersonalValue } from '../../ledger/entry.js';
import type {
  AppendWrite,
  LedgerReader,
  LedgerWriter,
  StoredCheckpoint,
  StoredEntry,
} from '../../ledger/storage.js';
import type { NodeId } from '../../ledger/tree-math.js';
import type { Row } from '../row-mapping.js';

/** The one thing these classes need from `pg`: run a parameterised statement. */
export interface Queryable {
  query(sql: string, params?: readonly unknown[]): Promise<{ rows: Row[]; rowCount: number | null }>;
}

const bytes = (value: unknown) => value as Buffer;

/** Ledger reads; level-0 nodes come from the entries' leaf hashes. */
export class PgLedgerReads implements LedgerReader {
  constructor(protected readonly db: Queryable) {}

  async size(): Promise<number> {
    const { rows } = await this.db.query('SELECT COALESCE(MAX(seq) + 1, 0) AS size FROM ledger_entries');
    return Number(rows[0]!.size);
  }

  async nodes(ids: readonly NodeId[]): Promise<Uint8Array[]> {
    const leaves = ids.filter((id) => id.level === 0).map((id) => id.index);
    const inner = ids.filter((id) => id.level > 0);
    const found = new Map<string, Uint8Array>();
    if (leaves.length > 0) {
      const { rows } = await this.db.query(
        'SELECT seq, leaf_hash FROM ledger_entries WHERE seq = ANY($1::bigint[])',
        [leaves],
      );
      for (const row of rows) found.set(`0/${Number(row.seq)}`, bytes(row.leaf_hash));
    }
    if (inner.length > 0) {
      const { rows } = await this.db.query(
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
  }

  async entries(start: number, end: number): Promise<StoredEntry[]> {
    const { rows } = await this.db.query(
      'SELECT seq, time, type, actor, subject, entry, leaf_hash FROM ledger_entries WHERE seq >= $1 AND seq < $2 ORDER BY seq',
      [start, end],
    );
    return rows.map((row) => ({
      seq: Number(row.seq),
      time: row.time as string,
      type: row.type as string,
      actor: row.actor as string,
      subject: row.subject as string,
      bytes: bytes(row.entry),
      leafHash: bytes(row.leaf_hash),
    }));
  }

  async entryBytes(start: number, end: number): Promise<{ bytes: Uint8Array; leafHash: Uint8Array }[]> {
    const { rows } = await this.db.query(
      'SELECT entry, leaf_hash FROM ledger_entries WHERE seq >= $1 AND seq < $2 ORDER BY seq',
      [start, end],
    );
    return rows.map((row) => ({ bytes: bytes(row.entry), leafHash: bytes(row.leaf_hash) }));
  }

  async personal(start: number, end: number): Promise<PersonalValue[]> {
    const { rows } = await this.db.query(
      'SELECT seq, field, salt, value FROM ledger_personal WHERE seq >= $1 AND seq < $2 ORDER BY seq, field',
      [start, end],
    );
    return rows.map((row) => ({
      seq: Number(row.seq),
      field: row.field as string,
      salt: bytes(row.salt),
      value: JSON.parse(row.value as string),
    }));
  }

  async checkpoints(): Promise<StoredCheckpoint[]> {
    const { rows } = await this.db.query(
      'SELECT size, root, note, created_at FROM ledger_checkpoints ORDER BY size',
    );
    return rows.map((row) => ({
      size: Number(row.size),
      root: bytes(row.root),
      note: row.note as string,
      createdAt: row.created_at as string,
    }));
  }
}

export class PgLedgerWrites extends PgLedgerReads implements LedgerWriter {
  /** Bumped at every begin and rollback by the store (see LedgerWriter.epoch). */
  epoch = 0;

  async tail(): Promise<{ size: number; lastLeaf: Uint8Array | undefined }> {
    const { rows } = await this.db.query(
      'SELECT seq, leaf_hash FROM ledger_entries ORDER BY seq DESC LIMIT 1',
    );
    return rows[0]
      ? { size: Number(rows[0].seq) + 1, lastLeaf: bytes(rows[0].leaf_hash) }
      : { size: 0, lastLeaf: undefined };
  }

  /** Entries, nodes and personal values in one statement: one round trip per append. */
  async insertAppend({ entries, nodes, personal }: AppendWrite): Promise<void> {
    await this.db.query(
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
  }

  async insertCheckpoint(checkpoint: StoredCheckpoint): Promise<void> {
    await this.db.query(
      'INSERT INTO ledger_checkpoints (size, root, note, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (size) DO NOTHING',
      [checkpoint.size, Buffer.from(checkpoint.root), checkpoint.note, checkpoint.createdAt],
    );
  }
}
