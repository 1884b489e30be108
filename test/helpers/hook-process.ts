import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import type { CliResult } from './cli.js';
import { repoRoot } from './cli.js';
import { tempDir } from './temp.js';

const bin = fileURLToPath(new URL('../../bin/arbiter.js', import.meta.url));

/**
 * An environment for a spawned `arbiter` that owes nothing to the machine running the tests: no
 * ARBITER_* variables, a HOME and git configuration of its own.
 */
export function isolatedEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const home = tempDir('arbiter-home-');
  mkdirSync(join(home, '.config'), { recursive: true });
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env))
    if (!name.startsWith('ARBITER_') && !name.startsWith('GIT_') && name !== 'CODEX_HOME') env[name] = value;
  Object.assign(env, { HOME: home, XDG_CONFIG_HOME: join(home, '.config'), GIT_CONFIG_NOSYSTEM: '1' }, extra);
  for (const [name, value] of Object.entries(env)) if (value === undefined) delete env[name];
  return env;
}

/**
 * Runs the built binary with `input` on stdin, as an agent runs its hook; the event loop stays free
 * for a server in this process. With `keepStdinOpen`, stdin is never closed (a stuck agent).
 */
export function runArbiter(
  args: string[],
  options: { input?: string | Buffer; env: NodeJS.ProcessEnv; cwd?: string; keepStdinOpen?: boolean },
): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: options.cwd ?? repoRoot, env: options.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    // The hook may stop reading (an oversized payload): the rest of the write then fails, as it would for the agent.
    child.stdin.on('error', () => {});
    if (options.input !== undefined) child.stdin.write(options.input);
    if (!options.keepStdinOpen) child.stdin.end();
    child.on('exit', (code) => {
      child.stdin.destroy();
      resolve({ code, stdout, stderr });
    });
  });
}

export interface CapturedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A loopback HTTP server that records each request and answers with `respond` (which may never answer). */
export async function captureServer(
  respond: (request: CapturedRequest, response: ServerResponse) => void,
): Promise<{ url: string; requests: CapturedRequest[] }> {
  const requests: CapturedRequest[] = [];
  const server = createServer((incoming, response) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const request = {
        method: incoming.method ?? '',
        url: incoming.url ?? '',
        headers: incoming.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(request);
      respond(request, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, requests };
}

/** Answers with a status and a JSON (or raw text) body. */
export function answer(status: number, body: unknown, contentType = 'application/json') {
  return (_request: CapturedRequest, response: ServerResponse) => {
    response.writeHead(status, { 'content-type': contentType });
    response.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
}
