import { RE2JS } from 're2js';
import { ArbiterError } from '../core/errors.js';
import { celLimits } from './limits.js';

/**
 * What bounds the cost of a CEL expression beyond the parser limits cel-js offers (AST nodes,
 * depth, literal sizes): a static check of comprehension nesting and of literal `matches`
 * patterns at load, and a step meter on every comprehension at run time.
 *
 * cel-js evaluates `matches` with JavaScript's backtracking RegExp, which a pattern such as
 * `(a+)+$` sends into exponential time. CEL specifies RE2 syntax, so every `matches` call is
 * rewritten at load to `re2Matches`, the same test run by re2js: a linear-time RE2 port in plain
 * JavaScript. Patterns RE2 cannot run in linear time (back-references, look-around) do not parse.
 * Linear is not cheap: RE2's NFA costs up to (text length × program size), so every `matches`
 * charges that product against a per-evaluation budget before it runs, in or out of a loop.
 *
 * cel-js runs `lastIndexOf` with V8's `String.prototype.lastIndexOf`, which is quadratic
 * (`'a'.repeat(80_000).lastIndexOf('a'.repeat(40_000) + 'b')` takes half a second), so it is
 * rewritten the same way to `linearLastIndexOf`. The other string functions (`contains`,
 * `indexOf`, `startsWith`, `endsWith`, `split`, `size`, `+`) are linear in V8.
 */

/** The names rewritten calls use; each is registered on every environment. */
export const rewrittenFunctionNames = Object.freeze({
  /** `matches` with a literal pattern, checked at load. */
  literalMatches: 're2Matches',
  /** `matches` with a computed pattern, checked when it is used. */
  computedMatches: 're2MatchesComputed',
  lastIndexOf: 'linearLastIndexOf',
});

/** Macros cel-js expands into a comprehension (a loop over a list or the keys of a map). */
const comprehensionMacros = new Set(['all', 'exists', 'exists_one', 'map', 'filter']);

/** A load-time problem in an expression, at a character offset of its source. */
export interface GuardProblem {
  code: 'ARB_ERR_POLICY_CEL_LIMIT' | 'ARB_ERR_POLICY_CEL_REGEX';
  offset: number;
  message: string;
}

/** The result of analysing a parsed expression. */
export interface GuardAnalysis {
  problems: GuardProblem[];
  /** Source ranges [start, end) holding the name of a `matches` or `lastIndexOf` call, and its new name. */
  renames: Rename[];
  /** Comprehension macro calls found: each must be instrumented. */
  comprehensions: number;
  /** `matches` and `lastIndexOf` calls found: after renaming, none may be left. */
  rewrites: number;
  /** `matches` calls found: an expression with one is metered even without a comprehension. */
  matchesCalls: number;
}

export interface Rename {
  start: number;
  end: number;
  to: string;
}

interface Node {
  op: string;
  args: unknown;
  start?: number;
  end?: number;
  meta?: { alternate?: unknown };
}

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && typeof (value as Node).op === 'string';
}

/** Every node directly below `node` in the parsed (unexpanded) tree. */
function children(node: Node): Node[] {
  const out: Node[] = [];
  const collect = (value: unknown): void => {
    if (isNode(value)) out.push(value);
    else if (Array.isArray(value)) for (const item of value) collect(item);
  };
  collect(node.args);
  return out;
}

/** The parts of a receiver call `r.name(a, …)`: cel-js keeps `[name, receiver, [args]]`. */
function receiverCall(node: Node): { name: string; receiver: Node; args: Node[] } | undefined {
  if (node.op !== 'rcall' || !Array.isArray(node.args)) return undefined;
  const [name, receiver, args] = node.args as [unknown, unknown, unknown];
  if (typeof name !== 'string' || !isNode(receiver) || !Array.isArray(args)) return undefined;
  return { name, receiver, args: args.filter(isNode) };
}

/**
 * Walks a parsed and type-checked expression: comprehension nesting, literal `matches`
 * patterns (compiled with RE2 here, so a bad one fails at load), and where `matches` is named.
 */
export function analyseExpression(ast: unknown, source: string): GuardAnalysis {
  const analysis: GuardAnalysis = {
    problems: [],
    renames: [],
    comprehensions: 0,
    rewrites: 0,
    matchesCalls: 0,
  };
  if (!isNode(ast)) return analysis;
  const stack: { node: Node; nesting: number; binds: number }[] = [{ node: ast, nesting: 0, binds: 0 }];
  let nestingReported = false;
  let bindsReported = false;
  while (stack.length > 0) {
    const { node, nesting, binds: outerBinds } = stack.pop()!;
    const rcall = receiverCall(node);
    let inner = nesting;
    const isBind = rcall?.name === 'bind' && rcall.receiver.op === 'id' && rcall.receiver.args === 'cel';
    const binds = isBind ? outerBinds + 1 : outerBinds;
    if (binds > celLimits.maxBindNesting && !bindsReported) {
      bindsReported = true;
      analysis.problems.push({
        code: 'ARB_ERR_POLICY_CEL_LIMIT',
        offset: node.start ?? 0,
        message: `CEL: cel.bind is nested ${binds} deep; at most ${celLimits.maxBindNesting} are allowed (each level can double what it binds)`,
      });
    }
    if (rcall && comprehensionMacros.has(rcall.name)) {
      analysis.comprehensions++;
      inner = nesting + 1;
      if (inner > celLimits.maxComprehensionNesting && !nestingReported) {
        nestingReported = true;
        analysis.problems.push({
          code: 'ARB_ERR_POLICY_CEL_LIMIT',
          offset: rcall.receiver.end ?? node.start ?? 0,
          message: `CEL: comprehensions (all, exists, exists_one, map, filter) are nested ${inner} deep; at most ${celLimits.maxComprehensionNesting} are allowed`,
        });
      }
    }
    // cel-js has only the receiver forms `text.matches(pattern)` and `text.lastIndexOf(s[, i])`.
    const [firstArg] = rcall?.args ?? [];
    if (rcall && firstArg && (rcall.name === 'matches' || rcall.name === 'lastIndexOf')) {
      analysis.rewrites++;
      const literal =
        firstArg.op === 'value' && typeof firstArg.args === 'string' ? firstArg.args : undefined;
      const to =
        rcall.name === 'lastIndexOf'
          ? rewrittenFunctionNames.lastIndexOf
          : literal === undefined
            ? rewrittenFunctionNames.computedMatches
            : rewrittenFunctionNames.literalMatches;
      const nameAt = source.indexOf(rcall.name, rcall.receiver.end ?? 0);
      if (nameAt >= 0 && nameAt + rcall.name.length <= (firstArg.start ?? source.length))
        analysis.renames.push({ start: nameAt, end: nameAt + rcall.name.length, to });
      if (rcall.name === 'matches') {
        analysis.matchesCalls++;
        const failure = literal === undefined ? undefined : literalPatternProblem(literal);
        if (failure)
          analysis.problems.push({
            code: 'ARB_ERR_POLICY_CEL_REGEX',
            offset: (firstArg.start ?? 0) + 1,
            message: `CEL: matches pattern ${JSON.stringify(literal)}: ${failure}`,
          });
      }
    }
    for (const child of children(node)) {
      // Only the arguments of a comprehension run once per element; its receiver runs once.
      const childNesting = rcall && inner !== nesting && child === rcall.receiver ? nesting : inner;
      stack.push({ node: child, nesting: childNesting, binds });
    }
  }
  return analysis;
}

/** Renames every `matches` and `lastIndexOf` call; ranges come from analyseExpression. */
export function renameCalls(source: string, renames: readonly Rename[]): string {
  let out = source;
  for (const { start, end, to } of [...renames].sort((a, b) => b.start - a.start))
    out = `${out.slice(0, start)}${to}${out.slice(end)}`;
  return out;
}

/**
 * Puts a step meter on every comprehension of a type-checked program: cel-js expands each macro
 * call into a comprehension node (`meta.alternate`) whose `args.condition` it calls before each
 * step. Returns how many were instrumented, which must equal `analysis.comprehensions`; if a
 * future cel-js moves this hook the count differs and the expression is refused at load, so the
 * bound can never silently disappear.
 */
export function instrumentComprehensions(ast: unknown): number {
  let instrumented = 0;
  const seen = new Set<object>();
  const stack: unknown[] = [ast];
  while (stack.length > 0) {
    const node = stack.pop();
    if (!isNode(node) || seen.has(node)) continue;
    seen.add(node);
    const rcall = receiverCall(node);
    if (rcall && comprehensionMacros.has(rcall.name)) {
      const loop = node.meta?.alternate;
      if (
        isNode(loop) &&
        loop.op === 'comprehension' &&
        typeof loop.args === 'object' &&
        loop.args !== null
      ) {
        const args = loop.args as { condition?: (accu: unknown) => boolean };
        const condition = args.condition;
        args.condition = condition
          ? (accu) => {
              step();
              return condition(accu);
            }
          : () => {
              step();
              return true;
            };
        instrumented++;
      }
    }
    stack.push(...children(node));
  }
  return instrumented;
}

/**
 * The meter of the evaluation in progress. Evaluation is synchronous and never re-entrant (no
 * registered function evaluates CEL), so one module-level meter is enough. `active` is false
 * outside evaluateMetered: a `matches` run there is then bounded on its own.
 */
/** Milliseconds on a monotonic clock: what the time bound reads. */
export type MonotonicClock = () => number;

/**
 * The time bound's clock unless one is injected (`evaluateMetered`). This module and core/ids.ts
 * are the only domain code that reads a clock by itself (test/layering.test.ts).
 */
export const monotonicClock: MonotonicClock = () => performance.now();

const meter = {
  active: false,
  clock: monotonicClock,
  remaining: 0,
  deadline: 0,
  matchCost: 0,
  exceeded: undefined as string | undefined,
};

function exceed(reason: string): ArbiterError<'ARB_ERR_POLICY_CEL_COST'> {
  if (!meter.active) return new ArbiterError('ARB_ERR_POLICY_CEL_COST', reason);
  meter.exceeded ??= reason;
  meter.remaining = -1;
  meter.matchCost = -1;
  return new ArbiterError('ARB_ERR_POLICY_CEL_COST', meter.exceeded);
}

function step(): void {
  const left = --meter.remaining;
  if (left < 0)
    throw exceed(meter.exceeded ?? `evaluation exceeded ${celLimits.maxIterations} comprehension steps`);
  // The clock is read on every fourth step; the first reading starts it.
  if ((left & 3) === 0) {
    const now = meter.clock();
    if (meter.deadline === 0) meter.deadline = now + celLimits.maxIterationMs;
    else if (now > meter.deadline)
      throw exceed(`evaluation iterated for more than ${celLimits.maxIterationMs} ms`);
  }
}

/**
 * Charges one `matches` before it runs: RE2 scans `textLength` characters with at most
 * `programSize` threads alive, so their product bounds its work. Throws when the text is too long
 * or the product exceeds what is left of the evaluation's budget.
 */
function chargeMatch(textLength: number, programSize: number): void {
  if (textLength > celLimits.maxMatchesTextLength)
    throw exceed(
      `matches would scan ${textLength} characters; at most ${celLimits.maxMatchesTextLength} are allowed`,
    );
  const cost = textLength * programSize;
  const left = meter.active ? meter.matchCost : celLimits.maxMatchesCost;
  if (cost > left)
    throw exceed(
      `matches would cost ${cost} (${textLength} characters × ${programSize} RE2 instructions); one evaluation may spend at most ${celLimits.maxMatchesCost}${left < celLimits.maxMatchesCost ? `, and ${left} is left` : ''}`,
    );
  if (meter.active) meter.matchCost -= cost;
}

/**
 * Runs a program under a fresh meter. Exceeding it is an ARB_ERR_POLICY_CEL_COST error even when
 * CEL's error semantics absorbed the failure (`error || true` is `true`): a bound that was hit
 * always fails the expression. `clock` times the wall-clock bound (`celLimits.maxIterationMs`).
 */
export function evaluateMetered<T>(run: () => T, clock: MonotonicClock = monotonicClock): T {
  meter.active = true;
  meter.clock = clock;
  meter.remaining = celLimits.maxIterations;
  meter.deadline = 0;
  meter.matchCost = celLimits.maxMatchesCost;
  meter.exceeded = undefined;
  let value: T;
  try {
    value = run();
  } catch (error) {
    if (meter.exceeded !== undefined) throw new ArbiterError('ARB_ERR_POLICY_CEL_COST', meter.exceeded);
    throw error;
  } finally {
    meter.active = false;
  }
  if (meter.exceeded !== undefined) throw new ArbiterError('ARB_ERR_POLICY_CEL_COST', meter.exceeded);
  return value;
}

/**
 * Compiled patterns. Each RE2JS object keeps a lazy DFA of up to 8 MiB once it has run, so
 * computed patterns (chosen by a request) get a small cache, and literal ones (chosen by the
 * policy, compiled at load) a larger one.
 */
const literalPatterns = new Map<string, RE2JS | string>();
const literalPatternCacheSize = 1_024;
const computedPatterns = new Map<string, RE2JS | string>();
const computedPatternCacheSize = 16;

function cachedPattern(cache: Map<string, RE2JS | string>, capacity: number, pattern: string) {
  let compiled = cache.get(pattern);
  if (compiled === undefined) {
    compiled = compilePattern(pattern);
    // Oldest first: a Map iterates in insertion order.
    if (cache.size >= capacity) cache.delete(cache.keys().next().value as string);
    cache.set(pattern, compiled);
  }
  return compiled;
}

/** Why a literal pattern is refused, or undefined when RE2 compiles it within the limits. */
function literalPatternProblem(pattern: string): string | undefined {
  const compiled = cachedPattern(literalPatterns, literalPatternCacheSize, pattern);
  return compiled instanceof RE2JS ? undefined : compiled;
}

function compilePattern(pattern: string): RE2JS | string {
  if (pattern.length > celLimits.maxPatternLength)
    return `pattern is ${pattern.length} characters; at most ${celLimits.maxPatternLength} are allowed`;
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(pattern);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return `not a valid RE2 pattern (${message.replace(/^error parsing regexp: /, '')}); back-references and look-around are not supported`;
  }
  const size = compiled.programSize();
  if (size > celLimits.maxPatternProgramSize)
    return `pattern compiles to ${size} RE2 instructions; at most ${celLimits.maxPatternProgramSize} are allowed`;
  return compiled;
}

function runMatch(text: string, pattern: string, compiled: RE2JS | string): boolean {
  if (typeof compiled === 'string')
    throw new ArbiterError(
      'ARB_ERR_POLICY_CEL_REGEX',
      `matches pattern ${JSON.stringify(pattern)}: ${compiled}`,
    );
  chargeMatch(text.length, compiled.programSize());
  return compiled.test(text);
}

/**
 * CEL `matches` with a literal pattern: true when `pattern` matches anywhere in `text`, in time
 * linear in `text`, once its cost is charged.
 */
export function re2Matches(text: string, pattern: string): boolean {
  return runMatch(text, pattern, cachedPattern(literalPatterns, literalPatternCacheSize, pattern));
}

/** CEL `matches` with a computed pattern, which is checked here rather than at load. */
export function re2MatchesComputed(text: string, pattern: string): boolean {
  return runMatch(text, pattern, cachedPattern(computedPatterns, computedPatternCacheSize, pattern));
}

/**
 * Above this many character comparisons in the worst case, V8's `lastIndexOf` is replaced by a
 * forward search over the reversed strings.
 */
const naiveLastIndexOfWork = 1_000_000;

/** The code units of `text` in reverse order (not code points: positions must map one to one). */
function reverseCodeUnits(text: string): string {
  const parts: string[] = [];
  const codes: number[] = [];
  for (let i = text.length - 1; i >= 0; i--) {
    codes.push(text.charCodeAt(i));
    if (codes.length === 8_192 || i === 0) {
      parts.push(String.fromCharCode(...codes));
      codes.length = 0;
    }
  }
  return parts.join('');
}

/**
 * CEL `text.lastIndexOf(search[, fromIndex])` with cel-js's semantics (UTF-16 positions, an empty
 * `search` gives `fromIndex`, a `fromIndex` outside `[0, size)` is an error), in linear time: the
 * last occurrence at or before `from` is the first occurrence of the reversed `search` in the
 * reversed `text` at or after `n - m - from`.
 */
export function linearLastIndexOf(text: string, search: string, fromIndex?: bigint): bigint {
  let from = text.length;
  if (fromIndex !== undefined) {
    if (search === '') return fromIndex;
    from = Number(fromIndex);
    if (from < 0 || from >= text.length)
      throw new Error('string.lastIndexOf(search, fromIndex): fromIndex out of range');
  }
  const n = text.length;
  const m = search.length;
  if (m > n) return -1n;
  const last = Math.min(from, n - m);
  if ((last + 1) * m <= naiveLastIndexOfWork) return BigInt(text.lastIndexOf(search, from));
  const j = reverseCodeUnits(text).indexOf(reverseCodeUnits(search), n - m - last);
  return BigInt(j < 0 ? -1 : n - m - j);
}
