import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerWithoutBody, eventually, openRaw, type RawConnection } from '../helpers/raw-http.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * One client must not starve the others: the attacks of issue 18 reproduced against a real server
 * on loopback, with the limits lowered so they run in seconds. Every assertion is about what the
 * server refuses or accepts, and in which order — never about how long anything took.
 */

const MiB = 1024 * 1024;

/**
 * GET `path` from `localAddress` (with `token`, if any) on a connection of its own, closed after
 * the answer: an idle keep-alive connection would count against the limits under test.
 */
function getFrom(
  url: string,
  path: string,
  localAddress: string,
  token?: string,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}${path}`,
      { localAddress, agent: false, headers: token ? { authorization: `Bearer ${token}` } : {} },
      (res) => {
        let text = '';
        res.on('data', (chunk) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Open connections as the server's socket sees them (refused ones until they are closed). */
function openConnections(server: TestServer): Promise<number> {
  return new Promise((resolve, reject) =>
    server.app.server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
  );
}

/** An NDJSON batch of about `bytes` bytes: `lines` events padded to size. */
function ndjson(bytes: number, lines: number): string {
  const pad = 'x'.repeat(Math.max(0, Math.floor(bytes / lines) - 80));
  return Array.from(
    { length: lines },
    (_, i) => `{"id":"budget-${i}-${bytes}","features":{"note":"${pad}"},"prediction":"good"}`,
  ).join('\n');
}

/** POSTs `body` to `path` with `token`, as NDJSON; `chunked` sends it without a Content-Length. */
function post(
  url: string,
  path: string,
  token: string,
  body: string,
  chunked = false,
): Promise<{ status: number; headers: Record<string, unknown>; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}${path}`,
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/x-ndjson',
          ...(chunked ? {} : { 'content-length': String(Buffer.byteLength(body)) }),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk) => {
          text += chunk;
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: text ? JSON.parse(text) : undefined,
          }),
        );
      },
    );
    req.on('error', (error) => {
      // A refusal mid-body closes the connection while the rest is being written.
      if (
        (error as NodeJS.ErrnoException).code !== 'EPIPE' &&
        (error as NodeJS.ErrnoException).code !== 'ECONNRESET'
      )
        reject(error);
    });
    if (!chunked) {
      req.end(body);
      return;
    }
    const piece = 256 * 1024;
    let at = 0;
    const more = () => {
      while (at < body.length) {
        const ok = req.write(body.slice(at, at + piece));
        at += piece;
        if (!ok) return void req.once('drain', more);
      }
      req.end();
    };
    more();
  });
}

describe('connections: one address cannot hold them all', () => {
  let server: TestServer;
  const perAddress = 20;
  const total = 60;

  beforeAll(async () => {
    server = await startTestServer({
      transport: 'socket',
      limits: {
        connectionsPerAddress: perAddress,
        maxConnections: total,
        headersTimeoutMs: 3_000,
        requestTimeoutMs: 6_000,
        rateLimit: 0,
      },
    });
  });
  afterAll(async () => server?.close());

  const slow = (address: string) =>
    openRaw(server.url, 'GET /v1/me HTTP/1.1\r\nhost: x\r\nx-slow: ', address);

  it('2,000 connections that never finish their headers from one address leave others served', async () => {
    const flood: RawConnection[] = [];
    try {
      for (let i = 0; i < 2_000; i += 200) {
        for (let j = 0; j < 200; j++) flood.push(slow('127.0.0.2'));
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      // All but the per-address limit are answered and closed at once.
      await eventually(
        () => flood.filter((c) => c.closed()).length >= flood.length - perAddress,
        'the connections over the per-address limit are closed',
        30_000,
      );
      const refused = flood.map((c) => c.answer()).filter((answer) => answer !== undefined);
      expect(refused.length).toBeGreaterThan(0);
      expect(refused[0]).toMatchObject({
        status: 429,
        body: {
          error: {
            code: 'ARB_ERR_RATE_LIMITED',
            details: { reason: 'connections-per-address', limit: perAddress },
          },
        },
      });
      // Another address is served while the flood holds its share.
      const other = await getFrom(server.url, '/v1/me', '127.0.0.3', server.tokens.erin);
      expect(other.status).toBe(200);
      expect(JSON.parse(other.text).role).toBe('auditor');
      // The ones held are closed by the headers timeout; then the flooding address is served again.
      await eventually(() => flood.every((c) => c.closed()), 'the held connections time out');
      expect((await getFrom(server.url, '/v1/me', '127.0.0.2', server.tokens.erin)).status).toBe(200);
      const metrics = (await getFrom(server.url, '/metrics', '127.0.0.1')).text;
      const counted = Number(
        /arbiter_connections_refused_total\{reason="connections-per-address"\} (\d+)/.exec(metrics)?.[1],
      );
      // Nearly all: a slow one that passed its headers timeout while the flood was still opening
      // was closed to make room for the next.
      expect(counted).toBeGreaterThan(1_800);
      expect(counted).toBeLessThanOrEqual(2_000 - perAddress);
    } finally {
      for (const c of flood) c.socket.destroy();
    }
  }, 60_000);

  it('at the total limit a newcomer is refused with 503, and served once the slow ones time out', async () => {
    const held: RawConnection[] = [];
    await eventually(async () => (await openConnections(server)) === 0, 'the earlier connections are gone');
    try {
      for (const address of ['127.0.0.4', '127.0.0.5', '127.0.0.6'])
        for (let i = 0; i < perAddress; i++) held.push(slow(address));
      // Every one of them admitted, none yet past its headers timeout: the server is full.
      await eventually(async () => (await openConnections(server)) === total, 'all 60 connections are open');
      const newcomer = slow('127.0.0.7');
      await eventually(() => newcomer.closed(), 'the connection over the total is refused');
      expect(newcomer.answer()).toMatchObject({
        status: 503,
        body: { error: { code: 'ARB_ERR_UNAVAILABLE', details: { reason: 'connections', limit: total } } },
      });
      await eventually(() => held.every((c) => c.closed()), 'the held connections time out');
      expect((await getFrom(server.url, '/v1/me', '127.0.0.7', server.tokens.erin)).status).toBe(200);
    } finally {
      for (const c of held) c.socket.destroy();
    }
  }, 60_000);
});

describe('bodies: authorised before they are read, and budgeted per token', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({
      transport: 'socket',
      limits: { byteRateLimit: 20 * MiB, rateLimit: 0 },
    });
  });
  afterAll(async () => server?.close());

  it('an NDJSON batch over its item limit is refused at the line that crosses it, without reading on', async () => {
    const lines = `${Array.from({ length: 10_001 }, (_, i) => `{"id":"many-${i}","prediction":"good"}`).join('\n')}\n`;
    // Declares a megabyte more than it sends: the answer can only come before the body ends.
    const connection = openRaw(
      server.url,
      [
        'POST /v1/monitor/credit-scoring/events HTTP/1.1',
        'host: x',
        `authorization: Bearer ${server.tokens.root}`,
        'content-type: application/x-ndjson',
        `content-length: ${Buffer.byteLength(lines) + MiB}`,
        '',
        lines,
      ].join('\r\n'),
    );
    await eventually(() => connection.answer() !== undefined, 'the batch is refused');
    expect(connection.answer()).toMatchObject({
      status: 413,
      body: { error: { code: 'ARB_ERR_MONITOR_BATCH_TOO_LARGE', details: { limit: 10_000 } } },
    });
    connection.socket.destroy();
  });

  it('a request whose body was read keeps its connection; only an early refusal closes it', async () => {
    const body = JSON.stringify({ title: 'keep-alive probe', system: 'deploy-bot' });
    const connection = openRaw(
      server.url,
      `GET /v1/me HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${server.tokens.erin}\r\n\r\n` +
        `POST /v1/decisions/explain HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${server.tokens.alice}\r\n` +
        `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    await eventually(
      () =>
        (
          connection
            .received()
            .toString()
            .match(/HTTP\/1\.1 /g) ?? []
        ).length === 2,
      'two answers',
    );
    expect(connection.received().toString()).not.toMatch(/connection: close/i);
    expect(connection.closed()).toBe(false);
    connection.socket.destroy();
  });

  it('four 16 MiB monitoring posts by an agent for Systems it may not feed are refused before their bodies', async () => {
    const t = server.tokens;
    const headers = { authorization: `Bearer ${t.deployBot}`, 'content-type': 'application/x-ndjson' };
    const posts = [
      // Its own System, which is not monitored; another System, which is not its own.
      answerWithoutBody(server.url, 'POST', '/v1/monitor/deploy-bot/events', headers, 16 * MiB),
      answerWithoutBody(server.url, 'POST', '/v1/monitor/deploy-bot/labels', headers, 16 * MiB),
      answerWithoutBody(server.url, 'POST', '/v1/monitor/credit-scoring/events', headers, 16 * MiB),
      answerWithoutBody(server.url, 'POST', '/v1/monitor/credit-scoring/labels', headers, 16 * MiB),
    ];
    // Asked while the four wait with their bodies withheld.
    const approver = server.call(t.alice, 'GET', '/v1/decisions?limit=5');
    const answers = await Promise.all(posts);
    expect(answers.map((a) => [a.status, (a.body as any).error.code])).toEqual([
      [422, 'ARB_ERR_MONITOR_NOT_CONFIGURED'],
      [422, 'ARB_ERR_MONITOR_NOT_CONFIGURED'],
      [403, 'ARB_ERR_FORBIDDEN'],
      [403, 'ARB_ERR_FORBIDDEN'],
    ]);
    // Refused early, so the connection is closed rather than drained of 16 MiB.
    for (const answer of answers) expect(answer.headers.connection).toBe('close');
    expect((await approver).status).toBe(200);
  });

  it('a token over its byte budget is refused before its next body is read; other tokens are not', async () => {
    const t = server.tokens;
    const path = '/v1/monitor/credit-scoring/events';
    const first = await post(server.url, path, t.creditScoring!, ndjson(12 * MiB, 4_000));
    expect(first.status).toBe(200);
    expect(first.body.accepted + first.body.rejected).toBe(4_000);
    // 12 MiB of 20 spent: 16 more do not fit, and are refused from the declared length alone.
    const refused = await answerWithoutBody(
      server.url,
      'POST',
      path,
      { authorization: `Bearer ${t.creditScoring}`, 'content-type': 'application/x-ndjson' },
      16 * MiB,
    );
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({
      error: {
        code: 'ARB_ERR_RATE_LIMITED',
        details: { reason: 'bytes', limit: 20 * MiB, windowMs: 60_000 },
      },
    });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    // What is left still fits: the budget counts bytes, not requests.
    const small = await post(server.url, path, t.creditScoring!, ndjson(4 * MiB, 100));
    expect(small.status).toBe(200);
    // Another person's requests, and an admin's uploads, are not touched by the agent's budget.
    expect((await server.call(t.alice, 'GET', '/v1/decisions?limit=5')).status).toBe(200);
    expect((await post(server.url, path, t.root!, ndjson(8 * MiB, 100))).status).toBe(200);
  }, 60_000);

  it('a chunked body is charged as it streams and cut off where it runs over', async () => {
    const path = '/v1/monitor/credit-scoring/events';
    // root has spent about 9.5 MiB above (the refused batch's declared length, then 8 MiB): 13 more run over mid-stream.
    const over = await post(server.url, path, server.tokens.root!, ndjson(13 * MiB, 200), true);
    expect(over.status).toBe(429);
    expect(over.body.error.details.reason).toBe('bytes');
    expect(over.headers.connection).toBe('close');
  }, 60_000);
});
