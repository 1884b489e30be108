import type { Kysely } from 'kysely';
import type { PersonalValue } from '../../ledger/entry.js';
import type {
  AppendWrite,
  EntryBatch,
  LedgerReader,
  LedgerWriter,
  StoredCheckpoint,
  StoredEntry,
} from '../../ledger/storage.js';
import type { NodeId } from '../../ledger/tree-math.js';
import { ledgerEntryFrom } from '../incident-row-mapping.js';
import { precompiled } from './precompiled.js';
import type { Database } from './schema.js';

/** Reads the hashes of perfect subtrees (level 0: the entries' leaf hashes); throws if one is missing. */
export type NodeReader = (ids: readonly NodeId[]) => Promise<Uint8Array[]>;
/** Reads entries start <= seq < end packed for verification (see LedgerReader.entryBatch). */
export type EntryBatchReader = (start: number, end: number) => Promise<EntryBatch>;
/** Writes one append's entries, nodes and personal values. */
export type AppendWriter = (write: AppendWrite) => Promise<void>;

/**
 * An entry batch from the three aggregates both databases compute over a range: the entries'
 * bytes concatenated, their lengths as comma-separated decimal text, and their leaf hashes
 * concatenated. NULL aggregates mean an empty range.
 */
export function packedEntryBatch(
  start: number,
  bytes: Uint8Array | null,
  lengths: string | null,
  leafHashes: Uint8Array | null,
): EntryBatch {
  const ends: number[] = [];
  let end = 0;
  let length = 0;
  for (let i = 0; lengths && i <= lengths.length; i++) {
    const code = i < lengths.length ? lengths.charCodeAt(i) : 0x2c;
    if (code === 0x2c) {
      end += length;
      ends.push(end);
      length = 0;
    } else length = length * 10 + (code - 0x30);
  }
  if (end !== (bytes?.length ?? 0) || (leafHashes?.length ?? 0) !== ends.length * 32)
    throw new Error(`ledger entries ${start}…: the packed batch is inconsistent with its lengths`);
  return {
    start,
    bytes: bytes ?? new Uint8Array(0),
    ends: Uint32Array.from(ends),
    leafHashes: leafHashes ?? new Uint8Array(0),
  };
}

/**
 * The ledger's storage, written once for both databases except for what each does its own way
 * and on the hot path of every append or verification: reading the frontier's nodes, writing the
 * append and reading entries packed for verification (hand-written in `sqlite/ledger.ts` and
 * `postgres/ledger.ts`).
 */
export class SqlLedgerReads implements LedgerReader {
  constructor(
    protected readonly db: Kysely<Database>,
    readonly nodes: NodeReader,
    readonly entryBatch: EntryBatchReader,
  ) {}

  async size(): Promise<number> {
    const row = await this.db
      .selectFrom('ledger_entries')
      .select((eb) => eb.fn.coalesce(eb(eb.fn.max('seq'), '+', 1), eb.lit(0)).as('size'))
      .executeTakeFirstOrThrow();
    return Number(row.size);
  }

  async entries(start: number, end: number): Promise<StoredEntry[]> {
    const rows = await this.db
      .selectFrom('ledger_entries')
      .select(['seq', 'time', 'type', 'actor', 'subject', 'entry', 'leaf_hash'])
      .where('seq', '>=', start)
      .where('seq', '<', end)
      .orderBy('seq')
      .execute();
    return rows.map(ledgerEntryFrom);
  }

  async entryBytes(start: number, end: number): Promise<{ bytes: Uint8Array; leafHash: Uint8Array }[]> {
    const rows = await this.db
      .selectFrom('ledger_entries')
      .select(['entry', 'leaf_hash'])
      .where('seq', '>=', start)
      .where('seq', '<', end)
      .orderBy('seq')
      .execute();
    return rows.map((row) => ({ bytes: row.entry, leafHash: row.leaf_hash }));
  }

  async personal(start: number, end: number): Promise<PersonalValue[]> {
    const rows = await this.db
      .selectFrom('ledger_personal')
      .select(['seq', 'field', 'salt', 'value'])
      .where('seq', '>=', start)
      .where('seq', '<', end)
      .orderBy('seq')
      .orderBy('field')
      .execute();
    return rows.map((row) => ({
      seq: Number(row.seq),
      field: row.field,
      salt: row.salt,
      value: JSON.parse(row.value),
    }));
  }

  async checkpoints(): Promise<StoredCheckpoint[]> {
    const rows = await this.db
      .selectFrom('ledger_checkpoints')
      .select(['size', 'root', 'note', 'created_at'])
      .orderBy('size')
      .execute();
    return rows.map((row) => ({
      size: Number(row.size),
      root: row.root,
      note: row.note,
      createdAt: row.created_at,
    }));
  }
}

export class SqlLedgerWrites extends SqlLedgerReads implements LedgerWriter {
  /** Bumped at every begin and rollback by the store (see LedgerWriter.epoch). */
  epoch = 0;

  constructor(
    db: Kysely<Database>,
    nodes: NodeReader,
    entryBatch: EntryBatchReader,
    readonly insertAppend: AppendWriter,
  ) {
    super(db, nodes, entryBatch);
  }

  /** Read at the start of every write batch: compiled once. */
  private readonly last = precompiled(this.db, () =>
    this.db.selectFrom('ledger_entries').select(['seq', 'leaf_hash']).orderBy('seq', 'desc').limit(1),
  );

  async tail(): Promise<{ size: number; lastLeaf: Uint8Array | undefined }> {
    const [row] = (await this.last({})).rows;
    return row ? { size: Number(row.seq) + 1, lastLeaf: row.leaf_hash } : { size: 0, lastLeaf: undefined };
  }

  async insertCheckpoint(checkpoint: StoredCheckpoint): Promise<void> {
    await this.db
      .insertInto('ledger_checkpoints')
      .values({
        size: checkpoint.size,
        root: Buffer.from(checkpoint.root),
        note: checkpoint.note,
        created_at: checkpoint.createdAt,
      })
      .onConflict((oc) => oc.column('size').doNothing())
      .execute();
  }
}
