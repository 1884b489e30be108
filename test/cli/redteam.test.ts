import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { tempDir } from '../helpers/temp.js';

async function redteam(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(['node', 'arbiter', 'redteam', ...args], {
    out: (text) => {
      stdout += `${text}\n`;
    },
    err: (text) => {
      stderr += `${text}\n`;
    },
  });
  return { code, stdout, stderr };
}

interface JsonReport {
  summary: { pass: number; fail: number; skip: number };
  writes: string[];
  results: { id: string; status: string; note?: string; evidence: { request: string }[] }[];
}

const listen = (server: Server) =>
  new Promise<string>((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    ),
  );

describe('arbiter redteam against a real Arbiter', () => {
  let server: TestServer;
  const dir = tempDir('arbiter-redteam-');
  const webRoot = join(dir, 'web');

  beforeAll(async () => {
    // A stand-in for the built dashboard, so the page-header check runs instead of skipping.
    mkdirSync(webRoot, { recursive: true });
    writeFileSync(join(webRoot, 'index.html'), '<!doctype html><title>Arbiter</title>');
    server = await startTestServer({ webRoot });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('LED-04 without --db skips; with --db it fails on a decision flipped in the database', async () => {
    const onlyLedger = [
      '--url',
      server.url,
      '--agent-token',
      server.tokens.deployBot!,
      '--approver-token',
      server.tokens.alice!,
      '--skip',
      'authentication,authorization,ownership,separation-of-duties,fail-closed,hostile-input,disclosure,rate-limit,LED-01,LED-02,LED-03',
    ];
    const without = await redteam(onlyLedger);
    expect(without.stdout).toMatch(/LED-04\s+SKIP/);
    expect(without.code).toBe(0);

    const denied = await server.call(server.tokens.deployBot, 'POST', '/v1/decisions', {
      action: 'rollback',
      resource: { type: 'service', id: 'payments', environment: 'prod' },
      rationale: 'error rate tripled',
    });
    expect(denied.body.status, JSON.stringify(denied.body)).toBe('denied');
    const db = new Database(join(server.dir, 'arbiter.db'));
    db.prepare("UPDATE decisions SET status = 'allowed' WHERE id = ?").run(denied.body.id);
    db.close();
    const withDb = await redteam([
      ...onlyLedger,
      '--db',
      server.databaseUrl,
      '--db-key',
      server.ledgerKeyPath,
    ]);
    expect(withDb.stdout).toMatch(/LED-04\s+FAIL/);
    expect(withDb.stdout).toContain(`decision ${denied.body.id}: status: table "allowed", ledger "denied"`);
    expect(withDb.code).toBe(1);
    // Put back, so the tests after this one see an honest database.
    const restore = new Database(join(server.dir, 'arbiter.db'));
    restore.prepare("UPDATE decisions SET status = 'denied' WHERE id = ?").run(denied.body.id);
    restore.close();
  }, 60_000);

  it('passes every check, writes a Markdown report and names what it wrote', async () => {
    const out = join(dir, 'report.md');
    const key = (await server.call(server.tokens.erin, 'GET', '/v1/ledger/key')).text;
    writeFileSync(join(dir, 'verifier.key'), key);
    const result = await redteam([
      '--url',
      server.url,
      '--agent-token',
      server.tokens.deployBot!,
      '--approver-token',
      server.tokens.alice!,
      '--auditor-token',
      server.tokens.erin!,
      '--admin-token',
      server.tokens.root!,
      '--ledger-key',
      join(dir, 'verifier.key'),
      '--db',
      server.databaseUrl,
      '--db-key',
      server.ledgerKeyPath,
      '--json',
      '--out',
      out,
    ]);
    const report = JSON.parse(result.stdout) as JsonReport;
    const notPassed = report.results.filter((r) => r.status !== 'pass');
    // Everything passes but the load checks, which never run by surprise (only with --load).
    expect(notPassed.map((r) => [r.id, r.status, r.note])).toEqual([
      ['LOAD-01', 'skip', 'a load check: it runs only with --load'],
      ['LOAD-02', 'skip', 'a load check: it runs only with --load'],
    ]);
    expect(result.code).toBe(0);
    expect(report.results.map((r) => r.id)).toEqual(
      expect.arrayContaining([
        'AUTH-01',
        'SOD-03',
        'FC-01',
        'IN-05',
        'IN-11',
        'LED-02',
        'LED-04',
        'RATE-01',
        'DIS-04',
      ]),
    );
    expect(report.results.find((r) => r.id === 'LED-04')?.note).toMatch(
      /entries verified; \d+ decisions, \d+ tokens, \d+ Systems agree/,
    );
    // The suite records two probe decisions, both pending, and one vote; no tokens anywhere in its report.
    expect(report.writes).toHaveLength(3);
    expect(
      report.writes.filter((write) => write.startsWith('decision ') && write.endsWith('(pending)')),
    ).toHaveLength(2);
    expect(report.writes).toContainEqual(expect.stringMatching(/^one approval by the approver on dec_/));
    const markdown = readFileSync(out, 'utf8');
    expect(markdown).toContain('# Red-team report');
    expect(markdown).toContain('| SOD-02 | PASS |');
    for (const token of Object.values(server.tokens)) {
      // Not even the altered copies AUTH-03 sends (a flipped or cut last character).
      expect(result.stdout).not.toContain(token.slice(0, 20));
      expect(markdown).not.toContain(token.slice(0, 20));
    }
    // The server still serves, and the probe decision waits with exactly one approval (SOD-04).
    const pending = (await server.call(server.tokens.erin, 'GET', '/v1/decisions?status=pending')).body
      .decisions as { actor: { id: string }; approvals: { received: unknown[] } }[];
    expect(pending.find((d) => d.actor.id === 'deploy-bot')?.approvals.received).toHaveLength(1);
  }, 120_000);

  it('skips what it cannot check and says why, e.g. a probe request the policies allow', async () => {
    const request = join(dir, 'allowed.json');
    writeFileSync(
      request,
      JSON.stringify({
        action: 'deploy',
        resource: { type: 'service', id: 'payments', environment: 'staging' },
        rationale: 'a staging deploy is allowed outright',
      }),
    );
    const result = await redteam([
      '--url',
      server.url,
      '--agent-token',
      server.tokens.migrateBot!,
      '--approver-token',
      server.tokens.bob!,
      '--pending-request',
      request,
      '--skip',
      'hostile-input,rate-limit,disclosure',
    ]);
    expect(result.stdout).toMatch(/SOD-01\s+SKIP/);
    expect(result.stdout).toContain('not require_approval');
    expect(result.stdout).toMatch(/AUTHZ-03\s+SKIP/);
    expect(result.stdout).toMatch(/IN-01\s+SKIP/);
    expect(result.code).toBe(0);
  }, 60_000);

  it('with --load: slow-header connections and large bodies are refused, and the server serves again', async () => {
    const loaded = await startTestServer({
      limits: {
        connectionsPerAddress: 64,
        // Longer than the check's own wait for refusals (2 s), so "refused at once" is exact.
        headersTimeoutMs: 5_000,
        requestTimeoutMs: 10_000,
        byteRateLimit: 32 * 1024 * 1024,
      },
    });
    try {
      const others =
        'authentication,authorization,ownership,separation-of-duties,fail-closed,hostile-input,disclosure,ledger,rate-limit';
      const result = await redteam([
        '--url',
        loaded.url,
        '--agent-token',
        loaded.tokens.deployBot!,
        '--approver-token',
        loaded.tokens.alice!,
        '--skip',
        others,
        '--load',
        '--json',
      ]);
      const report = JSON.parse(result.stdout) as JsonReport;
      const load = report.results.filter((r) => r.id.startsWith('LOAD-'));
      expect(load.map((r) => [r.id, r.status])).toEqual([
        ['LOAD-01', 'pass'],
        ['LOAD-02', 'pass'],
      ]);
      expect(load[0]!.note).toMatch(
        /^448 of 512 refused at once \(429 ARB_ERR_RATE_LIMITED\); the other 64 closed by the server/,
      );
      expect(load[1]!.note).toContain('byte budget: 429 after 4 × 8 MiB declared');
      expect(result.code).toBe(0);
      // Nothing was recorded: every large body was refused or withheld.
      expect((await loaded.call(loaded.tokens.erin, 'GET', '/v1/gate-runs')).body.gateRuns).toEqual([]);
    } finally {
      await loaded.close();
    }
  }, 120_000);

  it('refuses to start with a token of the wrong role, or without one (exit 2)', async () => {
    const wrongRole = await redteam([
      '--url',
      server.url,
      '--agent-token',
      server.tokens.alice!,
      '--approver-token',
      server.tokens.bob!,
    ]);
    expect(wrongRole.code).toBe(2);
    expect(wrongRole.stderr).toContain('--agent-token is a token of role approver');
    const missing = await redteam(['--url', server.url, '--agent-token', server.tokens.deployBot!]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--approver-token is required');
  });
});

describe('arbiter redteam against targets that are not safe', () => {
  let broken: Server;
  let url: string;

  beforeAll(async () => {
    // Answers 200 to everything, echoes the caller's credentials, and leaks a stack trace on errors.
    broken = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        if (request.url?.startsWith('/v1/no-such-route')) {
          response.writeHead(500, { 'content-type': 'application/json' });
          response.end(
            JSON.stringify({
              error: 'TypeError: boom',
              stack: 'TypeError: boom\n    at handler (/srv/arbiter/dist/server/app.js:12:7)',
            }),
          );
          return;
        }
        response.writeHead(200, {
          'content-type': 'application/json',
          'x-powered-by': 'Express',
          'access-control-allow-origin': '*',
        });
        response.end(
          JSON.stringify({ ok: true, effect: 'allow', seenAuthorization: request.headers.authorization }),
        );
      });
    });
    url = await listen(broken);
  });
  afterAll(() => new Promise<void>((resolve) => broken.close(() => resolve())));

  it('fails a target that lets everyone in, leaks stack traces and echoes tokens (exit 1)', async () => {
    const result = await redteam([
      '--url',
      url,
      '--agent-token',
      'arb_agent_token_for_the_broken_target_0001',
      '--approver-token',
      'arb_approver_token_for_the_broken_target_01',
      '--skip',
      'RATE-01',
      '--json',
    ]);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as JsonReport;
    const status = Object.fromEntries(report.results.map((r) => [r.id, r.status]));
    for (const id of [
      'AUTH-01',
      'AUTH-02',
      'AUTHZ-01',
      'FC-01',
      'FC-02',
      'FC-03',
      'IN-01',
      'DIS-01',
      'DIS-02',
      'DIS-04',
      'LED-01',
    ])
      expect(status[id], id).toBe('fail');
    const auth = report.results.find((r) => r.id === 'AUTH-01')!;
    expect(auth.note).toContain('expected 401, got 200');
    expect(auth.evidence[0]!.request).toContain('GET /v1/me');
    // Tokens are redacted in the evidence even when the target echoes them.
    expect(result.stdout).not.toContain('arb_agent_token_for_the_broken_target_0001');
  }, 60_000);

  it('is a usage error (exit 2) when nothing answers at the URL', async () => {
    const closed = createServer();
    const deadUrl = await listen(closed);
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const result = await redteam(['--url', deadUrl, '--agent-token', 'arb_x', '--approver-token', 'arb_y']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`cannot reach ${deadUrl}`);
  });
});
