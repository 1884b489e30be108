import { describe, expect, it } from 'vitest';
import { type Actor, evaluateAction, type PolicyBundle } from '../../src/policy/index.js';
import type { ActionRequest } from '../../src/policy/request.js';
import { actionPolicy, bundleOf } from '../helpers/bundle.js';

const agent: Actor = { id: 'deploy-bot', kind: 'agent', autonomy: 3, owner: { team: 'platform' } };
const monday = new Date('2026-11-16T10:00:00Z');
const request = (overrides: Partial<ActionRequest> = {}): ActionRequest => ({
  action: 'deploy',
  resource: { type: 'service', id: 'payments', environment: 'prod' },
  rationale: 'fix the checkout timeout',
  confidence: 0.95,
  change: { linesChanged: 40 },
  ...overrides,
});
const evaluate = (bundle: PolicyBundle, req = request(), actor = agent, now = monday) =>
  evaluateAction(bundle, { request: req, actor, now });

const rules = (...items: string[]) => `  rules:\n${items.join('')}`;
const ruleYaml = (name: string, when: string, effect: string, extra = '') =>
  `    - name: ${name}\n      when: ${JSON.stringify(when)}\n      effect: ${effect}\n${extra}`;

describe('combining', () => {
  const bundle = bundleOf({
    'a.yaml': actionPolicy(
      'p',
      rules(
        ruleYaml('allow-all', 'true', 'allow'),
        ruleYaml('big', 'request.change.linesChanged > 500', 'require_approval'),
        ruleYaml('friday', 'now.getDayOfWeek() == 5', 'deny'),
      ),
    ),
  });

  it('allow when only allow rules fire', () => {
    expect(evaluate(bundle).effect).toBe('allow');
  });

  it('require_approval beats allow', () => {
    expect(evaluate(bundle, request({ change: { linesChanged: 900 } })).effect).toBe('require_approval');
  });

  it('deny beats require_approval and allow', () => {
    const verdict = evaluate(
      bundle,
      request({ change: { linesChanged: 900 } }),
      agent,
      new Date('2026-11-20T10:00:00Z'),
    );
    expect(verdict.effect).toBe('deny');
    expect(verdict.reasons.map((r) => r.rule)).toEqual(['allow-all', 'big', 'friday']);
    expect(verdict.approvals).toEqual([]);
  });

  it('combines across policies, not just within one', () => {
    const two = bundleOf({
      'a.yaml': actionPolicy('a', rules(ruleYaml('ok', 'true', 'allow'))),
      'b.yaml': actionPolicy('b', rules(ruleYaml('no', 'request.resource.environment == "prod"', 'deny'))),
    });
    expect(evaluate(two).effect).toBe('deny');
    expect(
      evaluate(two, request({ resource: { type: 'service', id: 'x', environment: 'dev' } })).effect,
    ).toBe('allow');
  });

  it('denies by default when nothing fires', () => {
    const none = bundleOf({ 'a.yaml': actionPolicy('p', rules(ruleYaml('never', 'false', 'allow'))) });
    const verdict = evaluate(none);
    expect(verdict).toMatchObject({ effect: 'deny', defaulted: true, reasons: [] });
    expect(verdict.notFired).toHaveLength(1);
  });

  it('uses the bundle default when it is set', () => {
    const lenient = bundleOf({
      'a.yaml': actionPolicy('p', rules(ruleYaml('never', 'false', 'allow'))),
      'bundle.yaml':
        'apiVersion: arbiter/v1\nkind: Bundle\nmetadata: {name: b}\nspec:\n  defaults:\n    effect: require_approval\n    approval: {from: ["group:sre"], ttl: 30m}\n',
    });
    const verdict = evaluate(lenient);
    expect(verdict).toMatchObject({ effect: 'require_approval', defaulted: true });
    expect(verdict.approvals).toEqual([
      { count: 1, from: ['group:sre'], ttl: '30m', ttlMs: 1_800_000, rules: ['(bundle default)'] },
    ]);
  });
});

describe('match filters', () => {
  const bundle = bundleOf({
    'a.yaml': actionPolicy(
      'mcp',
      `  match:\n    actions: ["mcp.tool.*"]\n    environments: [prod]\n    actorKinds: [agent]\n    systems: ["deploy-*"]\n    resourceTypes: [tool]\n${rules(ruleYaml('ok', 'true', 'allow'))}`,
    ),
  });
  const mcpRequest = request({
    action: 'mcp.tool.github.merge',
    resource: { type: 'tool', id: 'merge', environment: 'prod' },
  });

  it('applies a policy only when every filter holds, with * globs', () => {
    expect(evaluate(bundle, mcpRequest).policies).toEqual(['mcp']);
    expect(evaluate(bundle, mcpRequest).effect).toBe('allow');
  });

  it.each([
    ['action', { ...mcpRequest, action: 'deploy' }, agent],
    ['environment', { ...mcpRequest, resource: { type: 'tool', id: 'merge', environment: 'dev' } }, agent],
    [
      'resource type',
      { ...mcpRequest, resource: { type: 'service', id: 'merge', environment: 'prod' } },
      agent,
    ],
    ['actor kind', mcpRequest, { ...agent, kind: 'human' } as Actor],
    ['system', mcpRequest, { ...agent, id: 'migrate-bot' }],
  ])('skips the policy when the %s does not match', (_what, req, actor) => {
    const verdict = evaluate(bundle, req as ActionRequest, actor);
    expect(verdict.policies).toEqual([]);
    expect(verdict.effect).toBe('deny');
  });

  it('a request without an environment does not match an environment filter', () => {
    const verdict = evaluate(bundle, { ...mcpRequest, resource: { type: 'tool', id: 'merge' } });
    expect(verdict.policies).toEqual([]);
  });
});

describe('approvals', () => {
  const bundle = bundleOf({
    'a.yaml': actionPolicy(
      'a',
      rules(
        ruleYaml(
          'sre',
          'true',
          'require_approval',
          '      approval: {count: 2, from: ["group:sre", owner], ttl: 2h}\n',
        ),
        ruleYaml('dba', 'true', 'require_approval', '      approval: {from: ["group:dba"]}\n'),
      ),
    ),
    'b.yaml': actionPolicy(
      'b',
      rules(
        ruleYaml(
          'sre-again',
          'true',
          'require_approval',
          '      approval: {count: 2, from: [owner, "group:sre"], ttl: 30m}\n',
        ),
      ),
    ),
  });

  it('keeps different requirements and merges identical ones with the shortest ttl', () => {
    expect(evaluate(bundle).approvals).toEqual([
      {
        count: 2,
        from: ['group:sre', 'owner'],
        ttl: '30m',
        ttlMs: 1_800_000,
        rules: ['a/sre', 'b/sre-again'],
      },
      { count: 1, from: ['group:dba'], ttl: '1h', ttlMs: 3_600_000, rules: ['a/dba'] },
    ]);
  });

  it('a rule without an approval block asks for one approver from anyone within 1h', () => {
    const plain = bundleOf({ 'a.yaml': actionPolicy('p', rules(ruleYaml('r', 'true', 'require_approval'))) });
    expect(evaluate(plain).approvals).toEqual([
      { count: 1, from: [], ttl: '1h', ttlMs: 3_600_000, rules: ['p/r'] },
    ]);
  });

  it('count defaults to the number of distinct selectors', () => {
    const plain = bundleOf({
      'a.yaml': actionPolicy(
        'p',
        rules(
          ruleYaml('r', 'true', 'require_approval', '      approval: {from: [owner, "user:ann", owner]}\n'),
        ),
      ),
    });
    expect(evaluate(plain).approvals[0]).toMatchObject({ count: 2, from: ['owner', 'user:ann'] });
  });
});

describe('execution window', () => {
  const window = (minutes: number) => `      executionWindow: ${minutes}m\n`;

  it('is 15 minutes unless a rule or the bundle says otherwise, and a denial has none', () => {
    const plain = bundleOf({ 'a.yaml': actionPolicy('p', rules(ruleYaml('r', 'true', 'allow'))) });
    expect(evaluate(plain).executionWindow).toEqual({ window: '15m', windowMs: 900_000 });
    const denied = bundleOf({ 'a.yaml': actionPolicy('p', rules(ruleYaml('r', 'true', 'deny'))) });
    expect(evaluate(denied)).not.toHaveProperty('executionWindow');
  });

  it('is the shortest of the fired rules that set one, longer or shorter than the default', () => {
    const bundle = bundleOf({
      'a.yaml': actionPolicy(
        'p',
        rules(
          ruleYaml('long', 'true', 'allow', window(60)),
          ruleYaml('longer', 'true', 'require_approval', window(90)),
          ruleYaml('short-never-fires', 'false', 'allow', window(1)),
        ),
      ),
    });
    expect(evaluate(bundle).executionWindow).toEqual({ window: '60m', windowMs: 3_600_000 });
  });

  it("takes the bundle's default when no fired rule sets one; shadow rules never set it", () => {
    const bundle = bundleOf({
      'a.yaml': actionPolicy('p', rules(ruleYaml('r', 'true', 'allow'))),
      's.yaml': actionPolicy('s', `  mode: shadow\n${rules(ruleYaml('quick', 'true', 'allow', window(1)))}`),
      'bundle.yaml':
        'apiVersion: arbiter/v1\nkind: Bundle\nmetadata: {name: b}\nspec:\n  defaults:\n    executionWindow: 5m\n',
    });
    expect(evaluate(bundle).executionWindow).toEqual({ window: '5m', windowMs: 300_000 });
  });
});

describe('shadow mode', () => {
  const bundle = bundleOf({
    'a.yaml': actionPolicy('live', rules(ruleYaml('ok', 'true', 'allow'))),
    'b.yaml': actionPolicy(
      'proposal',
      `  mode: shadow\n${rules(ruleYaml('strict', 'request.confidence < 0.99', 'deny'))}`,
    ),
  });

  it('evaluates and reports shadow rules without applying them', () => {
    const verdict = evaluate(bundle);
    expect(verdict.effect).toBe('allow');
    expect(verdict.reasons.map((r) => r.rule)).toEqual(['ok']);
    expect(verdict.shadow).toMatchObject([
      { policy: 'proposal', rule: 'strict', effect: 'deny', facts: { 'request.confidence': 0.95 } },
    ]);
    expect(verdict.shadowEffect).toBe('deny');
    expect(verdict.policies).toEqual(['live']);
  });

  it('a shadow policy alone never allows', () => {
    const onlyShadow = bundleOf({
      'b.yaml': actionPolicy('proposal', `  mode: shadow\n${rules(ruleYaml('ok', 'true', 'allow'))}`),
    });
    const verdict = evaluate(onlyShadow);
    expect(verdict.effect).toBe('deny');
    expect(verdict.defaulted).toBe(true);
    expect(verdict.shadowEffect).toBe('allow');
  });
});

describe('fail closed on runtime errors', () => {
  const bundle = bundleOf({
    'a.yaml': actionPolicy(
      'p',
      rules(
        ruleYaml('allow-small', 'request.change.linesChanged < 100', 'allow'),
        ruleYaml('deny-risky', 'request.context.risk == "high"', 'deny'),
      ),
    ),
  });

  it('a failing deny rule denies, with the error in the explanation', () => {
    const verdict = evaluate(bundle);
    expect(verdict.effect).toBe('deny');
    const reason = verdict.reasons.find((r) => r.rule === 'deny-risky');
    expect(reason?.error).toMatch(/No such key: context/);
    expect(reason?.missing).toEqual(['request.context.risk']);
    expect(reason?.message).toContain('fails closed');
  });

  it('a failing allow rule does not allow', () => {
    const verdict = evaluate(bundle, request({ change: {}, context: { risk: 'low' } }));
    expect(verdict.effect).toBe('deny');
    expect(verdict.defaulted).toBe(true);
    expect(verdict.notFired.find((r) => r.rule === 'allow-small')?.error).toMatch(/linesChanged/);
  });

  it('a failing require_approval rule still requires approval', () => {
    const approval = bundleOf({
      'a.yaml': actionPolicy(
        'p',
        rules(
          ruleYaml('ok', 'true', 'allow'),
          ruleYaml('check', 'request.context.x > 1', 'require_approval'),
        ),
      ),
    });
    const verdict = evaluate(approval);
    expect(verdict.effect).toBe('require_approval');
    expect(verdict.approvals).toHaveLength(1);
  });

  it('a rule that yields a non-bool is an error, not a silent false', () => {
    const odd = bundleOf({
      'a.yaml': actionPolicy('p', rules(ruleYaml('weird', 'request.context.flag', 'deny'))),
    });
    const verdict = evaluate(odd, request({ context: { flag: 'yes' } }));
    expect(verdict.effect).toBe('deny');
    expect(verdict.reasons[0]?.error).toContain('not a bool');
  });

  it('a failing variable fails the rules that read it', () => {
    const withVariable = bundleOf({
      'a.yaml': actionPolicy(
        'p',
        `  variables:\n    - name: risky\n      expression: request.context.risk == "high"\n${rules(
          ruleYaml('block', 'variables.risky', 'deny'),
          ruleYaml('ok', 'true', 'allow'),
        )}`,
      ),
    });
    const verdict = evaluate(withVariable);
    expect(verdict.effect).toBe('deny');
    expect(verdict.reasons.find((r) => r.rule === 'block')?.error).toMatch(
      /variables\.risky failed: No such key/,
    );
  });

  it('a failing messageExpression falls back to the static message', () => {
    const messages = bundleOf({
      'a.yaml': actionPolicy(
        'p',
        rules(
          ruleYaml(
            'm',
            'true',
            'deny',
            '      message: static\n      messageExpression: request.context.msg\n',
          ),
        ),
      ),
    });
    expect(evaluate(messages).reasons[0]?.message).toBe('static');
  });
});

describe('explanations', () => {
  const bundle = bundleOf({
    'a.yaml': actionPolicy(
      'prod',
      `  variables:\n    - name: bigChange\n      expression: request.change.linesChanged > 500\n${rules(
        ruleYaml(
          'needs-sre',
          'variables.bigChange || request.confidence < 0.9',
          'require_approval',
          `      messageExpression: "'change of ' + string(int(request.change.linesChanged)) + ' lines'"\n`,
        ),
        ruleYaml('frozen', 'now.getDayOfWeek() == 5 && actor.autonomy < 3', 'deny'),
        ruleYaml('safe', 'true', 'allow'),
      )}`,
    ),
  });

  it('lists each fired rule with its message and the values it read', () => {
    const verdict = evaluate(bundle, request({ change: { linesChanged: 812 }, confidence: 0.62 }));
    expect(verdict.reasons[0]).toEqual({
      policy: 'prod',
      rule: 'needs-sre',
      effect: 'require_approval',
      message: 'change of 812 lines',
      facts: { 'variables.bigChange': true, 'request.change.linesChanged': 812, 'request.confidence': 0.62 },
    });
  });

  it('lists rules that did not fire with the values that kept them from firing', () => {
    const verdict = evaluate(bundle);
    expect(verdict.notFired).toEqual([
      {
        policy: 'prod',
        rule: 'needs-sre',
        effect: 'require_approval',
        facts: {
          'variables.bigChange': false,
          'request.change.linesChanged': 40,
          'request.confidence': 0.95,
        },
      },
      {
        policy: 'prod',
        rule: 'frozen',
        effect: 'deny',
        facts: { now: '2026-11-16T10:00:00.000Z', 'actor.autonomy': 3 },
      },
    ]);
  });

  it('reports the bundle digest with every verdict', () => {
    expect(evaluate(bundle).bundle).toBe(bundle.digest);
  });

  it('reads request fields through index syntax and optional chaining', () => {
    const indexed = bundleOf({
      'a.yaml': actionPolicy(
        'p',
        rules(
          ruleYaml(
            'r',
            'request.context["team-name"] == "core" && request.?change.?files.orValue(0) > 1',
            'deny',
          ),
        ),
      ),
    });
    const verdict = evaluate(indexed, request({ context: { 'team-name': 'core' }, change: { files: 3 } }));
    expect(verdict.reasons[0]?.facts).toEqual({
      'request.context["team-name"]': 'core',
      'request.change.files': 3,
    });
  });
});

describe('bundle digest', () => {
  const a = actionPolicy('a', rules(ruleYaml('ok', 'true', 'allow')));
  const b = actionPolicy('b', rules(ruleYaml('no', 'false', 'deny')));

  it('does not depend on file layout or key order', () => {
    const split = bundleOf({ 'x.yaml': a, 'y.yaml': b });
    const joined = bundleOf({ 'all.yaml': `${b}---\n${a}` });
    const reordered = bundleOf({
      'x.yaml': a.replace(
        'apiVersion: arbiter/v1\nkind: ActionPolicy\n',
        'kind: ActionPolicy\napiVersion: arbiter/v1\n',
      ),
      'y.yaml': b,
    });
    expect(joined.digest).toBe(split.digest);
    expect(reordered.digest).toBe(split.digest);
  });

  it('changes when any content changes', () => {
    const changed = bundleOf({
      'x.yaml': a,
      'y.yaml': b.replace('effect: deny', 'effect: require_approval'),
    });
    expect(changed.digest).not.toBe(bundleOf({ 'x.yaml': a, 'y.yaml': b }).digest);
  });
});
