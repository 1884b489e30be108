import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import pg from 'pg';
import { ArbiterError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { LedgerReader, LedgerTail } from '../../ledger/storage.js';
import type { ActivityDelta, DecisionRow, NotificationRow, SystemRow } from '../records.js';
import { kyselyOver, postgresDialect } from '../sql/dialect.js';
import { SqlLedgerReads } from '../sql/ledger.js';
import { SqlRecordReads, SqlRecordWrites } from '../sql/records.js';
import type { Store, StoreTransaction, WriteReads } from '../store.js';
import { DeferredWriteError, WriteQueue } from '../write-queue.js';
import { PgBatch, type ReadAheadQuery } from './batch.js';
import { type BeginPath, beginWithFor } from './begin-with.js';
import { type CommitPath, commitAfterFor, StatementRefusedError } from './commit-after.js';
import type { PgQueryClass } from './extended-query.js';
import { QueryableConnection } from './kysely-connection.js';
import {
  PgLedgerWrites,
  pgAppend,
  pgEntryBatch,
  pgNodes,
  type Queryable,
  SeenTail,
  tailFrom,
} from './ledger.js';
import { postgresMigrations } from './migrations.js';

export interface PostgresStoreOptions {
  /** postgres://USER:PASSWORD@HOST:PORT/DB?sslmode=verify-full&sslrootcert=/path/ca.pem … */
  url: string;
  /** Pool size (default 10). */
  poolSize?: number;
  /** Per-statement timeout in ms (default 10 s); a statement that runs longer fails, and its write with it. */
  statementTimeoutMs?: number;
  /** How long to wait for a connection (default 5 s). */
  connectTimeoutMs?: number;
  /** Shows in pg_stat_activity, to tell replicas apart. */
  applicationName?: string;
  /** Told after each write batch commits how many statements (round trips) it took, BEGIN to COMMIT. */
  onBatch?: (batch: { statements: number }) => void;
  /** Where warnings at open go (default: stderr). */
  logger?: Logger;
  /**
   * node-postgres's Query class, whose internals the one-round-trip batch start and COMMIT rely on
   * (checked at open). Only tests pass another: a stand-in for a pg release without them.
   */
  pgQuery?: PgQueryClass;
}

/** The node-postgres release installed, and the one package.json pins (begin-with.ts and commit-after.ts rely on its internals). */
const pgVersion: string = createRequire(import.meta.url)('pg/package.json').version;
const pinnedPgVersion = '8.23.1';

/** Every ledger append, on every replica, happens under this transaction-scoped advisory lock. */
export const ledgerLockKey = 0x41524249_54455200n; // "ARBITER\0"
const migrationLockKey = 0x41524249_54455201n;
/** Held (session-level) by the one replica that signs checkpoints and submits them to witnesses. */
export const checkpointLockKey = 0x41524249_54455202n;
const channel = 'arbiter_events';
/** Delays between attempts to re-establish a lost LISTEN connection: doubling from `first` to `max`. */
const listenRetryMs = { first: 1_000, max: 30_000 } as const;

// BIGINT columns hold sequence numbers and counts well below 2^53: read them as numbers.
const types = {
  getTypeParser(oid: number, format?: string) {
    if (oid === 20) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

/** Credentials never appear in messages. */
export function redactUrl(url: string): string {
  return url.replace(
    /\/\/([^@/]*)@/,
    (_, auth: string) => `//${auth.includes(':') ? `${auth.split(':')[0]}:***` : auth}@`,
  );
}

/**
 * The write batch's transaction: the shared queries on the batch's connection, and the
 * hand-written ledger. The writes every decision makes are deferred and the rows a job said it
 * would read are read ahead (see batch.ts), so a batch costs the same few round trips at any size.
 */
class PgTransaction extends SqlRecordWrites implements StoreTransaction {
  readonly ledger: PgLedgerWrites;
  /** The tail this replica's log last built on: BEGIN reads the frontier when another replica moved it. */
  readonly seenTail = new SeenTail();

  constructor(private readonly batch: PgBatch) {
    super(kyselyOver(new QueryableConnection(batch), postgresDialect), postgresDialect);
    const append = pgAppend(batch);
    this.ledger = new PgLedgerWrites(this.db, pgNodes(batch), pgEntryBatch(batch), async (write) => {
      // The tail read with BEGIN no longer is one once anything is appended.
      this.ledger.knownTail = undefined;
      this.seenTail.append(write);
      const deferred = batch.deferred;
      if (deferred) deferred.append(write);
      else await append(write);
    });
  }

  override async getSystem(id: string): Promise<SystemRow | undefined> {
    const read = this.batch.system(id);
    return read.found ? read.row : super.getSystem(id);
  }

  override async decisionByIdempotencyKey(actorId: string, key: string): Promise<DecisionRow | undefined> {
    const read = this.batch.decisionByKey(actorId, key);
    return read.found ? read.row : super.decisionByIdempotencyKey(actorId, key);
  }

  override async insertDecision(row: DecisionRow): Promise<void> {
    const deferred = this.batch.deferred;
    if (deferred) deferred.decision(row);
    else await super.insertDecision(row);
    this.batch.inserted(row);
  }

  override async addActivity(delta: ActivityDelta): Promise<void> {
    const deferred = this.batch.deferred;
    if (deferred) deferred.addActivity(delta);
    else await super.addActivity(delta);
  }

  override async enqueueNotifications(rows: readonly NotificationRow[]): Promise<void> {
    const deferred = this.batch.deferred;
    if (deferred) deferred.notify(rows);
    else await super.enqueueNotifications(rows);
  }

  /** NOTIFY has no counterpart in SQLite (which announces in process, after the commit). */
  async decisionChanged(decisionId: string): Promise<void> {
    // Delivered to every listening replica when (and only if) the transaction commits.
    const deferred = this.batch.deferred;
    if (deferred) deferred.decisionChanged(decisionId);
    else await this.batch.query('SELECT pg_notify($1, $2)', [channel, decisionId]);
  }
}

type Result = { rows: Record<string, unknown>[]; rowCount: number | null; command?: string };
const statementNames = new Map<string, string>();

/**
 * Statements with parameters run as named prepared statements: PostgreSQL parses and plans each
 * once per connection instead of on every call, which matters on the write path.
 */
function prepared(sql: string, params: readonly unknown[] | undefined): string | pg.QueryConfig {
  if (!params) return sql;
  let name = statementNames.get(sql);
  if (!name) {
    name = `arbiter_${createHash('sha1').update(sql).digest('hex').slice(0, 20)}`;
    statementNames.set(sql, name);
  }
  return { name, text: sql, values: params as unknown[] };
}

/** A pool or client seen through the Queryable interface, with prepared statements. */
function queryable(target: pg.Pool | pg.PoolClient): Queryable {
  return {
    query: (sql, params) => target.query(prepared(sql, params) as string) as unknown as Promise<Result>,
  };
}

/** The write batch's connection, swapped in for each batch. */
class BatchConnection implements Queryable {
  client: pg.PoolClient | undefined;

  constructor(
    readonly beginPath: BeginPath,
    readonly commitPath: CommitPath,
  ) {}

  query(sql: string, params?: readonly unknown[]) {
    if (!this.client) throw new Error('no open write transaction');
    return this.client.query(prepared(sql, params) as string) as unknown as Promise<Result>;
  }

  /** `sql` and then COMMIT, in one round trip where node-postgres allows (see commitAfterFor). */
  commitAfter(sql: string, params: readonly unknown[]): Promise<void> {
    if (!this.client) throw new Error('no open write transaction');
    return this.commitPath.send(this.client, prepared(sql, params) as pg.QueryConfig);
  }

  /**
   * BEGIN, the ledger's advisory lock, the ledger's tail (`tail`: tailStatement, with the frontier if
   * another replica appended) and, if given, the batch's read-ahead in one round trip. The tail and
   * the read-ahead run after the lock is granted, so they are current for the whole batch. Without a
   * read-ahead: the simple query protocol, which runs several statements (they take no parameters, so
   * the key is written in); with one: the extended protocol (beginWith), or that simple query and
   * then the read-ahead where node-postgres allows no more (beginWithFor).
   */
  async begin(batch: PgBatch, tail: string, readAhead: ReadAheadQuery | undefined): Promise<LedgerTail> {
    if (!this.client) throw new Error('no connection for the write transaction');
    const opening = [...openingStatements, tail];
    if (!readAhead) {
      const results = (await this.client.query(opening.join('; '))) as unknown as Result[];
      return tailFrom(results[2]?.rows[0]);
    }
    const results = await this.beginPath.send(
      this.client,
      opening,
      prepared(readAhead.sql, readAhead.params) as pg.QueryConfig,
    );
    batch.readAheadFound(readAhead, results[3]!.rows);
    return tailFrom(results[2]?.rows[0]);
  }
}

/**
 * PostgreSQL refused a value (SQLSTATE class 22, data exception: U+0000 in text, say) — what a read-ahead
 * hint can cause, and a re-run without read-ahead isolates. Not a lock wait cut by statement_timeout
 * (57014) or a lost connection: running again would only wait again.
 */
function refusedData(error: unknown): boolean {
  return error instanceof pg.DatabaseError && typeof error.code === 'string' && error.code.startsWith('22');
}

/** What every write batch begins with; the tail (tailStatement) follows, read under the lock. */
const openingStatements = ['BEGIN', `SELECT pg_advisory_xact_lock(${ledgerLockKey})`] as const;

/**
 * The PostgreSQL store, for several `arbiter serve` replicas sharing one database. Writes are
 * group-committed per replica; each batch takes the ledger's advisory transaction lock, so
 * appends from all replicas form one sequence, and the log revalidates its cached frontier under
 * the lock. Decision changes are announced with NOTIFY and relayed to every replica's waiters.
 */
export class PostgresStore extends SqlRecordReads implements Store {
  readonly kind = 'postgres' as const;
  readonly ledger: LedgerReader;
  readonly location: string;
  private readonly queue: WriteQueue<PgTransaction, WriteReads>;
  private readonly listeners: ((decisionId: string) => void)[] = [];
  private listener: pg.Client | undefined;
  /** The connection holding the checkpoint lock, or trying to; the lock ends with it. */
  private lockClient: pg.Client | undefined;
  private lockHeld = false;
  private lockAttempt: Promise<boolean> | undefined;
  private closed = false;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly options: PostgresStoreOptions,
    { beginPath, commitPath }: { beginPath: BeginPath; commitPath: CommitPath },
  ) {
    const reads = queryable(pool);
    super(kyselyOver(new QueryableConnection(reads), postgresDialect), postgresDialect);
    this.location = redactUrl(options.url);
    this.ledger = new SqlLedgerReads(this.db, pgNodes(reads), pgEntryBatch(reads));
    const connection = new BatchConnection(beginPath, commitPath);
    const batch = new PgBatch(connection, channel);
    const transaction = new PgTransaction(batch);
    this.queue = new WriteQueue<PgTransaction, WriteReads>({
      // BEGIN and the lock first; the queue then chooses the batch's jobs, so that those arriving
      // while another replica held the lock join this batch (see TransactionRunner.acquire).
      // The read-ahead of the jobs queued now goes with them, after the lock: one round trip under it
      // fewer, and each one costs a wake-up of this process while the lock is held.
      acquire: async (queued) => {
        transaction.ledger.epoch++;
        transaction.ledger.knownTail = undefined;
        batch.reset();
        connection.client = await pool.connect();
        const readAhead = batch.readAheadOf(queued);
        try {
          transaction.ledger.knownTail = await connection.begin(
            batch,
            transaction.seenTail.statement(),
            readAhead,
          );
        } catch (error) {
          // The same for a read-ahead sent with BEGIN: the queue runs the batch again without it.
          throw readAhead && refusedData(error) ? new DeferredWriteError(error) : error;
        }
      },
      // Reads only what the jobs that arrived while the lock was awaited need and BEGIN did not read.
      // A read-ahead PostgreSQL refuses (a hint holding U+0000, which text cannot hold) cannot say
      // whose hint it was: the batch runs again without read-ahead, each job reading for itself,
      // so that only the job that asked is refused.
      begin: async (start) => {
        try {
          await batch.start(start);
        } catch (error) {
          throw refusedData(error) && start.deferWrites ? new DeferredWriteError(error) : error;
        }
      },
      // The deferred writes and COMMIT go in one round trip: every round trip under the ledger lock
      // waits for PostgreSQL's backend and then for this process's event loop — which, on a busy
      // replica, stretches the time the lock is held (bench/server/pg-replicas.js).
      commit: async () => {
        try {
          const writes = batch.finalWrites();
          if (writes) await connection.commitAfter(writes.sql, writes.params);
          else {
            // COMMIT of an aborted transaction is answered ROLLBACK, not an error: never acknowledge it.
            const { command } = await connection.query('COMMIT');
            if (command !== 'COMMIT')
              throw new Error(`COMMIT was answered ${command}: nothing was committed`);
          }
          // BEGIN's round trip, and COMMIT's (the writes' too when they cannot share it).
          const commitTrips = writes ? commitPath.roundTrips : 1;
          transaction.seenTail.committed();
          this.options.onBatch?.({ statements: batch.statements + 1 + commitTrips });
        } catch (error) {
          // The transaction stays open (aborted) for the queue's rollback.
          throw error instanceof StatementRefusedError ? new DeferredWriteError(error.cause) : error;
        }
        connection.client?.release();
        connection.client = undefined;
      },
      rollback: async () => {
        transaction.seenTail.rolledBack();
        transaction.ledger.epoch++;
        transaction.ledger.knownTail = undefined;
        batch.reset();
        const client = connection.client;
        connection.client = undefined;
        if (!client) return;
        try {
          await client.query('ROLLBACK');
          client.release();
        } catch (error) {
          // A broken connection is destroyed rather than returned to the pool.
          client.release(error as Error);
        }
      },
      refused: () => batch.refused(),
      transaction,
    });
  }

  /** Connects, refuses a schema newer than this binary, applies migrations and starts listening. */
  static async open(options: PostgresStoreOptions): Promise<PostgresStore> {
    const paths = { beginPath: beginWithFor(options.pgQuery), commitPath: commitAfterFor(options.pgQuery) };
    const warning = fallbackWarning(paths);
    if (warning) (options.logger ?? stderrWarnings).warn(warning.details, warning.message);
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 10,
      statement_timeout: options.statementTimeoutMs ?? 10_000,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
      application_name: options.applicationName ?? 'arbiter',
      types,
    });
    // An idle client that loses its connection must not crash the process.
    pool.on('error', () => {});
    // Nor a checked-out one: the pool listens only while a client is idle, and node-postgres emits
    // 'error' on a lost connection even when the query in flight is rejected with it (a write batch
    // whose connection is killed would otherwise be an uncaught exception). The query's rejection
    // is what the write path handles.
    pool.on('connect', (client) => client.on('error', () => {}));
    try {
      await migrate(pool, redactUrl(options.url));
    } catch (error) {
      await pool.end().catch(() => {});
      if (error instanceof ArbiterError) throw error;
      throw new ArbiterError(
        'ARB_ERR_STORE_UNAVAILABLE',
        `cannot use PostgreSQL at ${redactUrl(options.url)}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    const store = new PostgresStore(pool, options, paths);
    try {
      await store.listen();
    } catch (error) {
      await store.close().catch(() => {});
      throw new ArbiterError(
        'ARB_ERR_STORE_UNAVAILABLE',
        `cannot listen for changes on PostgreSQL at ${redactUrl(options.url)}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    return store;
  }

  /**
   * One connection LISTENs for decision changes. This makes one attempt and throws if it fails
   * (`open` fails with it); once listening, a lost connection is re-established by `relisten`.
   */
  private async listen(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({
      connectionString: this.options.url,
      connectionTimeoutMillis: this.options.connectTimeoutMs ?? 5_000,
      application_name: `${this.options.applicationName ?? 'arbiter'}/listen`,
      types,
    });
    client.on('notification', (message) => {
      if (message.channel !== channel || !message.payload) return;
      for (const listener of this.listeners) listener(message.payload);
    });
    client.on('error', () => {
      client.end().catch(() => {});
      // Before LISTEN succeeded the failure is the attempt's own (its caller retries); after, the
      // connection was lost and nothing else would notice.
      if (this.listener !== client) return;
      this.listener = undefined;
      this.relisten(listenRetryMs.first);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${channel}`);
    } catch (error) {
      await client.end().catch(() => {});
      throw error;
    }
    if (this.closed) {
      await client.end().catch(() => {});
      return;
    }
    this.listener = client;
  }

  /**
   * Reconnects the listener after `delayMs`, and keeps trying with doubling delays (at most
   * `listenRetryMs.max`) until it listens again or the store closes: a database that refuses
   * connections for a while must not leave this replica's waiters without wake-ups for good.
   */
  private relisten(delayMs: number): void {
    if (this.closed) return;
    setTimeout(() => {
      this.listen().catch(() => this.relisten(Math.min(delayMs * 2, listenRetryMs.max)));
    }, delayMs).unref();
  }

  write<T>(work: (tx: StoreTransaction) => Promise<T>, reads?: WriteReads): Promise<T> {
    return this.queue.submit(work, reads);
  }

  onDecisionChanged(listener: (decisionId: string) => void): void {
    this.listeners.push(listener);
  }

  async holdsCheckpointLock(): Promise<boolean> {
    if (this.closed) return false;
    if (this.lockHeld) return true;
    // One attempt at a time: two loops asking at once must not open two connections.
    this.lockAttempt ??= this.tryCheckpointLock().finally(() => {
      this.lockAttempt = undefined;
    });
    return this.lockAttempt;
  }

  private async tryCheckpointLock(): Promise<boolean> {
    let client = this.lockClient;
    try {
      if (!client) {
        const created = new pg.Client({
          connectionString: this.options.url,
          connectionTimeoutMillis: this.options.connectTimeoutMs ?? 5_000,
          application_name: `${this.options.applicationName ?? 'arbiter'}/checkpointer`,
          types,
        });
        created.on('error', () => {
          // The lock went with the connection: another replica may take it now.
          if (this.lockClient === created) {
            this.lockClient = undefined;
            this.lockHeld = false;
          }
          created.end().catch(() => {});
        });
        client = created;
        this.lockClient = created;
        await created.connect();
      }
      const { rows } = await client.query('SELECT pg_try_advisory_lock($1) AS held', [
        checkpointLockKey.toString(),
      ]);
      this.lockHeld = rows[0]?.held === true && !this.closed;
    } catch {
      if (this.lockClient === client) this.lockClient = undefined;
      this.lockHeld = false;
      await client?.end().catch(() => {});
    }
    return this.lockHeld;
  }

  /** The schema version in the database. */
  async schemaVersion(): Promise<number> {
    return schemaVersion(this.pool);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue.close();
    await this.listener?.end().catch(() => {});
    this.lockHeld = false;
    await this.lockClient?.end().catch(() => {});
    await this.pool.end();
  }
}

/**
 * The one warning at open when node-postgres lacks what a one-round-trip path relies on (begin-with.ts,
 * commit-after.ts), naming each path that falls back and why; undefined when neither does.
 */
/**
 * Where warnings at open go when no logger is given: one JSON line on stderr (pino's shape, so log
 * pipelines read it like the server's own), without the store depending on the app's logger.
 */
const stderrWarnings: Pick<Logger, 'warn'> = {
  warn: (details, message) => {
    process.stderr.write(`${JSON.stringify({ level: 40, time: Date.now(), ...details, msg: message })}\n`);
  },
};

function fallbackWarning({
  beginPath,
  commitPath,
}: {
  beginPath: BeginPath;
  commitPath: CommitPath;
}): { details: { beginWith?: string; commitAfter?: string; pg: string }; message: string } | undefined {
  const fallbacks = [
    beginPath.problem && {
      relies: 'batch start in one round trip',
      problem: beginPath.problem,
      instead: 'write batches send their read-ahead after BEGIN and the lock in a round trip of its own',
    },
    commitPath.problem && {
      relies: 'one-round-trip COMMIT',
      problem: commitPath.problem,
      instead: 'write batches send COMMIT in a round trip of its own',
    },
  ].filter((fallback) => !!fallback);
  if (fallbacks.length === 0) return undefined;
  const both = fallbacks.length === 2;
  return {
    details: {
      ...(beginPath.problem && { beginWith: beginPath.problem }),
      ...(commitPath.problem && { commitAfter: commitPath.problem }),
      pg: pgVersion,
    },
    message: `node-postgres ${pgVersion} lacks what Arbiter's ${fallbacks.map((f) => f.relies).join(' and ')} ${both ? 'rely' : 'relies'} on (${fallbacks.map((f) => f.problem).join('; ')}): ${fallbacks.map((f) => f.instead).join(', and ')}, which is as safe and holds the ledger lock ${both ? 'two round trips' : 'one round trip'} longer. Install pg ${pinnedPgVersion}, the release Arbiter pins and tests (docs/deployment.md)`,
  };
}

async function schemaVersion(db: pg.Pool | pg.PoolClient): Promise<number> {
  const { rows } = await db.query("SELECT to_regclass('arbiter_migrations') IS NOT NULL AS present");
  if (!rows[0]?.present) return 0;
  const result = await db.query('SELECT COALESCE(MAX(version), 0) AS version FROM arbiter_migrations');
  return Number(result.rows[0]?.version ?? 0);
}

async function migrate(pool: pg.Pool, location: string): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [migrationLockKey.toString()]);
    await client.query(
      'CREATE TABLE IF NOT EXISTS arbiter_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())',
    );
    const version = await schemaVersion(client);
    if (version > postgresMigrations.length) {
      throw new ArbiterError(
        'ARB_ERR_STORE_SCHEMA_NEWER',
        `database ${location} has schema version ${version}, newer than this Arbiter (${postgresMigrations.length}); upgrade Arbiter`,
      );
    }
    for (let next = version; next < postgresMigrations.length; next++) {
      await client.query(postgresMigrations[next]!);
      await client.query('INSERT INTO arbiter_migrations (version) VALUES ($1)', [next + 1]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
