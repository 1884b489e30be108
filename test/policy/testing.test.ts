import { describe, expect, it } from 'vitest';
import { isArbiterError } from '../../src/core/errors.js';
import { compilePolicyTests, formatProblem, runPolicyTests } from '../../src/policy/index.js';
import { actionPolicy, bundleOf } from '../helpers/bundle.js';

const bundle = bundleOf({
  'p.yaml': actionPolicy(
    'p',
    '  rules:\n    - name: big\n      when: request.change.lines > 100\n      effect: require_approval\n      approval: {from: ["group:sre"]}\n    - name: ok\n      when: "true"\n      effect: allow\n',
  ),
});
const suite = (cases: string) => [
  {
    path: 't/p.test.yaml',
    text: `apiVersion: arbiter/v1\nkind: PolicyTest\nmetadata: {name: suite}\nspec:\n  cases:\n${cases}`,
  },
];
const input = (lines: number) =>
  `      input: {action: deploy, resource: {type: service, id: x, environment: prod}, change: {lines: ${lines}}}\n`;

describe('policy test runner', () => {
  it('passes cases whose expectations hold', () => {
    const suites = compilePolicyTests(
      suite(
        `    - name: small\n${input(3)}      expect: {effect: allow, rules: [p/ok], notRules: [p/big]}\n    - name: big\n${input(300)}      expect:\n        effect: require_approval\n        approvals: [{count: 1, from: ["group:sre"], ttl: 1h}]\n`,
      ),
    );
    const results = runPolicyTests(bundle, suites);
    expect(results.map((r) => [r.name, r.passed, r.failures])).toEqual([
      ['small', true, []],
      ['big', true, []],
    ]);
  });

  it('reports each unmet expectation with the line of the case', () => {
    const suites = compilePolicyTests(
      suite(
        `    - name: wrong\n${input(300)}      expect:\n        effect: allow\n        rules: [p/missing]\n        notRules: [p/big]\n        approvals: []\n`,
      ),
    );
    const [result] = runPolicyTests(bundle, suites);
    expect(result?.passed).toBe(false);
    expect(result?.line).toBe(6);
    expect(result?.failures).toEqual([
      'expected effect allow, got require_approval (rules fired: p/big, p/ok)',
      'expected rule p/missing to fire; fired: p/big, p/ok',
      'expected rule p/big not to fire, but it did',
      'expected approvals [], got [1 from [group:sre] within 1h]',
    ]);
  });

  it('rules: [] means that no rule fired', () => {
    const [result] = runPolicyTests(
      bundle,
      compilePolicyTests(suite(`    - name: none\n${input(3)}      expect: {rules: []}\n`)),
    );
    expect(result?.failures).toEqual(['expected no rule to fire; fired: p/ok']);
  });

  it('a case naming an unknown System fails with a clear reason', () => {
    const [result] = runPolicyTests(
      bundle,
      compilePolicyTests(
        suite(`    - name: who\n      actor: ghost\n${input(3)}      expect: {effect: allow}\n`),
      ),
    );
    expect(result?.failures).toEqual(['actor "ghost" is not a System of the bundle']);
  });

  it('rejects malformed test files with file:line:col', () => {
    try {
      compilePolicyTests(
        suite(`    - name: bad\n      input: {action: deploy}\n      expect: {effect: allow}\n`),
      );
      expect.unreachable();
    } catch (error) {
      expect(isArbiterError(error, 'ARB_ERR_POLICY_BUNDLE_INVALID')).toBe(true);
      const problems = (error as { details: { problems: Parameters<typeof formatProblem>[0][] } }).details
        .problems;
      expect(problems.map(formatProblem)).toEqual([
        't/p.test.yaml:7:14: input is not a valid action request: /resource Expected required property',
      ]);
    }
  });
});
