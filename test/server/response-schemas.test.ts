import { Type } from '@sinclair/typebox';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstDifference, reportResponseDrift } from '../../src/server/response-check.js';
import {
  requireResponseSchemas,
  routesWithoutResponseSchema,
  successStatuses,
} from '../../src/server/response-schemas.js';
import { bodyRefusals, ErrorSchema, errorResponses } from '../../src/server/schemas.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

interface Operation {
  responses?: Record<string, { content?: Record<string, { schema?: Record<string, unknown> }> }>;
}

// The routes that answer text, with the content type each declares.
const textRoutes: Record<string, string> = {
  'get /metrics': 'text/plain; version=0.0.4; charset=utf-8',
  'get /v1/ledger/checkpoint': 'text/plain; charset=utf-8',
  'get /v1/ledger/key': 'text/plain; charset=utf-8',
  'get /v1/ledger/witnesses': 'text/plain; charset=utf-8',
};

describe('every route declares its answers', () => {
  let server: TestServer;
  let operations: [string, Operation][];
  beforeAll(async () => {
    server = await startTestServer();
    const document = server.app.swagger() as { paths: Record<string, Record<string, Operation>> };
    operations = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]): [string, Operation] => [
        `${method} ${path}`,
        operation,
      ]),
    );
  });
  afterAll(async () => {
    await server.close();
  });

  it('/openapi.json has a response schema for a 2xx answer on every operation', () => {
    expect(operations.length).toBeGreaterThanOrEqual(39);
    const missing = operations
      .filter(([, operation]) => {
        const statuses = Object.keys(operation.responses ?? {}).filter((status) => /^2/.test(status));
        return !statuses.some((status) =>
          Object.values(operation.responses?.[status]?.content ?? {}).some((media) => media.schema),
        );
      })
      .map(([name]) => name);
    expect(missing).toEqual([]);
  });

  it('the webhooks and the agent hook declare their refusals in the one error shape (as before errorResponses)', () => {
    const refusals = (name: string) => {
      const responses = operations.find(([operation]) => operation === name)?.[1].responses ?? {};
      return Object.entries(responses)
        .filter(([status]) => !/^2/.test(status))
        .map(([status, answer]) => [status, answer.content?.['application/json']?.schema?.description]);
    };
    const each = (...statuses: string[]) => statuses.map((status) => [status, 'Every error response']);
    expect(refusals('post /v1/integrations/github/webhook')).toEqual(
      each('400', '401', '403', '404', '409', '413', '415'),
    );
    expect(refusals('post /v1/integrations/gitlab/webhook')).toEqual(
      each('400', '401', '403', '404', '409', '413', '415'),
    );
    expect(refusals('post /v1/integrations/slack/interactions')).toEqual(
      each('400', '401', '404', '413', '415'),
    );
    // Every route that takes a body answers 415 for a content type it does not read (Fastify's).
    expect(refusals('post /v1/hooks/{agent}')).toEqual(each('400', '401', '403', '404', '409', '413', '415'));
  });

  it('errorResponses writes the error shape for each status named, and nothing else', () => {
    expect(errorResponses(400, 415)).toEqual({ 400: ErrorSchema, 415: ErrorSchema });
    expect(errorResponses()).toEqual({});
  });

  it('JSON answers are described as JSON; text answers as strings with their content type', () => {
    const described = Object.fromEntries(
      operations.map(([name, operation]) => {
        const status = Object.keys(operation.responses ?? {}).find((code) => /^2/.test(code))!;
        const content = operation.responses![status]!.content!;
        return [
          name,
          Object.fromEntries(Object.entries(content).map(([type, media]) => [type, media.schema])),
        ];
      }),
    );
    for (const [name, content] of Object.entries(described)) {
      const text = textRoutes[name.replace(/\{(\w+)\}/g, ':$1')];
      if (text) expect(content, name).toEqual({ [text]: { type: 'string' } });
      else expect(Object.keys(content), name).toEqual(['application/json']);
    }
    expect(Object.keys(textRoutes).every((route) => route.replace(/:(\w+)/g, '{$1}') in described)).toBe(
      true,
    );
  });

  it('list routes answer a page: their items and nextCursor', () => {
    for (const [route, key] of [
      ['get /v1/decisions', 'decisions'],
      ['get /v1/gate-runs', 'gateRuns'],
      ['get /v1/incidents', 'incidents'],
    ] as const) {
      const operation = operations.find(([name]) => name === route)![1];
      const schema = operation.responses!['200']!.content!['application/json']!.schema as {
        properties: Record<string, { type?: string }>;
        required: string[];
      };
      expect(Object.keys(schema.properties), route).toEqual([key, 'nextCursor']);
      expect(schema.properties[key]!.type, route).toBe('array');
      expect(schema.required, route).toEqual([key, 'nextCursor']);
    }
  });
});

describe('a route without a response schema fails the boot', () => {
  const app = () => {
    const instance = Fastify();
    requireResponseSchemas(instance);
    return instance;
  };
  const handler = async () => ({ ok: true });

  it('names the route that declares none, or only errors', () => {
    expect(() => app().get('/v1/things', handler)).toThrow(
      'GET /v1/things declares no schema for its 2xx answers',
    );
    expect(() =>
      app().post('/v1/things', { schema: { response: { 400: Type.Object({}) } } }, handler),
    ).toThrow('POST /v1/things declares no schema for its 2xx answers');
  });

  it('names the route that takes a body and does not declare what reading it answers (400, 413, 415)', () => {
    const ok = { 200: Type.Object({}) };
    expect(() => app().post('/v1/things', { schema: { response: ok } }, handler)).toThrow(
      'POST /v1/things takes a body but does not declare 400, 413, 415',
    );
    expect(() =>
      app().put('/v1/things', { schema: { response: { ...ok, ...errorResponses(400, 413) } } }, handler),
    ).toThrow('PUT /v1/things takes a body but does not declare 415');
    expect(() =>
      app().post('/v1/things', { schema: { response: { ...ok, ...bodyRefusals } } }, handler),
    ).not.toThrow();
    expect(() => app().get('/v1/things', { schema: { response: ok } }, handler)).not.toThrow();
  });

  it('exempts only the hidden routes it names', () => {
    // The sign-in redirects answer 302 to the identity provider and back (docs/identity.md).
    expect(routesWithoutResponseSchema).toEqual(['/openapi.json', '/*', '/auth/login', '/auth/callback']);
    expect(() => app().get('/openapi.json', { schema: { hide: true } }, handler)).not.toThrow();
    expect(() => app().get('/v1/secret', { schema: { hide: true } }, handler)).toThrow(
      'GET /v1/secret declares no schema for its 2xx answers',
    );
    // A named path is exempt only while hidden.
    expect(() => app().get('/openapi.json', handler)).toThrow('GET /openapi.json declares no schema');
  });

  it('accepts any 2xx status', () => {
    for (const status of ['200', '201', '204', '2XX'])
      expect(successStatuses({ response: { [status]: Type.Object({}) } })).toEqual([status]);
    expect(successStatuses({ response: { 301: Type.Object({}), 404: Type.Object({}) } })).toEqual([]);
    expect(successStatuses(undefined)).toEqual([]);
  });
});

describe('the response check of the tests', () => {
  async function answer(schema: object, body: unknown): Promise<string[]> {
    const problems: string[] = [];
    const app = Fastify();
    reportResponseDrift(app, (problem) => problems.push(problem));
    app.get('/thing', { schema: { response: { 200: schema } } }, async () => body);
    await app.inject({ url: '/thing' });
    await app.close();
    return problems;
  }

  it('reports a field the schema drops, with its path', async () => {
    const problems = await answer(
      Type.Object({ id: Type.String(), inner: Type.Object({ a: Type.Number() }) }),
      {
        id: 'x',
        inner: { a: 1, b: 2 },
      },
    );
    expect(problems).toEqual([
      'GET /thing 200: $.inner.b: the handler returned 2, the answer says undefined',
    ]);
  });

  it('reports a value the schema coerces (null written as 0)', async () => {
    expect(await answer(Type.Object({ n: Type.Number() }), { n: null })).toEqual([
      'GET /thing 200: $.n: the handler returned null, the answer says 0',
    ]);
  });

  it('stays silent when the schema writes exactly what the handler returned', async () => {
    expect(
      await answer(Type.Object({ id: Type.String(), tags: Type.Array(Type.String()) }), {
        id: 'x',
        tags: ['a'],
      }),
    ).toEqual([]);
    expect(firstDifference({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })).toBeUndefined();
    expect(firstDifference([1, 2], [1])).toBe('$.1: the handler returned 2, the answer says undefined');
  });
});
