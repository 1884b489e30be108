import { describe, expect, it } from 'vitest';
import { loadPolicyDirectory, readPolicyDirectory } from '../../src/app/policies/node.js';
import { compilePolicyTests, evaluateAction, runPolicyTests } from '../../src/policy/index.js';

const dir = new URL('../../examples/policies', import.meta.url).pathname;
const bundle = loadPolicyDirectory(dir);

describe('examples/policies', () => {
  it('passes every case of its *.test.yaml files', () => {
    const results = runPolicyTests(bundle, compilePolicyTests(readPolicyDirectory(dir).testFiles));
    expect(results.length).toBeGreaterThan(30);
    expect(results.filter((result) => !result.passed).map((r) => [r.name, r.failures])).toEqual([]);
  });

  it('gives deploy-bot an error budget of 2 production failures in 7 days', () => {
    expect(bundle.system('deploy-bot')?.errorBudget).toEqual({
      maxFailures: 2,
      window: '7d',
      environments: ['prod'],
    });
  });

  it('asks the owner team of a System acting with approval (autonomy 2) for production deploys only', () => {
    const request = (environment: string) => ({
      action: 'deploy',
      resource: { type: 'service', id: 'payments', environment },
      change: { linesChanged: 40 },
      rationale: 'Roll out the fix for the checkout timeout',
      confidence: 0.97,
    });
    const actor = { ...bundle.system('deploy-bot')!, autonomy: 2 };
    const now = new Date('2026-11-18T10:00:00Z');
    const prod = evaluateAction(bundle, { request: request('prod'), actor, now });
    expect(prod.effect).toBe('require_approval');
    expect(prod.approvals).toEqual([
      expect.objectContaining({ count: 1, from: ['owner'], rules: ['autonomy-levels/act-with-approval'] }),
    ]);
    expect(evaluateAction(bundle, { request: request('staging'), actor, now }).effect).toBe('allow');
  });
});
