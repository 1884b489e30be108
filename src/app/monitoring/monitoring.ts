import { ArbiterError } from '../../core/errors.js';
import type { JsonObject } from '../../core/json.js';
import { type Logger, silentLogger } from '../../core/logger.js';
import { type Principal, requireRole } from '../../identity/principal.js';
import { evaluateWindow } from '../../monitor/evaluate.js';
import type { Profile } from '../../monitor/profile.js';
import type { MonitorEventRow, MonitorWindowRow } from '../../monitor/records.js';
import {
  addEvent,
  addLabel,
  type EventMemo,
  emptyWindow,
  eventProblem,
  type WindowState,
  windowStart,
} from '../../monitor/window.js';
import { anyGlobMatches } from '../../policy/glob.js';
import type { RecordReads } from '../../store/records.js';
import type { Store, StoreTransaction } from '../../store/store.js';
import type { Ledger } from '../ledger/ledger.js';
import type { EventSink } from '../notifications/notifications.js';
import type { PolicyHolder } from '../policies/policies.js';
import { alertView, type MonitorAlertView } from './alert-view.js';
import {
  type BatchItem,
  maxBatchItems,
  type PreparedEvent,
  ProblemList,
  prepareEvent,
  prepareLabel,
  rfc3339,
} from './batch.js';
import { type AlertFiredHook, MonitorEvaluator } from './evaluation.js';
import { type MonitoringOverview, profileSummary } from './monitored-view.js';
import { type MonitoredSystem, ProfileResolver } from './profiles.js';
import { dayViews, type MonitorWindowView, stateOf, windowView } from './window-views.js';

const dayMs = 86_400_000;
const purgeBatch = 10_000;

export interface MonitoringOptions {
  /** A window closes this long after its end (default 1 minute), so events in flight still count. */
  graceMs?: number;
  /** How long events are kept for label joins after they arrive (default 30 days). */
  eventRetentionMs?: number;
}

import type { IngestResult, LabelResult } from './batch-results.js';

export type { MonitorAlertView } from './alert-view.js';
export type { IngestResult, LabelResult };

/** Counters of ingestion, for metrics. */
export interface MonitoringObserver {
  eventsIngested?(system: string, result: IngestResult): void;
  labelsIngested?(system: string, result: LabelResult): void;
}

/** A window being counted into inside a transaction. */
interface CountingWindow {
  row: MonitorWindowRow;
  profile: Profile;
  state: WindowState;
  touched: boolean;
}

/** A query instant: RFC 3339 or epoch milliseconds. */
function instant(text: string, field: string): number {
  const time = /^\d+$/.test(text) ? Number(text) : rfc3339.test(text) ? Date.parse(text) : Number.NaN;
  if (!Number.isFinite(time))
    throw new ArbiterError(
      'ARB_ERR_REQUEST_INVALID',
      `${field} must be an RFC 3339 timestamp or epoch milliseconds`,
      {
        details: { reason: 'bad-time', field },
      },
    );
  return time;
}

export interface MonitoringServiceDeps {
  store: Store;
  ledger: Ledger;
  policies: PolicyHolder;
  sink: EventSink;
  clock: () => Date;
  observer?: MonitoringObserver;
  options?: MonitoringOptions;
  /** Where evaluation failures after an ingestion are reported (the ingestion itself succeeded). */
  logger?: Logger;
}

/**
 * Monitoring of deployed models: production events and late labels are counted into tumbling
 * windows, one transaction per batch; closed windows are then evaluated (MonitorEvaluator); reads
 * return windows with their metrics and the alerts' states.
 */
export class MonitoringService {
  private readonly profiles: ProfileResolver;
  private readonly evaluator: MonitorEvaluator;
  private lastPurge = Number.NEGATIVE_INFINITY;
  readonly eventRetentionMs: number;

  private readonly store: Store;
  private readonly logger: Logger;
  private readonly policies: PolicyHolder;
  private readonly clock: () => Date;
  private readonly observer: MonitoringObserver;

  constructor({
    store,
    ledger,
    policies,
    sink,
    clock,
    observer = {},
    options = {},
    logger = silentLogger,
  }: MonitoringServiceDeps) {
    this.logger = logger;
    this.store = store;
    this.policies = policies;
    this.clock = clock;
    this.observer = observer;
    this.eventRetentionMs = options.eventRetentionMs ?? 30 * dayMs;
    this.profiles = new ProfileResolver(() => policies.monitorProfiles);
    this.evaluator = new MonitorEvaluator({
      store,
      ledger,
      policies,
      sink,
      clock,
      profiles: this.profiles,
      logger,
      graceMs: options.graceMs ?? 60_000,
    });
  }

  /** Counts a batch of production events (agents for their own System, admins for any). */
  async ingest(principal: Principal, systemId: string, items: readonly BatchItem[]): Promise<IngestResult> {
    const monitored = await this.forSending(principal, systemId, items.length);
    const now = this.clock();
    // Shape, id and time need no transaction; the write lock is held only for counting.
    const prepared = items.map((item, index) => prepareEvent(item, index, now.getTime()));
    const result = await this.store.write((tx) => this.countEvents(tx, monitored, prepared, now));
    this.observer.eventsIngested?.(systemId, result);
    await this.evaluateQuietly();
    return result;
  }

  /** Joins late labels to their events by id and counts them into the events' windows. */
  async labels(principal: Principal, systemId: string, items: readonly BatchItem[]): Promise<LabelResult> {
    await this.forSending(principal, systemId, items.length);
    const prepared = items.map((item, index) => prepareLabel(item, index));
    const at = this.clock().toISOString();
    const retentionDays = Math.round(this.eventRetentionMs / dayMs);
    const result = await this.store.write(async (tx): Promise<LabelResult> => {
      const ids = [...new Set(prepared.flatMap((p) => ('id' in p ? [p.id] : [])))];
      const events = new Map((await tx.monitorEvents(systemId, ids)).map((event) => [event.id, event]));
      const windows = await this.loadWindows(tx, systemId, [
        ...new Set([...events.values()].map((e) => e.windowStart)),
      ]);
      const problems = new ProblemList();
      const joined: string[] = [];
      let unknown = 0;
      let duplicates = 0;
      for (const p of prepared) {
        if ('problem' in p) {
          problems.add(p, p.problem);
          continue;
        }
        const event = events.get(p.id);
        const window = event && windows.get(event.windowStart);
        if (!event || !window) {
          unknown++;
          problems.add(
            p,
            `no event with id ${p.id} (never sent, or older than the ${retentionDays}-day retention)`,
          );
          continue;
        }
        if (event.labeledAt !== undefined) {
          duplicates++;
          problems.add(p, `event ${p.id} already has a label`);
          continue;
        }
        addLabel(window.state, window.profile, event.memo as unknown as EventMemo, p.label);
        window.touched = true;
        event.labeledAt = at;
        joined.push(p.id);
      }
      await this.saveWindows(tx, windows.values(), at);
      await tx.markMonitorEventsLabeled(systemId, joined, at);
      return {
        accepted: joined.length,
        rejected: problems.count,
        unknown,
        duplicates,
        problems: problems.listed,
      };
    });
    this.observer.labelsIngested?.(systemId, result);
    return result;
  }

  /** Runs `hook` in the transaction of every alert that fires (see MonitorEvaluator.onAlertFired). */
  onAlertFired(hook: AlertFiredHook): void {
    this.evaluator.onAlertFired(hook);
  }

  /** Evaluates the windows that closed (see MonitorEvaluator.evaluateDue); returns how many. */
  evaluateDue(): Promise<number> {
    return this.evaluator.evaluateDue();
  }

  /** The periodic task: evaluate what closed, and (hourly) delete events past the retention. */
  async tick(): Promise<void> {
    await this.evaluateDue();
    await this.purgeExpiredEvents();
  }

  /** Deletes events stored longer ago than the retention (at most hourly); returns how many. */
  async purgeExpiredEvents(): Promise<number> {
    const now = this.clock().getTime();
    if (now - this.lastPurge < 3_600_000) return 0;
    this.lastPurge = now;
    const before = new Date(now - this.eventRetentionMs).toISOString();
    let total = 0;
    for (;;) {
      const deleted = await this.store.write((tx) => tx.purgeMonitorEvents(before, purgeBatch));
      total += deleted;
      if (deleted < purgeBatch) return total;
    }
  }

  /** Windows starting in [from, to), with metrics; `merge: 'day'` adds them up per UTC day. */
  async windows(
    principal: Principal,
    systemId: string,
    query: { from?: string; to?: string; merge?: 'day' },
  ): Promise<MonitorWindowView[]> {
    await this.forReading(principal, systemId);
    const to = query.to === undefined ? this.clock().getTime() + 1 : instant(query.to, 'to');
    const from = query.from === undefined ? to - (query.merge ? 31 : 7) * dayMs : instant(query.from, 'from');
    if (from >= to)
      throw new ArbiterError('ARB_ERR_REQUEST_INVALID', 'from must be before to', {
        details: { reason: 'empty-range' },
      });
    const limit = query.merge ? 10_000 : 2_000;
    const rows = await this.store.monitorWindows(systemId, { from, to, limit: limit + 1 });
    if (rows.length > limit)
      throw new ArbiterError(
        'ARB_ERR_REQUEST_INVALID',
        `more than ${limit} windows start between ${new Date(from).toISOString()} and ${new Date(to).toISOString()}; narrow from and to${query.merge ? '' : ', or merge=day'}`,
        { details: { reason: 'too-many-windows', limit } },
      );
    const profiles = new Map<string, Profile>();
    for (const digest of new Set(rows.map((row) => row.profile)))
      profiles.set(digest, await this.profiles.byDigest(this.store, digest));
    return query.merge
      ? dayViews(rows, profiles)
      : rows.map((row) => windowView(row, profiles.get(row.profile)!));
  }

  /** The stored state of every alert of the System that has been stepped. */
  async alerts(principal: Principal, systemId: string): Promise<MonitorAlertView[]> {
    await this.forReading(principal, systemId);
    return (await this.store.monitorAlerts(systemId)).map(alertView);
  }

  /** The monitored Systems with their profiles and alert rules, and the profiles that failed to load. */
  async monitored(principal: Principal): Promise<MonitoringOverview> {
    requireRole(principal, 'agent', 'approver', 'auditor', 'admin');
    const own = principal.role === 'agent' ? principal.systemId : undefined;
    const { systems, problems } = this.policies.monitorProfiles;
    const firing = new Map<string, number>();
    for (const row of await this.store.monitorAlerts())
      if ((row.state as { status?: string }).status === 'firing')
        firing.set(row.systemId, (firing.get(row.systemId) ?? 0) + 1);
    const bundle = this.policies.bundle;
    return {
      systems: [...systems.values()]
        .filter((monitored) => own === undefined || monitored.system === own)
        .map((monitored) => ({
          system: monitored.system,
          profile: profileSummary(monitored),
          alerts: bundle.monitorPolicies
            .filter((policy) => anyGlobMatches(policy.match.systems, monitored.system))
            .flatMap((policy) =>
              policy.alerts.map((alert) => ({
                policy: policy.name,
                alert: alert.name,
                severity: alert.severity,
                for: alert.for,
                when: alert.when.source,
              })),
            ),
          firing: firing.get(monitored.system) ?? 0,
        })),
      problems: problems.filter((problem) => own === undefined || problem.system === own),
    };
  }

  /** Evaluation after ingestion must not fail the ingestion that already committed. */
  private async evaluateQuietly(): Promise<void> {
    await this.evaluateDue().catch((error: unknown) =>
      this.logger.error(
        { err: error },
        `monitoring evaluation after an ingestion failed: ${(error as Error).message}`,
      ),
    );
  }

  private async countEvents(
    tx: StoreTransaction,
    monitored: MonitoredSystem,
    prepared: readonly PreparedEvent[],
    now: Date,
  ): Promise<IngestResult> {
    const systemId = monitored.system;
    const lengthMs = monitored.profile.windowMs;
    const at = now.toISOString();
    // Events without a usable time are counted (as rejected) in the window of the server's clock.
    const startOf = (p: PreparedEvent) => windowStart(p.time ?? now.getTime(), lengthMs);
    const windows = await this.loadWindows(tx, systemId, [...new Set(prepared.map(startOf))]);
    // New windows are counted against the profile in force; existing ones keep their own.
    const windowAt = (start: number): CountingWindow => {
      let window = windows.get(start);
      if (!window) {
        const state = emptyWindow(monitored.profile, start, start + lengthMs);
        window = {
          row: {
            systemId,
            start,
            end: start + lengthMs,
            profile: monitored.sha256,
            state: {},
            updatedAt: at,
          },
          profile: monitored.profile,
          state,
          touched: false,
        };
        windows.set(start, window);
      }
      return window;
    };
    const ids = prepared.flatMap((p) => ('event' in p && p.id !== undefined ? [p.id] : []));
    const taken = new Set((await tx.monitorEvents(systemId, ids)).map((event) => event.id));
    const problems = new ProblemList();
    const memos: MonitorEventRow[] = [];
    let accepted = 0;
    let duplicates = 0;
    for (const p of prepared) {
      const window = windowAt(startOf(p));
      const problem = 'problem' in p ? p.problem : eventProblem(window.profile, p.event);
      if (problem !== undefined || !('event' in p)) {
        window.state.rejected++;
        window.touched = true;
        problems.add(p, problem ?? 'unreadable event');
        continue;
      }
      if (p.id !== undefined) {
        if (taken.has(p.id)) {
          duplicates++;
          problems.add(p, `duplicate id ${p.id}: an event with this id was already counted`);
          continue;
        }
        taken.add(p.id);
      }
      const memo = addEvent(window.state, window.profile, p.event);
      window.touched = true;
      accepted++;
      if (p.id !== undefined) {
        const labeled = p.event.label !== undefined && p.event.label !== null;
        memos.push({
          systemId,
          id: p.id,
          windowStart: window.row.start,
          memo: memo as unknown as JsonObject,
          ...(labeled ? { labeledAt: at } : {}),
          createdAt: at,
        });
      }
    }
    await this.saveWindows(tx, windows.values(), at);
    await tx.insertMonitorEvents(memos);
    return { accepted, rejected: problems.count, duplicates, problems: problems.listed };
  }

  private async loadWindows(
    reader: RecordReads,
    systemId: string,
    starts: readonly number[],
  ): Promise<Map<number, CountingWindow>> {
    const windows = new Map<number, CountingWindow>();
    for (const row of await reader.monitorWindowsAt(systemId, starts))
      windows.set(row.start, {
        row,
        profile: await this.profiles.byDigest(reader, row.profile),
        state: stateOf(row),
        touched: false,
      });
    return windows;
  }

  /**
   * Writes the windows that changed. A window evaluated before keeps its alerts as they were (past
   * windows never re-fire), but its stored metrics follow its counts, so late labels show.
   */
  private async saveWindows(
    tx: StoreTransaction,
    windows: Iterable<CountingWindow>,
    at: string,
  ): Promise<void> {
    for (const window of windows) {
      if (!window.touched) continue;
      const { metrics: _, ...row } = window.row;
      const metrics =
        row.evaluatedAt === undefined ? undefined : evaluateWindow(window.profile, window.state);
      await tx.putMonitorWindow({
        ...row,
        state: window.state as unknown as JsonObject,
        ...(metrics ? { metrics: metrics as unknown as JsonObject } : {}),
        updatedAt: at,
      });
    }
  }

  /**
   * Refuses a sender before its batch is read (the server calls it ahead of the body): agents send
   * for their own System only, admins for any, and the System must exist and be monitored.
   */
  async checkSender(principal: Principal, systemId: string): Promise<MonitoredSystem> {
    requireRole(principal, 'agent', 'admin');
    if (principal.role === 'agent' && principal.systemId !== systemId)
      throw new ArbiterError(
        'ARB_ERR_FORBIDDEN',
        `an agent token sends monitoring data only for its own System (${principal.systemId}), not ${systemId}`,
      );
    if (!(await this.store.getSystem(systemId)))
      throw new ArbiterError('ARB_ERR_NOT_FOUND', `no System ${systemId}`);
    const monitored = this.policies.monitorProfiles.systems.get(systemId);
    if (!monitored) {
      const problems = this.policies.monitorProfiles.problems.filter(
        (problem) => problem.system === systemId,
      );
      throw new ArbiterError(
        'ARB_ERR_MONITOR_NOT_CONFIGURED',
        problems.length > 0
          ? `${systemId} is not monitored: ${problems.map((problem) => problem.message).join('; ')}`
          : `${systemId} is not monitored: no MonitorPolicy matching it names a profile (spec.profile)`,
        { details: { system: systemId, problems } },
      );
    }
    return monitored;
  }

  /** Sending events or labels: the sender's checks, then the size of the batch. */
  private async forSending(principal: Principal, systemId: string, count: number): Promise<MonitoredSystem> {
    const monitored = await this.checkSender(principal, systemId);
    if (count > maxBatchItems)
      throw new ArbiterError(
        'ARB_ERR_MONITOR_BATCH_TOO_LARGE',
        `${count} items in one batch; send at most ${maxBatchItems} per request`,
        { details: { count, limit: maxBatchItems } },
      );
    return monitored;
  }

  /** Reading: humans of every role; an agent only its own System. */
  private async forReading(principal: Principal, systemId: string): Promise<void> {
    requireRole(principal, 'agent', 'approver', 'auditor', 'admin');
    if (principal.role === 'agent' && principal.systemId !== systemId)
      throw new ArbiterError(
        'ARB_ERR_FORBIDDEN',
        `an agent token reads monitoring only of its own System (${principal.systemId}), not ${systemId}`,
      );
    if (!(await this.store.getSystem(systemId)))
      throw new ArbiterError('ARB_ERR_NOT_FOUND', `no System ${systemId}`);
  }
}
