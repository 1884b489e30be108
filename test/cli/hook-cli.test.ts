import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answer, captureServer, isolatedEnv, runArbiter } from '../helpers/hook-process.js';
import { freePort, startTestServer, type TestServer } from '../helpers/server.js';
import { tempDir } from '../helpers/temp.js';

/**
 * `arbiter hook AGENT` through the built binary, as an agent runs it: the payload on stdin goes to
 * the server verbatim with the facts only this machine knows, the answer is printed as it came,
 * and every failure blocks the call (exit 2, one line on stderr) — never a silent allow.
 */

// Claude Code's documented PreToolUse input (code.claude.com/docs/en/hooks, "PreToolUse input").
function claudePayload(cwd: string, command = 'git status') {
  return JSON.stringify({
    session_id: 'abc123',
    transcript_path: '/home/dev/.claude/projects/demo/00893aaf-19fa-41d2-8238-13269b9b3ca0.jsonl',
    cwd,
    permission_mode: 'default',
    hook_event_name: 'PreToolUse',
    tool_name: 'Bash',
    tool_input: { command, description: 'Show working tree status' },
    tool_use_id: 'toolu_01ABC123',
  });
}

const allow = {
  hookSpecificOutput: {
    hookEventName: 'PreToolUse',
    permissionDecision: 'allow',
    permissionDecisionReason: 'ok',
  },
};

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
    cwd,
    encoding: 'utf8',
    env: isolatedEnv(),
  });
}

/** One line on stderr, `arbiter hook: …`, nothing on stdout, exit 2. */
function expectBlocked(result: { code: number | null; stdout: string; stderr: string }, reason: RegExp) {
  expect(result.stdout).toBe('');
  expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(result.stderr).toMatch(/^arbiter hook: /);
  expect(result.stderr).toMatch(reason);
  expect(result.code).toBe(2);
}

describe('arbiter hook: what it sends and prints', () => {
  let capture: Awaited<ReturnType<typeof captureServer>>;
  let repo: string;
  beforeAll(async () => {
    capture = await captureServer(answer(200, allow));
    repo = join(tempDir('arbiter-hook-repo-'), 'payments');
    mkdirSync(join(repo, '.git'), { recursive: true });
    mkdirSync(join(repo, 'src', 'api'), { recursive: true });
    writeFileSync(join(repo, '.git', 'HEAD'), 'ref: refs/heads/feature/hooks\n');
    writeFileSync(
      join(repo, '.git', 'config'),
      [
        '[core]',
        '\trepositoryformatversion = 0',
        '[remote "upstream"]',
        '\turl = git@example.com:other/payments.git',
        '[remote "origin"]',
        '\turl = https://ci-bot:s3cret-token@git.example.com/org/payments.git  ; a comment',
        '\tfetch = +refs/heads/*:refs/remotes/origin/*',
        '[user]',
        '\temail = "dev@example.com"',
      ].join('\n'),
    );
  });

  it('posts the payload verbatim to /v1/hooks/AGENT with the token, the git facts and the wait, and prints the answer', async () => {
    const payload = claudePayload(join(repo, 'src', 'api'));
    const result = await runArbiter(['hook', 'claude-code', '--url', capture.url, '--wait', '2m'], {
      input: payload,
      env: isolatedEnv({ ARBITER_TOKEN: 'arb_agent_token_1' }),
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(allow);
    const request = capture.requests.at(-1)!;
    expect(request.method).toBe('POST');
    expect(request.url).toBe('/v1/hooks/claude-code');
    expect(request.body).toBe(payload);
    expect(request.headers.authorization).toBe('Bearer arb_agent_token_1');
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['arbiter-wait']).toBe('120');
    expect(request.headers['arbiter-client-repository']).toBe(encodeURIComponent(repo));
    expect(request.headers['arbiter-client-branch']).toBe('feature%2Fhooks');
    // The origin remote, without the credential an HTTPS remote can carry.
    expect(decodeURIComponent(String(request.headers['arbiter-client-remote']))).toBe(
      'https://git.example.com/org/payments.git',
    );
    expect(JSON.stringify(request.headers)).not.toContain('s3cret');
    expect(request.headers['arbiter-client-user']).toBe('dev%40example.com');
  });

  it('takes the person from --user, else ARBITER_USER, before git; the token from --token-env', async () => {
    const payload = claudePayload(repo);
    await runArbiter(['hook', 'codex', '--url', capture.url, '--token-env', 'CODEX_ARBITER_TOKEN'], {
      input: payload,
      env: isolatedEnv({ CODEX_ARBITER_TOKEN: 'arb_codex', ARBITER_USER: 'Zoë Doe <zoe@example.com>' }),
    });
    let request = capture.requests.at(-1)!;
    expect(request.url).toBe('/v1/hooks/codex');
    expect(request.headers.authorization).toBe('Bearer arb_codex');
    expect(decodeURIComponent(String(request.headers['arbiter-client-user']))).toBe(
      'Zoë Doe <zoe@example.com>',
    );
    expect(request.headers['arbiter-wait']).toBe('0');
    await runArbiter(['hook', 'codex', '--url', capture.url, '--user', 'pat@example.com'], {
      input: payload,
      env: isolatedEnv({ ARBITER_TOKEN: 'arb', ARBITER_USER: 'zoe@example.com' }),
    });
    request = capture.requests.at(-1)!;
    expect(request.headers['arbiter-client-user']).toBe('pat%40example.com');
  });

  it("reads Cursor's workspace root when the payload has no cwd, and sends no git facts outside a repository", async () => {
    const cursor = {
      conversation_id: 'c1',
      generation_id: 'g1',
      hook_event_name: 'preToolUse',
      workspace_roots: [repo],
      tool_name: 'Shell',
      tool_input: { command: 'ls' },
    };
    await runArbiter(['hook', 'cursor', '--url', capture.url], {
      input: JSON.stringify(cursor),
      env: isolatedEnv({ ARBITER_TOKEN: 'arb' }),
    });
    expect(capture.requests.at(-1)!.headers['arbiter-client-branch']).toBe('feature%2Fhooks');
    const outside = tempDir('arbiter-not-a-repo-');
    await runArbiter(['hook', 'gemini', '--url', capture.url], {
      input: JSON.stringify({
        session_id: 's',
        cwd: outside,
        hook_event_name: 'BeforeTool',
        tool_name: 'read_file',
      }),
      env: isolatedEnv({ ARBITER_TOKEN: 'arb' }),
    });
    const headers = capture.requests.at(-1)!.headers;
    expect(headers['arbiter-client-repository']).toBeUndefined();
    expect(headers['arbiter-client-branch']).toBeUndefined();
    expect(headers['arbiter-client-remote']).toBeUndefined();
    expect(headers['arbiter-client-user']).toBeUndefined();
  });

  it('reads a linked worktree as git does: its own branch, the shared remote; an included config asks git', async () => {
    const base = tempDir('arbiter-hook-git-');
    const main = join(base, 'main');
    mkdirSync(main);
    git(main, 'init', '-q', '-b', 'main');
    git(main, 'remote', 'add', 'origin', 'https://x-access-token:ghs_secret@github.com/org/app.git');
    git(main, 'commit', '-q', '--allow-empty', '-m', 'first');
    git(main, 'worktree', 'add', '-q', '-b', 'fix/timeout', join(base, 'wt'));
    const env = isolatedEnv({ ARBITER_TOKEN: 'arb' });
    writeFileSync(join(env.HOME!, '.gitconfig'), '[include]\n\tpath = ~/.gitconfig-work\n');
    writeFileSync(join(env.HOME!, '.gitconfig-work'), '[user]\n\temail = included@example.com\n');
    await runArbiter(['hook', 'claude-code', '--url', capture.url], {
      input: claudePayload(join(base, 'wt')),
      env,
    });
    const headers = capture.requests.at(-1)!.headers;
    expect(decodeURIComponent(String(headers['arbiter-client-repository']))).toBe(join(base, 'wt'));
    expect(headers['arbiter-client-branch']).toBe('fix%2Ftimeout');
    expect(decodeURIComponent(String(headers['arbiter-client-remote']))).toBe(
      'https://github.com/org/app.git',
    );
    expect(headers['arbiter-client-user']).toBe('included%40example.com');
  });
});

describe('arbiter hook: every failure blocks the call', () => {
  let server: TestServer;
  const env = () => isolatedEnv({ ARBITER_TOKEN: 'arb_hook_test' });
  const payload = claudePayload('/tmp');
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('server down: exit 2', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const result = await runArbiter(['hook', 'claude-code', '--url', url], { input: payload, env: env() });
    expectBlocked(
      result,
      /cannot ask Arbiter at http:\/\/127\.0\.0\.1:\d+\/v1\/hooks\/claude-code: ECONNREFUSED/,
    );
  });

  it('a token Arbiter does not know: exit 2, and the token is never printed', async () => {
    const result = await runArbiter(['hook', 'claude-code', '--url', server.url], {
      input: payload,
      env: isolatedEnv({ ARBITER_TOKEN: 'arb_not_a_real_token_123' }),
    });
    expectBlocked(result, /Arbiter refused the call \(401 ARB_ERR_/);
    expect(result.stderr).not.toContain('arb_not_a_real_token_123');
  });

  it('no token in the environment: exit 2 before anything is sent', async () => {
    const result = await runArbiter(['hook', 'claude-code', '--url', server.url, '--token-env', 'MY_TOKEN'], {
      input: payload,
      env: isolatedEnv(),
    });
    expectBlocked(result, /no token: set MY_TOKEN/);
  });

  it.each([
    ['not JSON', '{"tool_name": "Bash",', /the hook payload is not JSON/],
    ['empty', '', /no hook payload on stdin/],
    ['only whitespace', ' \n\t', /no hook payload on stdin/],
    ['an array', '[{"tool_name":"Bash"}]', /not a JSON object/],
    ['a string', '"Bash"', /not a JSON object/],
  ])('a payload that is %s: exit 2', async (_, input, reason) => {
    const capture = await captureServer(answer(200, allow));
    const result = await runArbiter(['hook', 'claude-code', '--url', capture.url], { input, env: env() });
    expectBlocked(result, reason);
    expect(capture.requests).toHaveLength(0);
  });

  it('a payload over 1 MiB: exit 2, nothing sent', async () => {
    const capture = await captureServer(answer(200, allow));
    const input = JSON.stringify({ tool_name: 'Write', tool_input: { content: 'x'.repeat(1024 * 1024) } });
    const result = await runArbiter(['hook', 'claude-code', '--url', capture.url], { input, env: env() });
    expectBlocked(result, /larger than 1 MiB/);
    expect(capture.requests).toHaveLength(0);
  });

  it('stdin that never closes: exit 2 after --timeout', async () => {
    const result = await runArbiter(['hook', 'claude-code', '--url', server.url, '--timeout', '1'], {
      input: '{"tool_name":',
      env: env(),
      keepStdinOpen: true,
    });
    expectBlocked(result, /stdin did not close within 1s/);
  });

  it('a server that never answers: exit 2 after --timeout', async () => {
    const capture = await captureServer(() => {});
    const result = await runArbiter(['hook', 'claude-code', '--url', capture.url, '--timeout', '1'], {
      input: payload,
      env: env(),
    });
    expectBlocked(result, /no answer within 1s/);
  });

  it.each([
    [
      'an HTML page with 200',
      answer(200, '<html>Sign in to the proxy</html>', 'text/html'),
      /answered 200 without a JSON object/,
    ],
    ['an empty 200', answer(200, ''), /answered 200 without a JSON object/],
    ['a JSON array', answer(200, [allow]), /without a JSON object/],
    ['a 500 from something else', answer(500, 'upstream error', 'text/plain'), /Arbiter answered 500$/m],
    ['a redirect', answer(302, ''), /Arbiter answered 302/],
    [
      'an Arbiter error',
      answer(503, { error: { code: 'ARB_ERR_UNAVAILABLE', message: 'draining' } }),
      /\(503 ARB_ERR_UNAVAILABLE: draining\)/,
    ],
    [
      'an answer over 1 MiB',
      answer(200, { reason: 'x'.repeat(1024 * 1024 + 1) }),
      /larger than 1048576 bytes/,
    ],
  ])('a server that answers %s: exit 2', async (_, respond, reason) => {
    const capture = await captureServer(respond);
    const result = await runArbiter(['hook', 'claude-code', '--url', capture.url], {
      input: payload,
      env: env(),
    });
    expectBlocked(result, reason);
  });

  it('bad options: exit 2, and a credential in the URL is refused without being printed', async () => {
    expectBlocked(
      await runArbiter(['hook', 'claude-code', '--bogus'], { input: payload, env: env() }),
      /Unknown option '--bogus'/,
    );
    expectBlocked(
      await runArbiter(['hook', 'claude-code', '--wait', 'soon'], { input: payload, env: env() }),
      /--wait soon is not a duration/,
    );
    const result = await runArbiter(['hook', 'claude-code', '--url', 'http://admin:hunter2@127.0.0.1:1'], {
      input: payload,
      env: env(),
    });
    expectBlocked(result, /must not carry credentials/);
    expect(result.stderr).not.toContain('hunter2');
  });
});
