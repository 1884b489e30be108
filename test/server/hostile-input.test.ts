import { connect } from 'node:net';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  defaultLimits,
  inspectJsonBody,
  limitOptions,
  limitsFromOptions,
  optionProperty,
  rateLimitKey,
  reservedKeys,
  resolveLimits,
} from '../../src/server/limits.js';
import { deploy, startTestServer, type TestServer } from '../helpers/server.js';

/** A JSON text nesting `depth` arrays or objects around 0. */
const nestedArrays = (depth: number) => `${'['.repeat(depth)}0${']'.repeat(depth)}`;
const nestedObjects = (depth: number) => `${'{"a":'.repeat(depth)}0${'}'.repeat(depth)}`;

/** A deploy request whose `context.deep` is the given JSON text. */
const withContext = (json: string, overrides: Record<string, unknown> = {}) =>
  JSON.stringify(deploy({ context: { deep: 0 }, ...overrides })).replace('"deep":0', `"deep":${json}`);

/** Sends raw bytes over a socket; resolves with what came back and how long until the server closed. */
function rawExchange(
  url: string,
  chunks: string[],
  options: { waitMs: number },
): Promise<{ text: string; closedAfterMs: number | undefined }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect(Number(port), hostname);
    let text = '';
    let closedAfterMs: number | undefined;
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ text, closedAfterMs });
    }, options.waitMs);
    socket.on('data', (chunk) => {
      text += chunk.toString('utf8');
    });
    socket.on('error', (error) => {
      if ((error as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(error);
    });
    socket.on('close', () => {
      closedAfterMs = Date.now() - started;
      clearTimeout(timer);
      resolve({ text, closedAfterMs });
    });
    socket.on('connect', () => {
      for (const chunk of chunks) socket.write(chunk);
    });
  });
}

describe('hostile input', () => {
  let server: TestServer;
  let t: Record<string, string>;
  const counts = async () => ({
    ledger: await server.arbiter.store.ledger.size(),
    decisions: (await server.call(t.erin, 'GET', '/v1/decisions?limit=500')).body.decisions.length,
  });

  beforeAll(async () => {
    // Hostile clients are about the wire: every call goes over the loopback socket.
    server = await startTestServer({
      transport: 'socket',
      limits: { headersTimeoutMs: 1_000, requestTimeoutMs: 2_000 },
      extraPolicies: {
        'probe.yaml': `apiVersion: arbiter/v1
kind: ActionPolicy
metadata: {name: probe}
spec:
  match: {actions: ["probe.*"]}
  rules:
    - name: inherited-members
      when: has(request.context.toString) || has(request.change.valueOf) || has(request.context.hasOwnProperty)
      effect: deny
      message: an inherited member was read as a fact
    - name: reads-context
      when: request.context.team == "sre"
      effect: allow
`,
      },
    });
    t = server.tokens;
  });
  afterAll(async () => server?.close());

  describe('JSON depth', () => {
    it.each([
      ['arrays 65 deep', nestedArrays(65)],
      ['objects 65 deep', nestedObjects(65)],
      ['arrays 100 000 deep', nestedArrays(100_000)],
      ['objects 20 000 deep', nestedObjects(20_000)],
    ])('a decision request with %s is a 400, not a 500, and records nothing', async (_name, json) => {
      const before = await counts();
      const response = await server.call(t.deployBot, 'POST', '/v1/decisions', withContext(json));
      expect(response.status).toBe(400);
      expect(response.body.error).toMatchObject({
        code: 'ARB_ERR_REQUEST_INVALID',
        message: 'the JSON body nests deeper than 64 levels',
        details: { reason: 'json-depth', limit: 64 },
      });
      expect(await counts()).toEqual(before);
    });

    it('refuses deep nesting on every JSON route, before the route runs', async () => {
      for (const [token, path] of [
        [t.deployBot, '/v1/decisions/explain'],
        [t.root, '/v1/systems'],
        [t.deployBot, '/v1/events'],
        [t.alice, '/v1/incidents'],
        [t.creditScoring, '/v1/gate-runs'],
        [t.creditScoring, '/v1/monitor/credit-scoring/events'],
      ] as const) {
        const response = await server.call(token, 'POST', path, `{"x":${nestedArrays(10_000)}}`);
        expect(response.status, path).toBe(400);
        expect(response.body.error.details, path).toEqual({ reason: 'json-depth', limit: 64 });
      }
    });

    it('accepts nesting up to the limit: policies read deep context', async () => {
      // The body is one level; context, deep and the nested arrays make up the rest.
      const response = await server.call(
        t.deployBot,
        'POST',
        '/v1/decisions/explain',
        withContext(nestedArrays(61)),
      );
      expect(response.status).toBe(200);
      expect(response.body.effect).toBeDefined();
    });
  });

  describe('JSON parsing', () => {
    it('reads application/json with parameters, and says what is wrong with a bad body', async () => {
      const explain = (payload: string, contentType = 'application/json') =>
        server.app.inject({
          method: 'POST',
          url: '/v1/decisions/explain',
          headers: { authorization: `Bearer ${t.deployBot}`, 'content-type': contentType },
          payload,
        });
      const ok = await explain(JSON.stringify(deploy()), 'application/json; charset=utf-8');
      expect(ok.statusCode).toBe(200);
      const empty = await explain('');
      expect(empty.statusCode).toBe(400);
      expect(empty.json().error.details).toEqual({ reason: 'json-empty' });
      const broken = await explain('{"action": ');
      expect(broken.statusCode).toBe(400);
      expect(broken.json().error.message).toMatch(/^the body is not valid JSON: /);
      const text = await explain(JSON.stringify(deploy()), 'text/plain');
      expect(text.statusCode).toBe(415);
      expect(text.json().error.code).toBe('ARB_ERR_UNSUPPORTED_MEDIA_TYPE');
    });

    it.each([
      ['a lone surrogate in rationale', { rationale: 'half \uD800 a pair' }, 'body/rationale'],
      ['NUL in a context value', { context: { note: 'a\u0000b' } }, 'body/context/note'],
      ['a lone surrogate in a key', { context: { 'k\uDC00': 1 } }, 'body/context/k\uDC00'],
    ])('%s is a 400 and records nothing', async (_name, overrides, path) => {
      const before = await counts();
      const response = await server.call(
        t.deployBot,
        'POST',
        '/v1/decisions',
        JSON.stringify(deploy(overrides)),
      );
      expect(response.status).toBe(400);
      expect(response.body.error.details).toEqual({ reason: 'text', path });
      expect(await counts()).toEqual(before);
    });

    it('NUL in a query string name or value, or in a path parameter, is a 400', async () => {
      for (const url of ['/v1/decisions?action=a%00b', '/v1/decisions?a%00=1', '/v1/systems/a%00b']) {
        const response = await server.call(t.erin, 'GET', url);
        expect(response.status, url).toBe(400);
        expect(response.body.error.code, url).toBe('ARB_ERR_REQUEST_INVALID');
      }
    });

    it('a leap second in since or until is a 400 naming the parameter, not a 500', async () => {
      for (const url of [
        '/v1/decisions?since=2016-12-31T23:59:60Z',
        '/v1/decisions?until=2016-12-31T23:59:60Z',
        '/v1/incidents?since=2016-12-31T23:59:60Z',
      ]) {
        const response = await server.call(t.erin, 'GET', url);
        expect(response.status, url).toBe(400);
        expect(response.body.error.message, url).toMatch(/^querystring\/(since|until) /);
      }
    });
  });

  describe('sizes', () => {
    it('a body over 256 KiB is a 413', async () => {
      const before = await counts();
      const response = await server.call(
        t.deployBot,
        'POST',
        '/v1/decisions',
        deploy({ context: { padding: 'x'.repeat(300 * 1024) } }),
      );
      expect(response.status).toBe(413);
      expect(response.body.error.code).toBe('ARB_ERR_PAYLOAD_TOO_LARGE');
      expect(await counts()).toEqual(before);
    });

    it.each([
      ['a rationale over 10 000 characters', { rationale: 'r'.repeat(10_001) }, '/rationale'],
      ['an action over 200 characters', { action: 'a'.repeat(201) }, '/action'],
      ['more than 100 evidence items', { evidence: Array.from({ length: 101 }, () => ({})) }, '/evidence'],
      ['an idempotency key over 200 characters', { idempotencyKey: 'k'.repeat(201) }, '/idempotencyKey'],
      [
        'a resource id over 500 characters',
        { resource: { type: 'service', id: 'i'.repeat(501) } },
        '/resource/id',
      ],
    ])('%s is a 400 naming the field', async (_name, overrides, path) => {
      const response = await server.call(t.deployBot, 'POST', '/v1/decisions', deploy(overrides));
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('ARB_ERR_REQUEST_INVALID');
      expect(response.body.error.message).toContain(`body${path}`);
    });

    it.each([
      ['a description over 2000 characters', { description: 'd'.repeat(2001) }, '/description'],
      [
        'an owner team over 200 characters',
        { owner: { team: 't'.repeat(201), person: 'dana@example.com' } },
        '/owner/team',
      ],
      ['an on-call rotation over 200 characters', { onCall: { rotation: 'r'.repeat(201) } }, '/onCall'],
    ])('registering a System with %s is a 400', async (_name, overrides, path) => {
      const response = await server.call(t.root, 'POST', '/v1/systems', {
        id: 'bounded-bot',
        kind: 'agent',
        owner: { team: 'platform', person: 'dana@example.com' },
        onCall: { team: 'platform-oncall' },
        autonomy: 1,
        riskTier: 'limited',
        ...overrides,
      });
      expect(response.status).toBe(400);
      expect(response.body.error.message).toContain(`body${path}`);
    });

    it('a number beyond a double (1e999) is a 400 naming its path, and nothing is stored as null', async () => {
      const system = JSON.stringify({
        id: 'infinite-bot',
        kind: 'agent',
        owner: { team: 'platform', person: 'dana@example.com' },
        onCall: { team: 'platform-oncall' },
        autonomy: 1,
        riskTier: 'limited',
        operatingConditions: { maxQps: 0 },
      }).replace('"maxQps":0', '"maxQps":1e999');
      const registered = await server.call(t.root, 'POST', '/v1/systems', system);
      expect(registered.status).toBe(400);
      expect(registered.body.error).toMatchObject({
        code: 'ARB_ERR_REQUEST_INVALID',
        details: { reason: 'non-finite-number', path: 'body/operatingConditions/maxQps' },
      });
      expect((await server.call(t.root, 'GET', '/v1/systems/infinite-bot')).status).toBe(404);
      const before = await counts();
      const asked = await server.call(
        t.deployBot,
        'POST',
        '/v1/decisions',
        JSON.stringify(deploy({ context: { ticket: 0 } })).replace('"ticket":0', '"ticket":-1e999'),
      );
      expect([asked.status, asked.body.error.details.path]).toEqual([400, 'body/context/ticket']);
      expect(await counts()).toEqual(before);
    });

    it('a path parameter longer than the router allows, or a malformed URL, is a 400 with a JSON error', async () => {
      const long = await server.call(t.erin, 'GET', `/v1/decisions/${'d'.repeat(201)}`);
      expect(long.status).toBe(400);
      expect(long.body.error).toMatchObject({
        code: 'ARB_ERR_REQUEST_INVALID',
        details: { reason: 'path-parameter-length', limit: 200 },
      });
      // A System id may be 128 characters: the router must let it through to the route.
      const system = await server.call(t.erin, 'GET', `/v1/systems/${'s'.repeat(128)}`);
      expect(system.status).toBe(404);
      const bad = await server.call(t.erin, 'GET', '/v1/decisions/%E0%A4%A');
      expect(bad.status).toBe(400);
      expect(bad.body.error.details).toEqual({ reason: 'bad-url' });
    });
  });

  describe('headers', () => {
    it('more than 100 headers is a 431 with a JSON error; 100 are fine', async () => {
      const many = (n: number) =>
        Object.fromEntries(Array.from({ length: n }, (_, i) => [`x-filler-${i}`, 'v']));
      // fetch adds host, connection, accept, accept-language, sec-fetch-mode, user-agent,
      // accept-encoding and authorization: 8 of its own.
      const tooMany = await server.call(t.erin, 'GET', '/v1/me', undefined, many(100));
      expect(tooMany.status).toBe(431);
      expect(tooMany.body.error).toMatchObject({
        code: 'ARB_ERR_HEADERS_TOO_LARGE',
        details: { limit: 100 },
      });
      const fine = await server.call(t.erin, 'GET', '/v1/me', undefined, many(80));
      expect(fine.status).toBe(200);
    });

    it('headers larger than 16 KiB in total are refused by Node with 431', async () => {
      const response = await server.call(t.erin, 'GET', '/v1/me', undefined, { 'x-big': 'b'.repeat(20_000) });
      expect(response.status).toBe(431);
    });
  });

  describe('prototype pollution', () => {
    const bodies: [string, string][] = [
      ['__proto__ at the top level', '{"__proto__": {"polluted": true}}'],
      ['__proto__ in context', withContext('{"__proto__": {"polluted": true}}')],
      ['__proto__ inside an array', withContext('[1, {"__proto__": {"polluted": true}}]')],
      ['constructor.prototype in change', withContext('0', { change: { constructor: { prototype: {} } } })],
      ['a constructor key in context', withContext('{"constructor": "x"}')],
      ['a prototype key in evidence', withContext('0', { evidence: [{ prototype: { polluted: true } }] })],
    ];

    it.each(bodies)('%s is a 400 with a message, and changes nothing', async (_name, body) => {
      const before = await counts();
      for (const path of ['/v1/decisions', '/v1/decisions/explain']) {
        const response = await server.call(t.deployBot, 'POST', path, body);
        expect(response.status, path).toBe(400);
        expect(response.body.error.code).toBe('ARB_ERR_REQUEST_INVALID');
        expect(response.body.error.message).toMatch(/__proto__|constructor|prototype/);
      }
      expect(await counts()).toEqual(before);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(Object.prototype).not.toHaveProperty('polluted');
    });

    it('names the path of a reserved key', async () => {
      const response = await server.call(
        t.deployBot,
        'POST',
        '/v1/decisions',
        withContext('{"list": [{"ok": 1}, {"prototype": 1}]}'),
      );
      expect(response.body.error.details).toEqual({
        reason: 'reserved-key',
        key: 'prototype',
        path: 'body/context/deep/list/1/prototype',
      });
    });

    it('reserved keys in every other body are refused too', async () => {
      for (const [token, path] of [
        [t.root, '/v1/systems'],
        [t.deployBot, '/v1/events'],
        [t.alice, '/v1/incidents'],
        [t.creditScoring, '/v1/gate-runs'],
        [t.alice, '/v1/systems/deploy-bot/freeze'],
        [t.creditScoring, '/v1/monitor/credit-scoring/events'],
      ] as const) {
        const response = await server.call(token, 'POST', path, '[{"constructor": {"prototype": {"x": 1}}}]');
        expect(response.status, path).toBe(400);
      }
      const system = await server.call(t.erin, 'GET', '/v1/systems/deploy-bot');
      expect(system.body.status).toBe('active');
    });

    it('an NDJSON monitoring line with a reserved key is one rejected event, not a polluted one', async () => {
      const lines = [
        '{"__proto__": {"polluted": true}, "prediction": "good", "features": {}}',
        '{"prediction": "good", "features": {"constructor": 1}}',
      ].join('\n');
      const response = await server.call(
        t.creditScoring,
        'POST',
        '/v1/monitor/credit-scoring/events',
        lines,
        { 'content-type': 'application/x-ndjson' },
      );
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ accepted: 0, rejected: 2 });
      expect(response.body.problems).toEqual([
        { index: 0, line: 1, message: 'line 1: the key "__proto__" is not allowed (at /__proto__)' },
        {
          index: 1,
          line: 2,
          message: 'line 2: the key "constructor" is not allowed (at /features/constructor)',
        },
      ]);
      expect(Object.prototype).not.toHaveProperty('polluted');
    });

    it('CEL facts come from the request’s own keys, never from inherited members', async () => {
      const explain = (body: Record<string, unknown>) =>
        server.call(t.deployBot, 'POST', '/v1/decisions/explain', {
          action: 'probe.read',
          resource: { type: 'service', id: 'payments', environment: 'staging' },
          rationale: 'probe',
          ...body,
        });
      const plain = await explain({ context: { team: 'sre' }, change: {} });
      expect(plain.status).toBe(200);
      expect(plain.body.effect).toBe('allow');
      expect(JSON.stringify(plain.body)).not.toContain('an inherited member');
      // Keys that shadow Object.prototype members are data like any other.
      const shadowing = await explain({ context: { team: 'sre', toString: 'x' }, change: {} });
      expect(shadowing.status).toBe(200);
      expect(shadowing.body.effect).toBe('deny');
    });
  });

  describe('slow clients', () => {
    it('a client that never finishes its headers is disconnected after the headers timeout', async () => {
      const { text, closedAfterMs } = await rawExchange(
        server.url,
        ['GET /v1/me HTTP/1.1\r\nHost: localhost\r\nX-Slow: '],
        { waitMs: 8_000 },
      );
      // Closed by the server within the 8 s the client waits (the headers timeout is 1 s).
      expect(closedAfterMs).toBeDefined();
      // Node's headers check hands the socket to the server's client-error handler, which answers 408.
      expect(text).toMatch(/^HTTP\/1\.1 408 /);
      expect(text).toContain('ARB_ERR_REQUEST_INVALID');
    });

    it('a client that never finishes its body is disconnected after the request timeout', async () => {
      const { text, closedAfterMs } = await rawExchange(
        server.url,
        [
          `POST /v1/decisions HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${t.deployBot}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"action":`,
        ],
        { waitMs: 9_000 },
      );
      // Closed by the server within the 9 s the client waits, not by the client giving up.
      expect(closedAfterMs).toBeDefined();
      expect(text).toMatch(/^HTTP\/1\.1 408 /);
    });

    it('keeps serving afterwards', async () => {
      expect((await server.call(undefined, 'GET', '/healthz')).status).toBe(200);
      expect((await server.call(t.erin, 'GET', '/v1/me')).status).toBe(200);
    });

    it('carries the timeouts into the HTTP server', () => {
      expect(server.app.initialConfig).toMatchObject({
        connectionTimeout: defaultLimits.connectionTimeoutMs,
        requestTimeout: 2_000,
        keepAliveTimeout: defaultLimits.keepAliveTimeoutMs,
        onProtoPoisoning: 'error',
        onConstructorPoisoning: 'error',
      });
      expect(server.app.server.headersTimeout).toBe(1_000);
      expect(server.app.server.maxHeadersCount).toBe(defaultLimits.maxHeaders + 1);
    });
  });
});

describe('content codings', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ transport: 'socket' });
  });
  afterAll(async () => server?.close());

  it('a body with a content-encoding the server does not undo is a 415, recording nothing', async () => {
    const before = await server.arbiter.store.ledger.size();
    for (const coding of ['br', 'gzip', 'identity, gzip']) {
      const refused = await server.call(server.tokens.deployBot, 'POST', '/v1/decisions', deploy(), {
        'content-encoding': coding,
      });
      expect([refused.status, refused.body.error.code]).toEqual([415, 'ARB_ERR_UNSUPPORTED_MEDIA_TYPE']);
    }
    expect(await server.arbiter.store.ledger.size()).toBe(before);
    const plain = await server.call(server.tokens.deployBot, 'POST', '/v1/decisions', deploy(), {
      'content-encoding': 'identity',
    });
    expect(plain.status).toBe(201);
  });
});

describe('rate limits', () => {
  let server: TestServer;
  let t: Record<string, string>;

  beforeAll(async () => {
    server = await startTestServer({
      transport: 'socket',
      limits: { rateLimit: 5, rateLimitWindowMs: 60_000 },
    });
    t = server.tokens;
  });
  afterAll(async () => server?.close());

  it('a token over its limit gets 429 with Retry-After; other tokens are unaffected', async () => {
    const first = await fetch(`${server.url}/v1/me`, { headers: { authorization: `Bearer ${t.erin}` } });
    expect(first.status).toBe(200);
    expect(first.headers.get('x-ratelimit-limit')).toBe('5');
    expect(first.headers.get('x-ratelimit-remaining')).toBe('4');
    for (let i = 0; i < 4; i++) expect((await server.call(t.erin, 'GET', '/v1/me')).status).toBe(200);
    const before = await server.arbiter.store.ledger.size();
    const limited = await fetch(`${server.url}/v1/decisions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.erin}`, 'content-type': 'application/json' },
      body: JSON.stringify(deploy()),
    });
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    const body = (await limited.json()) as { error: { code: string; message: string; details: unknown } };
    expect(body.error).toMatchObject({
      code: 'ARB_ERR_RATE_LIMITED',
      details: { limit: 5, windowMs: 60_000 },
    });
    expect(body.error.message).toMatch(/more than 5 requests in 60 s; retry in/);
    expect(await server.arbiter.store.ledger.size()).toBe(before);
    expect((await server.call(t.alice, 'GET', '/v1/me')).status).toBe(200);
  });

  it('anonymous requests count against their address; probes are never limited', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await server.call(undefined, 'GET', '/v1/me')).status);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.at(-1)).toBe(429);
    for (let i = 0; i < 10; i++) {
      expect((await server.call(undefined, 'GET', '/healthz')).status).toBe(200);
      expect((await server.call(undefined, 'GET', '/readyz')).status).toBe(200);
    }
    // A token still counts against itself, not the exhausted address.
    expect((await server.call(t.bob, 'GET', '/v1/me')).status).toBe(200);
  });

  it('an address rotating made-up tokens gets 429 once it has failed too often; valid tokens still work', async () => {
    const rotating = await startTestServer({
      transport: 'socket',
      limits: { rateLimit: 5, rateLimitWindowMs: 60_000 },
    });
    try {
      const statuses: number[] = [];
      let last: Response | undefined;
      for (let i = 0; i < 7; i++) {
        last = await fetch(`${rotating.url}/v1/me`, { headers: { authorization: `Bearer arb_madeup${i}` } });
        statuses.push(last.status);
      }
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
      expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(((await last!.json()) as { error: { code: string } }).error.code).toBe('ARB_ERR_RATE_LIMITED');
      expect((await rotating.call(rotating.tokens.alice, 'GET', '/v1/me')).status).toBe(200);
    } finally {
      await rotating.close();
    }
  });

  it('keys the limiter by a hash of the token, never the token itself', () => {
    const request = (authorization?: string) =>
      ({ headers: authorization ? { authorization } : {}, ip: '192.0.2.7' }) as never;
    const key = rateLimitKey(request(`Bearer ${t.erin}`));
    expect(key).toMatch(/^token:[A-Za-z0-9_-]{43}$/);
    expect(key).not.toContain(t.erin!.slice(4));
    expect(rateLimitKey(request(`bearer ${t.erin}`))).toBe(key);
    expect(rateLimitKey(request(`Bearer ${t.bob}`))).not.toBe(key);
    expect(rateLimitKey(request())).toBe('address:192.0.2.7');
  });
});

describe('limit options', () => {
  it('are checked once and frozen', () => {
    const limits = resolveLimits({ rateLimit: 0 });
    expect(Object.isFrozen(limits)).toBe(true);
    expect(limits).toEqual({ ...defaultLimits, rateLimit: 0 });
    expect(() => resolveLimits({ jsonDepth: 0 })).toThrow(/jsonDepth must be an integer of at least 1/);
    expect(() => resolveLimits({ bodyLimit: 1.5 })).toThrow(/bodyLimit/);
    expect(() => resolveLimits({ connectionTimeoutMs: 30_000 })).toThrow(/longest long poll/);
    expect(() => resolveLimits({ headersTimeoutMs: 200_000 })).toThrow(/headers timeout/);
  });

  it('arbiter serve takes each limit as an option or an environment variable', () => {
    const command = new Command().exitOverride();
    for (const option of limitOptions) command.option(option.flag, option.description);
    command.parse(['--rate-limit', '7', '--rate-limit-window', '30', '--keep-alive-timeout', '80000'], {
      from: 'user',
    });
    const every = new Command().exitOverride();
    for (const option of limitOptions) every.option(option.flag, option.description);
    every.parse(
      limitOptions.flatMap((option) => [option.flag.split(' ')[0]!, '1']),
      { from: 'user' },
    );
    expect(Object.keys(every.opts()).sort()).toEqual(limitOptions.map(optionProperty).sort());
    const limits = limitsFromOptions(command.opts(), { ARBITER_JSON_DEPTH: '32', ARBITER_RATE_LIMIT: '9' });
    expect(limits).toMatchObject({
      rateLimit: 7,
      rateLimitWindowMs: 30_000,
      keepAliveTimeoutMs: 80_000,
      jsonDepth: 32,
      bodyLimit: defaultLimits.bodyLimit,
    });
    expect(() => limitsFromOptions({ maxHeaders: '1e3' }, {})).toThrow(
      '--max-headers 1e3 must be a whole number',
    );
    expect(() => limitsFromOptions({}, { ARBITER_BODY_LIMIT: '-5' })).toThrow('$ARBITER_BODY_LIMIT -5');
  });

  it('inspectJsonBody walks without recursion and finds every reserved key', () => {
    let deep: unknown = 0;
    for (let i = 0; i < 1_000_000; i++) deep = [deep];
    expect(inspectJsonBody(deep, 64)?.reason).toBe('json-depth');
    for (const key of reservedKeys) {
      const value = JSON.parse(`{"a": [{"b": {"${key}": 1}}]}`);
      expect(inspectJsonBody(value, 64)).toMatchObject({
        reason: 'reserved-key',
        key,
        path: `body/a/0/b/${key}`,
      });
    }
    expect(inspectJsonBody({ 'a/b': { 'c~d': { constructor: 1 } } }, 64)).toMatchObject({
      path: 'body/a~1b/c~0d/constructor',
    });
    expect(inspectJsonBody({ a: [1, 'x', null, { b: true }] }, 64)).toBeUndefined();
  });
});
