import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * What /openapi.json declares each operation answers, checked against what it really answers over
 * real HTTP on loopback when a request is wrong in the ways every client can get wrong: no bearer
 * token, a body that is not JSON (Fastify's 415), a JSON body cut off. Every status seen must be
 * declared for that operation, under every role's token.
 */

interface Operation {
  responses?: Record<string, unknown>;
  requestBody?: unknown;
}

const bodyMethods = new Set(['post', 'put', 'patch', 'delete']);

/** A value for each path parameter: one the route's schema accepts, so the probe reaches the body. */
const parameterValues: Record<string, string> = { agent: 'claude-code', system: 'credit-scoring' };

describe('every status a route answers is declared in /openapi.json', () => {
  let server: TestServer;
  let operations: { method: string; path: string; declared: Set<string> }[];

  beforeAll(async () => {
    server = await startTestServer({ transport: 'socket' });
    const document = (await (await fetch(`${server.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, Operation>>;
    };
    operations = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({
        method,
        path,
        declared: new Set(Object.keys(operation.responses ?? {})),
      })),
    );
  });
  afterAll(async () => {
    await server?.close();
  });

  /** The operation's path with each `{parameter}` filled in. */
  const urlOf = (path: string) =>
    path.replace(/\{([^}]+)\}/g, (_, name: string) => parameterValues[name] ?? 'probe-id');

  async function statusOf(
    method: string,
    path: string,
    token: string | undefined,
    body?: { type: string; text: string },
  ): Promise<number> {
    const response = await fetch(`${server.url}${urlOf(path)}`, {
      method: method.toUpperCase(),
      redirect: 'manual',
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body ? { 'content-type': body.type } : {}),
      },
      ...(body ? { body: body.text } : {}),
    });
    await response.arrayBuffer();
    return response.status;
  }

  /** The status of a request that declares a body larger than any route's limit and sends none of it. */
  function oversizedStatus(method: string, path: string, token: string): Promise<number> {
    const { hostname, port } = new URL(server.url);
    return new Promise((resolve, reject) => {
      const socket = connect(Number(port), hostname);
      let text = '';
      socket.on('data', (chunk) => {
        text += chunk.toString('latin1');
        const status = /^HTTP\/1\.1 (\d{3})/.exec(text)?.[1];
        if (status) {
          socket.destroy();
          resolve(Number(status));
        }
      });
      socket.on('error', reject);
      socket.on('close', () => resolve(0));
      socket.write(
        `${method.toUpperCase()} ${urlOf(path)} HTTP/1.1\r\nHost: probe\r\nAuthorization: Bearer ${token}\r\n` +
          'Content-Type: application/json\r\nContent-Length: 1073741824\r\n\r\n',
      );
    });
  }

  it('covers every operation (a test that found none would pass)', () => {
    expect(operations.length).toBeGreaterThanOrEqual(39);
  });

  it('without a bearer token', async () => {
    const undeclared: string[] = [];
    for (const { method, path, declared } of operations) {
      const status = await statusOf(
        method,
        path,
        undefined,
        bodyMethods.has(method) ? { type: 'application/json', text: '{}' } : undefined,
      );
      if (!declared.has(String(status))) undeclared.push(`${method} ${path}: ${status}`);
    }
    expect(undeclared).toEqual([]);
  });

  for (const [probe, body, expected] of [
    ['with a body that is not JSON (text/plain)', { type: 'text/plain', text: 'not json' }, 415],
    ['with a body of another type (application/xml)', { type: 'application/xml', text: '<a/>' }, 415],
    ['with JSON cut off', { type: 'application/json', text: '{"action": ' }, 400],
  ] as const) {
    it(probe, async () => {
      const undeclared: string[] = [];
      const seen = new Set<number>();
      for (const { method, path, declared } of operations) {
        if (!bodyMethods.has(method)) continue;
        for (const role of ['root', 'deployBot', 'alice', 'erin', 'creditScoring'] as const) {
          const status = await statusOf(method, path, server.tokens[role], body);
          seen.add(status);
          if (!declared.has(String(status))) undeclared.push(`${method} ${path} [${role}]: ${status}`);
        }
      }
      expect(undeclared).toEqual([]);
      // The probe reached the body (not only refusals of the token) somewhere.
      expect(seen).toContain(expected);
    });
  }

  it('with a body larger than the route takes', async () => {
    const undeclared: string[] = [];
    const seen = new Set<number>();
    for (const { method, path, declared } of operations) {
      if (!bodyMethods.has(method)) continue;
      for (const role of ['root', 'deployBot', 'alice', 'erin', 'creditScoring'] as const) {
        const status = await oversizedStatus(method, path, server.tokens[role]!);
        seen.add(status);
        if (!declared.has(String(status))) undeclared.push(`${method} ${path} [${role}]: ${status}`);
      }
    }
    expect(undeclared).toEqual([]);
    expect(seen).toContain(413);
  });
});
