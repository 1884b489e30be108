import type { JsonValue } from '../core/json.js';
import type { CompiledVariable } from './bundle.js';
import { type CompiledExpression, celSummary } from './cel.js';
import { bail } from './cel-closure.js';
import { type CollectedFacts, collectFacts, type FactSet, type FactValues } from './facts.js';
import { ChainReads, type FieldChains } from './field-chains.js';
import { celLimits } from './limits.js';

/** A policy's evaluation scope: the roots, plus the values (or failures) of its variables. */
export interface PolicyScope {
  context: Record<string, unknown>;
  /** Variables whose expression failed, with the reason; undefined while none failed. */
  failedVariables: Map<string, string> | undefined;
  /**
   * Each fact path resolved once per scope, by its number in the bundle's table: the rules of a
   * bundle read the same few paths again and again (`request.change.linesChanged` by 50 rules),
   * and the context does not change while the scope lives.
   */
  facts: FactValues;
  /**
   * Each fact set's facts, collected once per scope: expressions that read the same paths (a
   * bundle interns their fact sets at load) share one facts object instead of building their own.
   * By the set's number for the sets of the bundle's table (`reads.chains`): an array index per
   * rule rather than a Map lookup.
   */
  collected: (CollectedFacts | undefined)[];
  /** The same for fact sets of no table or of another one, made on first use. */
  collectedElsewhere: Map<FactSet, CollectedFacts> | undefined;
  /** The bundle's field chains resolved against `context`, each on first read. */
  reads: ChainReads;
}

/**
 * Evaluates a policy's variables in declaration order. A variable that fails, or that uses one
 * that failed, is recorded as failed; expressions that read it fail in turn (and fail closed).
 * `chains` is the table of the bundle the variables come from (`PolicyBundle.fieldChains`).
 */
export function buildScope(
  roots: Record<string, unknown>,
  variables: readonly CompiledVariable[],
  chains?: FieldChains,
): PolicyScope {
  if (variables.length === 0) {
    const context = { ...roots, variables: {} };
    return {
      context,
      failedVariables: undefined,
      facts: new Array(chains?.factPaths ?? 0),
      collected: new Array(chains?.factSets ?? 0),
      collectedElsewhere: undefined,
      reads: new ChainReads(context, chains),
    };
  }
  const values: Record<string, unknown> = {};
  const context = { ...roots, variables: values };
  let failedVariables: Map<string, string> | undefined;
  for (const variable of variables) {
    const failedInput =
      failedVariables && variable.expression.variables.find((name) => failedVariables!.has(name));
    if (failedInput !== undefined && failedVariables) {
      failedVariables.set(variable.name, `uses variables.${failedInput}, which failed`);
      continue;
    }
    try {
      const value = variable.expression.evaluate(context);
      const tooLarge = oversized(value);
      if (tooLarge === undefined) values[variable.name] = value;
      else {
        failedVariables ??= new Map();
        failedVariables.set(variable.name, `ARB_ERR_POLICY_CEL_COST: the value ${tooLarge}`);
      }
    } catch (error) {
      failedVariables ??= new Map();
      failedVariables.set(variable.name, celSummary(error));
    }
  }
  // The chains are read only once every variable is set: `variables.*` chains are final now.
  return {
    context,
    failedVariables,
    facts: new Array(chains?.factPaths ?? 0),
    collected: new Array(chains?.factSets ?? 0),
    collectedElsewhere: undefined,
    reads: new ChainReads(context, chains),
  };
}

/**
 * Why a variable's value is too large to keep, or undefined. Each expression's own cost is
 * bounded, but variables can feed one another (`b = a + a`, `c = b + b`, …) and double a value
 * per variable; capping what a variable holds keeps that growth linear.
 */
function oversized(value: unknown): string | undefined {
  const elements = Array.isArray(value) ? value.length : value instanceof Map ? value.size : undefined;
  if (elements !== undefined && elements > celLimits.maxVariableElements)
    return `holds ${elements} elements; a variable may hold at most ${celLimits.maxVariableElements}`;
  if (typeof value === 'string' && value.length > celLimits.maxVariableStringLength)
    return `is ${value.length} characters long; a variable may hold at most ${celLimits.maxVariableStringLength}`;
  return undefined;
}

export interface ExpressionOutcome {
  value?: unknown;
  error?: string;
  facts: Record<string, JsonValue>;
  missing: string[] | undefined;
}

/** The facts an expression read in this scope, collected on the first request for its fact set. */
export function factsInScope(expression: CompiledExpression, scope: PolicyScope): CollectedFacts {
  const set = expression.facts;
  // A number of another table (an expression of another bundle) would name another set here.
  if (set.table !== undefined && set.table === scope.reads.chains) {
    let collected = scope.collected[set.slot];
    if (collected === undefined)
      scope.collected[set.slot] = collected = collectFacts(scope.context, set, scope.facts);
    return collected;
  }
  scope.collectedElsewhere ??= new Map();
  let collected = scope.collectedElsewhere.get(set);
  if (collected === undefined) {
    collected = collectFacts(scope.context, set);
    scope.collectedElsewhere.set(set, collected);
  }
  return collected;
}

/** Evaluates an expression in a scope, never throwing: failures come back as `error`. */
export function evaluateInScope(expression: CompiledExpression, scope: PolicyScope): ExpressionOutcome {
  const { facts, missing } = factsInScope(expression, scope);
  const failed = scope.failedVariables;
  const failedInput = failed && firstFailed(expression.variables, failed);
  if (failedInput !== undefined && failed) {
    return { error: `variables.${failedInput} failed: ${failed.get(failedInput)}`, facts, missing };
  }
  try {
    return { value: expression.evaluateReads(scope.reads), facts, missing };
  } catch (error) {
    return { error: celSummary(error), facts, missing };
  }
}

/** Evaluates a boolean condition; anything but `true` or `false` is an error. */
export function evaluateCondition(
  expression: CompiledExpression,
  scope: PolicyScope,
): ExpressionOutcome & { holds: boolean } {
  const outcome = evaluateInScope(expression, scope) as ExpressionOutcome & { holds: boolean };
  if (outcome.error !== undefined) {
    outcome.holds = false;
  } else if (typeof outcome.value === 'boolean') {
    outcome.holds = outcome.value;
  } else {
    outcome.error = `expression produced ${describe(outcome.value)}, not a bool`;
    outcome.holds = false;
  }
  return outcome;
}

/**
 * `evaluateCondition` without the outcome object, for the hot path: whether the condition holds,
 * or why it could not be evaluated (the same message `evaluateCondition` gives as `error`).
 */
export function testCondition(expression: CompiledExpression, scope: PolicyScope): boolean | string {
  const failed = scope.failedVariables;
  if (failed) {
    const failedInput = firstFailed(expression.variables, failed);
    if (failedInput !== undefined) return `variables.${failedInput} failed: ${failed.get(failedInput)}`;
  }
  let value: unknown;
  try {
    // The closure first, when there is one: it answers nearly every condition; on `bail`,
    // evaluateReads runs it again (reads are cached) and then the interpreter.
    const { condition } = expression;
    if (condition !== undefined) value = condition(scope.reads);
    if (condition === undefined || value === bail) value = expression.evaluateReads(scope.reads);
  } catch (error) {
    return celSummary(error);
  }
  return typeof value === 'boolean' ? value : `expression produced ${describe(value)}, not a bool`;
}

/**
 * The first of `names` that failed. A loop, not `find` with an arrow: the arrow would capture
 * `failed`, and its context would be allocated on every call of the hot path, failed or not.
 */
function firstFailed(names: readonly string[], failed: ReadonlyMap<string, string>): string | undefined {
  for (let i = 0; i < names.length; i++) if (failed.has(names[i]!)) return names[i];
  return undefined;
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'bigint') return `int ${value}`;
  return `${typeof value} ${JSON.stringify(value)}`;
}

/** The message of a fired rule: its messageExpression if that yields a string, else its message, else a default. */
export function renderMessage(
  spec: { message?: string; messageExpression?: CompiledExpression },
  scope: PolicyScope,
  fallback: string,
): string {
  if (spec.messageExpression) {
    const outcome = evaluateInScope(spec.messageExpression, scope);
    if (typeof outcome.value === 'string')
      return outcome.value.length > celLimits.maxMessageLength
        ? `${outcome.value.slice(0, celLimits.maxMessageLength)}…`
        : outcome.value;
  }
  return spec.message ?? fallback;
}
