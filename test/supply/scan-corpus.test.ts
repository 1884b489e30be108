import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanFile } from '../../src/app/supply/model-files.js';
import { severityRank } from '../../src/supply/findings.js';

/**
 * The regression corpus of published scanner bypasses (test/fixtures/scan-corpus, made by its
 * make.py): each file reproduces one advisory against picklescan or modelscan, and every one must
 * fail a scan at the default --fail-on high with the finding the entry names.
 */
const dir = new URL('../fixtures/scan-corpus/', import.meta.url).pathname;
const corpus = JSON.parse(readFileSync(join(dir, 'corpus.json'), 'utf8')) as {
  file: string;
  advisory: string;
  url: string;
  severity: 'high' | 'critical';
  rule: string;
  note: string;
}[];

describe('scanner regression corpus from published bypasses', () => {
  it('lists every file of the folder, each with the advisory it comes from', () => {
    const files = readdirSync(dir).filter((name) => name !== 'make.py' && name !== 'corpus.json');
    expect(files.sort()).toEqual(corpus.map((entry) => entry.file).sort());
    for (const entry of corpus) expect(entry.advisory).toMatch(/^(GHSA-|CVE-|picklescan|modelscan|pickle-)/);
    expect(corpus.length).toBeGreaterThanOrEqual(50);
  });

  for (const entry of corpus) {
    it(`${entry.file} (${entry.advisory}: ${entry.note}) fails the scan with ${entry.severity} ${entry.rule}`, async () => {
      const scan = await scanFile(join(dir, entry.file), entry.file);
      const matching = scan.findings.filter(
        (finding) =>
          finding.rule === entry.rule && severityRank(finding.severity) >= severityRank(entry.severity),
      );
      expect(matching, JSON.stringify(scan.findings, null, 2)).not.toEqual([]);
      expect(scan.findings.some((finding) => severityRank(finding.severity) >= severityRank('high'))).toBe(
        true,
      );
    });
  }
});
