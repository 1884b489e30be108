/**
 * The commonest conditions — a field chain compared with a literal (`request.change.files >= 3`,
 * `"prod" == request.resource.environment`, `"team-a" in request.context.labels`), and those
 * tests joined by `&&`, `||` and `!` — compiled to a tree of plain nodes of one shape, run by one
 * function (`runTest`).
 *
 * The closures of cel-closure.ts call one closure per operand, and each of those calls goes
 * through a call site that sees every closure of the bundle: on a 200-rule verdict the calls cost
 * more than the comparisons. Here a condition is one closure calling `runTest`, whose calls are
 * direct. The answers are the generic closures' exactly: the same kind checks, the same `bail`
 * (cel-closure.test.ts holds both to the interpreter).
 */

import { type ChainReads, type FieldChains, resolveChain, unreadable } from './field-chains.js';

/** What a test answers when it cannot be sure (cel-closure.ts's `bail`: the interpreter decides). */
const bail: typeof unreadable = unreadable;

enum Kind {
  And,
  Or,
  Not,
  // The leaves, each a chain compared with a literal, come last: runOperand tells them by order.
  /** The chain equals a finite number literal (`!=` when `negate`). */
  EqualsNumber,
  /** The chain equals a string or bool literal, of the same kind (`!=` when `negate`). */
  EqualsOther,
  Less,
  LessOrEqual,
  Greater,
  GreaterOrEqual,
  /** The string or number literal is an element of the list, or a key of the map, the chain reads. */
  In,
}

/** One node; every node has every field, so `runTest` reads one shape. */
export class TestNode {
  constructor(
    readonly kind: Kind,
    readonly left: TestNode | undefined,
    readonly right: TestNode | undefined,
    readonly chains: FieldChains | undefined,
    readonly slot: number,
    readonly names: readonly string[],
    readonly constant: number | string | boolean,
    readonly negate: boolean,
  ) {}
}

/** The cel-js AST node shape (`{op, args}`) this module and cel-closure.ts read. */
export interface Node {
  op: string;
  args: unknown;
}

export const isNode = (value: unknown): value is Node =>
  typeof value === 'object' && value !== null && typeof (value as Node).op === 'string';

/** The test tree of `node`, or undefined when any part of it is outside these shapes. */
export function compileTest(node: unknown, chains: FieldChains): TestNode | undefined {
  if (!isNode(node)) return undefined;
  const { op, args } = node;
  switch (op) {
    case '&&':
    case '||': {
      const [a, b] = args as [unknown, unknown];
      const left = compileTest(a, chains);
      const right = left && compileTest(b, chains);
      if (!left || !right) return undefined;
      return new TestNode(op === '&&' ? Kind.And : Kind.Or, left, right, undefined, 0, [], 0, false);
    }
    case '!_': {
      const operand = compileTest(args, chains);
      return operand && new TestNode(Kind.Not, operand, undefined, undefined, 0, [], 0, false);
    }
    case '==':
    case '!=':
    case '<':
    case '<=':
    case '>':
    case '>=':
      return comparison(op, args, chains);
    case 'in':
      return membershipTest(args, chains);
    default:
      return undefined;
  }
}

/** The comparison seen from the chain's side: `1 < x` is `x > 1`. */
const mirrored: Record<string, string> = {
  '==': '==',
  '!=': '!=',
  '<': '>',
  '<=': '>=',
  '>': '<',
  '>=': '<=',
};
const orderings: Record<string, Kind> = {
  '<': Kind.Less,
  '<=': Kind.LessOrEqual,
  '>': Kind.Greater,
  '>=': Kind.GreaterOrEqual,
};

function comparison(op: string, args: unknown, chains: FieldChains): TestNode | undefined {
  const [left, right] = args as [unknown, unknown];
  let names = chainNames(left);
  let constant = plainLiteral(right);
  let relation = op;
  if (names === undefined || constant === undefined) {
    names = chainNames(right);
    constant = plainLiteral(left);
    relation = mirrored[op]!;
  }
  if (names === undefined || constant === undefined) return undefined;
  const slot = chains.slot(names);
  if (relation === '==' || relation === '!=') {
    const kind = typeof constant === 'number' ? Kind.EqualsNumber : Kind.EqualsOther;
    return new TestNode(kind, undefined, undefined, chains, slot, names, constant, relation === '!=');
  }
  // Orderings compare numbers only (CEL orders strings by code point, JavaScript by UTF-16 unit);
  // with any other literal the generic closure bails every time, so it is left to that.
  if (typeof constant !== 'number') return undefined;
  return new TestNode(orderings[relation]!, undefined, undefined, chains, slot, names, constant, false);
}

function membershipTest(args: unknown, chains: FieldChains): TestNode | undefined {
  const [element, collection] = args as [unknown, unknown];
  const needle = plainLiteral(element);
  const names = chainNames(collection);
  if (names === undefined || (typeof needle !== 'string' && typeof needle !== 'number')) return undefined;
  return new TestNode(Kind.In, undefined, undefined, chains, chains.slot(names), names, needle, false);
}

/**
 * A literal a test compares against: a finite number (a safe int as a number), a string or a bool.
 * Anything else (an int beyond 2^53, null, a list) is left to the generic closures.
 */
function plainLiteral(node: unknown): number | string | boolean | undefined {
  if (!isNode(node) || node.op !== 'value') return undefined;
  const value = node.args;
  if (typeof value === 'bigint') {
    const number = Number(value);
    return Number.isSafeInteger(number) ? number : undefined;
  }
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  return undefined;
}

/**
 * The field names of a chain of selections from an identifier (`request.change["lines"]` is
 * `request`, `change`, `lines`), or undefined for anything else. Only constant string keys: list
 * indexes are CEL ints, with their own rules.
 */
export function chainNames(node: unknown): string[] | undefined {
  const names: string[] = [];
  let current: unknown = node;
  for (;;) {
    if (!isNode(current)) return undefined;
    const { op, args } = current;
    if (op === 'id') {
      if (typeof args !== 'string') return undefined;
      names.push(args);
      return names.reverse();
    }
    if (op !== '.' && op !== '[]') return undefined;
    const [target, key] = args as [unknown, unknown];
    if (op === '.' && typeof key === 'string') names.push(key);
    else if (op === '[]' && isNode(key) && key.op === 'value' && typeof key.args === 'string')
      names.push(key.args);
    else return undefined;
    current = target;
  }
}

/**
 * The value of a chain in `reads`: resolved on first read and kept for every later test against
 * the same context; `reads` of another table (or none) resolve it on their own.
 */
export function readChain(
  reads: ChainReads,
  chains: FieldChains | undefined,
  slot: number,
  names: readonly string[],
): unknown {
  if (reads.chains !== chains) return resolveChain(reads.context, names);
  const { values } = reads;
  let value = values[slot];
  if (value === undefined) values[slot] = value = resolveChain(reads.context, names);
  return value;
}

/** Runs a test tree: a boolean, or `bail` where the generic closures would bail. */
export function runTest(test: TestNode, reads: ChainReads): boolean | typeof bail {
  switch (test.kind) {
    case Kind.And: {
      const a = runOperand(test.left!, reads);
      return a === true ? runOperand(test.right!, reads) : a;
    }
    case Kind.Or: {
      const a = runOperand(test.left!, reads);
      return a === false ? runOperand(test.right!, reads) : a;
    }
    case Kind.Not: {
      const a = runOperand(test.left!, reads);
      return a === bail ? bail : !a;
    }
    default:
      return compare(test, readChain(reads, test.chains, test.slot, test.names));
  }
}

/** An operand of &&, || or !: a leaf is compared here, without another (recursive) call. */
function runOperand(test: TestNode, reads: ChainReads): boolean | typeof bail {
  return test.kind >= Kind.EqualsNumber
    ? compare(test, readChain(reads, test.chains, test.slot, test.names))
    : runTest(test, reads);
}

/** A leaf test of the value its chain read. */
function compare(test: TestNode, a: unknown): boolean | typeof bail {
  const k = test.constant;
  switch (test.kind) {
    case Kind.EqualsNumber:
      // As samePrimitiveKind: a number equals only a finite number.
      return typeof a === 'number' && Number.isFinite(a) ? (a === k) !== test.negate : bail;
    case Kind.EqualsOther:
      return typeof a === typeof k ? (a === k) !== test.negate : bail;
    case Kind.Less:
      return typeof a === 'number' ? a < (k as number) : bail;
    case Kind.LessOrEqual:
      return typeof a === 'number' ? a <= (k as number) : bail;
    case Kind.Greater:
      return typeof a === 'number' ? a > (k as number) : bail;
    case Kind.GreaterOrEqual:
      return typeof a === 'number' ? a >= (k as number) : bail;
    case Kind.In:
      return membership(k as string | number, a);
    default:
      return bail;
  }
}

/** Whether `needle` is in `haystack` as the generic `in` closure decides it, or `bail`. */
export function membership(needle: string | number, haystack: unknown): boolean | typeof bail {
  if (isPlainList(haystack)) {
    // Indexed, not for-of: no iterator per membership test.
    for (let i = 0; i < haystack.length; i++) {
      const item: unknown = haystack[i];
      if (typeof item !== typeof needle) return bail;
      if (item === needle) return true;
    }
    return false;
  }
  if (isPlainRecord(haystack) && typeof needle === 'string')
    return primitiveValues(haystack) ? Object.hasOwn(haystack, needle) : bail;
  return bail;
}

/**
 * An array cel-js takes for a list. cel-js types a value by its `constructor`, and takes only
 * `Array`'s for a list: an array of a subclass, or with an own `constructor` field, is refused, and
 * one of a null or Object prototype is a map of its indexes. The same test, one property read.
 */
function isPlainList(value: unknown): value is unknown[] {
  return Array.isArray(value) && value.constructor === Array;
}

export function isPlainRecord(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  // An own `constructor` field makes cel-js refuse the object (field-chains.ts's resolveChain says why).
  return (prototype === Object.prototype || prototype === null) && !Object.hasOwn(value, 'constructor');
}

/**
 * Whether every value of a map is a JSON primitive or an int. cel-js types a map by its values,
 * descending into the first one, and refuses the whole map when that reaches an object with its
 * own `constructor` field, or a value it has no type for (undefined, a function, a symbol: only a
 * library caller can pass those); rather than follow its walk, maps holding anything else are
 * left to the interpreter.
 */
function primitiveValues(map: Record<string, unknown>): boolean {
  for (const key in map) {
    const value = map[key];
    if (value === null) continue;
    const kind = typeof value;
    if (kind !== 'string' && kind !== 'number' && kind !== 'boolean' && kind !== 'bigint') return false;
  }
  return true;
}
