import type { IncomingHttpHeaders } from 'node:http';
import { type Check, fail, firstFailure, pass, skip } from '../check.js';
import type { Exchange } from '../http.js';

/** Signs of internals in an answer: stack frames, source paths, installed modules. */
const internals: { name: string; pattern: RegExp }[] = [
  {
    name: 'a stack frame',
    pattern: /\bat (?:async )?[\w$.<>[\] ]+ \((?:file:\/\/)?\/[^)]*:\d+:\d+\)|(?:\n|\\n)\s+at \S/,
  },
  { name: 'a source path', pattern: /(?:\/[\w.-]+)+\/(?:src|dist|lib)\/[\w/.-]+\.[cm]?[jt]s\b/ },
  { name: 'node_modules', pattern: /node_modules[\\/]/ },
];

const header = (headers: IncomingHttpHeaders, name: string) => {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
};

function answered(exchange: Exchange): boolean {
  return exchange.response.status > 0;
}

export const disclosureChecks: Check[] = [
  {
    id: 'DIS-01',
    area: 'disclosure',
    title:
      'Error answers carry no stack trace, source path or module name; JSON ones are {error: {code, message}}',
    async run(ctx) {
      // A few more errors of different kinds, then every answer of the run so far.
      await ctx.http.send({ method: 'GET', path: '/v1/no-such-route', as: 'approver' });
      await ctx.http.send({ method: 'DELETE', path: '/v1/decisions', as: 'approver' });
      await ctx.http.send({
        method: 'POST',
        path: '/v1/decisions/explain',
        as: 'approver',
        raw: '{"action":}',
        headers: { 'content-type': 'application/json' },
      });
      const problems: string[] = [];
      let errors = 0;
      for (const exchange of ctx.http.exchanges.filter(answered)) {
        const { status, text, headers } = exchange.response;
        for (const { name, pattern } of internals)
          if (pattern.test(text))
            problems.push(
              `${exchange.request.method} ${exchange.request.path.slice(0, 60)} → ${status} shows ${name}`,
            );
        if (status < 400) continue;
        errors++;
        const json = /application\/json/.test(header(headers, 'content-type') ?? '');
        const body = exchange.response.body as { error?: { code?: unknown; message?: unknown } } | undefined;
        // Protocol errors answered by Node, or by a proxy in front, may be bare or HTML: only the
        // internals patterns above apply to them. JSON answers are Arbiter's and keep its shape.
        if (json && (typeof body?.error?.code !== 'string' || typeof body.error.message !== 'string'))
          problems.push(
            `${exchange.request.method} ${exchange.request.path.slice(0, 60)}${exchange.request.describe ? ` ${exchange.request.describe}` : ''} → ${status} is not an {error: {code, message}} JSON body: ${text.slice(0, 80)}`,
          );
        if (status >= 500)
          problems.push(`${exchange.request.method} ${exchange.request.path.slice(0, 60)} → ${status}`);
      }
      return firstFailure(problems) ?? pass(`${errors} error answers inspected`);
    },
  },
  {
    id: 'DIS-02',
    area: 'disclosure',
    title:
      'API answers carry nosniff, no X-Powered-By or server version, and no CORS grant to a foreign origin',
    async run(ctx) {
      const origin = 'https://redteam.invalid';
      const me = await ctx.http.send({ method: 'GET', path: '/v1/me', as: 'approver', headers: { origin } });
      const missing = await ctx.http.send({ method: 'GET', path: '/v1/no-such-route', headers: { origin } });
      const preflight = await ctx.http.send({
        method: 'OPTIONS',
        path: '/v1/decisions',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization, content-type',
        },
      });
      const problems: (string | undefined)[] = [];
      for (const [what, response] of [
        ['GET /v1/me', me],
        ['a 404', missing],
      ] as const) {
        const h = response.headers;
        if (!/application\/json/.test(header(h, 'content-type') ?? ''))
          problems.push(
            `${what}: content-type is ${header(h, 'content-type') ?? 'missing'}, not application/json`,
          );
        if (header(h, 'x-content-type-options') !== 'nosniff')
          problems.push(`${what}: no x-content-type-options: nosniff`);
        if (header(h, 'x-powered-by')) problems.push(`${what}: x-powered-by: ${header(h, 'x-powered-by')}`);
        if (/\d/.test(header(h, 'server') ?? '')) problems.push(`${what}: server header names a version`);
        if (ctx.http.url.startsWith('https:') && !header(h, 'strict-transport-security'))
          problems.push(`${what}: no strict-transport-security over HTTPS`);
      }
      for (const [what, response] of [
        ['GET /v1/me from a foreign origin', me],
        ['a CORS preflight from a foreign origin', preflight],
      ] as const) {
        const allowed = header(response.headers, 'access-control-allow-origin');
        if (allowed === '*' || allowed === origin)
          problems.push(`${what}: access-control-allow-origin: ${allowed}`);
      }
      return firstFailure(problems) ?? pass();
    },
  },
  {
    id: 'DIS-03',
    area: 'disclosure',
    title: 'Dashboard pages (when served) carry a CSP, frame denial, nosniff and no-referrer',
    async run(ctx) {
      const page = await ctx.http.send({ method: 'GET', path: '/', headers: { accept: 'text/html' } });
      if (page.status !== 200 || !/text\/html/.test(header(page.headers, 'content-type') ?? ''))
        return skip(`GET / answered ${page.status} without HTML: no dashboard is served`);
      const h = page.headers;
      const csp = header(h, 'content-security-policy') ?? '';
      return (
        firstFailure([
          csp ? undefined : 'no content-security-policy',
          /script-src[^;]*'unsafe-inline'/.test(csp) ? "the CSP allows 'unsafe-inline' scripts" : undefined,
          header(h, 'x-frame-options')?.toUpperCase() === 'DENY' || /frame-ancestors 'none'/.test(csp)
            ? undefined
            : 'pages may be framed (no x-frame-options: DENY or frame-ancestors)',
          header(h, 'x-content-type-options') === 'nosniff'
            ? undefined
            : 'no x-content-type-options: nosniff',
          header(h, 'referrer-policy') ? undefined : 'no referrer-policy',
        ]) ?? pass()
      );
    },
  },
];

/** Runs last: looks for every token of the run in every answer, headers included. */
export const tokenEchoCheck: Check = {
  id: 'DIS-04',
  area: 'disclosure',
  title:
    'No answer of the whole run echoes a token (bodies and headers, /metrics and /openapi.json included)',
  async run(ctx) {
    await ctx.http.send({ method: 'GET', path: '/metrics', headers: { accept: 'text/plain' } });
    await ctx.http.send({ method: 'GET', path: '/openapi.json' });
    for (const as of Object.keys(ctx.http.tokens).filter((name) => name !== 'agent'))
      await ctx.http.send({ method: 'GET', path: '/v1/me', as });
    const answers = ctx.http.exchanges.filter(answered);
    for (const exchange of answers) {
      const text = `${JSON.stringify(exchange.response.headers)}\n${exchange.response.text}`;
      // Tokens the run sent in Authorization headers, including made-up ones.
      const sent = exchange.request.as?.replace(/^\w+\s+/, '');
      const secrets = [...ctx.secrets, ...(sent && sent.length >= 16 ? [sent] : [])];
      const echoed = secrets.find((secret) => secret.length >= 16 && text.includes(secret));
      if (echoed !== undefined)
        return fail(
          `${exchange.request.method} ${exchange.request.path.slice(0, 60)} → ${exchange.response.status} contains a token${ctx.secrets.includes(echoed) ? '' : ' the run sent'}`,
        );
    }
    return pass(`${answers.length} answers scanned`);
  },
};
