import { chmodSync, closeSync, existsSync, fdatasync, fdatasyncSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { ArbiterError } from '../../core/errors.js';
import type { LedgerReader } from '../../ledger/storage.js';
import { kyselyOver, sqliteDialect } from '../sql/dialect.js';
import { SqlLedgerReads, SqlLedgerWrites } from '../sql/ledger.js';
import { SqlRecordReads, SqlRecordWrites } from '../sql/records.js';
import type { Store, StoreTransaction } from '../store.js';
import { WriteQueue } from '../write-queue.js';
import { CachedStatementConnection } from './kysely-connection.js';
import { sqliteAppend, sqliteEntryBatch, sqliteNodes } from './ledger.js';
import { sqliteMigrations } from './migrations.js';
import { WalSync } from './wal-sync.js';

type DB = Database.Database;

export interface SqliteStoreOptions {
  /** Database file; `:memory:` for a private in-memory database (tests). */
  path: string;
  /**
   * Default true: nothing acknowledged is lost on power failure. Every commit is synced to disk
   * before its writers are answered, off the event loop (see WalSync). False: no sync at all.
   */
  durable?: boolean;
  /** Replaces the fdatasync of the `-wal` file descriptor (tests: a slow or failing disk). */
  syncWal?: (fd: number) => Promise<void>;
}

const fdatasyncFile = (fd: number) =>
  new Promise<void>((resolve, reject) => fdatasync(fd, (error) => (error ? reject(error) : resolve())));

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
  let wal: { sync: WalSync; fd: number } | undefined;
  if (!memory && options.durable !== false) {
    // Migrations above ran at FULL. From here COMMIT does not fsync: WalSync does, off the event
    // loop, before anyone is answered. The writer keeps the -wal file open (and SQLite deletes it
    // only when the last connection closes), so this descriptor names the live WAL for the store's
    // life; a checkpoint that restarts or truncates the WAL rewrites the same file.
    writer.pragma('synchronous = NORMAL');
    const fd = openSync(`${options.path}-wal`, 'r');
    const syncWal = options.syncWal ?? fdatasyncFile;
    // Prepared once: it runs after every commit and every read (about a microsecond).
    const dataVersion = reader.prepare('PRAGMA data_version').pluck();
    const readVersion = () => dataVersion.get() as number;
    // What the WAL holds now may be a crashed process's commits that it never synced (COMMIT
    // returned, the process died before its fdatasync): SQLite reads them from the page cache. Sync
    // them before anything is read or answered (once, at start: blocking the event loop is harmless).
    // The version is read first: what the reader sees at it was written before the sync began.
    const opened = readVersion();
    fdatasyncSync(fd);
    wal = { sync: new WalSync(() => syncWal(fd), options.path, readVersion, opened), fd };
  }
  return new SqliteStore(options.path, writer, reader, wal);
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

/** The writer's transaction: the shared queries on the writer connection, and the hand-written ledger. */
class SqliteTransaction extends SqlRecordWrites implements StoreTransaction {
  readonly ledger: SqlLedgerWrites;
  /** Decisions changed in the open transaction, announced after it commits. */
  changed: string[] = [];

  constructor(db: DB) {
    super(kyselyOver(new CachedStatementConnection(db), sqliteDialect), sqliteDialect);
    this.ledger = new SqlLedgerWrites(this.db, sqliteNodes(db), sqliteEntryBatch(db), sqliteAppend(db));
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
    /** The database file as opened (`:memory:` for none): ledger verification's workers open it again. */
    readonly location: string,
    private readonly writer: DB,
    private readonly reader: DB,
    /** Set when commits are synced after COMMIT (durable file databases). */
    private readonly wal?: { sync: WalSync; fd: number },
  ) {
    // A read's result waits for the sync of every commit it could have seen, ours or another
    // process's: nothing read can be lost to a power failure.
    const walSync = wal?.sync;
    const barrier = () => walSync?.readable();
    super(kyselyOver(new CachedStatementConnection(reader, barrier), sqliteDialect), sqliteDialect);
    this.ledger = new SqlLedgerReads(
      this.db,
      sqliteNodes(reader, barrier),
      sqliteEntryBatch(reader, barrier),
    );
    // Prepared once: these run for every write, and exec() would parse them each time.
    const begin = writer.prepare('BEGIN IMMEDIATE');
    const commit = writer.prepare('COMMIT');
    const transaction = new SqliteTransaction(writer);
    let synced: Promise<void> | undefined;
    this.queue = new WriteQueue<SqliteTransaction>({
      begin: async () => {
        // After a failed sync nothing more is written: the disk may have dropped what it reported lost.
        if (walSync?.failed) throw walSync.failed;
        transaction.changed = [];
        transaction.ledger.epoch++;
        begin.run();
      },
      commit: async () => {
        commit.run();
        if (walSync) {
          // Asked for in the same turn as COMMIT: the reader's data_version is sampled now, before a
          // read can see this commit, so the read barrier knows this sync covers it and asks for no
          // other (the queue calls durable() only a microtask later, too late for that).
          synced = walSync.afterCommit();
          return;
        }
        const changed = transaction.changed;
        transaction.changed = [];
        for (const id of changed) for (const listener of this.listeners) listener(id);
      },
      ...(walSync && {
        // Listeners learn of a change only once it is on disk, like the writers.
        durable: () => {
          const changed = transaction.changed;
          transaction.changed = [];
          const sync = synced ?? walSync.afterCommit();
          synced = undefined;
          return sync.then(() => {
            for (const id of changed) for (const listener of this.listeners) listener(id);
          });
        },
      }),
      rollback: async () => {
        transaction.changed = [];
        transaction.ledger.epoch++;
        if (writer.inTransaction) writer.exec('ROLLBACK');
      },
      transaction,
    });
  }

  /** Read hints are not needed: SQLite reads in process, without round trips. */
  write<T>(work: (tx: StoreTransaction) => Promise<T>): Promise<T> {
    return this.queue.submit(work);
  }

  onDecisionChanged(listener: (decisionId: string) => void): void {
    this.listeners.push(listener);
  }

  async holdsCheckpointLock(): Promise<boolean> {
    return !this.closed;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue.close();
    if (this.reader !== this.writer) this.reader.close();
    this.writer.close();
    if (this.wal) closeSync(this.wal.fd);
  }
}
