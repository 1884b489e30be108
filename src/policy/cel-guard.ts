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
 */

/** The name the rewritten `matches` calls use; registered on every environment. */
export const re2FunctionName = 're2Matches';

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
  /** Source ranges [start, end) holding the name `matches` of a call, to be renamed. */
  renames: { start: number; end: number }[];
  /** Comprehension macro calls found: each must be instrumented. */
  comprehensions: number;
  /** `matches` calls found: after renaming, none may be left. */
  matchesCalls: number;
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
  const analysis: GuardAnalysis = { problems: [], renames: [], comprehensions: 0, matchesCalls: 0 };
  if (!isNode(ast)) return analysis;
  const stack: { node: Node; nesting: number }[] = [{ node: ast, nesting: 0 }];
  let nestingReported = false;
  while (stack.length > 0) {
    const { node, nesting } = stack.pop()!;
    const rcall = receiverCall(node);
    let inner = nesting;
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
    // cel-js has only the receiver form `text.matches(pattern)`.
    const matches =
      rcall?.name === 'matches' && rcall.args.length === 1
        ? { pattern: rcall.args[0]!, nameFrom: rcall.receiver.end ?? 0 }
        : undefined;
    if (matches) {
      analysis.matchesCalls++;
      const nameAt = source.indexOf('matches', matches.nameFrom);
      if (nameAt >= 0 && nameAt + 'matches'.length <= (matches.pattern.start ?? source.length))
        analysis.renames.push({ start: nameAt, end: nameAt + 'matches'.length });
      if (matches.pattern.op === 'value' && typeof matches.pattern.args === 'string') {
        const failure = patternProblem(matches.pattern.args);
        if (failure)
          analysis.problems.push({
            code: 'ARB_ERR_POLICY_CEL_REGEX',
            offset: (matches.pattern.start ?? 0) + 1,
            message: `CEL: matches pattern ${JSON.stringify(matches.pattern.args)}: ${failure}`,
          });
      }
    }
    for (const child of children(node)) {
      // Only the arguments of a comprehension run once per element; its receiver runs once.
      const childNesting = rcall && inner !== nesting && child === rcall.receiver ? nesting : inner;
      stack.push({ node: child, nesting: childNesting });
    }
  }
  return analysis;
}

/** Renames every `matches` call to the RE2 function; ranges come from analyseExpression. */
export function renameMatches(source: string, renames: readonly { start: number; end: number }[]): string {
  let out = source;
  for (const { start, end } of [...renames].sort((a, b) => b.start - a.start))
    out = `${out.slice(0, start)}${re2FunctionName}${out.slice(end)}`;
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
 * registered function evaluates CEL), so one module-level meter is enough.
 */
const meter = { remaining: 0, deadline: 0, exceeded: undefined as string | undefined };

function exceed(reason: string): ArbiterError<'ARB_ERR_POLICY_CEL_COST'> {
  meter.exceeded ??= reason;
  meter.remaining = -1;
  return new ArbiterError('ARB_ERR_POLICY_CEL_COST', meter.exceeded);
}

function step(): void {
  const left = --meter.remaining;
  if (left < 0)
    throw exceed(meter.exceeded ?? `evaluation exceeded ${celLimits.maxIterations} comprehension steps`);
  // The clock is read on every fourth step; the first reading starts it.
  if ((left & 3) === 0) {
    const now = performance.now();
    if (meter.deadline === 0) meter.deadline = now + celLimits.maxIterationMs;
    else if (now > meter.deadline)
      throw exceed(`evaluation iterated for more than ${celLimits.maxIterationMs} ms`);
  }
}

/**
 * Runs a program under a fresh meter. Exceeding it is an ARB_ERR_POLICY_CEL_COST error even when
 * CEL's error semantics absorbed the failure (`error || true` is `true`): a bound that was hit
 * always fails the expression.
 */
export function evaluateMetered<T>(run: () => T): T {
  meter.remaining = celLimits.maxIterations;
  meter.deadline = 0;
  meter.exceeded = undefined;
  let value: T;
  try {
    value = run();
  } catch (error) {
    if (meter.exceeded !== undefined) throw new ArbiterError('ARB_ERR_POLICY_CEL_COST', meter.exceeded);
    throw error;
  }
  if (meter.exceeded !== undefined) throw new ArbiterError('ARB_ERR_POLICY_CEL_COST', meter.exceeded);
  return value;
}

/** Why a pattern is refused, or undefined when RE2 compiles it within the limits. */
export function patternProblem(pattern: string): string | undefined {
  const compiled = compilePattern(pattern);
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

/** Compiled patterns, literal ones and recent computed ones; cleared when full. */
const patternCache = new Map<string, RE2JS | string>();
const patternCacheSize = 512;

/** CEL `matches`: true when `pattern` matches anywhere in `text`, in time linear in `text`. */
export function re2Matches(text: string, pattern: string): boolean {
  let compiled = patternCache.get(pattern);
  if (compiled === undefined) {
    compiled = compilePattern(pattern);
    if (patternCache.size >= patternCacheSize) patternCache.clear();
    patternCache.set(pattern, compiled);
  }
  if (typeof compiled === 'string')
    throw new ArbiterError(
      'ARB_ERR_POLICY_CEL_REGEX',
      `matches pattern ${JSON.stringify(pattern)}: ${compiled}`,
    );
  return compiled.test(text);
}
