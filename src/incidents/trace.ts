import { type Static, Type } from '@sinclair/typebox';
import { JsonObjectSchema, JsonValueSchema, literals, Nullable } from '../core/json-schema.js';
import { effects } from '../policy/documents.js';
import { VerdictApprovalSchema } from '../policy/evaluate-action.js';
import { IncidentLinkViewSchema, IncidentViewSchema } from './incident.js';
import { PagedContactSchema } from './paging.js';

/**
 * The accountability trace: from an incident (or one decision) through the decisions, the rules
 * and approvals that let them through, the releases and alerts around them, to the accountable
 * owner and the on-call contact — every step pinned to a ledger entry with an inclusion proof
 * against the latest signed checkpoint. Plain data, so the server, the CLI and reports share it.
 */

export const traceFormat = 'arbiter.trace/v1';

const ledgerProofStatuses = ['verified', 'failed', 'after-checkpoint', 'no-checkpoint', 'missing'] as const;

/** An inclusion proof of one ledger entry against the trace's checkpoint; hashes in base64. */
export const LedgerProofSchema = Type.Object({
  index: Type.Number(),
  type: Nullable(Type.String({ description: "The entry's type, read from the proven bytes" })),
  time: Nullable(Type.String({ description: "The entry's time, read from the proven bytes" })),
  leafHash: Nullable(Type.String()),
  treeSize: Nullable(Type.Number()),
  proof: Type.Array(Type.String()),
  verified: Type.Boolean(),
  status: literals(ledgerProofStatuses, {
    description:
      '`failed`: the proof does not lead to the signed root, or the entry is not what the record says; ' +
      '`after-checkpoint`: written after the latest checkpoint (ask again later); `missing`: no such entry',
  }),
  problem: Type.Optional(Type.String()),
});
export type LedgerProof = Static<typeof LedgerProofSchema>;

export const TraceCheckpointSchema = Type.Object({
  origin: Type.String(),
  size: Type.Number(),
  root: Type.String(),
  note: Type.String({ description: 'The signed note itself, to check offline with the verifier key' }),
  signatureValid: Type.Boolean({
    description: "The note's signature verifies with this ledger's verifier key",
  }),
  createdAt: Type.String(),
});
export type TraceCheckpoint = Static<typeof TraceCheckpointSchema>;

export const TraceIncidentLinkSchema = Type.Object({
  kind: IncidentLinkViewSchema.properties.kind,
  ref: Type.String(),
  note: Nullable(Type.String()),
  linkedBy: Type.String(),
  linkedAt: Type.String(),
  ledger: LedgerProofSchema,
  target: Nullable(LedgerProofSchema),
});
/**
 * A link of the incident: `ledger` is the entry that recorded it (incident.opened or incident.linked),
 * `target` the entry of what is linked (decision.created, gate.run, alert.firing); null for deployments.
 */
export type TraceIncidentLink = Static<typeof TraceIncidentLinkSchema>;

const {
  ledgerIndex: _index,
  resolvedLedgerIndex: _resolved,
  links: _links,
  ...incidentFields
} = IncidentViewSchema.properties;

/** The incident as the API shows it, with inclusion proofs in place of bare ledger indexes. */
export const TraceIncidentSchema = Type.Object({
  ...incidentFields,
  ledger: LedgerProofSchema,
  resolvedLedger: Nullable(LedgerProofSchema),
  links: Type.Array(TraceIncidentLinkSchema),
});
export type TraceIncident = Static<typeof TraceIncidentSchema>;

export const TraceRuleSchema = Type.Object({
  policy: Type.String(),
  rule: Type.String(),
  effect: Type.String(),
  message: Type.String(),
  facts: Type.Record(Type.String(), JsonValueSchema),
});
export type TraceRule = Static<typeof TraceRuleSchema>;

export const TraceApprovalSchema = Type.Object({
  approver: Type.String(),
  groups: Type.Array(Type.String()),
  verdict: Type.Union([Type.Literal('approve'), Type.Literal('reject')]),
  reason: Nullable(Type.String({ description: 'Null when erased (personal data) or not given' })),
  at: Type.String(),
  ledger: LedgerProofSchema,
});
export type TraceApproval = Static<typeof TraceApprovalSchema>;

export const TraceGateRunSchema = Type.Object({
  id: Type.String(),
  system: Type.String(),
  version: Type.String(),
  release: Type.String(),
  passed: Type.Boolean(),
  bundle: Type.String({ description: 'The bundle the CI gate evaluated' }),
  recordedAt: Type.String(),
  recordedBy: Type.String(),
  failedChecks: Type.Array(
    Type.Object({
      policy: Type.String(),
      check: Type.String(),
      severity: Type.String(),
      message: Type.String(),
    }),
  ),
  selectedBy: Type.Union(
    [
      Type.Literal('linked'),
      Type.Literal('version named in the request'),
      Type.Literal('latest before the decision'),
    ],
    { description: 'Why this run is in the trace' },
  ),
  ledger: LedgerProofSchema,
});
export type TraceGateRun = Static<typeof TraceGateRunSchema>;

/** What the model release behind a decision was, as far as the record shows. */
export const TraceReleaseSchema = Type.Object({
  system: Type.String({
    description:
      'The System the release is of: the resource when it is a registered System, else the requester',
  }),
  version: Nullable(Type.String()),
  versionFrom: Nullable(
    Type.String({
      description:
        '`context.modelVersion`, `context.version`, `change.version`, `change.toVersion`, or `gate run`',
    }),
  ),
  gateRun: Nullable(TraceGateRunSchema),
  problem: Type.Optional(
    Type.String({
      description: 'Set when a version was named but no gate run of it was recorded before the decision',
    }),
  ),
});
export type TraceRelease = Static<typeof TraceReleaseSchema>;

/** What the policies in force now (or a candidate directory) say about the recorded request. */
export const TraceReplaySchema = Type.Object({
  bundle: Type.String(),
  effect: literals(effects),
  recordedEffect: Type.String({ description: 'The effect recorded at the time' }),
  wouldHaveStopped: Type.Boolean({
    description: 'The replayed verdict would have denied it or asked for approval where it was allowed',
  }),
  rules: Type.Array(TraceRuleSchema),
  approvals: Type.Array(Type.Omit(VerdictApprovalSchema, ['ttlMs'])),
});
export type TraceReplay = Static<typeof TraceReplaySchema>;

export const TraceDecisionSchema = Type.Object({
  id: Type.String(),
  actor: Type.Object({ id: Type.String(), ref: Type.String(), kind: Type.String() }),
  system: Nullable(Type.String()),
  action: Type.String(),
  resource: Type.Object({ type: Type.String(), id: Type.String(), environment: Nullable(Type.String()) }),
  status: Type.String(),
  effect: Type.String(),
  statusReason: Nullable(Type.String()),
  request: Type.Record(Type.String(), JsonValueSchema, {
    description: 'The request as recorded: rationale, confidence, evidence, change, context',
  }),
  requestHash: Type.String(),
  bundle: Type.String({ description: 'The policy bundle that decided' }),
  rules: Type.Array(TraceRuleSchema),
  approvalsRequired: Type.Array(JsonObjectSchema),
  approvals: Type.Array(TraceApprovalSchema),
  outcome: Nullable(
    Type.Object({
      status: Type.String(),
      detail: Nullable(Type.String()),
      at: Type.String(),
      ledger: LedgerProofSchema,
    }),
  ),
  createdAt: Type.String(),
  ledger: LedgerProofSchema,
  entries: Type.Array(LedgerProofSchema, {
    description:
      'Every ledger entry about the decision, in order (created, approvals, allowed/denied, outcome)',
  }),
  release: TraceReleaseSchema,
  replay: Nullable(TraceReplaySchema),
  incidents: Type.Array(Type.String(), { description: 'Incidents linking this decision' }),
  state: Type.Object(
    {
      supported: Type.Boolean({
        description:
          'The stored status, requirements, approvals and outcome are what the ledger entries record',
      }),
      problems: Type.Array(Type.String(), {
        description: 'Each way the stored state differs from the entries',
      }),
    },
    {
      description:
        'Whether the ledger supports the decision as stored; unsupported makes the trace unverified',
    },
  ),
});
export type TraceDecision = Static<typeof TraceDecisionSchema>;

export const TraceAlertSchema = Type.Object({
  system: Type.String(),
  policy: Type.String(),
  alert: Type.String(),
  severity: Type.String(),
  transition: Type.Union([Type.Literal('firing'), Type.Literal('resolved')]),
  message: Type.String(),
  time: Type.String(),
  window: Nullable(Type.Object({ start: Type.String(), end: Type.String() })),
  linked: Type.Boolean({ description: 'Linked to the incident (rather than found around its time)' }),
  ledger: LedgerProofSchema,
});
export type TraceAlert = Static<typeof TraceAlertSchema>;

export const TraceDeploymentSchema = Type.Object({
  ref: Type.String(),
  note: Nullable(Type.String()),
  linkedBy: Type.String(),
  linkedAt: Type.String(),
  ledger: LedgerProofSchema,
});
export type TraceDeployment = Static<typeof TraceDeploymentSchema>;

/** Who answers for a System: its owner and the on-call contact resolved at the incident time. */
export const TraceAccountabilitySchema = Type.Object({
  system: Type.String(),
  kind: Type.String(),
  status: Type.String(),
  autonomy: Nullable(Type.Number()),
  riskTier: Nullable(Type.String()),
  owner: Type.Object({ team: Nullable(Type.String()), person: Nullable(Type.String()) }),
  onCall: Type.Record(Type.String(), JsonValueSchema),
  paged: PagedContactSchema,
});
export type TraceAccountability = Static<typeof TraceAccountabilitySchema>;

export const TimelineEventSchema = Type.Object({
  time: Type.String(),
  ledgerIndex: Type.Number(),
  type: Type.String(),
  actor: Type.String(),
  subject: Type.String(),
  summary: Type.String(),
  verified: Type.Boolean(),
});
export type TimelineEvent = Static<typeof TimelineEventSchema>;

export const TraceSchema = Type.Object(
  {
    format: Type.Literal(traceFormat),
    generatedAt: Type.String(),
    subject: Type.Object({
      kind: Type.Union([Type.Literal('incident'), Type.Literal('decision')]),
      id: Type.String(),
    }),
    checkpoint: Nullable(TraceCheckpointSchema),
    verified: Type.Boolean({ description: "The checkpoint's signature and every proof of the trace verify" }),
    proofs: Type.Object({ total: Type.Number(), verified: Type.Number() }),
    incident: Nullable(TraceIncidentSchema),
    decisions: Type.Array(TraceDecisionSchema),
    gateRuns: Type.Array(TraceGateRunSchema),
    alerts: Type.Array(TraceAlertSchema),
    deployments: Type.Array(TraceDeploymentSchema),
    accountability: Type.Array(TraceAccountabilitySchema),
    timeline: Type.Array(TimelineEventSchema),
  },
  { description: 'The accountability trace (docs/incidents.md); every step with its ledger proof' },
);
export type Trace = Static<typeof TraceSchema>;
