import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allChecks } from '../../src/redteam/index.js';
import { repoRoot } from '../helpers/cli.js';

/** docs/redteam.md shows the report of a full run against the demo server: it must be a current one. */
describe("docs/redteam.md's report of the demo server", () => {
  const docs = readFileSync(join(repoRoot, 'docs', 'redteam.md'), 'utf8');
  const report = docs.slice(docs.indexOf('\n# Red-team report: '));

  it('has a row for every check the command runs, in the order it runs them, all passed', () => {
    const rows = [...report.matchAll(/^\| ([A-Z]+-\d+) \| (\w+) \|/gm)];
    expect(rows.map(([, id]) => id)).toEqual(allChecks.map((check) => check.id));
    expect(rows.every(([, , result]) => result === 'PASS')).toBe(true);
    expect(report).toContain(
      `${allChecks.length} passed, 0 failed, 0 skipped (${allChecks.length} checks in`,
    );
  });

  it('says how many checks the run had', () => {
    expect(docs).toContain(`all ${allChecks.length} checks pass`);
  });
});
