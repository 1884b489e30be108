import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '../../core/logger.js';
import { maxRequestBytes } from '../../witness/add-checkpoint.js';
import type { WitnessResponse, WitnessState } from './witness-state.js';

/** Informational log lines, when the logger has them (pino does; the core Logger needs only warn/error). */
type WitnessLogger = Logger & { info?(details: object, message: string): void };

/**
 * The witness's HTTP interface (c2sp.org/tlog-witness): `POST /add-checkpoint` and nothing else.
 * Bodies are capped before they are read in full, slow clients time out, and every answer is
 * the spec's plain-text status — the request never reaches the state unless it fits.
 */
export function createWitnessServer(options: {
  state: WitnessState;
  clock?: () => Date;
  logger: WitnessLogger;
  /** Seconds a client has to send its headers and body (default 10). */
  requestTimeoutSeconds?: number;
}): Server {
  const clock = options.clock ?? (() => new Date());
  const timeoutMs = (options.requestTimeoutSeconds ?? 10) * 1000;
  const server = createServer(
    { requestTimeout: timeoutMs, headersTimeout: timeoutMs },
    (request, response) => {
      handle(request, response).catch((error: unknown) => {
        options.logger.error(
          { err: error instanceof Error ? error : new Error(String(error)) },
          'witness request failed',
        );
        if (!response.headersSent)
          reply(response, { status: 500, contentType: 'text/plain', body: 'internal error\n' });
      });
    },
  );
  server.keepAliveTimeout = 30_000;

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '').split('?')[0];
    if (path !== '/add-checkpoint') return reply(response, plain(404, 'not found'));
    if (request.method !== 'POST') {
      response.setHeader('Allow', 'POST');
      return reply(response, plain(405, 'add-checkpoint takes POST'));
    }
    const declared = Number(request.headers['content-length'] ?? Number.NaN);
    if (declared > maxRequestBytes) return tooLarge(request, response);
    const body = await readCapped(request, maxRequestBytes);
    if (body === 'too-large') return tooLarge(request, response);
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(body);
    } catch {
      return reply(response, plain(400, 'request body is not UTF-8'));
    }
    const answer = options.state.addCheckpoint(text, clock());
    const details = { status: answer.status, origin: answer.origin, reason: answer.reason };
    if (answer.status === 200) options.logger.info?.(details, 'cosigned');
    else if (answer.status === 409 || answer.status === 422)
      options.logger.warn(details, 'add-checkpoint refused');
    else options.logger.info?.(details, 'add-checkpoint refused');
    reply(response, answer);
  }

  return server;
}

/**
 * 413, then the connection closes. The rest of the body is read and dropped, not buffered (the
 * request timeout bounds how long): closing with unread data would reset the connection before
 * the client reads the answer.
 */
function tooLarge(request: IncomingMessage, response: ServerResponse): void {
  response.setHeader('Connection', 'close');
  reply(response, plain(413, `request body is larger than ${maxRequestBytes} bytes`));
  request.resume();
}

function plain(status: number, reason: string): WitnessResponse {
  return { status, contentType: 'text/plain; charset=utf-8', body: `${reason}\n` };
}

function reply(response: ServerResponse, answer: WitnessResponse): void {
  response.statusCode = answer.status;
  response.setHeader('Content-Type', answer.contentType);
  response.setHeader('Cache-Control', 'no-store');
  response.end(answer.body);
}

/** The body, or 'too-large' as soon as it passes `limit` bytes (the rest is never buffered). */
function readCapped(request: IncomingMessage, limit: number): Promise<Uint8Array | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    let done = false;
    request.on('data', (chunk: Buffer) => {
      if (done) return;
      length += chunk.length;
      if (length > limit) {
        done = true;
        chunks.length = 0;
        resolve('too-large');
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      if (!done) resolve(new Uint8Array(Buffer.concat(chunks)));
    });
    request.on('error', (error) => {
      if (!done) reject(error);
    });
  });
}
