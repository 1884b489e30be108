import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Environment } from '@marcbachmann/cel-js';
import { describe, expect, it } from 'vitest';
import { analyseExpression, instrumentComprehensions } from '../../src/policy/cel-guard.js';
import { repoRoot } from '../helpers/cli.js';

/**
 * src/policy/cel-guard.ts and the fact collector in src/policy/cel.ts read and patch cel-js's
 * private AST: the node fields `op`, `args`, `start`, `end`, `meta.alternate`, the operator names
 * they match on, and the comprehension's `args.condition`, which cel-js calls before each step.
 * None of that is public API, so the package is pinned to an exact version and this file checks
 * every one of those shapes by name. When an upgrade moves them, these tests fail and say which;
 * fix cel-guard.ts (or stay on the old version) before changing the pin.
 */

type Node = { op: string; args: any; start?: number; end?: number; meta?: { alternate?: Node } };

const environment = () =>
  new Environment({
    homogeneousAggregateLiterals: false,
    enableOptionalTypes: true,
    unlistedVariablesAreDyn: true,
  });

function parsed(source: string): { ast: Node; check: () => { valid: boolean }; run: (c: object) => unknown } {
  const program = environment().parse(source) as unknown as ((c: object) => unknown) & {
    ast: Node;
    check: () => { valid: boolean };
  };
  expect(program.ast, `cel-js no longer exposes the parsed tree as program.ast (${source})`).toBeTypeOf(
    'object',
  );
  expect(program.check, `cel-js no longer has program.check() (${source})`).toBeTypeOf('function');
  return { ast: program.ast, check: program.check, run: program };
}

/** The first node, depth first, that `test` accepts. */
function find(node: unknown, test: (candidate: Node) => boolean): Node | undefined {
  const stack = [node];
  const seen = new Set<unknown>();
  while (stack.length > 0) {
    const current = stack.pop();
    if (current === null || typeof current !== 'object' || seen.has(current)) continue;
    seen.add(current);
    if (typeof (current as Node).op === 'string' && test(current as Node)) return current as Node;
    const { args, meta } = current as Node;
    if (Array.isArray(args)) stack.push(...args.flat());
    else if (args && typeof args === 'object') stack.push(...Object.values(args));
    if (meta?.alternate) stack.push(meta.alternate);
  }
  return undefined;
}

describe('@marcbachmann/cel-js: the private shapes Arbiter relies on', () => {
  it('is pinned to one exact version in package.json, and that version is the one installed', () => {
    const declared = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).dependencies[
      '@marcbachmann/cel-js'
    ] as string;
    expect(
      declared,
      'pin @marcbachmann/cel-js to an exact version: cel-guard.ts patches its internals',
    ).toMatch(/^\d+\.\d+\.\d+$/);
    const installed = JSON.parse(
      readFileSync(join(repoRoot, 'node_modules', '@marcbachmann', 'cel-js', 'package.json'), 'utf8'),
    ).version;
    expect(installed, 'node_modules holds another cel-js than package.json pins: run npm ci').toBe(declared);
  });

  it('identifiers are {op: "id", args: name}; field reads "." and index reads "[]" hold [object, key]', () => {
    const { ast } = parsed("request.change['lines']");
    expect(ast.op, 'an index read is no longer op "[]"').toBe('[]');
    const [object, key] = ast.args as [Node, Node];
    expect(key, 'a literal key is no longer {op: "value", args: "lines"}').toMatchObject({
      op: 'value',
      args: 'lines',
    });
    expect(object, 'a field read is no longer {op: ".", args: [object, name]}').toMatchObject({
      op: '.',
      args: [{ op: 'id', args: 'request' }, 'change'],
    });
    const optional = parsed('request.?change').ast;
    expect(optional.op, 'an optional field read is no longer op ".?"').toBe('.?');
  });

  it('receiver calls are {op: "rcall", args: [name, receiver, [arguments]]} with source offsets', () => {
    const source = "request.action.matches('^de')";
    const { ast } = parsed(source);
    expect(ast.op, 'a receiver call is no longer op "rcall"').toBe('rcall');
    const [name, receiver, args] = ast.args as [string, Node, Node[]];
    expect(name).toBe('matches');
    expect(receiver.op).toBe('.');
    expect(Array.isArray(args), 'rcall arguments are no longer an array').toBe(true);
    expect(args[0]).toMatchObject({ op: 'value', args: '^de' });
    expect(receiver.end, 'nodes no longer carry an end offset').toBeTypeOf('number');
    expect(args[0]!.start, 'nodes no longer carry a start offset').toBeTypeOf('number');
    // The renaming of `matches` to the RE2 function finds the name between these offsets.
    expect(source.slice(receiver.end, args[0]!.start)).toContain('matches');
    expect(analyseExpression(ast, source).renames, 'cel-guard no longer finds the matches call').toHaveLength(
      1,
    );
  });

  it('cel.bind is an rcall on the identifier "cel"', () => {
    const { ast } = parsed('cel.bind(x, 1, x + 1)');
    expect(ast.op).toBe('rcall');
    expect(ast.args[0]).toBe('bind');
    expect(ast.args[1], 'cel.bind no longer has the receiver {op: "id", args: "cel"}').toMatchObject({
      op: 'id',
      args: 'cel',
    });
  });

  it('a checked macro call keeps its comprehension in meta.alternate, whose args.condition runs before every step', () => {
    for (const macro of ['all', 'exists', 'exists_one', 'map', 'filter']) {
      const source = `[1, 2, 3].${macro}(x, ${macro === 'map' ? 'x + 1' : 'x > 0'})`;
      const program = parsed(source);
      expect(program.check().valid, source).toBe(true);
      const call = find(program.ast, (node) => node.op === 'rcall' && node.args[0] === macro);
      expect(call, `${macro}: the macro call is no longer an rcall in the tree`).toBeDefined();
      const loop = call!.meta?.alternate;
      expect(
        loop?.op,
        `${macro}: the expanded loop is no longer meta.alternate with op "comprehension"`,
      ).toBe('comprehension');
      expect(loop!.args, `${macro}: the comprehension's args are no longer an object`).toBeTypeOf('object');
      // The meter wraps args.condition; count the calls the way it does.
      let steps = 0;
      const original = loop!.args.condition as ((accu: unknown) => boolean) | undefined;
      loop!.args.condition = (accu: unknown) => {
        steps++;
        return original ? original(accu) : true;
      };
      program.run({});
      expect(
        steps,
        `${macro}: cel-js no longer calls args.condition before each step`,
      ).toBeGreaterThanOrEqual(macro === 'exists' ? 1 : 3);
    }
  });

  it('instrumentComprehensions finds every comprehension the analysis counts', () => {
    const source = '[1, 2].all(x, [3].exists(y, y > x)) && [4].map(z, z).size() > 0';
    const program = parsed(source);
    expect(program.check().valid).toBe(true);
    const analysis = analyseExpression(program.ast, source);
    expect(analysis.comprehensions).toBe(3);
    expect(instrumentComprehensions(program.ast)).toBe(analysis.comprehensions);
  });
});
