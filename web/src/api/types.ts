import type { DecisionView } from '../../../src/app/decisions/view.js';
import type { GateRunView } from '../../../src/app/gate-runs/view.js';
import type { LedgerEntry } from '../../../src/ledger/entry.js';
import type { TrackRecord } from '../../../src/registry/autonomy.js';
import type { AutonomyChangeRow } from '../../../src/store/autonomy-records.js';

/**
 * The shapes the dashboard reads from the API (docs/server.md). Where the server declares the shape,
 * it is imported from there (type-only: nothing of the server reaches the bundle); the rest list only
 * the fields the dashboard uses, and the server may send more.
 */

export type { TrackRecord };

export type Role = 'agent' | 'approver' | 'auditor' | 'admin';

export interface Me {
  id: string;
  role: Role;
  user: string | null;
  systemId: string | null;
  groups: string[];
  tokenId: string;
}

export type DecisionStatus = DecisionView['status'];
export type Effect = DecisionView['effect'];

export interface Reason {
  policy?: string;
  rule?: string;
  effect?: Effect;
  message?: string;
  facts?: Record<string, unknown>;
  mode?: string;
}

export type Requirement = DecisionView['approvals']['required'][number];
export type Vote = DecisionView['approvals']['received'][number];

/** A decision; its request and the policy reasons typed as far as the dashboard reads them. */
export interface Decision extends Omit<DecisionView, 'request' | 'reasons' | 'notFired' | 'shadow'> {
  request: {
    rationale?: string;
    confidence?: number;
    evidence?: { url?: string; title?: string; [field: string]: unknown }[];
    context?: Record<string, unknown>;
    change?: Record<string, unknown>;
    [field: string]: unknown;
  };
  reasons: Reason[];
  notFired: Reason[];
  shadow: Reason[];
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
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
  /** The newest changes of its autonomy first (at most 5): error-budget demotions and people's changes. */
  autonomyChanges?: AutonomyChange[];
}

/** One change of a System's autonomy, as the System view lists it. */
export type AutonomyChange = Omit<AutonomyChangeRow, 'systemId' | 'seq'>;

export interface LedgerEntryView {
  seq: number;
  leafHash: string;
  entry: LedgerEntry;
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

/** A gate run; its stored report typed as far as the dashboard reads it (older reports lack fields). */
export interface GateRun extends Omit<GateRunView, 'report'> {
  report?: {
    checks?: GateCheck[];
    summary?: Record<string, unknown>;
    warnings?: unknown[];
    durationMs?: number;
    baseline?: { name?: string; version?: string };
    [field: string]: unknown;
  };
}
