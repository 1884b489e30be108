import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { requestedSemiSpaceMb, serveNodeFlags } from '../../src/cli/young-generation.js';
import { arbiter, repoRoot } from '../helpers/cli.js';
import { postDecisions } from '../helpers/load.js';
import { type ServeProcess, spawnServe } from '../helpers/serve-process.js';
import { tempDir } from '../helpers/temp.js';

// `arbiter serve` as an attacker or an operator having a bad day runs it: through its launcher
// (bin/arbiter.js relaunches serve in a second node with its young-generation size), signalled,
// killed, debugged and piped the way supervisors and terminals do.

/** `arbiter serve` with no node flags of the test's own: bin/arbiter.js decides, as in production. */
async function launched(
  options: { env?: Record<string, string>; nodeArgs?: string[]; args?: string[]; dir?: string } = {},
): Promise<ServeProcess & { dir: string }> {
  const dir = options.dir ?? tempDir('arbiter-launcher-');
  const server = await spawnServe(['--db', `sqlite:${join(dir, 'a.db')}`, ...(options.args ?? [])], {
    cwd: dir,
    env: options.env,
    nodeArgs: options.nodeArgs ?? [],
  });
  return { ...server, dir };
}

/** The server the launcher started: its only child process. */
function serverPid(launcherPid: number): number {
  const children = execFileSync('pgrep', ['-P', String(launcherPid)], { encoding: 'utf8' })
    .trim()
    .split('\n');
  expect(children).toHaveLength(1);
  return Number(children[0]);
}

/** Whether `pid` still runs (a zombie waiting for its parent to reap it has stopped running). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Polls `condition` every 100 ms for up to 10 s (a shared, loaded machine), its last answer. */
async function within10s(condition: () => boolean): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return condition();
}

/** A request whose body arrives one byte a second: the client on a bad link, or an attacker. */
function tricklingRequest(url: string, token: string): Socket {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname, () => {
    socket.write(
      `POST /v1/decisions HTTP/1.1\r\nHost: ${hostname}\r\nAuthorization: Bearer ${token}\r\n` +
        'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"action":',
    );
  });
  const drip = setInterval(() => socket.write(' '), 1000);
  socket.on('close', () => clearInterval(drip));
  socket.on('error', () => clearInterval(drip));
  return socket;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('the serve launcher under hostile sizes', () => {
  it('takes nothing but ASCII digits from $ARBITER_SEMI_SPACE_MB: no flag reaches node', () => {
    for (const bad of ['32 --inspect', '32\n', '32;--inspect', '１２', '٣٢', '+32', '32 ', '-0', '1_000'])
      expect(() => requestedSemiSpaceMb([], { ARBITER_SEMI_SPACE_MB: bad }), JSON.stringify(bad)).toThrow(
        /must be a whole number of MB/,
      );
    for (const bad of ['32 --inspect', '--inspect', '32,--inspect=0'])
      expect(serveNodeFlags([], { ARBITER_SEMI_SPACE_MB: bad }, [])).toBeUndefined();
    expect(serveNodeFlags([], { ARBITER_SEMI_SPACE_MB: '0032' }, [])).toEqual(['--max-semi-space-size=32']);
  });

  it('serves in one process when SIGUSR1 may open the inspector (--inspect-port)', () => {
    // `kill -USR1 <pid>` opens node's inspector: the PID an operator knows must be the server's.
    expect(serveNodeFlags([], {}, ['--inspect-port=9230'])).toBeUndefined();
    expect(serveNodeFlags([], { NODE_OPTIONS: '--inspect-port=0' }, [])).toBeUndefined();
  });
});

describe('arbiter serve through its launcher, signalled and killed', () => {
  it('a server killed outright (kill -9) makes the launcher fail too, at once', async () => {
    const server = await launched();
    process.kill(serverPid(server.child.pid!), 'SIGKILL');
    const code = await server.exited;
    expect(server.child.signalCode ?? code).toBe('SIGKILL');
  });

  it('kill -9 of the pid a supervisor knows leaves no server behind, even with a request in flight', async () => {
    // Before the launcher, `kill -9 <pid>` ended the server that very moment. A supervisor that
    // restarts it then must not find the old server still running on the same database, for as
    // long as a slow client keeps its request open (up to the request timeout, 120 s).
    const server = await launched();
    const pid = serverPid(server.child.pid!);
    const token = readFileSync(join(server.dir, 'a.admin.token'), 'utf8').trim();
    const slow = tricklingRequest(server.url, token);
    try {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      server.child.kill('SIGKILL');
      await server.exited;
      expect(await within10s(() => !running(pid))).toBe(true);
    } finally {
      slow.destroy();
    }
  });

  it('kill -9 of the launcher under load loses nothing acknowledged, and the ledger verifies', async () => {
    const dir = tempDir('arbiter-launcher-');
    const db = `sqlite:${join(dir, 'a.db')}`;
    const args = ['--policies', join(repoRoot, 'examples', 'policies'), '--log-level', 'warn'];
    let server = await launched({ dir, args });
    const pid = serverPid(server.child.pid!);
    const agent = arbiter(['tokens', 'create', '--role', 'agent', '--system', 'deploy-bot', '--db', db], {
      cwd: dir,
    }).stdout.trim();
    const url = server.url;
    const load = postDecisions({ urls: () => [url], token: agent, count: 3000, concurrency: 16 });
    // Once the load is well under way.
    for (let i = 0; i < 300; i++) {
      const text = await fetch(`${url}/metrics`).then(
        (response) => response.text(),
        () => '',
      );
      if (Number(/arbiter_ledger_size (\d+)/.exec(text)?.[1] ?? 0) > 200) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    server.child.kill('SIGKILL');
    await server.exited;
    const { acknowledged } = await load;
    expect(acknowledged.size).toBeGreaterThan(100);
    expect(await within10s(() => !running(pid))).toBe(true);
    // The restart finds the database and the port free.
    server = await launched({ dir, args });
    try {
      for (const id of acknowledged.values()) {
        const response = await fetch(`${server.url}/v1/decisions/${id}`, {
          headers: { authorization: `Bearer ${agent}` },
        });
        expect(response.status, id).toBe(200);
      }
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    const verified = arbiter(['ledger', 'verify', '--db', db], { cwd: dir });
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);
  });

  it('SIGHUP to the launcher reloads the policies and the server keeps serving', async () => {
    const server = await launched({ args: ['--policies', join(repoRoot, 'examples', 'policies')] });
    server.child.kill('SIGHUP');
    expect(await within10s(() => server.output().includes('policies reloaded'))).toBe(true);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  });

  it('SIGINT twice (Ctrl-C, Ctrl-C) to the launcher stops the server now, and the launcher says it failed', async () => {
    const server = await launched();
    const pid = serverPid(server.child.pid!);
    const token = readFileSync(join(server.dir, 'a.admin.token'), 'utf8').trim();
    // A request in flight keeps the graceful stop from finishing before the second Ctrl-C.
    const slow = tricklingRequest(server.url, token);
    try {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      server.child.kill('SIGINT');
      expect(await within10s(() => server.output().includes('SIGINT: shutting down'))).toBe(true);
      server.child.kill('SIGINT');
      const code = await server.exited;
      // The second Ctrl-C ends the server at once with a failure, as it says; the launcher exits
      // with the server's code.
      expect(code).toBe(1);
      expect(server.output()).toContain('SIGINT again: exiting now');
      expect(running(pid)).toBe(false);
    } finally {
      slow.destroy();
    }
  });

  it('a bad --db fails with the same exit code and stderr as serve in one process', () => {
    const dir = tempDir('arbiter-launcher-');
    const results = ['32', '0'].map((size) => {
      const result = arbiter(['serve', '--port', '0', '--db', 'mysql://nowhere/x'], {
        cwd: dir,
        env: { ARBITER_SEMI_SPACE_MB: size },
      });
      return [result.code, result.stderr, result.stdout];
    });
    expect(results[0]![0]).not.toBe(0);
    expect(results[0]).toEqual(results[1]);
  });
});

describe('arbiter serve debugged as node is debugged', () => {
  it('node --inspect debugs the server, not a launcher that holds the debugger port', async () => {
    const port = await freePort();
    const server = await launched({ nodeArgs: [`--inspect=127.0.0.1:${port}`] });
    try {
      expect(server.output()).not.toMatch(/Starting inspector on .* failed/);
      // The debugger's process is the one listening: it has no server under it.
      expect(() => serverPid(server.child.pid!)).toThrow();
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });

  it('NODE_OPTIONS=--inspect debugs the server, not a launcher', async () => {
    const port = await freePort();
    const server = await launched({ env: { NODE_OPTIONS: `--inspect=127.0.0.1:${port}` } });
    try {
      expect(server.output()).not.toMatch(/Starting inspector on .* failed/);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });
});
