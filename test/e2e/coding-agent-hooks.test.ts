import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli.js';
import { isolatedEnv, runArbiter } from '../helpers/hook-process.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { tempDir } from '../helpers/temp.js';

/**
 * Coding agents end to end (issue 19, "Done when"): the built `arbiter hook AGENT` as each agent runs
 * it, against a real server on loopback with the example governance (examples/policies/
 * coding-agents.yaml): allowed, denied with the rule and why, pending until a second person
 * approves — with the command the answer prints — then allowed on retry; Claude Code's headless
 * `defer`, resumed after the approval; and Codex answers that hold no field outside Codex's schema.
 */

const fixture = (path: string) =>
  JSON.parse(readFileSync(join(repoRoot, 'test', 'fixtures', 'hooks', path), 'utf8'));

describe('coding agents through arbiter hook', () => {
  let server: TestServer;
  let repo: string;
  const tokens: Record<string, string> = {};
  beforeAll(async () => {
    server = await startTestServer();
    for (const system of ['claude-code-ci', 'codex-ci', 'cursor-agent', 'gemini-cli'])
      tokens[system] = (
        await server.arbiter.tokens.create({ role: 'agent', systemId: system, groups: [] }, 'test')
      ).token;
    repo = join(tempDir('arbiter-agent-repo-'), 'service');
    mkdirSync(repo);
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
        cwd: repo,
        env: isolatedEnv(),
      });
    git('init', '-q', '-b', 'feature/hooks');
    git('remote', 'add', 'origin', 'https://github.com/org/service.git');
  });
  afterAll(async () => {
    await server?.close();
  });

  /** A Claude Code PreToolUse call of Bash in the test repository. */
  function claudeBash(command: string, session: string, toolUseId: string, event = 'PreToolUse') {
    return JSON.stringify({
      session_id: session,
      transcript_path: `/home/dev/.claude/projects/service/${session}.jsonl`,
      cwd: repo,
      permission_mode: 'default',
      hook_event_name: event,
      tool_name: 'Bash',
      tool_input: { command, description: 'run it' },
      tool_use_id: toolUseId,
      ...(event === 'PostToolUse' ? { tool_response: { stdout: 'ok', stderr: '', interrupted: false } } : {}),
    });
  }

  async function hook(agent: string, system: string, input: string, args: string[] = [], user = 'dana') {
    const result = await runArbiter(['hook', agent, '--url', server.url, '--user', user, ...args], {
      input,
      env: isolatedEnv({ ARBITER_TOKEN: tokens[system] }),
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    return JSON.parse(result.stdout);
  }

  /** Runs the `arbiter approve …` line an answer printed, as `approver`, with a reason in place of "…". */
  async function approveAsPrinted(reason: string, approver: string) {
    const printed = /arbiter approve (dec_\S+) --reason "…"/.exec(reason);
    expect(printed, reason).not.toBeNull();
    return runArbiter(['approve', printed![1]!, '--reason', 'reviewed the plan'], {
      env: isolatedEnv({ ARBITER_TOKEN: server.tokens[approver], ARBITER_URL: server.url }),
    });
  }

  it('allows an ordinary call and records its outcome from PostToolUse', async () => {
    const answer = await hook(
      'claude-code',
      'claude-code-ci',
      claudeBash('git status', 's-allow', 'toolu_a1'),
    );
    expect(answer.hookSpecificOutput).toMatchObject({
      hookEventName: 'PreToolUse',
      permissionDecision: 'allow',
    });
    const id = /\((dec_[^)\s]+)\)/.exec(answer.hookSpecificOutput.permissionDecisionReason)![1]!;
    expect(
      await hook(
        'claude-code',
        'claude-code-ci',
        claudeBash('git status', 's-allow', 'toolu_a1', 'PostToolUse'),
      ),
    ).toEqual({});
    const decision = (await server.call(server.tokens.erin, 'GET', `/v1/decisions/${id}`)).body;
    expect(decision.status).toBe('started');
    expect(decision.outcome.status).toBe('succeeded');
    expect(decision.action).toBe('agent.tool.shell');
  });

  it('denies with the rule and why', async () => {
    const answer = await hook(
      'claude-code',
      'claude-code-ci',
      claudeBash('git push --force origin main', 's-deny', 'toolu_d1'),
    );
    expect(answer.hookSpecificOutput.permissionDecision).toBe('deny');
    expect(answer.hookSpecificOutput.permissionDecisionReason).toContain(
      'coding-agents/no-force-push-to-protected-branches',
    );
    expect(answer.hookSpecificOutput.permissionDecisionReason).toContain('rewrites shared history');
  });

  it('pending → the person at the keyboard may not approve → a second person does → the retried call is allowed', async () => {
    const command = 'cd envs/prod && terraform apply -auto-approve';
    const first = await hook(
      'claude-code',
      'claude-code-ci',
      claudeBash(command, 's-pending', 'toolu_p1'),
      [],
      'alice',
    );
    expect(first.hookSpecificOutput.permissionDecision).toBe('deny');
    const reason: string = first.hookSpecificOutput.permissionDecisionReason;
    expect(reason).toContain('needs approval');
    // alice runs the agent (--user alice): separation of duties refuses her approval.
    const own = await approveAsPrinted(reason, 'alice');
    expect(own.code).toBe(2);
    const other = await approveAsPrinted(reason, 'bob');
    expect(other.stderr).toBe('');
    expect(other.code).toBe(0);
    // The agent retries: a new tool-use id, the same call — the same, now approved, decision.
    const retried = await hook(
      'claude-code',
      'claude-code-ci',
      claudeBash(command, 's-pending', 'toolu_p2'),
      [],
      'alice',
    );
    expect(retried.hookSpecificOutput.permissionDecision).toBe('allow');
  });

  it('Claude Code headless: defer, approval, resume → allowed', async () => {
    const command = 'kubectl --context prod-eu delete deployment api';
    const deferred = await hook('claude-code', 'claude-code-ci', claudeBash(command, 's-defer', 'toolu_f1'), [
      '--pending',
      'defer',
    ]);
    expect(deferred.hookSpecificOutput.permissionDecision).toBe('defer');
    expect((await approveAsPrinted(deferred.hookSpecificOutput.permissionDecisionReason, 'bob')).code).toBe(
      0,
    );
    const resumed = await hook('claude-code', 'claude-code-ci', claudeBash(command, 's-defer', 'toolu_f2'), [
      '--pending',
      'defer',
    ]);
    expect(resumed.hookSpecificOutput.permissionDecision).toBe('allow');
  });

  it("Codex answers hold no field outside Codex's own output schema", async () => {
    // codex-rs/hooks/schema/generated/pre-tool-use.command.output.schema.json, as stored with its source.
    const validate = new Ajv({ strict: false }).compile(
      fixture('codex/schema/pre-tool-use.command.output.schema.json'),
    );
    const base = fixture('codex/pre-tool-use.json');
    const call = (command: string, id: string) =>
      JSON.stringify({
        ...base,
        cwd: repo,
        session_id: `codex-${id}`,
        tool_use_id: id,
        tool_input: { command },
      });
    const denied = await hook('codex', 'codex-ci', call('git push -f origin main', 'call_1'));
    expect(denied.hookSpecificOutput.permissionDecision).toBe('deny');
    const allowed = await hook('codex', 'codex-ci', call('ls -la', 'call_2'));
    for (const answer of [denied, allowed])
      expect(validate(answer), JSON.stringify(validate.errors)).toBe(true);
  });

  it('Cursor and Gemini CLI get their own answer shapes', async () => {
    const cursor = await hook(
      'cursor',
      'cursor-agent',
      JSON.stringify({
        conversation_id: 'conv-1',
        generation_id: 'gen-1',
        hook_event_name: 'beforeShellExecution',
        workspace_roots: [repo],
        command: 'git push --force origin main',
        cwd: repo,
      }),
    );
    expect(cursor).toMatchObject({ permission: 'deny' });
    const gemini = await hook(
      'gemini',
      'gemini-cli',
      JSON.stringify({
        session_id: 'g-1',
        transcript_path: '/tmp/g.json',
        cwd: repo,
        hook_event_name: 'BeforeTool',
        timestamp: '2026-12-06T10:00:00Z',
        tool_name: 'run_shell_command',
        tool_input: { command: 'git status' },
      }),
    );
    expect(gemini).toEqual({ decision: 'allow' });
  });
});
