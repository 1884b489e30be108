import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DecisionRequestSchema, OutcomeRequestSchema } from '../../src/app/decisions/requests.js';
import { ArbiterClient } from '../../src/client/index.js';
import { serveMcpOverHttp } from '../../src/mcp/http.js';
import { startProxy } from '../../src/mcp/proxy.js';
import { createArbiterMcpServer } from '../../src/mcp/tools.js';
import { ActionRequestSchema } from '../../src/policy/request.js';
import { repoRoot } from '../helpers/cli.js';
import { eventually } from '../helpers/raw-http.js';
import { deploy, startTestServer, type TestServer, waitForPending } from '../helpers/server.js';

const bin = fileURLToPath(new URL('../../bin/arbiter.js', import.meta.url));
const notesServer = fileURLToPath(new URL('../fixtures/mcp-notes-server.mjs', import.meta.url));
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
  // Clients below share the server; move its clock so policies with history see a quiet hour.
  server.clock.advance(3 * 60 * 60 * 1000);
});
afterAll(async () => {
  await server?.close();
});

const agentClient = () => new ArbiterClient({ url: server.url, token: server.tokens.deployBot! });
const json = (result: unknown) => JSON.parse((result as { content: { text: string }[] }).content[0]!.text);

/** `{a: {a: … 1}}`, `depth` objects deep: built without recursion, far deeper than any stack. */
function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

const decisionCount = async () =>
  (await server.call(server.tokens.erin, 'GET', '/v1/decisions?limit=500')).body.decisions.length;

async function linkedClient(serve: (transport: InMemoryTransport) => Promise<unknown>): Promise<Client> {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await serve(serverSide);
  const client = new Client({ name: 'test-agent', version: '1.0.0' });
  await client.connect(clientSide);
  return client;
}

describe('arbiter mcp serve: the tools', () => {
  it('request_action, wait_for_decision, start_action and report_outcome carry a decision from pending to its outcome; a second start is refused', async () => {
    const client = await linkedClient((transport) =>
      createArbiterMcpServer(agentClient(), { dashboardUrl: 'https://arbiter.example' }).connect(transport),
    );
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual([
      'explain_policy',
      'report_outcome',
      'request_action',
      'start_action',
      'wait_for_decision',
    ]);

    const asked = json(
      await client.callTool({ name: 'request_action', arguments: deploy({ change: { linesChanged: 900 } }) }),
    );
    expect(asked).toMatchObject({
      status: 'pending',
      approvalUrl: `https://arbiter.example/decisions/${asked.decisionId}`,
    });
    expect(asked.approvalsNeeded).toEqual([{ count: 2, from: ['group:sre', 'owner'], ttl: '1h' }]);

    const waited = client.callTool({
      name: 'wait_for_decision',
      arguments: { decisionId: asked.decisionId, timeoutSeconds: 20 },
    });
    // The votes go in only once the server holds the tool's long poll: the answer is a wake-up.
    await eventually(() => server.arbiter.events.waiting === 1, 'the tool is waiting');
    await server.call(server.tokens.alice, 'POST', `/v1/decisions/${asked.decisionId}/approvals`, {
      verdict: 'approve',
      reason: 'ok',
    });
    await server.call(server.tokens.paul, 'POST', `/v1/decisions/${asked.decisionId}/approvals`, {
      verdict: 'approve',
      reason: 'ok',
    });
    const allowed = json(await waited);
    expect(allowed).toMatchObject({ decisionId: asked.decisionId, status: 'allowed' });
    expect(allowed.next).toContain('start_action');
    expect(allowed.startBy).toEqual(expect.any(String));

    const started = await client.callTool({
      name: 'start_action',
      arguments: { decisionId: asked.decisionId },
    });
    expect(json(started)).toMatchObject({ status: 'started' });
    const again = await client.callTool({
      name: 'start_action',
      arguments: { decisionId: asked.decisionId },
    });
    expect(again.isError).toBe(true);
    expect(json(again).error.code).toBe('ARB_ERR_DECISION_ALREADY_STARTED');

    const reported = json(
      await client.callTool({
        name: 'report_outcome',
        arguments: { decisionId: asked.decisionId, status: 'succeeded', detail: 'green' },
      }),
    );
    expect(reported.outcome).toMatchObject({ status: 'succeeded', detail: 'green' });
  });

  it('explain_policy answers without recording a decision', async () => {
    const client = await linkedClient((transport) =>
      createArbiterMcpServer(agentClient(), { dashboardUrl: server.url }).connect(transport),
    );
    const before = (await server.call(server.tokens.erin, 'GET', '/v1/decisions?limit=500')).body.decisions
      .length;
    const explained = json(
      await client.callTool({ name: 'explain_policy', arguments: deploy({ action: 'dns.delete' }) }),
    );
    expect(explained).toMatchObject({ effect: 'deny', reasons: [] });
    const allowed = json(
      await client.callTool({
        name: 'explain_policy',
        arguments: deploy({ resource: { type: 'service', id: 'x', environment: 'staging' } }),
      }),
    );
    expect(allowed.effect).toBe('allow');
    expect(
      (await server.call(server.tokens.erin, 'GET', '/v1/decisions?limit=500')).body.decisions.length,
    ).toBe(before);
  });

  it('API errors come back as tool errors with the code, not as protocol failures', async () => {
    const client = await linkedClient((transport) =>
      createArbiterMcpServer(agentClient(), { dashboardUrl: server.url }).connect(transport),
    );
    const { rationale: _, ...noRationale } = deploy();
    const result = await client.callTool({
      name: 'request_action',
      arguments: { ...noRationale, rationale: ' ' },
    });
    expect(result.isError).toBe(true);
    expect(json(result).error.code).toBe('ARB_ERR_RATIONALE_REQUIRED');
  });

  it('refuses hostile arguments as tool errors naming the problem, before asking Arbiter', async () => {
    const client = await linkedClient((transport) =>
      createArbiterMcpServer(agentClient(), { dashboardUrl: server.url }).connect(transport),
    );
    const before = await decisionCount();
    const cases: [Record<string, unknown>, Record<string, unknown>][] = [
      // Deep enough to overflow JSON.stringify and canonical JSON (it came back as
      // ARB_CLIENT_UNREACHABLE "Maximum call stack size exceeded").
      [{ context: { deep: nested(100_000) } }, { reason: 'json-depth', limit: 64 }],
      [{ context: { deep: nested(65) } }, { reason: 'json-depth', limit: 64 }],
      // The SDK's validation copied `context` and dropped this key silently: the request was allowed.
      [
        { context: JSON.parse('{"__proto__": {"role": "admin"}}') },
        { reason: 'reserved-key', key: '__proto__', path: 'arguments/context/__proto__' },
      ],
      [
        { change: { a: [{ constructor: { prototype: 1 } }] } },
        { reason: 'reserved-key', key: 'constructor', path: 'arguments/change/a/0/constructor' },
      ],
      [{ rationale: 'nul \u0000 inside' }, { reason: 'text', path: 'arguments/rationale' }],
      [{ context: { '\ud800': 1 } }, { reason: 'text', path: 'arguments/context/\ud800' }],
    ];
    for (const [overrides, details] of cases) {
      for (const tool of ['request_action', 'explain_policy']) {
        const result = await client.callTool({ name: tool, arguments: deploy(overrides) });
        expect(result.isError, tool).toBe(true);
        expect(json(result).error, tool).toMatchObject({ code: 'ARB_ERR_REQUEST_INVALID', details });
      }
    }
    expect(
      json(
        await client.callTool({
          name: 'request_action',
          arguments: deploy({ context: { deep: nested(100_000) } }),
        }),
      ).error.message,
    ).toBe('the JSON tool arguments nest deeper than 64 levels');
    expect(await decisionCount()).toBe(before);
    // The session goes on: the next call is decided as usual.
    const asked = json(await client.callTool({ name: 'request_action', arguments: deploy() }));
    expect(asked.status).toBe('allowed');
  });

  it('tool inputs are the API request schemas, and arguments are checked against them like a request body', async () => {
    const client = await linkedClient((transport) =>
      createArbiterMcpServer(agentClient(), { dashboardUrl: server.url }).connect(transport),
    );
    const { tools } = await client.listTools();
    const input = (name: string) => tools.find((candidate) => candidate.name === name)!.inputSchema;
    const apiFields = (schema: { properties: object }) => Object.keys(schema.properties).sort();
    // The same fields the HTTP API takes, closed like it; an agent must give its rationale.
    expect(Object.keys(input('request_action').properties!).sort()).toEqual(apiFields(DecisionRequestSchema));
    expect(input('request_action')).toMatchObject({
      additionalProperties: false,
      required: ['action', 'resource', 'rationale'],
    });
    expect(input('explain_policy')).toEqual(JSON.parse(JSON.stringify(ActionRequestSchema)));
    expect(input('report_outcome').properties!.status).toEqual(
      JSON.parse(JSON.stringify(OutcomeRequestSchema.properties.status)),
    );

    const before = await decisionCount();
    const refused = async (name: string, args: Record<string, unknown>) => {
      const result = await client.callTool({ name, arguments: args });
      expect(result.isError, name).toBe(true);
      return json(result).error;
    };
    expect(await refused('request_action', deploy({ confidence: 2 }))).toMatchObject({
      code: 'ARB_ERR_REQUEST_INVALID',
      details: [{ path: 'arguments/confidence' }],
    });
    expect((await refused('request_action', deploy({ misspelt: true }))).code).toBe(
      'ARB_ERR_REQUEST_INVALID',
    );
    const { rationale: _, ...unexplained } = deploy();
    expect((await refused('request_action', unexplained)).message).toContain('arguments/rationale');
    expect((await refused('report_outcome', { decisionId: 'dec_x', status: 'fine' })).code).toBe(
      'ARB_ERR_REQUEST_INVALID',
    );
    expect((await refused('wait_for_decision', { decisionId: 'dec_x', timeoutSeconds: 0 })).details).toEqual([
      expect.objectContaining({ path: 'arguments/timeoutSeconds' }),
    ]);
    expect(await refused('deploy_now', {})).toEqual({
      code: 'ARB_ERR_NOT_FOUND',
      message: 'no tool deploy_now',
    });
    expect(await decisionCount()).toBe(before);
  });

  it('runs over stdio as a real process', async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [bin, 'mcp', 'serve'],
      env: { ...process.env, ARBITER_URL: server.url, ARBITER_TOKEN: server.tokens.deployBot! } as Record<
        string,
        string
      >,
      cwd: repoRoot,
    });
    const client = new Client({ name: 'stdio-agent', version: '1.0.0' });
    await client.connect(transport);
    const explained = json(await client.callTool({ name: 'explain_policy', arguments: deploy() }));
    expect(explained.effect).toBe('allow');
    const deep = await client.callTool({
      name: 'request_action',
      arguments: deploy({ context: { deep: nested(1_000) } }),
    });
    expect(deep.isError).toBe(true);
    expect(json(deep).error).toMatchObject({
      code: 'ARB_ERR_REQUEST_INVALID',
      details: { reason: 'json-depth' },
    });
    await client.close();
  });

  it('runs over Streamable HTTP, each client with its own agent token', async () => {
    const http = await serveMcpOverHttp({
      host: '127.0.0.1',
      port: 0,
      arbiterUrl: server.url,
      dashboardUrl: server.url,
    });
    try {
      const transport = new StreamableHTTPClientTransport(new URL(http.url), {
        requestInit: { headers: { authorization: `Bearer ${server.tokens.migrateBot}` } },
      });
      const client = new Client({ name: 'http-agent', version: '1.0.0' });
      await client.connect(transport);
      const asked = json(
        await client.callTool({
          name: 'request_action',
          arguments: {
            action: 'db.migrate',
            resource: { type: 'database', id: 'orders', environment: 'staging' },
            rationale: 'add an index',
          },
        }),
      );
      expect(asked.status).toBe('allowed');
      const decision = (await server.call(server.tokens.erin, 'GET', `/v1/decisions/${asked.decisionId}`))
        .body;
      expect(decision.actor).toEqual({ id: 'migrate-bot', ref: 'system:migrate-bot', kind: 'agent' });
      const refused = await client.callTool({
        name: 'request_action',
        arguments: {
          action: 'db.migrate',
          resource: { type: 'database', id: 'orders', environment: 'staging' },
          rationale: 'add an index',
          context: { deep: nested(1_000) },
        },
      });
      expect(refused.isError).toBe(true);
      expect(json(refused).error).toMatchObject({
        code: 'ARB_ERR_REQUEST_INVALID',
        details: { reason: 'json-depth', limit: 64 },
      });
      await client.close();
      const anonymous = await fetch(http.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      expect(anonymous.status).toBe(401);
      const forged = await fetch(http.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer arb_${'x'.repeat(43)}` },
        body: '{}',
      });
      expect(forged.status).toBe(401);
    } finally {
      await new Promise((resolve) => http.server.close(resolve));
    }
  });
});

describe('arbiter mcp proxy', () => {
  async function proxied(options: { waitMs?: number; env?: Record<string, string> } = {}) {
    let stop: () => Promise<void> = async () => {};
    const client = await linkedClient(async (transport) => {
      const proxy = await startProxy(
        {
          name: 'notes',
          command: process.execPath,
          args: [notesServer],
          ...(options.env ? { env: options.env } : {}),
          client: agentClient(),
          environment: 'prod',
          waitMs: options.waitMs ?? 20_000,
          rationale: 'notes agent at work',
          dashboardUrl: 'https://arbiter.example',
        },
        transport,
      );
      stop = () => proxy.close();
    });
    return { client, stop };
  }

  it('hides tools policy denies outright and forwards allowed calls, recording decision and outcome', async () => {
    const { client, stop } = await proxied();
    try {
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name).sort()).toEqual(['list_env_names', 'read_note', 'write_note']);
      const result = await client.callTool({ name: 'read_note', arguments: { title: 'todo' } });
      expect(result).toEqual({ content: [{ type: 'text', text: 'buy milk' }] });
      const [decision] = (
        await server.call(server.tokens.erin, 'GET', '/v1/decisions?action=mcp.tool.notes.read_note')
      ).body.decisions;
      // Claimed before the call was forwarded: it ran once, and never runs again.
      expect(decision).toMatchObject({
        status: 'started',
        resource: { type: 'mcp-tool', id: 'notes/read_note', environment: 'prod' },
      });
      expect(decision.request.context).toMatchObject({ tool: 'read_note', arguments: { title: 'todo' } });
      expect(decision.request.context.argumentsDigest).toMatch(/^sha256:/);
      // The result's content never reaches the permanent record: its size and digest do.
      expect(decision.outcome.detail).toMatch(/^tool result: text, \d+ bytes, sha256:[0-9a-f]{64}$/);
      const entries = await server.arbiter.store.ledger.entries(0, await server.arbiter.store.ledger.size());
      expect(entries.some((entry) => Buffer.from(entry.bytes).toString('utf8').includes('buy milk'))).toBe(
        false,
      );
    } finally {
      await stop();
    }
  });

  it("starts the wrapped server with this process's environment, minus Arbiter's own credentials", async () => {
    const saved = { ...process.env };
    process.env.GITHUB_PERSONAL_ACCESS_TOKEN = 'ghp_test_only';
    process.env.ARBITER_TOKEN = 'arb_must_not_leak';
    process.env.ARBITER_DB = 'postgres://arbiter:secret@db/arbiter';
    const { client, stop } = await proxied({ env: { NOTES_EXTRA: '1' } });
    try {
      const result = await client.callTool({ name: 'list_env_names', arguments: {} });
      const names = JSON.parse((result.content as { text: string }[])[0]!.text) as string[];
      expect(names).toContain('GITHUB_PERSONAL_ACCESS_TOKEN');
      expect(names).toContain('NOTES_EXTRA');
      expect(names).toContain('PATH');
      expect(names).not.toContain('ARBITER_TOKEN');
      expect(names).not.toContain('ARBITER_DB');
      expect(names.length).toBeGreaterThan(6);
    } finally {
      await stop();
      process.env = saved;
    }
  });

  it('denied calls are tool errors with the reasons; the downstream tool never runs', async () => {
    const { client, stop } = await proxied();
    try {
      const result = await client.callTool({ name: 'delete_note', arguments: { title: 'todo' } });
      expect(result.isError).toBe(true);
      expect((result.content as { text: string }[])[0]!.text).toContain(
        'mcp-tools/destructive-tools: destructive tool delete_note is not available to agents',
      );
      expect(await client.callTool({ name: 'read_note', arguments: { title: 'todo' } })).toEqual({
        content: [{ type: 'text', text: 'buy milk' }],
      });
    } finally {
      await stop();
    }
  });

  it('refuses arguments too deep to hash or with reserved keys; no decision, the tool never runs', async () => {
    const { client, stop } = await proxied();
    try {
      const before = await decisionCount();
      const cases: [Record<string, unknown>, string][] = [
        // Hashing these (argumentsDigest, canonical JSON) overflowed the stack.
        [{ title: 'todo', deep: nested(100_000) }, 'the JSON tool arguments nest deeper than 64 levels'],
        // The SDK dropped the key silently and the call ran.
        [
          JSON.parse('{"title": "todo", "__proto__": {"admin": true}}'),
          'arguments/__proto__: the key "__proto__" is not allowed in tool arguments',
        ],
        [{ title: 'to\u0000do' }, 'arguments/title contains the NUL character U+0000'],
      ];
      for (const [args, message] of cases) {
        const result = await client.callTool({ name: 'write_note', arguments: { text: 'x', ...args } });
        expect(result.isError).toBe(true);
        const text = (result.content as { text: string }[])[0]!.text;
        expect(text).toContain(
          `Arbiter refused the arguments of write_note, so it was not called (ARB_ERR_REQUEST_INVALID: ${message})`,
        );
      }
      expect(await decisionCount()).toBe(before);
      expect(await client.callTool({ name: 'read_note', arguments: { title: 'todo' } })).toEqual({
        content: [{ type: 'text', text: 'buy milk' }],
      });
    } finally {
      await stop();
    }
  });

  it('pending calls wait for approval and run with the approved arguments', async () => {
    const { client, stop } = await proxied();
    try {
      const call = client.callTool({ name: 'write_note', arguments: { title: 'plan', text: 'ship it' } });
      const pending = await waitForPending(server, 'action=mcp.tool.notes.write_note');
      const approved = await server.call(
        server.tokens.paul,
        'POST',
        `/v1/decisions/${pending.id}/approvals`,
        { verdict: 'approve', reason: 'fine' },
      );
      expect(approved.body.status).toBe('allowed');
      expect(await call).toEqual({ content: [{ type: 'text', text: 'wrote plan: ship it' }] });
    } finally {
      await stop();
    }
  });

  /** Polls (bounded) until the decision has left `pending`, and returns it. */
  async function settledDecision(id: string) {
    for (let i = 0; i < 200; i++) {
      const decision = (await server.call(server.tokens.erin, 'GET', `/v1/decisions/${id}`)).body;
      if (decision.status !== 'pending') return decision;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`decision ${id} stayed pending`);
  }
  const voteOn = (id: string) =>
    server.call(server.tokens.paul, 'POST', `/v1/decisions/${id}/approvals`, {
      verdict: 'approve',
      reason: 'too late',
    });

  it('a call still pending when the wait ends is withdrawn: it fails, and a later approval is refused', async () => {
    const { client, stop } = await proxied({ waitMs: 300 });
    try {
      const result = await client.callTool({ name: 'write_note', arguments: { title: 'x', text: 'y' } });
      expect(result.isError).toBe(true);
      const text = (result.content as { text: string }[])[0]!.text;
      expect(text).toMatch(/write_note was not called: decision dec_\S+ is withdrawn/);
      const id = /(dec_\S+) is withdrawn/.exec(text)![1]!;
      expect((await settledDecision(id)).statusReason).toMatch(/^withdrawn: no approval within/);
      const vote = await voteOn(id);
      expect(vote.status).toBe(409);
      expect(vote.body.error).toMatchObject({
        code: 'ARB_ERR_DECISION_NOT_PENDING',
        details: { status: 'withdrawn' },
      });
    } finally {
      await stop();
    }
  });

  it('a pending call whose client cancelled it (a client-side timeout) is withdrawn, and a later approval is refused', async () => {
    const { client, stop } = await proxied();
    try {
      const cancel = new AbortController();
      const call = client
        .callTool({ name: 'write_note', arguments: { title: 'gone', text: 'y' } }, undefined, {
          signal: cancel.signal,
        })
        .catch((error: unknown) => error);
      const pending = await waitForPending(server, 'action=mcp.tool.notes.write_note');
      cancel.abort('the agent gave up');
      await call;
      const decision = await settledDecision(pending.id);
      expect(decision).toMatchObject({ status: 'withdrawn' });
      expect(decision.statusReason).toContain('cancelled the call or went away');
      expect((await voteOn(pending.id)).status).toBe(409);
      const entries = (await server.call(server.tokens.erin, 'GET', '/v1/ledger/entries?start=0&end=100000'))
        .body.entries as { entry: { type: string; subject: string } }[];
      expect(entries.filter((e) => e.entry.subject === pending.id).map((e) => e.entry.type)).toEqual([
        'decision.created',
        'decision.withdrawn',
      ]);
    } finally {
      await stop();
    }
  });

  it('a pending call whose client went away is withdrawn: it cannot be approved for a call that will never run', async () => {
    const { client, stop } = await proxied();
    try {
      const call = client
        .callTool({ name: 'write_note', arguments: { title: 'left', text: 'y' } })
        .catch((error: unknown) => error);
      const pending = await waitForPending(server, 'action=mcp.tool.notes.write_note');
      await client.close();
      await call;
      expect((await settledDecision(pending.id)).status).toBe('withdrawn');
      expect((await voteOn(pending.id)).body.error.code).toBe('ARB_ERR_DECISION_NOT_PENDING');
    } finally {
      await stop();
    }
  });

  it('a tool whose definition changes mid-session is blocked and the change is recorded', async () => {
    const { client, stop } = await proxied({ env: { NOTES_RUG_PULL: '1' } });
    try {
      await client.listTools();
      const result = await client.callTool({ name: 'write_note', arguments: { title: 'a', text: 'b' } });
      expect(result.isError).toBe(true);
      expect((result.content as { text: string }[])[0]!.text).toContain(
        'changed during this session and is blocked',
      );
      expect((await client.listTools()).tools.map((tool) => tool.name).sort()).toEqual([
        'list_env_names',
        'read_note',
      ]);
      const entries = (await server.call(server.tokens.erin, 'GET', '/v1/ledger/entries?start=0&end=1000'))
        .body.entries;
      const change = entries.find((e: { entry: { type: string } }) => e.entry.type === 'mcp.tool_changed');
      expect(change.entry).toMatchObject({ actor: 'system:deploy-bot', subject: 'notes/write_note' });
      expect(change.entry.data.was).not.toBe(change.entry.data.now);
    } finally {
      await stop();
    }
  });

  it('runs as a real stdio process in front of a real stdio server', async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [bin, 'mcp', 'proxy', '--name', 'notes', '--env', 'prod', '--', process.execPath, notesServer],
      env: { ...process.env, ARBITER_URL: server.url, ARBITER_TOKEN: server.tokens.deployBot! } as Record<
        string,
        string
      >,
      cwd: repoRoot,
    });
    const client = new Client({ name: 'ide', version: '1.0.0' });
    await client.connect(transport);
    expect((await client.listTools()).tools.map((tool) => tool.name).sort()).toEqual([
      'list_env_names',
      'read_note',
      'write_note',
    ]);
    expect(await client.callTool({ name: 'read_note', arguments: { title: 'todo' } })).toEqual({
      content: [{ type: 'text', text: 'buy milk' }],
    });
    await client.close();
  });
});
