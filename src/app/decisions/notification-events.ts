import type { JsonObject } from '../../core/json.js';
import { actorName } from '../../identity/actor-ref.js';
import type { NotificationEvent } from '../../notify/event.js';
import type { NotificationEventType, NotificationSeverity } from '../../policy/documents.js';
import type { DecisionRow, SystemRow } from '../../store/records.js';
import { ownerTeamOf } from '../systems/systems.js';

type DecisionEventType = Extract<NotificationEventType, `decision.${string}` | 'approval.recorded'>;

function what(row: DecisionRow): string {
  return `${row.action} ${row.resourceType}:${row.resourceId}${row.environment ? ` (${row.environment})` : ''}`;
}

/** The notification for a change of a decision, with what a person needs to act on it. */
export function decisionEvent(
  type: DecisionEventType,
  row: DecisionRow,
  system: SystemRow | undefined,
  extra: { approver?: string; verdict?: string } = {},
): Omit<NotificationEvent, 'id' | 'time'> {
  const reasons = ((row.verdict.reasons as JsonObject[] | undefined) ?? []).map((reason) => ({
    rule: `${reason.policy}/${reason.rule}`,
    effect: reason.effect as string,
    message: reason.message as string,
  }));
  const failed = row.outcome && row.outcome.status !== 'succeeded';
  const severity: NotificationSeverity =
    type === 'decision.denied' ? 'warning' : type === 'decision.outcome' && failed ? 'error' : 'info';
  const summaries: Record<DecisionEventType, string> = {
    'decision.pending': `${actorName(row.actorId)} asks to ${what(row)}: approval needed`,
    'decision.allowed': `${what(row)} by ${actorName(row.actorId)} is allowed${row.statusReason === 'approved' ? ' (approved)' : ''}`,
    'decision.denied': `${what(row)} by ${actorName(row.actorId)} is denied${row.statusReason ? `: ${row.statusReason}` : ''}`,
    'approval.recorded': `${extra.approver ?? 'someone'} ${extra.verdict === 'reject' ? 'rejected' : 'approved'} ${what(row)} by ${actorName(row.actorId)}`,
    'decision.outcome': `${what(row)} by ${actorName(row.actorId)} ${row.outcome?.status.replace('_', ' ') ?? 'finished'}${row.outcome?.detail ? `: ${row.outcome.detail}` : ''}`,
  };
  const team = ownerTeamOf(system);
  return {
    type,
    subject: row.id,
    severity,
    ...(team ? { team } : {}),
    ...(row.systemId ? { systemId: row.systemId } : {}),
    summary: summaries[type],
    data: JSON.parse(
      JSON.stringify({
        decision: {
          id: row.id,
          status: row.status,
          effect: row.effect,
          action: row.action,
          resource: { type: row.resourceType, id: row.resourceId, environment: row.environment ?? null },
          actor: row.actorId,
          system: row.systemId ?? null,
          requestHash: row.requestHash,
          ledgerIndex: row.ledgerIndex,
          statusReason: row.statusReason ?? null,
        },
        reasons,
        approvalsRequired: row.requirements,
        ...(row.outcome ? { outcome: row.outcome } : {}),
        ...(extra.approver ? { approver: extra.approver, verdict: extra.verdict } : {}),
      }),
    ) as JsonObject,
  };
}

/** The notification for the kill switch being pulled or released. */
export function systemEvent(
  system: SystemRow,
  frozen: boolean,
  reason: string,
  by: string,
): Omit<NotificationEvent, 'id' | 'time'> {
  const team = ownerTeamOf(system);
  return {
    type: frozen ? 'system.frozen' : 'system.unfrozen',
    subject: system.id,
    severity: frozen ? 'error' : 'info',
    ...(team ? { team } : {}),
    systemId: system.id,
    summary: frozen
      ? `${system.id} was frozen by ${by}: ${reason}`
      : `${system.id} was unfrozen by ${by}: ${reason}`,
    data: {
      system: system.id,
      kind: system.kind,
      reason,
      by,
      owner: (system.spec.owner ?? null) as JsonObject,
    },
  };
}
