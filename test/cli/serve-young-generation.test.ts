import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  defaultServeSemiSpaceMb,
  requestedSemiSpaceMb,
  serveNodeFlags,
} from '../../src/cli/young-generation.js';
import { arbiter } from '../helpers/cli.js';
import { type ServeProcess, spawnServe } from '../helpers/serve-process.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'arbiter-young-'));
  dirs.push(dir);
  return dir;
}

const defaultFlag = `--max-semi-space-size=${defaultServeSemiSpaceMb}`;

describe('the young generation serve asks for', () => {
  it('is the default, the flag or the environment; 0 leaves V8 alone', () => {
    expect(serveNodeFlags([], {}, [])).toEqual([defaultFlag]);
    expect(serveNodeFlags(['--db', 'sqlite:x', '--semi-space-mb', '8'], {}, [])).toEqual([
      '--max-semi-space-size=8',
    ]);
    expect(serveNodeFlags(['--semi-space-mb=64'], { ARBITER_SEMI_SPACE_MB: '8' }, [])).toEqual([
      '--max-semi-space-size=64',
    ]);
    expect(serveNodeFlags([], { ARBITER_SEMI_SPACE_MB: '16' }, [])).toEqual(['--max-semi-space-size=16']);
    expect(serveNodeFlags([], { ARBITER_SEMI_SPACE_MB: '0' }, [])).toBeUndefined();
    expect(serveNodeFlags(['--semi-space-mb', '0'], {}, [])).toBeUndefined();
  });

  it("leaves node's own sizing flags, help and invalid values to the process as it is", () => {
    expect(serveNodeFlags([], {}, ['--max-semi-space-size=4'])).toBeUndefined();
    expect(serveNodeFlags([], {}, ['--min_semi_space_size=4'])).toBeUndefined();
    expect(serveNodeFlags([], { NODE_OPTIONS: '--inspect --max-semi-space-size=64' }, [])).toBeUndefined();
    expect(serveNodeFlags([], { NODE_OPTIONS: '--max-old-space-size=512' }, [])).toEqual([defaultFlag]);
    expect(serveNodeFlags(['--help'], {}, [])).toBeUndefined();
    // A debugger or profiler attaches to this process: it must be the server.
    for (const flag of ['--inspect', '--inspect-brk=0', '--inspect=127.0.0.1:9230', '--cpu-prof', '--prof'])
      expect(serveNodeFlags([], {}, [flag]), flag).toBeUndefined();
    expect(serveNodeFlags([], { NODE_OPTIONS: '--inspect' }, [])).toBeUndefined();
    expect(serveNodeFlags([], {}, ['--inspect-publish-uid=http'])).toEqual([defaultFlag]);
    expect(serveNodeFlags([], {}, ['--cpu-prof-dir=/tmp'])).toEqual([defaultFlag]);
    expect(serveNodeFlags(['--semi-space-mb', 'lots'], {}, [])).toBeUndefined();
  });

  it('accepts whole numbers of MB from 0 to 256 only', () => {
    for (const bad of ['-1', '1e3', '0x20', ' 32', '32.5', '257', '99999', 'off'])
      expect(() => requestedSemiSpaceMb(['--semi-space-mb', bad], {}), bad).toThrow(
        /--semi-space-mb .* must be a whole number of MB from 0 to 256/,
      );
    expect(() => requestedSemiSpaceMb([], { ARBITER_SEMI_SPACE_MB: 'big' })).toThrow(
      /\$ARBITER_SEMI_SPACE_MB big/,
    );
    expect(requestedSemiSpaceMb(['--semi-space-mb', '256'], {})).toBe(256);
    // After `--` nothing is an option of serve.
    expect(requestedSemiSpaceMb(['--', '--semi-space-mb', '8'], {})).toBe(defaultServeSemiSpaceMb);
  });
});

describe('arbiter serve, started as an operator starts it', () => {
  /** The server's own report of its heap: the sizing it was given and V8's heap limit in MB. */
  function memory(server: ServeProcess): { sizing: string; heapLimitMb: number } {
    const match = /\n {2}memory {4}(.*); V8 heap limit (\d+) MB\n/.exec(server.output());
    expect(match, server.output()).not.toBeNull();
    return { sizing: match![1]!, heapLimitMb: Number(match![2]) };
  }

  async function started(env: Record<string, string>, args: string[] = []) {
    const dir = tempDir();
    // No node flags: bin/arbiter.js decides, as for `arbiter serve` or `npm start`.
    const server = await spawnServe(['--db', `sqlite:${join(dir, 'a.db')}`, ...args], {
      cwd: dir,
      env,
      nodeArgs: [],
    });
    return server;
  }

  async function stop(server: ServeProcess): Promise<number | null> {
    server.child.kill('SIGTERM');
    return server.exited;
  }

  it('runs with the larger young generation by default, which V8 really applies', async () => {
    const byDefault = await started({});
    const off = await started({ ARBITER_SEMI_SPACE_MB: '0' });
    const small = await started({}, ['--semi-space-mb', '8']);
    const fromNode = await started({ NODE_OPTIONS: '--max-semi-space-size=64' });
    try {
      expect(memory(byDefault).sizing).toBe(defaultFlag);
      expect(memory(off).sizing).toBe("V8's default semi-space");
      expect(memory(small).sizing).toBe('--max-semi-space-size=8');
      expect(memory(fromNode).sizing).toBe('--max-semi-space-size=64');
      // V8's heap limit counts the young generation: it moves with the size the process runs with.
      const limits = [small, off, byDefault, fromNode].map((server) => memory(server).heapLimitMb);
      expect(limits).toEqual([...limits].sort((a, b) => a - b));
      expect(new Set(limits).size).toBe(4);
    } finally {
      for (const server of [byDefault, off, small, fromNode]) await stop(server);
    }
  });

  it('stops gracefully on SIGTERM or SIGINT to the launcher, once, with its exit code', async () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const server = await started({});
      server.child.kill(signal);
      expect(await server.exited).toBe(0);
      expect(server.output()).toContain(`${signal}: shutting down`);
      expect(server.output()).toContain('\nstopped\n');
      expect(server.output()).not.toContain('again: exiting now');
    }
  });

  it('takes a SIGTERM from a supervisor and the same one forwarded by the launcher as one stop', async () => {
    // spawnServe's default: node has the size, so `child` is the server itself.
    const dir = tempDir();
    const server = await spawnServe(['--db', `sqlite:${join(dir, 'a.db')}`], { cwd: dir });
    server.child.kill('SIGTERM');
    // The second once the first is being handled (two pending SIGTERMs would be delivered as one).
    for (let i = 0; i < 200 && !server.output().includes('SIGTERM: shutting down'); i++)
      await new Promise((resolve) => setTimeout(resolve, 5));
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(server.output()).toContain('\nstopped\n');
  });

  it('stops when the launcher is killed outright, leaving no server behind', async () => {
    const server = await started({});
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    server.child.kill('SIGKILL');
    await server.exited;
    let answering = true;
    for (let i = 0; i < 100 && answering; i++) {
      answering = await fetch(`${server.url}/healthz`).then(
        () => true,
        () => false,
      );
      if (answering) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(answering).toBe(false);
  });

  it('refuses an invalid size before anything starts, exit 2', () => {
    for (const [args, env] of [
      [['--semi-space-mb', 'lots'], {}],
      [[], { ARBITER_SEMI_SPACE_MB: '4096' }],
    ] as const) {
      const dir = tempDir();
      const result = arbiter(['serve', '--db', `sqlite:${join(dir, 'a.db')}`, '--port', '0', ...args], {
        cwd: dir,
        env,
      });
      expect([result.code, result.stderr]).toEqual([
        2,
        expect.stringMatching(/must be a whole number of MB/),
      ]);
      expect(existsSync(join(dir, 'a.db'))).toBe(false);
    }
  });
});
