import type { AppendWrite } from '../../ledger/storage.js';
import type { ActivityDelta, DecisionRow, NotificationRow, SystemRow } from '../records.js';
import { decisionFrom, type Row, systemFrom } from '../row-mapping.js';
import { counterColumns, decisionColumns } from '../sql/records.js';
import type { WriteReads } from '../store.js';
import { type BatchStart, DeferredWriteError } from '../write-queue.js';
import { appendInserts, appendParams, type Queryable } from './ledger.js';

/**
 * A PostgreSQL write batch in a constant number of round trips, whatever its size: the rows the
 * batch's jobs said they would read are read in one statement sent with BEGIN and the ledger lock
 * (read-ahead), and the writes every decision makes — ledger entries and tree nodes, the decision,
 * its activity, its notifications and NOTIFY — are kept in memory and sent in one statement, from
 * arrays, before the next statement of the batch or at its commit (deferred writes). Two round trips
 * under the lock: BEGIN + lock + tail + read-ahead, and the deferred writes + COMMIT.
 *
 * Why this is correct: every write of every replica runs in a batch holding the ledger's advisory
 * lock, and the read-ahead runs under it — after the lock in the same round trip, and under READ
 * COMMITTED each statement sees what was committed before it began, so everything committed by the
 * previous holder — so no other writer changes what was read before this batch commits; within the
 * batch, a statement that may write a table the read-ahead holds drops it (see
 * leavesReadAheadCurrent), and the deferred inserts update it (a decision inserted with an
 * idempotency key is found by it). A read sends the deferred writes first, so it sees them as if
 * each had been sent when made.
 *
 * Why not read before the lock (no round trip under it at all): another replica's batch may commit
 * between that read and this batch's lock — freezing the System read (a decision would then be made
 * against the old status) or inserting a decision with the idempotency key read as unused (a second
 * decision for one key, refused by the unique index only after the work was done). Neither can be
 * told apart afterwards without reading again under the lock, which is the round trip to save.
 */
export class PgBatch implements Queryable {
  private deferring = false;
  private readonly writes: DeferredWrites;
  /** The deferred writes failed: nothing more runs in this transaction (PostgreSQL aborted it). */
  private failure: unknown;
  /** A statement failed since the last `refused()`: PostgreSQL aborted the transaction. */
  private refusal: unknown;
  private readAhead: ReadAhead | undefined;
  /** Statements sent in this batch, for tests and metrics: the point of the design is that it stays small. */
  statements = 0;

  constructor(
    private readonly connection: Queryable,
    channel: string,
  ) {
    this.writes = new DeferredWrites(channel);
  }

  /**
   * Before BEGIN: the read-ahead of `reads`, for the caller to send in BEGIN's round trip after the lock
   * (see BatchConnection.begin), or undefined when there is nothing to read or writes are not deferred.
   * The caller hands its rows to `readAheadFound`.
   */
  readAheadOf({ reads, deferWrites }: BatchStart<WriteReads>): ReadAheadQuery | undefined {
    if (!deferWrites) return undefined;
    const wanted = wantedBy(reads);
    if (wanted.systemIds.length === 0 && wanted.keys.length === 0) return undefined;
    this.statements++;
    return readAheadQuery(wanted);
  }

  /** The rows of the read-ahead sent with BEGIN, read under the lock. */
  readAheadFound(query: ReadAheadQuery, rows: readonly Row[]): void {
    this.readAhead = query.found(rows);
  }

  /**
   * After BEGIN and the lock, the batch's jobs chosen: reads what they asked for and BEGIN's round trip
   * did not read (jobs that arrived while the lock was awaited), if writes may be deferred.
   */
  async start({ reads, deferWrites }: BatchStart<WriteReads>): Promise<void> {
    this.deferring = deferWrites;
    if (!deferWrites) {
      this.readAhead = undefined;
      return;
    }
    const missing = notIn(wantedBy(reads), this.readAhead);
    if (missing.systemIds.length === 0 && missing.keys.length === 0) return;
    this.statements++;
    const query = readAheadQuery(missing);
    const { rows } = await this.connection.query(query.sql, query.params);
    const found = query.found(rows);
    if (!this.readAhead) this.readAhead = found;
    else {
      for (const [id, row] of found.systems) this.readAhead.systems.set(id, row);
      for (const [id, row] of found.keys) this.readAhead.keys.set(id, row);
    }
  }

  /**
   * At the end: the deferred writes not sent yet, for the caller to send with COMMIT in one round trip
   * (undefined when there are none); or refuses if earlier deferred writes failed. A failure of the
   * returned statement is the caller's to report as a DeferredWriteError.
   */
  finalWrites(): { sql: string; params: unknown[] } | undefined {
    if (this.failure !== undefined) throw new DeferredWriteError(this.failure);
    if (this.writes.empty) return undefined;
    const statement = this.writes.statement();
    this.writes.clear();
    this.statements++;
    return statement;
  }

  /**
   * The failure of a statement since the last call, if one failed (the write queue asks after each
   * job, so that a job that caught the failure and went on is refused rather than acknowledged).
   */
  refused(): unknown {
    const refusal = this.refusal;
    this.refusal = undefined;
    return refusal;
  }

  reset(): void {
    this.writes.clear();
    this.failure = undefined;
    this.refusal = undefined;
    this.readAhead = undefined;
    this.deferring = false;
    this.statements = 0;
  }

  async query(sql: string, params?: readonly unknown[]) {
    if (this.failure !== undefined) throw new DeferredWriteError(this.failure);
    await this.flush();
    if (!leavesReadAheadCurrent(sql)) this.readAhead = undefined;
    this.statements++;
    try {
      return await this.connection.query(sql, params);
    } catch (error) {
      // The first failure is the cause; later ones only say the transaction is aborted.
      this.refusal ??= error;
      throw error;
    }
  }

  /** The deferred writes to add to, or undefined when writes must be sent as they are made. */
  get deferred(): DeferredWrites | undefined {
    return this.deferring ? this.writes : undefined;
  }

  /** A System read ahead: `found` is false when it was not (then read it). */
  system(id: string): { found: boolean; row?: SystemRow } {
    const systems = this.readAhead?.systems;
    if (!systems?.has(id)) return { found: false };
    const row = systems.get(id);
    return row ? { found: true, row: structuredClone(row) } : { found: true };
  }

  /** A decision read ahead by its actor's idempotency key: `found` is false when it was not. */
  decisionByKey(actorId: string, key: string): { found: boolean; row?: DecisionRow } {
    const keys = this.readAhead?.keys;
    const id = keyOf(actorId, key);
    if (!keys?.has(id)) return { found: false };
    const row = keys.get(id);
    return row ? { found: true, row: structuredClone(row) } : { found: true };
  }

  /** A decision this batch inserted: later jobs asking for its idempotency key find it. */
  inserted(row: DecisionRow): void {
    if (row.idempotencyKey !== undefined)
      this.readAhead?.keys.set(keyOf(row.actorId, row.idempotencyKey), structuredClone(row));
  }

  private async flush(): Promise<void> {
    if (this.writes.empty) return;
    const { sql, params } = this.writes.statement();
    this.writes.clear();
    this.statements++;
    try {
      await this.connection.query(sql, params);
    } catch (error) {
      this.failure = error;
      const deferred = new DeferredWriteError(error);
      this.refusal ??= deferred;
      throw deferred;
    }
  }
}

/** The tables whose rows the read-ahead holds. */
const readAheadTables = /\b(systems|decisions)\b/i;

/**
 * Whether `sql` leaves the read-ahead current: a SELECT, or a statement that names neither table the
 * read-ahead holds — it cannot write them, since the schema has no triggers, rules, writable views or
 * cascading foreign keys. Anything else drops it. Why it matters: the notification loop's claim (an
 * UPDATE of notifications) joins decisions' batches twice a second, and dropping the read-ahead there
 * made every later decision of the batch read its System alone and send its writes alone — two round
 * trips each under the ledger lock, the periodic stall behind the p99 at 500/s.
 */
export function leavesReadAheadCurrent(sql: string): boolean {
  return /^\s*select\b/i.test(sql) || !readAheadTables.test(sql);
}

const keyOf = (actorId: string, key: string) => `${actorId}\u0000${key}`;

interface ReadAhead {
  /** id → the row, or undefined for a System that does not exist. */
  systems: Map<string, SystemRow | undefined>;
  /** actor and key → the decision, or undefined for a key not used yet. */
  keys: Map<string, DecisionRow | undefined>;
}

interface Wanted {
  systemIds: string[];
  keys: { actorId: string; key: string }[];
}

function wantedBy(reads: readonly WriteReads[]): Wanted {
  return {
    systemIds: [...new Set(reads.flatMap((r) => r.systems ?? []))],
    keys: reads.flatMap((r) => r.idempotencyKeys ?? []),
  };
}

/** What of `wanted` `held` does not hold. */
function notIn(wanted: Wanted, held: ReadAhead | undefined): Wanted {
  if (!held) return wanted;
  return {
    systemIds: wanted.systemIds.filter((id) => !held.systems.has(id)),
    keys: wanted.keys.filter(({ actorId, key }) => !held.keys.has(keyOf(actorId, key))),
  };
}

/** A read-ahead statement and how to take its answer. */
export interface ReadAheadQuery {
  sql: string;
  params: unknown[];
  found(rows: readonly Row[]): ReadAhead;
}

/** Systems and decisions by idempotency key, in one statement (rows as JSON: two tables, one answer). */
function readAheadQuery({ systemIds, keys }: Wanted): ReadAheadQuery {
  return {
    sql: `SELECT
       (SELECT COALESCE(jsonb_agg(s), '[]'::jsonb) FROM systems s WHERE s.id = ANY($1::text[])) AS systems,
       (SELECT COALESCE(jsonb_agg(d), '[]'::jsonb) FROM decisions d
          JOIN unnest($2::text[], $3::text[]) AS wanted (actor_id, key)
            ON d.actor_id = wanted.actor_id AND d.idempotency_key = wanted.key) AS decisions`,
    params: [systemIds, keys.map((k) => k.actorId), keys.map((k) => k.key)],
    found(rows) {
      const found: ReadAhead = { systems: new Map(), keys: new Map() };
      for (const id of systemIds) found.systems.set(id, undefined);
      for (const { actorId, key } of keys) found.keys.set(keyOf(actorId, key), undefined);
      // jsonb keeps every column's value as the row would (the columns are text and integers).
      const [answer] = rows as { systems: Row[]; decisions: Row[] }[];
      for (const row of answer!.systems) found.systems.set(row.id as string, systemFrom(row));
      for (const row of answer!.decisions) {
        const decision = decisionFrom(row);
        found.keys.set(keyOf(decision.actorId, decision.idempotencyKey!), decision);
      }
      return found;
    },
  };
}

const decisionColumnTypes = {
  id: 'text',
  actor_id: 'text',
  actor_kind: 'text',
  system_id: 'text',
  action: 'text',
  resource_type: 'text',
  resource_id: 'text',
  environment: 'text',
  request: 'text',
  request_hash: 'text',
  idempotency_key: 'text',
  status: 'text',
  effect: 'text',
  verdict: 'text',
  requirements: 'text',
  bundle: 'text',
  status_reason: 'text',
  created_at: 'text',
  updated_at: 'text',
  expires_at: 'text',
  ledger_index: 'bigint',
} as const satisfies Record<keyof ReturnType<typeof decisionColumns>, string>;
const decisionColumnNames = Object.keys(decisionColumnTypes) as (keyof typeof decisionColumnTypes)[];

const activityKeys = ['actor_id', 'granularity', 'bucket', 'action', 'environment'] as const;
const activityCounters = counterColumns.map(([, column]) => column);

const notificationColumns = [
  ['id', 'text'],
  ['notifier', 'text'],
  ['event_type', 'text'],
  ['payload', 'text'],
  ['attempts', 'int'],
  ['status', 'text'],
  ['next_attempt_at', 'text'],
  ['created_at', 'text'],
] as const;

/** `$first::type[], …` for `types`, numbering from `first`. */
function arrays(types: readonly string[], first: number): string {
  return types.map((type, i) => `$${first + i}::${type}[]`).join(', ');
}

/** Fixed text (one prepared statement); empty arrays insert nothing. */
const deferredStatement = (() => {
  let next = 15;
  const take = (types: readonly string[]) => {
    const text = arrays(types, next);
    next += types.length;
    return text;
  };
  const decisions = take(decisionColumnNames.map((c) => decisionColumnTypes[c]));
  const activity = take(['text', 'text', 'bigint', 'text', 'text', ...activityCounters.map(() => 'int')]);
  const notifications = take(notificationColumns.map(([, type]) => type));
  const channel = next++;
  const notified = take(['text']);
  return `WITH ${appendInserts}, decisions AS (
       INSERT INTO decisions (${decisionColumnNames.join(', ')}) SELECT * FROM unnest(${decisions})
     ), activity AS (
       INSERT INTO activity (${[...activityKeys, ...activityCounters].join(', ')}) SELECT * FROM unnest(${activity})
       ON CONFLICT (${activityKeys.join(', ')}) DO UPDATE SET
       ${activityCounters.map((c) => `${c} = activity.${c} + excluded.${c}`).join(', ')}
     ), notifications AS (
       INSERT INTO notifications (${notificationColumns.map(([c]) => c).join(', ')}) SELECT * FROM unnest(${notifications})
     ), notified AS (
       SELECT pg_notify($${channel}, id) FROM unnest(${notified}) AS id
     )
     SELECT count(*) AS notified FROM notified`;
})();

interface ActivityBucket {
  key: readonly [string, string, number, string, string];
  counts: number[];
}

/**
 * What a batch has written and not yet sent. Activity deltas are summed per bucket here: one
 * INSERT … ON CONFLICT may not touch the same row twice, and sums commute.
 */
export class DeferredWrites {
  private appends: AppendWrite[] = [];
  private decisions: DecisionRow[] = [];
  private readonly activity = new Map<string, ActivityBucket>();
  private notifications: NotificationRow[] = [];
  private changed = new Set<string>();

  constructor(private readonly channel: string) {}

  get empty(): boolean {
    return (
      this.appends.length === 0 &&
      this.decisions.length === 0 &&
      this.activity.size === 0 &&
      this.notifications.length === 0 &&
      this.changed.size === 0
    );
  }

  clear(): void {
    this.appends = [];
    this.decisions = [];
    this.activity.clear();
    this.notifications = [];
    this.changed = new Set();
  }

  append(write: AppendWrite): void {
    this.appends.push(write);
  }

  decision(row: DecisionRow): void {
    this.decisions.push(row);
  }

  /** The minute and hour buckets of `delta`, as `addActivity` writes them. */
  addActivity(delta: ActivityDelta): void {
    const minute = Math.floor(delta.at.getTime() / 60_000);
    for (const [granularity, bucket] of [
      ['m', minute],
      ['h', Math.floor(minute / 60)],
    ] as const) {
      const key = [delta.actorId, granularity, bucket, delta.action, delta.environment] as const;
      const id = key.join('\u0000');
      const counts = counterColumns.map(([name]) => delta[name] ?? 0);
      const existing = this.activity.get(id);
      if (existing) existing.counts = existing.counts.map((count, i) => count + counts[i]!);
      else this.activity.set(id, { key, counts });
    }
  }

  notify(rows: readonly NotificationRow[]): void {
    this.notifications.push(...rows);
  }

  decisionChanged(decisionId: string): void {
    this.changed.add(decisionId);
  }

  statement(): { sql: string; params: unknown[] } {
    const decisions = this.decisions.map(decisionColumns);
    const buckets = [...this.activity.values()];
    return {
      sql: deferredStatement,
      params: [
        ...appendParams(this.appends),
        ...decisionColumnNames.map((column) => decisions.map((row) => row[column])),
        ...activityKeys.map((_, i) => buckets.map((b) => b.key[i])),
        ...activityCounters.map((_, i) => buckets.map((b) => b.counts[i])),
        this.notifications.map((n) => n.id),
        this.notifications.map((n) => n.notifier),
        this.notifications.map((n) => n.eventType),
        this.notifications.map((n) => JSON.stringify(n.payload)),
        this.notifications.map((n) => n.attempts),
        this.notifications.map((n) => n.status),
        this.notifications.map((n) => n.nextAttemptAt),
        this.notifications.map((n) => n.createdAt),
        this.channel,
        [...this.changed],
      ],
    };
  }
}
