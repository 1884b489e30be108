import { cpSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { arbiter, repoRoot } from '../helpers/cli.js';
import { postDecisions } from '../helpers/load.js';
import { createTestDatabase, postgresAvailable } from '../helpers/postgres.js';
import { eventually } from '../helpers/raw-http.js';
import { type ServeProcess, spawnServe } from '../helpers/serve-process.js';
import { tempDir } from '../helpers/temp.js';

/** Two `arbiter serve` replicas on one PostgreSQL: one consistent ledger, wake-ups across replicas, sequencer failover. */
const hasPostgres = await postgresAvailable();

describe.skipIf(!hasPostgres)('two replicas on one PostgreSQL', () => {
  async function cluster() {
    const dir = tempDir('arbiter-replicas-');
    cpSync(join(repoRoot, 'examples', 'policies'), join(dir, 'policies'), { recursive: true });
    const db = await createTestDatabase();
    const key = join(dir, 'ledger.key');
    const args = (name: string) => [
      '--db',
      db,
      '--ledger-key',
      key,
      '--policies',
      join(dir, 'policies'),
      '--log-level',
      'warn',
      '--replica-name',
      name,
    ];
    const a = await spawnServe(args('arbiter/replica-a'), { cwd: dir });
    const b = await spawnServe(args('arbiter/replica-b'), { cwd: dir });
    const cli = (extra: string[]) => arbiter([...extra, '--db', db, '--ledger-key', key]);
    const token = (extra: string[]) => cli(['tokens', 'create', ...extra]).stdout.trim();
    return { db, key, a, b, cli, token };
  }

  const stop = async (...servers: ServeProcess[]) => {
    for (const server of servers) server.child.kill('SIGTERM');
    await Promise.all(servers.map((server) => server.exited));
  };

  it('every acknowledged decision is there exactly once, the ledger has no gaps, approvals on A wake waiters on B', async () => {
    const { db, a, b, cli, token } = await cluster();
    const agent = token(['--role', 'agent', '--system', 'deploy-bot']);
    const alice = token(['--role', 'approver', '--user', 'alice', '--groups', 'sre']);
    const paul = token(['--role', 'approver', '--user', 'paul', '--groups', 'platform']);
    try {
      const { acknowledged, failures } = await postDecisions({
        urls: () => [a.url, b.url],
        token: agent,
        count: 600,
        concurrency: 24,
      });
      expect(failures).toBe(0);
      expect(acknowledged.size).toBe(600);

      const headers = (t: string) => ({ authorization: `Bearer ${t}`, 'content-type': 'application/json' });
      const pending = (await (
        await fetch(`${a.url}/v1/decisions`, {
          method: 'POST',
          headers: headers(agent),
          body: JSON.stringify({
            action: 'deploy',
            resource: { type: 'service', id: 'payments', environment: 'prod' },
            change: { linesChanged: 999 },
            rationale: 'Roll out the new search index',
            confidence: 0.95,
          }),
        })
      ).json()) as { id: string; status: string; reasons: unknown };
      expect(pending.status, JSON.stringify(pending.reasons)).toBe('pending');
      const waiting = fetch(`${b.url}/v1/decisions/${pending.id}/wait?timeoutMs=60000`, {
        headers: headers(agent),
      }).then(async (r) => ({
        at: Date.now(),
        body: (await r.json()) as { status: string },
      }));
      // The votes go to A only once B holds the waiter, so what B answers is the relayed wake-up.
      await eventually(async () => {
        const metrics = await (await fetch(`${b.url}/metrics`)).text();
        return /^arbiter_long_polls_waiting 1$/m.test(metrics);
      }, 'replica B holds the long poll');
      await fetch(`${a.url}/v1/decisions/${pending.id}/approvals`, {
        method: 'POST',
        headers: headers(alice),
        body: JSON.stringify({ verdict: 'approve', reason: 'ok' }),
      });
      const approvedAt = Date.now();
      await fetch(`${a.url}/v1/decisions/${pending.id}/approvals`, {
        method: 'POST',
        headers: headers(paul),
        body: JSON.stringify({ verdict: 'approve', reason: 'ok' }),
      });
      const woke = await waiting;
      expect(woke.body.status).toBe('allowed');
      // NOTIFY, not the 60 s timeout (after which B would read the same answer), ended the wait. The
      // bound only tells the two apart; the measured latency is in docs/benchmarks.md.
      expect(woke.at - approvedAt).toBeLessThan(45_000);

      const client = new pg.Client({ connectionString: db });
      await client.connect();
      const ids = [...acknowledged.values()];
      const found = await client.query('SELECT id FROM decisions WHERE id = ANY($1)', [ids]);
      expect(found.rowCount).toBe(ids.length);
      const ledger = await client.query(
        'SELECT COUNT(*)::int AS count, MAX(seq)::int AS max, COUNT(DISTINCT seq)::int AS distinct_seqs FROM ledger_entries',
      );
      expect(ledger.rows[0].count).toBe(ledger.rows[0].max + 1);
      expect(ledger.rows[0].distinct_seqs).toBe(ledger.rows[0].count);
      const created = await client.query(
        "SELECT COUNT(*)::int AS count, COUNT(DISTINCT subject)::int AS subjects FROM ledger_entries WHERE type = 'decision.created'",
      );
      const decisions = await client.query('SELECT COUNT(*)::int AS count FROM decisions');
      expect(created.rows[0]).toEqual({ count: decisions.rows[0].count, subjects: decisions.rows[0].count });
      await client.end();
    } finally {
      await stop(a, b);
    }
    const verified = cli(['ledger', 'verify']);
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);
  });

  it('the other replica carries on when the one holding the ledger lock is killed mid-batch', async () => {
    const { db, a, b, cli, token } = await cluster();
    const agent = token(['--role', 'agent', '--system', 'deploy-bot']);
    const client = new pg.Client({ connectionString: db });
    await client.connect();
    const servers: Record<string, ServeProcess> = { 'arbiter/replica-a': a, 'arbiter/replica-b': b };
    const alive = new Set([a.url, b.url]);
    let stopLoad = false;
    try {
      const load = postDecisions({
        urls: () => [...alive],
        token: agent,
        count: 100_000,
        concurrency: 24,
        stop: () => stopLoad,
      });
      let holder: string | undefined;
      const deadline = Date.now() + 30_000;
      while (!holder && Date.now() < deadline) {
        const { rows } = await client.query(
          // The appending batch's transaction lock, not the checkpoint lock a replica's checkpointer
          // connection holds for as long as it lives (that one is checked below).
          "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted AND a.application_name LIKE 'arbiter/replica-%' AND a.application_name NOT LIKE '%/checkpointer' AND a.datname = current_database()",
        );
        holder = rows[0]?.application_name;
      }
      expect(holder).toBeDefined();
      const victim = servers[holder!]!;
      const survivor = victim === a ? b : a;
      victim.child.kill('SIGKILL');
      alive.delete(victim.url);
      await victim.exited;
      const sizeAtKill = Number((await client.query('SELECT COUNT(*) AS n FROM ledger_entries')).rows[0].n);
      // The survivor keeps appending after the lock holder died.
      const continued = Date.now() + 30_000;
      while (
        Number((await client.query('SELECT COUNT(*) AS n FROM ledger_entries')).rows[0].n) <
          sizeAtKill + 200 &&
        Date.now() < continued
      ) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      stopLoad = true;
      const { acknowledged } = await load;
      const ids = [...acknowledged.values()];
      expect((await client.query('SELECT id FROM decisions WHERE id = ANY($1)', [ids])).rowCount).toBe(
        ids.length,
      );
      expect(
        Number((await client.query('SELECT COUNT(*) AS n FROM ledger_entries')).rows[0].n),
      ).toBeGreaterThanOrEqual(sizeAtKill + 200);
      // One submitter: the survivor holds the checkpoint lock now (taken over if the victim had it).
      const survivorName = survivor === a ? 'arbiter/replica-a' : 'arbiter/replica-b';
      const checkpointers = async () =>
        (
          await client.query(
            // This database's only: other servers may share the PostgreSQL instance.
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted AND a.application_name LIKE '%/checkpointer' AND a.datname = current_database()",
          )
        ).rows.map((row) => row.application_name);
      const takeover = Date.now() + 30_000;
      while (!(await checkpointers()).includes(`${survivorName}/checkpointer`) && Date.now() < takeover)
        await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await checkpointers()).toEqual([`${survivorName}/checkpointer`]);
      survivor.child.kill('SIGTERM');
      await survivor.exited;
    } finally {
      stopLoad = true;
      await client.end();
      for (const server of [a, b]) server.child.kill('SIGKILL');
    }
    const verified = cli(['ledger', 'verify']);
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);
  });
});
