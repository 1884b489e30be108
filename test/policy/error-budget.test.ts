import { describe, expect, it } from 'vitest';
import { compilePolicyTests, formatProblem, runPolicyTests } from '../../src/policy/index.js';
import { actionPolicy, bundleOf, problemsOf } from '../helpers/bundle.js';

const system = (budget: string) => `apiVersion: arbiter/v1
kind: System
metadata: { name: bot }
spec:
  kind: agent
  owner: { team: platform, person: dana@example.com }
  onCall: { team: platform }
  autonomy: 3
  riskTier: high
  errorBudget: ${budget}
`;

describe('System errorBudget', () => {
  it('loads with its environments defaulted to prod and production', () => {
    expect(
      bundleOf({ 's.yaml': system('{ maxFailures: 2, window: 7d }') }).system('bot')?.errorBudget,
    ).toEqual({
      maxFailures: 2,
      window: '7d',
      environments: ['prod', 'production'],
    });
  });

  it('rejects a window that is not a duration, at its line and column', () => {
    const problems = problemsOf({ 's.yaml': system('{ maxFailures: 2, window: a week }') });
    expect(problems.map(formatProblem)).toEqual([
      's.yaml:10:42: errorBudget window "a week" is not a duration such as 7d or 24h',
    ]);
  });

  it('rejects unknown fields and negative budgets', () => {
    const codes = (budget: string) => problemsOf({ 's.yaml': system(budget) }).map((problem) => problem.code);
    expect(codes('{ maxFailures: 2, window: 7d, envs: [prod] }')).toEqual(['ARB_ERR_POLICY_UNKNOWN_FIELD']);
    expect(codes('{ maxFailures: -1, window: 7d }')).toEqual(['ARB_ERR_POLICY_WRONG_TYPE']);
  });
});

describe('actor.trackRecord in policies', () => {
  const bundle = bundleOf({
    's.yaml': system('{ maxFailures: 2, window: 7d }'),
    'p.yaml': actionPolicy(
      'p',
      '  rules:\n    - name: shaky\n      when: actor.?trackRecord.?failureRate.orValue(0.0) > 0.2\n      effect: require_approval\n    - name: ok\n      when: "true"\n      effect: allow\n',
    ),
  });

  it('marks the policies that read it, so the server computes it only for them', () => {
    expect(bundle.readsTrackRecord).toBe(true);
    expect(bundle.actionPolicies[0]?.readsTrackRecord).toBe(true);
    expect(bundleOf({ 's.yaml': system('{ maxFailures: 2, window: 7d }') }).readsTrackRecord).toBe(false);
  });

  it('policy tests give it with `trackRecord:`', () => {
    const suites = compilePolicyTests([
      {
        path: 'p.test.yaml',
        text: `apiVersion: arbiter/v1
kind: PolicyTest
metadata: { name: t }
spec:
  cases:
    - name: a shaky record needs approval
      actor: bot
      trackRecord: { failureRate: 0.5 }
      input: { action: deploy, resource: { type: service, id: x, environment: prod } }
      expect: { effect: require_approval, rules: [p/shaky] }
    - name: no record, no approval
      actor: bot
      input: { action: deploy, resource: { type: service, id: x, environment: prod } }
      expect: { effect: allow, notRules: [p/shaky] }
`,
      },
    ]);
    expect(runPolicyTests(bundle, suites).map((result) => [result.name, result.failures])).toEqual([
      ['a shaky record needs approval', []],
      ['no record, no approval', []],
    ]);
  });
});
