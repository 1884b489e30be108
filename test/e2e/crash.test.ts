import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { arbiter, repoRoot } from '../helpers/cli.js';
import { postDecisions } from '../helpers/load.js';
import { createTestDatabase, postgresAvailable } from '../helpers/postgres.js';
import { spawnServe } from '../helpers/serve-process.js';
import { tempDir } from '../helpers/temp.js';

/**
 * Crash safety on both backends: `kill -9` the server in the middle of a load, restart it, and
 * every decision the client saw acknowledged is there, pending approvals survive, and the ledger
 * verifies.
 */
const hasPostgres = await postgresAvailable();

for (const backend of ['sqlite', 'postgres'] as const) {
  describe.skipIf(backend === 'postgres' && !hasPostgres)(`crash safety on ${backend}`, () => {
    it('nothing acknowledged is lost across kill -9, and the ledger verifies', async () => {
      const dir = tempDir('arbiter-crash-');
      cpSync(join(repoRoot, 'examples', 'policies'), join(dir, 'policies'), { recursive: true });
      const db = backend === 'postgres' ? await createTestDatabase() : `sqlite:${join(dir, 'arbiter.db')}`;
      const key = join(dir, 'ledger.key');
      const args = [
        '--db',
        db,
        '--ledger-key',
        key,
        '--policies',
        join(dir, 'policies'),
        '--log-level',
        'warn',
      ];
      const cli = (extra: string[]) => arbiter([...extra, '--db', db, '--ledger-key', key]);

      let server = await spawnServe(args, { cwd: dir });
      const agent = cli(['tokens', 'create', '--role', 'agent', '--system', 'deploy-bot']).stdout.trim();
      const alice = cli([
        'tokens',
        'create',
        '--role',
        'approver',
        '--user',
        'alice',
        '--groups',
        'sre',
      ]).stdout.trim();
      const bob = cli([
        'tokens',
        'create',
        '--role',
        'approver',
        '--user',
        'bob',
        '--groups',
        'platform',
      ]).stdout.trim();
      const headers = (token: string) => ({
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
      });

      const pending = (await (
        await fetch(`${server.url}/v1/decisions`, {
          method: 'POST',
          headers: headers(agent),
          body: JSON.stringify({
            action: 'deploy',
            resource: { type: 'service', id: 'payments', environment: 'prod' },
            change: { linesChanged: 900 },
            rationale: 'big change',
            confidence: 0.95,
          }),
        })
      ).json()) as { id: string; status: string };
      expect(pending.status).toBe('pending');
      await fetch(`${server.url}/v1/decisions/${pending.id}/approvals`, {
        method: 'POST',
        headers: headers(alice),
        body: JSON.stringify({ verdict: 'approve', reason: 'first of two' }),
      });

      const url = server.url;
      const load = postDecisions({ urls: () => [url], token: agent, count: 3000, concurrency: 16 });
      // Kill once the load is well under way.
      await until(async () => {
        const response = await fetch(`${url}/metrics`).catch(() => undefined);
        const text = response ? await response.text() : '';
        return Number(/arbiter_ledger_size (\d+)/.exec(text)?.[1] ?? 0) > 200;
      });
      server.child.kill('SIGKILL');
      await server.exited;
      const { acknowledged, failures } = await load;
      expect(acknowledged.size).toBeGreaterThan(100);
      expect(failures).toBeGreaterThan(0);

      server = await spawnServe(args, { cwd: dir });
      try {
        for (const id of acknowledged.values()) {
          const response = await fetch(`${server.url}/v1/decisions/${id}`, { headers: headers(agent) });
          expect(response.status, id).toBe(200);
        }
        const survived = (await (
          await fetch(`${server.url}/v1/decisions/${pending.id}`, { headers: headers(agent) })
        ).json()) as {
          status: string;
          approvals: { received: { approver: string }[] };
        };
        expect(survived.status).toBe('pending');
        expect(survived.approvals.received.map((vote) => vote.approver)).toEqual(['user:alice']);
        const approved = (await (
          await fetch(`${server.url}/v1/decisions/${pending.id}/approvals`, {
            method: 'POST',
            headers: headers(bob),
            body: JSON.stringify({ verdict: 'approve', reason: 'second after the crash' }),
          })
        ).json()) as { status: string };
        expect(approved.status).toBe('allowed');
      } finally {
        server.child.kill('SIGTERM');
        await server.exited;
      }
      const verified = cli(['ledger', 'verify']);
      expect(verified.code, verified.stdout + verified.stderr).toBe(0);
      const entries = Number(/^ok: (\d+) entries/.exec(verified.stdout)?.[1]);
      expect(entries).toBeGreaterThan(acknowledged.size);
    });
  });
}

async function until(condition: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
