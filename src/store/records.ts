import type { JsonObject } from '../core/json.js';
import type { AutonomyReads, AutonomyWrites } from './autonomy-records.js';
import type { IncidentReads, IncidentWrites } from './incident-records.js';

export type * from './autonomy-records.js';
export type * from './incident-records.js';

/**
 * The rows Arbiter keeps besides the ledger, shared by both stores. Times are ISO 8601 UTC
 * strings (`Date#toISOString`), which sort correctly as text.
 */

export const roles = ['agent', 'approver', 'auditor', 'admin'] as const;
export type Role = (typeof roles)[number];

/** A registered AI system as stored: from the governance repository (`bundle`) or the API (`api`). */
export interface SystemRow {
  id: string;
  kind: 'agent' | 'model';
  /** owner, onCall, autonomy, riskTier, description, operatingConditions — the System document's spec. */
  spec: JsonObject;
  source: 'bundle' | 'api';
  status: 'active' | 'frozen';
  statusReason?: string;
  statusBy?: string;
  statusAt?: string;
  createdAt: string;
  updatedAt: string;
}

export interface TokenRow {
  id: string;
  /** SHA-256 hex of the token; the token itself is never stored. */
  hash: string;
  role: Role;
  systemId?: string;
  userName?: string;
  groups: string[];
  label?: string;
  createdAt: string;
  revokedAt?: string;
}

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

/** A notification waiting to be delivered, delivered, or given up on (the outbox). */
export interface NotificationRow {
  id: string;
  notifier: string;
  eventType: string;
  /** The NotificationEvent, shaped for the receiver only when it is sent. */
  payload: JsonObject;
  attempts: number;
  status: 'pending' | 'delivered' | 'dead';
  nextAttemptAt: string;
  lastError?: string;
  createdAt: string;
  deliveredAt?: string;
}

/** A recorded CI gate run: the columns lists filter on, without the report itself. */
export interface GateRunSummaryRow {
  id: string;
  systemId: string;
  version: string;
  releaseName: string;
  passed: boolean;
  /** `sha256:<hex>` of the policy bundle the gate evaluated (the CI's, not necessarily the server's). */
  bundle: string;
  startedAt: string;
  recordedAt: string;
  /** The actor id of the recording token (a System id for agents). */
  recordedBy: string;
  idempotencyKey?: string;
  /** SHA-256 hex of the report's canonical JSON; the ledger entry carries the same value. */
  reportSha256: string;
  ledgerIndex: number;
}

/** A recorded gate run with the full report (what `arbiter gate` produced, without the idempotency key). */
export interface GateRunRow extends GateRunSummaryRow {
  report: JsonObject;
}

export interface GateRunFilter {
  systemId?: string;
  version?: string;
  /** Page after this run (recorded earlier than it). */
  before?: { recordedAt: string; id: string };
  limit: number;
}

/**
 * The reference profile a monitoring window is counted against, kept by digest so a window opened
 * before a policy reload is still read and evaluated with its own bins.
 */
export interface MonitorProfileRow {
  /** SHA-256 hex of the profile file's bytes. */
  sha256: string;
  systemId: string;
  profile: JsonObject;
  createdAt: string;
}

/** One tumbling window of a monitored System: mergeable counts and, once evaluated, its metrics. */
export interface MonitorWindowRow {
  systemId: string;
  /** Epoch ms; the window is [start, end). */
  start: number;
  end: number;
  /** SHA-256 hex of the profile the window is counted against (see MonitorProfileRow). */
  profile: string;
  /** The monitor library's WindowState. */
  state: JsonObject;
  /** Set when the window was closed and its alerts stepped; later labels recompute `metrics` only. */
  evaluatedAt?: string;
  metrics?: JsonObject;
  updatedAt: string;
}

/** What a later label needs of one production event, kept for the retention period. */
export interface MonitorEventRow {
  systemId: string;
  id: string;
  windowStart: number;
  /** The monitor library's EventMemo: prediction, score, groups. */
  memo: JsonObject;
  /** When its label was counted; a second label for the event is refused. */
  labeledAt?: string;
  createdAt: string;
}

/** The stored state of one alert (MonitorPolicy alert) of one System. */
export interface MonitorAlertRow {
  systemId: string;
  policy: string;
  alert: string;
  /** The monitor library's AlertState. */
  state: JsonObject;
  updatedAt: string;
}

/** Reads, from committed state (Store) or inside a transaction (StoreTransaction). */
export interface RecordReads extends IncidentReads, AutonomyReads {
  getSystem(id: string): Promise<SystemRow | undefined>;
  listSystems(): Promise<SystemRow[]>;
  tokenByHash(hash: string): Promise<TokenRow | undefined>;
  listTokens(): Promise<TokenRow[]>;
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
  notifications(filter: { status?: NotificationRow['status']; limit: number }): Promise<NotificationRow[]>;
  countNotifications(status: NotificationRow['status']): Promise<number>;
  gateRun(id: string): Promise<GateRunRow | undefined>;
  /** Gate runs newest first (by recording time, then id). */
  gateRuns(filter: GateRunFilter): Promise<GateRunSummaryRow[]>;
  gateRunByIdempotencyKey(recordedBy: string, key: string): Promise<GateRunSummaryRow | undefined>;
  monitorProfile(sha256: string): Promise<MonitorProfileRow | undefined>;
  /** Windows with `from <= start < to`, oldest first, at most `limit`. */
  monitorWindows(
    systemId: string,
    range: { from: number; to: number; limit: number },
  ): Promise<MonitorWindowRow[]>;
  /** The windows starting at these instants (those that exist), oldest first. */
  monitorWindowsAt(systemId: string, starts: readonly number[]): Promise<MonitorWindowRow[]>;
  /** Windows not evaluated yet, oldest first, without their state. */
  unevaluatedMonitorWindows(systemId: string, limit: number): Promise<{ start: number; end: number }[]>;
  /** The start of the newest window of the System, evaluated or not. */
  latestMonitorWindowStart(systemId: string): Promise<number | undefined>;
  latestEvaluatedMonitorWindow(systemId: string): Promise<MonitorWindowRow | undefined>;
  /** The stored events with these ids (those that exist). */
  monitorEvents(systemId: string, ids: readonly string[]): Promise<MonitorEventRow[]>;
  /** Alert states of one System, or of every System; by System, policy, alert. */
  monitorAlerts(systemId?: string): Promise<MonitorAlertRow[]>;
}

export interface RecordWrites extends IncidentWrites, AutonomyWrites {
  upsertSystem(row: SystemRow): Promise<void>;
  setSystemStatus(
    id: string,
    status: SystemRow['status'],
    reason: string,
    by: string,
    at: string,
  ): Promise<void>;
  insertToken(row: TokenRow): Promise<void>;
  revokeToken(id: string, at: string): Promise<boolean>;
  insertDecision(row: DecisionRow): Promise<void>;
  updateDecisionStatus(id: string, status: DecisionStatus, reason: string, at: string): Promise<void>;
  setOutcome(id: string, outcome: NonNullable<DecisionRow['outcome']>): Promise<void>;
  insertApproval(row: ApprovalRow): Promise<void>;
  addActivity(delta: ActivityDelta): Promise<void>;
  recordFailure(actorId: string, action: string, environment: string, at: string): Promise<void>;
  /** Fails on a second run with the same (recordedBy, idempotencyKey). */
  insertGateRun(row: GateRunRow): Promise<void>;
  enqueueNotifications(rows: readonly NotificationRow[]): Promise<void>;
  /** Pending notifications due at `now`, leased until `leaseUntil` so no other sender takes them meanwhile. */
  claimNotifications(now: string, leaseUntil: string, limit: number): Promise<NotificationRow[]>;
  finishNotification(
    id: string,
    update: {
      status: NotificationRow['status'];
      attempts: number;
      nextAttemptAt: string;
      lastError?: string;
      deliveredAt?: string;
    },
  ): Promise<void>;
  /** Keeps the first row for a digest (profiles are immutable by digest). */
  putMonitorProfile(row: MonitorProfileRow): Promise<void>;
  /** Inserts or replaces the window. */
  putMonitorWindow(row: MonitorWindowRow): Promise<void>;
  /** Fails on an id the System already has. */
  insertMonitorEvents(rows: readonly MonitorEventRow[]): Promise<void>;
  markMonitorEventsLabeled(systemId: string, ids: readonly string[], at: string): Promise<void>;
  /** Deletes at most `limit` events stored before `before`; returns how many. */
  purgeMonitorEvents(before: string, limit: number): Promise<number>;
  putMonitorAlert(row: MonitorAlertRow): Promise<void>;
}
