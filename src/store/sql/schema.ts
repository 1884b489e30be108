import type { ColumnType } from 'kysely';

/**
 * The tables both stores keep, as Kysely sees them: one query written against these types serves
 * SQLite and PostgreSQL, and a misspelt table or column is a compile error. The schema itself is
 * created by each dialect's migrations (`sqlite/migrations.ts`, `postgres/migrations.ts`); this
 * file must follow them.
 *
 * Integers are numbers in both (PostgreSQL's BIGINT is parsed as a number by the store); JSON is
 * kept as text; times are ISO 8601 text.
 */
export interface Database {
  meta: MetaTable;
  ledger_entries: LedgerEntriesTable;
  ledger_nodes: LedgerNodesTable;
  ledger_personal: LedgerPersonalTable;
  ledger_checkpoints: LedgerCheckpointsTable;
  ledger_cosignatures: LedgerCosignaturesTable;
  systems: SystemsTable;
  tokens: TokensTable;
  decisions: DecisionsTable;
  approvals: ApprovalsTable;
  activity: ActivityTable;
  failures: FailuresTable;
  notifications: NotificationsTable;
  gate_runs: GateRunsTable;
  monitor_profiles: MonitorProfilesTable;
  monitor_windows: MonitorWindowsTable;
  monitor_events: MonitorEventsTable;
  monitor_alerts: MonitorAlertsTable;
  incidents: IncidentsTable;
  incident_links: IncidentLinksTable;
  autonomy_changes: AutonomyChangesTable;
  integration_deliveries: IntegrationDeliveriesTable;
}

/** A column that may be NULL. */
type Nullable<T> = T | null;

export interface MetaTable {
  key: string;
  value: string;
}

export interface LedgerEntriesTable {
  seq: number;
  time: string;
  type: string;
  actor: string;
  subject: string;
  entry: Uint8Array;
  leaf_hash: Uint8Array;
}

export interface LedgerNodesTable {
  level: number;
  idx: number;
  hash: Uint8Array;
}

export interface LedgerPersonalTable {
  seq: number;
  field: string;
  salt: Uint8Array;
  /** The personal value as JSON text. */
  value: string;
}

export interface LedgerCheckpointsTable {
  size: number;
  root: Uint8Array;
  note: string;
  created_at: string;
}

export interface LedgerCosignaturesTable {
  size: number;
  witness: string;
  line: string;
  witnessed_at: number;
}

export interface SystemsTable {
  id: string;
  kind: string;
  spec: string;
  source: string;
  status: string;
  status_reason: Nullable<string>;
  status_by: Nullable<string>;
  status_at: Nullable<string>;
  created_at: string;
  updated_at: string;
}

export interface TokensTable {
  id: string;
  hash: string;
  role: string;
  system_id: Nullable<string>;
  user_name: Nullable<string>;
  groups: string;
  label: Nullable<string>;
  created_at: string;
  revoked_at: Nullable<string>;
}

export interface DecisionsTable {
  id: string;
  actor_id: string;
  actor_kind: string;
  system_id: Nullable<string>;
  action: string;
  resource_type: string;
  resource_id: string;
  environment: Nullable<string>;
  request: string;
  request_hash: string;
  idempotency_key: Nullable<string>;
  status: string;
  effect: string;
  verdict: string;
  requirements: string;
  bundle: string;
  status_reason: Nullable<string>;
  created_at: string;
  updated_at: string;
  expires_at: Nullable<string>;
  ledger_index: number;
  outcome_status: ColumnType<Nullable<string>, never, string>;
  outcome_detail: ColumnType<Nullable<string>, never, Nullable<string>>;
  outcome_at: ColumnType<Nullable<string>, never, string>;
  outcome_ledger_index: ColumnType<Nullable<number>, never, number>;
}

export interface ApprovalsTable {
  decision_id: string;
  approver: string;
  groups: string;
  verdict: string;
  reason: Nullable<string>;
  request_hash: string;
  created_at: string;
  ledger_index: number;
}

export interface ActivityTable {
  actor_id: string;
  /** 'm' (minute buckets) or 'h' (hour buckets). */
  granularity: string;
  bucket: number;
  action: string;
  environment: string;
  decisions: number;
  allowed: number;
  denied: number;
  succeeded: number;
  failed: number;
  rolled_back: number;
}

export interface FailuresTable {
  actor_id: string;
  action: string;
  environment: string;
  last_failed_at: string;
}

export interface NotificationsTable {
  id: string;
  notifier: string;
  event_type: string;
  payload: string;
  attempts: number;
  status: string;
  next_attempt_at: string;
  last_error: ColumnType<Nullable<string>, never, Nullable<string>>;
  created_at: string;
  delivered_at: ColumnType<Nullable<string>, never, Nullable<string>>;
}

export interface GateRunsTable {
  id: string;
  system_id: string;
  version: string;
  release_name: string;
  /** INTEGER 0/1 in SQLite (its driver binds booleans as 0/1), BOOLEAN in PostgreSQL. */
  passed: ColumnType<boolean | number, boolean, never>;
  bundle: string;
  started_at: string;
  recorded_at: string;
  recorded_by: string;
  idempotency_key: Nullable<string>;
  report_sha256: string;
  ledger_index: number;
  /** The canonical JSON text whose SHA-256 the ledger entry pins. */
  report: string;
}

export interface MonitorProfilesTable {
  sha256: string;
  system_id: string;
  profile: string;
  created_at: string;
}

export interface MonitorWindowsTable {
  system_id: string;
  window_start: number;
  window_end: number;
  profile: string;
  state: string;
  evaluated_at: Nullable<string>;
  metrics: Nullable<string>;
  updated_at: string;
}

export interface MonitorEventsTable {
  system_id: string;
  id: string;
  window_start: number;
  memo: string;
  labeled_at: Nullable<string>;
  created_at: string;
}

export interface MonitorAlertsTable {
  system_id: string;
  policy: string;
  alert: string;
  state: string;
  updated_at: string;
}

export interface IncidentsTable {
  id: string;
  title: string;
  severity: string;
  status: string;
  system_id: Nullable<string>;
  description: Nullable<string>;
  trigger_kind: string;
  dedup_key: Nullable<string>;
  opened_by: string;
  opened_at: string;
  paged: string;
  ledger_index: number;
  resolved_by: Nullable<string>;
  resolved_at: Nullable<string>;
  resolution: Nullable<string>;
  resolved_ledger_index: Nullable<number>;
  updated_at: string;
}

export interface IncidentLinksTable {
  incident_id: string;
  kind: string;
  ref: string;
  note: Nullable<string>;
  target_ledger_index: Nullable<number>;
  linked_by: string;
  linked_at: string;
  ledger_index: number;
}

export interface AutonomyChangesTable {
  system_id: string;
  seq: number;
  at: string;
  from_level: number;
  to_level: number;
  ceiling: number;
  cause: string;
  changed_by: string;
  reason: string;
  decisions: string;
  ledger_index: number;
}

/** Every column name of every table, for helpers that take a column by name. */
export type ColumnName = { [T in keyof Database]: keyof Database[T] & string }[keyof Database];

export interface IntegrationDeliveriesTable {
  provider: string;
  delivery_id: string;
  body_digest: string;
  event: string;
  received_at: string;
  target: Nullable<string>;
  run_key: Nullable<string>;
  replays: ColumnType<number, number | undefined, number>;
}
