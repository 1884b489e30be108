import type { JsonObject } from '../core/json.js';
import type { Reason, Verdict } from '../policy/evaluate-action.js';
import type { SystemRow } from '../registry/records.js';
import type { DecisionStatus } from './records.js';

/**
 * Verdicts as the decision lifecycle reads them: which status an effect leads to, what a
 * decision keeps of its approval requirements, and the denials Arbiter makes itself before any
 * policy runs (a frozen System, a server without policies).
 */

/** The status a new decision takes from its verdict's effect. */
export const statusOfEffect: Readonly<Record<Verdict['effect'], DecisionStatus>> = {
  allow: 'allowed',
  require_approval: 'pending',
  deny: 'denied',
};

/** The approval requirements a decision keeps: what must be met, and which rules asked. */
export function requirementsOf(verdict: Verdict): JsonObject[] {
  // Step-up fields only when set: decisions recorded before step-up existed keep their bytes.
  return verdict.approvals.map(({ count, from, ttl, rules, assurance, maxAuthAge }) => ({
    count,
    from,
    ttl,
    rules,
    ...(assurance ? { assurance } : {}),
    ...(maxAuthAge !== undefined ? { maxAuthAge } : {}),
  }));
}

/** The status reason of every decision made while no governance directory is loaded. */
export const noPoliciesReason =
  'no policies: the server was started without a policy directory, so every request is denied';

/** A denial Arbiter itself makes before any policy runs: one reason, nothing else evaluated. */
function refusalVerdict(reason: Omit<Reason, 'effect'>, bundle: string): Verdict {
  return {
    effect: 'deny',
    reasons: [{ ...reason, effect: 'deny' }],
    notFired: [],
    approvals: [],
    shadow: [],
    shadowEffect: 'deny',
    defaulted: false,
    policies: [],
    bundle,
  };
}

/** The verdict when no governance directory is loaded: denied, and saying why. */
export function noPoliciesVerdict(bundle: string): Verdict {
  return refusalVerdict(
    {
      policy: '(server)',
      rule: 'no-policies',
      message: `${noPoliciesReason}; start arbiter serve with --policies DIR`,
      facts: {},
    },
    bundle,
  );
}

/** The status reason of a decision denied because its System is frozen. */
export function frozenReason(system: Pick<SystemRow, 'statusReason'>): string {
  return `frozen: ${system.statusReason ?? 'kill switch'}`;
}

/** The verdict for a frozen System: denied before any policy runs. */
export function frozenVerdict(system: Pick<SystemRow, 'id' | 'statusReason'>, bundle: string): Verdict {
  return refusalVerdict(
    {
      policy: '(registry)',
      rule: 'frozen',
      message: `System ${system.id} is frozen${system.statusReason ? `: ${system.statusReason}` : ''}`,
      facts: { 'actor.status': 'frozen' },
    },
    bundle,
  );
}
