import type { CompiledExpression } from './cel.js';
import type {
  ActorKind,
  Effect,
  NotificationEventType,
  NotificationSeverity,
  RiskTier,
  SystemSpec,
} from './documents.js';
import type { FieldChains } from './field-chains.js';
import type { IncidentSettings, OnCallRotationRecord } from './on-call.js';

/** Where a document or rule came from, for explanations and editors. */
export interface SourceRef {
  file: string;
  line: number;
  col: number;
}

/** A compiled approval requirement: `count` distinct humans satisfying every `from` selector. */
export interface ApprovalRequirement {
  count: number;
  /** Selectors: `owner` (the System's owner team), `group:NAME`, `user:NAME`; empty = any approver. */
  from: readonly string[];
  ttl: string;
  ttlMs: number;
  /** Step-up: the approver's sign-in must be multi-factor. */
  assurance?: 'mfa';
  /** Step-up: the approver signed in at most this long ago. */
  maxAuthAge?: string;
  maxAuthAgeMs?: number;
}

export interface CompiledVariable {
  name: string;
  expression: CompiledExpression;
}

export interface CompiledActionRule {
  name: string;
  description?: string;
  when: CompiledExpression;
  effect: Effect;
  message?: string;
  messageExpression?: CompiledExpression;
  approval?: ApprovalRequirement;
  /** How long a decision this rule allows (or asks approval for) may wait to be started. */
  executionWindow?: ExecutionWindow;
  source: SourceRef;
}

export interface ActionMatch {
  actions?: readonly string[];
  environments?: readonly string[];
  actorKinds?: readonly ActorKind[];
  systems?: readonly string[];
  resourceTypes?: readonly string[];
}

export interface CompiledActionPolicy {
  name: string;
  description?: string;
  mode: 'enforce' | 'shadow';
  match: ActionMatch;
  /** True when an expression reads `actor.recent`: the server looks the actor's history up only then. */
  readsRecentActivity: boolean;
  /** True when an expression reads `actor.trackRecord`: the server computes it only then. */
  readsTrackRecord: boolean;
  variables: readonly CompiledVariable[];
  rules: readonly CompiledActionRule[];
  source: SourceRef;
}

export interface CompiledGateCheck {
  name: string;
  description?: string;
  assert: CompiledExpression;
  severity: 'error' | 'warning';
  message?: string;
  messageExpression?: CompiledExpression;
  source: SourceRef;
}

export type FindingSeverity = 'info' | 'low' | 'medium' | 'high' | 'critical';

/** The names of the built-in supply-chain checks, as results and waivers refer to them. */
export const supplyCheckNames = {
  modelScan: 'model-scan',
  licenses: 'licenses',
  vulnerabilities: 'vulnerabilities',
  vulnerabilityDatabase: 'vulnerability-database',
  modelDigests: 'model-digests',
  modelSignature: 'model-signature',
} as const;

/** A GatePolicy's supply-chain section with defaults applied and file paths resolved against the policy file. */
export interface CompiledSupplyChain {
  modelScan?: { failOn: FindingSeverity; severity: 'error' | 'warning' };
  licenses?: {
    allow?: readonly string[];
    deny: readonly string[];
    unknown: 'error' | 'warning' | 'ignore';
    includeOptional: boolean;
    severity: 'error' | 'warning';
  };
  vulnerabilities?: {
    failOn: FindingSeverity;
    maxDatabaseAge?: string;
    maxDatabaseAgeMs?: number;
    requireDatabase: boolean;
    severity: 'error' | 'warning';
  };
  provenance?: {
    requireDigests: boolean;
    requireSignature: boolean;
    signers: readonly ({ identity: string; issuer: string } | { publicKeyFile: string })[];
    trustedRoot?: string;
    severity: 'error' | 'warning';
  };
}

export interface CompiledGatePolicy {
  name: string;
  description?: string;
  match: { systems?: readonly string[] };
  variables: readonly CompiledVariable[];
  checks: readonly CompiledGateCheck[];
  supplyChain?: CompiledSupplyChain;
  source: SourceRef;
}

/** A Waiver document: an owned, reasoned, expiring exception to one check for some systems. */
export interface WaiverRecord {
  name: string;
  owner: string;
  reason: string;
  approvedBy?: string;
  /** The instant it stops applying (a bare date means the end of that day, UTC). */
  expires: string;
  scope: {
    check: string;
    policy?: string;
    systems: readonly string[];
    findings?: readonly string[];
    tools?: readonly string[];
    rules?: readonly string[];
    packages?: readonly string[];
  };
  source: SourceRef;
}

export interface CompiledMonitorAlert {
  name: string;
  description?: string;
  when: CompiledExpression;
  severity: 'info' | 'warning' | 'critical';
  for: number;
  message?: string;
  messageExpression?: CompiledExpression;
  source: SourceRef;
}

export interface CompiledMonitorPolicy {
  name: string;
  description?: string;
  match: { systems?: readonly string[] };
  /** The reference profile's path, resolved against the policy file. */
  profile?: string;
  variables: readonly CompiledVariable[];
  alerts: readonly CompiledMonitorAlert[];
  source: SourceRef;
}

/** A registered AI agent or model, as declared in the governance repository. */
export interface SystemRecord {
  id: string;
  kind: 'agent' | 'model';
  description?: string;
  owner: { team: string; person: string };
  onCall: SystemSpec['onCall'];
  autonomy: 0 | 1 | 2 | 3;
  riskTier: RiskTier;
  status: 'active' | 'frozen';
  operatingConditions?: Record<string, unknown>;
  /** The error budget, with its environments defaulted (see `defaultBudgetEnvironments`). */
  errorBudget?: { maxFailures: number; window: string; environments: readonly string[] };
  /** Where it deploys from on GitHub (deployment protection rules). */
  github?: SystemSpec['github'];
  /** Where it deploys from on GitLab (deployment approvals). */
  gitlab?: SystemSpec['gitlab'];
  source: SourceRef;
}

/** Where failures count against an error budget that names no environments. */
export const defaultBudgetEnvironments: readonly string[] = ['prod', 'production'];

/** How long an allowed decision may wait to be started (claimed) before it expires. */
export interface ExecutionWindow {
  window: string;
  windowMs: number;
}

export interface BundleDefaults {
  effect: Effect;
  approval: ApprovalRequirement;
  executionWindow: ExecutionWindow;
}

/** A loaded, validated, compiled and frozen set of governance documents. */
export interface PolicyBundle {
  /** `sha256:<hex>` over the RFC 8785 JSON of every document, sorted by kind and name. */
  digest: string;
  defaults: BundleDefaults;
  actionPolicies: readonly CompiledActionPolicy[];
  gatePolicies: readonly CompiledGatePolicy[];
  monitorPolicies: readonly CompiledMonitorPolicy[];
  systems: readonly SystemRecord[];
  /** Looks a System up by id. */
  system(id: string): SystemRecord | undefined;
  /** True when an action policy reads `actor.recent`, so the server must look the actor's history up. */
  readsRecentActivity: boolean;
  /** True when an action policy reads `actor.trackRecord`. */
  readsTrackRecord: boolean;
  /** The field chains the bundle's conditions read, numbered at load (field-chains.ts). */
  fieldChains: FieldChains;
  /** Number of documents per kind. */
  counts: Readonly<
    Record<
      | 'ActionPolicy'
      | 'GatePolicy'
      | 'MonitorPolicy'
      | 'System'
      | 'Bundle'
      | 'Notifier'
      | 'Waiver'
      | 'OnCallRotation'
      | 'IdentityProvider'
      | 'Witness',
      number
    >
  >;
  /** Where events are delivered (webhooks, Slack, PagerDuty). */
  notifiers: readonly NotifierConfig[];
  /** Exceptions to gate checks, expired ones included (they are reported, not applied). */
  waivers: readonly WaiverRecord[];
  /** Who is on call when (OnCallRotation documents), by name. */
  rotations: readonly OnCallRotationRecord[];
  /** When incidents open by themselves (the Bundle document's `incidents`, or the defaults). */
  incidents: IncidentSettings;
  /** The OpenID Provider people sign in with; undefined = bearer tokens only. */
  identityProvider?: IdentityProviderConfig;
  /** Witnesses every checkpoint is submitted to (Witness documents), by name. */
  witnesses: readonly WitnessConfig[];
}

/** A Witness document: where to submit checkpoints, and the key its cosignatures verify with. */
export interface WitnessConfig {
  name: string;
  url: string;
  /** The cosignature/v1 verifier key text, checked at load. */
  verifierKey: string;
  /** The key's name: the name in the witness's signature lines. */
  keyName: string;
  timeoutMs: number;
}

/** An IdentityProvider document with its defaults applied. */
export interface IdentityProviderConfig {
  name: string;
  displayName: string;
  issuer: string;
  clientId: string;
  clientSecretEnv?: string;
  redirectUrl: string;
  groupsClaim: string;
  groupMapping: readonly {
    idpGroup: string;
    groups: readonly string[];
    role?: 'approver' | 'auditor' | 'admin';
  }[];
  allowedEmailDomains?: readonly string[];
  scopes: readonly string[];
  sessionTtl: string;
  sessionTtlMs: number;
  mfaAcrValues: readonly string[];
}

export const defaultSessionTtl = '8h';

/** A Notifier document with its defaults applied. */
export interface NotifierConfig {
  name: string;
  type: 'webhook' | 'slack' | 'pagerduty';
  url?: string;
  urlEnv?: string;
  secretEnv?: string;
  routingKeys: Readonly<Record<string, string>>;
  defaultRoutingKeyEnv?: string;
  events: readonly NotificationEventType[];
  /** Owner teams routed to this notifier; undefined = every team. */
  teams?: readonly string[];
  minSeverity: NotificationSeverity;
  maxAttempts: number;
  timeoutMs: number;
  dashboardUrl?: string;
  /** Slack: pending decisions carry Approve / Reject buttons (docs/integrations.md). */
  interactive?: boolean;
}

export const defaultApprovalTtl = '1h';
/** The execution window of a rule or bundle that sets none. */
export const defaultExecutionWindow = '15m';

/** A System as policies see it (`actor`, `system`): the record without its source position. */
export function systemView(system: SystemRecord): Omit<SystemRecord, 'source'> {
  const { source: _source, ...record } = system;
  return record;
}
