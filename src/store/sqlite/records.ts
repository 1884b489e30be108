import type Database from 'better-sqlite3';
import { canonicalJson } from '../../core/canonical-json.js';
import type { StoredEntry } from '../../ledger/storage.js';
import type {
  AutonomyChangeRow,
  OutcomeCounts,
  SystemOutcomeFilter,
  SystemOutcomeRow,
} from '../autonomy-records.js';
import type { IncidentFilter, IncidentLinkRow, IncidentRow, LedgerEntryFilter } from '../incident-records.js';
import { decisionPage, pageSql } from '../page-query.js';
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
  MonitorAlertRow,
  MonitorEventRow,
  MonitorProfileRow,
  MonitorWindowRow,
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
  monitorAlertFrom,
  monitorEventFrom,
  monitorProfileFrom,
  monitorWindowFrom,
  notificationFrom,
  type Row,
  systemFrom,
  tokenFrom,
} from '../row-mapping.js';
import { sqliteAutonomyRecords } from './autonomy-records.js';
import { sqliteIncidentRecords } from './incident-records.js';

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
      unstartedOfSystem: db.prepare(
        "SELECT * FROM decisions WHERE status = 'allowed' AND outcome_status IS NULL AND system_id = ? ORDER BY created_at",
      ),
      lapsedAllowed: db.prepare(
        "SELECT * FROM decisions WHERE status = 'allowed' AND outcome_status IS NULL AND expires_at <= ? ORDER BY expires_at LIMIT ?",
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
      monitorProfile: db.prepare('SELECT * FROM monitor_profiles WHERE sha256 = ?'),
      monitorWindows: db.prepare(
        'SELECT * FROM monitor_windows WHERE system_id = ? AND window_start >= ? AND window_start < ? ORDER BY window_start LIMIT ?',
      ),
      // Lists travel as one JSON parameter: no limit on how many, one prepared statement.
      monitorWindowsAt: db.prepare(
        'SELECT * FROM monitor_windows WHERE system_id = ? AND window_start IN (SELECT value FROM json_each(?)) ORDER BY window_start',
      ),
      unevaluatedMonitorWindows: db.prepare(
        'SELECT window_start, window_end FROM monitor_windows WHERE system_id = ? AND evaluated_at IS NULL ORDER BY window_start LIMIT ?',
      ),
      latestMonitorWindowStart: db
        .prepare('SELECT MAX(window_start) FROM monitor_windows WHERE system_id = ?')
        .pluck(),
      latestEvaluatedMonitorWindow: db.prepare(
        'SELECT * FROM monitor_windows WHERE system_id = ? AND evaluated_at IS NOT NULL ORDER BY window_start DESC LIMIT 1',
      ),
      monitorEvents: db.prepare(
        'SELECT * FROM monitor_events WHERE system_id = ? AND id IN (SELECT value FROM json_each(?))',
      ),
      monitorAlertsOf: db.prepare('SELECT * FROM monitor_alerts WHERE system_id = ? ORDER BY policy, alert'),
      monitorAlertsAll: db.prepare('SELECT * FROM monitor_alerts ORDER BY system_id, policy, alert'),
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
    const { sql, params } = pageSql(decisionPage(filter), 'sqlite');
    return (this.db.prepare(sql).all(...params) as Row[]).map(decisionFrom);
  }

  async expiredPending(time: string, limit: number): Promise<DecisionRow[]> {
    return (this.statements.expiredPending.all(time, limit) as Row[]).map(decisionFrom);
  }

  async pendingOfSystem(systemId: string): Promise<DecisionRow[]> {
    return (this.statements.pendingOfSystem.all(systemId) as Row[]).map(decisionFrom);
  }

  async unstartedOfSystem(systemId: string): Promise<DecisionRow[]> {
    return (this.statements.unstartedOfSystem.all(systemId) as Row[]).map(decisionFrom);
  }

  async lapsedAllowed(time: string, limit: number): Promise<DecisionRow[]> {
    return (this.statements.lapsedAllowed.all(time, limit) as Row[]).map(decisionFrom);
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

  async monitorProfile(sha256: string): Promise<MonitorProfileRow | undefined> {
    const row = this.statements.monitorProfile.get(sha256) as Row | undefined;
    return row ? monitorProfileFrom(row) : undefined;
  }

  async monitorWindows(
    systemId: string,
    range: { from: number; to: number; limit: number },
  ): Promise<MonitorWindowRow[]> {
    return (this.statements.monitorWindows.all(systemId, range.from, range.to, range.limit) as Row[]).map(
      monitorWindowFrom,
    );
  }

  async monitorWindowsAt(systemId: string, starts: readonly number[]): Promise<MonitorWindowRow[]> {
    if (starts.length === 0) return [];
    return (this.statements.monitorWindowsAt.all(systemId, JSON.stringify(starts)) as Row[]).map(
      monitorWindowFrom,
    );
  }

  async unevaluatedMonitorWindows(
    systemId: string,
    limit: number,
  ): Promise<{ start: number; end: number }[]> {
    return (this.statements.unevaluatedMonitorWindows.all(systemId, limit) as Row[]).map((row) => ({
      start: Number(row.window_start),
      end: Number(row.window_end),
    }));
  }

  async latestMonitorWindowStart(systemId: string): Promise<number | undefined> {
    const start = this.statements.latestMonitorWindowStart.get(systemId) as number | null;
    return start === null ? undefined : Number(start);
  }

  async latestEvaluatedMonitorWindow(systemId: string): Promise<MonitorWindowRow | undefined> {
    const row = this.statements.latestEvaluatedMonitorWindow.get(systemId) as Row | undefined;
    return row ? monitorWindowFrom(row) : undefined;
  }

  async monitorEvents(systemId: string, ids: readonly string[]): Promise<MonitorEventRow[]> {
    if (ids.length === 0) return [];
    return (this.statements.monitorEvents.all(systemId, JSON.stringify(ids)) as Row[]).map(monitorEventFrom);
  }

  async monitorAlerts(systemId?: string): Promise<MonitorAlertRow[]> {
    const rows =
      systemId === undefined
        ? this.statements.monitorAlertsAll.all()
        : this.statements.monitorAlertsOf.all(systemId);
    return (rows as Row[]).map(monitorAlertFrom);
  }

  // Autonomy: the statements live in autonomy-records.ts.
  autonomyChanges(
    systemId: string,
    options: { limit: number; atOrBefore?: string },
  ): Promise<AutonomyChangeRow[]> {
    return sqliteAutonomyRecords(this.db).autonomyChanges(systemId, options);
  }

  systemFailures(
    systemId: string,
    filter: SystemOutcomeFilter & { limit: number },
  ): Promise<SystemOutcomeRow[]> {
    return sqliteAutonomyRecords(this.db).systemFailures(systemId, filter);
  }

  systemOutcomeCounts(systemId: string, filter: SystemOutcomeFilter): Promise<OutcomeCounts> {
    return sqliteAutonomyRecords(this.db).systemOutcomeCounts(systemId, filter);
  }

  // Incidents: the statements live in incident-records.ts.
  getIncident(id: string): Promise<IncidentRow | undefined> {
    return sqliteIncidentRecords(this.db).getIncident(id);
  }

  listIncidents(filter: IncidentFilter): Promise<IncidentRow[]> {
    return sqliteIncidentRecords(this.db).listIncidents(filter);
  }

  incidentLinks(incidentId: string): Promise<IncidentLinkRow[]> {
    return sqliteIncidentRecords(this.db).incidentLinks(incidentId);
  }

  incidentsLinking(kind: IncidentLinkRow['kind'], ref: string): Promise<IncidentLinkRow[]> {
    return sqliteIncidentRecords(this.db).incidentsLinking(kind, ref);
  }

  openIncidentByDedupKey(key: string): Promise<IncidentRow | undefined> {
    return sqliteIncidentRecords(this.db).openIncidentByDedupKey(key);
  }

  ledgerEntriesAbout(filter: LedgerEntryFilter): Promise<StoredEntry[]> {
    return sqliteIncidentRecords(this.db).ledgerEntriesAbout(filter);
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
        'UPDATE decisions SET status = ?, status_reason = ?, updated_at = ?, expires_at = COALESCE(?, expires_at) WHERE id = ?',
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
      putMonitorProfile: db.prepare(
        'INSERT INTO monitor_profiles (sha256, system_id, profile, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING',
      ),
      putMonitorWindow: db.prepare(
        `INSERT INTO monitor_windows (system_id, window_start, window_end, profile, state, evaluated_at, metrics, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (system_id, window_start) DO UPDATE SET window_end = excluded.window_end, profile = excluded.profile,
           state = excluded.state, evaluated_at = excluded.evaluated_at, metrics = excluded.metrics, updated_at = excluded.updated_at`,
      ),
      insertMonitorEvent: db.prepare(
        'INSERT INTO monitor_events (system_id, id, window_start, memo, labeled_at, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      markMonitorEventsLabeled: db.prepare(
        'UPDATE monitor_events SET labeled_at = ? WHERE system_id = ? AND id IN (SELECT value FROM json_each(?))',
      ),
      purgeMonitorEvents: db.prepare(
        'DELETE FROM monitor_events WHERE (system_id, id) IN (SELECT system_id, id FROM monitor_events WHERE created_at < ? LIMIT ?)',
      ),
      putMonitorAlert: db.prepare(
        `INSERT INTO monitor_alerts (system_id, policy, alert, state, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (system_id, policy, alert) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`,
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

  async updateDecisionStatus(
    id: string,
    status: DecisionStatus,
    reason: string,
    at: string,
    expiresAt?: string,
  ): Promise<void> {
    this.writes.updateStatus.run(status, reason, at, expiresAt ?? null, id);
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

  async putMonitorProfile(row: MonitorProfileRow): Promise<void> {
    this.writes.putMonitorProfile.run(row.sha256, row.systemId, JSON.stringify(row.profile), row.createdAt);
  }

  async putMonitorWindow(row: MonitorWindowRow): Promise<void> {
    this.writes.putMonitorWindow.run(
      row.systemId,
      row.start,
      row.end,
      row.profile,
      JSON.stringify(row.state),
      row.evaluatedAt ?? null,
      row.metrics === undefined ? null : JSON.stringify(row.metrics),
      row.updatedAt,
    );
  }

  async insertMonitorEvents(rows: readonly MonitorEventRow[]): Promise<void> {
    for (const row of rows)
      this.writes.insertMonitorEvent.run(
        row.systemId,
        row.id,
        row.windowStart,
        JSON.stringify(row.memo),
        row.labeledAt ?? null,
        row.createdAt,
      );
  }

  async markMonitorEventsLabeled(systemId: string, ids: readonly string[], at: string): Promise<void> {
    if (ids.length > 0) this.writes.markMonitorEventsLabeled.run(at, systemId, JSON.stringify(ids));
  }

  async purgeMonitorEvents(before: string, limit: number): Promise<number> {
    return this.writes.purgeMonitorEvents.run(before, limit).changes;
  }

  insertAutonomyChange(row: AutonomyChangeRow): Promise<void> {
    return sqliteAutonomyRecords(this.db).insertAutonomyChange(row);
  }

  insertIncident(row: IncidentRow): Promise<void> {
    return sqliteIncidentRecords(this.db).insertIncident(row);
  }

  insertIncidentLink(row: IncidentLinkRow): Promise<void> {
    return sqliteIncidentRecords(this.db).insertIncidentLink(row);
  }

  resolveIncident(
    id: string,
    resolution: { by: string; at: string; summary: string; ledgerIndex: number },
  ): Promise<void> {
    return sqliteIncidentRecords(this.db).resolveIncident(id, resolution);
  }

  async putMonitorAlert(row: MonitorAlertRow): Promise<void> {
    this.writes.putMonitorAlert.run(
      row.systemId,
      row.policy,
      row.alert,
      JSON.stringify(row.state),
      row.updatedAt,
    );
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
