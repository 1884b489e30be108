// The verdict as evaluateAction computed it before the per-verdict work was cut (issue 22, commit
// 2ceb6a0): every rule's facts collected, evaluated and wrapped on its own. Kept verbatim as the
// reference the differential test (action-differential.test.ts) compares the fast path against.
import type { JsonValue } from '../../../src/core/json.js';
import type {
  ApprovalRequirement,
  CompiledActionPolicy,
  CompiledActionRule,
  CompiledVariable,
  ExecutionWindow,
  PolicyBundle,
} from '../../../src/policy/bundle.js';
import { type CompiledExpression, celSummary } from '../../../src/policy/cel.js';
import type { Effect } from '../../../src/policy/documents.js';
import {
  type ActionEvaluationInput,
  type NotFired,
  type Reason,
  strongerEffect,
  type Verdict,
  type VerdictApproval,
  withActorRef,
} from '../../../src/policy/evaluate-action.js';
import { type FactSet, factValue, missing, resolvePath } from '../../../src/policy/facts.js';
import { anyGlobMatches } from '../../../src/policy/glob.js';
import { celLimits } from '../../../src/policy/limits.js';

/**
 * Evaluates an action request against every ActionPolicy of the bundle. Pure: the clock comes in
 * as `now`. Never throws for a runtime failure of an expression; see `Reason.error`.
 */
export function evaluateActionBefore(bundle: PolicyBundle, input: ActionEvaluationInput): Verdict {
  const enforced: PolicyResults = { reasons: [], firedRules: [], notFired: [], policies: [] };
  const shadow: PolicyResults = { reasons: [], firedRules: [], notFired: [], policies: [] };
  const roots = { request: input.request, actor: withActorRef(input.actor), now: input.now };
  // Policies without variables all see the same context: one scope, so each fact resolves once.
  let withoutVariables: PolicyScope | undefined;
  for (const policy of bundle.actionPolicies) {
    if (!policyMatches(policy, input)) continue;
    const target = policy.mode === 'shadow' ? shadow : enforced;
    target.policies.push(policy.name);
    if (policy.variables.length > 0) {
      evaluatePolicy(policy, buildScope(roots, policy.variables), target);
      continue;
    }
    withoutVariables ??= buildScope(roots, []);
    evaluatePolicy(policy, withoutVariables, target);
  }
  const effect = combine(enforced.reasons, bundle.defaults.effect);
  const approvals =
    effect.effect === 'require_approval'
      ? mergeApprovals(
          effect.defaulted
            ? [{ requirement: bundle.defaults.approval, rule: '(bundle default)' }]
            : requirementsOf(bundle, enforced),
        )
      : [];
  const withShadow = combine([...enforced.reasons, ...shadow.reasons], bundle.defaults.effect);
  return {
    effect: effect.effect,
    reasons: enforced.reasons,
    notFired: enforced.notFired,
    approvals,
    shadow: shadow.reasons,
    shadowEffect: withShadow.effect,
    defaulted: effect.defaulted,
    policies: enforced.policies,
    bundle: bundle.digest,
    ...(effect.effect === 'deny' ? {} : { executionWindow: executionWindowOf(bundle, enforced.firedRules) }),
  };
}

/** What the policies that applied produced; `firedRules[i]` is the rule behind `reasons[i]`. */
interface PolicyResults {
  reasons: Reason[];
  firedRules: CompiledActionRule[];
  notFired: NotFired[];
  policies: string[];
}

/** The shortest execution window of the fired rules that set one, else the bundle default. */
function executionWindowOf(bundle: PolicyBundle, firedRules: readonly CompiledActionRule[]): ExecutionWindow {
  let shortest = bundle.defaults.executionWindow;
  let ruleSet = false;
  for (const rule of firedRules) {
    const window = rule.executionWindow;
    if (!window) continue;
    if (!ruleSet || window.windowMs < shortest.windowMs) shortest = window;
    ruleSet = true;
  }
  return { window: shortest.window, windowMs: shortest.windowMs };
}

function policyMatches(policy: CompiledActionPolicy, input: Omit<ActionEvaluationInput, 'now'>): boolean {
  const { match } = policy;
  const { request, actor } = input;
  return (
    anyGlobMatches(match.actions, request.action) &&
    anyGlobMatches(match.environments, request.resource?.environment) &&
    anyGlobMatches(match.resourceTypes, request.resource?.type) &&
    anyGlobMatches(match.systems, actor.id) &&
    (match.actorKinds === undefined || match.actorKinds.includes(actor.kind))
  );
}

function evaluatePolicy(policy: CompiledActionPolicy, scope: PolicyScope, target: PolicyResults): void {
  for (const rule of policy.rules) {
    const outcome = evaluateCondition(rule.when, scope);
    const { error, missing } = outcome;
    // Fail closed: a broken deny or require_approval rule still applies; a broken allow rule does not.
    const fired = outcome.holds || (error !== undefined && rule.effect !== 'allow');
    if (fired) {
      const fallback =
        error !== undefined
          ? `rule ${rule.name} failed (${error}) and fails closed to ${rule.effect}`
          : `rule ${rule.name} matched: ${rule.effect}`;
      const reason: Reason = {
        policy: policy.name,
        rule: rule.name,
        effect: rule.effect,
        message: error !== undefined ? fallback : renderMessage(rule, scope, fallback),
        facts: outcome.facts,
      };
      if (missing) reason.missing = missing;
      if (error !== undefined) reason.error = error;
      target.reasons.push(reason);
      target.firedRules.push(rule);
    } else {
      const entry: NotFired = {
        policy: policy.name,
        rule: rule.name,
        effect: rule.effect,
        facts: outcome.facts,
      };
      if (missing) entry.missing = missing;
      if (error !== undefined) entry.error = error;
      target.notFired.push(entry);
    }
  }
}

function combine(reasons: readonly Reason[], defaultEffect: Effect): { effect: Effect; defaulted: boolean } {
  if (reasons.length === 0) return { effect: defaultEffect, defaulted: true };
  let effect: Effect = 'allow';
  for (const reason of reasons) effect = strongerEffect(effect, reason.effect);
  return { effect, defaulted: false };
}

function requirementsOf(
  bundle: PolicyBundle,
  { reasons, firedRules }: PolicyResults,
): { requirement: ApprovalRequirement; rule: string }[] {
  const out: { requirement: ApprovalRequirement; rule: string }[] = [];
  for (let i = 0; i < reasons.length; i++) {
    const reason = reasons[i]!;
    if (reason.effect !== 'require_approval') continue;
    out.push({
      requirement: firedRules[i]!.approval ?? bundle.defaults.approval,
      rule: `${reason.policy}/${reason.rule}`,
    });
  }
  return out;
}

/**
 * Merges approval requirements: identical ones (same count and selectors) become one, with the
 * shortest ttl, the strongest step-up and every rule that asked; different ones are all kept,
 * since all must be met.
 */
function mergeApprovals(
  requirements: readonly { requirement: ApprovalRequirement; rule: string }[],
): VerdictApproval[] {
  const merged = new Map<string, VerdictApproval>();
  for (const { requirement, rule } of requirements) {
    const from = [...requirement.from].sort();
    const key = `${requirement.count}|${from.join(',')}`;
    const existing = merged.get(key);
    if (!existing) {
      merged.set(key, {
        count: requirement.count,
        from,
        ttl: requirement.ttl,
        ttlMs: requirement.ttlMs,
        rules: [rule],
        ...stepUpOf(requirement),
      });
      continue;
    }
    if (!existing.rules.includes(rule)) existing.rules.push(rule);
    if (requirement.assurance) existing.assurance = requirement.assurance;
    if (
      requirement.maxAuthAgeMs !== undefined &&
      (existing.maxAuthAgeMs === undefined || requirement.maxAuthAgeMs < existing.maxAuthAgeMs)
    ) {
      existing.maxAuthAge = requirement.maxAuthAge!;
      existing.maxAuthAgeMs = requirement.maxAuthAgeMs;
    }
    if (requirement.ttlMs < existing.ttlMs) {
      existing.ttl = requirement.ttl;
      existing.ttlMs = requirement.ttlMs;
    }
  }
  return [...merged.values()];
}

function stepUpOf(
  requirement: ApprovalRequirement,
): Pick<VerdictApproval, 'assurance' | 'maxAuthAge' | 'maxAuthAgeMs'> {
  return {
    ...(requirement.assurance ? { assurance: requirement.assurance } : {}),
    ...(requirement.maxAuthAge !== undefined && requirement.maxAuthAgeMs !== undefined
      ? { maxAuthAge: requirement.maxAuthAge, maxAuthAgeMs: requirement.maxAuthAgeMs }
      : {}),
  };
}

/** A policy's evaluation scope: the roots, plus the values (or failures) of its variables. */
interface PolicyScope {
  context: Record<string, unknown>;
  /** Variables whose expression failed, with the reason; undefined while none failed. */
  failedVariables: Map<string, string> | undefined;
  /**
   * Each fact path resolved once per scope: the rules of a bundle read the same few paths again
   * and again (`request.change.linesChanged` by 50 rules), and the context does not change while
   * the scope lives.
   */
  facts: FactCache;
}

/**
 * Evaluates a policy's variables in declaration order. A variable that fails, or that uses one
 * that failed, is recorded as failed; expressions that read it fail in turn (and fail closed).
 */
function buildScope(roots: Record<string, unknown>, variables: readonly CompiledVariable[]): PolicyScope {
  if (variables.length === 0)
    return { context: { ...roots, variables: {} }, failedVariables: undefined, facts: new Map() };
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
  return { context, failedVariables, facts: new Map() };
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

interface ExpressionOutcome {
  value?: unknown;
  error?: string;
  facts: Record<string, JsonValue>;
  missing: string[] | undefined;
}

/** Evaluates an expression in a scope, never throwing: failures come back as `error`. */
function evaluateInScope(expression: CompiledExpression, scope: PolicyScope): ExpressionOutcome {
  const { facts, missing } = collectFacts(scope.context, expression.facts, scope.facts);
  const failed = scope.failedVariables;
  const failedInput = failed && expression.variables.find((name) => failed.has(name));
  if (failedInput !== undefined && failed) {
    return { error: `variables.${failedInput} failed: ${failed.get(failedInput)}`, facts, missing };
  }
  try {
    return { value: expression.evaluate(scope.context), facts, missing };
  } catch (error) {
    return { error: celSummary(error), facts, missing };
  }
}

/** Evaluates a boolean condition; anything but `true` or `false` is an error. */
function evaluateCondition(
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

function describe(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'bigint') return `int ${value}`;
  return `${typeof value} ${JSON.stringify(value)}`;
}

/** The message of a fired rule: its messageExpression if that yields a string, else its message, else a default. */
function renderMessage(
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

/** Fact values already resolved against one context, by path (`missing` for a path that is not there). */
type FactCache = Map<string, JsonValue | typeof missing>;

/**
 * The facts an expression read: resolvable paths with their values, and the paths that do not
 * exist. `cache` must belong to this `context` alone.
 */
function collectFacts(
  context: Record<string, unknown>,
  set: FactSet,
  cache?: FactCache,
): { facts: Record<string, JsonValue>; missing: string[] | undefined } {
  const { paths } = set;
  const values: JsonValue[] = new Array(paths.length);
  let absent: string[] | undefined;
  for (let i = 0; i < paths.length; i++) {
    const fact = paths[i]!;
    let value = cache?.get(fact.path);
    if (value === undefined) {
      const resolved = resolvePath(context, fact.segments);
      value = resolved === missing ? missing : factValue(resolved);
      cache?.set(fact.path, value);
    }
    if (value !== missing) values[i] = value;
    else if (absent) absent.push(fact.path);
    else absent = [fact.path];
  }
  if (absent === undefined) return { facts: set.literal(values), missing: undefined };
  const facts: Record<string, JsonValue> = {};
  for (let i = 0; i < paths.length; i++) if (values[i] !== undefined) facts[paths[i]!.path] = values[i]!;
  return { facts, missing: absent };
}
