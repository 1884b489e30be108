import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { afterAll } from 'vitest';

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * A real HTTP receiver on loopback that records what arrives and answers as told: a status, no
 * answer at all ('hang'), or an answer the test writes itself.
 */
export async function startReceiver(
  answer: (request: Received, count: number) => number | 'hang' | ((response: ServerResponse) => void) = () =>
    200,
): Promise<{
  url: string;
  received: Received[];
  server: Server;
}> {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      const record = { path: request.url ?? '', headers: request.headers, body };
      received.push(record);
      const status = answer(record, received.length);
      if (status === 'hang') return;
      if (typeof status === 'function') return status(response);
      response.writeHead(status, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const address = server.address();
  return {
    url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
    received,
    server,
  };
}
