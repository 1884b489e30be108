import type { JsonObject } from '../core/json.js';

/**
 * Decisions, approvals and actors' activity as the stores keep them, and the ports that read and
 * write them (implemented by `store/`). Times are ISO 8601 UTC strings (`Date#toISOString`),
 * which sort correctly as text.
 */

export const decisionStatuses = ['allowed', 'pending', 'denied'] as const;
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
  updateDecisionStatus(id: string, status: DecisionStatus, reason: string, at: string): Promise<void>;
  setOutcome(id: string, outcome: NonNullable<DecisionRow['outcome']>): Promise<void>;
  insertApproval(row: ApprovalRow): Promise<void>;
  addActivity(delta: ActivityDelta): Promise<void>;
  recordFailure(actorId: string, action: string, environment: string, at: string): Promise<void>;
}
