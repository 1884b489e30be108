import { type Static, Type } from '@sinclair/typebox';
import { JsonValueSchema, literals } from '../core/json-schema.js';
import {
  type ApprovalRequirement,
  type CompiledActionPolicy,
  type CompiledActionRule,
  type ExecutionWindow,
  type PolicyBundle,
  type SystemRecord,
  systemView,
} from './bundle.js';
import { type ActorKind, type Effect, effects } from './documents.js';
import { anyGlobMatches } from './glob.js';
import type { ActionRequest } from './request.js';
import { buildScope, evaluateCondition, type PolicyScope, renderMessage } from './scope.js';

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

const effectRank: Record<Effect, number> = { allow: 0, require_approval: 1, deny: 2 };

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
 */
export function evaluateAction(bundle: PolicyBundle, input: ActionEvaluationInput): Verdict {
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
export function mergeApprovals(
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
