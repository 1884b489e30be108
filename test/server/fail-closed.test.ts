import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startArbiter } from '../../src/app/arbiter.js';
import { storeAuditSource } from '../../src/app/ledger/export.js';
import { main } from '../../src/cli/main.js';
import { requestHash } from '../../src/decisions/request-hash.js';
import { auditLedger, parseVerifierKey } from '../../src/ledger/index.js';
import { buildServer } from '../../src/server/app.js';
import { postgresAvailable, postgresBaseUrl } from '../helpers/postgres.js';
import { eventually } from '../helpers/raw-http.js';
import { startReceiver } from '../helpers/receiver.js';
import { deploy, startTestServer, type TestServer } from '../helpers/server.js';
import { tempDir } from '../helpers/temp.js';

/**
 * Every failure mode must deny rather than allow: a store that is gone or read-only, a ledger that
 * refuses appends, a policy bundle that is missing or broken, a clock past an approval's expiry, a
 * notifier that never answers, a request altered after it was recorded. Real parts throughout: a
 * real PostgreSQL database that stops accepting connections, a real SQLite lock, real triggers.
 */

const hasPostgres = await postgresAvailable();
const backends = ['sqlite', 'postgres'] as const;
type Backend = (typeof backends)[number];

const big = () => deploy({ change: { linesChanged: 900 } });
const staging = () => deploy({ resource: { type: 'service', id: 'payments', environment: 'staging' } });

/** Runs SQL against the server's database from outside the server, as an operator or attacker would. */
async function sqlOn(server: TestServer, backend: Backend, statements: string, params: unknown[] = []) {
  if (backend === 'sqlite') {
    const db = new Database(server.databaseUrl.slice('sqlite:'.length));
    try {
      if (params.length > 0) db.prepare(statements).run(...params);
      else db.exec(statements);
    } finally {
      db.close();
    }
    return;
  }
  const client = new pg.Client({ connectionString: server.databaseUrl });
  await client.connect();
  try {
    await client.query(statements, params);
  } finally {
    await client.end();
  }
}

/**
 * How many decisions the server lists. Right after a test kills the pool's connections, a read may
 * meet one the pool has not yet noticed is dead (503, by design): ask again until the store answers.
 */
async function decisionCount(server: TestServer): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const listed = await server.call(server.tokens.erin, 'GET', '/v1/decisions?limit=500');
    if (listed.status === 200) return listed.body.decisions.length;
    if (listed.status !== 503 || attempt === 50)
      throw new Error(`listing decisions: ${listed.status} ${listed.text}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function ledgerVerifies(server: TestServer): Promise<void> {
  await server.arbiter.checkpointIfGrown();
  const report = await auditLedger(storeAuditSource(server.arbiter.ledger), {
    verifiers: [parseVerifierKey(server.arbiter.ledger.verifierKey)],
    origin: server.arbiter.ledger.origin,
  });
  expect(report.problem).toBeUndefined();
  expect(report).toMatchObject({ ok: true, uncheckpointed: 0 });
}

describe('store unavailable or read-only: 503, and nothing is allowed', () => {
  describe.skipIf(!hasPostgres)('PostgreSQL', () => {
    let server: TestServer;
    let admin: pg.Client;
    let database: string;
    const terminate = () =>
      admin.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
        [database],
      );

    beforeAll(async () => {
      server = await startTestServer({ backend: 'postgres' });
      database = new URL(server.databaseUrl).pathname.slice(1);
      admin = new pg.Client({ connectionString: postgresBaseUrl });
      await admin.connect();
    });
    afterAll(async () => {
      await admin?.query(`ALTER DATABASE ${database} WITH ALLOW_CONNECTIONS true`).catch(() => {});
      await admin?.end();
      await server?.close();
    });

    it('a database that stops accepting connections: decisions, votes and readiness are 503; it recovers', async () => {
      const t = server.tokens;
      const pending = (await server.call(t.deployBot, 'POST', '/v1/decisions', big())).body;
      expect(pending.status).toBe('pending');
      const before = await decisionCount(server);
      const size = await server.arbiter.store.ledger.size();
      await admin.query(`ALTER DATABASE ${database} WITH ALLOW_CONNECTIONS false`);
      try {
        await terminate();
        // Tokens were authenticated a moment ago (cached for a second of Arbiter's clock, which the
        // test holds still), so this reaches the decision itself.
        const asked = await server.call(t.deployBot, 'POST', '/v1/decisions', staging());
        expect([asked.status, asked.body.error?.code], asked.text).toEqual([
          503,
          'ARB_ERR_STORE_UNAVAILABLE',
        ]);
        expect(asked.body.error.message).toContain('nothing was applied');
        server.clock.advance(1_100);
        // Past the cache, authentication itself needs the database: still 503, never 401 or 201.
        const again = await server.call(t.deployBot, 'POST', '/v1/decisions', staging());
        expect([again.status, again.body.error?.code]).toEqual([503, 'ARB_ERR_STORE_UNAVAILABLE']);
        const vote = await server.call(t.bob, 'POST', `/v1/decisions/${pending.id}/approvals`, {
          verdict: 'approve',
          reason: 'looks fine',
        });
        expect(vote.status).toBe(503);
        const ready = await server.call(undefined, 'GET', '/readyz');
        expect(ready.status).toBe(503);
        expect(ready.body.error.message).toMatch(/^store unavailable: postgres (55000|57P01)$/);
        expect(ready.text).not.toContain(database);
      } finally {
        await admin.query(`ALTER DATABASE ${database} WITH ALLOW_CONNECTIONS true`);
      }
      let recovered = await server.call(t.deployBot, 'POST', '/v1/decisions', staging());
      for (let i = 0; i < 50 && recovered.status === 503; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        recovered = await server.call(t.deployBot, 'POST', '/v1/decisions', staging());
      }
      expect(recovered.status).toBe(201);
      // Only the decision made after recovery exists; the vote during the outage left no trace.
      expect(await decisionCount(server)).toBe(before + 1);
      expect(await server.arbiter.store.ledger.size()).toBe(size + 1);
      const after = (await server.call(t.erin, 'GET', `/v1/decisions/${pending.id}`)).body;
      expect([after.status, after.approvals.received]).toEqual(['pending', []]);
      expect((await server.call(undefined, 'GET', '/readyz')).status).toBe(200);
    });

    it('a read-only database: writes are 503 with the reason, reads still answer, nothing is recorded', async () => {
      const t = server.tokens;
      const pending = (await server.call(t.deployBot, 'POST', '/v1/decisions', big())).body;
      const before = await decisionCount(server);
      const size = await server.arbiter.store.ledger.size();
      await admin.query(`ALTER DATABASE ${database} SET default_transaction_read_only = on`);
      try {
        await terminate();
        // The first writes may meet connections the termination has not closed yet (57P01);
        // every answer is a 503, and the new connections say why: read-only (25006).
        const reasons: string[] = [];
        for (let i = 0; i < 10 && reasons.at(-1) !== 'postgres 25006'; i++) {
          const asked = await server.call(t.deployBot, 'POST', '/v1/decisions', staging());
          expect([asked.status, asked.body.error?.code], asked.text).toEqual([
            503,
            'ARB_ERR_STORE_UNAVAILABLE',
          ]);
          reasons.push(asked.body.error.details.reason);
        }
        expect(reasons.at(-1)).toBe('postgres 25006');
        const vote = await server.call(t.bob, 'POST', `/v1/decisions/${pending.id}/approvals`, {
          verdict: 'approve',
          reason: 'looks fine',
        });
        expect(vote.status).toBe(503);
        expect(
          (await server.call(t.root, 'POST', '/v1/systems/deploy-bot/freeze', { reason: 'x' })).status,
        ).toBe(503);
        expect((await server.call(t.erin, 'GET', `/v1/decisions/${pending.id}`)).body.status).toBe('pending');
      } finally {
        await admin.query(`ALTER DATABASE ${database} RESET default_transaction_read_only`);
        await terminate();
      }
      expect(await decisionCount(server)).toBe(before);
      expect(await server.arbiter.store.ledger.size()).toBe(size);
      const after = (await server.call(t.erin, 'GET', `/v1/decisions/${pending.id}`)).body;
      expect([after.status, after.approvals.received]).toEqual(['pending', []]);
      await ledgerVerifies(server);
    });
  });

  describe('SQLite', () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer();
    });
    afterAll(async () => {
      await server?.close();
    });

    it('a database whose write lock another process holds: 503 after the busy timeout, nothing recorded', async () => {
      const t = server.tokens;
      const before = await decisionCount(server);
      const other = new Database(server.databaseUrl.slice('sqlite:'.length));
      other.exec('BEGIN IMMEDIATE');
      try {
        const asked = await server.call(t.deployBot, 'POST', '/v1/decisions', staging());
        expect([asked.status, asked.body.error?.code, asked.body.error?.details]).toEqual([
          503,
          'ARB_ERR_STORE_UNAVAILABLE',
          { reason: 'SQLITE_BUSY' },
        ]);
        expect(asked.body.error.message).not.toContain('SQLITE');
      } finally {
        other.exec('ROLLBACK');
        other.close();
      }
      expect(await decisionCount(server)).toBe(before);
      expect((await server.call(t.deployBot, 'POST', '/v1/decisions', staging())).status).toBe(201);
      await ledgerVerifies(server);
    }, 20_000);
  });
});

for (const backend of backends) {
  describe.skipIf(backend === 'postgres' && !hasPostgres)(`on ${backend}`, () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer({ backend });
    });
    afterAll(async () => {
      await server?.close();
    });

    it('a ledger that refuses appends rolls every state change back: no decision, vote, freeze or outcome', async () => {
      const t = server.tokens;
      const pending = (await server.call(t.deployBot, 'POST', '/v1/decisions', big())).body;
      const allowed = (await server.call(t.deployBot, 'POST', '/v1/decisions', staging())).body;
      expect([pending.status, allowed.status]).toEqual(['pending', 'allowed']);
      const before = await decisionCount(server);
      const size = await server.arbiter.store.ledger.size();
      await sqlOn(
        server,
        backend,
        backend === 'sqlite'
          ? `CREATE TRIGGER refuse_ledger BEFORE INSERT ON ledger_entries BEGIN SELECT RAISE(ABORT, 'the ledger refuses appends'); END`
          : `CREATE FUNCTION refuse_ledger() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'the ledger refuses appends'; END $$;
             CREATE TRIGGER refuse_ledger BEFORE INSERT ON ledger_entries FOR EACH ROW EXECUTE FUNCTION refuse_ledger()`,
      );
      try {
        const refused = [
          await server.call(t.deployBot, 'POST', '/v1/decisions', staging()),
          await server.call(t.bob, 'POST', `/v1/decisions/${pending.id}/approvals`, {
            verdict: 'approve',
            reason: 'fine',
          }),
          await server.call(t.root, 'POST', '/v1/systems/deploy-bot/freeze', { reason: 'incident' }),
          await server.call(t.deployBot, 'POST', `/v1/decisions/${allowed.id}/outcome`, { status: 'failed' }),
        ];
        for (const response of refused)
          expect([response.status, response.body.error?.code]).toEqual([500, 'ARB_ERR_INTERNAL']);
      } finally {
        await sqlOn(
          server,
          backend,
          backend === 'sqlite'
            ? 'DROP TRIGGER refuse_ledger'
            : 'DROP TRIGGER refuse_ledger ON ledger_entries; DROP FUNCTION refuse_ledger()',
        );
      }
      expect(await decisionCount(server)).toBe(before);
      expect(await server.arbiter.store.ledger.size()).toBe(size);
      const get = async (id: string) => (await server.call(t.erin, 'GET', `/v1/decisions/${id}`)).body;
      expect([(await get(pending.id)).status, (await get(pending.id)).approvals.received]).toEqual([
        'pending',
        [],
      ]);
      expect((await get(allowed.id)).outcome).toBeNull();
      expect((await server.call(t.erin, 'GET', '/v1/systems/deploy-bot')).body.status).toBe('active');
      // The log carries on where it stopped: nothing half-written, every proof still verifies.
      expect((await server.call(t.deployBot, 'POST', '/v1/decisions', staging())).status).toBe(201);
      expect(
        (
          await server.call(t.deployBot, 'POST', `/v1/decisions/${allowed.id}/outcome`, {
            status: 'succeeded',
          })
        ).status,
      ).toBe(200);
      await ledgerVerifies(server);
    });

    describe('approval expiry by the server clock', () => {
      it('an approval after expiry is refused, even before the expiry sweep has run', async () => {
        const t = server.tokens;
        const pending = (await server.call(t.deployBot, 'POST', '/v1/decisions', big())).body;
        server.clock.time = new Date(pending.expiresAt);
        const vote = await server.call(t.bob, 'POST', `/v1/decisions/${pending.id}/approvals`, {
          verdict: 'approve',
          reason: 'late',
        });
        expect([vote.status, vote.body.error?.code]).toEqual([409, 'ARB_ERR_DECISION_NOT_PENDING']);
        const after = (await server.call(t.erin, 'GET', `/v1/decisions/${pending.id}`)).body;
        expect([after.status, after.statusReason, after.approvals.received]).toEqual([
          'denied',
          'expired',
          [],
        ]);
        server.clock.advance(2 * 60 * 60 * 1000);
      });

      it('a vote that waits behind other writes is judged by the clock when it is recorded', async () => {
        const t = server.tokens;
        const pending = (await server.call(t.deployBot, 'POST', '/v1/decisions', big())).body;
        server.clock.time = new Date(Date.parse(pending.expiresAt) - 1_000);
        // Hold the single writer, as a long batch would, while the vote arrives before expiry.
        const store = server.arbiter.store;
        // The release exists before the held write runs: made by its work, it would be a no-op whenever
        // the vote is queued before that work begins (on PostgreSQL it joins the batch whose BEGIN is in
        // flight), and the held write would never finish.
        let release = () => {};
        const releasing = new Promise<void>((resolve) => (release = resolve));
        const held = store.write(() => releasing);
        // Counts the writes queued after the held one, so the clock moves only once the vote (checked
        // before expiry) waits in the queue: moved earlier, the vote would be refused for another reason.
        const write = store.write;
        let queued = 0;
        store.write = <T>(work: Parameters<typeof write<T>>[0]) => {
          queued++;
          return write.call(store, work) as Promise<T>;
        };
        const vote = server.call(t.bob, 'POST', `/v1/decisions/${pending.id}/approvals`, {
          verdict: 'approve',
          reason: 'slow',
        });
        try {
          await eventually(() => queued > 0, 'the vote waits behind the held write');
        } finally {
          store.write = write;
        }
        server.clock.advance(2_000);
        release();
        await held;
        const response = await vote;
        expect([response.status, response.body.error?.code]).toEqual([409, 'ARB_ERR_DECISION_NOT_PENDING']);
        const after = (await server.call(t.erin, 'GET', `/v1/decisions/${pending.id}`)).body;
        expect([after.status, after.statusReason, after.approvals.received]).toEqual([
          'denied',
          'expired',
          [],
        ]);
        server.clock.advance(2 * 60 * 60 * 1000);
      });
    });

    describe('an approval for a request whose body was altered', () => {
      it('bound to another request hash: refused with ARB_ERR_APPROVAL_HASH_MISMATCH', async () => {
        const t = server.tokens;
        const pending = (await server.call(t.deployBot, 'POST', '/v1/decisions', big())).body;
        const reviewed = requestHash('deploy-bot', { ...big(), change: { linesChanged: 9 } } as never);
        const vote = await server.call(t.bob, 'POST', `/v1/decisions/${pending.id}/approvals`, {
          verdict: 'approve',
          reason: 'reviewed the small one',
          requestHash: reviewed,
        });
        expect([vote.status, vote.body.error?.code]).toEqual([409, 'ARB_ERR_APPROVAL_HASH_MISMATCH']);
        expect(
          (await server.call(t.erin, 'GET', `/v1/decisions/${pending.id}`)).body.approvals.received,
        ).toEqual([]);
      });

      for (const how of ['the request alone', 'the request and its stored hash'] as const) {
        it(`altered in the database after it was recorded (${how}): refused, nothing recorded`, async () => {
          const t = server.tokens;
          const pending = (await server.call(t.deployBot, 'POST', '/v1/decisions', big())).body;
          const altered = { ...pending.request, change: { linesChanged: 9 } };
          const hash = how === 'the request alone' ? pending.requestHash : requestHash('deploy-bot', altered);
          await sqlOn(
            server,
            backend,
            backend === 'sqlite'
              ? 'UPDATE decisions SET request = ?, request_hash = ? WHERE id = ?'
              : 'UPDATE decisions SET request = $1, request_hash = $2 WHERE id = $3',
            [JSON.stringify(altered), hash, pending.id],
          );
          const shown = (await server.call(t.erin, 'GET', `/v1/decisions/${pending.id}`)).body;
          expect(shown.request.change).toEqual({ linesChanged: 9 });
          for (const requestHashField of [{}, { requestHash: shown.requestHash }]) {
            const vote = await server.call(t.bob, 'POST', `/v1/decisions/${pending.id}/approvals`, {
              verdict: 'approve',
              reason: 'only 9 lines',
              ...requestHashField,
            });
            expect([vote.status, vote.body.error?.code, vote.body.error?.details?.reason]).toEqual([
              409,
              'ARB_ERR_APPROVAL_HASH_MISMATCH',
              'request-altered',
            ]);
          }
          expect(
            (await server.call(t.erin, 'GET', `/v1/decisions/${pending.id}`)).body.approvals.received,
          ).toEqual([]);
        });
      }
    });
  });
}

describe('a notifier that never answers', () => {
  let server: TestServer;
  let hanging: Awaited<ReturnType<typeof startReceiver>>;
  beforeAll(async () => {
    hanging = await startReceiver(() => 'hang');
    server = await startTestServer({
      extraPolicies: {
        'notifiers.yaml': `apiVersion: arbiter/v1
kind: Notifier
metadata: { name: hanging-webhook }
spec:
  type: webhook
  url: ${hanging.url}/
  secretEnv: TEST_WEBHOOK_SECRET
  timeoutMs: 60000
  maxAttempts: 3
`,
      },
      notifications: { env: { TEST_WEBHOOK_SECRET: 'whsec-fail-closed' } },
    });
  });
  afterAll(async () => {
    hanging.server.closeAllConnections();
    await server?.close();
  });

  it('never holds up a decision, an approval or an outcome while a delivery hangs', async () => {
    const t = server.tokens;
    const pending = (await server.call(t.deployBot, 'POST', '/v1/decisions', big())).body;
    const delivering = server.arbiter.notifications.deliverDue();
    for (let i = 0; i < 100 && hanging.received.length === 0; i++)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(hanging.received.length).toBeGreaterThan(0);

    // The receiver never answers until it is closed below: a call that waited for it would never
    // return, so answering at all proves nothing waits on delivery (no stopwatch needed).
    const timed = (call: Promise<{ status: number; body: any }>) => call;
    const asked = await timed(server.call(t.deployBot, 'POST', '/v1/decisions', staging()));
    const first = await timed(
      server.call(t.bob, 'POST', `/v1/decisions/${pending.id}/approvals`, {
        verdict: 'approve',
        reason: 'ok',
      }),
    );
    const second = await timed(
      server.call(t.paul, 'POST', `/v1/decisions/${pending.id}/approvals`, {
        verdict: 'approve',
        reason: 'ok',
      }),
    );
    const outcome = await timed(
      server.call(t.deployBot, 'POST', `/v1/decisions/${asked.body.id}/outcome`, { status: 'succeeded' }),
    );
    expect([
      asked.status,
      asked.body.status,
      first.status,
      second.status,
      second.body.status,
      outcome.status,
    ]).toEqual([201, 'allowed', 200, 200, 'allowed', 200]);
    // A second sender does not wait for the hanging one: it returns while that one still hangs.
    expect(await server.arbiter.notifications.deliverDue()).toBe(0);

    // The receiver drops the connection: the delivery fails and is kept for a retry, not lost.
    hanging.server.closeAllConnections();
    await delivering;
    const rows = await server.arbiter.store.notifications({ limit: 500 });
    const delivery = rows.find(
      (row) => row.payload.subject === pending.id && row.eventType === 'decision.pending',
    );
    expect(delivery).toMatchObject({ status: 'pending', attempts: 1 });
  });
});

describe('the policy bundle at start', () => {
  const capture = () => {
    const lines = { out: [] as string[], err: [] as string[] };
    return {
      lines,
      output: { out: (text: string) => lines.out.push(text), err: (text: string) => lines.err.push(text) },
    };
  };

  it('a policy directory that does not exist stops the start before the database is opened', async () => {
    const dir = tempDir('arbiter-fail-closed-');
    const database = join(dir, 'arbiter.db');
    await expect(
      startArbiter({ databaseUrl: `sqlite:${database}`, policyDir: join(dir, 'missing') }),
    ).rejects.toMatchObject({ code: 'ARB_ERR_POLICY_DIR_NOT_FOUND' });
    expect(existsSync(database)).toBe(false);
  });

  it('`arbiter serve` refuses to start on a missing or unloadable bundle: exit 2, every problem as file:line:col', async () => {
    const dir = tempDir('arbiter-fail-closed-');
    const broken = join(dir, 'policies');
    mkdirSync(broken);
    writeFileSync(
      join(broken, 'broken.yaml'),
      `apiVersion: arbiter/v1
kind: ActionPolicy
metadata: { name: broken }
spec:
  rules:
    - name: oops
      when: request.confidence >
      effect: allow
`,
    );
    for (const [policies, expected] of [
      [join(dir, 'missing'), /does not exist/],
      [broken, /broken\.yaml:7:\d+/],
    ] as const) {
      const { lines, output } = capture();
      const code = await main(
        [
          'node',
          'arbiter',
          'serve',
          '--port',
          '0',
          '--policies',
          policies,
          '--db',
          `sqlite:${join(dir, 'a.db')}`,
        ],
        output,
      );
      expect(code).toBe(2);
      expect(lines.err.join('\n')).toMatch(expected);
      expect(lines.out.join('\n')).not.toContain('Ready.');
    }
    expect(existsSync(join(dir, 'a.db'))).toBe(false);
  });

  it('started without any policies, every request is denied with a reason that says so', async () => {
    const dir = tempDir('arbiter-fail-closed-');
    const arbiter = await startArbiter({ databaseUrl: `sqlite:${join(dir, 'arbiter.db')}` });
    const { app } = await buildServer(arbiter, { webRoot: false });
    try {
      const admin = (
        await arbiter.tokens.create({ role: 'admin', user: 'root', groups: [] } as never, 'test')
      ).token;
      const registered = await app.inject({
        method: 'POST',
        url: '/v1/systems',
        headers: { authorization: `Bearer ${admin}` },
        payload: {
          id: 'deploy-bot',
          kind: 'agent',
          owner: { team: 'platform', person: 'dana@example.com' },
          onCall: { team: 'platform' },
          autonomy: 3,
          riskTier: 'high',
        },
      });
      expect(registered.statusCode).toBe(201);
      const agent = (
        await arbiter.tokens.create({ role: 'agent', systemId: 'deploy-bot', groups: [] } as never, 'test')
      ).token;
      for (const [url, token] of [
        ['/v1/decisions', agent],
        ['/v1/decisions', admin],
      ] as const) {
        const response = await app.inject({
          method: 'POST',
          url,
          headers: { authorization: `Bearer ${token}` },
          payload: staging(),
        });
        expect(response.statusCode).toBe(201);
        const decision = response.json();
        expect(decision.status).toBe('denied');
        expect(decision.statusReason).toMatch(/no policies/);
        expect(decision.reasons).toMatchObject([{ rule: 'no-policies', effect: 'deny' }]);
      }
      const explained = await app.inject({
        method: 'POST',
        url: '/v1/decisions/explain',
        headers: { authorization: `Bearer ${agent}` },
        payload: staging(),
      });
      expect(explained.json()).toMatchObject({ effect: 'deny', reasons: [{ rule: 'no-policies' }] });
    } finally {
      await app.close();
      await arbiter.close();
    }
  });
});
