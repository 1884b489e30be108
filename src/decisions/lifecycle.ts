import type { JsonObject, JsonValue } from '../core/json.js';
import { ownCopy } from '../core/own-copy.js';
import { systemRef, userRef } from '../identity/actor-ref.js';
import type { Actor, Verdict } from '../policy/evaluate-action.js';
import type { ActionRequest } from '../policy/request.js';
import type { SystemRow } from '../registry/records.js';
import { approvalProgress, type Requirement, type Vote } from './approvals.js';
import { recordedReason, recordedRequest, recordedVerdict } from './recorded-request.js';
import type { ActivityDelta, DecisionRow, DecisionStatus, OutcomeStatus } from './records.js';
import { requirementsOf, statusOfEffect } from './verdicts.js';

/**
 * The decision lifecycle as pure functions (docs/decisions.md): request → allowed | pending |
 * denied; pending → approvals → allowed, or rejection / expiry → denied, or withdrawal →
 * withdrawn; allowed → started (claimed once, within its execution window) → outcome, or
 * freeze → revoked, window passed → expired, withdrawal → withdrawn. Each step returns what the
 * service writes — the row, the ledger entry's data, the activity counters — and the service
 * writes them together in one transaction.
 */

/** The execution window of a verdict that names none (stored before windows existed): 15 minutes. */
export const defaultExecutionWindowMs = 15 * 60_000;

/** When a decision allowed at `at` under `verdict` stops being startable. */
export function executionDeadline(verdict: Pick<Verdict, 'executionWindow'>, at: Date): string {
  return new Date(
    at.getTime() + (verdict.executionWindow?.windowMs ?? defaultExecutionWindowMs),
  ).toISOString();
}

/** A decision about to be recorded: who asked, for what, and what was decided. */
export interface NewDecision {
  id: string;
  /** The requester's typed identity (`system:ID`, `user:NAME`). */
  actor: string;
  /** The requester's System (undefined for a human). */
  system: SystemRow | undefined;
  request: ActionRequest;
  requestHash: string;
  /** `canonicalJson(request)` when the caller has it (it hashed the request): not serialised again. */
  requestJson?: string;
  idempotencyKey?: string;
  verdict: Verdict;
  /** Why the status is not simply the verdict's (frozen, no policies). */
  statusReason: string | undefined;
  now: Date;
}

/**
 * What policies see as `actor` before hooks add to it: the System's spec, or the human and their
 * groups. `actor.id` is the bare name policies have always read; `actor.ref` the typed identity.
 */
export function baseActor(system: SystemRow | undefined, human: { name: string; groups: string[] }): Actor {
  if (!system) return { id: human.name, ref: userRef(human.name), kind: 'human', groups: human.groups };
  // The object `{ ...system.spec, id, ref, kind, status }` would make, keys in the same order. Built
  // key by key: V8 took ~3 µs per decision for that literal (a spread of the spec followed by more
  // keys, one of which the spec has), ~0.15 µs this way.
  const actor = ownCopy(system.spec as Record<string, unknown>) as Actor;
  actor.id = system.id;
  actor.ref = systemRef(system.id);
  actor.kind = system.kind;
  actor.status = system.status;
  return actor;
}

/**
 * The data of a new decision's `decision.created` ledger entry, and its personal values: the
 * entry keeps the request's digest, identifying fields and the facts the policy read
 * (recorded-request.ts); the verbatim request is the erasable personal value `request`.
 */
export function createdEntry(decision: NewDecision): {
  data: JsonObject;
  personal: Record<string, JsonValue>;
} {
  const { request, verdict, statusReason } = decision;
  // Added to the fresh object recordedRequest returns, in the order the entry always had: a literal
  // spreading it first and adding these cost V8 ~5 µs per decision, this ~0.2 µs.
  const data = recordedRequest(request, verdict, decision.requestJson);
  data.requestHash = decision.requestHash;
  data.status = statusOfEffect[verdict.effect];
  data.effect = verdict.effect;
  data.reasons = verdict.reasons.map(recordedReason);
  data.approvalsRequired = requirementsOf(verdict);
  data.bundle = verdict.bundle;
  if (statusReason) data.statusReason = statusReason;
  return { data, personal: { request: request as unknown as JsonObject } };
}

/**
 * The row of a new decision whose `decision.created` entry is `ledgerIndex`. A pending decision
 * expires when the shortest approval ttl of its requirements runs out.
 */
export function newDecisionRow(decision: NewDecision, ledgerIndex: number): DecisionRow {
  const { request, verdict, statusReason, system, idempotencyKey, now } = decision;
  const status = statusOfEffect[verdict.effect];
  // Built key by key in the order the literal with conditional spreads had (V8 built that literal
  // slowly, see ownCopy): the optional keys are absent, not undefined, when they do not apply.
  const row = {
    id: decision.id,
    actorId: decision.actor,
    actorKind: system ? system.kind : 'human',
  } as DecisionRow;
  if (system) row.systemId = system.id;
  row.action = request.action;
  row.resourceType = request.resource.type;
  row.resourceId = request.resource.id;
  if (request.resource.environment) row.environment = request.resource.environment;
  row.request = request as unknown as JsonObject;
  row.requestHash = decision.requestHash;
  if (idempotencyKey) row.idempotencyKey = idempotencyKey;
  row.status = status;
  row.effect = verdict.effect;
  // Explanation facts as the ledger keeps them, so erasing the request leaves no copy here.
  // Plain JSON already (recording refuses anything else), and shared with the entry's facts.
  row.verdict = recordedVerdict(verdict) as unknown as JsonObject;
  row.requirements = requirementsOf(verdict);
  row.bundle = verdict.bundle;
  if (statusReason) row.statusReason = statusReason;
  row.createdAt = now.toISOString();
  row.updatedAt = row.createdAt;
  if (status === 'pending') {
    const ttl = Math.min(...verdict.approvals.map((approval) => approval.ttlMs));
    row.expiresAt = new Date(now.getTime() + ttl).toISOString();
  } else if (status === 'allowed') row.expiresAt = executionDeadline(verdict, now);
  row.ledgerIndex = ledgerIndex;
  return row;
}

/** The actor's activity bucket a decision counts in: its action in its environment (`''` when none). */
function activityOf(decision: Pick<DecisionRow, 'actorId' | 'action' | 'environment'>, at: Date) {
  return {
    actorId: decision.actorId,
    action: decision.action,
    environment: decision.environment ?? '',
    at,
  };
}

/** What a new decision adds to its actor's activity: one decision, allowed or denied when it is. */
export function createdActivity(row: DecisionRow, at: Date): ActivityDelta {
  // Keys added to the fresh bucket rather than a literal spreading it (see ownCopy).
  const delta: ActivityDelta = activityOf(row, at);
  delta.decisions = 1;
  if (row.status === 'allowed') delta.allowed = 1;
  if (row.status === 'denied') delta.denied = 1;
  return delta;
}

/** A decision's move to a new status: the status, why, who, and the ledger entry. */
export interface Transition {
  status: Exclude<DecisionStatus, 'pending'>;
  /** The decision's new status reason. */
  reason: string;
  /** The actor id the ledger entry names. */
  by: string;
  /** The ledger entry's data. */
  data: JsonObject;
  /** Agent-supplied text the entry commits to but keeps erasable (personal data), never verbatim. */
  personal?: Record<string, JsonValue>;
  /** The new end of the decision's window (an approval opens the execution window). */
  expiresAt?: string;
}

/** The ledger entry type that records a transition: `decision.<status>`. */
export function transitionEntryType(status: Transition['status']): `decision.${Transition['status']}` {
  return `decision.${status}`;
}

/** What a transition adds to the decision's actor's activity: one allowed or one denied, else nothing. */
export function transitionActivity(
  decision: Pick<DecisionRow, 'actorId' | 'action' | 'environment'>,
  status: Transition['status'],
  at: Date,
): ActivityDelta {
  return {
    ...activityOf(decision, at),
    ...(status === 'allowed' ? { allowed: 1 } : status === 'denied' ? { denied: 1 } : {}),
  };
}

/** True when a decision's window (approval window when pending, execution window when allowed) has closed at `now`. */
export function isExpired(decision: Pick<DecisionRow, 'expiresAt'>, now: Date): boolean {
  return !!decision.expiresAt && decision.expiresAt <= now.toISOString();
}

/** True when an allowed decision was not started within its execution window. */
export function isLapsed(
  decision: Pick<DecisionRow, 'status' | 'outcome' | 'expiresAt'>,
  now: Date,
): boolean {
  return decision.status === 'allowed' && !decision.outcome && isExpired(decision, now);
}

/** The transition of an allowed decision that was not started within its execution window. */
export function lapseTransition(decision: Pick<DecisionRow, 'expiresAt'>): Transition {
  return {
    status: 'expired',
    reason: 'not started within its execution window',
    by: 'arbiter',
    data: { reason: 'execution-window', expiresAt: decision.expiresAt! },
  };
}

/** The transition of an allowed decision its requester claims as it starts acting. */
export function startTransition(by: string, detail?: { implicit: 'outcome' }): Transition {
  return {
    status: 'started',
    reason: detail ? `started (outcome reported by ${by})` : `started by ${by}`,
    by,
    data: detail ? { reason: 'outcome-reported' } : { reason: 'claimed' },
  };
}

/** The transition of an allowed, not started decision stopped by a freeze of its System. */
export function revokeTransition(freezeReason: string, by: string): Transition {
  return {
    status: 'revoked',
    reason: `revoked: frozen: ${freezeReason}`,
    by,
    data: { reason: 'frozen', detail: freezeReason },
  };
}

/** The transition of a decision its requester gave up on (an abandoned proxied call). */
export function withdrawTransition(by: string, why: string): Transition {
  // Why is the agent's own text: the permanent entry keeps its size, the text stays erasable.
  return {
    status: 'withdrawn',
    reason: `withdrawn: ${why}`,
    by,
    data: { reason: 'withdrawn', detailSize: new TextEncoder().encode(why).length },
    personal: { detail: why },
  };
}

/** The transition of a pending decision whose approval window closed. */
export function expiryTransition(decision: Pick<DecisionRow, 'expiresAt'>): Transition {
  return {
    status: 'denied',
    reason: 'expired',
    by: 'arbiter',
    data: { reason: 'expired', expiresAt: decision.expiresAt! },
  };
}

/**
 * What a recorded vote does to a pending decision: a rejection denies it, an approval that meets
 * every requirement allows it, anything else leaves it pending (undefined). `votes` includes the
 * new vote.
 */
export function voteTransition(
  requirements: readonly Requirement[],
  votes: readonly Vote[],
  vote: Pick<Vote, 'approver' | 'verdict'>,
  context: { ownerTeam: string | undefined; verdict: Pick<Verdict, 'executionWindow'>; now: Date },
): Transition | undefined {
  const { ownerTeam } = context;
  if (vote.verdict === 'reject')
    return {
      status: 'denied',
      reason: `rejected by ${vote.approver}`,
      by: vote.approver,
      data: { reason: 'rejected', by: vote.approver },
    };
  if (!approvalProgress(requirements, votes, ownerTeam).met) return undefined;
  // The execution window opens at the approval, not at the request; the entry records its end so
  // a database writer cannot widen it unnoticed (decisions/ledger-state.ts).
  const expiresAt = executionDeadline(context.verdict, context.now);
  return {
    status: 'allowed',
    reason: 'approved',
    by: vote.approver,
    data: {
      reason: 'approved',
      approvers: votes.filter((v) => v.verdict === 'approve').map((v) => v.approver),
      expiresAt,
    },
    expiresAt,
  };
}

/** What an outcome adds to the decision's actor's activity: one succeeded, failed or rolled back. */
export function outcomeActivity(
  decision: Pick<DecisionRow, 'actorId' | 'action' | 'environment'>,
  status: OutcomeStatus,
  at: Date,
): ActivityDelta {
  return {
    ...activityOf(decision, at),
    ...(status === 'succeeded' ? { succeeded: 1 } : status === 'failed' ? { failed: 1 } : { rolledBack: 1 }),
  };
}
