import { describe, expect, it } from 'vitest';
import { evaluateGate, evaluateMonitorWindow } from '../../src/policy/index.js';
import { bundleOf } from '../helpers/bundle.js';

const now = new Date('2026-11-16T10:00:00Z');
const gateBundle = bundleOf({
  'systems.yaml':
    'apiVersion: arbiter/v1\nkind: System\nmetadata: {name: scorer}\nspec:\n  kind: model\n  owner: {team: ml, person: sam}\n  onCall: {team: ml}\n  autonomy: 1\n  riskTier: high\n',
  'gate.yaml': `apiVersion: arbiter/v1
kind: GatePolicy
metadata: {name: release}
spec:
  match: {systems: [scorer]}
  checks:
    - name: accuracy
      assert: release.metrics.accuracy >= 0.7
      messageExpression: "'accuracy ' + string(release.metrics.accuracy) + ' is below 0.7'"
    - name: regression
      assert: "!has(baseline.metrics) || release.metrics.accuracy >= baseline.metrics.accuracy - 0.01"
    - name: card
      assert: has(release.modelCard)
      severity: warning
    - name: high-risk-needs-parity
      assert: system.riskTier != 'high' || release.fairness.parityRatio >= 0.8
`,
});

describe('evaluateGate', () => {
  it('passes when every error-severity check holds; warnings do not fail the gate', () => {
    const gate = evaluateGate(gateBundle, {
      release: { system: 'scorer', metrics: { accuracy: 0.8 }, fairness: { parityRatio: 0.9 } },
      now,
    });
    expect(gate.passed).toBe(true);
    expect(gate.checks.map((c) => `${c.check}:${c.status}`)).toEqual([
      'accuracy:passed',
      'regression:passed',
      'card:failed',
      'high-risk-needs-parity:passed',
    ]);
  });

  it('explains a failure with actual values and the expectation', () => {
    const gate = evaluateGate(gateBundle, {
      release: {
        system: 'scorer',
        metrics: { accuracy: 0.65 },
        fairness: { parityRatio: 0.9 },
        modelCard: {},
      },
      baseline: { metrics: { accuracy: 0.75 } },
      now,
    });
    expect(gate.passed).toBe(false);
    const accuracy = gate.checks.find((c) => c.check === 'accuracy');
    expect(accuracy).toMatchObject({
      status: 'failed',
      message: 'accuracy 0.65 is below 0.7',
      facts: { 'release.metrics.accuracy': 0.65 },
      expected: 'release.metrics.accuracy >= 0.7',
    });
    expect(gate.checks.find((c) => c.check === 'regression')).toMatchObject({
      status: 'failed',
      facts: { 'release.metrics.accuracy': 0.65, 'baseline.metrics.accuracy': 0.75 },
    });
  });

  it('fails closed when a check cannot be evaluated', () => {
    const gate = evaluateGate(gateBundle, { release: { system: 'scorer', metrics: { accuracy: 0.9 } }, now });
    const parity = gate.checks.find((c) => c.check === 'high-risk-needs-parity');
    expect(parity).toMatchObject({ status: 'failed', missing: ['release.fairness.parityRatio'] });
    expect(parity?.error).toMatch(/No such key/);
    expect(gate.passed).toBe(false);
  });

  it('applies only policies that match the release system', () => {
    const gate = evaluateGate(gateBundle, { release: { system: 'other', metrics: { accuracy: 0.1 } }, now });
    expect(gate.checks).toEqual([]);
    expect(gate.passed).toBe(true);
  });
});

describe('evaluateMonitorWindow', () => {
  const bundle = bundleOf({
    'm.yaml': `apiVersion: arbiter/v1
kind: MonitorPolicy
metadata: {name: drift}
spec:
  alerts:
    - name: drifted
      when: metrics.datasetDrift.share > 0.3
      severity: critical
      for: 2
      messageExpression: "string(int(metrics.datasetDrift.share * 100.0)) + '% of features drifted'"
`,
  });

  it('reports which alert conditions hold, with their window count and message', () => {
    const [condition] = evaluateMonitorWindow(bundle, {
      system: 's',
      metrics: { datasetDrift: { share: 0.45 } },
      window: {},
      now,
    });
    expect(condition).toMatchObject({
      alert: 'drifted',
      holds: true,
      for: 2,
      severity: 'critical',
      message: '45% of features drifted',
    });
  });

  it('reports an evaluation error instead of a silent false', () => {
    const [condition] = evaluateMonitorWindow(bundle, { system: 's', metrics: {}, window: {}, now });
    expect(condition?.holds).toBe(false);
    expect(condition?.error).toMatch(/datasetDrift/);
  });
});
