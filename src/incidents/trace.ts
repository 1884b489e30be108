import type { IncidentLinkKind, IncidentView } from './incident.js';
import type { PagedContact } from './paging.js';

/**
 * The accountability trace: from an incident (or one decision) through the decisions, the rules
 * and approvals that let them through, the releases and alerts around them, to the accountable
 * owner and the on-call contact — every step pinned to a ledger entry with an inclusion proof
 * against the latest signed checkpoint. Plain data, so the server, the CLI and reports share it.
 */

export const traceFormat = 'arbiter.trace/v1';

/** An inclusion proof of one ledger entry against the trace's checkpoint; hashes in base64. */
export interface LedgerProof {
  index: number;
  /** The entry's type and time, read from the proven bytes. */
  type: string | null;
  time: string | null;
  leafHash: string | null;
  treeSize: number | null;
  proof: string[];
  verified: boolean;
  /**
   * `verified`; `failed` (the proof does not lead to the signed root, or the entry is not what the
   * record says); `after-checkpoint` (written after the latest checkpoint: ask again later);
   * `no-checkpoint`; `missing` (no such entry).
   */
  status: 'verified' | 'failed' | 'after-checkpoint' | 'no-checkpoint' | 'missing';
  problem?: string;
}

export interface TraceCheckpoint {
  origin: string;
  size: number;
  root: string;
  /** The signed note itself, to check offline with the verifier key. */
  note: string;
  /** The note's signature verifies with this ledger's verifier key. */
  signatureValid: boolean;
  createdAt: string;
}

export interface TraceIncidentLink {
  kind: IncidentLinkKind;
  ref: string;
  note: string | null;
  linkedBy: string;
  linkedAt: string;
  /** The entry that recorded the link (incident.opened or incident.linked). */
  ledger: LedgerProof;
  /** The entry of what is linked (decision.created, gate.run, alert.firing); null for deployments. */
  target: LedgerProof | null;
}

/** The incident as the API shows it, with inclusion proofs in place of bare ledger indexes. */
export interface TraceIncident extends Omit<IncidentView, 'ledgerIndex' | 'resolvedLedgerIndex' | 'links'> {
  ledger: LedgerProof;
  resolvedLedger: LedgerProof | null;
  links: TraceIncidentLink[];
}

export interface TraceRule {
  policy: string;
  rule: string;
  effect: string;
  message: string;
  facts: Record<string, unknown>;
}

export interface TraceApproval {
  approver: string;
  groups: string[];
  verdict: 'approve' | 'reject';
  /** Null when erased (personal data) or not given. */
  reason: string | null;
  at: string;
  ledger: LedgerProof;
}

export interface TraceGateRun {
  id: string;
  system: string;
  version: string;
  release: string;
  passed: boolean;
  /** The bundle the CI gate evaluated. */
  bundle: string;
  recordedAt: string;
  recordedBy: string;
  failedChecks: { policy: string; check: string; severity: string; message: string }[];
  /** Why this run is in the trace. */
  selectedBy: 'linked' | 'version named in the request' | 'latest before the decision';
  ledger: LedgerProof;
}

/** What the model release behind a decision was, as far as the record shows. */
export interface TraceRelease {
  /** The System the release is of: the resource when it is a registered System, else the requester. */
  system: string;
  version: string | null;
  /** `context.modelVersion`, `context.version`, `change.version`, `change.toVersion`, or `gate run`. */
  versionFrom: string | null;
  gateRun: TraceGateRun | null;
  /** Set when a version was named but no gate run of it was recorded before the decision. */
  problem?: string;
}

/** What the policies in force now (or a candidate directory) say about the recorded request. */
export interface TraceReplay {
  bundle: string;
  effect: 'allow' | 'require_approval' | 'deny';
  /** The effect recorded at the time. */
  recordedEffect: string;
  /** True when the replayed verdict would have denied it or asked for approval where it was allowed. */
  wouldHaveStopped: boolean;
  rules: TraceRule[];
  approvals: { count: number; from: string[]; ttl: string; rules: string[] }[];
}

export interface TraceDecision {
  id: string;
  actor: { id: string; kind: string };
  system: string | null;
  action: string;
  resource: { type: string; id: string; environment: string | null };
  status: string;
  effect: string;
  statusReason: string | null;
  /** The request as recorded: rationale, confidence, evidence, change, context. */
  request: Record<string, unknown>;
  requestHash: string;
  /** The policy bundle that decided. */
  bundle: string;
  rules: TraceRule[];
  approvalsRequired: Record<string, unknown>[];
  approvals: TraceApproval[];
  outcome: { status: string; detail: string | null; at: string; ledger: LedgerProof } | null;
  createdAt: string;
  ledger: LedgerProof;
  /** Every ledger entry about the decision, in order (created, approvals, allowed/denied, outcome). */
  entries: LedgerProof[];
  release: TraceRelease;
  replay: TraceReplay | null;
  /** Incidents linking this decision. */
  incidents: string[];
}

export interface TraceAlert {
  system: string;
  policy: string;
  alert: string;
  severity: string;
  transition: 'firing' | 'resolved';
  message: string;
  time: string;
  window: { start: string; end: string } | null;
  /** Linked to the incident (rather than found around its time). */
  linked: boolean;
  ledger: LedgerProof;
}

export interface TraceDeployment {
  ref: string;
  note: string | null;
  linkedBy: string;
  linkedAt: string;
  ledger: LedgerProof;
}

/** Who answers for a System: its owner and the on-call contact resolved at the incident time. */
export interface TraceAccountability {
  system: string;
  kind: string;
  status: string;
  autonomy: number | null;
  riskTier: string | null;
  owner: { team: string | null; person: string | null };
  onCall: Record<string, unknown>;
  paged: PagedContact;
}

export interface TimelineEvent {
  time: string;
  ledgerIndex: number;
  type: string;
  actor: string;
  subject: string;
  summary: string;
  verified: boolean;
}

export interface Trace {
  format: typeof traceFormat;
  generatedAt: string;
  subject: { kind: 'incident' | 'decision'; id: string };
  checkpoint: TraceCheckpoint | null;
  /** The checkpoint's signature and every proof of the trace verify. */
  verified: boolean;
  proofs: { total: number; verified: number };
  incident: TraceIncident | null;
  decisions: TraceDecision[];
  gateRuns: TraceGateRun[];
  alerts: TraceAlert[];
  deployments: TraceDeployment[];
  accountability: TraceAccountability[];
  timeline: TimelineEvent[];
}
