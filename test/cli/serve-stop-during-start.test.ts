import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../../bin/arbiter.js', import.meta.url));
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('serve --demo stopped while it is still writing the demo', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`stops cleanly on ${signal} between listening and Ready`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'arbiter-stop-start-'));
      dirs.push(dir);
      const child = spawn(
        process.execPath,
        [
          '--max-semi-space-size=32',
          bin,
          'serve',
          '--demo',
          '--port',
          '0',
          '--db',
          `sqlite:${join(dir, 'a.db')}`,
        ],
        { cwd: dir, env: { ...process.env, ARBITER_RATE_LIMIT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let text = '';
      let signalled = false;
      const read = (chunk: Buffer) => {
        text += chunk;
        // The banner's first line is printed before the demo's tokens, data and witness are written.
        if (!signalled && text.includes('Arbiter listening on')) {
          signalled = true;
          child.kill(signal);
        }
      };
      child.stdout.on('data', read);
      child.stderr.on('data', read);
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      expect(signalled).toBe(true);
      expect(text).not.toMatch(/internal error|not open|TypeError/);
      expect(text).toContain(`${signal}: shutting down`);
      expect(text).toContain('\nstopped\n');
      expect(text).not.toContain('\nReady.');
      expect(code).toBe(0);
    });
  }
});
