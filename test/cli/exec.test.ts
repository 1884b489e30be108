import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arbiterAsync } from '../helpers/cli.js';
import { startTestServer, type TestServer, waitForPending } from '../helpers/server.js';
import { tempDir } from '../helpers/temp.js';

let server: TestServer;
const dir = tempDir('arbiter-exec-');

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

const exec = (args: string[], command: string[], env: Record<string, string> = {}) =>
  arbiterAsync(['exec', ...args, '--', ...command], {
    env: { ARBITER_URL: server.url, ARBITER_TOKEN: server.tokens.deployBot!, ...env },
  });
const node = (script: string) => [process.execPath, '-e', script];

describe('arbiter exec', () => {
  it('runs an allowed command, streams its output, reports success and exits 0', async () => {
    const result = await exec(
      ['--action', 'deploy', '--resource', 'service:search', '--env', 'staging', '--rationale', 'ship 1.2.3'],
      node("console.log('deployed 1.2.3')"),
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('deployed 1.2.3\n');
    expect(result.stderr).toMatch(/dec_\S+ allowed and claimed; running/);
    const [decision] = (
      await server.call(server.tokens.erin, 'GET', '/v1/decisions?environment=staging&limit=1')
    ).body.decisions;
    expect(decision.outcome).toMatchObject({ status: 'succeeded', detail: 'exit code 0' });
    expect(decision.request.context.command).toEqual(node("console.log('deployed 1.2.3')"));
  });

  it("exits with the command's code and reports the failure", async () => {
    const result = await exec(
      ['--action', 'deploy', '--resource', 'service:search', '--env', 'staging', '--rationale', 'ship 1.2.4'],
      node('process.exit(3)'),
    );
    expect(result.code).toBe(3);
    const [decision] = (
      await server.call(server.tokens.erin, 'GET', '/v1/decisions?environment=staging&limit=1')
    ).body.decisions;
    expect(decision.outcome).toMatchObject({ status: 'failed', detail: 'exit code 3' });
  });

  it('does not run a denied command, prints the reasons, exits 1', async () => {
    const marker = join(dir, 'ran');
    const result = await exec(
      ['--action', 'rollback', '--resource', 'service:payments', '--env', 'prod', '--rationale', 'panic'],
      node(`require('fs').writeFileSync(${JSON.stringify(marker)}, 'x')`),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('rollbacks/rollback-of-unknown-version');
    expect(existsSync(marker)).toBe(false);
  });

  it('waits for approval, then runs', async () => {
    server.clock.advance(3 * 60 * 60 * 1000);
    const running = exec(
      [
        '--action',
        'deploy',
        '--resource',
        'service:payments',
        '--env',
        'prod',
        '--rationale',
        'big release',
        '--change',
        '{"linesChanged":900}',
        '--wait',
        '30s',
      ],
      node("console.log('released')"),
    );
    const pending = await waitForPending(server, 'system=deploy-bot');
    await server.call(server.tokens.alice, 'POST', `/v1/decisions/${pending.id}/approvals`, {
      verdict: 'approve',
      reason: 'ok',
    });
    await server.call(server.tokens.paul, 'POST', `/v1/decisions/${pending.id}/approvals`, {
      verdict: 'approve',
      reason: 'ok',
    });
    const result = await running;
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('released\n');
    expect(result.stderr).toContain(`needs approval before`);
    expect(result.stderr).toContain(`/decisions/${pending.id}`);
  });

  it('gives up when approval does not come in time, exit 1, command not run', async () => {
    server.clock.advance(3 * 60 * 60 * 1000);
    const result = await exec(
      [
        '--action',
        'deploy',
        '--resource',
        'service:payments',
        '--env',
        'prod',
        '--rationale',
        'big release',
        '--change',
        '{"linesChanged":900}',
        '--wait',
        '1s',
      ],
      node("console.log('should not run')"),
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    // Given up on, it is withdrawn: nobody can approve a run that will never happen.
    expect(result.stderr).toMatch(
      /is withdrawn \(withdrawn: arbiter exec stopped waiting after 1s\); not running/,
    );
    const id = /(dec_\S+) is withdrawn/.exec(result.stderr)![1]!;
    const vote = await server.call(server.tokens.alice, 'POST', `/v1/decisions/${id}/approvals`, {
      verdict: 'approve',
      reason: 'too late',
    });
    expect(vote.status).toBe(409);
    expect(vote.body.error.code).toBe('ARB_ERR_DECISION_NOT_PENDING');
  });

  it('a retried CI job reuses its decision (idempotency key from the CI run)', async () => {
    const ci = {
      GITHUB_ACTIONS: 'true',
      GITHUB_RUN_ID: '4711',
      GITHUB_RUN_ATTEMPT: '1',
      GITHUB_JOB: 'deploy',
      GITHUB_REPOSITORY: 'acme/shop',
      GITHUB_SHA: 'abc123',
    };
    const args = [
      '--action',
      'deploy',
      '--resource',
      'service:cart',
      '--env',
      'staging',
      '--rationale',
      'ci deploy',
    ];
    // The command appends a line per run: the retry gets the same decision, which already ran, so
    // the command is not run again.
    const marker = join(dir, 'retried');
    const command = node(`require('fs').appendFileSync(${JSON.stringify(marker)}, 'ran\\n')`);
    const first = await exec(args, command, ci);
    const second = await exec(args, command, ci);
    expect(readFileSync(marker, 'utf8')).toBe('ran\n');
    const id = (text: string) => /(dec_\S+) (allowed|already ran)/.exec(text)?.[1];
    expect(id(first.stderr)).toBeDefined();
    expect(id(second.stderr)).toBe(id(first.stderr));
    expect(second.code).toBe(1);
    expect(second.stderr).toContain('already ran: its outcome was reported (succeeded)');
    const decision = (await server.call(server.tokens.erin, 'GET', `/v1/decisions/${id(first.stderr)}`)).body;
    expect(decision.request.context.ci).toMatchObject({
      provider: 'github-actions',
      repository: 'acme/shop',
      runId: '4711',
    });
  });

  it('bad usage is exit 2 with a message', async () => {
    const result = await exec(['--action', 'deploy', '--resource', 'payments'], node('0'));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--resource must be TYPE:ID');
  });

  describe('a repeated idempotency key never runs the command twice (issue 17)', () => {
    const noCi = { GITHUB_ACTIONS: '', GITLAB_CI: '' };
    const staging = (key: string) => [
      '--action',
      'deploy',
      '--resource',
      'service:ledger-ui',
      '--env',
      'staging',
      '--rationale',
      'ship the ledger UI',
      '--idempotency-key',
      key,
    ];
    const writes = (marker: string) => node(`require('fs').writeFileSync(${JSON.stringify(marker)}, 'x')`);
    /** The decision `arbiter exec` asks for, asked for through the API: allowed, not yet started. */
    async function askAsExec(key: string, command: string[]) {
      const response = await server.call(server.tokens.deployBot, 'POST', '/v1/decisions', {
        action: 'deploy',
        resource: { type: 'service', id: 'ledger-ui', environment: 'staging' },
        rationale: 'ship the ledger UI',
        context: { command },
        idempotencyKey: key,
      });
      expect(response.body.status).toBe('allowed');
      return response.body;
    }

    it('after a freeze: the allowed decision was revoked, the command is not run, exit 1', async () => {
      const marker = join(dir, 'after-freeze');
      const decision = await askAsExec('freeze-1', writes(marker));
      await server.call(server.tokens.root, 'POST', '/v1/systems/deploy-bot/freeze', {
        reason: 'incident 9',
      });
      try {
        const result = await exec(staging('freeze-1'), writes(marker), noCi);
        expect(result.code).toBe(1);
        expect(result.stderr).toContain(
          `${decision.id} is revoked (revoked: frozen: incident 9); not running`,
        );
        expect(existsSync(marker)).toBe(false);
      } finally {
        await server.call(server.tokens.root, 'POST', '/v1/systems/deploy-bot/unfreeze', { reason: 'over' });
      }
    });

    it('after an outcome: the decision already ran, the command is not run again, exit 1', async () => {
      const marker = join(dir, 'outcome');
      const appends = node(`require('fs').appendFileSync(${JSON.stringify(marker)}, 'ran\\n')`);
      expect((await exec(staging('outcome-1'), appends, noCi)).code).toBe(0);
      const result = await exec(staging('outcome-1'), appends, noCi);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('already ran: its outcome was reported (succeeded)');
      expect(readFileSync(marker, 'utf8')).toBe('ran\n');
    });

    it('while another run holds the claim: refused at the claim, the command is not run, exit 1', async () => {
      const marker = join(dir, 'claimed');
      const decision = await askAsExec('claimed-1', writes(marker));
      // Another runner claimed it between its answer and our claim.
      expect(
        (await server.call(server.tokens.deployBot, 'POST', `/v1/decisions/${decision.id}/start`, {})).status,
      ).toBe(200);
      const result = await exec(staging('claimed-1'), writes(marker), noCi);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`${decision.id} was already started`);
      expect(existsSync(marker)).toBe(false);
    });

    it('after its execution window: expired, the command is not run, exit 1', async () => {
      const marker = join(dir, 'expired');
      const decision = await askAsExec('window-1', writes(marker));
      server.clock.advance(15 * 60_000);
      const result = await exec(staging('window-1'), writes(marker), noCi);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        `${decision.id} expired: it was not started within its execution window`,
      );
      expect(existsSync(marker)).toBe(false);
    });
  });
});
