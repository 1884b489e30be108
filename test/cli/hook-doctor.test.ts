import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arbiter } from '../helpers/cli.js';
import { isolatedEnv, runArbiter } from '../helpers/hook-process.js';
import { freePort, startTestServer, type TestServer } from '../helpers/server.js';
import { tempDir } from '../helpers/temp.js';

/**
 * `arbiter hook doctor` against a real server on loopback, through the built binary: one line per
 * check, exit 0 when the installation works end to end, exit 1 naming what does not.
 */

const bin = fileURLToPath(new URL('../../bin/arbiter.js', import.meta.url));
// The hook command as an agent on this machine would run it (the test machine has no `arbiter` on PATH).
const command = `${process.execPath} ${bin}`;

function lines(stdout: string): string[] {
  return stdout.trimEnd().split('\n');
}

describe('arbiter hook doctor', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  /** A project with the hook installed, and the doctor line install printed. */
  function installed(agent: string, url: string, extra: string[] = []) {
    const dir = tempDir('arbiter-doctor-');
    const result = arbiter([
      'hook',
      'install',
      agent,
      '--dir',
      dir,
      '--url',
      url,
      '--command',
      command,
      ...extra,
    ]);
    expect(result.code).toBe(0);
    const printed = result.stdout.split('\n').find((line) => line.trim().startsWith('arbiter hook doctor'))!;
    return { dir, doctor: printed.trim().split(/\s+/).slice(1) };
  }

  it('passes, one line per check, when everything works — and its dry run records nothing', async () => {
    const { doctor } = installed('claude-code', server.url);
    const before = (await server.call(server.tokens.erin, 'GET', '/v1/decisions')).body.decisions.length;
    // The command install printed, run as printed.
    const result = await runArbiter(doctor, { env: isolatedEnv({ ARBITER_TOKEN: server.tokens.deployBot }) });
    expect(result.stderr).toBe('');
    const out = lines(result.stdout);
    expect(out).toEqual([
      expect.stringMatching(
        /^ok {4}claude-code settings: PreToolUse and PostToolUse hook in .*\.claude\/settings\.json$/,
      ),
      expect.stringMatching(/^ok {4}claude-code command: \S+ found/),
      `ok    claude-code server: ${server.url} is reachable`,
      `ok    claude-code route: ${server.url} serves POST /v1/hooks/claude-code`,
      'ok    claude-code token: ARBITER_TOKEN is valid (deploy-bot, role agent)',
      expect.stringMatching(
        /^ok {4}claude-code dry run: Bash `git status` → (allow|require_approval|deny) \(.+\); nothing was recorded$/,
      ),
    ]);
    expect(result.code).toBe(0);
    expect((await server.call(server.tokens.erin, 'GET', '/v1/decisions')).body.decisions).toHaveLength(
      before,
    );
  });

  it('fails when the server is down, naming it', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const { doctor } = installed('cursor', url);
    const result = await runArbiter(doctor, { env: isolatedEnv({ ARBITER_TOKEN: server.tokens.deployBot }) });
    expect(result.code).toBe(1);
    expect(lines(result.stdout)).toContainEqual(
      expect.stringMatching(new RegExp(`^FAIL  cursor server: cannot reach ${url} \\(ECONNREFUSED\\)$`)),
    );
  });

  it('fails on a token the server refuses, or one that is not an agent token, never printing it', async () => {
    const { doctor } = installed('codex', server.url, ['--token-env', 'CODEX_ARBITER_TOKEN']);
    let result = await runArbiter(doctor, { env: isolatedEnv({ CODEX_ARBITER_TOKEN: 'arb_wrong_token_9' }) });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /^FAIL {2}codex token: CODEX_ARBITER_TOKEN is not accepted \(401 ARB_ERR_/m,
    );
    expect(result.stdout).not.toContain('arb_wrong_token_9');
    result = await runArbiter(doctor, { env: isolatedEnv({ CODEX_ARBITER_TOKEN: server.tokens.alice }) });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^FAIL {2}codex token: CODEX_ARBITER_TOKEN is a token of role approver/m);
    result = await runArbiter(doctor, { env: isolatedEnv() });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^FAIL {2}codex token: CODEX_ARBITER_TOKEN is not set$/m);
  });

  it('fails when no hook is installed, when the hook can fail open, and when its command is not found', async () => {
    const env = isolatedEnv({ ARBITER_TOKEN: server.tokens.deployBot, ARBITER_URL: server.url });
    const empty = tempDir('arbiter-doctor-');
    let result = await runArbiter(['hook', 'doctor', 'gemini', '--dir', empty], { env });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /^FAIL {2}gemini settings: no Arbiter hook in .*\.gemini\/settings\.json or .*\.gemini\/settings\.json/m,
    );
    result = await runArbiter(['hook', 'doctor', '--dir', empty, '--project'], { env });
    expect(result.code).toBe(1);
    expect(lines(result.stdout)).toEqual([
      'FAIL  settings: no Arbiter hook installed for any agent here (run arbiter hook install AGENT)',
    ]);

    const { dir } = installed('claude-code', server.url);
    const path = join(dir, '.claude', 'settings.json');
    const settings = JSON.parse(readFileSync(path, 'utf8'));
    delete settings.hooks.PreToolUse[0].hooks[0].onFailure;
    writeFileSync(path, JSON.stringify(settings));
    result = await runArbiter(['hook', 'doctor', 'claude-code', '--dir', dir, '--project'], { env });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /^FAIL {2}claude-code settings: the PreToolUse hook lacks "onFailure": "block"/m,
    );

    const bare = tempDir('arbiter-doctor-');
    expect(arbiter(['hook', 'install', 'gemini', '--dir', bare]).code).toBe(0);
    result = await runArbiter(['hook', 'doctor', 'gemini', '--dir', bare, '--project'], {
      env: { ...env, PATH: tempDir('arbiter-empty-path-') },
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /^FAIL {2}gemini command: arbiter is not on PATH, so every tool call is blocked/m,
    );
  });

  it('reports a settings file it cannot read as a failed check', async () => {
    const dir = tempDir('arbiter-doctor-');
    mkdirSync(join(dir, '.cursor'));
    writeFileSync(join(dir, '.cursor', 'hooks.json'), '{"version": 1, "hooks": ');
    const result = await runArbiter(['hook', 'doctor', 'cursor', '--dir', dir, '--project'], {
      env: isolatedEnv({ ARBITER_TOKEN: server.tokens.deployBot, ARBITER_URL: server.url }),
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^FAIL {2}cursor settings: .*hooks\.json:1:\d+: not valid JSON/m);
  });
});
