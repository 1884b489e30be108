import { connect, type Socket } from 'node:net';
import { completeResponse, type ProbeResponse } from '../../src/redteam/http.js';

/** A connection opened over a bare socket, and what came back on it. */
export interface RawConnection {
  socket: Socket;
  /** Everything received so far. */
  received(): Buffer;
  /** The answer, once a whole one (head and Content-Length body) has arrived. */
  answer(): ProbeResponse | undefined;
  closed(): boolean;
}

/**
 * Opens a connection to `url` (from `localAddress`: any 127.x.y.z is loopback on Linux, so a test
 * can be several clients) and writes `text` on it.
 */
export function openRaw(url: string, text: string, localAddress?: string): RawConnection {
  const { hostname, port } = new URL(url);
  const socket = connect({ host: hostname, port: Number(port), ...(localAddress ? { localAddress } : {}) });
  const chunks: Buffer[] = [];
  let closed = false;
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('error', () => {
    // A refused connection may be reset after its answer; the test judges what arrived.
  });
  socket.on('close', () => {
    closed = true;
  });
  socket.write(text);
  return {
    socket,
    received: () => Buffer.concat(chunks),
    answer: () => completeResponse(Buffer.concat(chunks)),
    closed: () => closed,
  };
}

/** Polls `done` until it holds; fails the test with `what` after `ms`. */
export async function eventually(
  done: () => boolean | Promise<boolean>,
  what: string,
  ms = 15_000,
): Promise<void> {
  const until = Date.now() + ms;
  while (!(await done())) {
    if (Date.now() > until) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The head of an HTTP/1.1 request, ending with the blank line. */
export function requestHead(method: string, path: string, headers: Record<string, string>): string {
  return [
    `${method} ${path} HTTP/1.1`,
    'host: 127.0.0.1',
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    '',
    '',
  ].join('\r\n');
}

/**
 * Sends only the head of a request that declares a body of `declaredLength` bytes and waits for
 * the answer the server gives without it (a refusal made before reading the body).
 */
export async function answerWithoutBody(
  url: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  declaredLength: number,
): Promise<ProbeResponse & { connection: RawConnection }> {
  const connection = openRaw(
    url,
    requestHead(method, path, { ...headers, 'content-length': String(declaredLength) }),
  );
  await eventually(
    () => connection.answer() !== undefined || connection.closed(),
    `${method} ${path} is answered without its body`,
  );
  const answer = connection.answer();
  connection.socket.destroy();
  if (!answer) throw new Error(`${method} ${path}: the connection closed without an answer`);
  return { ...answer, connection };
}
