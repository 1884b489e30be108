import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { ArbiterError } from '../../core/errors.js';
import type { PersonalValue } from '../../ledger/entry.js';
import type {
  AppendWrite,
  LedgerReader,
  LedgerWriter,
  StoredCheckpoint,
  StoredEntry,
} from '../../ledger/storage.js';
import type { NodeId } from '../../ledger/tree-math.js';
import { kyselyOver, sqliteDialect } from '../sql/dialect.js';
import { SqlRecordReads, SqlRecordWrites } from '../sql/records.js';
import type { Store, StoreTransaction } from '../store.js';
import { WriteQueue } from '../write-queue.js';
import { CachedStatementConnection } from './kysely-connection.js';
import { sqliteMigrations } from './migrations.js';

type DB = Database.Database;

export interface SqliteStoreOptions {
  /** Database file; `:memory:` for a private in-memory database (tests). */
  path: string;
  /** fsync every commit (synchronous=FULL). Default true: nothing acknowledged is lost on power failure. */
  durable?: boolean;
}

const asBytes = (value: unknown) => value as Buffer;

/** Opens (creating if needed) an SQLite database in WAL mode and applies migrations. */
export function openSqliteStore(options: SqliteStoreOptions): SqliteStore {
  const memory = options.path === ':memory:';
  const created = !memory && !existsSync(options.path);
  if (!memory) mkdirSync(dirname(options.path), { recursive: true, mode: 0o700 });
  let writer: DB;
  try {
    writer = new Database(options.path);
  } catch (error) {
    throw new ArbiterError(
      'ARB_ERR_STORE_UNAVAILABLE',
      `cannot open SQLite database ${options.path}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  // The database holds personal data: readable by its owner only (SQLite gives -wal and -shm the same mode).
  if (created) chmodSync(options.path, 0o600);
  writer.pragma('journal_mode = WAL');
  writer.pragma(`synchronous = ${options.durable === false ? 'NORMAL' : 'FULL'}`);
  writer.pragma('foreign_keys = ON');
  writer.pragma('busy_timeout = 5000');
  migrate(writer, options.path);
  const reader = memory ? writer : new Database(options.path, { readonly: true });
  if (!memory) reader.pragma('busy_timeout = 5000');
  return new SqliteStore(options.path, writer, reader);
}

function migrate(db: DB, path: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > sqliteMigrations.length) {
    throw new ArbiterError(
      'ARB_ERR_STORE_SCHEMA_NEWER',
      `database ${path} has schema version ${version}, newer than this Arbiter (${sqliteMigrations.length}); upgrade Arbiter`,
    );
  }
  for (let next = version; next < sqliteMigrations.length; next++) {
    db.transaction(() => {
      db.exec(sqliteMigrations[next]!);
      db.pragma(`user_version = ${next + 1}`);
    }).immediate();
  }
}

/** Statements over one connection, shared by the reader and the writer. */
class LedgerStatements implements LedgerReader {
  private readonly sizeStatement;
  private readonly leafStatement;
  private readonly nodeStatement;
  private readonly entriesStatement;
  private readonly personalStatement;
  private readonly entryBytesStatement;
  private readonly checkpointsStatement;

  constructor(db: DB) {
    this.sizeStatement = db.prepare('SELECT COALESCE(MAX(seq) + 1, 0) AS size FROM ledger_entries').pluck();
    this.leafStatement = db.prepare('SELECT leaf_hash FROM ledger_entries WHERE seq = ?').pluck();
    this.nodeStatement = db.prepare('SELECT hash FROM ledger_nodes WHERE level = ? AND idx = ?').pluck();
    this.entriesStatement = db.prepare(
      'SELECT seq, time, type, actor, subject, entry, leaf_hash FROM ledger_entries WHERE seq >= ? AND seq < ? ORDER BY seq',
    );
    this.entryBytesStatement = db
      .prepare('SELECT entry, leaf_hash FROM ledger_entries WHERE seq >= ? AND seq < ? ORDER BY seq')
      .raw();
    this.personalStatement = db.prepare(
      'SELECT seq, field, salt, value FROM ledger_personal WHERE seq >= ? AND seq < ? ORDER BY seq, field',
    );
    this.checkpointsStatement = db.prepare(
      'SELECT size, root, note, created_at FROM ledger_checkpoints ORDER BY size',
    );
  }

  async size(): Promise<number> {
    return this.sizeStatement.get() as number;
  }

  async nodes(ids: readonly NodeId[]): Promise<Uint8Array[]> {
    return ids.map(({ level, index }) => {
      const hash = level === 0 ? this.leafStatement.get(index) : this.nodeStatement.get(level, index);
      if (hash === undefined) throw new Error(`ledger node (${level}, ${index}) is missing`);
      return asBytes(hash);
    });
  }

  async entries(start: number, end: number): Promise<StoredEntry[]> {
    return (this.entriesStatement.all(start, end) as Record<string, unknown>[]).map((row) => ({
      seq: row.seq as number,
      time: row.time as string,
      type: row.type as string,
      actor: row.actor as string,
      subject: row.subject as string,
      bytes: asBytes(row.entry),
      leafHash: asBytes(row.leaf_hash),
    }));
  }

  async entryBytes(start: number, end: number): Promise<{ bytes: Uint8Array; leafHash: Uint8Array }[]> {
    return (this.entryBytesStatement.all(start, end) as [Buffer, Buffer][]).map(([bytes, leafHash]) => ({
      bytes,
      leafHash,
    }));
  }

  async personal(start: number, end: number): Promise<PersonalValue[]> {
    return (this.personalStatement.all(start, end) as Record<string, unknown>[]).map((row) => ({
      seq: row.seq as number,
      field: row.field as string,
      salt: asBytes(row.salt),
      value: JSON.parse(row.value as string),
    }));
  }

  async checkpoints(): Promise<StoredCheckpoint[]> {
    return (this.checkpointsStatement.all() as Record<string, unknown>[]).map((row) => ({
      size: row.size as number,
      root: asBytes(row.root),
      note: row.note as string,
      createdAt: row.created_at as string,
    }));
  }
}

class SqliteLedgerWriter extends LedgerStatements implements LedgerWriter {
  /** Bumped at every begin and rollback by the store (see LedgerWriter.epoch). */
  epoch = 0;
  private readonly insertEntry;
  private readonly insertNode;
  private readonly insertPersonalValue;
  private readonly insertCheckpointRow;
  private readonly tailStatement;

  constructor(db: DB) {
    super(db);
    this.insertEntry = db.prepare(
      'INSERT INTO ledger_entries (seq, time, type, actor, subject, entry, leaf_hash) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.insertNode = db.prepare('INSERT INTO ledger_nodes (level, idx, hash) VALUES (?, ?, ?)');
    this.insertPersonalValue = db.prepare(
      'INSERT INTO ledger_personal (seq, field, salt, value) VALUES (?, ?, ?, ?)',
    );
    this.tailStatement = db
      .prepare('SELECT seq, leaf_hash FROM ledger_entries ORDER BY seq DESC LIMIT 1')
      .raw();
    this.insertCheckpointRow = db.prepare(
      'INSERT OR IGNORE INTO ledger_checkpoints (size, root, note, created_at) VALUES (?, ?, ?, ?)',
    );
  }

  async tail(): Promise<{ size: number; lastLeaf: Uint8Array | undefined }> {
    const row = this.tailStatement.get() as [number, Buffer] | undefined;
    return row ? { size: row[0] + 1, lastLeaf: row[1] } : { size: 0, lastLeaf: undefined };
  }

  async insertAppend({ entries, nodes, personal }: AppendWrite): Promise<void> {
    for (const e of entries)
      this.insertEntry.run(e.seq, e.time, e.type, e.actor, e.subject, e.bytes, e.leafHash);
    for (const node of nodes) this.insertNode.run(node.level, node.index, node.hash);
    for (const value of personal)
      this.insertPersonalValue.run(value.seq, value.field, value.salt, JSON.stringify(value.value));
  }

  async insertCheckpoint(checkpoint: StoredCheckpoint): Promise<void> {
    this.insertCheckpointRow.run(checkpoint.size, checkpoint.root, checkpoint.note, checkpoint.createdAt);
  }
}

/** The writer's transaction: the shared queries on the writer connection, and the hand-written ledger. */
class SqliteTransaction extends SqlRecordWrites implements StoreTransaction {
  readonly ledger: SqliteLedgerWriter;
  /** Decisions changed in the open transaction, announced after it commits. */
  changed: string[] = [];

  constructor(db: DB) {
    super(kyselyOver(new CachedStatementConnection(db), sqliteDialect), sqliteDialect);
    this.ledger = new SqliteLedgerWriter(db);
  }

  async decisionChanged(decisionId: string): Promise<void> {
    this.changed.push(decisionId);
  }
}

/** The embedded store: one writer connection behind a group-commit queue, one reader connection (WAL). */
export class SqliteStore extends SqlRecordReads implements Store {
  readonly kind = 'sqlite' as const;
  readonly ledger: LedgerReader;
  private readonly queue: WriteQueue<SqliteTransaction>;
  private closed = false;
  private readonly listeners: ((decisionId: string) => void)[] = [];

  constructor(
    readonly location: string,
    private readonly writer: DB,
    private readonly reader: DB,
  ) {
    super(kyselyOver(new CachedStatementConnection(reader), sqliteDialect), sqliteDialect);
    this.ledger = new LedgerStatements(reader);
    // Prepared once: these run for every write, and exec() would parse them each time.
    const begin = writer.prepare('BEGIN IMMEDIATE');
    const commit = writer.prepare('COMMIT');
    const transaction = new SqliteTransaction(writer);
    this.queue = new WriteQueue<SqliteTransaction>({
      begin: async () => {
        transaction.changed = [];
        transaction.ledger.epoch++;
        begin.run();
      },
      commit: async () => {
        commit.run();
        const changed = transaction.changed;
        transaction.changed = [];
        for (const id of changed) for (const listener of this.listeners) listener(id);
      },
      rollback: async () => {
        transaction.changed = [];
        transaction.ledger.epoch++;
        if (writer.inTransaction) writer.exec('ROLLBACK');
      },
      transaction,
    });
  }

  write<T>(work: (tx: StoreTransaction) => Promise<T>): Promise<T> {
    return this.queue.submit(work);
  }

  onDecisionChanged(listener: (decisionId: string) => void): void {
    this.listeners.push(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue.close();
    if (this.reader !== this.writer) this.reader.close();
    this.writer.close();
  }
}
