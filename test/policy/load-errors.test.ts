import { describe, expect, it } from 'vitest';
import { formatProblem } from '../../src/policy/index.js';
import { actionPolicy, bundleOf, problemsOf } from '../helpers/bundle.js';

const rule = (when: string, extra = '') =>
  `  rules:\n    - name: r1\n      when: ${when}\n      effect: allow\n${extra}`;

/** The single problem of a rejected bundle, as `file:line:col: message` plus its code. */
function only(files: Record<string, string>) {
  const problems = problemsOf(files);
  expect(problems, problems.map(formatProblem).join('\n')).toHaveLength(1);
  const [problem] = problems;
  return {
    code: problem!.code,
    at: `${problem!.file}:${problem!.line}:${problem!.col}`,
    message: problem!.message,
  };
}

describe('policy load errors carry exact file:line:col', () => {
  it('YAML syntax', () => {
    const result = only({ 'p/a.yaml': 'apiVersion: arbiter/v1\nkind: [ActionPolicy\n' });
    expect(result.code).toBe('ARB_ERR_POLICY_YAML_SYNTAX');
    expect(result.at).toMatch(/^p\/a\.yaml:\d+:\d+$/);
  });

  it('duplicate keys in one mapping', () => {
    const result = only({ 'a.yaml': 'apiVersion: arbiter/v1\nkind: System\nkind: System\n' });
    expect(result.code).toBe('ARB_ERR_POLICY_YAML_SYNTAX');
    expect(result.at).toBe('a.yaml:3:1');
  });

  it('unsupported apiVersion', () => {
    expect(only({ 'a.yaml': 'apiVersion: arbiter/v2\nkind: System\n' })).toMatchObject({
      code: 'ARB_ERR_POLICY_API_VERSION',
      at: 'a.yaml:1:13',
    });
  });

  it('unknown kind, in the second document of a file', () => {
    const text = `${actionPolicy('ok', rule('"true"'))}---\napiVersion: arbiter/v1\nkind: Polcy\nmetadata: {name: x}\n`;
    expect(only({ 'a.yaml': text })).toMatchObject({
      code: 'ARB_ERR_POLICY_UNKNOWN_KIND',
      at: 'a.yaml:12:7',
    });
  });

  it('unknown field, reported at the key and listing the allowed fields', () => {
    const result = only({ 'a.yaml': actionPolicy('p', rule('"true"', '      efect: deny\n')) });
    expect(result).toMatchObject({ code: 'ARB_ERR_POLICY_UNKNOWN_FIELD', at: 'a.yaml:10:7' });
    expect(result.message).toContain('unknown field "efect" in spec.rules[0]');
    expect(result.message).toContain('allowed: name, description, when, effect');
  });

  it('missing required field, reported at its parent', () => {
    const text = actionPolicy('p', '  rules:\n    - name: r1\n      effect: allow\n');
    expect(only({ 'a.yaml': text })).toMatchObject({
      code: 'ARB_ERR_POLICY_MISSING_FIELD',
      at: 'a.yaml:7:7',
      message: 'missing required field "when" in spec.rules[0]',
    });
  });

  it('wrong type', () => {
    const text =
      'apiVersion: arbiter/v1\nkind: System\nmetadata: {name: s}\nspec:\n  kind: agent\n  owner: {team: t, person: p}\n  onCall: {team: o}\n  autonomy: "high"\n  riskTier: high\n';
    expect(only({ 'a.yaml': text })).toMatchObject({ code: 'ARB_ERR_POLICY_WRONG_TYPE', at: 'a.yaml:8:13' });
  });

  it('value outside an enumeration names the allowed values', () => {
    const text = actionPolicy('p', '  rules:\n    - name: r1\n      when: "true"\n      effect: alow\n');
    expect(only({ 'a.yaml': text })).toMatchObject({
      code: 'ARB_ERR_POLICY_WRONG_TYPE',
      at: 'a.yaml:9:15',
      message: 'spec.rules[0].effect must be one of allow, require_approval, deny (got "alow")',
    });
  });

  it('autonomy out of range', () => {
    const text =
      'apiVersion: arbiter/v1\nkind: System\nmetadata: {name: s}\nspec:\n  kind: agent\n  owner: {team: t, person: p}\n  onCall: {team: o}\n  autonomy: 4\n  riskTier: high\n';
    expect(only({ 'a.yaml': text })).toMatchObject({ code: 'ARB_ERR_POLICY_WRONG_TYPE', at: 'a.yaml:8:13' });
  });

  it('a GitLab project that is neither a path nor a quoted id, at its line', () => {
    const system = (projects: string) =>
      `apiVersion: arbiter/v1\nkind: System\nmetadata: {name: s}\nspec:\n  kind: agent\n  owner: {team: t, person: p}\n  onCall: {team: o}\n  autonomy: 1\n  riskTier: high\n  gitlab:\n    projects: [${projects}]\n`;
    for (const projects of ["'acme/../x'", '42', 'web', "'acme/web/..'"])
      expect(only({ 'a.yaml': system(projects) }), projects).toMatchObject({
        code: 'ARB_ERR_POLICY_WRONG_TYPE',
        at: 'a.yaml:11:16',
      });
    expect(bundleOf({ 'a.yaml': system("acme/web, 'group/sub/app', '42'") }).systems[0]!.gitlab).toEqual({
      projects: ['acme/web', 'group/sub/app', '42'],
    });
  });

  it('invalid name', () => {
    expect(only({ 'a.yaml': actionPolicy('Bad Name', rule('"true"')) })).toMatchObject({
      code: 'ARB_ERR_POLICY_WRONG_TYPE',
      at: 'a.yaml:4:9',
    });
  });

  it('duplicate document names across files point at the first definition', () => {
    const result = only({
      'a.yaml': actionPolicy('same', rule('"true"')),
      'b.yaml': actionPolicy('same', rule('"true"')),
    });
    expect(result).toMatchObject({ code: 'ARB_ERR_POLICY_DUPLICATE_NAME', at: 'b.yaml:4:9' });
    expect(result.message).toContain('first defined at a.yaml:4:9');
  });

  it('duplicate rule names within a policy', () => {
    const text = actionPolicy(
      'p',
      '  rules:\n    - name: r1\n      when: "true"\n      effect: allow\n    - name: r1\n      when: "false"\n      effect: deny\n',
    );
    expect(only({ 'a.yaml': text })).toMatchObject({
      code: 'ARB_ERR_POLICY_DUPLICATE_NAME',
      at: 'a.yaml:10:13',
    });
  });

  it('CEL syntax error points at the character inside a plain scalar', () => {
    const result = only({ 'a.yaml': actionPolicy('p', rule('request.action == ')) });
    expect(result.code).toBe('ARB_ERR_POLICY_CEL_SYNTAX');
    // The scalar starts at column 13; the parser stops at the end of the expression (offset 17).
    expect(result.at).toBe('a.yaml:8:30');
  });

  it('CEL syntax error inside a double-quoted scalar accounts for the quote', () => {
    const result = only({ 'a.yaml': actionPolicy('p', rule('"request.action == == 1"')) });
    expect(result.code).toBe('ARB_ERR_POLICY_CEL_SYNTAX');
    expect(result.at).toBe('a.yaml:8:32');
  });

  it('CEL error inside a block scalar points at the right line and column', () => {
    const when = '|\n        request.action == "deploy" &&\n          reqest.confidence > 0.5';
    const result = only({ 'a.yaml': actionPolicy('p', rule(when)) });
    expect(result.code).toBe('ARB_ERR_POLICY_CEL_TYPE');
    expect(result.at).toBe('a.yaml:10:11');
    expect(result.message).toContain('reqest');
  });

  it('CEL type error: operands that cannot combine', () => {
    // The error is at the `+` expression, which starts at the first character after the quote.
    expect(only({ 'a.yaml': actionPolicy('p', rule('"1 + \'a\' == 2"')) })).toMatchObject({
      code: 'ARB_ERR_POLICY_CEL_TYPE',
      at: 'a.yaml:8:14',
    });
  });

  it('a when that is not a bool', () => {
    const result = only({ 'a.yaml': actionPolicy('p', rule('"\'yes\'"')) });
    expect(result.code).toBe('ARB_ERR_POLICY_CEL_TYPE');
    expect(result.message).toContain('must produce a bool');
  });

  it('reference to an undeclared variable', () => {
    const body =
      '  variables:\n    - name: big\n      expression: "true"\n  rules:\n    - name: r1\n      when: variables.big && variables.huge\n      effect: allow\n';
    const result = only({ 'a.yaml': actionPolicy('p', body) });
    expect(result).toMatchObject({ code: 'ARB_ERR_POLICY_UNKNOWN_VARIABLE', at: 'a.yaml:11:30' });
    expect(result.message).toContain('variables.huge');
  });

  it('a variable may not read one declared after it', () => {
    const body =
      '  variables:\n    - name: a\n      expression: variables.b\n    - name: b\n      expression: "true"\n  rules:\n    - name: r1\n      when: variables.a\n      effect: allow\n';
    expect(only({ 'a.yaml': actionPolicy('p', body) })).toMatchObject({
      code: 'ARB_ERR_POLICY_UNKNOWN_VARIABLE',
      at: 'a.yaml:8:19',
    });
  });

  it('approval on a rule that does not require approval', () => {
    const body =
      '  rules:\n    - name: r1\n      when: "true"\n      effect: deny\n      approval: {count: 1}\n';
    expect(only({ 'a.yaml': actionPolicy('p', body) })).toMatchObject({
      code: 'ARB_ERR_POLICY_INVALID_VALUE',
      at: 'a.yaml:10:17',
    });
  });

  it('an execution window that is not a duration, or on a deny rule, or in the bundle defaults', () => {
    const bad =
      '  rules:\n    - name: r1\n      when: "true"\n      effect: allow\n      executionWindow: soon\n';
    expect(only({ 'a.yaml': actionPolicy('p', bad) })).toMatchObject({
      code: 'ARB_ERR_POLICY_INVALID_VALUE',
      at: 'a.yaml:10:24',
      message: 'executionWindow "soon" is not a duration such as 5m, 15m or 1h',
    });
    const zero =
      '  rules:\n    - name: r1\n      when: "true"\n      effect: allow\n      executionWindow: 0m\n';
    expect(only({ 'a.yaml': actionPolicy('p', zero) }).code).toBe('ARB_ERR_POLICY_INVALID_VALUE');
    const onDeny =
      '  rules:\n    - name: r1\n      when: "true"\n      effect: deny\n      executionWindow: 5m\n';
    expect(only({ 'a.yaml': actionPolicy('p', onDeny) })).toMatchObject({
      code: 'ARB_ERR_POLICY_INVALID_VALUE',
      message: 'executionWindow is only meaningful on an allow or require_approval rule, not on deny',
    });
    const defaults =
      'apiVersion: arbiter/v1\nkind: Bundle\nmetadata: {name: b}\nspec:\n  defaults:\n    executionWindow: later\n';
    expect(only({ 'b.yaml': defaults })).toMatchObject({
      code: 'ARB_ERR_POLICY_INVALID_VALUE',
      at: 'b.yaml:6:22',
    });
  });

  it('bad ttl, bad selector and too small a count are each reported', () => {
    const body =
      '  rules:\n    - name: r1\n      when: "true"\n      effect: require_approval\n      approval: {count: 1, from: [owner, "team:sre"], ttl: 1 hour}\n';
    const problems = problemsOf({ 'a.yaml': actionPolicy('p', body) });
    expect(problems.map((p) => `${p.line}:${p.col} ${p.code}`)).toEqual([
      '10:25 ARB_ERR_POLICY_INVALID_VALUE', // count 1 < 2 selectors, at the value
      '10:42 ARB_ERR_POLICY_INVALID_VALUE', // "team:sre" is not a selector
      '10:60 ARB_ERR_POLICY_INVALID_VALUE', // "1 hour" is not a duration
    ]);
  });

  it('a YAML alias bomb is refused', () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 8; i++)
      lines.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(',')}]`,
      );
    expect(only({ 'bomb.yaml': `${lines.join('\n')}\n` }).code).toBe('ARB_ERR_POLICY_YAML_LIMIT');
  });

  it('a string or key holding U+0000 (YAML "\\0") or a lone surrogate ("\\uD800"), at the scalar', () => {
    // YAML's double-quoted escapes write what no API request may carry (PostgreSQL cannot store
    // U+0000; a lone surrogate is not Unicode text): a registry entry from a file gets the same rule.
    const system = (owner: string) =>
      `apiVersion: arbiter/v1\nkind: System\nmetadata: {name: nul-bot}\nspec:\n  kind: agent\n  owner: {team: ${owner}}\n  onCall: {team: oncall}\n  autonomy: 1\n  riskTier: minimal\n`;
    expect(only({ 'nul.yaml': system('"plat\\0form"') })).toMatchObject({
      code: 'ARB_ERR_POLICY_TEXT',
      at: 'nul.yaml:6:17',
      message: expect.stringContaining('U+0000'),
    });
    expect(only({ 'lone.yaml': system('"plat\\uD800form"') })).toMatchObject({
      code: 'ARB_ERR_POLICY_TEXT',
      at: 'lone.yaml:6:17',
      message: expect.stringContaining('surrogate'),
    });
    expect(only({ 'key.yaml': system('{"t\\0eam": x}') })).toMatchObject({
      code: 'ARB_ERR_POLICY_TEXT',
      at: 'key.yaml:6:18',
    });
  });

  it('collects every problem of every file and rejects the bundle whole', () => {
    const problems = problemsOf({
      'a.yaml': actionPolicy('p', rule('reqest.x')),
      'b.yaml': 'apiVersion: arbiter/v1\nkind: Nope\n',
      'c.yaml': actionPolicy('fine', rule('"true"')),
    });
    expect(problems.map((p) => p.file)).toEqual(['a.yaml', 'b.yaml']);
  });

  it('a valid bundle loads', () => {
    const bundle = bundleOf({ 'a.yaml': actionPolicy('p', rule('"true"')) });
    expect(bundle.counts.ActionPolicy).toBe(1);
    expect(bundle.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(Object.isFrozen(bundle.actionPolicies[0])).toBe(true);
  });
});
