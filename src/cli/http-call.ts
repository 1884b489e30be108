import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

// One HTTP exchange over node:http(s), for the commands that run once per agent tool call: `fetch`
// would load undici on every start, which costs more than the round trip itself on loopback.

export interface HttpCall {
  url: URL;
  method: 'GET' | 'POST';
  headers?: OutgoingHttpHeaders;
  body?: string | Buffer;
  /** The whole exchange, connect to last byte. */
  timeoutMs: number;
  /** Larger answers are abandoned: a hook never buffers an unbounded body. */
  maxBytes: number;
}

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A failed exchange, with a reason fit for one line of stderr (no URL credentials, no token). */
export class HttpCallError extends Error {}

/** The URL as it may be shown: user name and password removed. */
export function displayUrl(url: URL): string {
  if (!url.username && !url.password) return url.origin + url.pathname;
  const shown = new URL(url.href);
  shown.username = '';
  shown.password = '';
  return shown.origin + shown.pathname;
}

export async function httpCall(call: HttpCall): Promise<HttpAnswer> {
  if (call.url.protocol !== 'http:' && call.url.protocol !== 'https:')
    throw new HttpCallError(`${call.url.protocol} is not http: or https:`);
  // node:https (and TLS) load only for an https: URL.
  const request: typeof import('node:http').request =
    call.url.protocol === 'https:'
      ? (await import('node:https')).request
      : (await import('node:http')).request;
  return new Promise<HttpAnswer>((resolve, reject) => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const fail = (reason: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outgoing.destroy();
      reject(new HttpCallError(reason));
    };
    const outgoing = request(
      call.url,
      {
        method: call.method,
        // A fresh connection, closed after the answer: a pooled keep-alive socket would hold the
        // process open after the hook has answered.
        agent: false,
        headers: {
          ...call.headers,
          connection: 'close',
          ...(call.body !== undefined ? { 'content-length': Buffer.byteLength(call.body) } : {}),
        },
      },
      (incoming) => {
        const chunks: Buffer[] = [];
        let size = 0;
        incoming.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > call.maxBytes) fail(`the answer is larger than ${call.maxBytes} bytes`);
          else chunks.push(chunk);
        });
        incoming.on('error', (error) => fail(`the answer broke off (${error.message})`));
        incoming.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({
            status: incoming.statusCode ?? 0,
            headers: incoming.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          });
        });
      },
    );
    timer = setTimeout(
      () => fail(`no answer within ${Math.round(call.timeoutMs / 100) / 10}s`),
      call.timeoutMs,
    );
    outgoing.on('error', (error: NodeJS.ErrnoException) => fail(error.code ?? error.message));
    outgoing.end(call.body);
  });
}
