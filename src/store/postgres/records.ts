import { canonicalJson } from '../../core/canonical-json.js';
import type { PersonalValue } from '../../ledger/entry.js';
import type {
  AppendWrite,
  LedgerReader,
  LedgerWriter,
  StoredCheckpoint,
  StoredEntry,
} from '../../ledger/storage.js';
import type { NodeId } from '../../ledger/tree-math.js';
import type {
  AutonomyChangeRow,
  OutcomeCounts,
  SystemOutcomeFilter,
  SystemOutcomeRow,
} from '../autonomy-records.js';
import type { IncidentFilter, IncidentLinkRow, IncidentRow, LedgerEntryFilter } from '../incident-records.js';
import { decisionPage, pageSql } from '../page-query.js';
import { erasedValue, mirrorsOf } from '../personal-mirrors.js';
import type {
  ActivityDelta,
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
import type { ErasureMatch } from '../store.js';
import { PgAutonomyRecords } from './autonomy-records.js';
import { PgIncidentRecords } from './incident-records.js';

/** The one thing these classes need from `pg`: run a parameterised statement. */
export interface Queryable {
  query(sql: string, params?: readonly unknown[]): Promise<{ rows: Row[]; rowCount: number | null }>;
}

const bytes = (value: unknown) => value as Buffer;
const activitySums =
  'SUM(decisions) AS decisions, SUM(allowed) AS allowed, SUM(denied) AS denied, SUM(succeeded) AS succeeded, SUM(failed) AS failed, SUM(rolled_back) AS rolled_back';

/** Ledger reads; level-0 nodes come from the entries' leaf hashes. */
export class PgLedgerReads implements LedgerReader {
  constructor(protected readonly db: Queryable) {}

  async size(): Promise<number> {
    const { rows } = await this.db.query('SELECT COALESCE(MAX(seq) + 1, 0) AS size FROM ledger_entries');
    return Number(rows[0]!.size);
  }

  async nodes(ids: readonly NodeId[]): Promise<Uint8Array[]> {
    const leaves = ids.filter((id) => id.level === 0).map((id) => id.index);
    const inner = ids.filter((id) => id.level > 0);
    const found = new Map<string, Uint8Array>();
    if (leaves.length > 0) {
      const { rows } = await this.db.query(
        'SELECT seq, leaf_hash FROM ledger_entries WHERE seq = ANY($1::bigint[])',
        [leaves],
      );
      for (const row of rows) found.set(`0/${Number(row.seq)}`, bytes(row.leaf_hash));
    }
    if (inner.length > 0) {
      const { rows } = await this.db.query(
        'SELECT n.level, n.idx, n.hash FROM ledger_nodes n JOIN unnest($1::int[], $2::bigint[]) AS wanted (level, idx) ON n.level = wanted.level AND n.idx = wanted.idx',
        [inner.map((id) => id.level), inner.map((id) => id.index)],
      );
      for (const row of rows) found.set(`${row.level}/${Number(row.idx)}`, bytes(row.hash));
    }
    return ids.map(({ level, index }) => {
      const hash = found.get(`${level}/${index}`);
      if (!hash) throw new Error(`ledger node (${level}, ${index}) is missing`);
      return hash;
    });
  }

  async entries(start: number, end: number): Promise<StoredEntry[]> {
    const { rows } = await this.db.query(
      'SELECT seq, time, type, actor, subject, entry, leaf_hash FROM ledger_entries WHERE seq >= $1 AND seq < $2 ORDER BY seq',
      [start, end],
    );
    return rows.map((row) => ({
      seq: Number(row.seq),
      time: row.time as string,
      type: row.type as string,
      actor: row.actor as string,
      subject: row.subject as string,
      bytes: bytes(row.entry),
      leafHash: bytes(row.leaf_hash),
    }));
  }

  async entryBytes(start: number, end: number): Promise<{ bytes: Uint8Array; leafHash: Uint8Array }[]> {
    const { rows } = await this.db.query(
      'SELECT entry, leaf_hash FROM ledger_entries WHERE seq >= $1 AND seq < $2 ORDER BY seq',
      [start, end],
    );
    return rows.map((row) => ({ bytes: bytes(row.entry), leafHash: bytes(row.leaf_hash) }));
  }

  async personal(start: number, end: number): Promise<PersonalValue[]> {
    const { rows } = await this.db.query(
      'SELECT seq, field, salt, value FROM ledger_personal WHERE seq >= $1 AND seq < $2 ORDER BY seq, field',
      [start, end],
    );
    return rows.map((row) => ({
      seq: Number(row.seq),
      field: row.field as string,
      salt: bytes(row.salt),
      value: JSON.parse(row.value as string),
    }));
  }

  async checkpoints(): Promise<StoredCheckpoint[]> {
    const { rows } = await this.db.query(
      'SELECT size, root, note, created_at FROM ledger_checkpoints ORDER BY size',
    );
    return rows.map((row) => ({
      size: Number(row.size),
      root: bytes(row.root),
      note: row.note as string,
      createdAt: row.created_at as string,
    }));
  }
}

export class PgLedgerWrites extends PgLedgerReads implements LedgerWriter {
  /** Bumped at every begin and rollback by the store (see LedgerWriter.epoch). */
  epoch = 0;

  async tail(): Promise<{ size: number; lastLeaf: Uint8Array | undefined }> {
    const { rows } = await this.db.query(
      'SELECT seq, leaf_hash FROM ledger_entries ORDER BY seq DESC LIMIT 1',
    );
    return rows[0]
      ? { size: Number(rows[0].seq) + 1, lastLeaf: bytes(rows[0].leaf_hash) }
      : { size: 0, lastLeaf: undefined };
  }

  /** Entries, nodes and personal values in one statement: one round trip per append. */
  async insertAppend({ entries, nodes, personal }: AppendWrite): Promise<void> {
    await this.db.query(
      `WITH entries AS (
         INSERT INTO ledger_entries (seq, time, type, actor, subject, entry, leaf_hash)
         SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bytea[], $7::bytea[])
       ), nodes AS (
         INSERT INTO ledger_nodes (level, idx, hash) SELECT * FROM unnest($8::int[], $9::bigint[], $10::bytea[])
       ), personal AS (
         INSERT INTO ledger_personal (seq, field, salt, value) SELECT * FROM unnest($11::bigint[], $12::text[], $13::bytea[], $14::text[])
       )
       SELECT 1`,
      [
        entries.map((e) => e.seq),
        entries.map((e) => e.time),
        entries.map((e) => e.type),
        entries.map((e) => e.actor),
        entries.map((e) => e.subject),
        entries.map((e) => Buffer.from(e.bytes)),
        entries.map((e) => Buffer.from(e.leafHash)),
        nodes.map((n) => n.level),
        nodes.map((n) => n.index),
        nodes.map((n) => Buffer.from(n.hash)),
        personal.map((v) => v.seq),
        personal.map((v) => v.field),
        personal.map((v) => Buffer.from(v.salt)),
        personal.map((v) => JSON.stringify(v.value)),
      ],
    );
  }

  async insertCheckpoint(checkpoint: StoredCheckpoint): Promise<void> {
    await this.db.query(
      'INSERT INTO ledger_checkpoints (size, root, note, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (size) DO NOTHING',
      [checkpoint.size, Buffer.from(checkpoint.root), checkpoint.note, checkpoint.createdAt],
    );
  }
}

/** Record reads over a pool (committed state) or the batch's client (inside the transaction). */
export class PgRecordReads implements RecordReads {
  constructor(protected readonly db: Queryable) {}

  private async one<T>(
    sql: string,
    params: readonly unknown[],
    map: (row: Row) => T,
  ): Promise<T | undefined> {
    const { rows } = await this.db.query(sql, params);
    return rows[0] ? map(rows[0]) : undefined;
  }

  private async all<T>(sql: string, params: readonly unknown[], map: (row: Row) => T): Promise<T[]> {
    return (await this.db.query(sql, params)).rows.map(map);
  }

  getSystem(id: string): Promise<SystemRow | undefined> {
    return this.one('SELECT * FROM systems WHERE id = $1', [id], systemFrom);
  }

  listSystems(): Promise<SystemRow[]> {
    return this.all('SELECT * FROM systems ORDER BY id', [], systemFrom);
  }

  tokenByHash(hash: string): Promise<TokenRow | undefined> {
    return this.one('SELECT * FROM tokens WHERE hash = $1', [hash], tokenFrom);
  }

  listTokens(): Promise<TokenRow[]> {
    return this.all('SELECT * FROM tokens ORDER BY created_at, id', [], tokenFrom);
  }

  getDecision(id: string): Promise<DecisionRow | undefined> {
    return this.one('SELECT * FROM decisions WHERE id = $1', [id], pgDecision);
  }

  decisionByIdempotencyKey(actorId: string, key: string): Promise<DecisionRow | undefined> {
    return this.one(
      'SELECT * FROM decisions WHERE actor_id = $1 AND idempotency_key = $2',
      [actorId, key],
      pgDecision,
    );
  }

  listDecisions(filter: DecisionFilter): Promise<DecisionRow[]> {
    const { sql, params } = pageSql(decisionPage(filter), 'postgres');
    return this.all(sql, params, pgDecision);
  }

  expiredPending(time: string, limit: number): Promise<DecisionRow[]> {
    return this.all(
      "SELECT * FROM decisions WHERE status = 'pending' AND expires_at <= $1 ORDER BY expires_at LIMIT $2",
      [time, limit],
      pgDecision,
    );
  }

  pendingOfSystem(systemId: string): Promise<DecisionRow[]> {
    return this.all(
      "SELECT * FROM decisions WHERE status = 'pending' AND system_id = $1 ORDER BY created_at",
      [systemId],
      pgDecision,
    );
  }

  unstartedOfSystem(systemId: string): Promise<DecisionRow[]> {
    return this.all(
      "SELECT * FROM decisions WHERE status = 'allowed' AND outcome_status IS NULL AND system_id = $1 ORDER BY created_at",
      [systemId],
      pgDecision,
    );
  }

  lapsedAllowed(time: string, limit: number): Promise<DecisionRow[]> {
    return this.all(
      "SELECT * FROM decisions WHERE status = 'allowed' AND outcome_status IS NULL AND expires_at <= $1 ORDER BY expires_at LIMIT $2",
      [time, limit],
      pgDecision,
    );
  }

  async countPending(): Promise<number> {
    const { rows } = await this.db.query("SELECT COUNT(*) AS count FROM decisions WHERE status = 'pending'");
    return Number(rows[0]!.count);
  }

  approvalsOf(decisionId: string): Promise<ApprovalRow[]> {
    return this.all(
      'SELECT * FROM approvals WHERE decision_id = $1 ORDER BY created_at, approver',
      [decisionId],
      (row) => approvalFrom({ ...row, ledger_index: Number(row.ledger_index) }),
    );
  }

  async activity(actorId: string, sinceMinute: number, sinceHour: number) {
    const query = (granularity: string, since: number) =>
      this.all(
        `SELECT action, environment, ${activitySums} FROM activity WHERE actor_id = $1 AND granularity = $2 AND bucket >= $3 GROUP BY action, environment`,
        [actorId, granularity, since],
        (row) =>
          activityFrom(
            Object.fromEntries(
              Object.entries(row).map(([k, v]) => [
                k,
                typeof v === 'string' && k !== 'action' && k !== 'environment' ? Number(v) : v,
              ]),
            ),
          ),
      );
    const [lastHour, lastDay] = await Promise.all([query('m', sinceMinute), query('h', sinceHour)]);
    return { lastHour, lastDay };
  }

  failures(actorId: string): Promise<FailureRow[]> {
    return this.all(
      'SELECT action, environment, last_failed_at FROM failures WHERE actor_id = $1',
      [actorId],
      (row) => ({
        action: row.action as string,
        environment: row.environment as string,
        lastFailedAt: row.last_failed_at as string,
      }),
    );
  }

  notifications(filter: { status?: NotificationRow['status']; limit: number }): Promise<NotificationRow[]> {
    return filter.status
      ? this.all(
          'SELECT * FROM notifications WHERE status = $1 ORDER BY created_at, id LIMIT $2',
          [filter.status, filter.limit],
          notificationFrom,
        )
      : this.all(
          'SELECT * FROM notifications ORDER BY created_at, id LIMIT $1',
          [filter.limit],
          notificationFrom,
        );
  }

  async countNotifications(status: NotificationRow['status']): Promise<number> {
    const { rows } = await this.db.query('SELECT COUNT(*) AS count FROM notifications WHERE status = $1', [
      status,
    ]);
    return Number(rows[0]!.count);
  }

  gateRun(id: string): Promise<GateRunRow | undefined> {
    return this.one('SELECT * FROM gate_runs WHERE id = $1', [id], gateRunFrom);
  }

  gateRuns(filter: GateRunFilter): Promise<GateRunSummaryRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.systemId) {
      params.push(filter.systemId);
      where.push(`system_id = $${params.length}`);
    }
    if (filter.version) {
      params.push(filter.version);
      where.push(`version = $${params.length}`);
    }
    if (filter.before) {
      params.push(filter.before.recordedAt, filter.before.id);
      where.push(`(recorded_at, id) < ($${params.length - 1}, $${params.length})`);
    }
    params.push(filter.limit);
    const sql = `SELECT ${gateRunSummaryColumns} FROM gate_runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY recorded_at DESC, id DESC LIMIT $${params.length}`;
    return this.all(sql, params, gateRunSummaryFrom);
  }

  gateRunByIdempotencyKey(recordedBy: string, key: string): Promise<GateRunSummaryRow | undefined> {
    return this.one(
      `SELECT ${gateRunSummaryColumns} FROM gate_runs WHERE recorded_by = $1 AND idempotency_key = $2`,
      [recordedBy, key],
      gateRunSummaryFrom,
    );
  }

  monitorProfile(sha256: string): Promise<MonitorProfileRow | undefined> {
    return this.one('SELECT * FROM monitor_profiles WHERE sha256 = $1', [sha256], monitorProfileFrom);
  }

  monitorWindows(
    systemId: string,
    range: { from: number; to: number; limit: number },
  ): Promise<MonitorWindowRow[]> {
    return this.all(
      'SELECT * FROM monitor_windows WHERE system_id = $1 AND window_start >= $2 AND window_start < $3 ORDER BY window_start LIMIT $4',
      [systemId, range.from, range.to, range.limit],
      monitorWindowFrom,
    );
  }

  async monitorWindowsAt(systemId: string, starts: readonly number[]): Promise<MonitorWindowRow[]> {
    if (starts.length === 0) return [];
    return this.all(
      'SELECT * FROM monitor_windows WHERE system_id = $1 AND window_start = ANY($2::bigint[]) ORDER BY window_start',
      [systemId, starts],
      monitorWindowFrom,
    );
  }

  unevaluatedMonitorWindows(systemId: string, limit: number): Promise<{ start: number; end: number }[]> {
    return this.all(
      'SELECT window_start, window_end FROM monitor_windows WHERE system_id = $1 AND evaluated_at IS NULL ORDER BY window_start LIMIT $2',
      [systemId, limit],
      (row) => ({ start: Number(row.window_start), end: Number(row.window_end) }),
    );
  }

  async latestMonitorWindowStart(systemId: string): Promise<number | undefined> {
    const { rows } = await this.db.query(
      'SELECT MAX(window_start) AS start FROM monitor_windows WHERE system_id = $1',
      [systemId],
    );
    const start = rows[0]?.start;
    return start === null || start === undefined ? undefined : Number(start);
  }

  latestEvaluatedMonitorWindow(systemId: string): Promise<MonitorWindowRow | undefined> {
    return this.one(
      'SELECT * FROM monitor_windows WHERE system_id = $1 AND evaluated_at IS NOT NULL ORDER BY window_start DESC LIMIT 1',
      [systemId],
      monitorWindowFrom,
    );
  }

  async monitorEvents(systemId: string, ids: readonly string[]): Promise<MonitorEventRow[]> {
    if (ids.length === 0) return [];
    return this.all(
      'SELECT * FROM monitor_events WHERE system_id = $1 AND id = ANY($2::text[])',
      [systemId, ids],
      monitorEventFrom,
    );
  }

  monitorAlerts(systemId?: string): Promise<MonitorAlertRow[]> {
    return systemId === undefined
      ? this.all('SELECT * FROM monitor_alerts ORDER BY system_id, policy, alert', [], monitorAlertFrom)
      : this.all(
          'SELECT * FROM monitor_alerts WHERE system_id = $1 ORDER BY policy, alert',
          [systemId],
          monitorAlertFrom,
        );
  }

  // Autonomy: the statements live in autonomy-records.ts.
  autonomyChanges(
    systemId: string,
    options: { limit: number; atOrBefore?: string },
  ): Promise<AutonomyChangeRow[]> {
    return new PgAutonomyRecords(this.db).autonomyChanges(systemId, options);
  }

  systemFailures(
    systemId: string,
    filter: SystemOutcomeFilter & { limit: number },
  ): Promise<SystemOutcomeRow[]> {
    return new PgAutonomyRecords(this.db).systemFailures(systemId, filter);
  }

  systemOutcomeCounts(systemId: string, filter: SystemOutcomeFilter): Promise<OutcomeCounts> {
    return new PgAutonomyRecords(this.db).systemOutcomeCounts(systemId, filter);
  }

  // Incidents: the statements live in incident-records.ts.
  getIncident(id: string): Promise<IncidentRow | undefined> {
    return new PgIncidentRecords(this.db).getIncident(id);
  }

  listIncidents(filter: IncidentFilter): Promise<IncidentRow[]> {
    return new PgIncidentRecords(this.db).listIncidents(filter);
  }

  incidentLinks(incidentId: string): Promise<IncidentLinkRow[]> {
    return new PgIncidentRecords(this.db).incidentLinks(incidentId);
  }

  incidentsLinking(kind: IncidentLinkRow['kind'], ref: string): Promise<IncidentLinkRow[]> {
    return new PgIncidentRecords(this.db).incidentsLinking(kind, ref);
  }

  openIncidentByDedupKey(key: string): Promise<IncidentRow | undefined> {
    return new PgIncidentRecords(this.db).openIncidentByDedupKey(key);
  }

  ledgerEntriesAbout(filter: LedgerEntryFilter): Promise<StoredEntry[]> {
    return new PgIncidentRecords(this.db).ledgerEntriesAbout(filter);
  }
}

function pgDecision(row: Row): DecisionRow {
  return decisionFrom({
    ...row,
    ledger_index: Number(row.ledger_index),
    outcome_ledger_index: row.outcome_ledger_index === null ? null : Number(row.outcome_ledger_index),
  });
}

export class PgRecordWrites extends PgRecordReads implements RecordWrites {
  async upsertSystem(row: SystemRow): Promise<void> {
    await this.db.query(
      `INSERT INTO systems (id, kind, spec, source, status, status_reason, status_by, status_at, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, spec = excluded.spec, source = excluded.source, updated_at = excluded.updated_at`,
      [
        row.id,
        row.kind,
        JSON.stringify(row.spec),
        row.source,
        row.status,
        row.statusReason ?? null,
        row.statusBy ?? null,
        row.statusAt ?? null,
        row.createdAt,
        row.updatedAt,
      ],
    );
  }

  async setSystemStatus(
    id: string,
    status: SystemRow['status'],
    reason: string,
    by: string,
    at: string,
  ): Promise<void> {
    await this.db.query(
      'UPDATE systems SET status = $1, status_reason = $2, status_by = $3, status_at = $4, updated_at = $4 WHERE id = $5',
      [status, reason, by, at, id],
    );
  }

  async insertToken(row: TokenRow): Promise<void> {
    await this.db.query(
      'INSERT INTO tokens (id, hash, role, system_id, user_name, groups, label, created_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)',
      [
        row.id,
        row.hash,
        row.role,
        row.systemId ?? null,
        row.userName ?? null,
        JSON.stringify(row.groups),
        row.label ?? null,
        row.createdAt,
        row.revokedAt ?? null,
      ],
    );
  }

  async revokeToken(id: string, at: string): Promise<boolean> {
    return (
      ((
        await this.db.query('UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL', [
          at,
          id,
        ])
      ).rowCount ?? 0) > 0
    );
  }

  async insertDecision(row: DecisionRow): Promise<void> {
    await this.db.query(
      `INSERT INTO decisions (id, actor_id, actor_kind, system_id, action, resource_type, resource_id, environment, request, request_hash,
         idempotency_key, status, effect, verdict, requirements, bundle, status_reason, created_at, updated_at, expires_at, ledger_index)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)`,
      [
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
      ],
    );
  }

  async updateDecisionStatus(
    id: string,
    status: DecisionStatus,
    reason: string,
    at: string,
    expiresAt?: string,
  ): Promise<void> {
    await this.db.query(
      'UPDATE decisions SET status = $1, status_reason = $2, updated_at = $3, expires_at = COALESCE($4, expires_at) WHERE id = $5',
      [status, reason, at, expiresAt ?? null, id],
    );
  }

  async setOutcome(id: string, outcome: NonNullable<DecisionRow['outcome']>): Promise<void> {
    await this.db.query(
      'UPDATE decisions SET outcome_status = $1, outcome_detail = $2, outcome_at = $3, outcome_ledger_index = $4, updated_at = $3 WHERE id = $5',
      [outcome.status, outcome.detail ?? null, outcome.at, outcome.ledgerIndex, id],
    );
  }

  async insertApproval(row: ApprovalRow): Promise<void> {
    await this.db.query(
      'INSERT INTO approvals (decision_id, approver, groups, verdict, reason, request_hash, created_at, ledger_index) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
      [
        row.decisionId,
        row.approver,
        JSON.stringify(row.groups),
        row.verdict,
        row.reason ?? null,
        row.requestHash,
        row.createdAt,
        row.ledgerIndex,
      ],
    );
  }

  async addActivity(delta: ActivityDelta): Promise<void> {
    const minute = Math.floor(delta.at.getTime() / 60_000);
    const counts = [
      delta.decisions ?? 0,
      delta.allowed ?? 0,
      delta.denied ?? 0,
      delta.succeeded ?? 0,
      delta.failed ?? 0,
      delta.rolledBack ?? 0,
    ];
    await this.db.query(
      `INSERT INTO activity (actor_id, granularity, bucket, action, environment, decisions, allowed, denied, succeeded, failed, rolled_back)
       VALUES ($1, 'm', $2, $4, $5, $6, $7, $8, $9, $10, $11), ($1, 'h', $3, $4, $5, $6, $7, $8, $9, $10, $11)
       ON CONFLICT (actor_id, granularity, bucket, action, environment) DO UPDATE SET
         decisions = activity.decisions + excluded.decisions, allowed = activity.allowed + excluded.allowed,
         denied = activity.denied + excluded.denied, succeeded = activity.succeeded + excluded.succeeded,
         failed = activity.failed + excluded.failed, rolled_back = activity.rolled_back + excluded.rolled_back`,
      [delta.actorId, minute, Math.floor(minute / 60), delta.action, delta.environment, ...counts],
    );
  }

  async recordFailure(actorId: string, action: string, environment: string, at: string): Promise<void> {
    await this.db.query(
      `INSERT INTO failures (actor_id, action, environment, last_failed_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (actor_id, action, environment) DO UPDATE SET last_failed_at = GREATEST(failures.last_failed_at, excluded.last_failed_at)`,
      [actorId, action, environment, at],
    );
  }

  async insertGateRun(row: GateRunRow): Promise<void> {
    await this.db.query(
      `INSERT INTO gate_runs (id, system_id, version, release_name, passed, bundle, started_at, recorded_at, recorded_by,
         idempotency_key, report_sha256, ledger_index, report)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
      [
        row.id,
        row.systemId,
        row.version,
        row.releaseName,
        row.passed,
        row.bundle,
        row.startedAt,
        row.recordedAt,
        row.recordedBy,
        row.idempotencyKey ?? null,
        row.reportSha256,
        row.ledgerIndex,
        canonicalJson(row.report),
      ],
    );
  }

  async erasePersonal(match: ErasureMatch): Promise<number> {
    const where =
      'value' in match
        ? { sql: 'value = $1', args: [JSON.stringify(match.value)] }
        : match.field === undefined
          ? { sql: 'seq = $1', args: [match.seq] }
          : { sql: 'seq = $1 AND field = $2', args: [match.seq, match.field] };
    const erased = await this.db.query(
      `DELETE FROM ledger_personal WHERE ${where.sql} RETURNING seq, field`,
      where.args,
    );
    for (const { seq, field } of erased.rows as { seq: string; field: string }[])
      for (const mirror of mirrorsOf(field))
        await this.db.query(
          `UPDATE ${mirror.table} SET ${mirror.column} = ${erasedValue(mirror, 'postgres')} WHERE ${mirror.index} = $1`,
          [Number(seq)],
        );
    return erased.rowCount ?? 0;
  }

  async enqueueNotifications(rows: readonly NotificationRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db.query(
      `INSERT INTO notifications (id, notifier, event_type, payload, attempts, status, next_attempt_at, created_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::text[], $7::text[], $8::text[])`,
      [
        rows.map((r) => r.id),
        rows.map((r) => r.notifier),
        rows.map((r) => r.eventType),
        rows.map((r) => JSON.stringify(r.payload)),
        rows.map((r) => r.attempts),
        rows.map((r) => r.status),
        rows.map((r) => r.nextAttemptAt),
        rows.map((r) => r.createdAt),
      ],
    );
  }

  async putMonitorProfile(row: MonitorProfileRow): Promise<void> {
    await this.db.query(
      'INSERT INTO monitor_profiles (sha256, system_id, profile, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (sha256) DO NOTHING',
      [row.sha256, row.systemId, JSON.stringify(row.profile), row.createdAt],
    );
  }

  async putMonitorWindow(row: MonitorWindowRow): Promise<void> {
    await this.db.query(
      `INSERT INTO monitor_windows (system_id, window_start, window_end, profile, state, evaluated_at, metrics, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (system_id, window_start) DO UPDATE SET window_end = excluded.window_end, profile = excluded.profile,
         state = excluded.state, evaluated_at = excluded.evaluated_at, metrics = excluded.metrics, updated_at = excluded.updated_at`,
      [
        row.systemId,
        row.start,
        row.end,
        row.profile,
        JSON.stringify(row.state),
        row.evaluatedAt ?? null,
        row.metrics === undefined ? null : JSON.stringify(row.metrics),
        row.updatedAt,
      ],
    );
  }

  /** One statement for the whole batch: a round trip per event would hold the write lock far longer. */
  async insertMonitorEvents(rows: readonly MonitorEventRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db.query(
      `INSERT INTO monitor_events (system_id, id, window_start, memo, labeled_at, created_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[])`,
      [
        rows.map((r) => r.systemId),
        rows.map((r) => r.id),
        rows.map((r) => r.windowStart),
        rows.map((r) => JSON.stringify(r.memo)),
        rows.map((r) => r.labeledAt ?? null),
        rows.map((r) => r.createdAt),
      ],
    );
  }

  async markMonitorEventsLabeled(systemId: string, ids: readonly string[], at: string): Promise<void> {
    if (ids.length === 0) return;
    await this.db.query(
      'UPDATE monitor_events SET labeled_at = $1 WHERE system_id = $2 AND id = ANY($3::text[])',
      [at, systemId, ids],
    );
  }

  async purgeMonitorEvents(before: string, limit: number): Promise<number> {
    const result = await this.db.query(
      `DELETE FROM monitor_events WHERE (system_id, id) IN (
         SELECT system_id, id FROM monitor_events WHERE created_at < $1 LIMIT $2
       )`,
      [before, limit],
    );
    return result.rowCount ?? 0;
  }

  insertAutonomyChange(row: AutonomyChangeRow): Promise<void> {
    return new PgAutonomyRecords(this.db).insertAutonomyChange(row);
  }

  insertIncident(row: IncidentRow): Promise<void> {
    return new PgIncidentRecords(this.db).insertIncident(row);
  }

  insertIncidentLink(row: IncidentLinkRow): Promise<void> {
    return new PgIncidentRecords(this.db).insertIncidentLink(row);
  }

  resolveIncident(
    id: string,
    resolution: { by: string; at: string; summary: string; ledgerIndex: number },
  ): Promise<void> {
    return new PgIncidentRecords(this.db).resolveIncident(id, resolution);
  }

  async putMonitorAlert(row: MonitorAlertRow): Promise<void> {
    await this.db.query(
      `INSERT INTO monitor_alerts (system_id, policy, alert, state, updated_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (system_id, policy, alert) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`,
      [row.systemId, row.policy, row.alert, JSON.stringify(row.state), row.updatedAt],
    );
  }

  async claimNotifications(now: string, leaseUntil: string, limit: number): Promise<NotificationRow[]> {
    const { rows } = await this.db.query(
      `UPDATE notifications SET next_attempt_at = $2 WHERE id IN (
         SELECT id FROM notifications WHERE status = 'pending' AND next_attempt_at <= $1 ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED
       ) RETURNING *`,
      [now, leaseUntil, limit],
    );
    return rows.map(notificationFrom);
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
    await this.db.query(
      'UPDATE notifications SET status = $1, attempts = $2, next_attempt_at = $3, last_error = $4, delivered_at = $5 WHERE id = $6',
      [
        update.status,
        update.attempts,
        update.nextAttemptAt,
        update.lastError ?? null,
        update.deliveredAt ?? null,
        id,
      ],
    );
  }
}
