import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * src/supply is pure (DESIGN.md): no file system, network, processes, OS, clock or randomness.
 * Scanners receive readers and records; the Node edge is src/app/supply. (The repository-wide
 * layering test may take this over; until then this keeps supply/ honest on its own.)
 */
const dir = new URL('../../src/supply/', import.meta.url).pathname;
const banned = [
  /from ['"]node:(fs|fs\/promises|net|http|https|child_process|worker_threads|os|module)['"]/,
  /from ['"](fs|fs\/promises|net|http|https|child_process|worker_threads|os|module)['"]/,
  /\bprocess\./,
  /\bnew Date\(\)/,
  /\bDate\.now\(/,
  /\bperformance\.now\(/,
  /\bMath\.random\(/,
  /\brandomUUID\b/,
  /\bcreateRequire\b/,
  /from ['"]\.\.\/(app|server|store|cli|mcp|web|redteam|client)\//,
];

/** Lines of source without comments, so prose about `process` or `Date.now()` does not count. */
function code(file: string): string[] {
  return readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .split('\n')
    .map((line) => line.replace(/(^|[^:'"`])\/\/.*$/, '$1'));
}

function offenders(files: readonly string[]): string[] {
  return files.flatMap((file) =>
    code(file).flatMap((line, i) =>
      banned.some((pattern) => pattern.test(line))
        ? [`${file.slice(dir.length)}:${i + 1}: ${line.trim()}`]
        : [],
    ),
  );
}

describe('src/supply is pure', () => {
  const files = readdirSync(dir)
    .filter((name) => name.endsWith('.ts'))
    .map((name) => join(dir, name));

  it('exists and has its modules', () => {
    expect(files.length).toBeGreaterThan(20);
  });

  it('imports no Node I/O module and uses no process, clock or randomness', () => {
    expect(offenders(files)).toEqual([]);
  });

  it('would catch a file that reads the disk (test of the test)', () => {
    const probe = join(new URL('../fixtures/', import.meta.url).pathname, 'purity-probe.ts.txt');
    expect(readFileSync(probe, 'utf8')).toContain("from 'node:fs'");
    expect(code(probe).filter((line) => banned.some((pattern) => pattern.test(line)))).toHaveLength(3);
  });
});
