import { Environment } from '@marcbachmann/cel-js';
import { describe, expect, it } from 'vitest';
import { type CompiledExpression, compileExpression, isCompileFailure } from '../../src/policy/cel.js';
import { bail, compileCondition } from '../../src/policy/cel-closure.js';
import { ChainReads, FieldChains } from '../../src/policy/field-chains.js';
import {
  type ActionEvaluationInput,
  type Actor,
  evaluateAction,
  type PolicyBundle,
} from '../../src/policy/index.js';
import { actionPolicy, bundleOf } from '../helpers/bundle.js';

// Hostile values against the fast path (cel-closure.ts, cel-test-tree.ts): whatever a condition's
// closure answers must be what cel-js answers, and a compiled expression's `evaluate` must give
// exactly the interpreter's outcome, value or error message. A closure that answers `true` where
// cel-js throws fires an allow rule the interpreter would not (fail open); one that answers
// `false` where cel-js throws suppresses a deny or require_approval rule that would apply.

// The bare interpreter, configured as cel.ts configures the action scope (no renames, no meters).
const env = new Environment({ homogeneousAggregateLiterals: false, enableOptionalTypes: true })
  .registerVariable('request', 'map')
  .registerVariable('actor', 'map')
  .registerVariable('now', 'google.protobuf.Timestamp')
  .registerVariable('variables', 'map');

class ListSubclass extends Array<unknown> {}
const withPrototype = (prototype: object | null, value: object): object =>
  Object.setPrototypeOf(value, prototype);

/** Values a JSON request can hold, and ones only a library caller can pass. */
const hostile: Record<string, () => unknown> = {
  zero: () => 0,
  negativeZero: () => -0,
  one: () => 1,
  onePointFive: () => 1.5,
  beyondSafe: () => 2 ** 53 + 2,
  huge: () => 1e308,
  nan: () => Number.NaN,
  infinity: () => Number.POSITIVE_INFINITY,
  negativeInfinity: () => Number.NEGATIVE_INFINITY,
  bigint: () => 1n,
  hugeBigint: () => 2n ** 70n,
  prod: () => 'prod',
  empty: () => '',
  surrogatePair: () => '😀',
  loneSurrogate: () => '\uD800',
  numeric: () => '1',
  yes: () => true,
  no: () => false,
  nul: () => null,
  strings: () => ['a', 'prod'],
  mixed: () => ['prod', 1],
  numbers: () => [1, 2, 1.5],
  nanList: () => [Number.NaN, 1],
  negativeZeroList: () => [-0],
  emptyList: () => [],
  listOfMaps: () => [{ constructor: 1 }, 'prod'],
  // A hole, as `new Array(3)` leaves one.
  sparse: () => Object.assign(new Array(3), { 0: 'b', 2: 'prod' }),
  listWithOwnConstructor: () => Object.assign(['prod'], { constructor: 1 }),
  listSubclass: () => ListSubclass.from(['prod']),
  listWithNullPrototype: () => withPrototype(null, ['prod']),
  listWithObjectPrototype: () => withPrototype(Object.prototype, ['prod']),
  map: () => ({ prod: 1, a: 'x' }),
  mapOfMaps: () => ({ prod: { x: 1 } }),
  ownConstructor: () => ({ constructor: 1, prod: 1 }),
  ownProto: () => JSON.parse('{"__proto__": {"prod": 1}, "prod": 2}'),
  ownToString: () => ({ toString: 1, valueOf: 2, hasOwnProperty: 3, prod: 4 }),
  nullPrototype: () => Object.assign(Object.create(null), { prod: 1 }),
  inherited: () => Object.create({ prod: 1 }),
  undefinedValue: () => ({ prod: undefined }),
  undefinedSibling: () => ({ prod: 1, other: undefined }),
  functionValue: () => ({ prod: () => 1 }),
  symbolValue: () => ({ prod: Symbol('x') }),
  bigintValue: () => ({ prod: 1n }),
  jsMap: () => new Map([['prod', 1]]),
  jsSet: () => new Set(['prod']),
  date: () => new Date(0),
  boxedString: () => new String('prod'),
  boxedNumber: () => new Number(1),
  absent: () => undefined,
};

const literals = ['0', '1', '2', '1.0', '1.5', '9007199254740993.0', '"prod"', '""', '"1"', 'true', 'false'];

const leaves: string[] = [];
for (const op of ['==', '!=', '<', '<=', '>', '>='])
  for (const literal of literals) leaves.push(`request.x ${op} ${literal}`, `${literal} ${op} request.x`);
for (const literal of ['"prod"', '"a"', '"constructor"', '"__proto__"', '"toString"', '1', '1.5', '0'])
  leaves.push(`${literal} in request.x`);
leaves.push('request.x == request.y', 'request.x < request.y', 'request.x in request.y');

/** Each leaf, and each in `&&`, `||` and `!` with a second test that fails or answers on its own. */
function sources(): string[] {
  const out = [...leaves, ...leaves.map((leaf) => `!(${leaf})`)];
  const partners = ['request.y == 1', '"prod" in request.y', 'request.y > 1', 'request.y == "prod"'];
  for (const leaf of leaves)
    for (const partner of partners)
      out.push(
        `${leaf} && ${partner}`,
        `${partner} && ${leaf}`,
        `${leaf} || ${partner}`,
        `${partner} || ${leaf}`,
        `!(${leaf} && ${partner}) || !(${partner})`,
      );
  return out;
}

type Outcome = { value: unknown } | { error: string };
function outcome(run: () => unknown): Outcome {
  try {
    return { value: run() };
  } catch (error) {
    return { error: (error as Error).message.split('\n', 1)[0]! };
  }
}

function context(x: string, y: string): Record<string, unknown> {
  const request: Record<string, unknown> = {};
  const xValue = hostile[x]!();
  const yValue = hostile[y]!();
  if (xValue !== undefined) request.x = xValue;
  if (yValue !== undefined) request.y = yValue;
  return { request, actor: {}, now: new Date(0), variables: {} };
}

describe('the condition fast path against hostile values', () => {
  const all = sources();
  const chains = new FieldChains();
  const compiled = all.map((source) => {
    const program = env.parse(source);
    if (!program.check().valid) return undefined;
    return { source, program, closure: compileCondition(program.ast, chains) };
  });

  it('compiles nearly every condition here, so the comparison below runs the closures', () => {
    const closures = compiled.filter((entry) => entry?.closure !== undefined).length;
    expect(closures).toBeGreaterThan(all.length * 0.9);
  });

  it.each(Object.keys(hostile))('answers only what cel-js answers, request.x = %s', (x) => {
    const differences: string[] = [];
    for (const y of ['one', 'prod', 'map', 'strings', 'ownConstructor', 'undefinedValue', 'absent']) {
      const ctx = context(x, y);
      // One resolution of each chain per context, shared by every condition, as in a verdict.
      const shared = new ChainReads(ctx, chains);
      for (const entry of compiled) {
        if (!entry?.closure) continue;
        const fast = entry.closure(shared);
        if (fast === bail) continue;
        const slow = outcome(() => entry.program(ctx));
        if (!('value' in slow) || slow.value !== fast)
          differences.push(
            `${entry.source} with y = ${y}: closure ${String(fast)}, cel-js ${JSON.stringify(slow)}`,
          );
      }
    }
    expect(differences).toEqual([]);
  });

  it('gives the interpreter’s outcome from compileExpression, errors and messages included', () => {
    const differences: string[] = [];
    const sample = all.filter((_, i) => i % 7 === 0);
    for (const source of sample) {
      const expression = compileExpression(source, 'action', 'bool');
      if (isCompileFailure(expression)) continue;
      const program = env.parse(source);
      for (const x of Object.keys(hostile)) {
        const ctx = context(x, 'map');
        const fast = outcome(() => expression.evaluate(ctx));
        const slow = outcome(() => program(ctx));
        if (JSON.stringify(fast) !== JSON.stringify(slow))
          differences.push(`${source} with x = ${x}: ${JSON.stringify(fast)} vs ${JSON.stringify(slow)}`);
      }
    }
    expect(differences).toEqual([]);
  });
});

/** The bundle with every expression evaluated by cel-js alone: no closures, no shared chain reads. */
function interpreterOnly(bundle: PolicyBundle): PolicyBundle {
  const bare = (expression: CompiledExpression): CompiledExpression => {
    const program = env.parse(expression.source);
    return {
      ...expression,
      evaluate: (ctx) => program(ctx),
      evaluateReads: (reads) => program(reads.context),
      condition: undefined,
    };
  };
  return {
    ...bundle,
    actionPolicies: bundle.actionPolicies.map((policy) => ({
      ...policy,
      variables: policy.variables.map((variable) => ({ ...variable, expression: bare(variable.expression) })),
      rules: policy.rules.map((rule) => ({
        ...rule,
        when: bare(rule.when),
        ...(rule.messageExpression ? { messageExpression: bare(rule.messageExpression) } : {}),
      })),
    })),
  };
}

describe('verdicts over hostile requests', () => {
  it('are the interpreter’s, reasons, facts and errors included', () => {
    const rule = (name: string, when: string, effect: string) =>
      `    - name: ${name}\n      when: ${JSON.stringify(when)}\n      effect: ${effect}\n`;
    const conditions = [
      'request.context.x > 1',
      '"prod" in request.context.x',
      '"prod" in request.context.x || request.context.y == 1',
      'request.context.y == 1 && !("prod" in request.context.x)',
      'request.context.x == "prod" || request.context.x == 1',
      '!(request.context.x != 1.5) && request.context.y < 2',
      'request.context.x in request.context.y',
      'variables.x == 1 || "prod" in variables.x',
    ];
    const rules = conditions.flatMap((when, i) => [
      rule(`allow-${i}`, when, 'allow'),
      rule(`deny-${i}`, when, 'deny'),
      rule(`approve-${i}`, when, 'require_approval'),
    ]);
    const bundle = bundleOf({
      'hostile.yaml': actionPolicy(
        'hostile',
        `  variables:\n    - name: x\n      expression: request.context.x\n  rules:\n${rules.join('')}`,
      ),
      'plain.yaml': actionPolicy('plain', `  rules:\n${rules.filter((_, i) => i < 21).join('')}`),
    });
    const bare = interpreterOnly(bundle);
    let compared = 0;
    for (const x of Object.keys(hostile))
      for (const y of ['one', 'prod', 'strings', 'undefinedValue', 'listSubclass', 'absent']) {
        const context: Record<string, unknown> = {};
        const xValue = hostile[x]!();
        const yValue = hostile[y]!();
        if (xValue !== undefined) context.x = xValue;
        if (yValue !== undefined) context.y = yValue;
        const input = {
          request: {
            action: 'deploy',
            resource: { type: 'service', id: 'payments', environment: 'prod' },
            rationale: 'attack',
            context,
          } as unknown as ActionEvaluationInput['request'],
          actor: { id: 'deploy-bot', kind: 'agent', autonomy: 3 } as Actor,
          now: new Date(0),
        };
        expect({ x, y, verdict: JSON.stringify(evaluateAction(bundle, input)) }).toEqual({
          x,
          y,
          verdict: JSON.stringify(evaluateAction(bare, input)),
        });
        compared++;
      }
    expect(compared).toBe(Object.keys(hostile).length * 6);
  });
});

describe('conditions over values cel-js built (variables)', () => {
  it('answer what the interpreter answers for every kind of value a variable can hold', () => {
    const values = [
      '{"prod": 1, "a": 2}',
      '[1, "prod"]',
      '["prod", 1]',
      '1u',
      '1',
      '1.0',
      '-0.0',
      '0.0 / 0.0',
      '1.0 / 0.0',
      '{"prod": [1]}',
      '{"prod": {"constructor": 1}}',
      '{"constructor": 1, "prod": 1}',
      '{"__proto__": 1, "prod": 1}',
      '{1: "prod"}',
      '{"prod": null}',
      '[[1], "prod"]',
      '[1.0, 2]',
      'optional.of("prod")',
      'optional.none()',
      'b"prod"',
      'duration("1s")',
      'timestamp("2026-01-01T00:00:00Z")',
      'request.context.x',
      'request.context',
      'request.context.missing',
      '"prod"',
      'true',
      'null',
      'type(1)',
    ];
    const variables = values.map(
      (value, i) => `    - name: v${i}\n      expression: ${JSON.stringify(value)}\n`,
    );
    const tests = [
      '"prod" in variables.v',
      '1 in variables.v',
      '1.5 in variables.v',
      'variables.v == 1',
      'variables.v != 1',
      'variables.v == 1.0',
      'variables.v.prod == 1',
      'variables.v["constructor"] == 1',
      'variables.v > 0',
      'variables.v <= 0',
      'variables.v == "prod"',
      'variables.v == true',
      '!(variables.v == true) || variables.v > 0',
      'variables.v == request.context.x',
      'request.context.x in variables.v',
    ];
    const rules = values.flatMap((_, i) =>
      tests.map(
        (test, t) =>
          `    - name: r${i}-${t}\n      when: ${JSON.stringify(test.replaceAll('variables.v', `variables.v${i}`))}\n      effect: ${['allow', 'deny', 'require_approval'][t % 3]}\n`,
      ),
    );
    const bundle = bundleOf({
      'built.yaml': actionPolicy('built', `  variables:\n${variables.join('')}  rules:\n${rules.join('')}`),
    });
    const bare = interpreterOnly(bundle);
    for (const x of ['one', 'prod', 'strings', 'map', 'nan', 'bigint', 'undefinedValue', 'absent']) {
      const xValue = hostile[x]!();
      const input = {
        request: {
          action: 'deploy',
          resource: { type: 'service', id: 'payments', environment: 'prod' },
          rationale: 'attack',
          context: xValue === undefined ? {} : { x: xValue },
        } as unknown as ActionEvaluationInput['request'],
        actor: { id: 'deploy-bot', kind: 'agent', autonomy: 3 } as Actor,
        now: new Date(0),
      };
      const fast = evaluateAction(bundle, input);
      const slow = evaluateAction(bare, input);
      // Rule by rule, so a difference names its rule.
      const outcomes = (verdict: typeof fast) =>
        [...verdict.reasons, ...verdict.notFired].map((entry) => JSON.stringify(entry)).sort();
      expect({ x, outcomes: outcomes(fast) }).toEqual({ x, outcomes: outcomes(slow) });
      expect(JSON.stringify(fast)).toBe(JSON.stringify(slow));
    }
  });
});

describe('deep chains', () => {
  it('answer what cel-js answers whatever stands at any level of the chain', () => {
    const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l'];
    const chain = `request.${names.join('.')}`;
    const sources = [`${chain} == 1`, `"prod" in ${chain}`, `!(${chain} < 2) || ${chain} == "prod"`];
    const chains = new FieldChains();
    const compiled = sources.map((source) => {
      const program = env.parse(source);
      const closure = compileCondition(program.ast, chains);
      if (!closure) throw new Error(`not compiled: ${source}`);
      return { source, program, closure };
    });
    const differences: string[] = [];
    let answered = 0;
    for (let level = 0; level <= names.length; level++)
      for (const [kind, make] of Object.entries(hostile)) {
        // The plain chain down to `level`, and there the hostile value.
        let value: unknown = make();
        for (let i = level - 1; i >= 0; i--) value = { [names[i]!]: value };
        const ctx = { request: value === undefined ? {} : value, actor: {}, now: new Date(0), variables: {} };
        const reads = new ChainReads(ctx, chains);
        for (const { source, program, closure } of compiled) {
          const fast = closure(reads);
          if (fast === bail) continue;
          answered++;
          const slow = outcome(() => program(ctx));
          if (!('value' in slow) || slow.value !== fast)
            differences.push(
              `${source} with ${kind} at level ${level}: closure ${String(fast)}, cel-js ${JSON.stringify(slow)}`,
            );
        }
      }
    expect(differences).toEqual([]);
    // The plain values at the end of the chain are answered by the closures.
    expect(answered).toBeGreaterThan(10);
  });
});
