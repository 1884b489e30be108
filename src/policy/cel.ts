import { Environment } from '@marcbachmann/cel-js';
import { ArbiterError, type ErrorCode } from '../core/errors.js';
import { bail, type Closure, compileCondition } from './cel-closure.js';
import {
  analyseExpression,
  evaluateMetered,
  instrumentComprehensions,
  linearLastIndexOf,
  type MonotonicClock,
  re2Matches,
  re2MatchesComputed,
  renameCalls,
  rewrittenFunctionNames,
} from './cel-guard.js';
import { type FactSet, factPath, factSet } from './facts.js';
import { ChainReads, FieldChains } from './field-chains.js';
import { celLimits } from './limits.js';

/**
 * The CEL layer: one environment per document kind, compilation once at load, and the list of
 * fields each expression reads (so a verdict can say `request.confidence = 0.62`).
 *
 * Numbers from JSON are CEL doubles. They compare with int literals (`x > 500`) but arithmetic
 * needs double literals (`x + 1.0`); see docs/policies.md.
 */

export type ExpressionScope = 'action' | 'gate' | 'monitor';

/** The identifiers each scope declares; anything else is a load error. */
export const scopeRoots: Record<ExpressionScope, readonly string[]> = {
  action: ['request', 'actor', 'now', 'variables'],
  gate: ['release', 'baseline', 'system', 'now', 'variables'],
  monitor: ['metrics', 'window', 'system', 'now', 'variables'],
};

const timestampType = 'google.protobuf.Timestamp';

function environmentFor(scope: ExpressionScope): Environment {
  let env = new Environment({
    homogeneousAggregateLiterals: false,
    enableOptionalTypes: true,
    limits: {
      maxAstNodes: celLimits.maxAstNodes,
      maxDepth: celLimits.maxDepth,
      maxListElements: celLimits.maxLiteralElements,
      maxMapEntries: celLimits.maxLiteralElements,
    },
  });
  for (const root of scopeRoots[scope]) {
    env = env.registerVariable(root, root === 'now' ? timestampType : 'map');
  }
  // `matches` and `lastIndexOf` are renamed to these at load (cel-guard.ts): RE2 semantics under
  // a cost budget, and a linear lastIndexOf.
  const names = rewrittenFunctionNames;
  env = env
    .registerFunction(`string.${names.literalMatches}(string): bool`, re2Matches)
    .registerFunction(`string.${names.computedMatches}(string): bool`, re2MatchesComputed)
    .registerFunction(`string.${names.lastIndexOf}(string): int`, linearLastIndexOf)
    .registerFunction(`string.${names.lastIndexOf}(string, int): int`, linearLastIndexOf);
  return env;
}

const environments: Record<ExpressionScope, Environment> = {
  action: environmentFor('action'),
  gate: environmentFor('gate'),
  monitor: environmentFor('monitor'),
};

/** What an expression is evaluated against; `now` is a Date, everything else plain JSON-like data. */
export type ExpressionContext = Record<string, unknown>;

/** An expression parsed and type-checked once; evaluating never re-parses. */
export interface CompiledExpression {
  readonly source: string;
  /** Field paths the expression reads, rooted at a scope identifier (`request.change.linesChanged`). */
  readonly reads: readonly string[];
  /** Names of `variables.X` the expression reads. */
  readonly variables: readonly string[];
  /** What an explanation shows: the reads plus those of the variables read, prepared once. */
  readonly facts: FactSet;
  /**
   * Evaluates against a context; throws the CEL evaluation error on failure. `clock` times the
   * iteration bound (default: the process's monotonic clock).
   */
  evaluate(context: ExpressionContext, clock?: MonotonicClock): unknown;
  /**
   * `evaluate` against `reads.context`, with the field chains the compiled closures read taken
   * from `reads`: resolved once for every expression of the bundle evaluated against that context.
   */
  evaluateReads(reads: ChainReads, clock?: MonotonicClock): unknown;
  /**
   * The compiled closure of a condition on the fast path (cel-closure.ts), or undefined: it answers
   * a boolean or `bail`, and on `bail` only `evaluateReads` has the answer. Called directly by the
   * rule loop, it saves a call per rule through `evaluateReads`.
   */
  readonly condition: Closure | undefined;
}

/** What a compiled expression may depend on beyond its source. */
export interface CompileOptions {
  /** For each declared variable, the facts its own expression reads. */
  variableFacts?: ReadonlyMap<string, FactSet>;
  /** The table of the bundle's field chains; without one, the expression numbers its own. */
  chains?: FieldChains;
}

export interface CompileFailure {
  code: Extract<
    ErrorCode,
    | 'ARB_ERR_POLICY_CEL_SYNTAX'
    | 'ARB_ERR_POLICY_CEL_TYPE'
    | 'ARB_ERR_POLICY_CEL_LIMIT'
    | 'ARB_ERR_POLICY_CEL_REGEX'
  >;
  /** Character offset in the expression where the problem is. */
  offset: number;
  message: string;
}

export type ExpectedType = 'bool' | 'string' | 'any';

/** Parses and type-checks `source` in `scope`; returns the compiled expression or why it failed. */
export function compileExpression(
  source: string,
  scope: ExpressionScope,
  expected: ExpectedType,
  { variableFacts = new Map(), chains = new FieldChains() }: CompileOptions = {},
): CompiledExpression | CompileFailure {
  const env = environments[scope];
  if (source.length > celLimits.maxExpressionLength) {
    return {
      code: 'ARB_ERR_POLICY_CEL_LIMIT',
      offset: 0,
      message: `CEL: expression is ${source.length} characters; at most ${celLimits.maxExpressionLength} are allowed`,
    };
  }
  let program: ReturnType<Environment['parse']>;
  try {
    program = env.parse(source);
  } catch (error) {
    const limit = (error as { code?: unknown } | undefined)?.code === 'limit_exceeded';
    return {
      code: limit ? 'ARB_ERR_POLICY_CEL_LIMIT' : 'ARB_ERR_POLICY_CEL_SYNTAX',
      offset: celOffset(error),
      message: limit ? `CEL: ${limitMessage(celSummary(error))}` : `CEL syntax: ${celSummary(error)}`,
    };
  }
  const checked = program.check();
  if (!checked.valid) {
    return {
      code: 'ARB_ERR_POLICY_CEL_TYPE',
      offset: celOffset(checked.error),
      message: `CEL: ${celSummary(checked.error)}`,
    };
  }
  if (expected !== 'any' && checked.type !== expected && checked.type !== 'dyn') {
    return {
      code: 'ARB_ERR_POLICY_CEL_TYPE',
      offset: 0,
      message: `CEL: expression must produce a ${expected}, but produces ${checked.type}`,
    };
  }
  const runnable = guardedProgram(env, program, source, chains);
  if ('code' in runnable) return runnable;
  const { reads, variables } = collectReads(program.ast, scopeRoots[scope]);
  const facts = new Map(reads.map((read) => [read, factPath(read)]));
  for (const name of variables)
    for (const fact of variableFacts.get(name)?.paths ?? [])
      if (!facts.has(fact.path)) facts.set(fact.path, fact);
  return {
    source,
    reads,
    variables,
    facts: factSet([...facts.values()]),
    evaluate: runnable.evaluate,
    evaluateReads: runnable.evaluateReads,
    condition: runnable.condition,
  };
}

type Program = ReturnType<Environment['parse']>;

/**
 * The program actually run for a checked expression: `matches` renamed to the RE2 functions,
 * `lastIndexOf` to the linear one, a step meter on every comprehension and a cost meter around
 * every expression that runs `matches` (cel-guard.ts). Fails on a load-time limit or a bad pattern.
 */
function guardedProgram(
  env: Environment,
  checked: Program,
  source: string,
  chains: FieldChains,
): Pick<CompiledExpression, 'evaluate' | 'evaluateReads' | 'condition'> | CompileFailure {
  const analysis = analyseExpression(checked.ast, source);
  const [problem] = analysis.problems;
  if (problem) return problem;
  let program = checked;
  if (analysis.renames.length > 0) {
    // The renamed source differs only in a function name, so this cannot fail unless cel-js
    // changed; if it does, the expression is refused rather than run with backtracking RegExp.
    try {
      program = env.parse(renameCalls(source, analysis.renames));
    } catch (error) {
      return { code: 'ARB_ERR_POLICY_CEL_SYNTAX', offset: 0, message: `CEL syntax: ${celSummary(error)}` };
    }
    const rechecked = program.check();
    if (!rechecked.valid)
      return { code: 'ARB_ERR_POLICY_CEL_TYPE', offset: 0, message: `CEL: ${celSummary(rechecked.error)}` };
  }
  // Every `matches` must now be the RE2 function (never run a pattern with backtracking RegExp),
  // and every `lastIndexOf` the linear one.
  if (
    analysis.renames.length !== analysis.rewrites ||
    (analysis.rewrites > 0 && analyseExpression(program.ast, '').rewrites > 0)
  )
    return {
      code: 'ARB_ERR_POLICY_CEL_REGEX',
      offset: 0,
      message:
        'CEL: a matches or lastIndexOf call could not be rewritten; write it as text.matches(pattern) or text.lastIndexOf(s)',
    };
  // `matches` charges its cost to the meter, so an expression with one is metered too.
  if (analysis.comprehensions === 0 && analysis.matchesCalls === 0) {
    // Conditions of reads, literals and comparisons run as closures; anything the closure is not
    // sure of is evaluated by cel-js, so the answer and every error are the interpreter's.
    const closure = analysis.renames.length === 0 ? compileCondition(program.ast, chains) : undefined;
    if (closure) {
      const evaluateReads = (reads: ChainReads) => {
        const value = closure(reads);
        return value === bail ? program(reads.context) : value;
      };
      return {
        evaluate: (context) => evaluateReads(new ChainReads(context, undefined)),
        evaluateReads,
        condition: closure,
      };
    }
    return {
      evaluate: (context) => program(context),
      evaluateReads: (reads) => program(reads.context),
      condition: undefined,
    };
  }
  if (instrumentComprehensions(program.ast) !== analysis.comprehensions)
    return {
      code: 'ARB_ERR_POLICY_CEL_LIMIT',
      offset: 0,
      message: 'CEL: the cost of this expression cannot be bounded by this version of cel-js',
    };
  const evaluate = (context: ExpressionContext, clock?: MonotonicClock) =>
    evaluateMetered(() => program(context), clock);
  return { evaluate, evaluateReads: (reads, clock) => evaluate(reads.context, clock), condition: undefined };
}

/** cel-js names the limit it hit (`Exceeded maxDepth (32)`); say what it means. */
function limitMessage(summary: string): string {
  const what: Record<string, string> = {
    maxAstNodes: 'the expression is too large',
    maxDepth: 'the expression is nested too deeply',
    maxListElements: 'a list literal has too many elements',
    maxMapEntries: 'a map literal has too many entries',
    maxCallArguments: 'a call has too many arguments',
  };
  const key = /Exceeded (\w+)/.exec(summary)?.[1];
  return key && what[key] ? `${what[key]} (${summary})` : summary;
}

/** True when compileExpression failed. */
export function isCompileFailure(value: CompiledExpression | CompileFailure): value is CompileFailure {
  return 'code' in value;
}

/** The ArbiterError behind a CEL error, if cel-js wrapped one thrown by a function or meter. */
function arbiterCause(error: unknown): ArbiterError | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 4; depth++) {
    if (current instanceof ArbiterError) return current;
    current = current.cause;
  }
  return undefined;
}

function celOffset(error: unknown): number {
  const range = (error as { range?: { start?: number } } | undefined)?.range;
  return typeof range?.start === 'number' ? range.start : 0;
}

/**
 * The one-line reason of a CEL error, without the source excerpt the library appends. A limit
 * Arbiter enforces is prefixed by its code (`ARB_ERR_POLICY_CEL_COST: …`).
 */
export function celSummary(error: unknown): string {
  const limit = arbiterCause(error);
  if (limit) return `${limit.code}: ${limit.message}`;
  const summary = (error as { summary?: unknown } | undefined)?.summary;
  if (typeof summary === 'string') return summary;
  return error instanceof Error ? (error.message.split('\n', 1)[0] ?? error.message) : String(error);
}

interface AstNode {
  op: string;
  args: unknown;
}

function isAstNode(value: unknown): value is AstNode {
  return (
    typeof value === 'object' && value !== null && 'op' in value && typeof (value as AstNode).op === 'string'
  );
}

/**
 * Walks the AST for field selections rooted at a scope identifier. Only maximal chains are kept:
 * `request.change.linesChanged` is reported, not `request.change` as well.
 */
function collectReads(ast: unknown, roots: readonly string[]): { reads: string[]; variables: string[] } {
  const reads = new Set<string>();
  const variables = new Set<string>();
  const rootSet = new Set(roots);

  const chainOf = (node: AstNode): string | undefined => {
    if (node.op === 'id') {
      const name = node.args;
      return typeof name === 'string' && rootSet.has(name) ? name : undefined;
    }
    if (!Array.isArray(node.args)) return undefined;
    const [object, field] = node.args as [unknown, unknown];
    if (!isAstNode(object)) return undefined;
    const base = chainOf(object);
    if (base === undefined) return undefined;
    if ((node.op === '.' || node.op === '.?') && typeof field === 'string') return `${base}.${field}`;
    if ((node.op === '[]' || node.op === '[?]') && isAstNode(field) && field.op === 'value') {
      const key = field.args;
      if (typeof key === 'string')
        return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `${base}.${key}` : `${base}[${JSON.stringify(key)}]`;
      if (typeof key === 'bigint' || typeof key === 'number') return `${base}[${String(key)}]`;
    }
    return undefined;
  };

  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item);
      return;
    }
    if (!isAstNode(value)) return;
    const chain =
      value.op === 'id' || value.op === '.' || value.op === '.?' || value.op === '[]' || value.op === '[?]'
        ? chainOf(value)
        : undefined;
    if (chain !== undefined) {
      reads.add(chain);
      const variable = /^variables\.([A-Za-z_][A-Za-z0-9_]*)/.exec(chain);
      if (variable?.[1]) variables.add(variable[1]);
      // Index expressions inside the chain may read other fields.
      if (Array.isArray(value.args)) for (const arg of value.args.slice(1)) visit(arg);
      return;
    }
    visit(value.args);
  };

  visit(ast);
  // Keep maximal chains only: drop any read that is a strict prefix of another.
  const all = [...reads];
  const maximal = all.filter(
    (read) =>
      !all.some((other) => other !== read && (other.startsWith(`${read}.`) || other.startsWith(`${read}[`))),
  );
  return { reads: maximal.sort(), variables: [...variables].sort() };
}
