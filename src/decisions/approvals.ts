import { userRef } from '../identity/actor-ref.js';
import { foldUserName } from '../identity/names.js';

/**
 * Separation of duties, as pure functions: who may approve a pending decision, and whether the
 * approvals so far meet every requirement. Each requirement needs `count` distinct approvers,
 * and each of its `from` selectors satisfied by a different approver.
 */

export interface Requirement {
  count: number;
  from: readonly string[];
  ttl: string;
  rules?: readonly string[];
  /** Step-up: the approver's sign-in must be multi-factor. */
  assurance?: 'mfa';
  /** Step-up: the approver signed in at most this long ago (a duration such as 15m). */
  maxAuthAge?: string;
}

/** A human's vote on a decision. */
export interface Vote {
  approver: string;
  groups: readonly string[];
  verdict: 'approve' | 'reject';
}

export interface RequirementProgress {
  count: number;
  from: string[];
  ttl: string;
  met: boolean;
  /** Approvers who count towards this requirement. */
  approvers: string[];
  /** Selectors not yet covered by a distinct approver. */
  missing: string[];
  assurance?: 'mfa';
  maxAuthAge?: string;
}

/** True when `approver` with `groups` satisfies `selector` (`owner`, `group:X`, `user:Y`). */
export function selectorMatches(
  selector: string,
  approver: string,
  groups: readonly string[],
  ownerTeam: string | undefined,
): boolean {
  if (selector === 'owner') return ownerTeam !== undefined && groups.includes(ownerTeam);
  if (selector.startsWith('group:')) return groups.includes(selector.slice('group:'.length));
  // Approvers are typed (`user:alice`); the selector's name is compared in its normal form.
  if (selector.startsWith('user:')) return approver === userRef(foldUserName(selector.slice('user:'.length)));
  return false;
}

/** Whether a person counts towards a requirement at all. */
export function isEligible(
  requirement: Requirement,
  vote: Pick<Vote, 'approver' | 'groups'>,
  ownerTeam: string | undefined,
): boolean {
  return (
    requirement.from.length === 0 ||
    requirement.from.some((selector) => selectorMatches(selector, vote.approver, vote.groups, ownerTeam))
  );
}

/**
 * Maximum matching of selectors to distinct approvers (augmenting paths; both sides are tiny).
 * Returns, for each selector index, the approver index assigned or -1.
 */
function matchSelectors(
  selectors: readonly string[],
  voters: readonly Vote[],
  ownerTeam: string | undefined,
): number[] {
  const assignedVoter = new Array<number>(voters.length).fill(-1);
  const assignment = new Array<number>(selectors.length).fill(-1);
  const tryAssign = (s: number, seen: boolean[]): boolean => {
    for (let v = 0; v < voters.length; v++) {
      if (seen[v] || !selectorMatches(selectors[s]!, voters[v]!.approver, voters[v]!.groups, ownerTeam))
        continue;
      seen[v] = true;
      if (assignedVoter[v] === -1 || tryAssign(assignedVoter[v]!, seen)) {
        assignedVoter[v] = s;
        assignment[s] = v;
        return true;
      }
    }
    return false;
  };
  for (let s = 0; s < selectors.length; s++) tryAssign(s, new Array<boolean>(voters.length).fill(false));
  return assignment;
}

/** Progress of one requirement given the approving votes. */
export function requirementProgress(
  requirement: Requirement,
  votes: readonly Vote[],
  ownerTeam: string | undefined,
): RequirementProgress {
  const approving = votes.filter(
    (vote) => vote.verdict === 'approve' && isEligible(requirement, vote, ownerTeam),
  );
  const assignment = matchSelectors(requirement.from, approving, ownerTeam);
  const missing = requirement.from.filter((_, i) => assignment[i] === -1);
  return {
    count: requirement.count,
    from: [...requirement.from],
    ttl: requirement.ttl,
    met: approving.length >= requirement.count && missing.length === 0,
    approvers: approving.map((vote) => vote.approver),
    missing,
    ...(requirement.assurance ? { assurance: requirement.assurance } : {}),
    ...(requirement.maxAuthAge !== undefined ? { maxAuthAge: requirement.maxAuthAge } : {}),
  };
}

/** Progress of every requirement; the decision is approved when all are met. */
export function approvalProgress(
  requirements: readonly Requirement[],
  votes: readonly Vote[],
  ownerTeam: string | undefined,
): { met: boolean; requirements: RequirementProgress[] } {
  const progress = requirements.map((requirement) => requirementProgress(requirement, votes, ownerTeam));
  return { met: progress.every((p) => p.met), requirements: progress };
}

/** Why a person may not vote on a decision, or undefined when they may. */
export function voteRefusal(
  vote: Pick<Vote, 'approver' | 'groups'>,
  context: {
    requester: string;
    requirements: readonly Requirement[];
    previousVoters: readonly string[];
    ownerTeam: string | undefined;
    /** The person the requesting agent acts for (a coding agent's user): not an approver of it either. */
    onBehalfOf?: string | undefined;
  },
): { code: 'self' | 'duplicate' | 'not-eligible'; message: string } | undefined {
  if (vote.approver === context.requester)
    return { code: 'self', message: 'the requester may not approve or reject their own request' };
  if (context.onBehalfOf !== undefined && vote.approver === context.onBehalfOf)
    return {
      code: 'self',
      message: `the agent asked on behalf of ${vote.approver}, who may not approve or reject its request`,
    };
  if (context.previousVoters.includes(vote.approver))
    return { code: 'duplicate', message: `${vote.approver} has already voted on this decision` };
  if (!context.requirements.some((requirement) => isEligible(requirement, vote, context.ownerTeam))) {
    const wanted = [...new Set(context.requirements.flatMap((requirement) => requirement.from))].join(', ');
    return {
      code: 'not-eligible',
      message: `${vote.approver} is not among the approvers this decision needs (${wanted})`,
    };
  }
  return undefined;
}
