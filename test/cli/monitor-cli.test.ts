import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { arbiter, arbiterAsync } from '../helpers/cli.js';
import { spawnServe } from '../helpers/serve-process.js';
import { tempDir } from '../helpers/temp.js';

const dir = tempDir('arbiter-monitor-cli-');

describe('arbiter monitor', () => {
  it('profile: builds the reference profile from the example data, and rejects a bad schema with file:line:col', () => {
    const out = join(dir, 'profile.json');
    const result = arbiter([
      'monitor',
      'profile',
      '--data',
      'examples/monitoring/reference.ndjson',
      '--schema',
      'examples/monitoring/schema.yaml',
      '--out',
      out,
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/credit_amount\s+numeric\s+20 bins, drift by ks \(p < 0.05\)/);
    const profile = JSON.parse(readFileSync(out, 'utf8'));
    expect(profile).toMatchObject({
      format: 'arbiter.monitor.profile/v1',
      system: 'credit-scoring',
      windowMs: 21_600_000,
    });
    expect(profile.reference.rows).toBe(500);

    const bad = join(dir, 'schema.yaml');
    writeFileSync(
      bad,
      'apiVersion: arbiter/v1\nkind: MonitorSchema\nmetadata: { name: x }\nspec:\n  system: s\n  prediction: p\n  features: { a: number }\n',
    );
    const rejected = arbiter([
      'monitor',
      'profile',
      '--data',
      'examples/monitoring/reference.ndjson',
      '--schema',
      bad,
      '--out',
      out,
    ]);
    expect(rejected.code).toBe(2);
    expect(rejected.stderr).toContain(`${bad}:7:18: spec.features.a must be one of numeric, categorical`);

    const noColumn = join(dir, 'schema2.yaml');
    writeFileSync(
      noColumn,
      'apiVersion: arbiter/v1\nkind: MonitorSchema\nmetadata: { name: x }\nspec:\n  system: s\n  prediction: verdict\n  features: { duration: numeric }\n',
    );
    const missing = arbiter([
      'monitor',
      'profile',
      '--data',
      'examples/monitoring/reference.ndjson',
      '--schema',
      noColumn,
      '--out',
      out,
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no column "verdict"');
  });

  it('the demo streams a production day: drift alerts fire; ingest, labels and the HTML report work against it', async () => {
    const server = await spawnServe(['--demo'], { cwd: dir });
    try {
      const text = server.output();
      expect(text).toContain(
        'Monitoring: credit-scoring has 4 windows of production data (500 events streamed just now)',
      );
      expect(text).toMatch(
        /warning\s+credit-scoring-monitoring\/persistent-input-drift: 3 features drifted for two windows running: duration, credit_amount, age/,
      );
      const token = (name: string) =>
        new RegExp(`^  ${name}\\s.*\\s(arb_\\S+)$`, 'm').exec(server.output())![1]!;
      const as = (name: string) => ({ ARBITER_URL: server.url, ARBITER_TOKEN: token(name) });

      const html = join(dir, 'report.html');
      const report = await arbiterAsync(['monitor', 'report', '--system', 'credit-scoring', '--html', html], {
        env: as('erin'),
      });
      expect(report.code, report.stderr).toBe(0);
      expect(report.stdout).toMatch(/0\.44\s+duration, credit_history, credit_amount/);
      expect(report.stdout).toContain('FIRING warning credit-scoring-monitoring/persistent-input-drift');
      const page = readFileSync(html, 'utf8');
      expect(page.startsWith('<!DOCTYPE html>')).toBe(true);
      expect(page).toContain('<svg');
      expect(page).not.toMatch(/<script|src="http/);

      // Fresh events from the example file, re-dated to now and given new ids, as CSV.
      const rows = readFileSync('examples/monitoring/production.ndjson', 'utf8')
        .trim()
        .split('\n')
        .slice(0, 40)
        .map((line) => JSON.parse(line));
      const columns = Object.keys(rows[0]).filter((c) => c !== 'time');
      const quote = (v: unknown) =>
        typeof v === 'string' && /[,"]/.test(v) ? `"${v.replace(/"/g, '""')}"` : String(v);
      const csv = [
        columns.join(','),
        ...rows.map((row) =>
          columns.map((c) => quote(c === 'id' ? `live-${row[c]}` : c === 'class' ? '' : row[c])).join(','),
        ),
        'this,row,is,broken',
      ].join('\n');
      const file = join(dir, 'live.csv');
      writeFileSync(file, csv);
      const ingest = await arbiterAsync(
        [
          'monitor',
          'ingest',
          file,
          '--system',
          'credit-scoring',
          '--profile',
          'examples/policies/profiles/credit-scoring.json',
          '--batch',
          '15',
        ],
        { env: as('credit-scoring') },
      );
      expect(ingest.code, ingest.stderr).toBe(0);
      expect(ingest.stdout).toBe('40 accepted, 0 rejected, 1 unreadable rows\n');
      expect(ingest.stderr).toContain('fields, the header has');

      const labels = join(dir, 'labels.csv');
      writeFileSync(
        labels,
        ['id,class', ...rows.slice(0, 10).map((row) => `live-${row.id},${row.class}`), 'nope,good'].join(
          '\n',
        ),
      );
      const joined = await arbiterAsync(
        [
          'monitor',
          'ingest',
          labels,
          '--labels',
          '--system',
          'credit-scoring',
          '--profile',
          'examples/policies/profiles/credit-scoring.json',
          '--json',
        ],
        { env: as('credit-scoring') },
      );
      expect(joined.code, joined.stderr).toBe(0);
      expect(JSON.parse(joined.stdout)).toMatchObject({ accepted: 10, rejected: 1 });

      const other = await arbiterAsync(
        [
          'monitor',
          'ingest',
          file,
          '--system',
          'credit-scoring',
          '--profile',
          'examples/policies/profiles/credit-scoring.json',
        ],
        {
          env: as('deploy-bot'),
        },
      );
      expect(other.code).toBe(2);
      expect(other.stderr).toContain('ARB_ERR_FORBIDDEN');
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });
});
