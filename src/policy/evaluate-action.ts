import { type Static, Type } from '@sinclair/typebox';
import { JsonValueSchema, literals } from '../core/json-schema.js';
import {
  type ApprovalRequest,
  actionPlan,
  effectOfRank,
  effectRank,
  type PolicyPlan,
  plannedApproval,
  type RulePlan,
} from './action-plan.js';
import {
  type ApprovalRequirement,
  type CompiledActionPolicy,
  type ExecutionWindow,
  type PolicyBundle,
  type SystemRecord,
  systemView,
} from './bundle.js';
import { type ActorKind, type Effect, effects } from './documents.js';
import { anyGlobMatches } from './glob.js';
import type { ActionRequest } from './request.js';
import { buildScope, factsInScope, type PolicyScope, renderMessage, testCondition } from './scope.js';

/**
 * Who asks: a registered System (agent or model) or a human. Visible to policies as `actor.*`:
 * `actor.id` is the bare name (System id or user name), `actor.ref` the typed identity
 * (`system:deploy-bot`, `user:alice`) that storage and the ledger use.
 */
export interface Actor {
  id: string;
  kind: ActorKind;
  ref?: string;
  [field: string]: unknown;
}

/** The actor with `ref` set: given, or derived from its kind and id (people are `user:`, Systems `system:`). */
export function withActorRef(actor: Actor): Actor {
  if (typeof actor.ref === 'string') return actor;
  return { ...actor, ref: `${actor.kind === 'human' ? 'user' : 'system'}:${actor.id}` };
}

const FactsSchema = Type.Record(Type.String(), JsonValueSchema, {
  description: 'The values the expression read, by path (`request.confidence`)',
});
const MissingSchema = Type.Array(Type.String(), {
  description: 'Paths the expression read that do not exist in the request',
});

/** A rule that fired, with the values its expression read. */
export const ReasonSchema = Type.Object({
  policy: Type.String(),
  rule: Type.String(),
  effect: literals(effects),
  message: Type.String(),
  facts: FactsSchema,
  missing: Type.Optional(MissingSchema),
  error: Type.Optional(
    Type.String({
      description: 'Set when the expression failed: the rule then counts as fired unless its effect is allow',
    }),
  ),
});
export type Reason = Static<typeof ReasonSchema>;

/** A rule of a matching policy that did not fire, so "why was this not allowed" has an answer. */
export const NotFiredSchema = Type.Object({
  policy: Type.String(),
  rule: Type.String(),
  effect: literals(effects),
  facts: FactsSchema,
  missing: Type.Optional(MissingSchema),
  error: Type.Optional(Type.String()),
});
export type NotFired = Static<typeof NotFiredSchema>;

/** An approval requirement of the verdict: all of them must be met. */
export const VerdictApprovalSchema = Type.Object({
  count: Type.Number(),
  from: Type.Array(Type.String()),
  ttl: Type.String(),
  ttlMs: Type.Number(),
  rules: Type.Array(Type.String(), { description: 'The rules (`policy/rule`) that asked for it' }),
  assurance: Type.Optional(
    Type.Literal('mfa', { description: "Step-up: the approver's sign-in must be multi-factor" }),
  ),
  maxAuthAge: Type.Optional(
    Type.String({ description: 'Step-up: the approver signed in at most this long ago, e.g. 15m' }),
  ),
  maxAuthAgeMs: Type.Optional(Type.Number()),
});
export type VerdictApproval = Static<typeof VerdictApprovalSchema>;

/** The answer to an action request: an effect and its full explanation. */
export const VerdictSchema = Type.Object(
  {
    effect: literals(effects),
    reasons: Type.Array(ReasonSchema),
    notFired: Type.Array(NotFiredSchema),
    approvals: Type.Array(VerdictApprovalSchema),
    shadow: Type.Array(ReasonSchema, {
      description: 'Rules that fired in shadow policies: recorded, never applied',
    }),
    shadowEffect: literals(effects),
    defaulted: Type.Boolean({ description: 'No enforced rule fired and the bundle default decided' }),
    policies: Type.Array(Type.String(), { description: 'Enforced policies whose match held' }),
    bundle: Type.String(),
    executionWindow: Type.Optional(
      Type.Object(
        { window: Type.String(), windowMs: Type.Number() },
        {
          description:
            'How long the decision, once allowed, may wait to be started: the shortest of the rules that fired, or the bundle default',
        },
      ),
    ),
  },
  { description: 'A verdict with its explanation' },
);
export type Verdict = Static<typeof VerdictSchema>;

export interface ActionEvaluationInput {
  request: ActionRequest;
  actor: Actor;
  now: Date;
}

/** The stronger of two effects: deny beats require_approval beats allow. */
export function strongerEffect(a: Effect, b: Effect): Effect {
  return effectRank[a] >= effectRank[b] ? a : b;
}

/** The actor object policies see for a registered System. */
export function actorFromSystem(system: SystemRecord, extra: Record<string, unknown> = {}): Actor {
  return { ...systemView(system), ...extra };
}

/**
 * Evaluates an action request against every ActionPolicy of the bundle. Pure: the clock comes in
 * as `now`. Never throws for a runtime failure of an expression; see `Reason.error`.
 *
 * The hot path of every decision, so per rule it allocates only the reason (or not-fired entry)
 * itself: what does not depend on the request comes from the bundle's plan (action-plan.ts), and
 * rules that read the same paths share one facts object per scope.
 */
export function evaluateAction(bundle: PolicyBundle, input: ActionEvaluationInput): Verdict {
  // The kept lists, unless a verdict is being built with them: a getter of a library caller's
  // request may evaluate another verdict half-way through this one, which then grows its own.
  const lists = kept ?? verdictLists();
  kept = undefined;
  try {
    return verdictWith(bundle, input, lists);
  } finally {
    // Nothing of this verdict is kept for the next one, also when it threw.
    lists.enforced.clear();
    lists.shadow.clear();
    kept = lists;
  }
}

function verdictWith(bundle: PolicyBundle, input: ActionEvaluationInput, lists: VerdictLists): Verdict {
  const plan = actionPlan(bundle);
  const { enforced, shadow } = lists;
  const roots = { request: input.request, actor: withActorRef(input.actor), now: input.now };
  // Policies without variables all see the same context: one scope, so each fact resolves once.
  let withoutVariables: PolicyScope | undefined;
  for (let i = 0; i < plan.policies.length; i++) {
    const planned = plan.policies[i]!;
    const { policy } = planned;
    if (!policyMatches(policy, input)) continue;
    const target = policy.mode === 'shadow' ? shadow : enforced;
    target.policies.add(policy.name);
    if (policy.variables.length > 0) {
      evaluatePolicy(planned, buildScope(roots, policy.variables, bundle.fieldChains), target);
      continue;
    }
    withoutVariables ??= buildScope(roots, [], bundle.fieldChains);
    evaluatePolicy(planned, withoutVariables, target);
  }
  const defaulted = enforced.reasons.length === 0;
  const effect = defaulted ? bundle.defaults.effect : effectOfRank[enforced.rank]!;
  const approvals =
    effect !== 'require_approval'
      ? []
      : defaulted
        ? mergePlanned(plan.defaultApprovalRules)
        : mergePlanned(enforced.approvalRules);
  const shadowEffect =
    defaulted && shadow.reasons.length === 0
      ? bundle.defaults.effect
      : effectOfRank[Math.max(enforced.rank, shadow.rank)]!;
  const verdict: Verdict = {
    effect,
    reasons: enforced.reasons.take(),
    notFired: enforced.notFired.take(),
    approvals,
    shadow: shadow.reasons.take(),
    shadowEffect,
    defaulted,
    policies: enforced.policies.take(),
    bundle: bundle.digest,
  };
  if (effect !== 'deny') {
    const window = enforced.window ?? bundle.defaults.executionWindow;
    verdict.executionWindow = { window: window.window, windowMs: window.windowMs };
  }
  return verdict;
}

/** What mergePlanned reads of a list: an array, or the ones a verdict grows. */
interface ReadonlyList<T> {
  readonly length: number;
  at(index: number): T | undefined;
}

/**
 * A list a verdict grows, kept from verdict to verdict: the verdict takes a copy of its exact
 * length. A list grown afresh per verdict reallocates its backing store as it grows (17, 41, 77,
 * 131, 212 slots for 172 not-fired entries): about 4 KB of garbage per 200-rule verdict. Its slots
 * are overwritten, never truncated: `length = 0` would drop the backing store.
 */
class Collected<T> {
  readonly #items: T[] = [];
  #count = 0;

  get length(): number {
    return this.#count;
  }

  at(index: number): T {
    return this.#items[index]!;
  }

  add(item: T): void {
    this.#items[this.#count++] = item;
  }

  /** The items added since the last take, in order; the slots let go of them. */
  take(): T[] {
    const items = this.#items.slice(0, this.#count);
    this.clear();
    return items;
  }

  clear(): void {
    this.#items.fill(undefined as T, 0, this.#count);
    this.#count = 0;
  }
}

/**
 * What the policies that applied produced, summarised as the rules fire. One pair serves verdict
 * after verdict (`kept`): evaluateAction clears it when a verdict returns or throws, and a verdict
 * evaluated while another is built (re-entered from a request's getter) gets a pair of its own.
 */
class PolicyResults {
  readonly reasons = new Collected<Reason>();
  readonly notFired = new Collected<NotFired>();
  readonly policies = new Collected<string>();
  /** The strongest effect rank among `reasons` (0 while none fired). */
  rank = 0;
  /** The require_approval rules that fired, in the order of `reasons`. */
  readonly approvalRules = new Collected<RulePlan>();
  /** The shortest execution window among the fired rules that set one. */
  window: ExecutionWindow | undefined = undefined;

  clear(): void {
    this.reasons.clear();
    this.notFired.clear();
    this.policies.clear();
    this.rank = 0;
    this.approvalRules.clear();
    this.window = undefined;
  }
}

interface VerdictLists {
  readonly enforced: PolicyResults;
  readonly shadow: PolicyResults;
}

function verdictLists(): VerdictLists {
  return { enforced: new PolicyResults(), shadow: new PolicyResults() };
}

/** The lists the next verdict grows; undefined while a verdict is being built with them. */
let kept: VerdictLists | undefined = verdictLists();

/**
 * True when a policy that applies to this request reads `actor.recent`, so the caller must look
 * the actor's history up before evaluating. Other requests skip that lookup.
 */
export function needsRecentActivity(
  bundle: PolicyBundle,
  input: Omit<ActionEvaluationInput, 'now'>,
): boolean {
  return (
    bundle.readsRecentActivity &&
    bundle.actionPolicies.some((policy) => policy.readsRecentActivity && policyMatches(policy, input))
  );
}

/** True when a policy that applies to this request reads `actor.trackRecord` (computed only then). */
export function needsTrackRecord(bundle: PolicyBundle, input: Omit<ActionEvaluationInput, 'now'>): boolean {
  return (
    bundle.readsTrackRecord &&
    bundle.actionPolicies.some((policy) => policy.readsTrackRecord && policyMatches(policy, input))
  );
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

function evaluatePolicy(planned: PolicyPlan, scope: PolicyScope, target: PolicyResults): void {
  const { policy } = planned;
  const steps = planned.rules;
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i]!;
    const { rule } = step;
    const outcome = testCondition(rule.when, scope);
    const { facts, missing } = factsInScope(rule.when, scope);
    const error = typeof outcome === 'string' ? outcome : undefined;
    // Fail closed: a broken deny or require_approval rule still applies; a broken allow rule does not.
    if (outcome === true || (error !== undefined && rule.effect !== 'allow')) {
      const message =
        error !== undefined
          ? `rule ${rule.name} failed (${error}) and fails closed to ${rule.effect}`
          : rule.messageExpression
            ? renderMessage(rule, scope, step.matched)
            : step.matched;
      const reason: Reason = { policy: policy.name, rule: rule.name, effect: rule.effect, message, facts };
      if (missing) reason.missing = missing;
      if (error !== undefined) reason.error = error;
      target.reasons.add(reason);
      if (step.rank > target.rank) target.rank = step.rank;
      if (step.approval) target.approvalRules.add(step);
      const window = rule.executionWindow;
      if (window && (target.window === undefined || window.windowMs < target.window.windowMs))
        target.window = window;
    } else {
      const entry: NotFired = { policy: policy.name, rule: rule.name, effect: rule.effect, facts };
      if (missing) entry.missing = missing;
      if (error !== undefined) entry.error = error;
      target.notFired.add(entry);
    }
  }
}

/**
 * Merges approval requirements: identical ones (same count and selectors) become one, with the
 * shortest ttl, the strongest step-up and every rule that asked; different ones are all kept,
 * since all must be met.
 */
export function mergeApprovals(
  requirements: readonly { requirement: ApprovalRequirement; rule: string }[],
): VerdictApproval[] {
  return mergePlanned(
    requirements.map(({ requirement, rule }) => ({ approval: plannedApproval(requirement), id: rule })),
  );
}

/** `mergeApprovals` over requirements already planned, each with the rule (`policy/rule`) that asked. */
function mergePlanned(requests: ReadonlyList<ApprovalRequest>): VerdictApproval[] {
  const approvals: VerdictApproval[] = [];
  const byKey = new Map<string, VerdictApproval>();
  for (let i = 0; i < requests.length; i++) {
    const { approval, id: rule } = requests.at(i)!;
    const { requirement, from, key } = approval!;
    const existing = byKey.get(key);
    if (!existing) {
      const merged: VerdictApproval = {
        count: requirement.count,
        from: from.slice(),
        ttl: requirement.ttl,
        ttlMs: requirement.ttlMs,
        rules: [rule],
      };
      // The step-up fields in this order, only when set: a verdict's JSON is recorded and compared.
      if (requirement.assurance) merged.assurance = requirement.assurance;
      if (requirement.maxAuthAge !== undefined && requirement.maxAuthAgeMs !== undefined) {
        merged.maxAuthAge = requirement.maxAuthAge;
        merged.maxAuthAgeMs = requirement.maxAuthAgeMs;
      }
      byKey.set(key, merged);
      approvals.push(merged);
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
  return approvals;
}
