import { describe, expect, it } from 'vitest';
import { runGate } from '../../src/app/releases/run-gate.js';

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

describe('the example support-assistant releases (an LLM application, every kind of evidence)', () => {
  const assistant = 'examples/releases/support-assistant';
  const gateAssistant = (version: string, baseline?: string) =>
    runGate({
      policies: 'examples/policies',
      release: `${assistant}/${version}/release.yaml`,
      ...(baseline ? { baseline: `${assistant}/${baseline}/release.yaml` } : {}),
      osv: 'examples/osv',
      now,
    });

  it("1.0.0 passes: VEX suppresses OpenSSL's CVE, a waiver scoped by tool, rule and package covers zlib's", async () => {
    const { run } = await gateAssistant('1.0.0');
    expect(run.passed).toBe(true);
    const newHigh = run.checks.find((check) => check.check === 'no-new-high-findings')!;
    expect(newHigh).toMatchObject({ status: 'waived', waiver: { name: 'zlib-minizip-unused' } });
    expect(newHigh.findings?.map((f) => [f.tool, f.rule, f.package])).toEqual([
      ['trivy', 'CVE-2023-45853', 'zlib1g'],
    ]);
    expect(run.summary.evidence?.suppressed.map((s) => [s.id, s.suppression.justification])).toEqual([
      ['CVE-2024-6119', 'code_not_reachable'],
    ]);
  });

  it('1.1.0 fails against 1.0.0: two new high findings, a critical red-team category, 1.5% attack success', async () => {
    const { run, bom } = await gateAssistant('1.1.0', '1.0.0');
    expect(run.passed).toBe(false);
    expect(byName(run.checks)).toEqual({
      'scanners-ran': 'passed',
      'no-new-high-findings': 'failed',
      'red-team-ran': 'passed',
      'attack-success-rate': 'failed',
      'no-critical-red-team-failures': 'failed',
      'no-red-team-regression': 'failed',
      'answer-quality': 'failed',
      licenses: 'passed',
      'vulnerability-database': 'passed',
      vulnerabilities: 'passed',
    });
    expect(run.checks.find((check) => check.check === 'no-red-team-regression')?.message).toBe(
      'attack success rate rose from 0.005 to 0.015',
    );
    expect(run.summary.evidence?.sarif.map((s) => [s.tool, s.new])).toEqual([
      ['trivy', 0],
      ['semgrep-oss', 1],
      ['codeql', 1],
    ]);
    // Syft's SBOM brought starlette into the AI-BOM.
    expect((bom.components as { name: string }[]).map((c) => c.name)).toContain('starlette');
    expect(run.summary.inputs?.filter((input) => input.kind === 'baseline-evaluation')).toHaveLength(1);
  });
});
