/**
 * A fast path for the conditions most rules are made of — field reads compared with literals and
 * joined by `&&`, `||`, `!` and `in` — compiled once into JavaScript closures instead of walking
 * cel-js's tree on every decision.
 *
 * The closures never decide anything the interpreter would decide differently: whenever a value
 * is not of the plain kind a closure knows (a missing field, a number against a string, an int
 * held as a BigInt, a string compared by order…), the closure gives up with `bail` and the
 * interpreter evaluates the whole expression, errors and their messages included. So the fast
 * path only ever answers with a boolean the interpreter also reaches; a differential test runs
 * both over generated contexts to hold that.
 */

import { chainNames, compileTest, isNode, membership, readChain, runTest } from './cel-test-tree.js';
import type { ChainReads, FieldChains } from './field-chains.js';
import { unreadable } from './field-chains.js';

/**
 * What a closure answers when it cannot be sure: evaluate with the interpreter instead. The same
 * value as an unreadable field chain, so a chain's cached answer is returned as it is.
 */
export const bail: typeof unreadable = unreadable;

type Value = unknown;
/** A compiled condition: reads its field chains through `reads`, answers a value or `bail`. */
export type Closure = (reads: ChainReads) => Value | typeof bail;

/**
 * A boolean-valued closure for `ast`, or undefined when the expression is outside the fast path.
 * Its field chains are numbered in `chains`, the table of the bundle the expression belongs to.
 */
export function compileCondition(ast: unknown, chains: FieldChains): Closure | undefined {
  if (!isNode(ast) || !booleanOps.has(ast.op)) return undefined;
  return compileNode(ast, chains);
}

const booleanOps = new Set(['&&', '||', '!_', '==', '!=', '<', '<=', '>', '>=', 'in']);

function compileNode(node: unknown, chains: FieldChains): Closure | undefined {
  if (!isNode(node)) return undefined;
  // Comparisons of a chain with a literal, and their &&, || and !: one closure over a test tree.
  const test = booleanOps.has(node.op) ? compileTest(node, chains) : undefined;
  if (test) return (reads) => runTest(test, reads);
  const compileArgs = (args: unknown) => (args as unknown[]).map((arg) => compileNode(arg, chains));
  const { op, args } = node;
  switch (op) {
    case 'value':
      return literal(args);
    case 'id':
    case '.':
    case '[]': {
      const names = chainNames(node);
      return names ? path(names, chains) : undefined;
    }
    case '&&':
    case '||': {
      const [left, right] = compileArgs(args);
      if (!left || !right) return undefined;
      const decisive = op === '||';
      return (reads) => {
        const a = left(reads);
        if (typeof a !== 'boolean') return bail;
        if (a === decisive) return a;
        const b = right(reads);
        return typeof b === 'boolean' ? b : bail;
      };
    }
    case '!_': {
      const operand = compileNode(args, chains);
      if (!operand) return undefined;
      return (reads) => {
        const a = operand(reads);
        return typeof a === 'boolean' ? !a : bail;
      };
    }
    case '==':
    case '!=': {
      const [left, right] = compileArgs(args);
      if (!left || !right) return undefined;
      const negate = op === '!=';
      return (reads) => {
        const a = left(reads);
        const b = right(reads);
        if (!samePrimitiveKind(a, b)) return bail;
        return (a === b) !== negate;
      };
    }
    case '<':
    case '<=':
    case '>':
    case '>=': {
      const [left, right] = compileArgs(args);
      if (!left || !right) return undefined;
      const compare = orderings[op];
      return (reads) => {
        const a = left(reads);
        const b = right(reads);
        // Numbers only: CEL orders strings by code point, JavaScript by UTF-16 unit.
        return typeof a === 'number' && typeof b === 'number' ? compare(a, b) : bail;
      };
    }
    case 'in': {
      const [element, collection] = compileArgs(args);
      if (!element || !collection) return undefined;
      return (reads) => {
        const needle = element(reads);
        const haystack = collection(reads);
        if (typeof needle !== 'string' && typeof needle !== 'number') return bail;
        return membership(needle, haystack);
      };
    }
    default:
      return undefined;
  }
}

const orderings: Record<'<' | '<=' | '>' | '>=', (a: number, b: number) => boolean> = {
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
};

/** Literals the closures can hold as plain JavaScript values; an int beyond 2^53 stays with cel-js. */
function literal(value: unknown): Closure | undefined {
  if (typeof value === 'bigint') {
    const number = Number(value);
    return Number.isSafeInteger(number) ? () => number : undefined;
  }
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean')
    return () => value;
  return undefined;
}

/**
 * Reads a chain of own fields of plain objects (field-chains.ts); anything else on the way (absent,
 * a Map, a list, undefined) bails. The chain is resolved once per `reads` and shared by every
 * closure of the bundle that reads it; `reads` of another table (or none) resolve it on their own.
 */
function path(names: readonly string[], chains: FieldChains): Closure {
  const slot = chains.slot(names);
  return (reads) => readChain(reads, chains, slot, names);
}

/** Both strings, both finite numbers or both booleans: the kinds whose equality is plain `===`. */
function samePrimitiveKind(a: unknown, b: unknown): boolean {
  const kind = typeof a;
  if (kind !== typeof b) return false;
  if (kind === 'number') return Number.isFinite(a as number) && Number.isFinite(b as number);
  return kind === 'string' || kind === 'boolean';
}
