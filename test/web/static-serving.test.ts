import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/server/app.js';
import { deploy, startTestServer, type TestServer } from '../helpers/server.js';
import { tempDir } from '../helpers/temp.js';

/** `arbiter serve` serves the built dashboard at / without ever shadowing the API; /v1/me; `until`. */

let server: TestServer;
let web: FastifyInstance;
let unbuilt: FastifyInstance;
const script = `console.log(${JSON.stringify('x'.repeat(3000))});`;

beforeAll(async () => {
  server = await startTestServer();
  const root = tempDir('arbiter-web-');
  mkdirSync(join(root, 'assets'));
  writeFileSync(join(root, 'index.html'), '<!doctype html><div id="root"></div>');
  writeFileSync(join(root, 'assets', 'index-abc123.js'), script);
  writeFileSync(join(root, 'assets', 'index-abc123.css'), 'body{}');
  writeFileSync(join(root, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  web = (await buildServer(server.arbiter, { webRoot: root })).app;
  unbuilt = (await buildServer(server.arbiter, { webRoot: tempDir('arbiter-empty-') })).app;
});

afterAll(async () => {
  await web?.close();
  await unbuilt?.close();
  await server?.close();
});

describe('dashboard assets', () => {
  it('serves index.html at / and for client routes, never cached, with a strict CSP', async () => {
    for (const url of [
      '/',
      '/approvals',
      '/decisions/dec_01m849wx1qjgyf0pasdecr?x=1',
      '/monitoring/model.v2',
    ]) {
      const response = await web.inject({ url });
      expect({ url, status: response.statusCode }).toEqual({ url, status: 200 });
      expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(response.headers['cache-control']).toBe('no-cache');
      expect(response.headers['content-security-policy']).toContain("script-src 'self'");
      expect(response.body).toContain('<div id="root">');
    }
  });

  it('serves hashed assets with their content type and immutable caching, gzipped when asked', async () => {
    const js = await web.inject({
      url: '/assets/index-abc123.js',
      headers: { 'accept-encoding': 'gzip, br' },
    });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(js.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(js.rawPayload).toString()).toBe(script);
    const css = await web.inject({ url: '/assets/index-abc123.css' });
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(css.headers['content-encoding']).toBeUndefined();
    expect((await web.inject({ url: '/favicon.svg' })).headers['content-type']).toBe('image/svg+xml');
  });

  it('answers a missing asset with 404, not the app', async () => {
    for (const url of ['/assets/index-old.js', '/missing.css']) {
      const response = await web.inject({ url });
      expect({ url, status: response.statusCode }).toEqual({ url, status: 404 });
      expect(response.json().error.code).toBe('ARB_ERR_NOT_FOUND');
    }
  });

  it('never shadows the API: real routes answer, unknown API paths are JSON 404s', async () => {
    expect((await web.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await web.inject({ url: '/metrics' })).headers['content-type']).toMatch(/^text\/plain/);
    expect((await web.inject({ url: '/openapi.json' })).json().openapi).toBe('3.1.0');
    for (const url of ['/v1', '/v1/nope', '/v1/decisions/x/nope', '/metrics/x', '/openapi.json/x']) {
      const response = await web.inject({ url });
      expect({ url, status: response.statusCode }).toEqual({ url, status: 404 });
      expect(response.json().error.code).toBe('ARB_ERR_NOT_FOUND');
    }
    const unauthenticated = await web.inject({ url: '/v1/decisions' });
    expect(unauthenticated.statusCode).toBe(401);
  });

  it('shows how to build the dashboard when it was not built', async () => {
    const response = await unbuilt.inject({ url: '/approvals' });
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.body).toContain('The dashboard is not built');
    expect(response.body).toContain('npm run build');
    expect((await unbuilt.inject({ url: '/healthz' })).statusCode).toBe(200);
  });
});

describe('GET /v1/me', () => {
  it("returns the token's identity for every role", async () => {
    expect((await server.call(server.tokens.bob, 'GET', '/v1/me')).body).toMatchObject({
      id: 'bob',
      role: 'approver',
      user: 'bob',
      systemId: null,
      groups: ['sre', 'platform'],
    });
    expect((await server.call(server.tokens.deployBot, 'GET', '/v1/me')).body).toMatchObject({
      id: 'deploy-bot',
      role: 'agent',
      systemId: 'deploy-bot',
      groups: [],
    });
    expect((await server.call(server.tokens.erin, 'GET', '/v1/me')).body.role).toBe('auditor');
  });

  it('is 401 without a valid token', async () => {
    expect((await server.call(undefined, 'GET', '/v1/me')).status).toBe(401);
    expect((await server.call('arb_nope', 'GET', '/v1/me')).status).toBe(401);
  });
});

describe('GET /v1/decisions?until=', () => {
  it('lists only decisions created before the time, and pages within that range', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push((await server.call(server.tokens.deployBot, 'POST', '/v1/decisions', deploy())).body.id);
      server.clock.advance(60_000);
    }
    const until = new Date(server.clock.time.getTime() - 90_000).toISOString(); // after the 2nd, before the 3rd
    const first = await server.call(server.tokens.erin, 'GET', `/v1/decisions?until=${until}&limit=1`);
    expect(first.body.decisions.map((d: { id: string }) => d.id)).toEqual([ids[1]]);
    const second = await server.call(
      server.tokens.erin,
      'GET',
      `/v1/decisions?until=${until}&limit=1&cursor=${first.body.nextCursor}`,
    );
    expect(second.body.decisions.map((d: { id: string }) => d.id)).toEqual([ids[0]]);
  });
});
