import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arbiterAsync } from '../helpers/cli.js';
import { startTestServer, type TestServer, waitForPending } from '../helpers/server.js';
import { hookFixture } from '../hooks/fixtures.js';

let t: TestServer;
const agents: Record<string, string> = {};

beforeAll(async () => {
  t = await startTestServer({ notifications: { dashboardUrl: 'http://arbiter.example' } });
  for (const [name, systemId] of [
    ['claude', 'claude-code-ci'],
    ['codex', 'codex-ci'],
    ['cursor', 'cursor-agent'],
    ['gemini', 'gemini-cli'],
  ] as const)
    agents[name] = (await t.arbiter.tokens.create({ role: 'agent', systemId, groups: [] }, 'test')).token;
});
afterAll(async () => {
  await t.close();
});

/** Posts a hook payload as `arbiter hook` (or Claude Code's http hook) does. */
async function hook(
  agent: string,
  payload: unknown,
  options: { token?: string; headers?: Record<string, string>; query?: string } = {},
) {
  const name = agent === 'claude-code' ? 'claude' : agent;
  const token = 'token' in options ? options.token : agents[name];
  const response = await t.app.inject({
    method: 'POST',
    url: `/v1/hooks/${agent}${options.query ?? ''}`,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      'content-type': 'application/json',
      ...options.headers,
    },
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
  });
  return {
    status: response.statusCode,
    body: response.json() as Record<string, any>,
    decisionId: response.headers['arbiter-decision-id'] as string | undefined,
  };
}

async function decision(id: string) {
  return (await t.call(t.tokens.erin, 'GET', `/v1/decisions/${id}`)).body;
}

const session = (name: string, payload: Record<string, unknown>, field = 'session_id') => ({
  ...payload,
  [field]: name,
});

describe('POST /v1/hooks/:agent', () => {
  it('allows a harmless Bash call, claims its decision once and records it', async () => {
    const answer = await hook(
      'claude-code',
      session('s-allow', hookFixture('claude-code', 'pre-tool-use-bash')),
    );
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      hookSpecificOutput: {
        hookEventName: 'PreToolUse',
        permissionDecision: 'allow',
        permissionDecisionReason: `Arbiter allowed agent.tool.shell (${answer.decisionId}): coding-agents/everything-else-recorded`,
      },
    });
    const recorded = await decision(answer.decisionId!);
    expect(recorded).toMatchObject({
      status: 'started',
      action: 'agent.tool.shell',
      actor: { ref: 'system:claude-code-ci' },
      resource: { type: 'tool', id: 'Bash', environment: 'development' },
      request: { context: { command: { raw: 'npm test', opaque: false } } },
    });
  });

  it("denies with the rule and why, in each agent's own shape", async () => {
    const claude = await hook('claude-code', hookFixture('claude-code', 'pre-tool-use-read-env'));
    expect(claude.body.hookSpecificOutput).toEqual({
      hookEventName: 'PreToolUse',
      permissionDecision: 'deny',
      permissionDecisionReason: `Arbiter denied agent.tool.file.read (${claude.decisionId}): coding-agents/no-secret-reads: Secrets (.env files, private keys) stay out of the agent's context`,
    });
    const cursor = await hook('cursor', hookFixture('cursor', 'pre-tool-use'));
    expect(cursor.body).toMatchObject({
      permission: 'deny',
      agent_message: expect.stringContaining('no-secret-reads'),
    });
    const gemini = await hook('gemini', hookFixture('gemini', 'before-tool-write'));
    expect(gemini.body).toEqual({
      decision: 'deny',
      reason: expect.stringContaining('coding-agents/no-writes-outside-the-repository'),
    });
    expect((await decision(gemini.decisionId!)).status).toBe('denied');
    // The same call again is the same denial, not a new decision.
    expect((await hook('gemini', hookFixture('gemini', 'before-tool-write'))).decisionId).toBe(
      gemini.decisionId,
    );
  });

  it('pending → denied with the approval line → approved by a second person → the retried call is allowed once', async () => {
    const payload = session('codex-pending', hookFixture('codex', 'pre-tool-use'));
    const headers = {
      'arbiter-client-user': encodeURIComponent('Bob'),
      'arbiter-client-branch': 'feature%2Fdeploy',
    };
    const first = await hook('codex', payload, { headers });
    const id = first.decisionId!;
    expect(first.body).toEqual({
      hookSpecificOutput: {
        hookEventName: 'PreToolUse',
        permissionDecision: 'deny',
        permissionDecisionReason: `Arbiter: ${id} needs approval (1 from group:sre): coding-agents/infrastructure-needs-sre: Production infrastructure and schema changes need an SRE. Ask another person to approve at http://arbiter.example/decisions/${id} or: arbiter approve ${id} --reason "…"; then retry.`,
      },
    });
    expect(await decision(id)).toMatchObject({
      status: 'pending',
      request: { context: { onBehalfOf: 'user:bob', git: { branch: 'feature/deploy' } } },
    });
    // The person at the keyboard cannot approve what their agent asked for.
    const self = await t.call(t.tokens.bob, 'POST', `/v1/decisions/${id}/approvals`, {
      verdict: 'approve',
      reason: 'mine',
    });
    expect(self.status).toBe(403);
    expect(self.body.error).toMatchObject({
      code: 'ARB_ERR_APPROVAL_SELF',
      message: expect.stringContaining('on behalf of user:bob'),
    });
    // Retried before approval: the same pending decision.
    expect((await hook('codex', { ...payload, tool_use_id: 'call_retry' }, { headers })).decisionId).toBe(id);
    const vote = await t.call(t.tokens.alice, 'POST', `/v1/decisions/${id}/approvals`, {
      verdict: 'approve',
      reason: 'prod apply reviewed',
    });
    expect(vote.body.status).toBe('allowed');
    const retried = await hook('codex', { ...payload, tool_use_id: 'call_after' }, { headers });
    expect(retried.decisionId).toBe(id);
    expect(retried.body).toEqual({}); // Codex: allowed is no objection (output_parser.rs refuses a bare allow)
    expect((await decision(id)).status).toBe('started');
    // The approval was used: the same call once more is a new decision that needs approval again.
    const again = await hook('codex', { ...payload, tool_use_id: 'call_again' }, { headers });
    expect(again.decisionId).not.toBe(id);
    expect(again.body.hookSpecificOutput.permissionDecision).toBe('deny');
    expect((await decision(again.decisionId!)).status).toBe('pending');
  });

  it('Claude Code headless: defer → approved → the resumed call (new tool-use id) is allowed, and only once', async () => {
    const payload = session('claude-defer', hookFixture('claude-code', 'pre-tool-use-terraform'));
    const deferred = await hook('claude-code', payload, { query: '?pending=defer' });
    const id = deferred.decisionId!;
    expect(deferred.body.hookSpecificOutput).toMatchObject({
      hookEventName: 'PreToolUse',
      permissionDecision: 'defer',
      permissionDecisionReason: expect.stringContaining(
        `arbiter approve ${id} --reason "…"; then resume this session`,
      ),
    });
    await t.call(t.tokens.alice, 'POST', `/v1/decisions/${id}/approvals`, {
      verdict: 'approve',
      reason: 'plan reviewed',
    });
    const resumed = await hook(
      'claude-code',
      { ...payload, tool_use_id: 'toolu_resumed' },
      { query: '?pending=defer' },
    );
    expect(resumed.decisionId).toBe(id);
    expect(resumed.body.hookSpecificOutput.permissionDecision).toBe('allow');
    const replay = await hook(
      'claude-code',
      { ...payload, tool_use_id: 'toolu_replayed' },
      { query: '?pending=defer' },
    );
    expect(replay.decisionId).not.toBe(id);
    expect(replay.body.hookSpecificOutput.permissionDecision).toBe('defer');
    // The claim itself is the decisions' single-use start: a second one is refused.
    const second = await t.call(agents.claude, 'POST', `/v1/decisions/${id}/start`, {});
    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe('ARB_ERR_DECISION_ALREADY_STARTED');
  });

  it('the printed `arbiter approve` line, run as printed by another person, lets the retried call through', async () => {
    const payload = session('gemini-follow', hookFixture('gemini', 'before-tool-shell'));
    const tool_input = { command: 'helm upgrade api charts/api --kube-context prod-eu' };
    const first = await hook('gemini', { ...payload, tool_input });
    expect(first.body.decision).toBe('deny');
    const line = /arbiter approve \S+ --reason "…"/.exec(first.body.reason)?.[0];
    expect(line).toBe(`arbiter approve ${first.decisionId} --reason "…"`);
    const args = line!.split(' ').slice(1, -1).concat('reviewed the helm upgrade');
    const approved = await arbiterAsync(args, {
      env: { ARBITER_URL: t.url, ARBITER_TOKEN: t.tokens.alice! },
    });
    expect(approved.stderr).toBe('');
    expect(approved.code).toBe(0);
    const retried = await hook('gemini', { ...payload, tool_input });
    expect(retried).toMatchObject({ decisionId: first.decisionId, body: { decision: 'allow' } });
  });

  it('two identical calls at once each run under their own claimed decision', async () => {
    const payload = session('s-parallel', hookFixture('claude-code', 'pre-tool-use-bash'));
    const answers = await Promise.all([
      hook('claude-code', payload),
      hook('claude-code', payload),
      hook('claude-code', payload),
    ]);
    for (const answer of answers) expect(answer.body.hookSpecificOutput?.permissionDecision).toBe('allow');
    const ids = answers.map((answer) => answer.decisionId!);
    expect(new Set(ids).size).toBe(3);
    for (const id of ids) expect((await decision(id)).status).toBe('started');
  });

  it('waits for an approval when asked to (Arbiter-Wait), and allows once it comes', async () => {
    const payload = session('gemini-wait', {
      ...hookFixture('gemini', 'before-tool-shell'),
      tool_input: { command: 'terraform apply' },
    });
    const answer = hook('gemini', payload, { headers: { 'arbiter-wait': '30' } });
    const pending = await waitForPending(t, 'system=gemini-cli');
    await t.call(t.tokens.alice, 'POST', `/v1/decisions/${pending.id}/approvals`, {
      verdict: 'approve',
      reason: 'ok',
    });
    const answered = await answer;
    expect(answered).toMatchObject({ status: 200, decisionId: pending.id, body: { decision: 'allow' } });
  });

  it('records the outcome of a finished tool call, success or failure', async () => {
    const pre = await hook(
      'claude-code',
      session('s-outcome', hookFixture('claude-code', 'pre-tool-use-bash')),
    );
    const post = await hook('claude-code', session('s-outcome', hookFixture('claude-code', 'post-tool-use')));
    expect(post).toMatchObject({ status: 200, body: {}, decisionId: pre.decisionId });
    expect((await decision(pre.decisionId!)).outcome).toMatchObject({ status: 'succeeded' });

    const again = await hook(
      'claude-code',
      session('s-outcome', hookFixture('claude-code', 'pre-tool-use-bash')),
    );
    expect(again.decisionId).not.toBe(pre.decisionId);
    await hook('claude-code', session('s-outcome', hookFixture('claude-code', 'post-tool-use-failure')));
    expect((await decision(again.decisionId!)).outcome).toMatchObject({ status: 'failed' });

    const codexPre = await hook('codex', hookFixture('codex', 'pre-tool-use-allowed'));
    const codexPost = await hook('codex', hookFixture('codex', 'post-tool-use'));
    expect(codexPost.decisionId).toBe(codexPre.decisionId);
    expect((await decision(codexPre.decisionId!)).outcome).toMatchObject({ status: 'failed' });

    // A post-tool call with no decision to report on is answered with no opinion.
    const orphan = await hook('gemini', session('never-asked', hookFixture('gemini', 'after-tool')));
    expect(orphan).toMatchObject({ status: 200, body: {}, decisionId: undefined });
  });

  it('answers Cursor beforeShellExecution and beforeMCPExecution', async () => {
    expect((await hook('cursor', hookFixture('cursor', 'before-shell-execution'))).body).toEqual({
      permission: 'allow',
    });
    expect((await hook('cursor', hookFixture('cursor', 'before-mcp-execution'))).body).toEqual({
      permission: 'allow',
    });
    const opaque = await hook('cursor', hookFixture('cursor', 'before-shell-execution-opaque'));
    expect(opaque.body).toMatchObject({
      permission: 'deny',
      user_message: expect.stringContaining('opaque-commands-need-the-owner'),
    });
  });

  describe('hostile requests: a clear 4xx, nothing recorded', () => {
    const bash = hookFixture('claude-code', 'pre-tool-use-bash');
    const cases: [string, () => Promise<{ status: number; body: Record<string, any> }>, number, string][] = [
      ['no token', () => hook('claude-code', bash, { token: undefined }), 401, 'ARB_ERR_AUTH_REQUIRED'],
      [
        'a wrong token',
        () => hook('claude-code', bash, { token: 'arb_forged' }),
        401,
        'ARB_ERR_AUTH_INVALID',
      ],
      [
        'an auditor token',
        () => hook('claude-code', bash, { token: t.tokens.erin }),
        403,
        'ARB_ERR_FORBIDDEN',
      ],
      [
        'an unknown agent',
        () => hook('copilot', bash, { token: agents.claude }),
        400,
        'ARB_ERR_REQUEST_INVALID',
      ],
      ['a body that is not an object', () => hook('claude-code', '[1,2]'), 400, 'ARB_ERR_REQUEST_INVALID'],
      ['invalid JSON', () => hook('claude-code', '{"hook_event_name":'), 400, ''],
      ['no event name', () => hook('claude-code', { session_id: 'x' }), 400, 'ARB_ERR_REQUEST_INVALID'],
      [
        'an event Arbiter does not answer',
        () => hook('claude-code', { ...bash, hook_event_name: 'Stop' }),
        400,
        'ARB_ERR_HOOK_PAYLOAD',
      ],
      ["another agent's event", () => hook('gemini', bash), 400, 'ARB_ERR_HOOK_PAYLOAD'],
      [
        'no session',
        () => hook('claude-code', { ...bash, session_id: undefined }),
        400,
        'ARB_ERR_HOOK_PAYLOAD',
      ],
      [
        'a tool name that is not a string',
        () => hook('claude-code', { ...bash, tool_name: ['Bash'] }),
        400,
        'ARB_ERR_HOOK_PAYLOAD',
      ],
      [
        'a body over 2 MiB',
        () => hook('claude-code', { ...bash, tool_input: { command: 'x'.repeat(2 * 1024 * 1024) } }),
        413,
        'ARB_ERR_PAYLOAD_TOO_LARGE',
      ],
      [
        'nesting past the depth limit',
        () =>
          hook('claude-code', `{"hook_event_name":"PreToolUse","x":${'['.repeat(200)}${']'.repeat(200)}}`),
        400,
        '',
      ],
      [
        'a header that is not percent-encoded',
        () => hook('claude-code', bash, { headers: { 'arbiter-client-branch': '%E0%A4%A' } }),
        400,
        'ARB_ERR_REQUEST_INVALID',
      ],
      [
        'a user that is not a valid name',
        () => hook('claude-code', bash, { headers: { 'arbiter-client-user': 'not%20a%20name!' } }),
        400,
        'ARB_ERR_IDENTITY_NAME_INVALID',
      ],
      [
        'a wait that is not a number',
        () => hook('claude-code', bash, { headers: { 'arbiter-wait': '1e9' } }),
        400,
        'ARB_ERR_REQUEST_INVALID',
      ],
      [
        'an unknown pending answer',
        () => hook('claude-code', bash, { query: '?pending=ask' }),
        400,
        'ARB_ERR_REQUEST_INVALID',
      ],
    ];
    for (const [name, send, status, code] of cases)
      it(`refuses ${name}`, async () => {
        const before = (await t.call(t.tokens.erin, 'GET', '/v1/decisions?limit=200')).body.decisions.length;
        const response = await send();
        expect(response.status).toBe(status);
        if (code) expect(response.body.error.code).toBe(code);
        expect((await t.call(t.tokens.erin, 'GET', '/v1/decisions?limit=200')).body.decisions.length).toBe(
          before,
        );
      });

    it('treats a huge command as opaque rather than parsing it', async () => {
      const command = `echo ${'a'.repeat(100_000)}`;
      const answer = await hook('claude-code', session('s-huge', { ...bash, tool_input: { command } }));
      expect(answer.body.hookSpecificOutput.permissionDecision).toBe('deny');
      const recorded = await decision(answer.decisionId!);
      expect(recorded.request.context.command).toMatchObject({
        opaque: true,
        opaqueReasons: ['too-large'],
        commands: [],
      });
      expect(recorded.request.context.command.raw.length).toBeLessThan(2000);
    });
  });
});
