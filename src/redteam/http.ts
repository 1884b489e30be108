import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

/**
 * The red-team suite's HTTP client. It speaks node:http directly (not fetch) because the checks
 * send what fetch refuses to: any method, raw bytes that are not UTF-8, hundreds of headers.
 * Every exchange is kept, so later checks can scan all responses (for echoed tokens, stack traces).
 */

export interface ProbeRequest {
  method: string;
  /** Path and query, starting with `/`. */
  path: string;
  /** Which token to send, by its name in the run (`agent`, `approver`, …), or a literal header value. */
  as?: string;
  /** A JSON value to send (serialised here), or raw bytes / text sent as they are. */
  json?: unknown;
  raw?: string | Uint8Array;
  headers?: Record<string, string>;
  /** How the evidence line describes the body when the body itself is too big or too odd to quote. */
  describe?: string;
}

export interface ProbeResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body as text (at most `maxBodyBytes`). */
  text: string;
  /** The body parsed as JSON, when it is JSON. */
  body: unknown;
}

/** One request and what came back (or the network error, `status` 0). */
export interface Exchange {
  request: ProbeRequest;
  /** What the evidence shows of the request body. */
  requestExcerpt: string;
  response: ProbeResponse;
  error?: string;
}

const maxBodyBytes = 1024 * 1024;
/** Bodies larger than this are sent in two steps, so an early refusal is read before the rest. */
const earlyAnswerBytes = 64 * 1024;
const earlyAnswerWaitMs = 250;

/** A client bound to one target: sends probes with the run's tokens and keeps every exchange. */
export class Prober {
  readonly exchanges: Exchange[] = [];
  private readonly base: URL;

  constructor(
    url: string,
    /** Bearer tokens by name; `as: name` sends `Authorization: Bearer <token>`. */
    readonly tokens: Readonly<Record<string, string>>,
    private readonly timeoutMs = 15_000,
  ) {
    this.base = new URL(url.endsWith('/') ? url : `${url}/`);
  }

  /** The target's base URL, without a trailing slash. */
  get url(): string {
    return this.base.href.replace(/\/$/, '');
  }

  /** Sends one request; never throws (a network failure is status 0 with `error`). */
  async send(probe: ProbeRequest): Promise<ProbeResponse> {
    const headers: Record<string, string> = { accept: 'application/json', ...probe.headers };
    if (probe.as !== undefined) {
      const token = this.tokens[probe.as];
      headers.authorization = token === undefined ? probe.as : `Bearer ${token}`;
    }
    let payload: Uint8Array | undefined;
    if (probe.json !== undefined) {
      payload = Buffer.from(JSON.stringify(probe.json), 'utf8');
      headers['content-type'] ??= 'application/json';
    } else if (probe.raw !== undefined) {
      payload = typeof probe.raw === 'string' ? Buffer.from(probe.raw, 'utf8') : probe.raw;
    }
    const exchange: Exchange = {
      request: probe,
      requestExcerpt: probe.describe ?? excerptOf(probe),
      response: { status: 0, headers: {}, text: '', body: undefined },
    };
    try {
      exchange.response = await this.transmit(probe, headers, payload);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // A server that refuses a big body answers and closes while the body is still being sent;
      // node:http then reports the broken pipe instead of the answer, so read it off the socket.
      if (payload !== undefined && (code === 'EPIPE' || code === 'ECONNRESET')) {
        try {
          exchange.response = await this.transmitOverSocket(probe, headers, payload);
        } catch (retryError) {
          exchange.error = (retryError as Error).message;
        }
      } else exchange.error = (error as Error).message;
    }
    this.exchanges.push(exchange);
    return exchange.response;
  }

  private transmit(
    probe: ProbeRequest,
    headers: Record<string, string>,
    payload: Uint8Array | undefined,
  ): Promise<ProbeResponse> {
    const target = new URL(probe.path.replace(/^\//, ''), this.base);
    // Keep the path exactly as written (URL would normalise `..` and percent-encodings away).
    const path = `${this.base.pathname.replace(/\/$/, '')}${probe.path}`;
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    if (payload !== undefined) headers['content-length'] = String(payload.byteLength);
    return new Promise((resolve, reject) => {
      const req = send(
        {
          protocol: target.protocol,
          hostname: target.hostname,
          port: target.port,
          method: probe.method,
          path,
          headers,
          timeout: this.timeoutMs,
          agent: false,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            if (size < maxBodyBytes) chunks.push(chunk);
            size += chunk.length;
          });
          res.on('end', () => {
            const text = Buffer.concat(chunks).subarray(0, maxBodyBytes).toString('utf8');
            let body: unknown;
            try {
              body = JSON.parse(text);
            } catch {
              body = undefined;
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body });
            req.destroy();
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on('error', (error) => reject(error));
      if (payload === undefined || payload.byteLength <= earlyAnswerBytes) {
        req.end(payload);
        return;
      }
      // A server refusing a big body answers (413) after the first bytes and closes; if the rest
      // were still being written, the reset could destroy that answer. So wait for it first.
      let answered = false;
      req.on('response', () => {
        answered = true;
      });
      req.write(payload.subarray(0, earlyAnswerBytes));
      setTimeout(() => {
        if (!answered) req.end(payload.subarray(earlyAnswerBytes));
      }, earlyAnswerWaitMs);
    });
  }

  /** A bare connection to the target (TLS for https), for probes node:http cannot send. */
  connect(): Socket {
    const port = Number(this.base.port || (this.base.protocol === 'https:' ? 443 : 80));
    return this.base.protocol === 'https:'
      ? tlsConnect({ host: this.base.hostname, port, servername: this.base.hostname })
      : netConnect({ host: this.base.hostname, port });
  }

  /** The request line and headers of `probe` as raw HTTP/1.1 text, ending with the blank line. */
  head(probe: ProbeRequest, headers: Record<string, string>): string {
    const path = `${this.base.pathname.replace(/\/$/, '')}${probe.path}`;
    return [
      `${probe.method} ${path} HTTP/1.1`,
      `host: ${this.base.host}`,
      'connection: close',
      ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
      '',
      '',
    ].join('\r\n');
  }

  /**
   * Sends only the head of a request that declares a `declaredLength`-byte body, and withholds the
   * body: the answer, if the server gives one within `waitMs` without the body (a refusal made
   * before reading), else undefined, and the connection is dropped. Recorded like any exchange.
   */
  async sendHeadOnly(
    probe: ProbeRequest,
    declaredLength: number,
    waitMs: number,
  ): Promise<ProbeResponse | undefined> {
    const headers: Record<string, string> = {
      accept: 'application/json',
      ...probe.headers,
      'content-length': String(declaredLength),
    };
    if (probe.as !== undefined) headers.authorization = `Bearer ${this.tokens[probe.as] ?? ''}`;
    const exchange: Exchange = {
      request: probe,
      requestExcerpt: probe.describe ?? `(headers only: content-length ${declaredLength}, body withheld)`,
      response: { status: 0, headers: {}, text: '', body: undefined },
    };
    const answer = await new Promise<ProbeResponse | undefined>((resolve) => {
      const socket = this.connect();
      const received: Buffer[] = [];
      const finish = (response: ProbeResponse | undefined) => {
        clearTimeout(timer);
        socket.destroy();
        resolve(response);
      };
      const timer = setTimeout(() => finish(undefined), waitMs);
      socket.on('error', () => {
        // A refusal may reset the connection after its answer; what arrived is judged.
      });
      socket.on('data', (chunk: Buffer) => {
        received.push(chunk);
        const response = completeResponse(Buffer.concat(received));
        if (response) finish(response);
      });
      socket.on('close', () => finish(completeResponse(Buffer.concat(received))));
      socket.write(this.head(probe, headers));
    });
    if (answer) exchange.response = answer;
    else exchange.error = `no answer within ${waitMs} ms without the body`;
    this.exchanges.push(exchange);
    return answer;
  }

  /** Records an exchange a check made itself over raw connections (evidence for the report). */
  record(exchange: Exchange): void {
    this.exchanges.push(exchange);
  }

  /** Sends a request on a bare socket, ignoring write errors, and parses whatever answer arrives. */
  private transmitOverSocket(
    probe: ProbeRequest,
    headers: Record<string, string>,
    payload: Uint8Array,
  ): Promise<ProbeResponse> {
    const head = this.head(probe, headers);
    return new Promise((resolve, reject) => {
      const socket = this.connect();
      const received: Buffer[] = [];
      const timer = setTimeout(() => socket.destroy(), this.timeoutMs);
      socket.on('data', (chunk: Buffer) => received.push(chunk));
      socket.on('error', () => {
        // A reset after the answer is expected; the answer is judged on close.
      });
      socket.on('close', () => {
        clearTimeout(timer);
        try {
          resolve(parseRawResponse(Buffer.concat(received)));
        } catch (error) {
          reject(error);
        }
      });
      socket.write(head);
      socket.end(payload);
    });
  }
}

/** Parses a raw HTTP/1.1 answer (content-length or chunked body). */
function parseRawResponse(raw: Buffer): ProbeResponse {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) throw new Error('the connection closed without an answer');
  const [statusLine, ...lines] = raw.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '')?.[1] ?? 0);
  const headers: IncomingHttpHeaders = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = raw.subarray(end + 4);
  if (headers['transfer-encoding'] === 'chunked') {
    const chunks: Buffer[] = [];
    let at = 0;
    for (;;) {
      const lineEnd = body.indexOf('\r\n', at);
      const size = Number.parseInt(body.subarray(at, lineEnd).toString('latin1'), 16);
      if (lineEnd < 0 || !(size > 0)) break;
      chunks.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
      at = lineEnd + 2 + size + 2;
    }
    body = Buffer.concat(chunks);
  }
  const text = body.toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status, headers, text, body: parsed };
}

/** The answer in `raw` once it is complete (head and Content-Length body), else undefined. */
export function completeResponse(raw: Buffer): ProbeResponse | undefined {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(raw.subarray(0, end).toString('latin1'))?.[1];
  if (length === undefined || raw.length - end - 4 < Number(length)) return undefined;
  return parseRawResponse(raw.subarray(0, end + 4 + Number(length)));
}

/** A short, single-line account of a request body for the evidence. */
function excerptOf(probe: ProbeRequest): string {
  if (probe.json !== undefined) return JSON.stringify(probe.json);
  if (probe.raw === undefined) return '';
  if (typeof probe.raw === 'string') return JSON.stringify(probe.raw);
  return `(${probe.raw.byteLength} raw bytes)`;
}

/** The `error.code` of an Arbiter error body, if the body is one. */
export function errorCode(response: ProbeResponse): string | undefined {
  const error = (response.body as { error?: { code?: unknown } } | undefined)?.error;
  return typeof error?.code === 'string' ? error.code : undefined;
}

/** A JSON object field of a response body, or undefined. */
export function field(response: ProbeResponse, name: string): unknown {
  const body = response.body;
  return body !== null && typeof body === 'object' && !Array.isArray(body)
    ? (body as Record<string, unknown>)[name]
    : undefined;
}
