/**
 * PostgreSQL schema, one migration per version, applied at start under an advisory lock so
 * replicas starting together migrate once. Versions live in `arbiter_migrations`.
 */
export const postgresMigrations: readonly string[] = [
  `
  CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );

  CREATE TABLE ledger_entries (
    seq BIGINT PRIMARY KEY,
    time TEXT NOT NULL,
    type TEXT NOT NULL,
    actor TEXT NOT NULL,
    subject TEXT NOT NULL,
    entry BYTEA NOT NULL,
    leaf_hash BYTEA NOT NULL
  );
  CREATE INDEX ledger_entries_subject ON ledger_entries (subject);
  CREATE INDEX ledger_entries_type ON ledger_entries (type, seq);

  CREATE TABLE ledger_nodes (
    level INTEGER NOT NULL,
    idx BIGINT NOT NULL,
    hash BYTEA NOT NULL,
    PRIMARY KEY (level, idx)
  );

  CREATE TABLE ledger_personal (
    seq BIGINT NOT NULL,
    field TEXT NOT NULL,
    salt BYTEA NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (seq, field)
  );

  CREATE TABLE ledger_checkpoints (
    size BIGINT PRIMARY KEY,
    root BYTEA NOT NULL,
    note TEXT NOT NULL,
    created_at TEXT NOT NULL
  );

  CREATE TABLE systems (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    spec TEXT NOT NULL,
    source TEXT NOT NULL,
    status TEXT NOT NULL,
    status_reason TEXT,
    status_by TEXT,
    status_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );

  CREATE TABLE tokens (
    id TEXT PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    system_id TEXT,
    user_name TEXT,
    groups TEXT NOT NULL,
    label TEXT,
    created_at TEXT NOT NULL,
    revoked_at TEXT
  );

  CREATE TABLE decisions (
    id TEXT PRIMARY KEY,
    actor_id TEXT NOT NULL,
    actor_kind TEXT NOT NULL,
    system_id TEXT,
    action TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    environment TEXT,
    request TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    idempotency_key TEXT,
    status TEXT NOT NULL,
    effect TEXT NOT NULL,
    verdict TEXT NOT NULL,
    requirements TEXT NOT NULL,
    bundle TEXT NOT NULL,
    status_reason TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    expires_at TEXT,
    ledger_index BIGINT NOT NULL,
    outcome_status TEXT,
    outcome_detail TEXT,
    outcome_at TEXT,
    outcome_ledger_index BIGINT,
    UNIQUE (actor_id, idempotency_key)
  );
  CREATE INDEX decisions_created ON decisions (created_at, id);
  CREATE INDEX decisions_pending ON decisions (status, expires_at);
  CREATE INDEX decisions_system ON decisions (system_id, created_at);

  CREATE TABLE approvals (
    decision_id TEXT NOT NULL REFERENCES decisions (id),
    approver TEXT NOT NULL,
    groups TEXT NOT NULL,
    verdict TEXT NOT NULL,
    reason TEXT,
    request_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    ledger_index BIGINT NOT NULL,
    PRIMARY KEY (decision_id, approver)
  );

  CREATE TABLE activity (
    actor_id TEXT NOT NULL,
    granularity TEXT NOT NULL,
    bucket BIGINT NOT NULL,
    action TEXT NOT NULL,
    environment TEXT NOT NULL,
    decisions INTEGER NOT NULL DEFAULT 0,
    allowed INTEGER NOT NULL DEFAULT 0,
    denied INTEGER NOT NULL DEFAULT 0,
    succeeded INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0,
    rolled_back INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (actor_id, granularity, bucket, action, environment)
  );

  CREATE TABLE failures (
    actor_id TEXT NOT NULL,
    action TEXT NOT NULL,
    environment TEXT NOT NULL,
    last_failed_at TEXT NOT NULL,
    PRIMARY KEY (actor_id, action, environment)
  );
  `,
  `
  CREATE TABLE notifications (
    id TEXT PRIMARY KEY,
    notifier TEXT NOT NULL,
    event_type TEXT NOT NULL,
    payload TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL,
    next_attempt_at TEXT NOT NULL,
    last_error TEXT,
    created_at TEXT NOT NULL,
    delivered_at TEXT
  );
  CREATE INDEX notifications_due ON notifications (status, next_attempt_at);
  `,
  `
  -- CI gate runs. The report is kept as the canonical JSON text whose SHA-256 the ledger entry pins.
  CREATE TABLE gate_runs (
    id TEXT PRIMARY KEY,
    system_id TEXT NOT NULL,
    version TEXT NOT NULL,
    release_name TEXT NOT NULL,
    passed BOOLEAN NOT NULL,
    bundle TEXT NOT NULL,
    started_at TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    idempotency_key TEXT,
    report_sha256 TEXT NOT NULL,
    ledger_index BIGINT NOT NULL,
    report TEXT NOT NULL,
    UNIQUE (recorded_by, idempotency_key)
  );
  CREATE INDEX gate_runs_system ON gate_runs (system_id, recorded_at);
  CREATE INDEX gate_runs_recorded ON gate_runs (recorded_at, id);
  `,
  `
  -- Monitoring of deployed models. Windows hold mergeable counts only, never events; events are
  -- kept (by id, for label joins) only as long as the retention period; profiles by digest, so a
  -- window is always read against the bins it was counted with.
  CREATE TABLE monitor_profiles (
    sha256 TEXT PRIMARY KEY,
    system_id TEXT NOT NULL,
    profile TEXT NOT NULL,
    created_at TEXT NOT NULL
  );

  CREATE TABLE monitor_windows (
    system_id TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    window_end BIGINT NOT NULL,
    profile TEXT NOT NULL,
    state TEXT NOT NULL,
    evaluated_at TEXT,
    metrics TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (system_id, window_start)
  );
  CREATE INDEX monitor_windows_unevaluated ON monitor_windows (system_id, window_start) WHERE evaluated_at IS NULL;

  CREATE TABLE monitor_events (
    system_id TEXT NOT NULL,
    id TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    memo TEXT NOT NULL,
    labeled_at TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (system_id, id)
  );
  CREATE INDEX monitor_events_created ON monitor_events (created_at);

  CREATE TABLE monitor_alerts (
    system_id TEXT NOT NULL,
    policy TEXT NOT NULL,
    alert TEXT NOT NULL,
    state TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (system_id, policy, alert)
  );
  `,
  `
  -- Incidents and what they are linked to. At most one open incident per dedup key, so an alert
  -- that keeps firing or a decision that keeps failing is one incident.
  CREATE TABLE incidents (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    severity TEXT NOT NULL,
    status TEXT NOT NULL,
    system_id TEXT,
    description TEXT,
    trigger_kind TEXT NOT NULL,
    dedup_key TEXT,
    opened_by TEXT NOT NULL,
    opened_at TEXT NOT NULL,
    paged TEXT NOT NULL,
    ledger_index BIGINT NOT NULL,
    resolved_by TEXT,
    resolved_at TEXT,
    resolution TEXT,
    resolved_ledger_index BIGINT,
    updated_at TEXT NOT NULL
  );
  CREATE INDEX incidents_opened ON incidents (opened_at, id);
  CREATE INDEX incidents_system ON incidents (system_id, opened_at);
  CREATE UNIQUE INDEX incidents_open_dedup ON incidents (dedup_key) WHERE status = 'open' AND dedup_key IS NOT NULL;

  CREATE TABLE incident_links (
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    kind TEXT NOT NULL,
    ref TEXT NOT NULL,
    note TEXT,
    target_ledger_index BIGINT,
    linked_by TEXT NOT NULL,
    linked_at TEXT NOT NULL,
    ledger_index BIGINT NOT NULL,
    PRIMARY KEY (incident_id, kind, ref)
  );
  CREATE INDEX incident_links_ref ON incident_links (kind, ref);
  `,
  `
  -- Autonomy changes of Systems (error-budget demotions, people's promotions): the newest row per
  -- System is its standing level. Failures are counted from decisions, by System and outcome time.
  CREATE TABLE autonomy_changes (
    system_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    at TEXT NOT NULL,
    from_level INTEGER NOT NULL,
    to_level INTEGER NOT NULL,
    ceiling INTEGER NOT NULL,
    cause TEXT NOT NULL,
    changed_by TEXT NOT NULL,
    reason TEXT NOT NULL,
    decisions TEXT NOT NULL,
    ledger_index BIGINT NOT NULL,
    PRIMARY KEY (system_id, seq)
  );
  CREATE INDEX decisions_system_outcome ON decisions (system_id, outcome_at) WHERE outcome_at IS NOT NULL;
  `,
  `
  -- Execution windows (issue 17): an allowed decision not started within its window expires. An
  -- allowed decision recorded before windows existed, with no outcome, gets the default 15 minutes
  -- from its last change, so none stays startable forever.
  UPDATE decisions
    SET expires_at = to_char((updated_at::timestamptz + interval '15 minutes') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
    WHERE status = 'allowed' AND outcome_status IS NULL AND expires_at IS NULL;
  `,
  `
  -- One identity namespace: actors become typed references, \`system:ID\` for registered Systems
  -- and \`user:NAME\` for people, so a person named like a System never shares its decisions,
  -- idempotency keys, activity or failures. Activity and failures are classified from the
  -- decisions and Systems as they stand, before the decisions themselves are rewritten.
  UPDATE activity SET actor_id = CASE
    WHEN actor_id IN (SELECT id FROM systems)
      OR EXISTS (SELECT 1 FROM decisions d WHERE d.actor_id = activity.actor_id AND d.system_id IS NOT NULL)
    THEN 'system:' || actor_id ELSE 'user:' || actor_id END;
  UPDATE failures SET actor_id = CASE
    WHEN actor_id IN (SELECT id FROM systems)
      OR EXISTS (SELECT 1 FROM decisions d WHERE d.actor_id = failures.actor_id AND d.system_id IS NOT NULL)
    THEN 'system:' || actor_id ELSE 'user:' || actor_id END;
  UPDATE decisions SET actor_id = CASE WHEN system_id IS NOT NULL THEN 'system:' || actor_id ELSE 'user:' || actor_id END;
  UPDATE approvals SET approver = 'user:' || approver;
  -- Gate runs are found again by (recorder, idempotency key) when CI retries: the recorder is typed too.
  UPDATE gate_runs SET recorded_by = CASE
    WHEN recorded_by IN (SELECT id FROM systems) THEN 'system:' || recorded_by ELSE 'user:' || recorded_by END;
  `,
  `
  -- Witness cosignatures (issue 23): each witness's C2SP cosignature/v1 line on a checkpoint,
  -- served with the checkpoint and carried by exports.
  CREATE TABLE IF NOT EXISTS ledger_cosignatures (
    size BIGINT NOT NULL,
    witness TEXT NOT NULL,
    line TEXT NOT NULL,
    witnessed_at BIGINT NOT NULL,
    PRIMARY KEY (size, witness)
  );
  `,
  `
  -- Provider deliveries (issue 21): a webhook is acted on once. GitHub signs the body but not the
  -- delivery id, so a replay is known by either. IF NOT EXISTS: tests that step the version back
  -- to rerun an earlier migration run this one again.
  CREATE TABLE IF NOT EXISTS integration_deliveries (
    provider TEXT NOT NULL,
    delivery_id TEXT NOT NULL,
    body_digest TEXT NOT NULL,
    event TEXT NOT NULL,
    received_at TEXT NOT NULL,
    target TEXT,
    run_key TEXT,
    replays INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (provider, delivery_id)
  );
  CREATE UNIQUE INDEX IF NOT EXISTS integration_deliveries_body ON integration_deliveries (provider, body_digest);
  CREATE INDEX IF NOT EXISTS integration_deliveries_run ON integration_deliveries (provider, run_key, received_at)
    WHERE run_key IS NOT NULL;
  `,
];
