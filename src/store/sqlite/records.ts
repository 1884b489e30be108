import type Database from 'better-sqlite3';
import { canonicalJson } from '../../core/canonical-json.js';
import type {
  ActivityCounts,
  ActivityDelta,
  ActivityRow,
  ApprovalRow,
  DecisionFilter,
  DecisionRow,
  DecisionStatus,
  FailureRow,
  GateRunFilter,
  GateRunRow,
  GateRunSummaryRow,
  NotificationRow,
  RecordReads,
  RecordWrites,
  SystemRow,
  TokenRow,
} from '../records.js';

import {
  activityFrom,
  approvalFrom,
  decisionFrom,
  gateRunFrom,
  gateRunSummaryColumns,
  gateRunSummaryFrom,
  notificationFrom,
  type Row,
  systemFrom,
  tokenFrom,
} from '../row-mapping.js';

const activitySums =
  'SUM(decisions) AS decisions, SUM(allowed) AS allowed, SUM(denied) AS denied, SUM(succeeded) AS succeeded, SUM(failed) AS failed, SUM(rolled_back) AS rolled_back';

/** Record reads over one connection. */
export class SqliteRecordReads implements RecordReads {
  private readonly statements;

  constructor(protected readonly db: Database.Database) {
    this.statements = {
      getSystem: db.prepare('SELECT * FROM systems WHERE id = ?'),
      listSystems: db.prepare('SELECT * FROM systems ORDER BY id'),
      tokenByHash: db.prepare('SELECT * FROM tokens WHERE hash = ?'),
      listTokens: db.prepare('SELECT * FROM tokens ORDER BY created_at, id'),
      getDecision: db.prepare('SELECT * FROM decisions WHERE id = ?'),
      byIdempotency: db.prepare('SELECT * FROM decisions WHERE actor_id = ? AND idempotency_key = ?'),
      expiredPending: db.prepare(
        "SELECT * FROM decisions WHERE status = 'pending' AND expires_at <= ? ORDER BY expires_at LIMIT ?",
      ),
      pendingOfSystem: db.prepare(
        "SELECT * FROM decisions WHERE status = 'pending' AND system_id = ? ORDER BY created_at",
      ),
      countPending: db.prepare("SELECT COUNT(*) FROM decisions WHERE status = 'pending'").pluck(),
      approvalsOf: db.prepare('SELECT * FROM approvals WHERE decision_id = ? ORDER BY created_at, approver'),
      activityMinutes: db.prepare(
        `SELECT action, environment, ${activitySums} FROM activity WHERE actor_id = ? AND granularity = 'm' AND bucket >= ? GROUP BY action, environment`,
      ),
      activityHours: db.prepare(
        `SELECT action, environment, ${activitySums} FROM activity WHERE actor_id = ? AND granularity = 'h' AND bucket >= ? GROUP BY action, environment`,
      ),
      failures: db.prepare('SELECT action, environment, last_failed_at FROM failures WHERE actor_id = ?'),
      notificationsByStatus: db.prepare(
        'SELECT * FROM notifications WHERE status = ? ORDER BY created_at, id LIMIT ?',
      ),
      notificationsAll: db.prepare('SELECT * FROM notifications ORDER BY created_at, id LIMIT ?'),
      countNotifications: db.prepare('SELECT COUNT(*) FROM notifications WHERE status = ?').pluck(),
      gateRun: db.prepare('SELECT * FROM gate_runs WHERE id = ?'),
      gateRunByIdempotency: db.prepare(
        `SELECT ${gateRunSummaryColumns} FROM gate_runs WHERE recorded_by = ? AND idempotency_key = ?`,
      ),
    };
  }

  async getSystem(id: string): Promise<SystemRow | undefined> {
    const row = this.statements.getSystem.get(id) as Row | undefined;
    return row ? systemFrom(row) : undefined;
  }

  async listSystems(): Promise<SystemRow[]> {
    return (this.statements.listSystems.all() as Row[]).map(systemFrom);
  }

  async tokenByHash(hash: string): Promise<TokenRow | undefined> {
    const row = this.statements.tokenByHash.get(hash) as Row | undefined;
    return row ? tokenFrom(row) : undefined;
  }

  async listTokens(): Promise<TokenRow[]> {
    return (this.statements.listTokens.all() as Row[]).map(tokenFrom);
  }

  async getDecision(id: string): Promise<DecisionRow | undefined> {
    const row = this.statements.getDecision.get(id) as Row | undefined;
    return row ? decisionFrom(row) : undefined;
  }

  async decisionByIdempotencyKey(actorId: string, key: string): Promise<DecisionRow | undefined> {
    const row = this.statements.byIdempotency.get(actorId, key) as Row | undefined;
    return row ? decisionFrom(row) : undefined;
  }

  async listDecisions(filter: DecisionFilter): Promise<DecisionRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (clause: string, value: unknown) => {
      where.push(clause);
      params.push(value);
    };
    if (filter.status) add('status = ?', filter.status);
    if (filter.systemId) add('system_id = ?', filter.systemId);
    if (filter.actorId) add('actor_id = ?', filter.actorId);
    if (filter.action) add('action = ?', filter.action);
    if (filter.environment) add('environment = ?', filter.environment);
    if (filter.since) add('created_at >= ?', filter.since);
    if (filter.before) {
      where.push('(created_at < ? OR (created_at = ? AND id < ?))');
      params.push(filter.before.createdAt, filter.before.createdAt, filter.before.id);
    }
    const sql = `SELECT * FROM decisions ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...params, filter.limit) as Row[]).map(decisionFrom);
  }

  async expiredPending(time: string, limit: number): Promise<DecisionRow[]> {
    return (this.statements.expiredPending.all(time, limit) as Row[]).map(decisionFrom);
  }

  async pendingOfSystem(systemId: string): Promise<DecisionRow[]> {
    return (this.statements.pendingOfSystem.all(systemId) as Row[]).map(decisionFrom);
  }

  async countPending(): Promise<number> {
    return this.statements.countPending.get() as number;
  }

  async approvalsOf(decisionId: string): Promise<ApprovalRow[]> {
    return (this.statements.approvalsOf.all(decisionId) as Row[]).map(approvalFrom);
  }

  async activity(
    actorId: string,
    sinceMinute: number,
    sinceHour: number,
  ): Promise<{ lastHour: ActivityRow[]; lastDay: ActivityRow[] }> {
    return {
      lastHour: (this.statements.activityMinutes.all(actorId, sinceMinute) as Row[]).map(activityFrom),
      lastDay: (this.statements.activityHours.all(actorId, sinceHour) as Row[]).map(activityFrom),
    };
  }

  async failures(actorId: string): Promise<FailureRow[]> {
    return (this.statements.failures.all(actorId) as Row[]).map((row) => ({
      action: row.action as string,
      environment: row.environment as string,
      lastFailedAt: row.last_failed_at as string,
    }));
  }

  async notifications(filter: {
    status?: NotificationRow['status'];
    limit: number;
  }): Promise<NotificationRow[]> {
    const rows = filter.status
      ? this.statements.notificationsByStatus.all(filter.status, filter.limit)
      : this.statements.notificationsAll.all(filter.limit);
    return (rows as Row[]).map(notificationFrom);
  }

  async countNotifications(status: NotificationRow['status']): Promise<number> {
    return this.statements.countNotifications.get(status) as number;
  }

  async gateRun(id: string): Promise<GateRunRow | undefined> {
    const row = this.statements.gateRun.get(id) as Row | undefined;
    return row ? gateRunFrom(row) : undefined;
  }

  async gateRuns(filter: GateRunFilter): Promise<GateRunSummaryRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.systemId) {
      where.push('system_id = ?');
      params.push(filter.systemId);
    }
    if (filter.version) {
      where.push('version = ?');
      params.push(filter.version);
    }
    if (filter.before) {
      where.push('(recorded_at < ? OR (recorded_at = ? AND id < ?))');
      params.push(filter.before.recordedAt, filter.before.recordedAt, filter.before.id);
    }
    const sql = `SELECT ${gateRunSummaryColumns} FROM gate_runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY recorded_at DESC, id DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...params, filter.limit) as Row[]).map(gateRunSummaryFrom);
  }

  async gateRunByIdempotencyKey(recordedBy: string, key: string): Promise<GateRunSummaryRow | undefined> {
    const row = this.statements.gateRunByIdempotency.get(recordedBy, key) as Row | undefined;
    return row ? gateRunSummaryFrom(row) : undefined;
  }
}

const counterColumns: [keyof ActivityCounts, string][] = [
  ['decisions', 'decisions'],
  ['allowed', 'allowed'],
  ['denied', 'denied'],
  ['succeeded', 'succeeded'],
  ['failed', 'failed'],
  ['rolledBack', 'rolled_back'],
];

/** Reads and writes inside the writer's transaction. */
export class SqliteRecordWrites extends SqliteRecordReads implements RecordWrites {
  private readonly writes;

  constructor(db: Database.Database) {
    super(db);
    const increments = counterColumns
      .map(([, column]) => `${column} = ${column} + excluded.${column}`)
      .join(', ');
    this.writes = {
      upsertSystem: db.prepare(
        `INSERT INTO systems (id, kind, spec, source, status, status_reason, status_by, status_at, created_at, updated_at)
         VALUES (@id, @kind, @spec, @source, @status, @statusReason, @statusBy, @statusAt, @createdAt, @updatedAt)
         ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, spec = excluded.spec, source = excluded.source, updated_at = excluded.updated_at`,
      ),
      setSystemStatus: db.prepare(
        'UPDATE systems SET status = ?, status_reason = ?, status_by = ?, status_at = ?, updated_at = ? WHERE id = ?',
      ),
      insertToken: db.prepare(
        'INSERT INTO tokens (id, hash, role, system_id, user_name, groups, label, created_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      revokeToken: db.prepare('UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
      insertDecision: db.prepare(
        `INSERT INTO decisions (id, actor_id, actor_kind, system_id, action, resource_type, resource_id, environment, request, request_hash,
           idempotency_key, status, effect, verdict, requirements, bundle, status_reason, created_at, updated_at, expires_at, ledger_index)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      updateStatus: db.prepare(
        'UPDATE decisions SET status = ?, status_reason = ?, updated_at = ? WHERE id = ?',
      ),
      setOutcome: db.prepare(
        'UPDATE decisions SET outcome_status = ?, outcome_detail = ?, outcome_at = ?, outcome_ledger_index = ?, updated_at = ? WHERE id = ?',
      ),
      insertApproval: db.prepare(
        'INSERT INTO approvals (decision_id, approver, groups, verdict, reason, request_hash, created_at, ledger_index) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      addActivity: db.prepare(
        `INSERT INTO activity (actor_id, granularity, bucket, action, environment, ${counterColumns.map(([, c]) => c).join(', ')})
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (actor_id, granularity, bucket, action, environment) DO UPDATE SET ${increments}`,
      ),
      enqueueNotification: db.prepare(
        'INSERT INTO notifications (id, notifier, event_type, payload, attempts, status, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      dueNotifications: db.prepare(
        "SELECT * FROM notifications WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?",
      ),
      leaseNotification: db.prepare('UPDATE notifications SET next_attempt_at = ? WHERE id = ?'),
      finishNotification: db.prepare(
        'UPDATE notifications SET status = ?, attempts = ?, next_attempt_at = ?, last_error = ?, delivered_at = ? WHERE id = ?',
      ),
      insertGateRun: db.prepare(
        `INSERT INTO gate_runs (id, system_id, version, release_name, passed, bundle, started_at, recorded_at, recorded_by,
           idempotency_key, report_sha256, ledger_index, report)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      recordFailure: db.prepare(
        `INSERT INTO failures (actor_id, action, environment, last_failed_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (actor_id, action, environment) DO UPDATE SET last_failed_at = MAX(last_failed_at, excluded.last_failed_at)`,
      ),
    };
  }

  async upsertSystem(row: SystemRow): Promise<void> {
    this.writes.upsertSystem.run({
      ...row,
      spec: JSON.stringify(row.spec),
      statusReason: row.statusReason ?? null,
      statusBy: row.statusBy ?? null,
      statusAt: row.statusAt ?? null,
    });
  }

  async setSystemStatus(
    id: string,
    status: SystemRow['status'],
    reason: string,
    by: string,
    at: string,
  ): Promise<void> {
    this.writes.setSystemStatus.run(status, reason, by, at, at, id);
  }

  async insertToken(row: TokenRow): Promise<void> {
    this.writes.insertToken.run(
      row.id,
      row.hash,
      row.role,
      row.systemId ?? null,
      row.userName ?? null,
      JSON.stringify(row.groups),
      row.label ?? null,
      row.createdAt,
      row.revokedAt ?? null,
    );
  }

  async revokeToken(id: string, at: string): Promise<boolean> {
    return this.writes.revokeToken.run(at, id).changes > 0;
  }

  async insertDecision(row: DecisionRow): Promise<void> {
    this.writes.insertDecision.run(
      row.id,
      row.actorId,
      row.actorKind,
      row.systemId ?? null,
      row.action,
      row.resourceType,
      row.resourceId,
      row.environment ?? null,
      JSON.stringify(row.request),
      row.requestHash,
      row.idempotencyKey ?? null,
      row.status,
      row.effect,
      JSON.stringify(row.verdict),
      JSON.stringify(row.requirements),
      row.bundle,
      row.statusReason ?? null,
      row.createdAt,
      row.updatedAt,
      row.expiresAt ?? null,
      row.ledgerIndex,
    );
  }

  async updateDecisionStatus(id: string, status: DecisionStatus, reason: string, at: string): Promise<void> {
    this.writes.updateStatus.run(status, reason, at, id);
  }

  async setOutcome(id: string, outcome: NonNullable<DecisionRow['outcome']>): Promise<void> {
    this.writes.setOutcome.run(
      outcome.status,
      outcome.detail ?? null,
      outcome.at,
      outcome.ledgerIndex,
      outcome.at,
      id,
    );
  }

  async insertApproval(row: ApprovalRow): Promise<void> {
    this.writes.insertApproval.run(
      row.decisionId,
      row.approver,
      JSON.stringify(row.groups),
      row.verdict,
      row.reason ?? null,
      row.requestHash,
      row.createdAt,
      row.ledgerIndex,
    );
  }

  async addActivity(delta: ActivityDelta): Promise<void> {
    const minute = Math.floor(delta.at.getTime() / 60_000);
    const counts = counterColumns.map(([key]) => delta[key] ?? 0);
    this.writes.addActivity.run(delta.actorId, 'm', minute, delta.action, delta.environment, ...counts);
    this.writes.addActivity.run(
      delta.actorId,
      'h',
      Math.floor(minute / 60),
      delta.action,
      delta.environment,
      ...counts,
    );
  }

  async recordFailure(actorId: string, action: string, environment: string, at: string): Promise<void> {
    this.writes.recordFailure.run(actorId, action, environment, at);
  }

  async insertGateRun(row: GateRunRow): Promise<void> {
    this.writes.insertGateRun.run(
      row.id,
      row.systemId,
      row.version,
      row.releaseName,
      row.passed ? 1 : 0,
      row.bundle,
      row.startedAt,
      row.recordedAt,
      row.recordedBy,
      row.idempotencyKey ?? null,
      row.reportSha256,
      row.ledgerIndex,
      canonicalJson(row.report),
    );
  }

  async enqueueNotifications(rows: readonly NotificationRow[]): Promise<void> {
    for (const row of rows) {
      this.writes.enqueueNotification.run(
        row.id,
        row.notifier,
        row.eventType,
        JSON.stringify(row.payload),
        row.attempts,
        row.status,
        row.nextAttemptAt,
        row.createdAt,
      );
    }
  }

  async claimNotifications(now: string, leaseUntil: string, limit: number): Promise<NotificationRow[]> {
    const rows = (this.writes.dueNotifications.all(now, limit) as Row[]).map(notificationFrom);
    for (const row of rows) this.writes.leaseNotification.run(leaseUntil, row.id);
    return rows;
  }

  async finishNotification(
    id: string,
    update: {
      status: NotificationRow['status'];
      attempts: number;
      nextAttemptAt: string;
      lastError?: string;
      deliveredAt?: string;
    },
  ): Promise<void> {
    this.writes.finishNotification.run(
      update.status,
      update.attempts,
      update.nextAttemptAt,
      update.lastError ?? null,
      update.deliveredAt ?? null,
      id,
    );
  }
}
