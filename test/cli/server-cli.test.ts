import { appendFileSync, cpSync, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cosignaturesOf, parseCosignatureVerifierKey } from '../../src/witness/index.js';
import { arbiter, repoRoot } from '../helpers/cli.js';
import { eventually } from '../helpers/raw-http.js';
import { spawnServe } from '../helpers/serve-process.js';
import { tempDir } from '../helpers/temp.js';

const dir = tempDir('arbiter-serve-');

describe('arbiter serve --demo, the CLI clients, and graceful shutdown', () => {
  it('runs the quick start: an agent asks, two humans approve, the agent proceeds; SIGTERM checkpoints and stops', async () => {
    const server = await spawnServe(['--demo'], { cwd: dir });
    try {
      const text = server.output();
      expect(text).toContain('Demo tokens');
      const token = (name: string) =>
        new RegExp(`^  ${name}\\s.*\\s(arb_\\S+)$`, 'm').exec(server.output())![1]!;
      const env = (name: string) => ({ ARBITER_URL: server.url, ARBITER_TOKEN: token(name) });
      // Named after the database (demo.db), like its ledger key: another database here has its own.
      expect(statSync(join(dir, '.arbiter', 'demo.admin.token')).mode & 0o777).toBe(0o600);
      expect(text).toMatch(/an admin token was written to \S*\.arbiter\/demo\.admin\.token \(mode 0600\)/);

      const asked = arbiter(
        [
          'request',
          '--action',
          'deploy',
          '--resource',
          'service:payments',
          '--env',
          'prod',
          '--rationale',
          'Roll out the checkout fix',
          '--change',
          '{"linesChanged":812}',
          '--confidence',
          '0.95',
          '--json',
        ],
        { env: env('deploy-bot') },
      );
      expect(asked.code).toBe(1);
      const decision = JSON.parse(asked.stdout);
      expect(decision.status).toBe('pending');

      const listed = arbiter(['decisions', 'list', '--status', 'pending'], { env: env('alice') });
      expect(listed.stdout).toContain(decision.id);
      expect(arbiter(['approve', decision.id, '--reason', 'diff reviewed'], { env: env('alice') }).code).toBe(
        0,
      );
      expect(arbiter(['approve', decision.id, '--reason', 'owner ok'], { env: env('bob') }).stdout).toContain(
        'ALLOWED',
      );
      const waited = arbiter(['decisions', 'wait', decision.id, '--timeout', '10s'], {
        env: env('deploy-bot'),
      });
      expect(waited.code).toBe(0);
      expect(waited.stdout).toContain('approved by user:alice');

      const denied = arbiter(['approve', decision.id, '--reason', 'again'], { env: env('bob') });
      expect(denied.code).toBe(2);
      expect(denied.stderr).toContain('ARB_ERR_DECISION_NOT_PENDING');

      expect(arbiter(['systems', 'list'], { env: env('erin') }).stdout).toMatch(
        /deploy-bot\s+agent\s+active/,
      );
      expect(
        arbiter(['systems', 'freeze', 'migrate-bot', '--reason', 'drill'], { env: env('carol') }).stdout,
      ).toContain('migrate-bot is frozen: drill');
      expect(
        arbiter(['systems', 'unfreeze', 'migrate-bot', '--reason', 'drill over'], { env: env('carol') }).code,
      ).toBe(0);
      expect(arbiter(['decisions', 'list'], { env: { ARBITER_URL: server.url } }).stderr).toContain(
        'ARBITER_TOKEN',
      );

      // The demo's witness: the checkpoint a newcomer fetches is already cosigned by it.
      expect(text).toMatch(
        /Witness: demo-witness\.arbiter\.local cosigns every checkpoint \(C2SP tlog-witness: POST http:\/\/127\.0\.0\.1:\d+\/add-checkpoint\)/,
      );
      expect(text).toContain('NOT independent');
      const witnessKey = parseCosignatureVerifierKey(/--witness (\S+) --quorum 1/.exec(text)![1]!);
      // The server submits every second; the steps above grew the log, so the newest checkpoint
      // may be a moment from its cosignature.
      await eventually(async () => {
        const checkpoint = await fetch(`${server.url}/v1/ledger/checkpoint`, {
          headers: { authorization: `Bearer ${token('erin')}` },
        }).then((response) => response.text());
        const { cosignatures } = cosignaturesOf(checkpoint, [witnessKey]);
        return cosignatures.some((c) => c.witness === 'demo-witness.arbiter.local');
      }, 'the demo checkpoint carries the demo witness cosignature');

      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
      expect(server.output()).toContain('stopped');
    } finally {
      server.child.kill('SIGKILL');
    }
    const verified = arbiter(['ledger', 'verify', '--db', `sqlite:${join(dir, '.arbiter', 'demo.db')}`]);
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);
    expect(verified.stdout).toContain('latest at size');
    // The command the demo prints, followed as printed (from the directory it ran in).
    const printed = /npx arbiter (ledger verify --db \S+ --witness \S+ --quorum 1)/.exec(
      server.output(),
    )![1]!;
    const quorum = arbiter(printed.split(' '), { cwd: dir });
    expect(quorum.code, quorum.stdout + quorum.stderr).toBe(0);
    expect(quorum.stdout).toMatch(
      /witnessed: checkpoint at size \d+ cosigned by demo-witness\.arbiter\.local \(quorum 1\)/,
    );
  }, 180_000);

  it('SIGHUP reloads policies; a broken bundle is rejected and the old one stays', async () => {
    const work = tempDir('arbiter-hup-');
    cpSync(join(repoRoot, 'examples', 'policies'), join(work, 'policies'), { recursive: true });
    const server = await spawnServe(['--db', `sqlite:${join(work, 'a.db')}`], { cwd: work });
    try {
      expect(server.output()).toContain(`policies  policies`);
      appendFileSync(
        join(work, 'policies', 'rollbacks.yaml'),
        '\n# a comment changes nothing but is reloaded\n',
      );
      appendFileSync(
        join(work, 'policies', 'extra.yaml'),
        'apiVersion: arbiter/v1\nkind: Bundle\nmetadata: {name: second}\nspec: {}\n',
      );
      server.child.kill('SIGHUP');
      // The refusal and its reason may arrive in separate chunks: wait for the reason itself.
      await eventually(
        () => /a second Bundle document/.test(server.output()),
        'the reload is rejected with its reason',
      );
      expect(server.output()).toMatch(
        /policy reload rejected[^\n]*stays in force:\n[\s\S]*a second Bundle document/,
      );
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });

  it('refuses to start on a bad bundle, with file:line:col, exit 2', () => {
    const work = tempDir('arbiter-bad-');
    cpSync(join(repoRoot, 'examples', 'policies'), join(work, 'policies'), { recursive: true });
    appendFileSync(join(work, 'policies', 'deploys.yaml'), '---\nkind: Nope\n');
    const result = arbiter(['serve', '--db', `sqlite:${join(work, 'a.db')}`, '--port', '0'], { cwd: work });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/policies\/deploys\.yaml:\d+:1: apiVersion must be "arbiter\/v1"/);
    expect(existsSync(join(work, 'a.db'))).toBe(false);
  });

  it('refuses --human-tokens other than on or off before anything starts', () => {
    const work = tempDir('arbiter-human-tokens-');
    const result = arbiter(
      ['serve', '--db', `sqlite:${join(work, 'a.db')}`, '--port', '0', '--human-tokens', 'no'],
      {
        cwd: work,
      },
    );
    expect([result.code, result.stderr.trim()]).toEqual([
      2,
      expect.stringContaining('--human-tokens no must be on or off'),
    ]);
    expect(existsSync(join(work, 'a.db'))).toBe(false);
  });
});

describe('arbiter tokens', () => {
  it('creates (printing the token alone), lists without values, revokes; revoked tokens stop working', async () => {
    const work = tempDir('arbiter-tokens-');
    const db = `sqlite:${join(work, 'arbiter.db')}`;
    const created = arbiter([
      'tokens',
      'create',
      '--db',
      db,
      '--role',
      'approver',
      '--user',
      'zoe',
      '--groups',
      'sre, platform',
    ]);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(/^arb_[A-Za-z0-9_-]{43}\n$/);
    // Issued before any server used the database: said on stderr, so a token meant for the demo is not lost.
    expect(created.stderr).toContain(
      `note: ${db} did not exist, so this created a new database for the token`,
    );
    const second = arbiter(['tokens', 'create', '--db', db, '--role', 'auditor', '--user', 'yan']);
    expect(second.stderr).toBe('');
    // Reading or revoking needs the database: a wrong --db is an error, never a new empty database.
    const elsewhere = `sqlite:${join(work, 'other.db')}`;
    for (const command of [['list'], ['revoke', 'tok_x'], ['attest', '--by', 'root']]) {
      const refused = arbiter(['tokens', ...command, '--db', elsewhere]);
      expect(refused.code, command.join(' ')).toBe(2);
      expect(refused.stderr).toContain(`--db ${elsewhere}: no such database file`);
    }
    expect(existsSync(join(work, 'other.db'))).toBe(false);
    const listed = arbiter(['tokens', 'list', '--db', db, '--json']);
    const rows = JSON.parse(listed.stdout);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ role: 'approver', userName: 'zoe', groups: ['sre', 'platform'] });
    expect(listed.stdout).not.toContain(created.stdout.trim());
    expect(readFileSync(join(work, 'arbiter.db')).includes(Buffer.from(created.stdout.trim()))).toBe(false);

    const server = await spawnServe(['--db', db], { cwd: work });
    try {
      const token = created.stdout.trim();
      const ok = await fetch(`${server.url}/v1/systems`, { headers: { authorization: `Bearer ${token}` } });
      expect(ok.status).toBe(200);
      expect(arbiter(['tokens', 'revoke', rows[0].id, '--db', db]).stdout).toContain('revoked');
      // Another process revoked it: the server's one-second authentication cache lets it lapse.
      let status = 200;
      const deadline = Date.now() + 5_000;
      while (status !== 401 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        status = (await fetch(`${server.url}/v1/systems`, { headers: { authorization: `Bearer ${token}` } }))
          .status;
      }
      expect(status).toBe(401);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });

  it.each([
    [['--role', 'agent'], /agent token needs --system/],
    [['--role', 'agent', '--system', 'ghost'], /not registered/],
    [['--role', 'king', '--user', 'x'], /--role must be one of/],
    [['--role', 'auditor'], /needs --user/],
  ])('bad requests are usage errors: %j', (args, message) => {
    const work = tempDir('arbiter-tokens-bad-');
    const result = arbiter([
      'tokens',
      'create',
      '--db',
      `sqlite:${join(work, 'a.db')}`,
      ...(args as string[]),
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });
});
