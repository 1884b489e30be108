import { existsSync } from 'node:fs';
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
    expect(result.stderr).toMatch(/dec_\S+ allowed; running/);
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
    expect(result.stderr).toMatch(/is pending; not running/);
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
    const first = await exec(args, node('0'), ci);
    const second = await exec(args, node('0'), ci);
    const id = (text: string) => /(dec_\S+) allowed/.exec(text)?.[1];
    expect(id(first.stderr)).toBeDefined();
    expect(id(second.stderr)).toBe(id(first.stderr));
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
});
