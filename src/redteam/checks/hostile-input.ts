import { type Check, type CheckVerdict, firstFailure, pass, type RedteamContext } from '../check.js';
import { arbiterError, clientError, notServerError, statusIn } from '../expect.js';
import { field, type ProbeRequest } from '../http.js';

/**
 * Hostile bodies go to the dry-run endpoint, which records nothing even when it accepts them:
 * a target that wrongly accepts a probe is reported, not changed.
 */
const explainPath = '/v1/decisions/explain';

function valid(ctx: RedteamContext): Record<string, unknown> {
  return {
    action: `redteam.input-${ctx.runId}`,
    resource: { type: 'redteam', id: `probe-${ctx.runId}` },
    rationale: `arbiter redteam ${ctx.runId}: hostile input probe`,
  };
}

function rawJson(text: string | Uint8Array, describe?: string): Omit<ProbeRequest, 'method' | 'path'> {
  return {
    raw: text,
    headers: { 'content-type': 'application/json' },
    ...(describe ? { describe } : {}),
  };
}

/** Nested objects `depth` levels deep, as JSON text (built as text: no stack is spent here). */
function nested(depth: number, open: string, close: string, leaf = '1'): string {
  return `${open.repeat(depth)}${leaf}${close.repeat(depth)}`;
}

/** A probe and how its failure note names it. */
type NamedProbe = { what: string; probe: ProbeRequest };
/** What each answer must be: a 4xx with an Arbiter error body, any 4xx, no 5xx, or one of these statuses. */
type Expectation = 'client-error' | 'any-client-error' | 'no-server-error' | number[];

async function expectEach(
  ctx: RedteamContext,
  probes: NamedProbe[],
  expectation: Expectation,
): Promise<(string | undefined)[]> {
  const problems: (string | undefined)[] = [];
  for (const { what, probe } of probes) {
    const response = await ctx.http.send(probe);
    if (expectation === 'client-error')
      problems.push(clientError(response, what) ?? arbiterError(response, what));
    else if (expectation === 'any-client-error') problems.push(clientError(response, what));
    else if (expectation === 'no-server-error') problems.push(notServerError(response, what));
    else problems.push(statusIn(response, expectation, what) ?? arbiterError(response, what));
  }
  return problems;
}

/** The verdict of `expectEach`: its first problem, or a pass (with `note`). */
async function expectAll(
  ctx: RedteamContext,
  probes: NamedProbe[],
  expectation: Expectation,
  note?: string,
): Promise<CheckVerdict> {
  return firstFailure(await expectEach(ctx, probes, expectation)) ?? pass(note);
}

const post = (body: Omit<ProbeRequest, 'method' | 'path'>): ProbeRequest => ({
  method: 'POST',
  path: explainPath,
  as: 'agent',
  ...body,
});

export const hostileInputChecks: Check[] = [
  {
    id: 'IN-01',
    area: 'hostile-input',
    title: 'Malformed JSON is a 400 with an error body',
    async run(ctx) {
      const bodies = [
        '{"action":',
        '{"action":"deploy",}',
        "{'action':'deploy'}",
        '{"confidence":NaN}',
        '{"action":"a"}{"action":"b"}',
        '',
        'null',
        '"deploy"',
        '[]',
        '\u0000',
      ];
      return expectAll(
        ctx,
        bodies.map((body) => ({ what: `body ${JSON.stringify(body)}`, probe: post(rawJson(body)) })),
        [400],
        `${bodies.length} bodies refused with 400`,
      );
    },
  },
  {
    id: 'IN-02',
    area: 'hostile-input',
    title: 'A body that is not application/json is refused (415, or 400 when it is not an object)',
    async run(ctx) {
      const text = JSON.stringify(valid(ctx));
      const types = [
        'text/plain',
        'application/x-www-form-urlencoded',
        'application/xml',
        'multipart/form-data',
      ];
      return expectAll(
        ctx,
        [
          ...types.map((type) => ({
            what: `content-type ${type}`,
            probe: post({ raw: text, headers: { 'content-type': type } }),
          })),
          { what: 'no content-type', probe: post({ raw: text }) },
        ],
        [400, 415],
      );
    },
  },
  {
    id: 'IN-03',
    area: 'hostile-input',
    title: 'A huge body (4 MiB) is refused with 413 before it is processed',
    async run(ctx) {
      const body = JSON.stringify({ ...valid(ctx), context: { padding: 'x'.repeat(4 * 1024 * 1024) } });
      return expectAll(
        ctx,
        [
          {
            what: 'a 4 MiB body',
            probe: post(
              rawJson(body, `(${(body.length / 1024 / 1024).toFixed(1)} MiB JSON: context.padding)`),
            ),
          },
        ],
        [413],
      );
    },
  },
  {
    id: 'IN-04',
    area: 'hostile-input',
    title: 'Deeply nested JSON (10 000 and 100 000 levels) is refused with a 4xx, never a crash',
    async run(ctx) {
      const prefix = JSON.stringify(valid(ctx)).slice(0, -1);
      const probes = [
        { depth: 10_000, open: '{"a":', close: '}' },
        { depth: 10_000, open: '[', close: ']' },
        { depth: 100_000, open: '[', close: ']' },
      ].map(({ depth, open, close }) => ({
        what: `${depth} nested ${open === '[' ? 'arrays' : 'objects'}`,
        probe: post(
          rawJson(
            `${prefix},"context":{"deep":${nested(depth, open, close)}}}`,
            `(context.deep nested ${depth} levels of ${open === '[' ? 'arrays' : 'objects'})`,
          ),
        ),
      }));
      return expectAll(ctx, probes, 'client-error');
    },
  },
  {
    id: 'IN-05',
    area: 'hostile-input',
    title: 'Prototype-pollution keys (__proto__, constructor.prototype) are refused and change nothing',
    async run(ctx) {
      const body = JSON.stringify(valid(ctx)).slice(0, -1);
      const refused = [
        `{"__proto__":{"role":"admin","redteamPolluted":true},${body.slice(1)}}`,
        `${body},"context":{"__proto__":{"redteamPolluted":true}}}`,
        `${body},"context":{"constructor":{"prototype":{"redteamPolluted":true}}}}`,
        `${body},"change":{"a":[{"__proto__":{"redteamPolluted":true}}]}}`,
      ];
      const tolerated = [
        `${body},"context":{"constructor":"x","prototype":"y","hasOwnProperty":"z","toString":"w"}}`,
      ];
      const problems = [
        ...(await expectEach(
          ctx,
          refused.map((text) => ({ what: `body ${text.slice(0, 60)}…`, probe: post(rawJson(text)) })),
          'client-error',
        )),
        ...(await expectEach(
          ctx,
          tolerated.map((text) => ({ what: 'object-model names as plain keys', probe: post(rawJson(text)) })),
          'no-server-error',
        )),
      ];
      // Afterwards the server must behave as before: same identity, no polluted fields anywhere.
      const me = await ctx.http.send({ method: 'GET', path: '/v1/me', as: 'agent' });
      const again = await ctx.http.send(post({ json: valid(ctx) }));
      problems.push(
        statusIn(me, [200], 'GET /v1/me after the probes'),
        field(me, 'role') === 'agent' ? undefined : `GET /v1/me now says role ${String(field(me, 'role'))}`,
        statusIn(again, [200], 'a valid dry run after the probes'),
        [me.text, again.text].some((text) => text.includes('redteamPolluted'))
          ? 'a polluted field shows up in later answers'
          : undefined,
      );
      return firstFailure(problems) ?? pass();
    },
  },
  {
    id: 'IN-06',
    area: 'hostile-input',
    title: 'Wrong types, missing and unknown fields, out-of-range values are a 400',
    async run(ctx) {
      const base = valid(ctx);
      const resource = base.resource as Record<string, unknown>;
      const bodies: [string, unknown][] = [
        ['an empty object', {}],
        ['no resource', { action: base.action, rationale: base.rationale }],
        ['action a number', { ...base, action: 123 }],
        ['action an array', { ...base, action: ['deploy'] }],
        ['action empty', { ...base, action: '' }],
        ['action of 100 000 characters', { ...base, action: 'a'.repeat(100_000) }],
        ['resource a string', { ...base, resource: 'service:payments' }],
        ['resource id null', { ...base, resource: { ...resource, id: null } }],
        ['an unknown resource field', { ...base, resource: { ...resource, owner: 'root' } }],
        ['an unknown top-level field', { ...base, isAdmin: true }],
        ['confidence a string', { ...base, confidence: '0.99' }],
        ['confidence 2', { ...base, confidence: 2 }],
        ['confidence -1', { ...base, confidence: -1 }],
        ['change an array', { ...base, change: [] }],
        ['evidence an object', { ...base, evidence: {} }],
        ['rationale a number', { ...base, rationale: 42 }],
      ];
      return expectAll(
        ctx,
        [
          ...bodies.map(([what, json]) => ({
            what,
            probe: post({
              json,
              ...(what.includes('100 000') ? { describe: '(action: 100 000 × "a")' } : {}),
            }),
          })),
          {
            what: 'confidence 1e999 (Infinity)',
            probe: post(rawJson(`${JSON.stringify(base).slice(0, -1)},"confidence":1e999}`)),
          },
        ],
        [400],
        `${bodies.length + 1} bodies refused with 400`,
      );
    },
  },
  {
    id: 'IN-07',
    area: 'hostile-input',
    title: 'Unicode edge cases (lone surrogates, NUL, bidi, invalid UTF-8, BOM) never cause a 5xx',
    async run(ctx) {
      const base = valid(ctx);
      const text = JSON.stringify(base);
      const withId = (id: string) => `${text.slice(0, -1)},"context":{"id":"${id}"}}`;
      const bytes = (...parts: (string | number[])[]) =>
        Buffer.concat(
          parts.map((part) => (typeof part === 'string' ? Buffer.from(part) : Buffer.from(part))),
        );
      const probes: NamedProbe[] = [
        { what: 'a lone high surrogate', probe: post(rawJson(withId('\\ud800'))) },
        { what: 'a lone low surrogate', probe: post(rawJson(withId('x\\udfff'))) },
        { what: 'a NUL character', probe: post(rawJson(withId('a\\u0000b'))) },
        { what: 'a right-to-left override', probe: post(rawJson(withId('\\u202edeploy'))) },
        { what: 'a thousand combining marks', probe: post(rawJson(withId(`e${'\\u0301'.repeat(1000)}`))) },
        { what: 'emoji with zero-width joiners', probe: post(rawJson(withId('👩‍👩‍👧‍👦'))) },
        {
          what: 'a UTF-8 byte order mark',
          probe: post(rawJson(bytes([0xef, 0xbb, 0xbf], text), '(BOM + valid JSON)')),
        },
        {
          what: 'invalid UTF-8 bytes',
          probe: post(
            rawJson(
              bytes(text.slice(0, -1), ',"context":{"id":"', [0xc3, 0x28, 0xff, 0xfe], '"}}'),
              '(JSON with bytes C3 28 FF FE in a string)',
            ),
          ),
        },
        {
          what: 'an overlong UTF-8 encoding of "/"',
          probe: post(
            rawJson(
              bytes(text.slice(0, -1), ',"context":{"id":"..', [0xc0, 0xaf], '.."}}'),
              '(JSON with bytes C0 AF in a string)',
            ),
          ),
        },
        {
          what: 'a UTF-16 charset',
          probe: post({
            raw: Buffer.from(text, 'utf16le'),
            headers: { 'content-type': 'application/json; charset=utf-16' },
            describe: '(UTF-16LE body)',
          }),
        },
      ];
      const problems = await expectEach(ctx, probes, 'no-server-error');
      // One real request through the hashing and storage path; an unknown action, so at most a denied decision.
      const recorded = await ctx.http.send({
        method: 'POST',
        path: '/v1/decisions',
        as: 'agent',
        ...rawJson(`${text.slice(0, -1)},"context":{"id":"\\ud800\\u0000\\u202e"}}`),
      });
      problems.push(notServerError(recorded, 'POST /v1/decisions with a lone surrogate and NUL'));
      const id = field(recorded, 'id');
      if (recorded.status < 300 && typeof id === 'string')
        ctx.wrote(
          `decision ${id} with a lone surrogate in its context (${String(field(recorded, 'status'))})`,
        );
      return firstFailure(problems) ?? pass(`${probes.length + 1} bodies, no 5xx`);
    },
  },
  {
    id: 'IN-08',
    area: 'hostile-input',
    title: 'Hostile query strings and path parameters never cause a 5xx',
    async run(ctx) {
      const paths = [
        '/v1/decisions?limit=abc',
        '/v1/decisions?limit=-5',
        '/v1/decisions?limit=99999999999999999999999',
        '/v1/decisions?since=not-a-date',
        '/v1/decisions?until=2026-13-45T99:99:99Z',
        '/v1/decisions?cursor=%25%25%25',
        '/v1/decisions?cursor=AAAAAAAAAAAAAAAA',
        '/v1/decisions?status=everything',
        '/v1/decisions?status[]=pending&status[]=allowed',
        '/v1/decisions?limit=1&limit=2',
        '/v1/decisions/%00',
        '/v1/decisions/..%2F..%2F..%2Fetc%2Fpasswd',
        `/v1/decisions/${'d'.repeat(4000)}`,
        '/v1/decisions/dec_%F0%9F%92%A5%E2%80%AE',
        '/v1/decisions/dec_redteam/wait?timeoutMs=-1',
        '/v1/decisions/dec_redteam/wait?timeoutMs=abc',
        '/v1/ledger/entries?start=-10&end=5',
        '/v1/ledger/entries?start=0&end=999999999999',
        '/v1/ledger/proofs/inclusion?index=-1',
        '/v1/ledger/proofs/inclusion?index=1e30&treeSize=1',
        '/v1/ledger/proofs/inclusion?index=abc',
        '/v1/ledger/proofs/consistency?first=5&second=1',
        '/v1/ledger/proofs/consistency?first=-1',
        '/v1/monitor/%00/windows?from=garbage',
        '/v1/systems/%2e%2e',
      ];
      return expectAll(
        ctx,
        paths.map((path) => ({
          what: `GET ${path.slice(0, 80)}`,
          probe: { method: 'GET', path, as: 'approver' },
        })),
        'no-server-error',
        `${paths.length} requests, no 5xx`,
      );
    },
  },
  {
    id: 'IN-09',
    area: 'hostile-input',
    title: 'Odd methods, too many or too large headers and very long URLs are refused (4xx)',
    async run(ctx) {
      const manyHeaders: Record<string, string> = {};
      for (let i = 0; i < 300; i++) manyHeaders[`x-redteam-${i}`] = 'x'.repeat(20);
      const probes: NamedProbe[] = [
        { what: 'TRACE', probe: { method: 'TRACE', path: '/v1/me', as: 'agent' } },
        { what: 'PROPFIND', probe: { method: 'PROPFIND', path: '/v1/me', as: 'agent' } },
        {
          what: '300 headers',
          probe: {
            method: 'GET',
            path: '/v1/me',
            as: 'agent',
            headers: manyHeaders,
            describe: '(300 headers)',
          },
        },
        {
          what: 'a 32 KiB header',
          probe: {
            method: 'GET',
            path: '/v1/me',
            as: 'agent',
            headers: { 'x-redteam': 'x'.repeat(32 * 1024) },
            describe: '(one 32 KiB header)',
          },
        },
        {
          what: 'a 64 KiB URL',
          probe: { method: 'GET', path: `/v1/decisions?q=${'q'.repeat(64 * 1024)}`, as: 'agent' },
        },
      ];
      // Node itself answers some of these (431) without a JSON body: any 4xx will do.
      return expectAll(ctx, probes, 'any-client-error');
    },
  },
  {
    id: 'IN-11',
    area: 'hostile-input',
    title: 'A number beyond a double (1e999) anywhere in a body is a 400, never a 5xx or a silent null',
    async run(ctx) {
      const base = JSON.stringify(valid(ctx)).slice(0, -1);
      const bodies: [string, string][] = [
        ['context.n = 1e999', `${base},"context":{"n":1e999}}`],
        ['change.linesChanged = -1e999', `${base},"change":{"linesChanged":-1e999}}`],
        ['evidence = [1e999]', `${base},"evidence":[1e999]}`],
        ['context nested 3 deep = 1E+400', `${base},"context":{"a":{"b":[1,2,1E+400]}}}`],
      ];
      const problems = [];
      for (const [what, text] of bodies) {
        const response = await ctx.http.send(post(rawJson(text)));
        problems.push(statusIn(response, [400], what) ?? arbiterError(response, what));
      }
      return firstFailure(problems) ?? pass(`${bodies.length} bodies refused with 400`);
    },
  },
  {
    id: 'IN-10',
    area: 'hostile-input',
    title: 'After all of the above the server still serves (health, identity, a dry run)',
    async run(ctx) {
      const health = await ctx.http.send({ method: 'GET', path: '/healthz' });
      const ready = await ctx.http.send({ method: 'GET', path: '/readyz' });
      const me = await ctx.http.send({ method: 'GET', path: '/v1/me', as: 'agent' });
      const explained = await ctx.http.send(post({ json: valid(ctx) }));
      return (
        firstFailure([
          statusIn(health, [200], 'GET /healthz'),
          statusIn(ready, [200], 'GET /readyz'),
          statusIn(me, [200], 'GET /v1/me'),
          statusIn(explained, [200], 'a valid dry run'),
          typeof field(explained, 'effect') === 'string' ? undefined : 'the dry run has no effect',
        ]) ?? pass()
      );
    },
  },
];
