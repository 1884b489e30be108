import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request an API stand-in received, as the provider would have. */
export interface ReceivedCall {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** Answers a call: the status, and the JSON body when there is one (or `raw` text of a content type). */
export type Answer = (status: number, json?: unknown, raw?: { contentType: string; text: string }) => void;

/**
 * A real HTTP server on loopback for a provider API stand-in (GitHub, GitLab): each request is
 * read whole, recorded in `calls`, then handed to `route`, which answers it.
 */
export async function startApiStandIn(
  calls: ReceivedCall[],
  /** Answers with `answer`, or writes to `response` itself (e.g. an answer that never ends). */
  route: (call: ReceivedCall, answer: Answer, response: ServerResponse) => void,
): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const call: ReceivedCall = {
        method: request.method ?? '',
        path: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      calls.push(call);
      route(
        call,
        (status, json, raw) => {
          if (raw) {
            response.writeHead(status, { 'content-type': raw.contentType });
            response.end(raw.text);
            return;
          }
          response.writeHead(status, json === undefined ? {} : { 'content-type': 'application/json' });
          response.end(json === undefined ? undefined : JSON.stringify(json));
        },
        response,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}
