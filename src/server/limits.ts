import { hash } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { NdjsonBatch } from '../app/monitoring/batch.js';
import { ArbiterError } from '../core/errors.js';
import { defaultJsonDepth, inspectJsonBody, type JsonBodyProblem, textProblem } from '../core/json.js';

/**
 * What one request may cost the server: sizes, nesting, headers, time, and how many requests a
 * token (or an anonymous address) may send. Every limit has a default, an `arbiter serve` option
 * and a row in docs/server.md#limits. Options are checked and frozen once, at start.
 */
export interface ServerLimits {
  /** Largest request body in bytes (gate runs and monitoring batches have their own, larger limits). */
  bodyLimit: number;
  /** Deepest nesting of arrays and objects in a JSON body (a scalar is depth 0). */
  jsonDepth: number;
  /** Most request headers; more is a 431. Their total size is Node's 16 KiB. */
  maxHeaders: number;
  /** A client must send all its headers within this time, or the connection is closed (408). */
  headersTimeoutMs: number;
  /** A client must send the whole request (headers and body) within this time (408). */
  requestTimeoutMs: number;
  /** A connection silent for this long is closed; longer than the longest long poll (60 s). */
  connectionTimeoutMs: number;
  /** An idle keep-alive connection is closed after this; longer than a load balancer's idle timeout. */
  keepAliveTimeoutMs: number;
  /** Requests per `rateLimitWindowMs` per token (or per address without one); 0 turns limiting off. */
  rateLimit: number;
  rateLimitWindowMs: number;
  /** Request-body bytes per `rateLimitWindowMs` per token (or address); 0 turns the budget off. */
  byteRateLimit: number;
  /** Open connections in total; a new one past it is answered 503 and closed. */
  maxConnections: number;
  /** Open connections per client address; a new one past it is answered 429 and closed. 0: no limit. */
  connectionsPerAddress: number;
}

export const defaultLimits: Readonly<ServerLimits> = Object.freeze({
  bodyLimit: 256 * 1024,
  jsonDepth: defaultJsonDepth,
  maxHeaders: 100,
  headersTimeoutMs: 15_000,
  requestTimeoutMs: 120_000,
  connectionTimeoutMs: 90_000,
  keepAliveTimeoutMs: 72_000,
  rateLimit: 1200,
  rateLimitWindowMs: 60_000,
  byteRateLimit: 64 * 1024 * 1024,
  maxConnections: 2048,
  connectionsPerAddress: 256,
});

/** Limits where 0 means "off" rather than "nothing allowed". */
const mayBeOff: ReadonlySet<keyof ServerLimits> = new Set([
  'rateLimit',
  'byteRateLimit',
  'connectionsPerAddress',
]);

/** The longest `GET /v1/decisions/:id/wait` a client may ask for; connections must outlive it. */
const longestLongPollMs = 60_000;

/**
 * Merges `overrides` over the defaults, checks every value once and freezes the result.
 * Throws ARB_ERR_USAGE naming the limit when a value is not a usable integer.
 */
export function resolveLimits(overrides: Partial<ServerLimits> = {}): Readonly<ServerLimits> {
  const limits: ServerLimits = { ...defaultLimits };
  for (const [name, value] of Object.entries(overrides) as [keyof ServerLimits, number | undefined][]) {
    if (value === undefined) continue;
    if (!(name in defaultLimits)) throw new ArbiterError('ARB_ERR_USAGE', `unknown server limit ${name}`);
    const least = mayBeOff.has(name) ? 0 : 1;
    if (!Number.isSafeInteger(value) || value < least)
      throw new ArbiterError(
        'ARB_ERR_USAGE',
        `server limit ${name} must be an integer of at least ${least}, not ${String(value)}`,
      );
    limits[name] = value;
  }
  if (limits.headersTimeoutMs > limits.requestTimeoutMs)
    throw new ArbiterError('ARB_ERR_USAGE', 'the headers timeout cannot be longer than the request timeout');
  if (limits.connectionTimeoutMs <= longestLongPollMs)
    throw new ArbiterError(
      'ARB_ERR_USAGE',
      `the connection timeout must be longer than the longest long poll (${longestLongPollMs} ms)`,
    );
  return Object.freeze(limits);
}

/** The Fastify factory options that carry the limits. */
export function fastifyLimitOptions(limits: Readonly<ServerLimits>) {
  return {
    bodyLimit: limits.bodyLimit,
    connectionTimeout: limits.connectionTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // `__proto__` anywhere, or `constructor.prototype`, is a 400 from the JSON parser.
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    routerOptions: { maxParamLength },
    frameworkErrors: (error: Error & { code?: string }, _request: FastifyRequest, reply: FastifyReply) => {
      const refusal = frameworkError(error);
      void reply.code(refusal.status).send(refusal.toResponseBody());
    },
    clientErrorHandler: answerClientError,
    http: {
      headersTimeout: limits.headersTimeoutMs,
      // How often Node looks for connections past their headers or request timeout.
      connectionsCheckingInterval: Math.min(5_000, limits.headersTimeoutMs),
    },
  } as const;
}

/**
 * Requests Node's HTTP parser refuses before Fastify sees them (headers over 16 KiB, a malformed
 * request line) still get Arbiter's JSON error shape, then the connection is closed: the parser's
 * state is unknown, so nothing more is read from it.
 */
function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const refusal =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? new ArbiterError(
          'ARB_ERR_HEADERS_TOO_LARGE',
          'the request headers are larger than the server accepts',
        )
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? new ArbiterError('ARB_ERR_REQUEST_INVALID', 'the request was not received in time')
        : new ArbiterError('ARB_ERR_REQUEST_INVALID', 'the request is not valid HTTP');
  const status = error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : refusal.status;
  const body = JSON.stringify(refusal.toResponseBody());
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Bad Request'}\r\n` +
      'Content-Type: application/json; charset=utf-8\r\n' +
      'X-Content-Type-Options: nosniff\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}

export { inspectJsonBody, type JsonBodyProblem, reservedKeys, textProblem } from '../core/json.js';

/** The 400 for a path parameter or query value that is not clean text (textProblem), if it is not. */
export function textParameterError(
  part: 'params' | 'querystring',
  name: string,
  value: unknown,
): ArbiterError | undefined {
  const problem = typeof value === 'string' ? textProblem(value) : undefined;
  return problem
    ? new ArbiterError('ARB_ERR_REQUEST_INVALID', `${part}/${name} ${problem}`, {
        details: { reason: 'text', path: `${part}/${name}` },
      })
    : undefined;
}

/** The error for a body `inspectJsonBody` refused. */
export function jsonBodyError(problem: JsonBodyProblem): ArbiterError {
  const { message, ...details } = problem;
  return new ArbiterError('ARB_ERR_REQUEST_INVALID', message, { details });
}

/** Parses a JSON request body and applies `inspectJsonBody`; throws a 400 naming the problem. */
export function parseJsonBody(text: string, maxDepth: number): unknown {
  if (text.trim() === '')
    throw new ArbiterError(
      'ARB_ERR_REQUEST_INVALID',
      'the body is empty but content-type is application/json',
      {
        details: { reason: 'json-empty' },
      },
    );
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ArbiterError(
      'ARB_ERR_REQUEST_INVALID',
      `the body is not valid JSON: ${(error as Error).message}`,
      {
        details: { reason: 'json-syntax' },
      },
    );
  }
  const problem = inspectJsonBody(value, maxDepth);
  if (problem) throw jsonBodyError(problem);
  return value;
}

/** Requests the router refuses before any route runs: a malformed URL, an overlong path parameter. */
export function frameworkError(error: Error & { code?: string }): ArbiterError {
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH')
    return new ArbiterError(
      'ARB_ERR_REQUEST_INVALID',
      `a path parameter is longer than ${maxParamLength} characters`,
      {
        details: { reason: 'path-parameter-length', limit: maxParamLength },
      },
    );
  if (error.code === 'FST_ERR_BAD_URL')
    return new ArbiterError('ARB_ERR_REQUEST_INVALID', 'the path is not a valid URL (bad percent-encoding)', {
      details: { reason: 'bad-url' },
    });
  return new ArbiterError('ARB_ERR_REQUEST_INVALID', error.message, {
    details: { reason: error.code ?? 'router' },
  });
}

/** The longest path parameter the router accepts: above every id's own schema limit (System ids: 128). */
export const maxParamLength = 200;

const bearer = /^Bearer\s+(\S+)$/i;

/**
 * Whom a request counts against: the SHA-256 of its bearer token (the raw token never enters the
 * limiter's memory), or its address when it has none. Tokens are not verified here — the limiter
 * runs before authentication, so a flood of bad tokens is refused before it reaches the store.
 */
export function rateLimitKey(request: FastifyRequest): string {
  // The request limiter and the byte budget both ask: one hash per request.
  const known = rateLimitKeys.get(request);
  if (known !== undefined) return known;
  const header = request.headers.authorization;
  const token = typeof header === 'string' ? bearer.exec(header)?.[1] : undefined;
  const key = token ? `token:${hash('sha256', token, 'base64url')}` : `address:${request.ip}`;
  rateLimitKeys.set(request, key);
  return key;
}

const rateLimitKeys = new WeakMap<FastifyRequest, string>();

/** Probes must answer even when a load balancer's address has sent many requests. */
const unlimitedPaths: ReadonlySet<string> = new Set(['/healthz', '/readyz']);

/**
 * Installs what Fastify's factory options cannot express: the header count, the JSON parser with
 * its depth and key checks, and the rate limiter. Call before any route or other hook, so the
 * limiter runs ahead of authentication.
 */
export async function installLimits(app: FastifyInstance, limits: Readonly<ServerLimits>): Promise<void> {
  // Node keeps one header more than the limit, so the hook below can tell "too many" apart.
  app.server.maxHeadersCount = limits.maxHeaders + 1;

  // JSON.parse is iterative and defines `__proto__` as an own key, never as the prototype, so
  // the walk after it sees every reserved key and can name its path.
  // The API reads JSON (and NDJSON on monitoring routes): text/plain, which browsers may send
  // cross-site without a preflight, is a 415 like any other type rather than a string body.
  app.removeContentTypeParser('text/plain');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    done(null, parseJsonBody(body as string, limits.jsonDepth));
  });

  app.addHook('onRequest', async (request) => {
    const count = request.raw.rawHeaders.length / 2;
    if (count > limits.maxHeaders)
      throw new ArbiterError(
        'ARB_ERR_HEADERS_TOO_LARGE',
        `a request may carry at most ${limits.maxHeaders} headers`,
        { details: { limit: limits.maxHeaders } },
      );
    // Bodies are read as they arrive: a coding the server does not undo would be parsed as if it
    // were plain text, so the request is refused rather than half understood (RFC 9110 §8.4).
    const coding = request.headers['content-encoding'];
    if (coding !== undefined && String(coding).trim().toLowerCase() !== 'identity')
      throw new ArbiterError(
        'ARB_ERR_UNSUPPORTED_MEDIA_TYPE',
        `request bodies are not decompressed here (content-encoding: ${String(coding).slice(0, 40)}); send them uncompressed`,
        { details: { reason: 'content-encoding' } },
      );
  });

  // Path parameters and query strings are text too: the same rule as for bodies, before validation.
  app.addHook('preValidation', async (request) => {
    for (const [part, values] of [
      ['params', request.params],
      ['querystring', request.query],
    ] as const) {
      if (typeof values !== 'object' || values === null) continue;
      for (const [name, value] of Object.entries(values)) {
        for (const text of [name, ...(Array.isArray(value) ? value : [value])]) {
          const problem = textParameterError(part, name, text);
          if (problem) throw problem;
        }
      }
    }
  });

  if (limits.rateLimit > 0) {
    await app.register(rateLimit, {
      global: false,
      max: limits.rateLimit,
      timeWindow: limits.rateLimitWindowMs,
      keyGenerator: rateLimitKey,
      allowList: (request) => unlimitedPaths.has(request.url.split('?')[0] ?? ''),
      errorResponseBuilder: (_request, context) =>
        new ArbiterError(
          'ARB_ERR_RATE_LIMITED',
          `more than ${context.max} requests in ${limits.rateLimitWindowMs / 1000} s; retry in ${context.after}`,
          {
            details: {
              reason: 'requests',
              limit: context.max,
              windowMs: limits.rateLimitWindowMs,
              retryAfterMs: context.ttl,
            },
          },
        ),
    });
    app.addHook('onRequest', app.rateLimit());
  }
}

/**
 * Screens the items of an NDJSON monitoring batch for reserved keys and text that is not clean
 * Unicode: such a line becomes one
 * rejected item (a bad event never fails its batch), as a line that is not JSON does. Depth is
 * left to the batch reader, which bounds each event far below any JSON body limit.
 */
export function screenNdjson(batch: NdjsonBatch): NdjsonBatch {
  return new NdjsonBatch(
    batch.items.map((item) => {
      if (!('value' in item)) return item;
      const problem = inspectJsonBody(item.value, Number.MAX_SAFE_INTEGER);
      if (!problem || problem.reason === 'json-depth') return item;
      const where = item.line === undefined ? '' : `line ${item.line}: `;
      const at = problem.path.slice('body'.length) || '/';
      return {
        error:
          problem.reason === 'reserved-key'
            ? `${where}the key "${problem.key}" is not allowed (at ${at})`
            : `${where}${problem.message.replace(problem.path, at)}`,
        ...(item.line === undefined ? {} : { line: item.line }),
      };
    }),
  );
}

/** One `arbiter serve` option (and environment variable) per limit. */
export interface LimitOption {
  key: keyof ServerLimits;
  flag: string;
  env: string;
  /** How the option's number maps to the limit's unit. */
  scale: number;
  description: string;
}

export const limitOptions: readonly LimitOption[] = [
  {
    key: 'rateLimit',
    flag: '--rate-limit <n>',
    env: 'ARBITER_RATE_LIMIT',
    scale: 1,
    description: 'requests per window per token (per address without one); 0 turns it off',
  },
  {
    key: 'rateLimitWindowMs',
    flag: '--rate-limit-window <seconds>',
    env: 'ARBITER_RATE_LIMIT_WINDOW',
    scale: 1000,
    description: 'the rate-limit window',
  },
  {
    key: 'byteRateLimit',
    flag: '--byte-rate-limit <bytes>',
    env: 'ARBITER_BYTE_RATE_LIMIT',
    scale: 1,
    description:
      'request-body bytes per rate-limit window per token (per address without one); 0 turns it off',
  },
  {
    key: 'maxConnections',
    flag: '--max-connections <n>',
    env: 'ARBITER_MAX_CONNECTIONS',
    scale: 1,
    description: 'open connections in total (keep it below the open-file limit, ulimit -n)',
  },
  {
    key: 'connectionsPerAddress',
    flag: '--connections-per-address <n>',
    env: 'ARBITER_CONNECTIONS_PER_ADDRESS',
    scale: 1,
    description: "open connections per client address (behind a proxy: the proxy's); 0 turns it off",
  },
  {
    key: 'bodyLimit',
    flag: '--body-limit <bytes>',
    env: 'ARBITER_BODY_LIMIT',
    scale: 1,
    description: 'largest request body (gate runs 8 MiB, monitoring batches 16 MiB)',
  },
  {
    key: 'jsonDepth',
    flag: '--json-depth <n>',
    env: 'ARBITER_JSON_DEPTH',
    scale: 1,
    description: 'deepest nesting of a JSON body',
  },
  {
    key: 'maxHeaders',
    flag: '--max-headers <n>',
    env: 'ARBITER_MAX_HEADERS',
    scale: 1,
    description: 'most headers per request',
  },
  {
    key: 'headersTimeoutMs',
    flag: '--headers-timeout <ms>',
    env: 'ARBITER_HEADERS_TIMEOUT_MS',
    scale: 1,
    description: 'time a client has to send its headers',
  },
  {
    key: 'requestTimeoutMs',
    flag: '--request-timeout <ms>',
    env: 'ARBITER_REQUEST_TIMEOUT_MS',
    scale: 1,
    description: 'time a client has to send its whole request',
  },
  {
    key: 'connectionTimeoutMs',
    flag: '--connection-timeout <ms>',
    env: 'ARBITER_CONNECTION_TIMEOUT_MS',
    scale: 1,
    description: 'idle time before a connection is closed (above 60000, the longest long poll)',
  },
  {
    key: 'keepAliveTimeoutMs',
    flag: '--keep-alive-timeout <ms>',
    env: 'ARBITER_KEEP_ALIVE_TIMEOUT_MS',
    scale: 1,
    description: 'idle time before a keep-alive connection is closed',
  },
];

/** The option's name in commander's parsed options: `--rate-limit-window` → `rateLimitWindow`. */
export function optionProperty(option: LimitOption): string {
  return option.flag
    .split(' ')[0]!
    .slice(2)
    .replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

/**
 * The limits `arbiter serve` was given: each option, else its environment variable, else the
 * default; checked by `resolveLimits`. Throws ARB_ERR_USAGE naming the option of a bad value.
 */
export function limitsFromOptions(
  options: Record<string, unknown>,
  env: Record<string, string | undefined>,
): Readonly<ServerLimits> {
  const overrides: Partial<ServerLimits> = {};
  for (const option of limitOptions) {
    const given = options[optionProperty(option)];
    const text = typeof given === 'string' ? given : env[option.env];
    if (text === undefined || text === '') continue;
    const value = Number(text);
    const name = typeof given === 'string' ? option.flag.split(' ')[0] : `$${option.env}`;
    if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value))
      throw new ArbiterError('ARB_ERR_USAGE', `${name} ${text} must be a whole number`);
    overrides[option.key] = value * option.scale;
  }
  return resolveLimits(overrides);
}
