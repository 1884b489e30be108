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

import { type ChainReads, type FieldChains, resolveChain, unreadable } from './field-chains.js';

/**
 * What a closure answers when it cannot be sure: evaluate with the interpreter instead. The same
 * value as an unreadable field chain, so a chain's cached answer is returned as it is.
 */
export const bail: typeof unreadable = unreadable;

type Value = unknown;
/** A compiled condition: reads its field chains through `reads`, answers a value or `bail`. */
export type Closure = (reads: ChainReads) => Value | typeof bail;

/** The cel-js AST node shape (`{op, args}`) this module reads. */
interface Node {
  op: string;
  args: unknown;
}

const isNode = (value: unknown): value is Node =>
  typeof value === 'object' && value !== null && typeof (value as Node).op === 'string';

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
  const compileArgs = (args: unknown) => (args as unknown[]).map((arg) => compileNode(arg, chains));
  const { op, args } = node;
  switch (op) {
    case 'value':
      return literal(args);
    case 'id':
    case '.':
    case '[]': {
      const names = fieldChain(node);
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
      const fused = fusedComparison(op, args, chains);
      if (fused) return fused;
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
      const fused = fusedComparison(op, args, chains);
      if (fused) return fused;
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
      const fused = fusedMembership(args, chains);
      if (fused) return fused;
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
 * The field names of a chain of selections from an identifier (`request.change["lines"]` is
 * `request`, `change`, `lines`), or undefined for anything else. Only constant string keys: list
 * indexes are CEL ints, with their own rules.
 */
function fieldChain(node: Node): string[] | undefined {
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
    const [target, key] = args as [unknown, unknown];
    if (op === '.' && typeof key === 'string') names.push(key);
    else if (op === '[]' && isNode(key) && key.op === 'value' && typeof key.args === 'string')
      names.push(key.args);
    else return undefined;
    current = target;
  }
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

/** The value of chain `slot` (`names`) of `chains` in `reads`: resolved on first read, then kept. */
function readChain(reads: ChainReads, chains: FieldChains, slot: number, names: readonly string[]): Value {
  if (reads.chains !== chains) return resolveChain(reads.context, names);
  const { values } = reads;
  let value = values[slot];
  if (value === undefined) values[slot] = value = resolveChain(reads.context, names);
  return value;
}

/**
 * A literal the fused closures compare against: a finite number (a safe int as a number), a
 * string or a bool. Anything else (an int beyond 2^53, null, a list) is left to the generic closures.
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

/** A field chain node's names, or undefined. */
function chainNames(node: unknown): string[] | undefined {
  if (!isNode(node) || (node.op !== 'id' && node.op !== '.' && node.op !== '[]')) return undefined;
  return fieldChain(node);
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

/**
 * A field chain compared with a literal (`request.change.files >= 3`, `"prod" == x`), the shape of
 * most conditions, in one closure: the generic form calls a closure for each operand, and those
 * calls, through call sites that see every closure of the bundle, cost more than the comparison.
 * It answers exactly what the generic closures answer: the same kind checks, the same bails.
 */
function fusedComparison(op: string, args: unknown, chains: FieldChains): Closure | undefined {
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
  const k = constant;
  if (relation === '==' || relation === '!=') {
    const negate = relation === '!=';
    // samePrimitiveKind: a number equals only a finite number; a string or bool its own kind.
    if (typeof k === 'number')
      return (reads) => {
        const a = readChain(reads, chains, slot, names);
        return typeof a === 'number' && Number.isFinite(a) ? (a === k) !== negate : bail;
      };
    const kind = typeof k;
    return (reads) => {
      const a = readChain(reads, chains, slot, names);
      return typeof a === kind ? (a === k) !== negate : bail;
    };
  }
  // Orderings compare numbers only (see the generic closure); any other literal always bails.
  if (typeof k !== 'number') return undefined;
  switch (relation) {
    case '<':
      return (reads) => {
        const a = readChain(reads, chains, slot, names);
        return typeof a === 'number' ? a < k : bail;
      };
    case '<=':
      return (reads) => {
        const a = readChain(reads, chains, slot, names);
        return typeof a === 'number' ? a <= k : bail;
      };
    case '>':
      return (reads) => {
        const a = readChain(reads, chains, slot, names);
        return typeof a === 'number' ? a > k : bail;
      };
    case '>=':
      return (reads) => {
        const a = readChain(reads, chains, slot, names);
        return typeof a === 'number' ? a >= k : bail;
      };
    default:
      return undefined;
  }
}

/** `"team-a" in request.context.labels` (a string or number literal in a chain) in one closure. */
function fusedMembership(args: unknown, chains: FieldChains): Closure | undefined {
  const [element, collection] = args as [unknown, unknown];
  const needle = plainLiteral(element);
  const names = chainNames(collection);
  if (names === undefined || (typeof needle !== 'string' && typeof needle !== 'number')) return undefined;
  const slot = chains.slot(names);
  return (reads) => membership(needle, readChain(reads, chains, slot, names));
}

/** Whether `needle` is in `haystack` as the generic `in` closure decides it, or `bail`. */
function membership(needle: string | number, haystack: unknown): boolean | typeof bail {
  if (Array.isArray(haystack)) {
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

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  // An own `constructor` field makes cel-js refuse the object (resolveChain says why).
  return (prototype === Object.prototype || prototype === null) && !Object.hasOwn(value, 'constructor');
}

/**
 * Whether every value of a map is a primitive. cel-js types a map by its values, descending into
 * the first one, and refuses the whole map when that reaches an object with its own `constructor`
 * field; rather than follow its walk, maps holding objects or lists are left to the interpreter.
 */
function primitiveValues(map: Record<string, unknown>): boolean {
  for (const key in map) {
    const value = map[key];
    if (typeof value === 'object' && value !== null) return false;
  }
  return true;
}

/** Both strings, both finite numbers or both booleans: the kinds whose equality is plain `===`. */
function samePrimitiveKind(a: unknown, b: unknown): boolean {
  const kind = typeof a;
  if (kind !== typeof b) return false;
  if (kind === 'number') return Number.isFinite(a as number) && Number.isFinite(b as number);
  return kind === 'string' || kind === 'boolean';
}
