import type {
  ActivityRow,
  ApprovalRow,
  DecisionRow,
  DecisionStatus,
  GateRunRow,
  GateRunSummaryRow,
  MonitorAlertRow,
  MonitorEventRow,
  MonitorProfileRow,
  MonitorWindowRow,
  NotificationRow,
  SystemRow,
  TokenRow,
} from './records.js';

/** Row mapping shared by the SQLite and PostgreSQL stores: both use the same column names. */

export type Row = Record<string, unknown>;
const optional = <T>(value: unknown): T | undefined =>
  value === null || value === undefined ? undefined : (value as T);
const json = <T>(value: unknown): T => JSON.parse(value as string) as T;

export function systemFrom(row: Row): SystemRow {
  return {
    id: row.id as string,
    kind: row.kind as SystemRow['kind'],
    spec: json(row.spec),
    source: row.source as SystemRow['source'],
    status: row.status as SystemRow['status'],
    ...withOptional('statusReason', row.status_reason),
    ...withOptional('statusBy', row.status_by),
    ...withOptional('statusAt', row.status_at),
    createdAt: row.created_at as string,
    updatedAt: row.updated_at as string,
  };
}

function withOptional<K extends string>(key: K, value: unknown): { [P in K]?: string } {
  return value === null || value === undefined ? {} : ({ [key]: value as string } as { [P in K]: string });
}

export function tokenFrom(row: Row): TokenRow {
  return {
    id: row.id as string,
    hash: row.hash as string,
    role: row.role as TokenRow['role'],
    ...withOptional('systemId', row.system_id),
    ...withOptional('userName', row.user_name),
    groups: json(row.groups),
    ...withOptional('label', row.label),
    createdAt: row.created_at as string,
    ...withOptional('revokedAt', row.revoked_at),
  };
}

export function decisionFrom(row: Row): DecisionRow {
  const outcomeStatus = optional<string>(row.outcome_status);
  return {
    id: row.id as string,
    actorId: row.actor_id as string,
    actorKind: row.actor_kind as DecisionRow['actorKind'],
    ...withOptional('systemId', row.system_id),
    action: row.action as string,
    resourceType: row.resource_type as string,
    resourceId: row.resource_id as string,
    ...withOptional('environment', row.environment),
    request: json(row.request),
    requestHash: row.request_hash as string,
    ...withOptional('idempotencyKey', row.idempotency_key),
    status: row.status as DecisionStatus,
    effect: row.effect as DecisionRow['effect'],
    verdict: json(row.verdict),
    requirements: json(row.requirements),
    bundle: row.bundle as string,
    ...withOptional('statusReason', row.status_reason),
    createdAt: row.created_at as string,
    updatedAt: row.updated_at as string,
    ...withOptional('expiresAt', row.expires_at),
    ledgerIndex: row.ledger_index as number,
    ...(outcomeStatus
      ? {
          outcome: {
            status: outcomeStatus as NonNullable<DecisionRow['outcome']>['status'],
            ...withOptional('detail', row.outcome_detail),
            at: row.outcome_at as string,
            ledgerIndex: row.outcome_ledger_index as number,
          },
        }
      : {}),
  };
}

export function approvalFrom(row: Row): ApprovalRow {
  return {
    decisionId: row.decision_id as string,
    approver: row.approver as string,
    groups: json(row.groups),
    verdict: row.verdict as ApprovalRow['verdict'],
    ...withOptional('reason', row.reason),
    requestHash: row.request_hash as string,
    createdAt: row.created_at as string,
    ledgerIndex: row.ledger_index as number,
  };
}

export function activityFrom(row: Row): ActivityRow {
  return {
    action: row.action as string,
    environment: row.environment as string,
    decisions: row.decisions as number,
    allowed: row.allowed as number,
    denied: row.denied as number,
    succeeded: row.succeeded as number,
    failed: row.failed as number,
    rolledBack: row.rolled_back as number,
  };
}

export function notificationFrom(row: Row): NotificationRow {
  return {
    id: row.id as string,
    notifier: row.notifier as string,
    eventType: row.event_type as string,
    payload: JSON.parse(row.payload as string),
    attempts: Number(row.attempts),
    status: row.status as NotificationRow['status'],
    nextAttemptAt: row.next_attempt_at as string,
    ...withOptional('lastError', row.last_error),
    createdAt: row.created_at as string,
    ...withOptional('deliveredAt', row.delivered_at),
  };
}

/** Maps a gate_runs row; `passed` is an integer in SQLite and a boolean in PostgreSQL. */
export function gateRunSummaryFrom(row: Row): GateRunSummaryRow {
  return {
    id: row.id as string,
    systemId: row.system_id as string,
    version: row.version as string,
    releaseName: row.release_name as string,
    passed: row.passed === true || row.passed === 1,
    bundle: row.bundle as string,
    startedAt: row.started_at as string,
    recordedAt: row.recorded_at as string,
    recordedBy: row.recorded_by as string,
    ...withOptional('idempotencyKey', row.idempotency_key),
    reportSha256: row.report_sha256 as string,
    ledgerIndex: Number(row.ledger_index),
  };
}

export function gateRunFrom(row: Row): GateRunRow {
  return { ...gateRunSummaryFrom(row), report: json(row.report) };
}

export function monitorProfileFrom(row: Row): MonitorProfileRow {
  return {
    sha256: row.sha256 as string,
    systemId: row.system_id as string,
    profile: json(row.profile),
    createdAt: row.created_at as string,
  };
}

export function monitorWindowFrom(row: Row): MonitorWindowRow {
  return {
    systemId: row.system_id as string,
    start: Number(row.window_start),
    end: Number(row.window_end),
    profile: row.profile as string,
    state: json(row.state),
    ...withOptional('evaluatedAt', row.evaluated_at),
    ...(row.metrics === null || row.metrics === undefined ? {} : { metrics: json(row.metrics) }),
    updatedAt: row.updated_at as string,
  };
}

export function monitorEventFrom(row: Row): MonitorEventRow {
  return {
    systemId: row.system_id as string,
    id: row.id as string,
    windowStart: Number(row.window_start),
    memo: json(row.memo),
    ...withOptional('labeledAt', row.labeled_at),
    createdAt: row.created_at as string,
  };
}

export function monitorAlertFrom(row: Row): MonitorAlertRow {
  return {
    systemId: row.system_id as string,
    policy: row.policy as string,
    alert: row.alert as string,
    state: json(row.state),
    updatedAt: row.updated_at as string,
  };
}
