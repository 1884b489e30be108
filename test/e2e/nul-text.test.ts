import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresAvailable } from '../helpers/postgres.js';
import { deploy, startTestServer, type TestServer } from '../helpers/server.js';
import { hookFixture } from '../hooks/fixtures.js';

/**
 * U+0000 from a caller, over real HTTP on loopback, on SQLite and on PostgreSQL. PostgreSQL text and
 * jsonb cannot hold it, SQLite can: refused at the HTTP boundary with a 400 naming the field, the two
 * backends answer alike, and a refused request never costs another caller's write its batch.
 */
const hasPostgres = await postgresAvailable();

/** Sends one raw HTTP/1.1 request; resolves with the status line's code (0 when none came back). */
function rawStatus(url: string, request: string): Promise<number> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let text = '';
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
    });
    socket.on('error', (error) => {
      if ((error as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(error);
    });
    socket.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0)));
    socket.on('connect', () => socket.end(request, 'latin1'));
  });
}

for (const backend of ['sqlite', 'postgres'] as const) {
  describe.skipIf(backend === 'postgres' && !hasPostgres)(`U+0000 over HTTP on ${backend}`, () => {
    let server: TestServer;
    let claude: string;

    beforeAll(async () => {
      server = await startTestServer({ backend, transport: 'socket' });
      claude = (
        await server.arbiter.tokens.create({ role: 'agent', systemId: 'claude-code-ci', groups: [] }, 'test')
      ).token;
    });
    afterAll(async () => {
      await server?.close();
    });

    const post = (token: string, path: string, body: string, headers: Record<string, string> = {}) =>
      fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
        body,
      }).then(async (response) => ({ status: response.status, body: (await response.json()) as any }));

    const hook = (headers: Record<string, string> = {}, payload?: Record<string, unknown>) =>
      post(
        claude,
        '/v1/hooks/claude-code',
        JSON.stringify({
          ...(payload ?? hookFixture('claude-code', 'pre-tool-use-bash')),
          session_id: 's-nul',
        }),
        headers,
      );

    it.each([
      ['action', { action: 'de\u0000ploy' }, 'body/action'],
      [
        'resource id',
        { resource: { type: 'service', id: 'pay\u0000ments', environment: 'prod' } },
        'body/resource/id',
      ],
      ['change value', { change: { linesChanged: 40, title: 'fix\u0000' } }, 'body/change/title'],
      ['change key', { change: { 'lines\u0000Changed': 40 } }, 'body/change/lines\u0000Changed'],
      ['rationale', { rationale: 'because\u0000' }, 'body/rationale'],
      ['evidence', { evidence: [{ kind: 'link', url: 'https://ci.example/\u0000' }] }, 'body/evidence/0/url'],
    ])('a decision request with NUL in its %s is a 400 naming the field', async (_, overrides, path) => {
      const answer = await post(server.tokens.deployBot!, '/v1/decisions', JSON.stringify(deploy(overrides)));
      expect(answer.status).toBe(400);
      expect(answer.body.error).toMatchObject({
        code: 'ARB_ERR_REQUEST_INVALID',
        details: { reason: 'text', path },
      });
    });

    it('a System registered with NUL in its id or spec is a 400 naming the field', async () => {
      for (const [body, path] of [
        [{ id: 'bot\u0000', kind: 'agent', owner: { team: 'platform' } }, 'body/id'],
        [{ id: 'nul-bot', kind: 'agent', owner: { team: 'plat\u0000form' } }, 'body/owner/team'],
      ] as const) {
        const answer = await post(server.tokens.root!, '/v1/systems', JSON.stringify(body));
        expect(answer.status).toBe(400);
        expect(answer.body.error.details).toMatchObject({ reason: 'text', path });
      }
    });

    it('a hook payload with NUL is a 400 naming the field', async () => {
      const payload = hookFixture('claude-code', 'pre-tool-use-bash');
      const answer = await hook({}, { ...payload, tool_input: { command: 'npm\u0000test' } });
      expect(answer.status).toBe(400);
      expect(answer.body.error.details).toMatchObject({ reason: 'text', path: 'body/tool_input/command' });
    });

    it.each([
      'arbiter-client-repository',
      'arbiter-client-branch',
      'arbiter-client-remote',
      'arbiter-client-user',
    ])('a hook header %s that percent-decodes to NUL is a 400 naming the header', async (header) => {
      const answer = await hook({ [header]: 'a%00b' });
      expect(answer.status).toBe(400);
      expect(answer.body.error).toMatchObject({
        code: 'ARB_ERR_REQUEST_INVALID',
        details: { reason: 'text', path: `headers/${header}` },
      });
      expect(answer.body.error.message).toContain('U+0000');
    });

    it('a raw NUL byte in a header is refused by the HTTP parser before any route runs', async () => {
      const body = JSON.stringify(deploy());
      const status = await rawStatus(
        server.url,
        `POST /v1/decisions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${server.tokens.deployBot}\r\n` +
          `Idempotency-Key: k\u0000\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      );
      expect(status).toBe(400);
    });

    it('an NDJSON monitoring event with NUL is refused, naming the line and the field', async () => {
      const event = { id: 'nul-1', features: { region: 'no\u0000rth' }, prediction: 1, score: 0.5 };
      const response = await fetch(`${server.url}/v1/monitor/credit-scoring/events`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${server.tokens.creditScoring}`,
          'content-type': 'application/x-ndjson',
        },
        body: `${JSON.stringify(event)}\n`,
      });
      const answer = (await response.json()) as any;
      expect(response.status).toBe(200);
      expect(answer).toMatchObject({ accepted: 0, rejected: 1 });
      expect(answer.problems[0].message).toContain('line 1');
      expect(answer.problems[0].message).toContain('/features/region');
      expect(answer.problems[0].message).toContain('U+0000');
    });

    it("one NUL request sent with good ones refuses only itself: every other caller's decision is made", async () => {
      const good = Array.from({ length: 12 }, (_, i) =>
        post(
          server.tokens.deployBot!,
          '/v1/decisions',
          JSON.stringify(deploy({ resource: { type: 'service', id: `svc-${i}`, environment: 'staging' } })),
        ),
      );
      const hostile = hook({ 'arbiter-client-repository': 'repo%00' });
      const answers = await Promise.all([...good, hostile]);
      expect((await hostile).status).toBe(400);
      for (const answer of answers.slice(0, -1)) expect([200, 201]).toContain(answer.status);
      for (const answer of answers.slice(0, -1))
        expect((await server.call(server.tokens.erin, 'GET', `/v1/decisions/${answer.body.id}`)).status).toBe(
          200,
        );
    });
  });
}
