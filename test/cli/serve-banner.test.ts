import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTestDatabase, postgresAvailable } from '../helpers/postgres.js';
import { spawnServe } from '../helpers/serve-process.js';
import { tempDir } from '../helpers/temp.js';

// What `arbiter serve` shows first: its banner, for people; the JSON logs of its operation after it.

const hasPostgres = await postgresAvailable();

/** Stops the server and gives back its whole output. */
async function stopped(server: Awaited<ReturnType<typeof spawnServe>>): Promise<string> {
  server.child.kill('SIGTERM');
  expect(await server.exited).toBe(0);
  return server.output();
}

describe('arbiter serve output', () => {
  it('starts with the banner: the listening line is logged as JSON after "Ready.", not before the banner', async () => {
    const dir = tempDir('arbiter-banner-');
    const text = await stopped(await spawnServe([], { cwd: dir }));
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^Arbiter listening on http:\/\/127\.0\.0\.1:\d+$/);
    const ready = lines.findIndex((line) => line.startsWith('Ready.'));
    expect(
      lines.slice(0, ready).filter((line) => line.startsWith('{')),
      text,
    ).toEqual([]);
    const logged = lines
      .slice(ready)
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line));
    const address = /^Arbiter listening on (\S+)$/.exec(lines[0]!)![1];
    expect(logged).toContainEqual(
      expect.objectContaining({ level: 30, address, msg: `Server listening at ${address}` }),
    );
  });

  it('with --log-level warn (as --demo), logs nothing at start', async () => {
    const dir = tempDir('arbiter-banner-');
    const text = await stopped(await spawnServe(['--log-level', 'warn'], { cwd: dir }));
    expect(text.split('\n').filter((line) => line.startsWith('{'))).toEqual([]);
  });
});

describe.skipIf(!hasPostgres)('arbiter serve on PostgreSQL', () => {
  it('writes the first admin token to an absolute path and prints that path', async () => {
    const dir = realpathSync(tempDir('arbiter-pg-token-'));
    const db = await createTestDatabase();
    const text = await stopped(await spawnServe(['--db', db], { cwd: dir }));
    expect(text).toContain(
      `first start: an admin token was written to ${join(dir, '.arbiter', 'admin.token')} (mode 0600)`,
    );
  });
});
