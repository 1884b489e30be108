import type {
  ApprovalRequirement,
  CompiledActionPolicy,
  CompiledActionRule,
  PolicyBundle,
} from './bundle.js';
import type { Effect } from './documents.js';

/**
 * What a verdict needs about each action rule that does not depend on the request, worked out
 * once per bundle: the message of a rule that fired, its `policy/rule` name, and the approval it
 * asks for with the key approvals are merged by. A verdict then builds no string and sorts no
 * list for a rule unless the request makes it necessary.
 */
/** An approval asked for, and who asked: a rule (`policy/rule`) or the bundle default. */
export interface ApprovalRequest {
  readonly approval: PlannedApproval | undefined;
  readonly id: string;
}

export interface RulePlan extends ApprovalRequest {
  readonly rule: CompiledActionRule;
  /** deny 2, require_approval 1, allow 0: the stronger effect has the higher rank. */
  readonly rank: number;
  /** Its message when it fires without error: the static message, else `rule X matched: effect`. */
  readonly matched: string;
  /** `policy/rule`, as approvals name the rules that asked for them. */
  readonly id: string;
  /** What a require_approval rule asks for (its own approval or the bundle default). */
  readonly approval: PlannedApproval | undefined;
}

export interface PolicyPlan {
  readonly policy: CompiledActionPolicy;
  readonly rules: readonly RulePlan[];
}

export interface ActionPlan {
  readonly policies: readonly PolicyPlan[];
  /** The bundle default approval, asked for when no rule fired and the default is require_approval. */
  readonly defaultApprovalRules: readonly ApprovalRequest[];
}

/** An approval requirement with its selectors sorted and its merge key (`count|from…`). */
export interface PlannedApproval {
  readonly requirement: ApprovalRequirement;
  readonly from: readonly string[];
  readonly key: string;
}

export const effectRank: Readonly<Record<Effect, number>> = { allow: 0, require_approval: 1, deny: 2 };
export const effectOfRank: readonly Effect[] = ['allow', 'require_approval', 'deny'];

const plans = new WeakMap<PolicyBundle, ActionPlan>();

/** The plan of a bundle, made on first use; bundles are frozen, so it never goes stale. */
export function actionPlan(bundle: PolicyBundle): ActionPlan {
  let plan = plans.get(bundle);
  if (plan === undefined) {
    plan = makePlan(bundle);
    plans.set(bundle, plan);
  }
  return plan;
}

function makePlan(bundle: PolicyBundle): ActionPlan {
  const defaultApproval = plannedApproval(bundle.defaults.approval);
  return {
    defaultApprovalRules: [{ approval: defaultApproval, id: '(bundle default)' }],
    policies: bundle.actionPolicies.map((policy) => ({
      policy,
      rules: policy.rules.map((rule) => ({
        rule,
        rank: effectRank[rule.effect],
        matched: rule.message ?? `rule ${rule.name} matched: ${rule.effect}`,
        id: `${policy.name}/${rule.name}`,
        approval:
          rule.effect === 'require_approval'
            ? rule.approval
              ? plannedApproval(rule.approval)
              : defaultApproval
            : undefined,
      })),
    })),
  };
}

export function plannedApproval(requirement: ApprovalRequirement): PlannedApproval {
  const from = [...requirement.from].sort();
  return { requirement, from, key: `${requirement.count}|${from.join(',')}` };
}
