import { describe, expect, it } from 'vitest';
import { runGate } from '../../src/gate/run.js';

const now = new Date('2026-11-23T12:00:00Z');
const examples = 'examples/releases/credit-scoring';
const gate = (version: string, baseline?: string) =>
  runGate({
    policies: 'examples/policies',
    release: `${examples}/${version}/release.yaml`,
    ...(baseline ? { baseline: `${examples}/${baseline}/release.yaml` } : {}),
    osv: 'examples/osv',
    now,
  });
const byName = (checks: { check: string; status: string }[]) =>
  Object.fromEntries(checks.map((check) => [check.check, check.status]));

describe('the example credit-scoring releases', () => {
  it('1.1.0 passes, with its vulnerable requests pin waived by an owned, expiring waiver', async () => {
    const { run, bom } = await gate('1.1.0');
    expect(run.passed).toBe(true);
    const statuses = byName(run.checks);
    expect(statuses).toMatchObject({
      'accuracy-floor': 'passed',
      'age-parity': 'passed',
      'model-scan': 'passed',
      licenses: 'passed',
      'model-digests': 'passed',
      vulnerabilities: 'waived',
    });
    const vulnerabilities = run.checks.find((check) => check.check === 'vulnerabilities')!;
    expect(vulnerabilities.waiver).toMatchObject({
      name: 'requests-session-verify',
      owner: expect.stringContaining('risk-platform'),
    });
    expect(vulnerabilities.findings?.[0]).toMatchObject({
      id: 'GHSA-9wx4-h78v-vm56',
      waivedBy: 'requests-session-verify',
    });
    expect(bom.specVersion).toBe('1.6');
    expect((bom.components as { type: string }[]).map((c) => c.type)).toEqual(
      expect.arrayContaining(['machine-learning-model', 'data', 'library']),
    );
  });

  it('the waiver stops applying once it expires', async () => {
    const { run } = await runGate({
      policies: 'examples/policies',
      release: `${examples}/1.1.0/release.yaml`,
      osv: 'examples/osv',
      now: new Date('2027-03-01T00:00:00Z'),
    });
    expect(run.passed).toBe(false);
    const vulnerabilities = run.checks.find((check) => check.check === 'vulnerabilities')!;
    expect(vulnerabilities.status).toBe('failed');
    expect(vulnerabilities.expiredWaivers).toEqual([
      { name: 'requests-session-verify', expired: '2027-03-01T00:00:00.000Z' },
    ]);
  });

  it('1.2.0 fails on metrics, regression, the pickled preprocessor, a critical vulnerability and a denied licence', async () => {
    const { run } = await gate('1.2.0', '1.1.0');
    expect(run.passed).toBe(false);
    expect(byName(run.checks)).toMatchObject({
      'accuracy-floor': 'passed',
      'auc-floor': 'failed',
      'no-accuracy-regression': 'failed',
      'model-scan': 'failed',
      licenses: 'failed',
      vulnerabilities: 'failed',
      'model-digests': 'passed',
    });
    const regression = run.checks.find((check) => check.check === 'no-accuracy-regression')!;
    expect(regression.message).toBe('accuracy fell from 0.772 to 0.728');
    expect(regression.facts).toMatchObject({
      'release.metrics.accuracy': 0.728,
      'baseline.metrics.accuracy': 0.772,
    });
    const scan = run.checks.find((check) => check.check === 'model-scan')!;
    expect(scan.findings?.find((f) => f.failing)).toMatchObject({
      id: 'model/preprocess.pkl',
      message: expect.stringContaining('posix.system'),
    });
    const licenses = run.checks.find((check) => check.check === 'licenses')!;
    expect(licenses.findings?.map((f) => f.id)).toEqual(['fuzzywuzzy']);
    const vulnerabilities = run.checks.find((check) => check.check === 'vulnerabilities')!;
    expect(vulnerabilities.findings?.filter((f) => !f.waivedBy).map((f) => f.id)).toEqual([
      'GHSA-8q59-q68h-6hv4',
    ]);
  });
});
