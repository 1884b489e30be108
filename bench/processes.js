// What the process-level benchmarks share: a child process started until it prints that it is ready,
// and `arbiter serve` on a fresh SQLite database with the example policies and one agent token.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
export const arbiterBin = join(root, 'bin', 'arbiter.js');

/** What `arbiter serve` prints once it accepts requests; the first group is its URL. */
export const arbiterReady = /Arbiter listening on (http:\/\/\S+)[\s\S]*\nReady\./;

/**
 * Starts `node NODE_ARGS ARGS` (with `env` added to this process's environment) and resolves once its output
 * matches `readyPattern` (the first group is its URL), with `exited` settling when it ends and
 * `output()` for what it printed.
 */
export function startProcess(args, readyPattern, env = {}, nodeArgs = []) {
  const child = spawn(process.execPath, [...nodeArgs, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let output = '';
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const match = readyPattern.exec(output);
      if (match) resolve({ child, url: match[1], exited, output: () => output });
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    child.once('exit', (code) => reject(new Error(`process exited ${code}: ${output}`)));
  });
}

/** Ends a started process and waits for it. */
export async function stopProcess(started) {
  if (!started) return;
  started.child.kill('SIGTERM');
  await started.exited;
}

/**
 * `arbiter serve` in `dir` on SQLite (durable) with a copy of the example policies, the per-token
 * rate limit off (one token sends thousands of requests a second), plus `extraArgs`; and an agent
 * token for `system`. `bin` runs another build (A/B runs against another checkout), `env` is added
 * to the server's environment, `nodeArgs` go to its node (`--cpu-prof`, which NODE_OPTIONS refuses).
 */
export async function startArbiter(
  dir,
  { system, extraArgs = [], bin = arbiterBin, env = {}, nodeArgs = [] },
) {
  cpSync(join(root, 'examples', 'policies'), join(dir, 'policies'), { recursive: true });
  const db = `sqlite:${join(dir, 'arbiter.db')}`;
  const server = await startProcess(
    [
      bin,
      'serve',
      '--db',
      db,
      '--policies',
      join(dir, 'policies'),
      '--port',
      '0',
      '--log-level',
      'warn',
      '--rate-limit',
      '0',
      ...extraArgs,
    ],
    arbiterReady,
    env,
    nodeArgs,
  );
  const token = execFileSync(
    process.execPath,
    [bin, 'tokens', 'create', '--db', db, '--role', 'agent', '--system', system],
    { encoding: 'utf8' },
  ).trim();
  return { ...server, db, token };
}
