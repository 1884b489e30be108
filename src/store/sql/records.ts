import { type Kysely, sql } from 'kysely';
import { canonicalJson } from '../../core/canonical-json.js';
import type { StoredEntry } from '../../ledger/storage.js';
import type {
  AutonomyChangeRow,
  OutcomeCounts,
  SystemOutcomeFilter,
  SystemOutcomeRow,
} from '../autonomy-records.js';
import type { IncidentFilter, IncidentLinkRow, IncidentRow, LedgerEntryFilter } from '../incident-records.js';
import { mirrorsOf } from '../personal-mirrors.js';
import type {
  ActivityCounts,
  ActivityDelta,
  ActivityRow,
  ApprovalRow,
  CosignatureRow,
  DecisionFilter,
  DecisionRow,
  DecisionStatus,
  DeliveryRow,
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
  approvalFrom,
  decisionFrom,
  gateRunFrom,
  gateRunSummaryFrom,
  monitorAlertFrom,
  monitorEventFrom,
  monitorProfileFrom,
  monitorWindowFrom,
  notificationFrom,
  systemFrom,
  tokenFrom,
} from '../row-mapping.js';
import type { ErasureMatch } from '../store.js';
import { SqlAutonomyRecords } from './autonomy-records.js';
import type { SqlDialect } from './dialect.js';
import { SqlIncidentRecords } from './incident-records.js';
import { precompiled, precompiledInsert } from './precompiled.js';
import type { Database, IntegrationDeliveriesTable } from './schema.js';

/** Every gate_runs column but the report, which only single-run reads need. */
const gateRunSummaryColumns = [
  'id',
  'system_id',
  'version',
  'release_name',
  'passed',
  'bundle',
  'started_at',
  'recorded_at',
  'recorded_by',
  'idempotency_key',
  'report_sha256',
  'ledger_index',
] as const;

/** Activity counters: the ActivityCounts key and its column. */
export const counterColumns = [
  ['decisions', 'decisions'],
  ['allowed', 'allowed'],
  ['denied', 'denied'],
  ['succeeded', 'succeeded'],
  ['failed', 'failed'],
  ['rolledBack', 'rolled_back'],
] as const satisfies readonly (readonly [keyof ActivityCounts, keyof Database['activity']])[];

/**
 * Record reads written once for both databases, over committed state (the store) or inside the
 * write transaction (StoreTransaction): `db` runs on whichever connection the store hands it.
 */
export class SqlRecordReads implements RecordReads {
  private readonly autonomy: SqlAutonomyRecords;
  private readonly incidents: SqlIncidentRecords;
  private readonly hot: ReturnType<typeof hotReads>;

  constructor(
    protected readonly db: Kysely<Database>,
    protected readonly dialect: SqlDialect,
  ) {
    this.autonomy = new SqlAutonomyRecords(db, dialect);
    this.incidents = new SqlIncidentRecords(db, dialect);
    this.hot = hotReads(db);
  }

  async getMeta(key: string): Promise<string | undefined> {
    return (await this.hot.meta({ key })).rows[0]?.value;
  }

  async cosignatures(size?: number): Promise<CosignatureRow[]> {
    let query = this.db.selectFrom('ledger_cosignatures').select(['size', 'witness', 'line', 'witnessed_at']);
    if (size !== undefined) query = query.where('size', '=', size);
    const rows = await query.orderBy('size').orderBy('witness').execute();
    return rows.map((row) => ({
      size: Number(row.size),
      witness: row.witness,
      line: row.line,
      timestamp: Number(row.witnessed_at),
    }));
  }

  async newestCosignedSizes(): Promise<{ witness: string; size: number }[]> {
    const rows = await this.db
      .selectFrom('ledger_cosignatures')
      .select((eb) => ['witness', eb.fn.max('size').as('size')])
      .groupBy('witness')
      .orderBy('witness')
      .execute();
    return rows.map((row) => ({ witness: row.witness, size: Number(row.size) }));
  }

  async newestCheckpoint(): Promise<{ size: number; note: string } | undefined> {
    const row = await this.db
      .selectFrom('ledger_checkpoints')
      .select(['size', 'note'])
      .orderBy('size', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? { size: Number(row.size), note: row.note } : undefined;
  }

  async getSystem(id: string): Promise<SystemRow | undefined> {
    const [row] = (await this.hot.system({ id })).rows;
    return row && systemFrom(row);
  }

  async listSystems(): Promise<SystemRow[]> {
    return (await this.db.selectFrom('systems').selectAll().orderBy('id').execute()).map(systemFrom);
  }

  async tokenByHash(hash: string): Promise<TokenRow | undefined> {
    const [row] = (await this.hot.token({ hash })).rows;
    return row && tokenFrom(row);
  }

  async listTokens(): Promise<TokenRow[]> {
    const rows = await this.db.selectFrom('tokens').selectAll().orderBy('created_at').orderBy('id').execute();
    return rows.map(tokenFrom);
  }

  async getDecision(id: string): Promise<DecisionRow | undefined> {
    const [row] = (await this.hot.decision({ id })).rows;
    return row && decisionFrom(row);
  }

  async decisionByIdempotencyKey(actorId: string, key: string): Promise<DecisionRow | undefined> {
    const [row] = (await this.hot.decisionByKey({ actorId, key })).rows;
    return row && decisionFrom(row);
  }

  /** Newest first; the cursor is the last row of the previous page, compared as a row value. */
  async listDecisions(filter: DecisionFilter): Promise<DecisionRow[]> {
    const { before } = filter;
    const rows = await this.db
      .selectFrom('decisions')
      .selectAll()
      .$if(Boolean(filter.status), (q) => q.where('status', '=', filter.status!))
      .$if(Boolean(filter.systemId), (q) => q.where('system_id', '=', filter.systemId!))
      .$if(Boolean(filter.actorId), (q) => q.where('actor_id', '=', filter.actorId!))
      .$if(Boolean(filter.action), (q) => q.where('action', '=', filter.action!))
      .$if(Boolean(filter.environment), (q) => q.where('environment', '=', filter.environment!))
      .$if(Boolean(filter.since), (q) => q.where('created_at', '>=', filter.since!))
      .$if(before !== undefined, (q) =>
        q.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(before!.createdAt, before!.id))),
      )
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(filter.limit)
      .execute();
    return rows.map(decisionFrom);
  }

  async expiredPending(time: string, limit: number): Promise<DecisionRow[]> {
    const rows = await this.db
      .selectFrom('decisions')
      .selectAll()
      .where('status', '=', 'pending')
      .where('expires_at', '<=', time)
      .orderBy('expires_at')
      .limit(limit)
      .execute();
    return rows.map(decisionFrom);
  }

  async pendingOfSystem(systemId: string): Promise<DecisionRow[]> {
    return (await this.hot.pendingOfSystem({ systemId })).rows.map(decisionFrom);
  }

  /** Allowed decisions of a System that were not started (nor given an outcome): what a freeze revokes. */
  async unstartedOfSystem(systemId: string): Promise<DecisionRow[]> {
    const rows = await this.db
      .selectFrom('decisions')
      .selectAll()
      .where('status', '=', 'allowed')
      .where('outcome_status', 'is', null)
      .where('system_id', '=', systemId)
      .orderBy('created_at')
      .execute();
    return rows.map(decisionFrom);
  }

  /** Allowed decisions whose execution window closed before `time` without being started. */
  async lapsedAllowed(time: string, limit: number): Promise<DecisionRow[]> {
    const rows = await this.db
      .selectFrom('decisions')
      .selectAll()
      .where('status', '=', 'allowed')
      .where('outcome_status', 'is', null)
      .where('expires_at', '<=', time)
      .orderBy('expires_at')
      .limit(limit)
      .execute();
    return rows.map(decisionFrom);
  }

  async countPending(): Promise<number> {
    const row = await this.db
      .selectFrom('decisions')
      .select((eb) => eb.fn.countAll().as('count'))
      .where('status', '=', 'pending')
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  async approvalsOf(decisionId: string): Promise<ApprovalRow[]> {
    return (await this.hot.approvals({ decisionId })).rows.map(approvalFrom);
  }

  async activity(
    actorId: string,
    sinceMinute: number,
    sinceHour: number,
  ): Promise<{ lastHour: ActivityRow[]; lastDay: ActivityRow[] }> {
    const sums = async (granularity: 'm' | 'h', since: number) =>
      (await this.hot.activity({ actorId, granularity, since })).rows.map((row) => {
        // SUM is BIGINT (or NUMERIC) in PostgreSQL, which may arrive as text.
        const sums = row as unknown as Record<string, unknown>;
        const activity = { action: row.action, environment: row.environment } as ActivityRow;
        for (const [key, column] of counterColumns) activity[key] = Number(sums[column]);
        return activity;
      });
    const [lastHour, lastDay] = await Promise.all([sums('m', sinceMinute), sums('h', sinceHour)]);
    return { lastHour, lastDay };
  }

  async failures(actorId: string): Promise<FailureRow[]> {
    return (await this.hot.failures({ actorId })).rows.map((row) => ({
      action: row.action,
      environment: row.environment,
      lastFailedAt: row.last_failed_at,
    }));
  }

  async notifications(filter: {
    status?: NotificationRow['status'];
    limit: number;
  }): Promise<NotificationRow[]> {
    const rows = await this.db
      .selectFrom('notifications')
      .selectAll()
      .$if(Boolean(filter.status), (q) => q.where('status', '=', filter.status!))
      .orderBy('created_at')
      .orderBy('id')
      .limit(filter.limit)
      .execute();
    return rows.map(notificationFrom);
  }

  async countNotifications(status: NotificationRow['status']): Promise<number> {
    const row = await this.db
      .selectFrom('notifications')
      .select((eb) => eb.fn.countAll().as('count'))
      .where('status', '=', status)
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  async gateRun(id: string): Promise<GateRunRow | undefined> {
    const row = await this.db.selectFrom('gate_runs').selectAll().where('id', '=', id).executeTakeFirst();
    return row && gateRunFrom(row);
  }

  async gateRuns(filter: GateRunFilter): Promise<GateRunSummaryRow[]> {
    const { before } = filter;
    const rows = await this.db
      .selectFrom('gate_runs')
      .select(gateRunSummaryColumns)
      .$if(Boolean(filter.systemId), (q) => q.where('system_id', '=', filter.systemId!))
      .$if(Boolean(filter.version), (q) => q.where('version', '=', filter.version!))
      .$if(before !== undefined, (q) =>
        q.where((eb) => eb(eb.refTuple('recorded_at', 'id'), '<', eb.tuple(before!.recordedAt, before!.id))),
      )
      .orderBy('recorded_at', 'desc')
      .orderBy('id', 'desc')
      .limit(filter.limit)
      .execute();
    return rows.map(gateRunSummaryFrom);
  }

  async gateRunByIdempotencyKey(recordedBy: string, key: string): Promise<GateRunSummaryRow | undefined> {
    const row = await this.db
      .selectFrom('gate_runs')
      .select(gateRunSummaryColumns)
      .where('recorded_by', '=', recordedBy)
      .where('idempotency_key', '=', key)
      .executeTakeFirst();
    return row && gateRunSummaryFrom(row);
  }

  async monitorProfile(sha256: string): Promise<MonitorProfileRow | undefined> {
    const row = await this.db
      .selectFrom('monitor_profiles')
      .selectAll()
      .where('sha256', '=', sha256)
      .executeTakeFirst();
    return row && monitorProfileFrom(row);
  }

  async monitorWindows(
    systemId: string,
    range: { from: number; to: number; limit: number },
  ): Promise<MonitorWindowRow[]> {
    const rows = await this.db
      .selectFrom('monitor_windows')
      .selectAll()
      .where('system_id', '=', systemId)
      .where('window_start', '>=', range.from)
      .where('window_start', '<', range.to)
      .orderBy('window_start')
      .limit(range.limit)
      .execute();
    return rows.map(monitorWindowFrom);
  }

  async monitorWindowsAt(systemId: string, starts: readonly number[]): Promise<MonitorWindowRow[]> {
    if (starts.length === 0) return [];
    const rows = await this.db
      .selectFrom('monitor_windows')
      .selectAll()
      .where('system_id', '=', systemId)
      .where(this.dialect.inList('window_start', starts, 'bigint'))
      .orderBy('window_start')
      .execute();
    return rows.map(monitorWindowFrom);
  }

  async unevaluatedMonitorWindows(
    systemId: string,
    limit: number,
  ): Promise<{ start: number; end: number }[]> {
    const rows = await this.db
      .selectFrom('monitor_windows')
      .select(['window_start', 'window_end'])
      .where('system_id', '=', systemId)
      .where('evaluated_at', 'is', null)
      .orderBy('window_start')
      .limit(limit)
      .execute();
    return rows.map((row) => ({ start: Number(row.window_start), end: Number(row.window_end) }));
  }

  async latestMonitorWindowStart(systemId: string): Promise<number | undefined> {
    const row = await this.db
      .selectFrom('monitor_windows')
      .select((eb) => eb.fn.max('window_start').as('start'))
      .where('system_id', '=', systemId)
      .executeTakeFirst();
    const start = row?.start;
    return start === null || start === undefined ? undefined : Number(start);
  }

  async latestEvaluatedMonitorWindow(systemId: string): Promise<MonitorWindowRow | undefined> {
    const row = await this.db
      .selectFrom('monitor_windows')
      .selectAll()
      .where('system_id', '=', systemId)
      .where('evaluated_at', 'is not', null)
      .orderBy('window_start', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row && monitorWindowFrom(row);
  }

  async monitorEvents(systemId: string, ids: readonly string[]): Promise<MonitorEventRow[]> {
    if (ids.length === 0) return [];
    const rows = await this.db
      .selectFrom('monitor_events')
      .selectAll()
      .where('system_id', '=', systemId)
      .where(this.dialect.inList('id', ids, 'text'))
      .execute();
    return rows.map(monitorEventFrom);
  }

  async monitorAlerts(systemId?: string): Promise<MonitorAlertRow[]> {
    const rows = await this.db
      .selectFrom('monitor_alerts')
      .selectAll()
      .$if(systemId === undefined, (q) => q.orderBy('system_id'))
      .$if(systemId !== undefined, (q) => q.where('system_id', '=', systemId!))
      .orderBy('policy')
      .orderBy('alert')
      .execute();
    return rows.map(monitorAlertFrom);
  }

  autonomyChanges(
    systemId: string,
    options: { limit: number; atOrBefore?: string },
  ): Promise<AutonomyChangeRow[]> {
    return this.autonomy.autonomyChanges(systemId, options);
  }

  systemFailures(
    systemId: string,
    filter: SystemOutcomeFilter & { limit: number },
  ): Promise<SystemOutcomeRow[]> {
    return this.autonomy.systemFailures(systemId, filter);
  }

  systemOutcomeCounts(systemId: string, filter: SystemOutcomeFilter): Promise<OutcomeCounts> {
    return this.autonomy.systemOutcomeCounts(systemId, filter);
  }

  getIncident(id: string): Promise<IncidentRow | undefined> {
    return this.incidents.getIncident(id);
  }

  listIncidents(filter: IncidentFilter): Promise<IncidentRow[]> {
    return this.incidents.listIncidents(filter);
  }

  incidentLinks(incidentId: string): Promise<IncidentLinkRow[]> {
    return this.incidents.incidentLinks(incidentId);
  }

  incidentsLinking(kind: IncidentLinkRow['kind'], ref: string): Promise<IncidentLinkRow[]> {
    return this.incidents.incidentsLinking(kind, ref);
  }

  openIncidentByDedupKey(key: string): Promise<IncidentRow | undefined> {
    return this.incidents.openIncidentByDedupKey(key);
  }

  ledgerEntriesAbout(filter: LedgerEntryFilter): Promise<StoredEntry[]> {
    return this.incidents.ledgerEntriesAbout(filter);
  }

  // Writes reach the autonomy and incident records through these (see SqlRecordWrites).
  protected get autonomyRecords(): SqlAutonomyRecords {
    return this.autonomy;
  }

  async deliveryMatching(
    provider: DeliveryRow['provider'],
    deliveryId: string,
    bodyDigest: string,
  ): Promise<DeliveryRow | undefined> {
    const row = await this.db
      .selectFrom('integration_deliveries')
      .selectAll()
      .where('provider', '=', provider)
      .where((eb) => eb.or([eb('delivery_id', '=', deliveryId), eb('body_digest', '=', bodyDigest)]))
      .orderBy('received_at')
      .executeTakeFirst();
    return row && deliveryFrom(row);
  }

  async deliveryForRun(provider: DeliveryRow['provider'], runKey: string): Promise<DeliveryRow | undefined> {
    const row = await this.db
      .selectFrom('integration_deliveries')
      .selectAll()
      .where('provider', '=', provider)
      .where('run_key', '=', runKey)
      .orderBy('received_at', 'desc')
      .orderBy('delivery_id', 'desc')
      .executeTakeFirst();
    return row && deliveryFrom(row);
  }

  async delivery(provider: DeliveryRow['provider'], deliveryId: string): Promise<DeliveryRow | undefined> {
    const row = await this.db
      .selectFrom('integration_deliveries')
      .selectAll()
      .where('provider', '=', provider)
      .where('delivery_id', '=', deliveryId)
      .executeTakeFirst();
    return row && deliveryFrom(row);
  }

  protected get incidentRecords(): SqlIncidentRecords {
    return this.incidents;
  }
}

/** Reads and writes inside the write transaction, written once for both databases. */
export class SqlRecordWrites extends SqlRecordReads implements RecordWrites {
  private readonly hotWrites = hotWrites(this.db);

  async insertCosignature(row: CosignatureRow): Promise<void> {
    await this.db
      .insertInto('ledger_cosignatures')
      .values({ size: row.size, witness: row.witness, line: row.line, witnessed_at: row.timestamp })
      .onConflict((oc) => oc.columns(['size', 'witness']).doNothing())
      .execute();
  }

  async setMeta(key: string, value: string): Promise<void> {
    await this.db
      .insertInto('meta')
      .values({ key, value })
      .onConflict((oc) => oc.column('key').doUpdateSet((eb) => ({ value: eb.ref('excluded.value') })))
      .execute();
  }

  async purgeMeta({ prefix, before }: { prefix: string; before: string }): Promise<number> {
    // substr decides, exactly under any collation (LIKE would read `_` and `%` as wildcards, and
    // SQLite's LIKE ignores case); `key >= prefix`, true of every key that starts with it, lets the
    // primary key skip the rows before (session revocations sort before `sso.`).
    const result = await this.db
      .deleteFrom('meta')
      .where('key', '>=', prefix)
      .where((eb) => eb(eb.fn('substr', ['key', eb.val(1), eb.val(prefix.length)]), '=', prefix))
      .where('value', '<', before)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async upsertSystem(row: SystemRow): Promise<void> {
    await this.db
      .insertInto('systems')
      .values({
        id: row.id,
        kind: row.kind,
        spec: JSON.stringify(row.spec),
        source: row.source,
        status: row.status,
        status_reason: row.statusReason ?? null,
        status_by: row.statusBy ?? null,
        status_at: row.statusAt ?? null,
        created_at: row.createdAt,
        updated_at: row.updatedAt,
      })
      .onConflict((oc) =>
        oc.column('id').doUpdateSet((eb) => ({
          kind: eb.ref('excluded.kind'),
          spec: eb.ref('excluded.spec'),
          source: eb.ref('excluded.source'),
          updated_at: eb.ref('excluded.updated_at'),
        })),
      )
      .execute();
  }

  async setSystemStatus(
    id: string,
    status: SystemRow['status'],
    reason: string,
    by: string,
    at: string,
  ): Promise<void> {
    await this.db
      .updateTable('systems')
      .set({ status, status_reason: reason, status_by: by, status_at: at, updated_at: at })
      .where('id', '=', id)
      .execute();
  }

  async insertToken(row: TokenRow): Promise<void> {
    await this.db
      .insertInto('tokens')
      .values({
        id: row.id,
        hash: row.hash,
        role: row.role,
        system_id: row.systemId ?? null,
        user_name: row.userName ?? null,
        groups: JSON.stringify(row.groups),
        label: row.label ?? null,
        created_at: row.createdAt,
        revoked_at: row.revokedAt ?? null,
      })
      .execute();
  }

  async revokeToken(id: string, at: string): Promise<boolean> {
    const result = await this.db
      .updateTable('tokens')
      .set({ revoked_at: at })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async insertDecision(row: DecisionRow): Promise<void> {
    await this.hotWrites.insertDecision(decisionColumns(row));
  }

  async updateDecisionStatus(
    id: string,
    status: DecisionStatus,
    reason: string,
    at: string,
    expiresAt?: string,
  ): Promise<void> {
    await this.hotWrites.decisionStatus({ id, status, reason, at, expiresAt: expiresAt ?? null });
  }

  async setOutcome(id: string, outcome: NonNullable<DecisionRow['outcome']>): Promise<void> {
    await this.hotWrites.outcome({
      id,
      status: outcome.status,
      detail: outcome.detail ?? null,
      at: outcome.at,
      ledgerIndex: outcome.ledgerIndex,
    });
  }

  async insertApproval(row: ApprovalRow): Promise<void> {
    await this.hotWrites.insertApproval({
      decision_id: row.decisionId,
      approver: row.approver,
      groups: JSON.stringify(row.groups),
      verdict: row.verdict,
      reason: row.reason ?? null,
      request_hash: row.requestHash,
      created_at: row.createdAt,
      ledger_index: row.ledgerIndex,
    });
  }

  /** Adds to the actor's minute and hour buckets in one statement. */
  async addActivity(delta: ActivityDelta): Promise<void> {
    const minute = Math.floor(delta.at.getTime() / 60_000);
    // The counters set key by key: spreading an Object.fromEntries into the literal cost a few µs per decision.
    const params = {
      actorId: delta.actorId,
      minute,
      hour: Math.floor(minute / 60),
      action: delta.action,
      environment: delta.environment,
    } as Parameters<typeof this.hotWrites.activity>[0];
    for (const [key] of counterColumns) params[key] = delta[key] ?? 0;
    await this.hotWrites.activity(params);
  }

  /** Keeps the latest failure time (ISO 8601 text compares in time order). */
  async recordFailure(actorId: string, action: string, environment: string, at: string): Promise<void> {
    await this.hotWrites.failure({ actorId, action, environment, at });
  }

  async insertGateRun(row: GateRunRow): Promise<void> {
    await this.db
      .insertInto('gate_runs')
      .values({
        id: row.id,
        system_id: row.systemId,
        version: row.version,
        release_name: row.releaseName,
        passed: row.passed,
        bundle: row.bundle,
        started_at: row.startedAt,
        recorded_at: row.recordedAt,
        recorded_by: row.recordedBy,
        idempotency_key: row.idempotencyKey ?? null,
        report_sha256: row.reportSha256,
        ledger_index: row.ledgerIndex,
        report: canonicalJson(row.report),
      })
      .execute();
  }

  async rememberDelivery(row: DeliveryRow): Promise<boolean> {
    const result = await this.db
      .insertInto('integration_deliveries')
      .values({
        provider: row.provider,
        delivery_id: row.deliveryId,
        body_digest: row.bodyDigest,
        event: row.event,
        received_at: row.receivedAt,
        target: row.target ? JSON.stringify(row.target) : null,
        run_key: row.runKey ?? null,
        replays: row.replays,
      })
      .onConflict((conflict) => conflict.doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  async countReplay(provider: DeliveryRow['provider'], deliveryId: string): Promise<number> {
    const row = await this.db
      .updateTable('integration_deliveries')
      .set((eb) => ({ replays: eb('replays', '+', 1) }))
      .where('provider', '=', provider)
      .where('delivery_id', '=', deliveryId)
      .returning('replays')
      .executeTakeFirst();
    return row?.replays ?? 0;
  }

  async pruneDeliveries(before: string): Promise<number> {
    const result = await this.db
      .deleteFrom('integration_deliveries')
      .where('received_at', '<', before)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async enqueueNotifications(rows: readonly NotificationRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db
      .insertInto('notifications')
      .columns([
        'id',
        'notifier',
        'event_type',
        'payload',
        'attempts',
        'status',
        'next_attempt_at',
        'created_at',
      ])
      .expression(
        this.dialect.rows(
          ['text', 'text', 'text', 'text', 'int', 'text', 'text', 'text'],
          rows.map((row) => [
            row.id,
            row.notifier,
            row.eventType,
            JSON.stringify(row.payload),
            row.attempts,
            row.status,
            row.nextAttemptAt,
            row.createdAt,
          ]),
        ),
      )
      .execute();
  }

  /**
   * Leases due notifications in one statement. With PostgreSQL, replicas claiming at once skip
   * each other's locked rows instead of waiting for them.
   */
  async claimNotifications(now: string, leaseUntil: string, limit: number): Promise<NotificationRow[]> {
    const rows = await this.db
      .updateTable('notifications')
      .set({ next_attempt_at: leaseUntil })
      .where('id', 'in', (eb) =>
        eb
          .selectFrom('notifications')
          .select('id')
          .where('status', '=', 'pending')
          .where('next_attempt_at', '<=', now)
          .orderBy('next_attempt_at')
          .limit(limit)
          .$if(this.dialect.skipLocked, (q) => q.forUpdate().skipLocked()),
      )
      .returningAll()
      .execute();
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
    await this.db
      .updateTable('notifications')
      .set({
        status: update.status,
        attempts: update.attempts,
        next_attempt_at: update.nextAttemptAt,
        last_error: update.lastError ?? null,
        delivered_at: update.deliveredAt ?? null,
      })
      .where('id', '=', id)
      .execute();
  }

  async putMonitorProfile(row: MonitorProfileRow): Promise<void> {
    await this.db
      .insertInto('monitor_profiles')
      .values({
        sha256: row.sha256,
        system_id: row.systemId,
        profile: JSON.stringify(row.profile),
        created_at: row.createdAt,
      })
      .onConflict((oc) => oc.column('sha256').doNothing())
      .execute();
  }

  async putMonitorWindow(row: MonitorWindowRow): Promise<void> {
    await this.db
      .insertInto('monitor_windows')
      .values({
        system_id: row.systemId,
        window_start: row.start,
        window_end: row.end,
        profile: row.profile,
        state: JSON.stringify(row.state),
        evaluated_at: row.evaluatedAt ?? null,
        metrics: row.metrics === undefined ? null : JSON.stringify(row.metrics),
        updated_at: row.updatedAt,
      })
      .onConflict((oc) =>
        oc.columns(['system_id', 'window_start']).doUpdateSet((eb) => ({
          window_end: eb.ref('excluded.window_end'),
          profile: eb.ref('excluded.profile'),
          state: eb.ref('excluded.state'),
          evaluated_at: eb.ref('excluded.evaluated_at'),
          metrics: eb.ref('excluded.metrics'),
          updated_at: eb.ref('excluded.updated_at'),
        })),
      )
      .execute();
  }

  /** One statement for the whole batch: a round trip per event would hold the write lock far longer. */
  async insertMonitorEvents(rows: readonly MonitorEventRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db
      .insertInto('monitor_events')
      .columns(['system_id', 'id', 'window_start', 'memo', 'labeled_at', 'created_at'])
      .expression(
        this.dialect.rows(
          ['text', 'text', 'bigint', 'text', 'text', 'text'],
          rows.map((row) => [
            row.systemId,
            row.id,
            row.windowStart,
            JSON.stringify(row.memo),
            row.labeledAt ?? null,
            row.createdAt,
          ]),
        ),
      )
      .execute();
  }

  async markMonitorEventsLabeled(systemId: string, ids: readonly string[], at: string): Promise<void> {
    if (ids.length === 0) return;
    await this.db
      .updateTable('monitor_events')
      .set({ labeled_at: at })
      .where('system_id', '=', systemId)
      .where(this.dialect.inList('id', ids, 'text'))
      .execute();
  }

  async purgeMonitorEvents(before: string, limit: number): Promise<number> {
    const result = await this.db
      .deleteFrom('monitor_events')
      .where((eb) =>
        eb(
          eb.refTuple('system_id', 'id'),
          'in',
          eb
            .selectFrom('monitor_events')
            .select(['system_id', 'id'])
            .where('created_at', '<', before)
            .limit(limit)
            .$asTuple('system_id', 'id'),
        ),
      )
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async putMonitorAlert(row: MonitorAlertRow): Promise<void> {
    await this.db
      .insertInto('monitor_alerts')
      .values({
        system_id: row.systemId,
        policy: row.policy,
        alert: row.alert,
        state: JSON.stringify(row.state),
        updated_at: row.updatedAt,
      })
      .onConflict((oc) =>
        oc.columns(['system_id', 'policy', 'alert']).doUpdateSet((eb) => ({
          state: eb.ref('excluded.state'),
          updated_at: eb.ref('excluded.updated_at'),
        })),
      )
      .execute();
  }

  insertAutonomyChange(row: AutonomyChangeRow): Promise<void> {
    return this.autonomyRecords.insertAutonomyChange(row);
  }

  insertIncident(row: IncidentRow): Promise<void> {
    return this.incidentRecords.insertIncident(row);
  }

  insertIncidentLink(row: IncidentLinkRow): Promise<void> {
    return this.incidentRecords.insertIncidentLink(row);
  }

  resolveIncident(
    id: string,
    resolution: { by: string; at: string; summary: string; ledgerIndex: number },
  ): Promise<void> {
    return this.incidentRecords.resolveIncident(id, resolution);
  }

  /** Deletes personal values beside the ledger, and clears the columns that mirror them. */
  async erasePersonal(match: ErasureMatch): Promise<number> {
    const erased = await this.db
      .deleteFrom('ledger_personal')
      .$if('value' in match, (q) => q.where('value', '=', JSON.stringify((match as { value: string }).value)))
      .$if('seq' in match, (q) => q.where('seq', '=', (match as { seq: number }).seq))
      .$if('field' in match && match.field !== undefined, (q) =>
        q.where('field', '=', (match as { field: string }).field),
      )
      .returning(['seq', 'field'])
      .execute();
    for (const { seq, field } of erased)
      for (const mirror of mirrorsOf(field))
        await this.db
          .updateTable(mirror.table as 'approvals')
          .set({ [mirror.column]: this.dialect.erased(mirror) })
          .where(mirror.index as 'ledger_index', '=', Number(seq))
          .execute();
    return erased.length;
  }
}

/** A decision's columns, every one named (null, not left out: see precompiledInsert). */
export function decisionColumns(row: DecisionRow) {
  return {
    id: row.id,
    actor_id: row.actorId,
    actor_kind: row.actorKind,
    system_id: row.systemId ?? null,
    action: row.action,
    resource_type: row.resourceType,
    resource_id: row.resourceId,
    environment: row.environment ?? null,
    request: JSON.stringify(row.request),
    request_hash: row.requestHash,
    idempotency_key: row.idempotencyKey ?? null,
    status: row.status,
    effect: row.effect,
    verdict: JSON.stringify(row.verdict),
    requirements: JSON.stringify(row.requirements),
    bundle: row.bundle,
    status_reason: row.statusReason ?? null,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
    expires_at: row.expiresAt ?? null,
    ledger_index: row.ledgerIndex,
  };
}

/** The reads every decision makes, built and compiled once per connection (see precompiled.ts). */
function hotReads(db: Kysely<Database>) {
  return {
    meta: precompiled(db, (p: { key: string }) =>
      db.selectFrom('meta').select('value').where('key', '=', p.key),
    ),
    system: precompiled(db, (p: { id: string }) =>
      db.selectFrom('systems').selectAll().where('id', '=', p.id),
    ),
    token: precompiled(db, (p: { hash: string }) =>
      db.selectFrom('tokens').selectAll().where('hash', '=', p.hash),
    ),
    decision: precompiled(db, (p: { id: string }) =>
      db.selectFrom('decisions').selectAll().where('id', '=', p.id),
    ),
    decisionByKey: precompiled(db, (p: { actorId: string; key: string }) =>
      db
        .selectFrom('decisions')
        .selectAll()
        .where('actor_id', '=', p.actorId)
        .where('idempotency_key', '=', p.key),
    ),
    pendingOfSystem: precompiled(db, (p: { systemId: string }) =>
      db
        .selectFrom('decisions')
        .selectAll()
        .where('status', '=', 'pending')
        .where('system_id', '=', p.systemId)
        .orderBy('created_at'),
    ),
    approvals: precompiled(db, (p: { decisionId: string }) =>
      db
        .selectFrom('approvals')
        .selectAll()
        .where('decision_id', '=', p.decisionId)
        .orderBy('created_at')
        .orderBy('approver'),
    ),
    activity: precompiled(db, (p: { actorId: string; granularity: 'm' | 'h'; since: number }) =>
      db
        .selectFrom('activity')
        .select((eb) => [
          'action',
          'environment',
          ...counterColumns.map(([, column]) => eb.fn.sum<number | string>(column).as(column)),
        ])
        .where('actor_id', '=', p.actorId)
        .where('granularity', '=', p.granularity)
        .where('bucket', '>=', p.since)
        .groupBy(['action', 'environment']),
    ),
    failures: precompiled(db, (p: { actorId: string }) =>
      db
        .selectFrom('failures')
        .select(['action', 'environment', 'last_failed_at'])
        .where('actor_id', '=', p.actorId),
    ),
  };
}

/** The writes every decision makes, built and compiled once per connection (see precompiled.ts). */
function hotWrites(db: Kysely<Database>) {
  return {
    insertDecision: precompiledInsert(db, 'decisions'),
    insertApproval: precompiledInsert(db, 'approvals'),
    decisionStatus: precompiled(
      db,
      (p: { id: string; status: string; reason: string; at: string; expiresAt: string | null }) =>
        db
          .updateTable('decisions')
          .set({
            status: p.status,
            status_reason: p.reason,
            updated_at: p.at,
            // An approval opens the execution window; other moves keep the window as it is.
            expires_at: sql<string | null>`COALESCE(${p.expiresAt}, expires_at)`,
          })
          .where('id', '=', p.id),
    ),
    outcome: precompiled(
      db,
      (p: { id: string; status: string; detail: string | null; at: string; ledgerIndex: number }) =>
        db
          .updateTable('decisions')
          .set({
            outcome_status: p.status,
            outcome_detail: p.detail,
            outcome_at: p.at,
            outcome_ledger_index: p.ledgerIndex,
            updated_at: p.at,
          })
          .where('id', '=', p.id),
    ),
    activity: precompiled(
      db,
      (
        p: {
          actorId: string;
          minute: number;
          hour: number;
          action: string;
          environment: string;
        } & ActivityCounts,
      ) => {
        const bucket = (granularity: 'm' | 'h', at: number) => ({
          actor_id: p.actorId,
          granularity,
          bucket: at,
          action: p.action,
          environment: p.environment,
          ...(Object.fromEntries(counterColumns.map(([key, column]) => [column, p[key]])) as Record<
            (typeof counterColumns)[number][1],
            number
          >),
        });
        return db
          .insertInto('activity')
          .values([bucket('m', p.minute), bucket('h', p.hour)])
          .onConflict((oc) =>
            oc
              .columns(['actor_id', 'granularity', 'bucket', 'action', 'environment'])
              .doUpdateSet((eb) =>
                Object.fromEntries(
                  counterColumns.map(([, column]) => [
                    column,
                    eb(`activity.${column}`, '+', eb.ref(`excluded.${column}`)),
                  ]),
                ),
              ),
          );
      },
    ),
    failure: precompiled(db, (p: { actorId: string; action: string; environment: string; at: string }) =>
      db
        .insertInto('failures')
        .values({ actor_id: p.actorId, action: p.action, environment: p.environment, last_failed_at: p.at })
        .onConflict((oc) =>
          oc.columns(['actor_id', 'action', 'environment']).doUpdateSet((eb) => ({
            last_failed_at: eb
              .case()
              .when('excluded.last_failed_at', '>', eb.ref('failures.last_failed_at'))
              .then(eb.ref('excluded.last_failed_at'))
              .else(eb.ref('failures.last_failed_at'))
              .end(),
          })),
        ),
    ),
  };
}

function deliveryFrom(
  row: {
    [K in keyof IntegrationDeliveriesTable]: K extends 'replays' ? number : IntegrationDeliveriesTable[K];
  },
): DeliveryRow {
  return {
    provider: row.provider as DeliveryRow['provider'],
    deliveryId: row.delivery_id,
    bodyDigest: row.body_digest,
    event: row.event,
    receivedAt: row.received_at,
    ...(row.target ? { target: JSON.parse(row.target) } : {}),
    ...(row.run_key ? { runKey: row.run_key } : {}),
    replays: Number(row.replays),
  };
}
