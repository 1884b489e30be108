import { Environment } from '@marcbachmann/cel-js';
import { describe, expect, it } from 'vitest';
import { compileExpression, isCompileFailure } from '../../src/policy/cel.js';
import { bail, type Closure, compileCondition } from '../../src/policy/cel-closure.js';
import { ChainReads, FieldChains } from '../../src/policy/field-chains.js';
import { seeded } from '../helpers/seeded.js';

// The bare interpreter, as the policy layer configures it for these expressions (no renames, no meters).
const env = new Environment({ homogeneousAggregateLiterals: false, enableOptionalTypes: true })
  .registerVariable('request', 'map')
  .registerVariable('actor', 'map');

const paths = [
  'request.a',
  'request.b',
  'request.c.d',
  'request["e-f"]',
  'actor.autonomy',
  'request.list',
  'request.map',
];
const literals = [
  '0',
  '1',
  '2',
  '500',
  '-3',
  '0.5',
  '1.0',
  '2.5',
  '"prod"',
  '"a"',
  '""',
  'true',
  'false',
  'null',
];

/** A random expression in (mostly) the shape the fast path compiles, sometimes outside it. */
function expression(random: () => number, depth = 0): string {
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
  const operand = () => (random() < 0.75 ? pick(paths) : pick(literals));
  const roll = random();
  if (depth < 3 && roll < 0.3)
    return `(${expression(random, depth + 1)}) ${pick(['&&', '||'])} (${expression(random, depth + 1)})`;
  if (depth < 3 && roll < 0.38) return `!(${expression(random, depth + 1)})`;
  if (roll < 0.5)
    return `${pick(literals)} in ${pick(['request.list', 'request.map', 'request.a', '["a", "prod", 1]'])}`;
  if (roll < 0.53) return `size(${pick(paths)}) > 1`; // never compiled: the interpreter's alone
  return `${operand()} ${pick(['==', '!=', '<', '<=', '>', '>='])} ${operand()}`;
}

/** A random value of the kinds a JSON request can hold. */
function value(random: () => number, depth = 0): unknown {
  const roll = random();
  if (roll < 0.08) return undefined; // the key is absent
  if (roll < 0.3) return [0, 1, 2, 500, -3, 0.5, 2.5, 1e300, -0][Math.floor(random() * 9)];
  if (roll < 0.5) return ['prod', 'a', '', 'Prod', 'é', '😀'][Math.floor(random() * 6)];
  if (roll < 0.6) return random() < 0.5;
  if (roll < 0.65) return null;
  if (roll < 0.8 || depth > 1)
    // JSON has no undefined: inside a list an absent value is null, inside a map the key is left out.
    return Array.from({ length: Math.floor(random() * 4) }, () =>
      random() < 0.7 ? ['a', 'prod', 'b'][Math.floor(random() * 3)] : (value(random, depth + 1) ?? null),
    );
  const out: Record<string, unknown> = {};
  for (const key of ['a', 'prod', 'd', 'x', 'constructor']) {
    const item = random() < 0.5 ? value(random, depth + 1) : undefined;
    if (item !== undefined) out[key] = item;
  }
  return out;
}

function context(random: () => number): Record<string, unknown> {
  const request: Record<string, unknown> = {};
  for (const key of ['a', 'b', 'e-f', 'list', 'map']) {
    const v = value(random);
    if (v !== undefined) request[key] = v;
  }
  const inner = value(random);
  request.c = random() < 0.7 ? { d: inner } : inner;
  const autonomy = [0, 1, 2, 3, 'high', undefined][Math.floor(random() * 6)];
  return { request, actor: autonomy === undefined ? {} : { autonomy } };
}

type Outcome = { value: unknown } | { error: true };
const interpret = (program: ReturnType<Environment['parse']>, ctx: Record<string, unknown>): Outcome => {
  try {
    return { value: program(ctx) };
  } catch {
    return { error: true };
  }
};

describe('CEL closures', () => {
  it.each([20261206, 7, 424242])(
    'answer exactly what the interpreter answers, whenever they answer at all (seed %i)',
    (seed) => {
      const random = seeded(seed);
      // One table for every expression, as a bundle has: closures share the chains they read.
      const chains = new FieldChains();
      const compiled: { source: string; program: ReturnType<Environment['parse']>; closure: Closure }[] = [];
      for (let e = 0; e < 1_500; e++) {
        const source = expression(random);
        const program = env.parse(source);
        if (!program.check().valid) continue;
        const closure = compileCondition(program.ast, chains);
        if (closure) compiled.push({ source, program, closure });
      }
      let compared = 0;
      let answered = 0;
      for (let c = 0; c < 40; c++) {
        const ctx = context(random);
        // One resolution of each chain per context, shared by all the expressions, as in a verdict.
        const reads = new ChainReads(ctx, chains);
        for (const { source, program, closure } of compiled) {
          const fast = closure(reads);
          compared++;
          // The shared answer is the one the closure reaches on its own.
          expect({ source, fast }).toEqual({ source, fast: closure(new ChainReads(ctx, undefined)) });
          if (fast === bail) continue;
          answered++;
          expect({ source, ctx, outcome: interpret(program, ctx) }).toEqual({
            source,
            ctx,
            outcome: { value: fast },
          });
        }
      }
      // The comparison covered both answers and bails in quantity.
      expect(compared).toBeGreaterThan(20_000);
      expect(answered).toBeGreaterThan(5_000);
      expect(compared - answered).toBeGreaterThan(5_000);
    },
  );

  it('compile only boolean conditions built from reads, literals and comparisons', () => {
    const compiled = (source: string) => compileCondition(env.parse(source).ast, new FieldChains());
    expect(compiled('request.a > 1 && request.b == "x"')).toBeDefined();
    expect(compiled('"a" in request.list || !(actor.autonomy < 2)')).toBeDefined();
    expect(compiled('request.a')).toBeUndefined();
    expect(compiled('size(request.list) > 1')).toBeUndefined();
    expect(compiled('request.list.exists(x, x == "a")')).toBeUndefined();
    expect(compiled('request.a + 1.0 > 2.0')).toBeUndefined();
    expect(compiled('request.a > 9007199254740993')).toBeUndefined();
    expect(compiled('request.list[0] == "a"')).toBeUndefined();
  });

  it('an own constructor field anywhere on a chain leaves the answer to the interpreter (cel-js refuses it)', () => {
    const run = (source: string, ctx: Record<string, unknown>) => {
      const program = env.parse(source);
      const chains = new FieldChains();
      const condition = compileCondition(program.ast, chains);
      if (!condition) throw new Error(`not compiled: ${source}`);
      // cel-js types an object by its `constructor`: "Unsupported type: object", an error that fails closed.
      expect(() => program(ctx)).toThrow();
      return condition(new ChainReads(ctx, chains));
    };
    const change = { linesChanged: 900, constructor: 'x' };
    expect(run('request.change.linesChanged > 500', { request: { change }, actor: {} })).toBe(bail);
    const outer = { request: { constructor: 1, change: { linesChanged: 900 } }, actor: {} };
    expect(run('request.change.linesChanged > 500', outer)).toBe(bail);
    // cel-js types a map by its first value, recursively, so it fails here too.
    const nested = { request: { a: { x: { y: { constructor: 1 } }, prod: 1 } }, actor: {} };
    expect(run('"prod" in request.a', nested)).toBe(bail);
  });

  it('a chain compared with a literal, on either side, answers what the interpreter answers for every kind of value', () => {
    // These shapes compile to one fused closure each (no operand closures): every operator, every
    // kind of literal, both orders, against values a JSON request holds and ones only a library
    // caller can pass (NaN, infinities, a BigInt, an object with its own constructor).
    const values: unknown[] = [
      0,
      -0,
      1,
      2,
      2.5,
      500,
      -3,
      1e300,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      2n,
      'prod',
      'a',
      '',
      '😀',
      true,
      false,
      null,
      ['a', 'prod'],
      ['a', 1],
      [1, 2],
      [],
      { prod: 1 },
      { prod: { x: 1 } },
      { constructor: 1, prod: 1 },
      new Map([['prod', 1]]),
      new Date(0),
      undefined,
    ];
    const sources: string[] = [];
    for (const op of ['==', '!=', '<', '<=', '>', '>='])
      for (const literal of ['0', '1', '2', '2.5', '"prod"', '""', 'true', 'false']) {
        sources.push(`request.x ${op} ${literal}`, `${literal} ${op} request.x`);
      }
    for (const literal of ['"prod"', '"a"', '1', '2.5']) sources.push(`${literal} in request.x`);
    let answered = 0;
    let bailed = 0;
    for (const source of sources) {
      const program = env.parse(source);
      if (!program.check().valid) continue;
      const chains = new FieldChains();
      const closure = compileCondition(program.ast, chains);
      if (!closure) throw new Error(`not compiled: ${source}`);
      for (const x of values) {
        const ctx = { request: x === undefined ? {} : { x }, actor: {} };
        const fast = closure(new ChainReads(ctx, chains));
        if (fast === bail) {
          bailed++;
          continue;
        }
        answered++;
        expect({ source, x, outcome: interpret(program, ctx) }).toEqual({
          source,
          x,
          outcome: { value: fast },
        });
      }
    }
    expect(answered).toBeGreaterThan(400);
    expect(bailed).toBeGreaterThan(400);
  });

  it('hand failures to the interpreter, so errors and their messages are cel-js’s', () => {
    const compiled = compileExpression('request.missing > 1 && request.x == "y"', 'action', 'bool');
    if (isCompileFailure(compiled)) throw new Error(compiled.message);
    expect(() =>
      compiled.evaluate({ request: { x: 'y' }, actor: {}, now: new Date(0), variables: {} }),
    ).toThrow(/No such key: missing/);
    expect(
      compiled.evaluate({ request: { missing: 2, x: 'y' }, actor: {}, now: new Date(0), variables: {} }),
    ).toBe(true);
  });
});
