import { createServer, type IncomingMessage, type Server } from 'node:http';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { ArbiterApiError, ArbiterClient } from '../client/index.js';
import { TtlCache } from '../core/ttl-cache.js';
import { createArbiterMcpServer } from './tools.js';

const maxBody = 1024 * 1024;

function readJson(request: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBody) {
        reject(new Error('request body too large'));
        request.destroy();
      } else chunks.push(chunk);
    });
    request.on('end', () => {
      if (chunks.length === 0) return resolve(undefined);
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        reject(new Error('request body is not JSON'));
      }
    });
    request.on('error', reject);
  });
}

/**
 * Arbiter's MCP tools over Streamable HTTP at /mcp, stateless: each request carries the agent's
 * Arbiter token (`Authorization: Bearer arb_…`) and gets its own server instance. Tokens are
 * checked against Arbiter before any tool runs (and the answer cached for a minute).
 */
export async function serveMcpOverHttp(options: {
  host: string;
  port: number;
  arbiterUrl: string;
  dashboardUrl: string;
}): Promise<{ url: string; server: Server }> {
  const valid = new TtlCache<string, true>(60_000);
  const server = createServer(async (request, response) => {
    const reply = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (!request.url || new URL(request.url, 'http://localhost').pathname !== '/mcp')
      return reply(404, { error: 'the MCP endpoint is /mcp' });
    const token = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
    if (!token) return reply(401, { error: 'send Authorization: Bearer <Arbiter agent token>' });
    const client = new ArbiterClient({ url: options.arbiterUrl, token });
    if (!valid.get(token)) {
      try {
        await client.listSystems();
        valid.set(token, true);
      } catch (error) {
        if (error instanceof ArbiterApiError && (error.status === 401 || error.status === 403))
          return reply(401, { error: error.message });
        return reply(502, {
          error: `Arbiter at ${options.arbiterUrl} did not answer: ${(error as Error).message}`,
        });
      }
    }
    let body: unknown;
    try {
      body = request.method === 'POST' ? await readJson(request) : undefined;
    } catch (error) {
      return reply(400, { error: (error as Error).message });
    }
    const mcp = createArbiterMcpServer(client, { dashboardUrl: options.dashboardUrl });
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    response.on('close', () => {
      void transport.close();
      void mcp.close();
    });
    await mcp.connect(transport);
    await transport.handleRequest(request, response, body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return { url: `http://${options.host}:${port}/mcp`, server };
}
