/**
 * Whether the signed-in person may vote on a pending decision, by the rules the server enforces
 * (src/decisions/approvals.ts): never an agent, an auditor or the requester, once per person, and
 * only when they match a selector of some requirement (`owner`, `group:X`, `user:Y`; a requirement
 * without selectors takes anyone). The server still decides; this only hides buttons that would fail.
 */

import { foldUserName } from '../../../src/identity/names.js';

export interface Voter {
  id: string;
  /** The typed identity the server compares: `user:NAME`. */
  ref: string;
  role: 'agent' | 'approver' | 'auditor' | 'admin';
  groups: readonly string[];
}

export interface PendingDecision {
  actor: { ref: string };
  /** The recorded request: `context.onBehalfOf` names the person a coding agent acts for. */
  request?: { context?: { [field: string]: unknown } };
  approvals: {
    required: readonly { from: readonly string[]; met: boolean }[];
    received: readonly { approver: string }[];
  };
}

export type VoteEligibility =
  | { canVote: true; selectors: string[] }
  | { canVote: false; reason: 'role' | 'self' | 'duplicate' | 'not-eligible'; message: string };

/** True when `voter` satisfies `selector`; `owner` means a member of the System's owner team. */
export function matchesSelector(selector: string, voter: Voter, ownerTeam: string | undefined): boolean {
  if (selector === 'owner') return ownerTeam !== undefined && voter.groups.includes(ownerTeam);
  if (selector.startsWith('group:')) return voter.groups.includes(selector.slice('group:'.length));
  // Names are compared in their normal form, as the server does (src/identity/names.ts).
  if (selector.startsWith('user:'))
    return voter.ref === `user:${foldUserName(selector.slice('user:'.length))}`;
  return false;
}

export function voteEligibility(
  voter: Voter,
  decision: PendingDecision,
  ownerTeam: string | undefined,
): VoteEligibility {
  if (voter.role !== 'approver' && voter.role !== 'admin')
    return { canVote: false, reason: 'role', message: `${voter.role}s do not vote` };
  if (voter.ref === decision.actor.ref)
    return { canVote: false, reason: 'self', message: 'you requested this; someone else must approve it' };
  if (voter.ref === decision.request?.context?.onBehalfOf)
    return {
      canVote: false,
      reason: 'self',
      message: 'your agent asked for this; someone else must approve it',
    };
  if (decision.approvals.received.some((vote) => vote.approver === voter.ref))
    return { canVote: false, reason: 'duplicate', message: 'you have voted on this decision' };
  const requirements = decision.approvals.required;
  const eligible = requirements.some(
    (requirement) =>
      requirement.from.length === 0 ||
      requirement.from.some((selector) => matchesSelector(selector, voter, ownerTeam)),
  );
  if (!eligible) {
    const wanted = [...new Set(requirements.flatMap((requirement) => requirement.from))].join(', ');
    return { canVote: false, reason: 'not-eligible', message: `needs approvers from ${wanted}` };
  }
  const selectors = [
    ...new Set(
      requirements.flatMap((requirement) =>
        requirement.from.filter((selector) => matchesSelector(selector, voter, ownerTeam)),
      ),
    ),
  ];
  return { canVote: true, selectors };
}
