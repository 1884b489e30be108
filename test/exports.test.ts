import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './helpers/cli.js';

const exportsMap = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  .exports as Record<string, unknown>;

describe('package entry points', () => {
  for (const entry of Object.keys(exportsMap).filter((key) => key !== './package.json')) {
    it(`arbiter${entry.slice(1)} loads through the package's own exports map`, () => {
      // Self-reference: the built package imported by name, as a user's code would.
      const result = spawnSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `const m = await import('arbiter${entry.slice(1)}'); console.log(Object.keys(m).length)`,
        ],
        { cwd: repoRoot, encoding: 'utf8' },
      );
      expect(result.stderr).toBe('');
      expect(Number(result.stdout.trim())).toBeGreaterThan(0);
    });
  }
});
