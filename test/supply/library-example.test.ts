import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli.js';

/** The library example of docs/supply-chain.md, run against the built package by its own name. */
describe('arbiter/supply/node as the docs show it', () => {
  it('scans a file in place and matches a package against an OSV database', () => {
    const script = `
      import { bytesReader, scanReader } from 'arbiter/supply';
      import { loadOsvDatabase, scanFile } from 'arbiter/supply/node';
      const scan = await scanFile('test/fixtures/models/evil.joblib.gz');
      const critical = scan.findings.some((f) => f.severity === 'critical');
      const inMemory = await scanReader('upload.pkl', bytesReader(new Uint8Array([0x80, 2, 0x4e, 0x2e])), { limits: { maxNestingDepth: 2 } });
      const osv = await loadOsvDatabase('examples/osv');
      const matches = osv.match({ ecosystem: 'PyPI', name: 'pyyaml', version: '5.3.1' }).map((m) => m.id);
      console.log(JSON.stringify({ critical, format: scan.format, inMemory: inMemory.findings.length, matches }));
    `;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: repoRoot,
      encoding: 'utf8',
    });
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({
      critical: true,
      format: 'joblib',
      inMemory: 0,
      matches: expect.arrayContaining(['GHSA-8q59-q68h-6hv4']),
    });
  });
});
