import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorRegistry } from '../../src/core/errors.js';
import { deploy, startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Every operation the server documents, fuzzed with generated bad input. The operations come from
 * the server's own OpenAPI document, so a new route is fuzzed without touching this file. Inputs
 * come from a seeded generator (FUZZ_SEED overrides the seed), so a failure can be replayed.
 *
 * Each case is classified by the route's own schema (compiled here with Ajv) plus the rules every
 * body obeys (depth, reserved keys, clean Unicode): an input the schema refuses must get a 4xx with
 * a JSON error and change nothing; an input it accepts may succeed. Neither may ever get a 5xx,
 * and the server must keep serving.
 */

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const seed = Number(process.env.FUZZ_SEED ?? 20261117);

/** mulberry32: a small deterministic generator, good enough to pick cases. */
function generator(start: number) {
  let state = start >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (below: number) => Math.floor(next() * below),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!,
  };
}
type Random = ReturnType<typeof generator>;

type Schema = Record<string, any>;

interface Operation {
  method: string;
  /** OpenAPI path, `/v1/decisions/{id}`. */
  path: string;
  pathParams: { name: string; schema: Schema }[];
  queryParams: { name: string; required: boolean; schema: Schema }[];
  body?: Schema;
}

/** The operations of the OpenAPI document; `$ref`s to shared schemas are resolved. */
function operationsOf(document: Schema): Operation[] {
  const schemas: Schema = document.components?.schemas ?? {};
  const resolve = (schema: Schema): Schema => {
    const name = typeof schema?.$ref === 'string' ? schema.$ref.split('/').at(-1) : undefined;
    return name && schemas[name] ? resolve(schemas[name]) : schema;
  };
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries<Schema>(document.paths)) {
    for (const [method, operation] of Object.entries<Schema>(item)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const parameters: Schema[] = operation.parameters ?? [];
      const content = operation.requestBody?.content ?? {};
      const body = content['application/json']?.schema;
      operations.push({
        method: method.toUpperCase(),
        path,
        pathParams: parameters
          .filter((p) => p.in === 'path')
          .map((p) => ({ name: p.name, schema: resolve(p.schema ?? {}) })),
        queryParams: parameters
          .filter((p) => p.in === 'query')
          .map((p) => ({ name: p.name, required: p.required === true, schema: resolve(p.schema ?? {}) })),
        ...(body ? { body: resolve(body) } : {}),
      });
    }
  }
  return operations;
}

/** Strings the schemas' patterns want, by pattern. */
const patternExamples: Record<string, string> = {
  '^sha256:[0-9a-f]{64}$': `sha256:${'0'.repeat(64)}`,
  '^[0-9a-f]{64}$': '0'.repeat(64),
  '^[0-9]{1,15}$': '1',
  '^[a-z0-9]([a-z0-9._-]{0,126}[a-z0-9])?$': 'fuzz-system',
};

/** A minimal value the schema accepts (required properties only). */
function exampleOf(schema: Schema | undefined): unknown {
  if (!schema) return {};
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum)) return schema.enum[0];
  const options = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(options)) return exampleOf(options.find((o: Schema) => o.type !== 'null') ?? options[0]);
  switch (Array.isArray(schema.type) ? schema.type[0] : schema.type) {
    case 'object': {
      const value: Record<string, unknown> = {};
      for (const name of schema.required ?? []) value[name] = exampleOf(schema.properties?.[name]);
      return value;
    }
    case 'array':
      return Array.from({ length: schema.minItems ?? 0 }, () => exampleOf(schema.items));
    case 'string':
      if (schema.format === 'date-time') return '2026-11-17T10:00:00Z';
      if (schema.pattern) return patternExamples[schema.pattern] ?? 'x';
      return 'x'.repeat(Math.max(1, schema.minLength ?? 1));
    case 'integer':
    case 'number':
      return schema.minimum ?? 0;
    case 'boolean':
      return true;
    case 'null':
      return null;
    default:
      return {};
  }
}

const unicodeEdges = [
  '\u0000',
  'nul\u0000inside',
  '\uD800',
  'tail\uDC00',
  '\uFEFFbom',
  '\u202Eright-to-left',
  'e\u0301\u0301\u0301',
  '😀👩‍👩‍👧‍👦',
  '\u2028\u2029',
  '\uFFFF\uFFFE',
  'ｆｕｌｌｗｉｄｔｈ',
  "'; DROP TABLE decisions;--",
  '../../../../etc/passwd',
  ['$', '{jndi:ldap://example.invalid/a}'].join(''),
  '<script>alert(1)</script>',
  '',
  ' ',
];

const hugeValues: unknown[] = [
  1e308,
  -1e308,
  5e-324,
  -0,
  Number.MAX_SAFE_INTEGER * 8,
  -Number.MAX_SAFE_INTEGER * 8,
  'x'.repeat(20_000),
  Array.from({ length: 2_000 }, (_, i) => i),
  Object.fromEntries(Array.from({ length: 2_000 }, (_, i) => [`k${i}`, i])),
];

const wrongTypes: unknown[] = [null, 0, -1, 1.5, 'text', true, false, [], {}, [null], { nested: {} }];

const pollution: [string, unknown][] = [
  ['__proto__', { polluted: true }],
  ['constructor', { prototype: { polluted: true } }],
  ['prototype', { polluted: true }],
  ['constructor', 'x'],
];

/** A body as raw JSON text, `__proto__` kept as an own key (an object literal would set the prototype). */
const json = (value: unknown) => JSON.stringify(value);

function setAt(body: unknown, path: string[], value: unknown): unknown {
  if (path.length === 0) return value;
  const copy: Record<string, unknown> =
    typeof body === 'object' && body !== null && !Array.isArray(body) ? { ...(body as object) } : {};
  Object.defineProperty(copy, path[0]!, {
    value: setAt(copy[path[0]!], path.slice(1), value),
    enumerable: true,
    writable: true,
    configurable: true,
  });
  return copy;
}

function deleteAt(body: unknown, path: string[]): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  const copy = { ...(body as Record<string, unknown>) };
  if (path.length === 1) delete copy[path[0]!];
  else copy[path[0]!] = deleteAt(copy[path[0]!], path.slice(1));
  return copy;
}

/** Property paths of an object schema, one level of nesting deep. */
function propertyPaths(
  schema: Schema | undefined,
  prefix: string[] = [],
  depth = 0,
): { path: string[]; schema: Schema }[] {
  if (schema?.type !== 'object' || !schema.properties) return [];
  const paths: { path: string[]; schema: Schema }[] = [];
  for (const [name, property] of Object.entries<Schema>(schema.properties)) {
    paths.push({ path: [...prefix, name], schema: property });
    if (depth < 1) paths.push(...propertyPaths(property, [...prefix, name], depth + 1));
  }
  return paths;
}

interface Case {
  label: string;
  method: string;
  url: string;
  payload?: string;
  headers?: Record<string, string>;
  /** The route's schema refuses it for sure: must be a 4xx and change nothing. */
  refused: boolean;
}

/** Over every route's body limit (monitoring batches take 16 MiB). */
const hugeBody = `{"padding":"${'p'.repeat(17 * 1024 * 1024)}"}`;

/** Raw bodies that are not JSON at all, or not the JSON the content type claims. */
const rawBodies = [
  '',
  ' ',
  'null',
  '{',
  '{"a":1}}',
  'NaN',
  '{"a": Infinity}',
  '\uFEFF{}',
  "{'a': 1}",
  '[1,]',
  '"\\ud800"',
];

describe('fuzzing every endpoint with bad input', () => {
  let server: TestServer;
  let t: Record<string, string>;
  let db: Database.Database;
  let tables: string[];
  const ajv = new Ajv({ strict: false, allErrors: false, coerceTypes: false, useDefaults: false });
  addFormats(ajv);
  const validators = new Map<Schema, ValidateFunction>();
  const validates = (schema: Schema, value: unknown) => {
    let validate = validators.get(schema);
    if (!validate) {
      validate = ajv.compile(schema);
      validators.set(schema, validate);
    }
    return validate(value);
  };

  /** Row counts of every table, and the ledger size: "nothing changed" means all of them are equal. */
  const snapshot = () =>
    Object.fromEntries(
      tables.map((table) => [
        table,
        (db.prepare(`SELECT COUNT(*) AS n FROM "${table}"`).get() as { n: number }).n,
      ]),
    );

  const ids: Record<string, string> = {};

  beforeAll(async () => {
    // No request or byte budget: every case must reach the route, not a 429.
    server = await startTestServer({ limits: { rateLimit: 0, byteRateLimit: 0 } });
    t = server.tokens;
    const allowed = await server.call(
      t.deployBot,
      'POST',
      '/v1/decisions',
      deploy({ resource: { type: 'service', id: 'payments', environment: 'staging' } }),
    );
    expect(allowed.body.status).toBe('allowed');
    ids.decision = allowed.body.id;
    const incident = await server.call(t.alice, 'POST', '/v1/incidents', {
      title: 'fuzz target',
      system: 'deploy-bot',
    });
    expect(incident.status).toBe(201);
    ids.incident = incident.body.id;
    db = new Database(server.databaseUrl.slice('sqlite:'.length), { readonly: true, fileMustExist: true });
    tables = (
      db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .all() as {
        name: string;
      }[]
    )
      .map((row) => row.name)
      // Windows count rejected monitoring events by design (docs/server.md); the ledger still must not move.
      .filter((name) => !/window|monitor_event/.test(name));
  }, 30_000);
  afterAll(async () => {
    db?.close();
    await server?.close();
  });

  /** A real id for a path parameter, so the handler behind validation runs too. */
  const idFor = (path: string, name: string) => {
    if (name === 'system') return 'credit-scoring';
    if (path.startsWith('/v1/decisions/')) return ids.decision!;
    if (path.startsWith('/v1/incidents/')) return ids.incident!;
    if (path.startsWith('/v1/systems/')) return 'triage-bot';
    return 'fuzz-id';
  };

  function urlOf(op: Operation, params: Record<string, string>, query: [string, string][]): string {
    let url = op.path;
    for (const p of op.pathParams) url = url.replace(`{${p.name}}`, params[p.name] ?? '');
    const search = query.map(([k, v]) => `${k}=${v}`).join('&');
    return search ? `${url}?${search}` : url;
  }

  function casesFor(op: Operation, random: Random): Case[] {
    const cases: Case[] = [];
    const params = Object.fromEntries(
      op.pathParams.map((p) => [p.name, encodeURIComponent(idFor(op.path, p.name))]),
    );
    const baseQuery: [string, string][] = op.queryParams
      .filter((p) => p.required)
      .map((p) => [p.name, String(exampleOf(p.schema))]);
    const baseBody = op.body ? exampleOf(op.body) : undefined;
    const withBody = (label: string, body: unknown, refused: boolean): Case => ({
      label,
      method: op.method,
      url: urlOf(op, params, baseQuery),
      payload: json(body),
      headers: { 'content-type': 'application/json' },
      refused,
    });
    const classify = (body: unknown) => !op.body || !validates(op.body, body) || forbiddenAnywhere(body);

    // Bad path parameters: too long, not text, traversal, unicode.
    for (const p of op.pathParams) {
      const bad = [
        'x'.repeat((p.schema.maxLength ?? 100) + 1),
        '%00',
        '%ED%A0%80',
        '%E0%A4%A',
        '..%2F..%2Fetc%2Fpasswd',
        encodeURIComponent(random.pick(unicodeEdges.filter(textIsClean)) || 'x'),
        '%20',
      ];
      for (const value of bad) {
        const refusedForSure =
          value.length > (p.schema.maxLength ?? 100) || value === '%00' || value === '%E0%A4%A';
        cases.push({
          label: `path ${p.name}=${value.slice(0, 20)}`,
          method: op.method,
          url: urlOf(op, { ...params, [p.name]: value }, baseQuery),
          ...(op.body ? { payload: json(baseBody), headers: { 'content-type': 'application/json' } } : {}),
          refused: refusedForSure,
        });
      }
    }

    // Bad query strings: unknown names, repeated names, wrong types, overlong and unclean values.
    const declared = op.queryParams.length > 0;
    const queryCases: [string, [string, string][], boolean][] = [
      ['unknown parameter', [...baseQuery, ['fuzz', '1']], declared],
      ['NUL in an unknown parameter', [...baseQuery, ['fuzz', '%00']], true],
      ['malformed encoding', [...baseQuery, ['fuzz', '%E0%A4%A']], false],
      ['__proto__ parameter', [...baseQuery, ['__proto__', 'x']], declared],
      ['constructor parameter', [...baseQuery, ['constructor', 'x']], declared],
    ];
    for (const p of op.queryParams) {
      queryCases.push(
        [
          `${p.name} repeated`,
          [...baseQuery.filter(([k]) => k !== p.name), [p.name, '1'], [p.name, '2']],
          true,
        ],
        [
          `${p.name} overlong`,
          [...baseQuery.filter(([k]) => k !== p.name), [p.name, 'x'.repeat(2_000)]],
          p.schema.maxLength !== undefined || p.schema.pattern !== undefined,
        ],
        [`${p.name} NUL`, [...baseQuery.filter(([k]) => k !== p.name), [p.name, 'a%00b']], true],
        [
          `${p.name} lone surrogate`,
          [...baseQuery.filter(([k]) => k !== p.name), [p.name, '%ED%A0%80']],
          false,
        ],
        [
          `${p.name} negative`,
          [...baseQuery.filter(([k]) => k !== p.name), [p.name, '-1']],
          p.schema.pattern !== undefined,
        ],
        [
          `${p.name} huge`,
          [...baseQuery.filter(([k]) => k !== p.name), [p.name, '9'.repeat(40)]],
          p.schema.pattern !== undefined,
        ],
        [
          `${p.name} not a time`,
          [...baseQuery.filter(([k]) => k !== p.name), [p.name, '2026-02-30T25:61:61Z']],
          p.schema.format === 'date-time' || p.schema.pattern !== undefined,
        ],
        [
          `${p.name} leap second`,
          [...baseQuery.filter(([k]) => k !== p.name), [p.name, '2016-12-31T23:59:60Z']],
          false,
        ],
        [
          `${p.name} unicode`,
          [
            ...baseQuery.filter(([k]) => k !== p.name),
            [p.name, encodeURIComponent(random.pick(unicodeEdges.filter((u) => textIsClean(u))))],
          ],
          false,
        ],
        [`${p.name} empty`, [...baseQuery.filter(([k]) => k !== p.name), [p.name, '']], false],
      );
      if (p.required) queryCases.push([`${p.name} missing`, baseQuery.filter(([k]) => k !== p.name), true]);
    }
    for (const [label, query, refused] of queryCases) {
      cases.push({
        label: `query ${label}`,
        method: op.method,
        url: urlOf(op, params, query),
        ...(op.body ? { payload: json(baseBody), headers: { 'content-type': 'application/json' } } : {}),
        refused,
      });
    }

    if (!op.body) return cases;

    // Not JSON, or not the content type the route reads.
    for (const raw of rawBodies)
      cases.push({
        label: `raw ${JSON.stringify(raw)}`,
        method: op.method,
        url: urlOf(op, params, baseQuery),
        payload: raw,
        headers: { 'content-type': 'application/json' },
        refused: raw !== 'null' || classify(null),
      });
    for (const type of [
      'text/plain',
      'application/xml',
      'multipart/form-data; boundary=x',
      'application/json; charset=utf-16',
    ])
      cases.push({
        label: `content-type ${type}`,
        method: op.method,
        url: urlOf(op, params, baseQuery),
        payload: json(baseBody),
        headers: { 'content-type': type },
        refused: !type.startsWith('application/json'),
      });

    // Whole bodies of the wrong type.
    for (const value of wrongTypes) cases.push(withBody(`body ${json(value)}`, value, classify(value)));

    // Field by field: missing, wrong type, null, huge, unicode, pollution.
    for (const { path, schema } of propertyPaths(op.body)) {
      const at = path.join('.');
      cases.push(withBody(`${at} missing`, deleteAt(baseBody, path), classify(deleteAt(baseBody, path))));
      for (const value of [random.pick(wrongTypes), random.pick(wrongTypes), null]) {
        const body = setAt(baseBody, path, value);
        cases.push(withBody(`${at}=${json(value)}`, body, classify(body)));
      }
      for (const value of [random.pick(hugeValues), random.pick(hugeValues)]) {
        const body = setAt(baseBody, path, value);
        cases.push(withBody(`${at}=huge ${typeof value}`, body, classify(body)));
      }
      if (schema.type === 'string' || schema.anyOf) {
        for (const value of [random.pick(unicodeEdges), random.pick(unicodeEdges), '\u0000', '\uD800']) {
          const body = setAt(baseBody, path, value);
          cases.push(withBody(`${at}=${JSON.stringify(value)}`, body, classify(body)));
        }
        if (schema.format === 'date-time') {
          for (const value of ['2016-12-31T23:59:60Z', '2026-02-30T10:00:00Z', '+275760-09-13T00:00:00Z']) {
            const body = setAt(baseBody, path, value);
            cases.push(withBody(`${at}=${value}`, body, classify(body)));
          }
        }
        if (schema.maxLength !== undefined) {
          const body = setAt(baseBody, path, 'y'.repeat(schema.maxLength + 1));
          cases.push(withBody(`${at} one over maxLength`, body, true));
        }
      }
      if (schema.type === 'array' && schema.maxItems !== undefined) {
        const body = setAt(
          baseBody,
          path,
          Array.from({ length: schema.maxItems + 1 }, () => exampleOf(schema.items)),
        );
        cases.push(withBody(`${at} one over maxItems`, body, true));
      }
    }

    // Extra fields, with odd names, and the prototype-pollution keys anywhere.
    for (const name of ['extra', random.pick(unicodeEdges.filter(textIsClean)) || 'blank', 'a.b', '$where']) {
      const body = setAt(baseBody, [name], 1);
      cases.push(withBody(`extra field ${JSON.stringify(name)}`, body, classify(body)));
    }
    for (const [key, value] of pollution) {
      cases.push(withBody(`${key} at the top`, setAt(baseBody, [key], value), true));
      for (const { path } of propertyPaths(op.body).slice(0, 6)) {
        cases.push(withBody(`${key} in ${path.join('.')}`, setAt(baseBody, [...path, key], value), true));
      }
    }
    // Numbers beyond a double (1e999 reads as Infinity) anywhere, free-form maps included:
    // JSON.stringify cannot write them, so they are spliced into the text in place of a marker.
    const marker = '__fuzz_non_finite__';
    const nonFinite: [string, unknown][] = [
      ['body [n]', [marker]],
      ['body {n}', { ...(baseBody as object), n: marker }],
    ];
    for (const { path, schema } of propertyPaths(op.body)) {
      const at = path.join('.');
      nonFinite.push([at, setAt(baseBody, path, marker)]);
      if (schema.type === 'object') nonFinite.push([`${at}.n`, setAt(baseBody, [...path, 'n'], marker)]);
      if (schema.type === 'array') nonFinite.push([`${at}[0]`, setAt(baseBody, path, [marker])]);
    }
    for (const [at, body] of nonFinite)
      for (const number of ['1e999', '-1e999'])
        cases.push({
          ...withBody(`${at}=${number}`, body, true),
          payload: json(body).replace(`"${marker}"`, number),
        });
    // A huge body, and one nested past the depth limit.
    cases.push({ ...withBody('deep', {}, true), payload: `{"a":${'['.repeat(5_000)}${']'.repeat(5_000)}}` });
    cases.push({ ...withBody('20 MiB', {}, true), payload: hugeBody });
    return cases;
  }

  it('never answers a 5xx, refuses what the schema refuses without changing anything, and keeps serving', async () => {
    const random = generator(seed);
    const document = (await server.app.inject({ method: 'GET', url: '/openapi.json' })).json() as Schema;
    const operations = operationsOf(document);
    // The route list comes from the server: every documented route, and at least the known ones.
    expect(operations.length).toBeGreaterThan(35);
    for (const known of [
      'POST /v1/decisions',
      'POST /v1/gate-runs',
      'POST /v1/monitor/{system}/events',
      'GET /v1/ledger/proofs/inclusion',
    ])
      expect(operations.map((op) => `${op.method} ${op.path}`)).toContain(known);

    const failures: string[] = [];
    const candidates = ['root', 'deployBot', 'creditScoring', 'alice', 'erin'];
    let requests = 0;
    for (const op of operations) {
      // The first identity the route lets through authentication and its role check (a bad body
      // is refused after them, so the probe changes nothing).
      let token: string | undefined;
      for (const name of candidates) {
        const probe = await server.app.inject({
          method: op.method,
          url: urlOf(op, Object.fromEntries(op.pathParams.map((p) => [p.name, idFor(op.path, p.name)])), []),
          headers: {
            authorization: `Bearer ${t[name]}`,
            ...(op.body ? { 'content-type': 'application/json' } : {}),
          },
          ...(op.body ? { payload: '{"__fuzz_probe": [' } : {}),
        });
        if (probe.statusCode !== 403) {
          token = t[name];
          break;
        }
      }
      for (const fuzzCase of casesFor(op, random)) {
        const before = fuzzCase.refused ? snapshot() : undefined;
        const response = await server.app.inject({
          method: fuzzCase.method as 'GET',
          url: fuzzCase.url,
          headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...fuzzCase.headers },
          ...(fuzzCase.payload === undefined ? {} : { payload: fuzzCase.payload }),
        });
        requests++;
        const where = `${op.method} ${op.path} [${fuzzCase.label}] → ${response.statusCode}`;
        if (response.statusCode >= 500) {
          failures.push(`${where}: ${response.body.slice(0, 300)}`);
          continue;
        }
        if (response.statusCode >= 400) {
          const error = safeJson(response.body)?.error;
          if (
            !error ||
            !(error.code in errorRegistry) ||
            typeof error.message !== 'string' ||
            error.message.length < 5
          )
            failures.push(`${where}: not a clear JSON error: ${response.body.slice(0, 200)}`);
        }
        if (fuzzCase.refused) {
          if (response.statusCode < 400) failures.push(`${where}: accepted input its schema refuses`);
          const after = snapshot();
          if (json(after) !== json(before))
            failures.push(`${where}: state changed ${json(before)} → ${json(after)}`);
        }
      }
      // Still serving, and nothing leaked onto Object.prototype.
      const health = await server.app.inject({
        method: 'GET',
        url: '/v1/me',
        headers: { authorization: `Bearer ${t.erin}` },
      });
      if (health.statusCode !== 200)
        failures.push(`after ${op.method} ${op.path}: /v1/me → ${health.statusCode}`);
      if ('polluted' in Object.prototype)
        failures.push(`after ${op.method} ${op.path}: Object.prototype polluted`);
    }
    expect(failures, `seed ${seed}, ${requests} requests`).toEqual([]);
    expect(requests).toBeGreaterThan(2_000);
    // And over a real socket too.
    expect((await server.call(t.erin, 'GET', '/v1/me')).status).toBe(200);
  }, 120_000);

  it('methods and paths the server does not have are JSON 404s', async () => {
    const random = generator(seed + 1);
    for (let i = 0; i < 50; i++) {
      const method = random.pick(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
      const path = random.pick([
        '/v1/decisions',
        '/v1/systems/deploy-bot',
        '/v1/nothing',
        '/v1/%2e%2e/%2e%2e',
        `/v1/${encodeURIComponent(random.pick(unicodeEdges.filter(textIsClean)))}`,
      ]);
      const response = await server.app.inject({
        method: method as 'GET',
        url: path,
        headers: { authorization: `Bearer ${t.root}` },
      });
      expect(response.statusCode, `${method} ${path}`).toBeLessThan(500);
      if (response.statusCode >= 400)
        expect(safeJson(response.body)?.error?.code, `${method} ${path}`).toMatch(/^ARB_ERR_/);
    }
  });
});

function safeJson(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function textIsClean(text: string): boolean {
  return (
    !text.includes('\u0000') &&
    !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text)
  );
}

/** True when every body must be refused whatever the schema says: a reserved key, unclean text, too deep. */
function forbiddenAnywhere(value: unknown, depth = 0): boolean {
  if (depth > 64) return true;
  if (typeof value === 'string') return !textIsClean(value);
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) return value.some((item) => forbiddenAnywhere(item, depth + 1));
  return Object.entries(value).some(
    ([key, item]) =>
      ['__proto__', 'constructor', 'prototype'].includes(key) ||
      !textIsClean(key) ||
      forbiddenAnywhere(item, depth + 1),
  );
}
