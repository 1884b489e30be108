import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDataFiles } from '../../src/app/data/check-files.js';
import { runGate } from '../../src/app/releases/run-gate.js';
import { buildComplianceReport } from '../../src/compliance/report.js';
import { isArbiterError } from '../../src/core/errors.js';
import type { LedgerEntry } from '../../src/ledger/entry.js';
import { planted, plantedRows, plantedSchema, writePlanted } from '../helpers/planted-data.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { tempDir } from '../helpers/temp.js';

const now = new Date('2026-11-23T12:00:00Z');
const dir = tempDir('arbiter-gate-data-');
const statuses = (checks: { check: string; status: string }[]) =>
  Object.fromEntries(checks.map((check) => [check.check, check.status]));

/** A Release over one data set whose check result is `result`, with the example data policy and the given waivers. */
function releaseWith(name: string, result: unknown, options: { sha256?: string; waivers?: string } = {}) {
  const folder = join(dir, name);
  cpSync('examples/data/policies/training-data.yaml', join(folder, 'policies', 'training-data.yaml'));
  if (options.waivers) writeFileSync(join(folder, 'policies', 'waivers.yaml'), options.waivers);
  writeFileSync(join(folder, 'check.json'), JSON.stringify(result));
  writeFileSync(
    join(folder, 'release.yaml'),
    `apiVersion: arbiter/v1
kind: Release
metadata: { name: ${name} }
spec:
  system: credit-scoring
  version: 2.0.0
  datasets:
    - name: customers
      ${options.sha256 ? `sha256: ${options.sha256}` : 'role: training'}
      checks: check.json
`,
  );
  return { policies: join(folder, 'policies'), release: join(folder, 'release.yaml') };
}

describe('data checks in the release gate', () => {
  it('the example passes: the historical label bias is waived as a check and as a finding, nothing else', async () => {
    const { run, bom } = await runGate({
      policies: 'examples/data/policies',
      release: 'examples/data/release.yaml',
      now,
    });
    expect(run.passed).toBe(true);
    expect(statuses(run.checks)).toEqual({
      'data-checked': 'passed',
      'no-personal-data': 'passed',
      'no-leakage': 'passed',
      'label-four-fifths': 'waived',
      'age-parity-difference': 'passed',
      'data-check-clean': 'waived',
      'minority-groups-measured': 'passed',
    });
    const clean = run.checks.find((check) => check.check === 'data-check-clean')!;
    expect(clean.findings?.map((finding) => [finding.id, finding.waivedBy])).toEqual([
      ['bias.disparate-impact:age & sex=<25 & female', 'credit-g-historical-label-bias-finding'],
    ]);
    const result = JSON.parse(readFileSync('examples/data/credit-g.check.json', 'utf8'));
    expect(run.summary.datasets).toEqual([
      expect.objectContaining({
        name: 'german-credit',
        sha256: result.dataset.sha256,
        rows: 1000,
        passed: false,
        errors: 1,
        personalData: 0,
      }),
    ]);
    const component = (
      bom.components as { 'bom-ref': string; properties: { name: string; value: string }[] }[]
    ).find((c) => c['bom-ref'] === 'data:german-credit')!;
    expect(Object.fromEntries(component.properties.map((p) => [p.name, p.value]))).toMatchObject({
      'arbiter:data:check:sha256': result.dataset.sha256,
      'arbiter:data:check:passed': 'false',
      'arbiter:data:check:errors': '1',
      'arbiter:data:check:personalData': '0',
      'arbiter:data:check:rows': '1000',
    });
  });

  it('the committed example result is what check.sh writes today (less the time)', async () => {
    const fresh = await checkDataFiles({
      files: [{ path: 'examples/monitoring/credit-g.arff', role: 'data' }],
      schema: 'examples/data/credit-g.schema.yaml',
      name: 'german-credit',
    });
    const committed = JSON.parse(readFileSync('examples/data/credit-g.check.json', 'utf8'));
    expect({ ...JSON.parse(JSON.stringify(fresh)), checkedAt: '' }).toEqual({ ...committed, checkedAt: '' });
  });

  it('personal data fails the gate; a waiver naming the e-mail rule takes exactly those cells out of checks.pii.count', async () => {
    const file = writePlanted(dir, 'pii', 'csv', plantedRows());
    const schemaFile = join(dir, 'schema.yaml');
    writeFileSync(schemaFile, plantedSchema);
    const result = await checkDataFiles({ files: [{ path: file, role: 'data' }], schema: schemaFile, now });
    const failing = releaseWith('pii-failing', result);
    const { run } = await runGate({ ...failing, now });
    expect(run.passed).toBe(false);
    expect(statuses(run.checks)['no-personal-data']).toBe('failed');
    expect(JSON.stringify(run)).not.toContain(planted.email);

    const emailOnly = releaseWith(
      'pii-email-waived',
      {
        ...result,
        findings: result.findings.filter((f) => !f.rule.startsWith('pii.') || f.rule === 'pii.email'),
      },
      {
        waivers: `apiVersion: arbiter/v1
kind: Waiver
metadata: { name: contact-emails }
spec:
  owner: data-platform
  reason: the notes column is dropped before training
  expires: 2027-01-31
  scope: { check: no-personal-data, systems: [credit-scoring], tools: [arbiter-data], rules: ['pii.email'] }
`,
      },
    );
    const waived = await runGate({ ...emailOnly, now });
    expect(statuses(waived.run.checks)['no-personal-data']).toBe('waived');
  });

  it('refuses a result for other data than the Release pins, and a file that is not a check result', async () => {
    const result = JSON.parse(readFileSync('examples/data/credit-g.check.json', 'utf8'));
    const other = releaseWith('forged', result, { sha256: 'e'.repeat(64) });
    await expect(runGate({ ...other, now })).rejects.toSatisfy(
      (error: unknown) =>
        isArbiterError(error) &&
        error.code === 'ARB_ERR_DATA_CHECK_INVALID' &&
        /the Release pins e{64}/.test(error.message),
    );
    const notResult = releaseWith('not-a-result', { format: 'something/v1', findings: [] });
    await expect(runGate({ ...notResult, now })).rejects.toSatisfy(
      (error: unknown) => isArbiterError(error) && error.code === 'ARB_ERR_DATA_CHECK_INVALID',
    );
  });

  it('fails closed when a data set has no check result', async () => {
    const folder = releaseWith('unchecked', {});
    writeFileSync(
      folder.release,
      'apiVersion: arbiter/v1\nkind: Release\nmetadata: { name: unchecked }\nspec:\n  system: credit-scoring\n  version: 2.0.0\n  datasets:\n    - name: customers\n',
    );
    const { run } = await runGate({ ...folder, now });
    expect(run.passed).toBe(false);
    expect(statuses(run.checks)['data-checked']).toBe('failed');
  });
});

describe('recorded gate runs carry the data digests to the ledger and to Art. 10 evidence', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('the gate.run ledger entry names each data set by digest, and the EU AI Act report counts it for Art. 10', async () => {
    const { run } = await runGate({
      policies: 'examples/data/policies',
      release: 'examples/data/release.yaml',
      now,
    });
    const response = await server.call(server.tokens.creditScoring, 'POST', '/v1/gate-runs', run);
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    const seq = response.body.ledgerIndex as number;
    const [stored] = await server.arbiter.store.ledger.entries(seq, seq + 1);
    const entry = JSON.parse(Buffer.from(stored!.bytes).toString('utf8')) as LedgerEntry;
    const result = JSON.parse(readFileSync('examples/data/credit-g.check.json', 'utf8'));
    expect((entry.data as { datasets: unknown[] }).datasets).toEqual([
      {
        name: 'german-credit',
        sha256: result.dataset.sha256,
        checksSha256: run.summary.datasets![0]!.checksSha256,
        rows: 1000,
        passed: false,
        errors: 1,
        warnings: 0,
        personalData: 0,
      },
    ]);

    const report = buildComplianceReport({
      framework: 'eu-ai-act',
      entries: [entry],
      from: new Date(0),
      to: new Date('2100-01-01'),
      ledger: { verified: true, entries: 1, uncheckpointed: 0, origin: 'test' },
      now,
    });
    const article10 = report.controls.find((control) => control.id === 'Art. 10')!;
    expect(article10.evidence[0]).toContain('1 data checks of 1 data sets (german-credit)');
    expect(article10.examples).toContain('data');
    expect(report.evidence.examples.data?.[0]?.summary).toContain('data set german-credit');
    expect(report.applicationDates.map((d) => d.date)).toEqual(
      expect.arrayContaining(['2027-12-02', '2028-08-02']),
    );
  });
});
