import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import { defaultServeSemiSpaceMb } from '../../src/cli/young-generation.js';
import { repoRoot } from './cli.js';

const bin = fileURLToPath(new URL('../../bin/arbiter.js', import.meta.url));

// Servers a test file started and did not stop (a failed or timed-out test) die with the file,
// never outliving the run and loading the machine for the tests after it.
const running = new Set<ChildProcess>();
const killRunning = () => {
  for (const child of running) child.kill('SIGKILL');
};
afterAll(killRunning);
process.once('exit', killRunning);

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  output: () => string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

/**
 * Spawns `arbiter serve` on a free loopback port and waits until it listens. Node is given the
 * semi-space size serve would relaunch itself with (`nodeArgs`), so `child` is the server itself:
 * a test that kills it with SIGKILL crashes the server, not a launcher (test/cli/serve-young-generation.test.ts
 * runs the launcher).
 */
export async function spawnServe(
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; nodeArgs?: string[] } = {},
): Promise<ServeProcess> {
  const nodeArgs = options.nodeArgs ?? [`--max-semi-space-size=${defaultServeSemiSpaceMb}`];
  const child = spawn(process.execPath, [...nodeArgs, bin, 'serve', '--port', '0', ...args], {
    cwd: options.cwd ?? repoRoot,
    // Load tests send thousands of requests with one token; a test that wants the rate limit sets it.
    env: { ...process.env, ARBITER_RATE_LIMIT: '0', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let text = '';
  child.stdout!.on('data', (chunk) => {
    text += chunk;
  });
  child.stderr!.on('data', (chunk) => {
    text += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${text}`)), 30_000);
    const check = () => {
      const match = /Arbiter listening on (http:\/\/\S+)/.exec(text);
      if (match && text.includes('\nReady.')) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}:\n${text}`));
    });
  });
  return { child, url, output: () => text, exited };
}
