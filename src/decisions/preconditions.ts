import { parseDuration } from '../core/duration.js';
import { ArbiterError } from '../core/errors.js';
import { sameActor } from '../identity/actor-ref.js';
import { actorRef, type Principal } from '../identity/principal.js';
import { combinedDemand, stepUpPath, stepUpShortfall } from '../identity/sign-in.js';
import type { ActionRequest } from '../policy/request.js';
import type { SystemRow } from '../registry/records.js';
import { isEligible, type Requirement, voteRefusal } from './approvals.js';
import type { DecisionRow } from './records.js';
import { requestHash } from './request-hash.js';

/**
 * What must hold before each step of the decision lifecycle, as checks that throw the error the
 * API answers with: who may ask, repeat, see, vote on and report the outcome of a decision.
 */

/** Agents must be registered (`system`) and must say why; humans need neither. */
export function assertRequester(
  principal: Principal,
  system: SystemRow | undefined,
  request: Pick<ActionRequest, 'rationale'>,
): void {
  if (principal.role === 'agent' && !system) {
    throw new ArbiterError(
      'ARB_ERR_SYSTEM_UNKNOWN',
      `this agent token is bound to System ${principal.systemId}, which is not registered`,
    );
  }
  if (principal.role === 'agent' && !request.rationale?.trim()) {
    throw new ArbiterError('ARB_ERR_RATIONALE_REQUIRED', 'agents must say why: give a rationale');
  }
}

/** A repeated idempotency key must come with the same request; returns the existing decision. */
export function assertSameRequest(existing: DecisionRow, hash: string, key: string): DecisionRow {
  if (existing.requestHash !== hash) {
    throw new ArbiterError(
      'ARB_ERR_IDEMPOTENCY_CONFLICT',
      `idempotency key ${key} was used for a different request (decision ${existing.id})`,
      {
        details: { decision: existing.id },
      },
    );
  }
  return existing;
}

/** Agents see only their own decisions; every other role sees all. */
export function maySeeDecision(principal: Principal, decision: Pick<DecisionRow, 'actorId'>): boolean {
  return principal.role !== 'agent' || decision.actorId === actorRef(principal);
}

/**
 * A vote is on a pending decision, and — when the approver names the request hash they saw — on
 * exactly that request.
 */
export function assertVotable(
  decision: Pick<DecisionRow, 'id' | 'status' | 'statusReason' | 'requestHash'>,
  seenRequestHash: string | undefined,
): void {
  const id = decision.id;
  if (decision.status !== 'pending') {
    throw new ArbiterError(
      'ARB_ERR_DECISION_NOT_PENDING',
      `decision ${id} is ${decision.status}${decision.statusReason ? ` (${decision.statusReason})` : ''}`,
      {
        details: { status: decision.status },
      },
    );
  }
  if (seenRequestHash !== undefined && seenRequestHash !== decision.requestHash) {
    throw new ArbiterError(
      'ARB_ERR_APPROVAL_HASH_MISMATCH',
      `the approval is for request ${seenRequestHash}, but decision ${id} is request ${decision.requestHash}`,
      { details: { reason: 'other-request' } },
    );
  }
}

/**
 * Refuses a vote on a request that is not the one recorded: the stored request must still hash
 * to the decision's request hash, and that hash must be the one the ledger's `decision.created`
 * entry holds (`createdEntry`: that entry's bytes, undefined when it cannot be read). A row
 * altered in the database after the fact is never approved.
 */
export function assertRecordedRequest(decision: DecisionRow, createdEntry: Uint8Array | undefined): void {
  const entry = createdEntry
    ? (JSON.parse(Buffer.from(createdEntry).toString('utf8')) as {
        actor?: unknown;
        subject?: string;
        data?: { requestHash?: unknown };
      })
    : undefined;
  const recorded = entry?.subject === decision.id ? entry.data?.requestHash : undefined;
  // The hash covers the actor as the entry names it: typed, or the bare name of an older entry.
  const entryActor = typeof entry?.actor === 'string' ? entry.actor : undefined;
  if (
    entryActor === undefined ||
    !sameActor(entryActor, decision.actorId) ||
    requestHash(entryActor, decision.request) !== decision.requestHash ||
    recorded !== decision.requestHash
  ) {
    throw new ArbiterError(
      'ARB_ERR_APPROVAL_HASH_MISMATCH',
      `decision ${decision.id}'s stored request does not match the request recorded in the ledger: it was altered after it was made, and cannot be approved`,
      { details: { reason: 'request-altered' } },
    );
  }
}

const voteRefusalCodes = {
  self: 'ARB_ERR_APPROVAL_SELF',
  duplicate: 'ARB_ERR_APPROVAL_DUPLICATE',
  'not-eligible': 'ARB_ERR_APPROVAL_NOT_ELIGIBLE',
} as const;

/** Separation of duties (approvals.ts): the requester never approves, nobody votes twice, only eligible people vote. */
export function assertMayVote(
  approver: { approver: string; groups: readonly string[] },
  context: {
    requester: string;
    requirements: readonly Requirement[];
    previousVoters: readonly string[];
    ownerTeam: string | undefined;
    onBehalfOf?: string | undefined;
  },
): void {
  const refusal = voteRefusal(approver, context);
  if (refusal) throw new ArbiterError(voteRefusalCodes[refusal.code], refusal.message);
}

/**
 * Step-up (docs/identity.md#step-up): the requirements this approver counts towards may ask for a
 * multi-factor or recent sign-in; a session that falls short — or a bearer token — is refused with
 * ARB_ERR_APPROVAL_STEP_UP naming the sign-in link that meets it. Requires `requirements` as the
 * ledger records them (`maxAuthAge` a duration text).
 */
export function assertStepUp(
  principal: Pick<Principal, 'groups' | 'auth'> & { approver: string },
  context: {
    decisionId: string;
    requirements: readonly Requirement[];
    ownerTeam: string | undefined;
    nowMs: number;
    mfaAcrValues: readonly string[];
  },
): void {
  const mine = context.requirements.filter((requirement) =>
    isEligible(requirement, { approver: principal.approver, groups: principal.groups }, context.ownerTeam),
  );
  const demand = combinedDemand(
    mine.map((requirement) => ({
      ...(requirement.assurance ? { assurance: requirement.assurance } : {}),
      ...(requirement.maxAuthAge !== undefined
        ? // An unreadable recorded age demands a sign-in this instant rather than none.
          { maxAuthAgeMs: parseDuration(requirement.maxAuthAge) ?? 0 }
        : {}),
    })),
  );
  const shortfall = stepUpShortfall(demand, principal.auth, context);
  if (!shortfall) return;
  const stepUp = stepUpPath(`/decisions/${context.decisionId}`, demand);
  throw new ArbiterError(
    'ARB_ERR_APPROVAL_STEP_UP',
    `${shortfall.message}: sign in again at ${stepUp}, then vote again`,
    {
      details: {
        reason: shortfall.reason,
        stepUp,
        mfa: demand.mfa,
        ...(demand.maxAuthAgeMs !== undefined ? { maxAuthAgeMs: demand.maxAuthAgeMs } : {}),
      },
    },
  );
}

/**
 * Only the requester reports the outcome of its decision (agents cannot even see others'), once,
 * and only of an allowed decision. Returns the decision.
 */
export function assertOutcomeReportable(
  principal: Principal,
  id: string,
  decision: DecisionRow | undefined,
): DecisionRow {
  const reporter = actorRef(principal);
  if (!decision || (principal.role === 'agent' && decision.actorId !== reporter))
    throw new ArbiterError('ARB_ERR_NOT_FOUND', `no decision ${id}`);
  if (decision.actorId !== reporter)
    throw new ArbiterError('ARB_ERR_FORBIDDEN', 'only the requester reports the outcome of its decision');
  if ((decision.status !== 'allowed' && decision.status !== 'started') || decision.outcome) {
    throw new ArbiterError(
      'ARB_ERR_OUTCOME_NOT_ALLOWED',
      decision.outcome
        ? `the outcome of ${id} was already reported (${decision.outcome.status})`
        : `decision ${id} is ${decision.status}${decision.statusReason ? ` (${decision.statusReason})` : ''}, not allowed`,
      { details: { status: decision.status } },
    );
  }
  return decision;
}

/**
 * The requester's own decision, for the requester's own steps (start, withdraw): another actor
 * — another System's token, a person who did not ask — is refused with 403.
 */
export function assertRequesterOf(
  principal: Principal,
  id: string,
  decision: DecisionRow | undefined,
): DecisionRow {
  if (!decision) throw new ArbiterError('ARB_ERR_NOT_FOUND', `no decision ${id}`);
  if (decision.actorId !== actorRef(principal))
    throw new ArbiterError(
      'ARB_ERR_FORBIDDEN',
      `only ${decision.actorId}, which asked, may act on decision ${id}`,
    );
  return decision;
}

/**
 * An allowed decision is started once, by its requester, before its execution window closes
 * (`lapsed`: the caller judged the window by its clock). A decision already started, or whose
 * outcome was reported, is never started again.
 */
export function assertStartable(decision: DecisionRow, lapsed: boolean): void {
  const id = decision.id;
  if (decision.status === 'started' || decision.outcome) {
    throw new ArbiterError(
      'ARB_ERR_DECISION_ALREADY_STARTED',
      decision.outcome
        ? `decision ${id} already ran: its outcome was reported (${decision.outcome.status}); ask for a new decision`
        : `decision ${id} was already started (${decision.statusReason ?? 'started'}); an allowed decision runs once`,
      {
        details: {
          status: decision.status,
          ...(decision.outcome ? { outcome: decision.outcome.status } : {}),
        },
      },
    );
  }
  if (decision.status !== 'allowed' || lapsed) {
    const status = lapsed ? 'expired' : decision.status;
    throw new ArbiterError(
      'ARB_ERR_DECISION_NOT_STARTABLE',
      lapsed
        ? `decision ${id} was not started within its execution window (it closed at ${decision.expiresAt}); ask for a new decision`
        : `decision ${id} is ${decision.status}${decision.statusReason ? ` (${decision.statusReason})` : ''}: only an allowed decision can be started`,
      { details: { status } },
    );
  }
}

/** Only a pending decision, or an allowed one not yet started, can be withdrawn. */
export function assertWithdrawable(decision: DecisionRow): void {
  if (decision.status === 'pending' || (decision.status === 'allowed' && !decision.outcome)) return;
  throw new ArbiterError(
    'ARB_ERR_DECISION_NOT_WITHDRAWABLE',
    `decision ${decision.id} is ${decision.status}${decision.statusReason ? ` (${decision.statusReason})` : ''}: only a pending, or an allowed but not started, decision can be withdrawn`,
    { details: { status: decision.status } },
  );
}
