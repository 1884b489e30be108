import type { JsonObject, JsonValue } from '../../core/json.js';
import { approvalProgress, type Requirement, type RequirementProgress } from '../../decisions/approvals.js';
import type { ApprovalRow, DecisionRow, SystemRow } from '../../store/records.js';
import { ownerTeamOf } from '../systems/systems.js';

/** A decision as the API returns it. */
export interface DecisionView {
  id: string;
  status: DecisionRow['status'];
  effect: DecisionRow['effect'];
  actor: { id: string; kind: DecisionRow['actorKind'] };
  systemId: string | null;
  action: string;
  resource: { type: string; id: string; environment: string | null };
  request: JsonObject;
  requestHash: string;
  reasons: JsonValue;
  notFired: JsonValue;
  shadow: JsonValue;
  approvals: {
    required: RequirementProgress[];
    received: { approver: string; verdict: 'approve' | 'reject'; reason: string | null; at: string }[];
  };
  statusReason: string | null;
  bundle: string;
  ledgerIndex: number;
  createdAt: string;
  updatedAt: string;
  expiresAt: string | null;
  outcome: { status: string; detail: string | null; at: string; ledgerIndex: number } | null;
}

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
  return {
    id: row.id,
    status: row.status,
    effect: row.effect,
    actor: { id: row.actorId, kind: row.actorKind },
    systemId: row.systemId ?? null,
    action: row.action,
    resource: { type: row.resourceType, id: row.resourceId, environment: row.environment ?? null },
    request: row.request,
    requestHash: row.requestHash,
    reasons: row.verdict.reasons ?? [],
    notFired: row.verdict.notFired ?? [],
    shadow: row.verdict.shadow ?? [],
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
