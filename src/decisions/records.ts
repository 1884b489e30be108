import type { JsonObject } from '../core/json.js';

/**
 * Decisions, approvals and actors' activity as the stores keep them, and the ports that read and
 * write them (implemented by `store/`). Times are ISO 8601 UTC strings (`Date#toISOString`),
 * which sort correctly as text.
 */

/**
 * `started`: an allowed decision the requester claimed (it runs once); `revoked`: allowed but
 * stopped by a freeze before it started; `withdrawn`: given up by the requester (an abandoned
 * proxied call) before it was approved or started; `expired`: allowed but not started within its
 * execution window. A pending decision whose approval window closes is `denied` (reason expired).
 */
export const decisionStatuses = [
  'allowed',
  'pending',
  'denied',
  'started',
  'revoked',
  'withdrawn',
  'expired',
] as const;
export type DecisionStatus = (typeof decisionStatuses)[number];
export const outcomeStatuses = ['succeeded', 'failed', 'rolled_back'] as const;
export type OutcomeStatus = (typeof outcomeStatuses)[number];

export interface DecisionRow {
  id: string;
  actorId: string;
  actorKind: 'agent' | 'model' | 'human';
  systemId?: string;
  action: string;
  resourceType: string;
  resourceId: string;
  environment?: string;
  /** The request exactly as submitted (without the idempotency key). */
  request: JsonObject;
  requestHash: string;
  idempotencyKey?: string;
  status: DecisionStatus;
  effect: 'allow' | 'require_approval' | 'deny';
  /** The policy verdict with its explanation (reasons, notFired, shadow, …). */
  verdict: JsonObject;
  /** Approval requirements, all of which must be met (from the verdict). */
  requirements: JsonObject[];
  bundle: string;
  /** Why the status is what it is when not the verdict's: frozen, rejected, expired, approved. */
  statusReason?: string;
  createdAt: string;
  updatedAt: string;
  /** Pending: when the approval window closes. Allowed: when the execution window closes. */
  expiresAt?: string;
  ledgerIndex: number;
  outcome?: { status: OutcomeStatus; detail?: string; at: string; ledgerIndex: number };
}

export interface ApprovalRow {
  decisionId: string;
  approver: string;
  groups: string[];
  verdict: 'approve' | 'reject';
  reason?: string;
  requestHash: string;
  createdAt: string;
  ledgerIndex: number;
}

export interface DecisionFilter {
  status?: DecisionStatus;
  systemId?: string;
  actorId?: string;
  action?: string;
  environment?: string;
  since?: string;
  /** Page after this decision (created earlier than it). */
  before?: { createdAt: string; id: string };
  limit: number;
}

/** Counters of one actor's activity, per action and environment, in time buckets. */
export interface ActivityCounts {
  decisions: number;
  allowed: number;
  denied: number;
  succeeded: number;
  failed: number;
  rolledBack: number;
}

export interface ActivityRow extends ActivityCounts {
  action: string;
  environment: string;
}

export type ActivityDelta = Partial<ActivityCounts> & {
  actorId: string;
  action: string;
  environment: string;
  at: Date;
};

export interface FailureRow {
  action: string;
  environment: string;
  lastFailedAt: string;
}

export interface DecisionReads {
  getDecision(id: string): Promise<DecisionRow | undefined>;
  decisionByIdempotencyKey(actorId: string, key: string): Promise<DecisionRow | undefined>;
  listDecisions(filter: DecisionFilter): Promise<DecisionRow[]>;
  /** Pending decisions whose approval window closed at or before `time`. */
  expiredPending(time: string, limit: number): Promise<DecisionRow[]>;
  pendingOfSystem(systemId: string): Promise<DecisionRow[]>;
  /** Allowed decisions of a System that were not started and have no outcome. */
  unstartedOfSystem(systemId: string): Promise<DecisionRow[]>;
  /** Allowed, not started decisions whose execution window closed at or before `time`. */
  lapsedAllowed(time: string, limit: number): Promise<DecisionRow[]>;
  countPending(): Promise<number>;
  approvalsOf(decisionId: string): Promise<ApprovalRow[]>;
  /** Activity of an actor: minute buckets since `sinceMinute`, hour buckets since `sinceHour` (bucket = epoch minutes / hours). */
  activity(
    actorId: string,
    sinceMinute: number,
    sinceHour: number,
  ): Promise<{ lastHour: ActivityRow[]; lastDay: ActivityRow[] }>;
  failures(actorId: string): Promise<FailureRow[]>;
}

export interface DecisionWrites {
  insertDecision(row: DecisionRow): Promise<void>;
  /** Sets the status; `expiresAt`, when given, replaces the decision's window end. */
  updateDecisionStatus(
    id: string,
    status: DecisionStatus,
    reason: string,
    at: string,
    expiresAt?: string,
  ): Promise<void>;
  setOutcome(id: string, outcome: NonNullable<DecisionRow['outcome']>): Promise<void>;
  insertApproval(row: ApprovalRow): Promise<void>;
  addActivity(delta: ActivityDelta): Promise<void>;
  recordFailure(actorId: string, action: string, environment: string, at: string): Promise<void>;
}
