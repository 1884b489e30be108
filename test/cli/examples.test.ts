import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli.js';
import { startTestServer, type TestServer, waitForPending } from '../helpers/server.js';

const agent = fileURLToPath(new URL('../../examples/agent/deploy-agent.mjs', import.meta.url));
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

function runAgent(env: Record<string, string>): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [agent], {
      cwd: repoRoot,
      env: { ...process.env, ARBITER_URL: server.url, ARBITER_TOKEN: server.tokens.deployBot!, ...env },
    });
    let stdout = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.on('exit', (code) => resolve({ code, stdout }));
  });
}

describe('examples/agent/deploy-agent.mjs', () => {
  it('asks, waits for two approvers, deploys and reports success', async () => {
    const running = runAgent({ WAIT_SECONDS: '20' });
    const pending = await waitForPending(server);
    await server.call(server.tokens.alice, 'POST', `/v1/decisions/${pending.id}/approvals`, {
      verdict: 'approve',
      reason: 'ok',
    });
    await server.call(server.tokens.paul, 'POST', `/v1/decisions/${pending.id}/approvals`, {
      verdict: 'approve',
      reason: 'ok',
    });
    const { code, stdout } = await running;
    expect(stdout).toContain(`asked: ${pending.id} is pending`);
    expect(stdout).toContain('is allowed (approved)');
    expect(stdout).toContain('reported succeeded.');
    expect(code).toBe(0);
    expect(
      (await server.call(server.tokens.erin, 'GET', `/v1/decisions/${pending.id}`)).body.outcome.status,
    ).toBe('succeeded');
  });

  it('does not deploy when denied', async () => {
    const { code, stdout } = await runAgent({ ENVIRONMENT: 'moon' });
    expect(stdout).toContain('is denied');
    expect(stdout).toContain('not deploying.');
    expect(code).toBe(1);
  });
});
