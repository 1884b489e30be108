import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { type IdGenerator, randomIds } from '../core/ids.js';
import type { PolicyBundle } from '../policy/bundle.js';
import { loadPolicyDirectory } from '../policy/load-dir.js';
import { openStore, type PostgresTuning, postgresTuningFromEnvironment } from '../store/open.js';
import type { Store } from '../store/store.js';
import { AutonomyService } from './autonomy.js';
import { DecisionService } from './decisions.js';
import { DecisionEvents } from './events.js';
import { GateRunService } from './gate-runs.js';
import { IncidentService } from './incidents.js';
import { defaultLedgerKeyPath, type Ledger, openLedger } from './ledger.js';
import { ArbiterMetrics } from './metrics.js';
import { MonitorMetrics } from './monitor-metrics.js';
import { type MonitoringOptions, MonitoringService } from './monitoring.js';
import { type NotificationOptions, NotificationService } from './notifications.js';
import { emptyBundle, PolicyHolder } from './policies.js';
import { SystemService } from './systems.js';
import { TokenService } from './tokens.js';
import { TraceService } from './traces.js';

export interface ArbiterOptions {
  databaseUrl: string;
  ledgerKeyPath?: string;
  /** Governance directory; without one, every request is denied (the empty bundle's default). */
  policyDir?: string;
  /** Where to write the first admin token when the database has no tokens (mode 0600). */
  adminTokenPath?: string;
  clock?: () => Date;
  ids?: IdGenerator;
  /** How often a checkpoint is signed when the log grew (default 60 s). */
  checkpointIntervalMs?: number;
  /** How often expired approvals are swept (default 1 s). */
  expiryIntervalMs?: number;
  /** PostgreSQL pool size, statement timeout, replica name. */
  postgres?: PostgresTuning;
  /** Notification delivery: backoff, dashboard URL for links, fetch (tests). */
  notifications?: NotificationOptions;
  /** How often the notification outbox is drained (default 500 ms). */
  notificationIntervalMs?: number;
  /** How often closed monitoring windows are evaluated and old events purged (default 10 s). */
  monitorIntervalMs?: number;
  /** Monitoring: grace period before a window closes, event retention. */
  monitoring?: MonitoringOptions;
}

/** Everything a running Arbiter is made of; the HTTP server and the CLI both use it. */
export interface Arbiter {
  store: Store;
  ledger: Ledger;
  policies: PolicyHolder;
  systems: SystemService;
  tokens: TokenService;
  decisions: DecisionService;
  /** Error budgets, effective autonomy, track records, promotions. */
  autonomy: AutonomyService;
  gateRuns: GateRunService;
  events: DecisionEvents;
  metrics: ArbiterMetrics;
  notifications: NotificationService;
  monitoring: MonitoringService;
  /** Incidents, opened by hand or from failed production outcomes and critical alerts. */
  incidents: IncidentService;
  /** Accountability traces of incidents and decisions, with ledger proofs. */
  traces: TraceService;
  clock: () => Date;
  /** Set when this start created the first admin token. */
  bootstrapAdminToken?: string;
  /** Signs a checkpoint if the log grew since the last one. */
  checkpointIfGrown(): Promise<void>;
  /** Stops background work, signs a final checkpoint and closes the store. */
  close(): Promise<void>;
}

/** Opens the store and ledger, loads policies (refusing to start on a bad bundle) and starts background work. */
export async function startArbiter(options: ArbiterOptions): Promise<Arbiter> {
  const clock = options.clock ?? (() => new Date());
  const ids = options.ids ?? randomIds;
  // A bad bundle stops the start before anything is opened.
  const bundle: PolicyBundle = options.policyDir ? loadPolicyDirectory(options.policyDir) : emptyBundle();
  const store = await openStore(options.databaseUrl, {
    ...postgresTuningFromEnvironment(),
    ...options.postgres,
  });
  try {
    const ledger = await openLedger(store, {
      keyPath: options.ledgerKeyPath ?? defaultLedgerKeyPath(options.databaseUrl),
      clock,
    });
    const events = new DecisionEvents();
    store.onDecisionChanged((id) => events.notify(id));
    const metrics = new ArbiterMetrics(store);
    // Notifiers come from the bundle in force, which the policy holder (created below) owns.
    let policies: PolicyHolder | undefined;
    const notifications = new NotificationService(
      store,
      ledger,
      () => (policies?.bundle ?? bundle).notifiers,
      clock,
      ids,
      metrics.registry,
      { ...options.notifications },
    );
    const systems = new SystemService(store, ledger, clock, notifications);
    policies = new PolicyHolder(options.policyDir, bundle, store, ledger, systems);
    const tokens = new TokenService(store, ledger, clock, ids);
    const decisions = new DecisionService(
      store,
      ledger,
      policies,
      systems,
      events,
      clock,
      ids,
      metrics,
      notifications,
    );
    const autonomy = new AutonomyService(store, ledger, clock, notifications);
    decisions.onPolicyActor(autonomy.policyActor);
    decisions.onOutcome(autonomy.afterOutcome);
    const gateRuns = new GateRunService(store, ledger, policies, clock, ids, metrics);
    const monitoring = new MonitoringService(
      store,
      ledger,
      policies,
      notifications,
      clock,
      new MonitorMetrics(metrics.registry, store, policies),
      options.monitoring,
    );
    const incidents = new IncidentService(store, ledger, policies, notifications, clock, ids);
    incidents.openAutomatically({ decisions, monitoring });
    const traces = new TraceService(store, ledger, policies, clock);
    await policies.install('arbiter', 'start');

    let bootstrapAdminToken: string | undefined;
    if (options.adminTokenPath && (await store.listTokens()).length === 0) {
      const { token } = await tokens.create(
        { role: 'admin', user: 'admin', label: 'first start' },
        'arbiter',
      );
      mkdirSync(dirname(options.adminTokenPath), { recursive: true, mode: 0o700 });
      writeFileSync(options.adminTokenPath, `${token}\n`, { mode: 0o600 });
      if (existsSync(options.adminTokenPath)) chmodSync(options.adminTokenPath, 0o600);
      bootstrapAdminToken = token;
    }

    let lastCheckpoint = (await store.ledger.checkpoints()).at(-1)?.size ?? -1;
    const checkpointIfGrown = async () => {
      const size = await store.ledger.size();
      if (size === lastCheckpoint) return;
      const signed = await store.write((tx) => ledger.log.checkpoint(tx.ledger));
      lastCheckpoint = signed.size;
    };
    const background = (every: number, work: () => Promise<unknown>) => {
      let running = false;
      const timer = setInterval(() => {
        if (running) return;
        running = true;
        work()
          .catch((error: unknown) =>
            process.emitWarning(`arbiter background task failed: ${(error as Error).message}`),
          )
          .finally(() => {
            running = false;
          });
      }, every);
      timer.unref();
      return timer;
    };
    const timers = [
      background(options.expiryIntervalMs ?? 1_000, () => decisions.expireDue()),
      background(options.checkpointIntervalMs ?? 60_000, checkpointIfGrown),
      background(options.notificationIntervalMs ?? 500, () => notifications.deliverDue()),
      background(options.monitorIntervalMs ?? 10_000, () => monitoring.tick()),
    ];

    let closed = false;
    return {
      store,
      ledger,
      policies,
      systems,
      tokens,
      decisions,
      autonomy,
      gateRuns,
      events,
      metrics,
      notifications,
      monitoring,
      incidents,
      traces,
      clock,
      ...(bootstrapAdminToken ? { bootstrapAdminToken } : {}),
      checkpointIfGrown,
      async close() {
        if (closed) return;
        closed = true;
        for (const timer of timers) clearInterval(timer);
        events.close();
        await checkpointIfGrown();
        await store.close();
      },
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}
