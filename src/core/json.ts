/** A value that survives a JSON round trip unchanged. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export type JsonObject = { [key: string]: JsonValue };

/** True for plain objects (not arrays, not null, not class instances such as Date). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * True when `value` nests arrays and objects more than `limit` levels deep (a scalar is depth 0).
 * Iterative, so a hostile input cannot exhaust the stack before recursive code (JSON.stringify,
 * canonical JSON) would.
 */
export function jsonDepthExceeds(value: unknown, limit: number): boolean {
  const pending: [unknown, number][] = [[value, 0]];
  while (pending.length > 0) {
    const [current, depth] = pending.pop()!;
    if (typeof current !== 'object' || current === null) continue;
    if (depth + 1 > limit) return true;
    for (const child of Array.isArray(current) ? current : Object.values(current))
      pending.push([child, depth + 1]);
  }
  return false;
}

/** The deepest nesting of arrays and objects Arbiter accepts from a caller, by default. */
export const defaultJsonDepth = 64;

/**
 * Keys that name parts of JavaScript's object model rather than data. They are refused in every
 * request body: `__proto__` can replace an object's prototype when code copies it, and an object
 * with an own `constructor` key is not evaluated as a map by the CEL engine (every expression
 * reading it would fail).
 */
export const reservedKeys: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Why a parsed JSON body is refused, if it is: too deep, a reserved key, text that is not clean
 * Unicode, or a number JSON.parse could only read as ±Infinity.
 */
export type JsonBodyProblem =
  | { reason: 'json-depth'; limit: number; message: string }
  | { reason: 'reserved-key'; key: string; path: string; message: string }
  | { reason: 'text'; path: string; message: string }
  | { reason: 'non-finite-number'; path: string; message: string };

/** A UTF-16 surrogate without its pair: not a Unicode character, and not representable in UTF-8. */
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Why a string from a request cannot be stored and hashed faithfully, if it cannot: a lone
 * surrogate (I-JSON, RFC 7493, forbids them; UTF-8 would silently replace them, so a stored
 * request would no longer match its hash) or U+0000 (PostgreSQL text and jsonb cannot hold it).
 */
export function textProblem(text: string): string | undefined {
  if (text.includes('\u0000')) return 'contains the NUL character U+0000';
  if (loneSurrogate.test(text)) return 'contains a lone UTF-16 surrogate (not Unicode text)';
  return undefined;
}

/**
 * Checks a parsed JSON value against the depth limit, for reserved keys, unclean text and numbers
 * beyond a double (`1e999` parses as Infinity, which canonical JSON cannot hash and a JSON column
 * would silently store as null), without recursion
 * (so a hostile nesting cannot exhaust the stack here) and visiting each node once. `root` names
 * the value in paths and messages: an HTTP request body, or the arguments of an MCP tool call.
 */
export function inspectJsonBody(
  value: unknown,
  maxDepth: number,
  root: 'body' | 'arguments' = 'body',
): JsonBodyProblem | undefined {
  const pending: { node: unknown; depth: number; path: string }[] = [{ node: value, depth: 0, path: '' }];
  while (pending.length > 0) {
    const { node, depth, path } = pending.pop()!;
    if (typeof node === 'string') {
      const problem = textProblem(node);
      if (problem) return { reason: 'text', path: `${root}${path}`, message: `${root}${path} ${problem}` };
      continue;
    }
    if (typeof node === 'number') {
      if (!Number.isFinite(node))
        return {
          reason: 'non-finite-number',
          path: `${root}${path}`,
          message: `${root}${path} is a number too large for a 64-bit double (it would read as ${node}); send at most ±1.7976931348623157e308`,
        };
      continue;
    }
    if (typeof node !== 'object' || node === null) continue;
    if (depth + 1 > maxDepth)
      return {
        reason: 'json-depth',
        limit: maxDepth,
        message: `the JSON ${root === 'body' ? 'body nests' : 'tool arguments nest'} deeper than ${maxDepth} levels`,
      };
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++)
        pending.push({ node: node[i], depth: depth + 1, path: `${path}/${i}` });
      continue;
    }
    for (const key of Object.keys(node)) {
      const at = `${path}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`;
      const problem = textProblem(key);
      if (problem)
        return { reason: 'text', path: `${root}${at}`, message: `the key at ${root}${at} ${problem}` };
      if (reservedKeys.has(key))
        return {
          reason: 'reserved-key',
          key,
          path: `${root}${at}`,
          message: `${root}${at}: the key "${key}" is not allowed in ${root === 'body' ? 'a request body' : 'tool arguments'}`,
        };
      pending.push({ node: (node as Record<string, unknown>)[key], depth: depth + 1, path: at });
    }
  }
  return undefined;
}
