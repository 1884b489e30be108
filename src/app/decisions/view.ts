import { type Static, Type } from '@sinclair/typebox';
import { literals, Nullable } from '../../core/json-schema.js';
import { approvalProgress, type Requirement } from '../../decisions/approvals.js';
import { actorName } from '../../identity/actor-ref.js';
import { actorKinds, effects } from '../../policy/documents.js';
import { NotFiredSchema, ReasonSchema } from '../../policy/evaluate-action.js';
import { ActionRequestSchema } from '../../policy/request.js';
import {
  type ApprovalRow,
  type DecisionRow,
  decisionStatuses,
  outcomeStatuses,
  type SystemRow,
} from '../../store/records.js';
import { ownerTeamOf } from '../systems/systems.js';

/** An approval requirement of a decision and how far the votes so far meet it. */
export const RequirementProgressSchema = Type.Object({
  count: Type.Number(),
  from: Type.Array(Type.String()),
  ttl: Type.String(),
  met: Type.Boolean(),
  approvers: Type.Array(Type.String(), { description: 'Approvers who count towards this requirement' }),
  missing: Type.Array(Type.String(), { description: 'Selectors not yet covered by a distinct approver' }),
  assurance: Type.Optional(
    Type.Literal('mfa', { description: "Step-up: each approver's sign-in must be multi-factor" }),
  ),
  maxAuthAge: Type.Optional(
    Type.String({ description: 'Step-up: each approver signed in at most this long ago, e.g. 15m' }),
  ),
});

export const DecisionViewSchema = Type.Object(
  {
    id: Type.String(),
    status: literals(decisionStatuses),
    effect: literals(effects),
    actor: Type.Object({
      id: Type.String({ description: 'The bare name policies see as `actor.id`: System id or user name' }),
      ref: Type.String({ description: 'The typed identity: `system:ID` or `user:NAME`' }),
      kind: literals(actorKinds),
    }),
    systemId: Nullable(Type.String()),
    action: Type.String(),
    resource: Type.Object({ type: Type.String(), id: Type.String(), environment: Nullable(Type.String()) }),
    // Every field optional and more allowed: the request as it was recorded, whatever it held.
    request: Type.Partial(ActionRequestSchema, {
      additionalProperties: true,
      description: 'The request as recorded: rationale, confidence, evidence, change, context',
    }),
    requestHash: Type.String(),
    reasons: Type.Array(ReasonSchema),
    notFired: Type.Array(NotFiredSchema),
    shadow: Type.Array(ReasonSchema),
    approvals: Type.Object({
      required: Type.Array(RequirementProgressSchema),
      received: Type.Array(
        Type.Object({
          approver: Type.String({ description: 'The typed identity of who voted: `user:NAME`' }),
          verdict: Type.Union([Type.Literal('approve'), Type.Literal('reject')]),
          reason: Nullable(Type.String()),
          at: Type.String(),
        }),
      ),
    }),
    statusReason: Nullable(Type.String()),
    bundle: Type.String(),
    ledgerIndex: Type.Number(),
    createdAt: Type.String(),
    updatedAt: Type.String(),
    expiresAt: Nullable(Type.String()),
    outcome: Nullable(
      Type.Object({
        status: literals(outcomeStatuses),
        detail: Nullable(Type.String()),
        at: Type.String(),
        ledgerIndex: Type.Number(),
      }),
    ),
  },
  { description: 'A decision with its explanation, approvals and outcome' },
);
/** A decision as the API returns it. */
export type DecisionView = Static<typeof DecisionViewSchema>;

/** Builds the API view of a decision from its row, its votes and its System. */
export function decisionView(
  row: DecisionRow,
  approvals: readonly ApprovalRow[],
  system: SystemRow | undefined,
): DecisionView {
  const progress = approvalProgress(
    row.requirements as unknown as Requirement[],
    approvals,
    ownerTeamOf(system),
  );
  // The verdict is stored as JSON of a `Verdict` (policy/evaluate-action.ts).
  const verdict = row.verdict as Partial<Pick<DecisionView, 'reasons' | 'notFired' | 'shadow'>>;
  return {
    id: row.id,
    status: row.status,
    effect: row.effect,
    actor: { id: actorName(row.actorId), ref: row.actorId, kind: row.actorKind },
    systemId: row.systemId ?? null,
    action: row.action,
    resource: { type: row.resourceType, id: row.resourceId, environment: row.environment ?? null },
    request: row.request,
    requestHash: row.requestHash,
    reasons: verdict.reasons ?? [],
    notFired: verdict.notFired ?? [],
    shadow: verdict.shadow ?? [],
    approvals: {
      required: progress.requirements,
      received: approvals.map((approval) => ({
        approver: approval.approver,
        verdict: approval.verdict,
        reason: approval.reason ?? null,
        at: approval.createdAt,
      })),
    },
    statusReason: row.statusReason ?? null,
    bundle: row.bundle,
    ledgerIndex: row.ledgerIndex,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    expiresAt: row.expiresAt ?? null,
    outcome: row.outcome
      ? {
          status: row.outcome.status,
          detail: row.outcome.detail ?? null,
          at: row.outcome.at,
          ledgerIndex: row.outcome.ledgerIndex,
        }
      : null,
  };
}
