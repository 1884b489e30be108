/**
 * The shapes the dashboard reads from the API (docs/server.md). Only the fields it uses are listed;
 * the server may send more.
 */

export type Role = 'agent' | 'approver' | 'auditor' | 'admin';

export interface Me {
  id: string;
  role: Role;
  user: string | null;
  systemId: string | null;
  groups: string[];
  tokenId: string;
}

export type DecisionStatus = 'allowed' | 'pending' | 'denied';
export type Effect = 'allow' | 'require_approval' | 'deny';

export interface Reason {
  policy?: string;
  rule?: string;
  effect?: Effect;
  message?: string;
  facts?: Record<string, unknown>;
  mode?: string;
}

export interface Requirement {
  count: number;
  from: string[];
  ttl: string;
  met: boolean;
  approvers: string[];
  missing: string[];
  rules?: string[];
}

export interface Vote {
  approver: string;
  verdict: 'approve' | 'reject';
  reason: string | null;
  at: string;
}

export interface Decision {
  id: string;
  status: DecisionStatus;
  effect: Effect;
  actor: { id: string; kind: string };
  systemId: string | null;
  action: string;
  resource: { type: string; id: string; environment: string | null };
  request: {
    rationale?: string;
    confidence?: number;
    evidence?: { url?: string; title?: string; [field: string]: unknown }[];
    context?: Record<string, unknown>;
    change?: Record<string, unknown>;
    [field: string]: unknown;
  };
  requestHash: string;
  reasons: Reason[];
  notFired: Reason[];
  shadow: Reason[];
  approvals: { required: Requirement[]; received: Vote[] };
  statusReason: string | null;
  bundle: string;
  ledgerIndex: number;
  createdAt: string;
  updatedAt: string;
  expiresAt: string | null;
  outcome: { status: string; detail: string | null; at: string; ledgerIndex: number } | null;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Outcomes in the track-record window (issue 9's autonomy and error budgets). */
export interface TrackRecord {
  window: string;
  environments: string[];
  actions: number;
  succeeded: number;
  failed: number;
  rolledBack: number;
  failureRate: number;
  budget?: { maxFailures: number; failures: number; remaining: number };
}

export interface System {
  id: string;
  kind: 'agent' | 'model' | string;
  source: string;
  status: 'active' | 'frozen' | string;
  statusReason: string | null;
  statusBy: string | null;
  statusAt: string | null;
  owner?: { team?: string; person?: string };
  onCall?: { team?: string; person?: string; rotation?: string };
  autonomy: number;
  riskTier: string;
  description?: string;
  /** Issue 9: outcomes so far, the error budget and the autonomy ceiling, when the server has them. */
  trackRecord?: TrackRecord | null;
  errorBudget?: { maxFailures: number; window: string; environments?: string[] } | null;
  /** The level the System's document grants; `autonomy` is the effective level (lower when demoted). */
  autonomyCeiling?: number | null;
}

export interface LedgerEntryView {
  seq: number;
  leafHash: string;
  entry: {
    v: number;
    seq: number;
    time: string;
    type: string;
    actor: string;
    subject: string;
    data: Record<string, unknown>;
  };
}

export interface DriftResult {
  method: string;
  score: number | null;
  threshold: number;
  drifted: boolean;
  statistic?: number;
  psi?: number;
  jensenShannon?: number;
  topBins?: { bin: string; reference: number; current: number; contribution: number }[];
}

export interface FairnessResult {
  demographicParityRatio: number | null;
  demographicParityDifference: number | null;
  equalizedOddsDifference: number | null;
  equalizedOddsRatio?: number | null;
  equalOpportunityDifference?: number | null;
  byGroup: Record<string, { rows: number; selectionRate: number | null; sufficient: boolean }>;
  insufficientGroups: string[];
}

export interface MonitorWindow {
  start: string;
  end: string;
  open: boolean;
  evaluatedAt: string | null;
  windows?: number;
  metrics: {
    window: { start: string; end: string; rows: number; labeled: number; rejected: number };
    drift: { features: Record<string, DriftResult>; prediction?: DriftResult };
    datasetDrift: { share: number; drifted: number; total: number; features: string[] };
    performance?: Record<string, number | null>;
    fairness?: Record<string, FairnessResult>;
  };
}

export interface MonitoredSystem {
  system: string;
  profile: { sha256: string; file?: string; window: string; task: string; features: Record<string, unknown> };
  alerts: { policy: string; alert: string; severity: string; for: number; when: string }[];
  firing?: number;
}

export interface AlertState {
  system: string;
  policy: string;
  alert: string;
  status: 'ok' | 'pending' | 'firing';
  consecutive: number;
  firingSince?: string | null;
  lastWindow?: number | null;
  severity: string;
  message: string;
  facts?: Record<string, unknown>;
  lastError?: string | null;
  updatedAt: string;
}

export interface GateCheck {
  policy: string;
  check: string;
  severity: 'error' | 'warning' | string;
  status: 'passed' | 'failed' | 'waived' | 'error' | string;
  message?: string;
  expected?: string;
  facts?: Record<string, unknown>;
  findings?: unknown[];
}

export interface GateRun {
  id: string;
  system: string;
  version: string;
  release: string;
  passed: boolean;
  bundle: string;
  startedAt: string;
  recordedAt: string;
  recordedBy: string;
  reportSha256: string;
  ledgerIndex: number;
  report?: {
    checks?: GateCheck[];
    summary?: Record<string, unknown>;
    warnings?: unknown[];
    durationMs?: number;
    baseline?: { name?: string; version?: string };
    [field: string]: unknown;
  };
}
