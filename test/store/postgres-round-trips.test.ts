import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leafHash, rootHash } from '../../src/ledger/index.js';
import { leavesReadAheadCurrent } from '../../src/store/postgres/batch.js';
import { ledgerLockKey, PostgresStore } from '../../src/store/postgres/postgres-store.js';
import type { DecisionRow, SystemRow } from '../../src/store/records.js';
import type { StoreTransaction, WriteReads } from '../../src/store/store.js';
import { roundTripsDuring } from '../helpers/pg-query.js';
import { postgresAvailable, postgresTestDatabase, untilLockAwaited } from '../helpers/postgres.js';
import { deploy, startTestServer, type TestServer } from '../helpers/server.js';
import { hex } from '../ledger/reference.js';

/**
 * Round trips of a PostgreSQL write batch (issue 22): an operation count, not a timing. N decisions are held
 * back behind one write until all N wait in the queue, so they go into one batch together; every
 * statement any pg client sends is recorded, and the batch's statements are those its connection
 * sent from BEGIN to COMMIT.
 */
const hasPostgres = await postgresAvailable();

interface Sent {
  client: pg.Client;
  text: string;
  /** A statement sent with COMMIT in the same round trip (the batch's deferred writes). */
  thenCommit: boolean;
}

describe.skipIf(!hasPostgres)('PostgreSQL write batch round trips', () => {
  let server: TestServer;
  const sent: Sent[] = [];
  const originalQuery = pg.Client.prototype.query;

  beforeAll(async () => {
    server = await startTestServer({ backend: 'postgres' });
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      const config = args[0] as string | { text: string; thenCommit?: boolean; leading?: string[] };
      sent.push(
        typeof config === 'string'
          ? { client: this, text: config, thenCommit: false }
          : {
              client: this,
              // Statements sent ahead of this one in its round trip (BEGIN, the lock, the tail).
              text: [...(config.leading ?? []), config.text].join('; '),
              thenCommit: config.thenCommit === true,
            },
      );
      return (originalQuery as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof pg.Client.prototype.query;
  });
  afterAll(async () => {
    pg.Client.prototype.query = originalQuery;
    await server?.close();
  });

  /**
   * The statements of the batch holding `decisions` new decisions (half with idempotency keys), after
   * `first` (another job queued ahead of them, in the same batch) if given.
   */
  async function batchOf(
    decisions: number,
    round: number,
    first?: (tx: StoreTransaction) => Promise<unknown>,
  ): Promise<string[]> {
    const { store } = server.arbiter;
    const write = store.write.bind(store);
    let queued = 0;
    let allQueued: () => void = () => {};
    const everyoneQueued = new Promise<void>((resolve) => {
      allQueued = resolve;
    });
    // Only decisions count (they name their System; the server's own loops write too).
    store.write = <T>(work: (tx: StoreTransaction) => Promise<T>, reads?: WriteReads) => {
      if (reads?.systems?.length && ++queued === decisions) allQueued();
      return write(work, reads);
    };
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let blocking: () => void = () => {};
    const blockerRuns = new Promise<void>((resolve) => {
      blocking = resolve;
    });
    const blocker = write(() => {
      blocking();
      return held;
    });
    // Queued once the blocker's batch has begun, so that it opens the next batch.
    const firstJob = first ? blockerRuns.then(() => write(first)) : undefined;
    try {
      // Sent once the blocker runs: sent sooner, decisions could join the blocker's batch while its BEGIN
      // is in flight, and one arriving during that batch's late read-ahead was queued ahead of `first`,
      // whose statement then sent its deferred writes first (4 statements: a flaky count).
      await blockerRuns;
      const answers = Array.from({ length: decisions }, (_, i) =>
        server.call(
          server.tokens.deployBot!,
          'POST',
          '/v1/decisions',
          deploy(i % 2 === 0 ? { idempotencyKey: `round-${round}-${i}` } : {}),
        ),
      );
      await everyoneQueued;
      const start = sent.length;
      release();
      await blocker;
      await firstJob;
      for (const answer of await Promise.all(answers)) expect(answer.status).toBe(201);
      const after = sent.slice(start);
      // The batch after the blocker's: its connection's statements from BEGIN to COMMIT.
      const begin = after.findIndex(
        (s) => s.text.startsWith('BEGIN') && after.some((t) => t.client === s.client),
      );
      const client = after[begin]!.client;
      const ofClient = after.slice(begin).filter((s) => s.client === client);
      const end = ofClient.findIndex((s) => s.text === 'COMMIT' || s.thenCommit);
      return ofClient.slice(0, end + 1).map((s) => s.text);
    } finally {
      store.write = write;
    }
  }

  it('a batch of decisions takes the same two round trips at 1, 8 and 32 decisions (before: 9, 40, 148, then 3)', async () => {
    const batches: string[][] = [];
    let round = 0;
    for (const n of [1, 8, 32]) batches.push(await batchOf(n, round++));
    // BEGIN + lock + ledger tail + the read-ahead; the deferred writes with COMMIT.
    expect(batches.map((statements) => statements.length)).toEqual([2, 2, 2]);
    for (const statements of batches) {
      expect(statements[0]).toMatch(
        /^BEGIN; SELECT pg_advisory_xact_lock\(\d+\); SELECT t\.seq, t\.leaf_hash, CASE WHEN /,
      );
      expect(statements[0]).toMatch(/FROM systems s WHERE/);
      expect(statements[1]).toMatch(/^WITH entries AS/);
    }
  });

  it('a notification claim sharing the batch keeps it constant: the read-ahead survives writes to other tables', async () => {
    // The delivery loop claims due notifications twice a second, so its UPDATE joins decisions' batches.
    // It used to drop the read-ahead, and every decision after it then cost two round trips (its System,
    // its writes) under the ledger lock: 4 + 2 × 16 statements here.
    const claim = (tx: StoreTransaction) =>
      tx.claimNotifications('2000-01-01T00:00:00.000Z', '2000-01-01T00:01:00.000Z', 50);
    const statements = await batchOf(16, 200, claim);
    expect(statements, statements.join('\n')).toHaveLength(3);
    expect(statements.filter((s) => /select \* from "systems"/i.test(s))).toEqual([]);
  });

  it('every decision of the batch is in the ledger at its index; stored nodes give the RFC 6962 root', async () => {
    const { store, ledger } = server.arbiter;
    const before = await store.ledger.size();
    const statements = await batchOf(16, 100);
    expect(statements).toHaveLength(2);
    const after = await store.ledger.size();
    expect(after - before).toBe(16);
    const entries = await store.ledger.entries(before, after);
    for (const entry of entries) {
      expect(entry.type).toBe('decision.created');
      const row = await store.getDecision(entry.subject);
      expect(row?.ledgerIndex).toBe(entry.seq);
    }
    // The tree nodes written from arrays agree with the root computed from every leaf.
    const all = await store.ledger.entryBytes(0, after);
    for (const entry of all) expect(hex(leafHash(entry.bytes))).toBe(hex(entry.leafHash));
    expect(hex((await ledger.log.root(store.ledger)).root)).toBe(hex(rootHash(all.map((e) => e.leafHash))));
  });

  /**
   * Two requests with one idempotency key, held back behind a blocking write until both are queued, so
   * that they run in one batch: the blocker's own (`whileLockAwaited`: they arrive while its BEGIN waits
   * for the ledger lock, held by another connection, and join it) or the next one (they arrive while the
   * blocker runs).
   *
   * The blocker's release exists before the blocker runs. It used to be created by the blocker's work,
   * so when both requests were queued before that work began (they join the batch whose BEGIN is in
   * flight: about 1 round in 40 on an idle machine), release() was a no-op, the blocker never finished,
   * and the write queue with it: the CI hang of this test, where even afterAll could not close the store.
   */
  async function repeatedKey(key: string, whileLockAwaited: boolean) {
    const { store } = server.arbiter;
    const write = store.write.bind(store);
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    let blocking: () => void = () => {};
    const blockerRuns = new Promise<void>((resolve) => (blocking = resolve));
    let queued = 0;
    let allQueued: () => void = () => {};
    const everyoneQueued = new Promise<void>((resolve) => (allQueued = resolve));
    // Only the two requests count (the server's own loops write too).
    store.write = <T>(work: (tx: StoreTransaction) => Promise<T>, reads?: WriteReads) => {
      if (reads?.idempotencyKeys?.some((k) => k.key === key) && ++queued === 2) allQueued();
      return write(work, reads);
    };
    const other = new pg.Client({ connectionString: server.databaseUrl });
    await other.connect();
    try {
      if (whileLockAwaited) {
        await other.query('BEGIN');
        await other.query(`SELECT pg_advisory_xact_lock(${ledgerLockKey})`);
      }
      const blocker = write(() => {
        blocking();
        return held;
      });
      if (whileLockAwaited) await untilLockAwaited(other);
      else await blockerRuns;
      const body = deploy({ idempotencyKey: key });
      const answers = [1, 2].map(() => server.call(server.tokens.deployBot!, 'POST', '/v1/decisions', body));
      await everyoneQueued;
      release();
      if (whileLockAwaited) await other.query('COMMIT');
      await blocker;
      const [first, second] = await Promise.all(answers);
      expect([first!.status, second!.status].sort()).toEqual([200, 201]);
      expect(first!.body.id).toBe(second!.body.id);
    } finally {
      store.write = write;
      await other.end();
    }
  }

  it('a key repeated inside one batch gives one decision, found by the second request', async () => {
    await repeatedKey('same-key-in-one-batch', false);
  });

  it('a key repeated by requests that join a batch while its BEGIN waits for the lock gives one decision', async () => {
    await repeatedKey('same-key-while-lock-awaited', true);
  });
});

const now = '2026-11-23T12:00:00.000Z';
const decision = (id: string, overrides: Partial<DecisionRow> = {}): DecisionRow => ({
  id,
  actorId: 'system:deploy-bot',
  actorKind: 'agent',
  systemId: 'deploy-bot',
  action: 'deploy',
  resourceType: 'service',
  resourceId: 'payments',
  environment: 'prod',
  request: { action: 'deploy', resource: { type: 'service', id: 'payments', environment: 'prod' } },
  requestHash: `sha256:${'0'.repeat(64)}`,
  status: 'allowed',
  effect: 'allow',
  verdict: { reasons: [] },
  requirements: [],
  bundle: 'sha256:b',
  createdAt: now,
  updatedAt: now,
  ledgerIndex: 0,
  ...overrides,
});
const system: SystemRow = {
  id: 'deploy-bot',
  kind: 'agent',
  spec: {
    owner: { team: 'platform', person: 'dana' },
    onCall: { team: 'oncall' },
    autonomy: 2,
    riskTier: 'high',
  },
  source: 'bundle',
  status: 'active',
  createdAt: now,
  updatedAt: now,
};

/**
 * Three decisions written in one batch, the middle one repeating the existing `taken`: its insert
 * fails (23505) and only its write is refused; the other two are committed.
 */
/**
 * A read-ahead PostgreSQL refuses (a NUL in text) fails only the job that asked for it: the batch runs
 * again without read-ahead, the good job in it commits, and the ledger lock is let go.
 */
async function expectOnlyTheRefusedReaderFails(store: PostgresStore, url: string): Promise<void> {
  // PostgreSQL refuses a NUL in text: the error skips the rest up to the Sync, the queue rolls back
  // and runs the batch again without read-ahead, each job reading for itself.
  const refused = store.write(async (tx) => tx.getSystem('nul\u0000bot'), { systems: ['nul\u0000bot'] });
  const good = store.write(async (tx) => (await tx.getSystem('deploy-bot'))?.status, {
    systems: ['deploy-bot'],
  });
  await expect(refused).rejects.toMatchObject({ code: '22021' });
  expect(await good).toBe('active');
  const other = new pg.Client({ connectionString: url });
  await other.connect();
  try {
    const { rows } = await other.query(`SELECT pg_try_advisory_lock(${ledgerLockKey}) AS held`);
    expect(rows[0].held).toBe(true);
    await other.query(`SELECT pg_advisory_unlock(${ledgerLockKey})`);
  } finally {
    await other.end();
  }
  const status = await store.write(async (tx) => (await tx.getSystem('deploy-bot'))?.status, {
    systems: ['deploy-bot'],
  });
  expect(status).toBe('active');
}

async function expectOnlyTheRepeatRefused(
  store: PostgresStore,
  taken: string,
  [first, third]: [string, string],
): Promise<void> {
  const results = await Promise.allSettled(
    [first, taken, third].map((id) => store.write((tx) => tx.insertDecision(decision(id)))),
  );
  expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: '23505' });
  expect((await store.getDecision(first))?.id).toBe(first);
  expect((await store.getDecision(third))?.id).toBe(third);
}

describe.skipIf(!hasPostgres)('PostgreSQL write batch: deferred writes and read-ahead', () => {
  const db = postgresTestDatabase();
  let store: PostgresStore;
  const batches: number[] = [];

  beforeAll(async () => {
    store = await db.open({ onBatch: ({ statements }) => batches.push(statements) });
    await store.write((tx) => tx.upsertSystem(system));
  });

  it('a deferred write that fails refuses its own write only: the batch runs again sending each write as made', async () => {
    await store.write((tx) => tx.insertDecision(decision('dec_taken')));
    await expectOnlyTheRepeatRefused(store, 'dec_taken', ['dec_first', 'dec_third']);
  });

  it('a job that swallows the failure of a deferred write cannot commit the batch', async () => {
    const results = await Promise.allSettled([
      store.write((tx) => tx.insertDecision(decision('dec_taken'))),
      store.write(async (tx) => {
        // The read sends the deferred insert first, which fails; this job ignores it.
        await tx.getDecision('dec_taken').catch(() => undefined);
        await tx.setMeta('swallowed', 'yes');
      }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled']);
    expect(await store.getMeta('swallowed')).toBe('yes');
  });

  /** Three jobs queued behind a held one, so the four share one batch (the queue takes all that wait). */
  async function oneBatch(jobs: (() => Promise<unknown>)[]): Promise<PromiseSettledResult<unknown>[]> {
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const blocker = store.write(() => held);
    // The blocker's batch is running (its job awaits `held`) before the others are queued.
    await new Promise((resolve) => setImmediate(resolve));
    const settled = Promise.allSettled(jobs.map((job) => job()));
    release();
    await blocker;
    return settled;
  }

  it('a NUL in a read-ahead System id refuses that job only: the others of its batch commit', async () => {
    // PostgreSQL refuses U+0000 in text (22021). Before: the read-ahead failed in `begin`, which the
    // queue took for a failed transaction, and every job of the batch was rejected with the error.
    const results = await oneBatch([
      () => store.write((tx) => tx.setMeta('nul-neighbour-1', 'kept'), { systems: ['deploy-bot'] }),
      () => store.write(async (tx) => tx.getSystem('nul\u0000bot'), { systems: ['nul\u0000bot'] }),
      () =>
        store.write((tx) => tx.insertDecision(decision('dec_nul_neighbour')), { systems: ['deploy-bot'] }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: '22021' });
    expect(await store.getMeta('nul-neighbour-1')).toBe('kept');
    expect((await store.getDecision('dec_nul_neighbour'))?.id).toBe('dec_nul_neighbour');
  });

  it('a NUL in an idempotency key or a deferred row refuses that job only', async () => {
    const results = await oneBatch([
      () =>
        store.write(async (tx) => tx.decisionByIdempotencyKey('system:deploy-bot', 'k\u0000'), {
          idempotencyKeys: [{ actorId: 'system:deploy-bot', key: 'k\u0000' }],
        }),
      () =>
        store.write((tx) => tx.insertDecision(decision('dec_nul_text', { resourceId: 'pay\u0000ments' }))),
      () => store.write((tx) => tx.insertDecision(decision('dec_nul_kept'))),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'fulfilled']);
    expect(await store.getDecision('dec_nul_text')).toBeUndefined();
    expect((await store.getDecision('dec_nul_kept'))?.id).toBe('dec_nul_kept');
  });

  it('a job that swallows a refused statement when writes are sent as made cannot commit the batch', async () => {
    // The duplicate makes the batch run again with writes sent as made; the second job then hides
    // PostgreSQL's refusal, and COMMIT of an aborted transaction answers ROLLBACK without an error.
    await store.write((tx) => tx.insertDecision(decision('dec_swallow_taken')));
    const results = await oneBatch([
      () => store.write((tx) => tx.insertDecision(decision('dec_swallow_taken'))),
      () =>
        store.write(async (tx) => {
          await tx.getSystem('nul\u0000bot').catch(() => undefined);
          await tx.setMeta('swallowed-as-made', 'yes').catch(() => undefined);
        }),
      () => store.write((tx) => tx.setMeta('after-the-swallower', 'kept')),
    ]);
    // Before: the swallower was told "done" and its write was lost (and the job after it was blamed).
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: '22021' });
    expect(await store.getMeta('swallowed-as-made')).toBeUndefined();
    expect(await store.getMeta('after-the-swallower')).toBe('kept');
  });

  it('read-ahead answers until a write of the batch changes what was read', async () => {
    const seen = await Promise.all([
      store.write(async (tx) => (await tx.getSystem('deploy-bot'))?.status, { systems: ['deploy-bot'] }),
      store.write((tx) => tx.setSystemStatus('deploy-bot', 'frozen', 'incident', 'user:alice', now)),
      store.write(async (tx) => (await tx.getSystem('deploy-bot'))?.status, { systems: ['deploy-bot'] }),
      store.write(async (tx) => (await tx.getSystem('missing-bot'))?.status ?? 'none', {
        systems: ['missing-bot'],
      }),
    ]);
    expect([seen[0], seen[2], seen[3]]).toEqual(['active', 'frozen', 'none']);
    await store.write((tx) => tx.setSystemStatus('deploy-bot', 'active', 'resolved', 'user:alice', now));
  });

  it('a decision read ahead by its key is read again once a write of the batch changes decisions', async () => {
    const key = { actorId: 'system:deploy-bot', key: 'k-status' };
    await store.write((tx) => tx.insertDecision(decision('dec_status', { idempotencyKey: key.key })));
    const byKey = (tx: StoreTransaction) => tx.decisionByIdempotencyKey(key.actorId, key.key);
    const seen = await Promise.all([
      store.write(async (tx) => (await byKey(tx))?.status, { idempotencyKeys: [key] }),
      store.write((tx) => tx.enqueueNotifications([])),
      store.write((tx) => tx.claimNotifications(now, now, 10)),
      store.write(async (tx) => (await byKey(tx))?.status, { idempotencyKeys: [key] }),
      store.write((tx) => tx.updateDecisionStatus('dec_status', 'denied', 'test', now)),
      store.write(async (tx) => (await byKey(tx))?.status, { idempotencyKeys: [key] }),
    ]);
    expect([seen[0], seen[3], seen[5]]).toEqual(['allowed', 'allowed', 'denied']);
  });

  it('only a statement that may write systems or decisions drops the read-ahead', () => {
    for (const kept of [
      'select * from "systems" where "id" = $1',
      'update "notifications" set "next_attempt_at" = $1 where "id" in (select "id" from "notifications")',
      'insert into "checkpoints" ("size", "root") values ($1, $2)',
      'insert into "approvals" ("decision_id", "approver") values ($1, $2)',
    ])
      expect(leavesReadAheadCurrent(kept), kept).toBe(true);
    for (const dropped of [
      'update "decisions" set "status" = $1 where "id" = $2',
      'insert into "systems" ("id") values ($1) on conflict ("id") do update set "spec" = excluded."spec"',
      'UPDATE Systems SET status = $1',
      'WITH x AS (INSERT INTO decisions (id) VALUES ($1)) SELECT 1',
      'delete from "public"."decisions"',
    ])
      expect(leavesReadAheadCurrent(dropped), dropped).toBe(false);
  });

  it('the schema writes no table behind a statement that does not name it (what the read-ahead rule relies on)', async () => {
    const { rows } = await db.client.query(`SELECT
      (SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal)::int AS triggers,
      (SELECT count(*) FROM pg_rules WHERE schemaname = 'public')::int AS rules,
      (SELECT count(*) FROM pg_views WHERE schemaname = 'public')::int AS views,
      (SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND (confdeltype <> 'a' OR confupdtype <> 'a'))::int AS cascades`);
    expect(rows[0]).toEqual({ triggers: 0, rules: 0, views: 0, cascades: 0 });
  });

  it('writes that arrive while the ledger lock is held elsewhere join the batch waiting for it', async () => {
    // Another replica holds the lock; this one's batch waits for it with one write, and four more
    // arrive meanwhile. Choosing the jobs after the lock puts all five in one batch (before: 1 + 4).
    const other = new pg.Client({ connectionString: db.url });
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query(`SELECT pg_advisory_xact_lock(${ledgerLockKey})`);
      batches.length = 0;
      const first = store.write((tx) => tx.setMeta('lock-wait-0', 'x'));
      // Until this store's BEGIN waits on the advisory lock.
      await untilLockAwaited(other);
      const later = [1, 2, 3, 4].map((i) => store.write((tx) => tx.setMeta(`lock-wait-${i}`, 'x')));
      await other.query('COMMIT');
      await Promise.all([first, ...later]);
      expect(batches).toHaveLength(1);
      for (const i of [0, 1, 2, 3, 4]) expect(await store.getMeta(`lock-wait-${i}`)).toBe('x');
    } finally {
      await other.end();
    }
  });

  it('reads of writes that arrive while the lock is awaited: what BEGIN read is kept, the rest read once', async () => {
    // The first write's System is read with BEGIN, after the lock; the later ones ask for it again
    // (kept) and for a System and a key nobody asked for yet (one more statement for both).
    const other = new pg.Client({ connectionString: db.url });
    await other.connect();
    const status = async (tx: StoreTransaction, id: string) => (await tx.getSystem(id))?.status ?? 'none';
    const key = { actorId: 'system:deploy-bot', key: 'k-late' };
    try {
      await other.query('BEGIN');
      await other.query(`SELECT pg_advisory_xact_lock(${ledgerLockKey})`);
      batches.length = 0;
      const first = store.write((tx) => status(tx, 'deploy-bot'), { systems: ['deploy-bot'] });
      await untilLockAwaited(other);
      // Committed by the lock's holder before it lets go: BEGIN's read-ahead, after the lock, sees it.
      await other.query("UPDATE systems SET status = 'frozen' WHERE id = 'deploy-bot'");
      const later = [
        store.write((tx) => status(tx, 'deploy-bot'), { systems: ['deploy-bot'] }),
        store.write((tx) => status(tx, 'late-bot'), { systems: ['late-bot'] }),
        store.write(async (tx) => (await tx.decisionByIdempotencyKey(key.actorId, key.key))?.id ?? 'none', {
          idempotencyKeys: [key],
        }),
      ];
      await other.query('COMMIT');
      expect(await Promise.all([first, ...later])).toEqual(['frozen', 'frozen', 'none', 'none']);
      // BEGIN + lock + tail, the read-ahead sent with it, the late reads, COMMIT.
      expect(batches).toEqual([4]);
    } finally {
      await other.query("UPDATE systems SET status = 'active' WHERE id = 'deploy-bot'");
      await other.end();
    }
  });

  it("a read-ahead refused in BEGIN's round trip runs the batch again without it: only the job that asked fails, and the lock is let go", async () => {
    await expectOnlyTheRefusedReaderFails(store, db.url);
  });

  it("a lock wait that times out in BEGIN's round trip leaves the connection able to read ahead", async () => {
    // The read-ahead is a named prepared statement, parsed the first time a connection sends it. The
    // client records it as parsed at the round trip's first ParseComplete: BEGIN's, when the read-ahead's
    // Parse came after the leading statements — so a lock wait cut by statement_timeout (the rest of the
    // round trip skipped, the read-ahead never parsed) left the one pooled connection refusing every
    // later read-ahead with 26000 "prepared statement does not exist".
    const timed = await PostgresStore.open({ url: db.url, poolSize: 1, statementTimeoutMs: 1_000 });
    const other = new pg.Client({ connectionString: db.url });
    await other.connect();
    const status = (tx: StoreTransaction) => tx.getSystem('deploy-bot').then((row) => row?.status);
    try {
      await other.query('BEGIN');
      await other.query(`SELECT pg_advisory_xact_lock(${ledgerLockKey})`);
      // A timeout is not a refused read-ahead: the batch must not wait for the lock a second time
      // without it (each wait seen by a watcher as its own query start).
      const waits = new Set<string>();
      const watcher = new pg.Client({ connectionString: db.url });
      await watcher.connect();
      let settled = false;
      const outcome = timed.write(status, { systems: ['deploy-bot'] }).then(
        () => undefined,
        (error: unknown) => error,
      );
      void outcome.finally(() => {
        settled = true;
      });
      while (!settled) {
        const { rows } = await watcher.query(
          `SELECT query_start FROM pg_stat_activity
            WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event = 'advisory'`,
        );
        for (const row of rows) waits.add(String(row.query_start));
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      await watcher.end();
      expect(await outcome).toMatchObject({ code: '57014' });
      expect(waits.size).toBe(1);
      await other.query('COMMIT');
      expect(await timed.write(status, { systems: ['deploy-bot'] })).toBe('active');
    } finally {
      await other.end();
      await timed.close();
    }
  });

  it('a decision inserted in the batch is found by its idempotency key; activity of one bucket adds up', async () => {
    const key = { actorId: 'system:deploy-bot', key: 'k-1' };
    const at = new Date('2026-11-23T12:00:30Z');
    batches.length = 0;
    const [, found] = await Promise.all([
      store.write(
        async (tx) => {
          await tx.insertDecision(decision('dec_keyed', { idempotencyKey: 'k-1' }));
          await tx.addActivity({
            actorId: key.actorId,
            action: 'deploy',
            environment: 'prod',
            at,
            decisions: 1,
          });
        },
        { idempotencyKeys: [key] },
      ),
      store.write(
        async (tx) => {
          const row = await tx.decisionByIdempotencyKey(key.actorId, key.key);
          await tx.addActivity({
            actorId: key.actorId,
            action: 'deploy',
            environment: 'prod',
            at,
            decisions: 1,
          });
          return row?.id;
        },
        { idempotencyKeys: [key] },
      ),
    ]);
    expect(found).toBe('dec_keyed');
    expect(batches).toEqual([4]);
    const minute = Math.floor(at.getTime() / 60_000);
    const { lastHour } = await store.activity(key.actorId, minute, Math.floor(minute / 60));
    expect(lastHour).toMatchObject([{ action: 'deploy', environment: 'prod', decisions: 2 }]);
  });
});

/** node-postgres as a release without `_getRows` would be: neither one-round-trip path can run over it. */
class QueryWithoutGetRows extends pg.Query {}
Object.defineProperty(QueryWithoutGetRows.prototype, '_getRows', { value: undefined });

/**
 * node-postgres as releases before 8.13 were: a named statement counts as parsed once its Parse has
 * completed, not once sent. The COMMIT after a statement runs over it; the batch start in one round trip
 * cannot (it would send the read-ahead's Parse twice, and PostgreSQL refuse the second).
 */
class QueryParsedOnceCompleted extends pg.Query {}
Object.defineProperty(QueryParsedOnceCompleted.prototype, 'hasBeenParsed', {
  value(this: { name?: string }, connection: { parsedStatements: Record<string, string> }) {
    return !!this.name && connection.parsedStatements[this.name] !== undefined;
  },
});

describe.skipIf(!hasPostgres)(
  'PostgreSQL write batch over a node-postgres without the internals it relies on',
  () => {
    const db = postgresTestDatabase();
    const warnings: { details: object; message: string }[] = [];
    const batches = { checked: [] as number[], plain: [] as number[] };
    let plain: PostgresStore;
    let checked: PostgresStore;
    /** Over a node-postgres whose batch start falls back, and whose COMMIT does not. */
    let older: PostgresStore;

    beforeAll(async () => {
      const logger = {
        warn: (details: object, message: string) => warnings.push({ details, message }),
        error() {},
      };
      checked = await db.open({ logger, onBatch: ({ statements }) => batches.checked.push(statements) });
      plain = await db.open({
        logger,
        pgQuery: QueryWithoutGetRows,
        onBatch: ({ statements }) => batches.plain.push(statements),
      });
      older = await db.open({ logger, pgQuery: QueryParsedOnceCompleted });
      await plain.write((tx) => tx.upsertSystem(system));
    });

    it('warns once at open, naming what is missing for each path; the pinned release opens without a word', () => {
      expect(warnings).toEqual([
        {
          details: {
            beginWith: 'Query.prototype._getRows is missing',
            commitAfter: 'Query.prototype._getRows is missing',
            pg: '8.23.1',
          },
          message: expect.stringContaining(
            "node-postgres 8.23.1 lacks what Arbiter's batch start in one round trip and one-round-trip COMMIT rely on (Query.prototype._getRows is missing; Query.prototype._getRows is missing): write batches send their read-ahead after BEGIN and the lock in a round trip of its own, and write batches send COMMIT in a round trip of its own, which is as safe and holds the ledger lock two round trips longer",
          ),
        },
        {
          details: {
            beginWith: expect.stringMatching(
              /^Query\.submit wrote parse arbiter_self_check, parse BEGIN, .*, parse arbiter_self_check, bind/,
            ),
            pg: '8.23.1',
          },
          message: expect.stringContaining(
            "node-postgres 8.23.1 lacks what Arbiter's batch start in one round trip relies on (Query.submit wrote parse arbiter_self_check, parse BEGIN",
          ),
        },
      ]);
    });

    it('without a logger, warns on stderr as one JSON line', async () => {
      const written: string[] = [];
      const write = process.stderr.write;
      process.stderr.write = ((chunk: string) => {
        written.push(String(chunk));
        return true;
      }) as typeof process.stderr.write;
      try {
        // No logger: the store's own, on stderr.
        await db.open({ pgQuery: QueryWithoutGetRows, logger: undefined });
      } finally {
        process.stderr.write = write;
      }
      expect(written).toHaveLength(1);
      expect(JSON.parse(written[0]!)).toEqual({
        level: 40,
        time: expect.any(Number),
        beginWith: 'Query.prototype._getRows is missing',
        commitAfter: 'Query.prototype._getRows is missing',
        pg: '8.23.1',
        msg: expect.stringContaining('node-postgres 8.23.1 lacks what'),
      });
      expect(written[0]!.endsWith('}\n')).toBe(true);
    });

    it('reads ahead in a round trip of its own after BEGIN and the lock, with the same answers', async () => {
      const key = { actorId: 'system:deploy-bot', key: 'older-1' };
      await checked.write((tx) =>
        tx.insertDecision(decision('dec_older_keyed', { idempotencyKey: key.key })),
      );
      const reads = { systems: ['deploy-bot', 'nobody'], idempotencyKeys: [key, { ...key, key: 'unused' }] };
      const answers = (tx: StoreTransaction) =>
        Promise.all([
          tx.getSystem('deploy-bot').then((row) => row?.status),
          tx.getSystem('nobody'),
          tx.decisionByIdempotencyKey(key.actorId, key.key).then((row) => row?.id),
          tx.decisionByIdempotencyKey(key.actorId, 'unused'),
        ]);
      const expected = ['active', undefined, 'dec_older_keyed', undefined];
      // Twice each: the read-ahead's named statement is parsed by the first batch on a connection only.
      for (const round of [1, 2]) {
        let found: unknown;
        const pinned = await roundTripsDuring(async () => {
          found = await checked.write(answers, reads);
        });
        expect(found, `round ${round}`).toEqual(expected);
        const fallback = await roundTripsDuring(async () => {
          found = await older.write(answers, reads);
        });
        expect(found, `round ${round}`).toEqual(expected);
        // BEGIN + lock + tail with the read-ahead, COMMIT; over the older release the read-ahead on its own.
        expect(pinned.map((text) => text.slice(0, 5))).toEqual(['BEGIN', 'COMMI']);
        expect(fallback.map((text) => text.slice(0, 5))).toEqual(['BEGIN', 'SELEC', 'COMMI']);
        expect(fallback[0]).toMatch(
          /^BEGIN; SELECT pg_advisory_xact_lock\(\d+\); SELECT t\.seq, t\.leaf_hash, CASE WHEN /,
        );
        expect(fallback[1]).toMatch(/FROM systems s WHERE/);
      }
    });

    it('a read-ahead refused in its own round trip fails only the job that asked; a refused write only its own', async () => {
      await expectOnlyTheRefusedReaderFails(older, db.url);
      await older.write((tx) => tx.insertDecision(decision('dec_older_taken')));
      await expectOnlyTheRepeatRefused(older, 'dec_older_taken', ['dec_older_first', 'dec_older_third']);
    });

    it('commits the deferred writes in a round trip of their own, one more than over the pinned release', async () => {
      await plain.write((tx) => tx.insertDecision(decision('dec_plain')));
      await checked.write((tx) => tx.insertDecision(decision('dec_checked')));
      expect(batches.plain.at(-1)).toBe(batches.checked.at(-1)! + 1);
      expect((await checked.getDecision('dec_plain'))?.id).toBe('dec_plain');
      expect((await plain.getDecision('dec_checked'))?.id).toBe('dec_checked');
    });

    it('a deferred write that fails is not committed and refuses its own write only', async () => {
      await expectOnlyTheRepeatRefused(plain, 'dec_plain', ['dec_plain_first', 'dec_plain_third']);
      // The connection went back to the pool without a transaction left open.
      await plain.write((tx) => tx.setMeta('plain.after', 'x'));
      expect(await checked.getMeta('plain.after')).toBe('x');
    });
  },
);
