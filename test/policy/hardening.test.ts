import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RE2JS } from 're2js';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPolicyDirectory } from '../../src/app/policies/node.js';
import { isArbiterError } from '../../src/core/errors.js';
import { linearLastIndexOf } from '../../src/policy/cel-guard.js';
import {
  type Actor,
  celLimits,
  compileBundle,
  defaultYamlLimits,
  evaluateAction,
  evaluateGate,
  evaluateMonitorWindow,
  formatProblem,
  type LoadProblem,
  type PolicyBundle,
} from '../../src/policy/index.js';
import type { ActionRequest } from '../../src/policy/request.js';
import { actionPolicy, bundleOf, problemsOf } from '../helpers/bundle.js';

// Each attack is refused at load or fails closed at run time. The assertions name the error code
// and the decision's effect, never a duration: a broken bound shows up as a hang or a wrong code.

const agent: Actor = { id: 'deploy-bot', kind: 'agent', autonomy: 3, owner: { team: 'platform' } };
const monday = new Date('2026-11-16T10:00:00Z');
const request = (context: Record<string, unknown> = {}): ActionRequest => ({
  action: 'deploy',
  resource: { type: 'service', id: 'payments', environment: 'prod' },
  rationale: 'hostile input',
  context,
});
const decide = (bundle: PolicyBundle, context: Record<string, unknown> = {}) =>
  evaluateAction(bundle, { request: request(context), actor: agent, now: monday });

const ruleYaml = (name: string, when: string, effect: string, extra = '') =>
  `    - name: ${name}\n      when: ${JSON.stringify(when)}\n      effect: ${effect}\n${extra}`;
const policyOf = (...rules: string[]) => actionPolicy('p', `  rules:\n${rules.join('')}`);
/** A one-rule policy whose `when` sits on line 8, its text starting at column 14. */
const oneRule = (when: string, effect = 'allow') => ({ 'a.yaml': policyOf(ruleYaml('r', when, effect)) });

/** The single problem of a rejected bundle: code and `file:line:col`. */
function only(problems: LoadProblem[]) {
  expect(problems, problems.map(formatProblem).join('\n')).toHaveLength(1);
  const [problem] = problems;
  return {
    code: problem!.code,
    at: `${problem!.file}:${problem!.line}:${problem!.col}`,
    message: problem!.message,
  };
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('CEL expressions are bounded at load', () => {
  it('refuses an expression longer than the limit', () => {
    const when = `request.action == '${'x'.repeat(celLimits.maxExpressionLength)}'`;
    expect(only(problemsOf(oneRule(when)))).toMatchObject({
      code: 'ARB_ERR_POLICY_CEL_LIMIT',
      at: 'a.yaml:8:14',
    });
  });

  it('refuses deep nesting of parentheses and of list literals', () => {
    const parens = `${'('.repeat(60)}true${')'.repeat(60)}`;
    expect(only(problemsOf(oneRule(parens))).code).toBe('ARB_ERR_POLICY_CEL_LIMIT');
    const lists = `size(${'['.repeat(60)}1${']'.repeat(60)}) == 1`;
    const problem = only(problemsOf(oneRule(lists)));
    expect(problem.code).toBe('ARB_ERR_POLICY_CEL_LIMIT');
    expect(problem.message).toContain('nested too deeply');
  });

  it('refuses an expression with too many nodes', () => {
    const when = `${range(1_500)
      .map(() => '1')
      .join('+')} > 0`;
    expect(when.length).toBeLessThan(celLimits.maxExpressionLength);
    const problem = only(problemsOf(oneRule(when)));
    expect(problem.code).toBe('ARB_ERR_POLICY_CEL_LIMIT');
    expect(problem.message).toContain('too large');
  });

  it('refuses a list literal with too many elements', () => {
    const when = `request.action in [${range(300)
      .map((i) => `'a${i}'`)
      .join(',')}]`;
    expect(only(problemsOf(oneRule(when))).code).toBe('ARB_ERR_POLICY_CEL_LIMIT');
  });

  it('refuses comprehensions nested deeper than the limit, at the innermost one too deep', () => {
    const l = 'request.context.l';
    const when = `${l}.all(a, ${l}.all(b, ${l}.all(c, ${l}.exists(d, d == a))))`;
    const problem = only(problemsOf(oneRule(when)));
    expect(problem.code).toBe('ARB_ERR_POLICY_CEL_LIMIT');
    expect(problem.at).toBe(`a.yaml:8:${14 + when.indexOf('.exists(')}`);
    // Three deep is allowed, and so is a comprehension over the result of another (not nested).
    expect(() => bundleOf(oneRule(`${l}.all(a, ${l}.all(b, ${l}.exists(c, c == a)))`))).not.toThrow();
    expect(() => bundleOf(oneRule(`${l}.filter(a, a > 1).map(b, b * 2).all(c, c > 0)`))).not.toThrow();
  });

  it('refuses cel.bind nested deeper than the limit: each level could double the list it binds', () => {
    const nested = (depth: number) => {
      let body = `size(b${depth - 1}) > 0`;
      for (let i = depth - 1; i >= 0; i--)
        body = `cel.bind(b${i}, ${i === 0 ? 'request.context.l + request.context.l' : `b${i - 1} + b${i - 1}`}, ${body})`;
      return body;
    };
    const tooDeep = nested(celLimits.maxBindNesting + 1);
    const problem = only(problemsOf(oneRule(tooDeep)));
    expect(problem.code).toBe('ARB_ERR_POLICY_CEL_LIMIT');
    expect(problem.message).toContain(`cel.bind is nested ${celLimits.maxBindNesting + 1} deep`);
    // Within the limit it loads and evaluates: 2^4 copies of a 3-element list.
    const bundle = bundleOf(oneRule(nested(celLimits.maxBindNesting), 'deny'));
    expect(decide(bundle, { l: [1, 2, 3] }).effect).toBe('deny');
  });
});

describe('matches runs RE2 and refuses patterns RE2 cannot run in linear time', () => {
  it('refuses look-around in a literal pattern, at the pattern', () => {
    const when = "request.action.matches('^(?=deploy)')";
    expect(only(problemsOf(oneRule(when)))).toMatchObject({
      code: 'ARB_ERR_POLICY_CEL_REGEX',
      at: `a.yaml:8:${14 + when.indexOf('^(?=')}`,
    });
  });

  it('refuses a back-reference, also inside a comprehension', () => {
    const block = (when: string) => ({
      'a.yaml': actionPolicy(
        'p',
        `  rules:\n    - name: r\n      when: |\n        ${when}\n      effect: deny\n`,
      ),
    });
    const when = "request.context.l.exists(x, x.matches('(a+)\\\\1'))";
    expect(only(problemsOf(block(when)))).toMatchObject({
      code: 'ARB_ERR_POLICY_CEL_REGEX',
      at: `a.yaml:9:${9 + when.indexOf('(a+)')}`,
    });
  });

  it('refuses a pattern whose RE2 program is too large, and one that is too long', () => {
    const huge = `(${'abcdef'
      .split('')
      .map((c) => `${c}{1000}`)
      .join('')})`;
    const problem = only(problemsOf(oneRule(`request.action.matches('${huge}')`)));
    expect(problem.code).toBe('ARB_ERR_POLICY_CEL_REGEX');
    expect(problem.message).toContain('RE2 instructions');
    const long = 'a'.repeat(celLimits.maxPatternLength + 1);
    expect(only(problemsOf(oneRule(`request.action.matches('${long}')`))).code).toBe(
      'ARB_ERR_POLICY_CEL_REGEX',
    );
  });

  it('accepts a pattern that backtracks catastrophically in JavaScript and matches it in linear time', () => {
    const bundle = bundleOf(oneRule("request.context.s.matches('^(a+)+$')", 'deny'));
    const hostile = `${'a'.repeat(50_000)}!`;
    const verdict = decide(bundle, { s: hostile });
    expect(verdict.notFired[0]).toMatchObject({ rule: 'r' });
    expect(verdict.notFired[0]?.error).toBeUndefined();
    expect(decide(bundle, { s: 'aaaa' }).reasons[0]).toMatchObject({ rule: 'r', effect: 'deny' });
  });

  it('keeps CEL semantics: a partial match, RE2 flags, computed patterns', () => {
    const bundle = bundleOf({
      'a.yaml': policyOf(
        ruleYaml('partial', "request.action.matches('epl')", 'allow'),
        ruleYaml('flags', "request.action.matches('(?i)^DEPLOY$')", 'allow'),
        ruleYaml('no', "request.action.matches('^epl')", 'allow'),
        ruleYaml('dynamic', 'request.action.matches(request.context.p)', 'allow'),
        ruleYaml('keyed', "request.context['matches'].matches('matches')", 'allow'),
      ),
    });
    const verdict = decide(bundle, { p: 'plo', matches: 'what matches' });
    expect(verdict.reasons.map((r) => r.rule).sort()).toEqual(['dynamic', 'flags', 'keyed', 'partial']);
    expect(verdict.notFired.map((r) => r.rule)).toEqual(['no']);
  });

  it('fails a computed pattern RE2 refuses closed: a deny rule fires, an allow rule does not', () => {
    const bundle = bundleOf({
      'a.yaml': policyOf(
        ruleYaml('deny-tool', 'request.context.tool.matches(request.context.pattern)', 'deny'),
        ruleYaml('allow-tool', 'request.context.tool.matches(request.context.pattern)', 'allow'),
      ),
    });
    for (const pattern of ['(a)\\1', '(?!x)', 'a'.repeat(celLimits.maxPatternLength + 1)]) {
      const verdict = decide(bundle, { tool: 'aa', pattern });
      expect(verdict.effect).toBe('deny');
      expect(verdict.reasons[0]).toMatchObject({ rule: 'deny-tool' });
      expect(verdict.reasons[0]?.error).toMatch(/^ARB_ERR_POLICY_CEL_REGEX: /);
      expect(verdict.notFired[0]?.error).toMatch(/^ARB_ERR_POLICY_CEL_REGEX: /);
    }
    // A computed catastrophic pattern over hostile input completes.
    const slow = decide(bundle, { tool: `${'a'.repeat(50_000)}!`, pattern: '^(a|aa)+$' });
    expect(slow.effect).toBe('deny');
    expect(slow.reasons).toEqual([]);
    expect(slow.defaulted).toBe(true);
  });
});

describe('CEL evaluation is bounded at run time and fails closed', () => {
  const million = range(1_000_000);
  const cost = /^ARB_ERR_POLICY_CEL_COST: /;

  it('a million-element list: a deny rule fires, an allow rule does not, the facts stay small', () => {
    const bundle = bundleOf({
      'a.yaml': policyOf(
        ruleYaml('deny-bad', 'request.context.items.exists(x, x < 0)', 'deny'),
        ruleYaml('allow-good', 'request.context.items.all(x, x >= 0)', 'allow'),
        ruleYaml('approve-any', 'request.context.items.filter(x, x > 5).size() > 0', 'require_approval'),
      ),
    });
    const verdict = decide(bundle, { items: million });
    expect(verdict.effect).toBe('deny');
    expect(verdict.reasons.map((r) => [r.rule, r.effect])).toEqual([
      ['deny-bad', 'deny'],
      ['approve-any', 'require_approval'],
    ]);
    for (const entry of [...verdict.reasons, ...verdict.notFired]) expect(entry.error).toMatch(cost);
    expect(verdict.notFired[0]).toMatchObject({ rule: 'allow-good' });
    expect(verdict.reasons[0]?.facts['request.context.items']).toBe('<list of 1000000 items>');
    // The same rules decide normally on a list of ordinary size.
    expect(decide(bundle, { items: range(100) }).effect).toBe('require_approval');
  });

  it('nested comprehensions are bounded by the total of their steps', () => {
    const bundle = bundleOf(oneRule('request.context.l.all(a, request.context.l.all(b, a + b >= 0))'));
    const verdict = decide(bundle, { l: range(1_000) });
    expect(verdict.effect).toBe('deny');
    expect(verdict.defaulted).toBe(true);
    expect(verdict.notFired[0]?.error).toMatch(cost);
    expect(decide(bundle, { l: range(100) }).effect).toBe('allow');
  });

  it('a bound that was hit fails the rule even where CEL would absorb the error (`error || true`)', () => {
    const bundle = bundleOf(oneRule('request.context.l.exists(x, x < 0) || true'));
    const verdict = decide(bundle, { l: million });
    expect(verdict.effect).toBe('deny');
    expect(verdict.notFired[0]?.error).toMatch(cost);
    expect(decide(bundle, { l: range(10) }).effect).toBe('allow');
  });

  it('expensive steps are stopped by the time bound: `x in list` inside a comprehension', () => {
    // 50,000 steps are within the step bound, but each scans 50,000 elements.
    const bundle = bundleOf(oneRule('request.context.l.exists(x, x in request.context.m)', 'deny'));
    const l = range(50_000);
    const m = range(50_000).map((i) => -i - 1);
    const verdict = decide(bundle, { l, m });
    expect(verdict.effect).toBe('deny');
    expect(verdict.reasons[0]?.error).toMatch(/^ARB_ERR_POLICY_CEL_COST: evaluation iterated for more than/);
    expect(decide(bundle, { l: range(100), m: [-1] }).effect).toBe('deny');
    expect(decide(bundle, { l: range(100), m: [-1] }).defaulted).toBe(true);
  });

  it('variables that double one another are capped', () => {
    const variables = ['    - name: v0\n      expression: request.context.l'];
    for (let i = 1; i <= 7; i++)
      variables.push(`    - name: v${i}\n      expression: variables.v${i - 1} + variables.v${i - 1}`);
    const bundle = bundleOf({
      'a.yaml': actionPolicy(
        'p',
        `  variables:\n${variables.join('\n')}\n  rules:\n${ruleYaml('deny-big', 'size(variables.v7) > 2000', 'deny')}${ruleYaml('allow', 'size(variables.v7) >= 0', 'allow')}`,
      ),
    });
    // 1,000 elements doubled seven times is 128,000.
    const verdict = decide(bundle, { l: range(1_000) });
    expect(verdict.effect).toBe('deny');
    expect(verdict.reasons[0]?.error).toMatch(
      /^variables\.v7 failed: ARB_ERR_POLICY_CEL_COST: the value holds 128000/,
    );
    expect(decide(bundle, { l: range(10) }).effect).toBe('allow');
    expect(decide(bundle, { l: range(100) }).effect).toBe('deny');
  });

  it('a messageExpression cannot produce an unbounded message', () => {
    const bundle = bundleOf({
      'a.yaml': policyOf(
        ruleYaml('r', 'true', 'deny', '      messageExpression: "request.context.s + request.context.s"\n'),
      ),
    });
    const verdict = decide(bundle, { s: 'x'.repeat(100_000) });
    expect(verdict.reasons[0]?.message).toHaveLength(celLimits.maxMessageLength + 1);
  });

  it('a gate check over a huge list fails; a monitor condition reports the error', () => {
    const bundle = bundleOf({
      'g.yaml':
        'apiVersion: arbiter/v1\nkind: GatePolicy\nmetadata: { name: g }\nspec:\n  checks:\n    - name: all-known\n      assert: release.components.all(c, c >= 0)\n',
      'm.yaml':
        'apiVersion: arbiter/v1\nkind: MonitorPolicy\nmetadata: { name: m }\nspec:\n  alerts:\n    - name: any-high\n      when: metrics.values.exists(v, v > 2000000)\n      severity: critical\n',
    });
    const gate = evaluateGate(bundle, { release: { system: 's', components: million }, now: monday });
    expect(gate.passed).toBe(false);
    expect(gate.checks[0]).toMatchObject({ status: 'failed' });
    expect(gate.checks[0]?.error).toMatch(cost);
    const [alert] = evaluateMonitorWindow(bundle, {
      system: 's',
      metrics: { values: million },
      window: {},
      now: monday,
    });
    expect(alert?.error).toMatch(cost);
    expect(evaluateGate(bundle, { release: { system: 's', components: [1, 2] }, now: monday }).passed).toBe(
      true,
    );
  });
});

describe('matches is charged text length × RE2 program size, in or out of a loop', () => {
  // 3,003 RE2 instructions, under the program-size limit: a dense NFA that took 12 s on 120 KB.
  const dense = '(?:a?){1000}a{1000}$';
  const scanRules = () =>
    bundleOf({
      'a.yaml': policyOf(
        ruleYaml('deny-match', 'request.context.text.matches(request.context.pattern)', 'deny'),
        ruleYaml('allow-match', 'request.context.text.matches(request.context.pattern)', 'allow'),
        ruleYaml('absorbed', 'request.context.text.matches(request.context.pattern) || true', 'allow'),
      ),
    });

  it('refuses the dense pattern on 120 KB before running it: deny fires, allow does not', () => {
    expect(RE2JS.compile(dense).programSize()).toBe(3_003);
    const verdict = decide(scanRules(), { text: 'a'.repeat(120_000), pattern: dense });
    expect(verdict.effect).toBe('deny');
    expect(verdict.reasons.map((r) => r.rule)).toEqual(['deny-match']);
    const reason = `ARB_ERR_POLICY_CEL_COST: matches would cost 360360000 (120000 characters × 3003 RE2 instructions); one evaluation may spend at most ${celLimits.maxMatchesCost}`;
    expect(verdict.reasons[0]?.error).toBe(reason);
    expect(verdict.notFired.map((r) => [r.rule, r.error])).toEqual([
      ['allow-match', reason],
      ['absorbed', reason],
    ]);
  });

  it('runs the same pattern on a text within the budget', () => {
    // 20 characters × 3,003 instructions: far within the budget; too short for the pattern to match.
    const verdict = decide(scanRules(), { text: 'a'.repeat(20), pattern: dense });
    expect(verdict.effect).toBe('allow');
    expect(verdict.notFired.map((r) => [r.rule, r.error])).toEqual([
      ['deny-match', undefined],
      ['allow-match', undefined],
    ]);
    expect(verdict.reasons.map((r) => [r.rule, r.error])).toEqual([['absorbed', undefined]]);
  });

  it('bounds the text one matches may scan, whatever the pattern', () => {
    const verdict = decide(scanRules(), {
      text: 'b'.repeat(celLimits.maxMatchesTextLength + 1),
      pattern: 'a',
    });
    expect(verdict.effect).toBe('deny');
    expect(verdict.reasons[0]?.error).toMatch(
      /^ARB_ERR_POLICY_CEL_COST: matches would scan 1048577 characters/,
    );
  });

  it('shares one budget among the matches of an evaluation, loops included', () => {
    const bundle = bundleOf(oneRule('request.context.l.exists(p, request.context.text.matches(p))', 'deny'));
    const text = 'x'.repeat(200_000);
    // Each pattern compiles to 6 instructions: 1.2 million per call, 21 calls exceed 25 million.
    const patterns = range(22).map((i) => `y${String(i).padStart(2, '0')}z`);
    expect(RE2JS.compile('y10z').programSize() * text.length).toBe(1_200_000);
    const verdict = decide(bundle, { text, l: patterns });
    expect(verdict.effect).toBe('deny');
    expect(verdict.reasons[0]?.error).toMatch(
      /^ARB_ERR_POLICY_CEL_COST: matches would cost 1200000 .*, and \d+ is left$/,
    );
    expect(decide(bundle, { text, l: patterns.slice(0, 10) }).reasons[0]?.error).toBeUndefined();
  });

  it('runs a realistic secret scanner over 250 KB, one rule per pattern', () => {
    const secrets = [
      '(?:AKIA|ASIA)[0-9A-Z]{16}|ghp_[0-9A-Za-z]{36}',
      '(?:api_key|secret)\\\\s*[:=]\\\\s*[0-9a-zA-Z_-]{32,40}',
    ];
    for (const pattern of secrets) {
      const size = RE2JS.compile(pattern.replaceAll('\\\\\\\\', '\\\\')).programSize();
      expect(size).toBeGreaterThanOrEqual(60);
      expect(size).toBeLessThanOrEqual(80);
    }
    const bundle = bundleOf({
      'a.yaml': policyOf(
        ...secrets.map((pattern, i) =>
          ruleYaml(`secret-${i}`, `request.context.diff.matches('${pattern}')`, 'deny'),
        ),
      ),
    });
    const line = 'const total = items.reduce((sum, item) => sum + item.price, 0); // pricing\\n';
    const diff = line.repeat(Math.ceil(250_000 / line.length)).slice(0, 250_000);
    const clean = decide(bundle, { diff });
    expect(clean.reasons).toEqual([]);
    expect(clean.notFired.map((r) => r.error)).toEqual([undefined, undefined]);
    const leaked = decide(bundle, { diff: `${diff}AKIA${'A'.repeat(16)}` });
    expect(leaked.reasons.map((r) => [r.rule, r.error])).toEqual([['secret-0', undefined]]);
  });
});

describe('lastIndexOf runs in linear time with cel-js semantics', () => {
  it('decides a quadratic case for V8 and keeps the answers of the built-in', () => {
    const bundle = bundleOf(oneRule('request.context.s.lastIndexOf(request.context.t) >= 0', 'deny'));
    const verdict = decide(bundle, { s: 'a'.repeat(200_000), t: `${'a'.repeat(100_000)}b` });
    expect(verdict.reasons).toEqual([]);
    expect(verdict.notFired[0]?.error).toBeUndefined();
    expect(decide(bundle, { s: 'xaby', t: 'ab' }).reasons[0]).toMatchObject({ rule: 'r' });
    const from = bundleOf(oneRule("request.context.s.lastIndexOf('ab', 3) == 2", 'deny'));
    expect(decide(from, { s: 'abababab' }).reasons[0]?.error).toBeUndefined();
    expect(decide(from, { s: 'abababab' }).reasons[0]).toMatchObject({ rule: 'r' });
    expect(decide(from, { s: 'ab' }).reasons[0]?.error).toMatch(/out of range/);
  });

  it('agrees with the native lastIndexOf on random inputs above the naive threshold', () => {
    let seed = 7;
    const next = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed % n;
    };
    const word = (n: number) => Array.from({ length: n }, () => 'ab\\ud83d\\ude00'[next(4)]).join('');
    for (let trial = 0; trial < 40; trial++) {
      const text = word(2_000 + next(3_000));
      const search = trial % 3 === 0 ? text.slice(next(1_000), 1_000 + next(1_000)) : word(500 + next(1_500));
      expect(linearLastIndexOf(text, search)).toBe(BigInt(text.lastIndexOf(search)));
      const from = next(text.length);
      expect(linearLastIndexOf(text, search, BigInt(from))).toBe(BigInt(text.lastIndexOf(search, from)));
      expect(linearLastIndexOf(text, '', BigInt(from))).toBe(BigInt(from));
    }
  });
});

describe('YAML bombs and huge files are refused at load', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('an alias bomb, reported at its first alias', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++) {
      const name = String.fromCharCode(97 + i);
      const previous = String.fromCharCode(96 + i);
      lines.push(`${name}: &${name} [${Array(10).fill(`*${previous}`).join(', ')}]`);
    }
    const problem = only(problemsOf({ 'bomb.yaml': `${lines.join('\n')}\n` }));
    expect(problem).toMatchObject({ code: 'ARB_ERR_POLICY_YAML_LIMIT', at: 'bomb.yaml:2:8' });
    expect(problem.message).toContain(`at most ${defaultYamlLimits.maxAliasCount} alias expansions`);
  });

  it('a file over the size limit, unless the limit is raised', () => {
    const padding = `# ${'x'.repeat(1_000)}\n`.repeat(1_100);
    const text = `${padding}${policyOf(ruleYaml('r', 'true', 'allow'))}`;
    expect(text.length).toBeGreaterThan(defaultYamlLimits.maxFileBytes);
    const problem = only(problemsOf({ 'big.yaml': text }));
    expect(problem).toMatchObject({ code: 'ARB_ERR_POLICY_YAML_LIMIT', at: 'big.yaml:1:1' });
    expect(problem.message).toContain(`limited to ${defaultYamlLimits.maxFileBytes}`);
    const raised = compileBundle([{ path: 'big.yaml', text }], { yaml: { maxFileBytes: 2 * 1_048_576 } });
    expect(raised.counts.ActionPolicy).toBe(1);
  });

  it('a file over the size limit on disk is refused without being read', () => {
    const dir = mkdtempSync(join(tmpdir(), 'arbiter-hardening-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'ok.yaml'), policyOf(ruleYaml('r', 'true', 'allow')));
    writeFileSync(join(dir, 'huge.yaml'), Buffer.alloc(defaultYamlLimits.maxFileBytes + 1, 0x61));
    let error: unknown;
    try {
      loadPolicyDirectory(dir);
    } catch (caught) {
      error = caught;
    }
    expect(isArbiterError(error, 'ARB_ERR_POLICY_BUNDLE_INVALID')).toBe(true);
    const problems = (error as { details: { problems: LoadProblem[] } }).details.problems;
    expect(only(problems)).toMatchObject({
      code: 'ARB_ERR_POLICY_YAML_LIMIT',
      at: `${join(dir, 'huge.yaml')}:1:1`,
    });
  });

  it('too many documents in one file', () => {
    const text = Array(defaultYamlLimits.maxDocumentsPerFile + 1)
      .fill('a: 1')
      .join('\n---\n');
    expect(only(problemsOf({ 'many.yaml': text })).code).toBe('ARB_ERR_POLICY_YAML_LIMIT');
  });

  it('nesting deeper than the limit, as blocks and as an absurd flow collection', () => {
    const block = range(80)
      .map((i) => `${'  '.repeat(i)}k${i}:`)
      .join('\n');
    const problem = only(problemsOf({ 'deep.yaml': `${block} 1\n` }));
    expect(problem).toMatchObject({
      code: 'ARB_ERR_POLICY_YAML_LIMIT',
      at: `deep.yaml:${defaultYamlLimits.maxDepth + 1}:${2 * defaultYamlLimits.maxDepth + 1}`,
    });
    const flow = `${'['.repeat(5_000)}${']'.repeat(5_000)}`;
    const problems = problemsOf({ 'flow.yaml': flow });
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.every((p) => p.code === 'ARB_ERR_POLICY_YAML_LIMIT')).toBe(true);
  });
});
