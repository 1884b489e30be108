import { describe, expect, it } from 'vitest';
import type { PolicyBundle } from '../../src/policy/bundle.js';
import { compileBundle } from '../../src/policy/load.js';
import { buildScope, factsInScope, testCondition } from '../../src/policy/scope.js';

/** A bundle of one action policy whose rules have these conditions. */
function bundleOf(conditions: readonly string[]): PolicyBundle {
  const rules = conditions
    .map((when, i) => `    - name: rule-${i}\n      when: ${JSON.stringify(when)}\n      effect: deny\n`)
    .join('');
  return compileBundle([
    {
      path: 'policy.yaml',
      text: `apiVersion: arbiter/v1\nkind: ActionPolicy\nmetadata:\n  name: p\nspec:\n  match:\n    actions: [deploy]\n  rules:\n${rules}`,
    },
  ]);
}

const conditionsOf = (bundle: PolicyBundle) => bundle.actionPolicies[0]!.rules.map((rule) => rule.when);
const roots = { request: { a: 1, b: 2, c: 3 }, actor: { id: 'bot', kind: 'agent' }, now: new Date(0) };

describe('facts in a scope', () => {
  it('are collected once per fact set of the bundle and shared by the rules that read the same paths', () => {
    const bundle = bundleOf(['request.a > 0', 'request.a < 5', 'request.b > 0']);
    const [first, second, third] = conditionsOf(bundle);
    const scope = buildScope(roots, [], bundle.fieldChains);
    const facts = factsInScope(first!, scope);
    expect(facts).toEqual({ facts: { 'request.a': 1 }, missing: undefined });
    expect(factsInScope(second!, scope)).toBe(facts);
    expect(factsInScope(third!, scope)).toEqual({ facts: { 'request.b': 2 }, missing: undefined });
  });

  it('of an expression of another bundle are its own, although its fact set has the same number there', () => {
    const one = bundleOf(['request.a > 0']);
    const other = bundleOf(['request.c > 0']);
    const [fromOne] = conditionsOf(one);
    const [fromOther] = conditionsOf(other);
    // Both sets are the first of their bundle's table.
    expect(fromOne!.facts.slot).toBe(fromOther!.facts.slot);
    const scope = buildScope(roots, [], one.fieldChains);
    expect(factsInScope(fromOne!, scope).facts).toEqual({ 'request.a': 1 });
    expect(factsInScope(fromOther!, scope).facts).toEqual({ 'request.c': 3 });
    expect(factsInScope(fromOne!, scope).facts).toEqual({ 'request.a': 1 });
    // And in a scope of no table at all.
    const bare = buildScope(roots, []);
    expect(factsInScope(fromOther!, bare).facts).toEqual({ 'request.c': 3 });
  });
});

describe('field chains in a scope', () => {
  it('of a condition of another bundle are read on their own, although they have the same number there', () => {
    const one = bundleOf(['request.a < 2']);
    const other = bundleOf(['request.c > 2']);
    const [fromOne] = conditionsOf(one);
    const [fromOther] = conditionsOf(other);
    // Both chains are the first of their bundle's table, and both conditions have closures.
    expect(one.fieldChains.slot(['request', 'a'])).toBe(other.fieldChains.slot(['request', 'c']));
    expect(fromOne!.condition && fromOther!.condition).toBeDefined();
    const scope = buildScope(roots, [], one.fieldChains);
    // Read through slot 0 of one's table, request.a (1) would make these false.
    expect(testCondition(fromOne!, scope)).toBe(true);
    expect(testCondition(fromOther!, scope)).toBe(true);
    // And the other way round: request.c (3) must not have been kept as one's slot 0.
    const fresh = buildScope(roots, [], one.fieldChains);
    expect(testCondition(fromOther!, fresh)).toBe(true);
    expect(testCondition(fromOne!, fresh)).toBe(true);
  });
});
