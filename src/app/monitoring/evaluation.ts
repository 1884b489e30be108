import type { JsonObject } from '../../core/json.js';
import { type Logger, silentLogger } from '../../core/logger.js';
import { type AlertState, stepAlert } from '../../monitor/alerts.js';
import { evaluateWindow } from '../../monitor/evaluate.js';
import { evaluateMonitorWindow } from '../../policy/evaluate-monitor.js';
import type { SystemRow } from '../../registry/records.js';
import type { Store, StoreTransaction } from '../../store/store.js';
import type { Ledger } from '../ledger/ledger.js';
import type { EventSink } from '../notifications/notifications.js';
import type { PolicyHolder } from '../policies/policies.js';
import { type AlertChange, alertEntryData, alertEntryType, alertEvent } from './alert-events.js';
import type { ProfileResolver } from './profiles.js';
import { stateOf } from './window-views.js';

const alertKey = (policy: string, alert: string) => `${policy}\u0000${alert}`;

/** Something that follows from an alert firing (an incident), run in the transaction that records it. */
export type AlertFiredHook = (
  tx: StoreTransaction,
  change: AlertChange,
  system: SystemRow | undefined,
  ledgerIndex: number,
) => Promise<void>;

export interface MonitorEvaluatorDeps {
  store: Store;
  ledger: Ledger;
  policies: PolicyHolder;
  sink: EventSink;
  clock: () => Date;
  profiles: ProfileResolver;
  /** A window closes this long after its end, so events in flight still count. */
  graceMs: number;
  logger?: Logger;
}

/**
 * Closing and evaluating monitoring windows: a closed window's metrics are computed and stored,
 * the MonitorPolicy alerts stepped over them, and every alert that fires or resolves is a ledger
 * entry and a notification to the System's owner, in the transaction that changes the alert.
 */
export class MonitorEvaluator {
  private running: Promise<number> | undefined;
  private queued: Promise<number> | undefined;
  private readonly firedHooks: AlertFiredHook[] = [];

  private readonly store: Store;
  private readonly logger: Logger;
  private readonly ledger: Ledger;
  private readonly policies: PolicyHolder;
  private readonly sink: EventSink;
  private readonly clock: () => Date;
  private readonly profiles: ProfileResolver;
  readonly graceMs: number;

  constructor({
    store,
    ledger,
    policies,
    sink,
    clock,
    profiles,
    graceMs,
    logger = silentLogger,
  }: MonitorEvaluatorDeps) {
    this.logger = logger;
    this.store = store;
    this.ledger = ledger;
    this.policies = policies;
    this.sink = sink;
    this.clock = clock;
    this.profiles = profiles;
    this.graceMs = graceMs;
  }

  /**
   * Evaluates every closed window not evaluated yet, oldest first, and returns how many. A window is
   * closed once the clock passes its end plus the grace period, or once a later window of the
   * System has events. One pass runs at a time; a call during a pass gets one more pass after it.
   */
  evaluateDue(): Promise<number> {
    if (!this.running) {
      this.running = this.evaluatePass().finally(() => {
        this.running = undefined;
      });
      return this.running;
    }
    this.queued ??= this.running
      .catch(() => 0)
      .then(() => {
        this.queued = undefined;
        return this.evaluateDue();
      });
    return this.queued;
  }

  /** Runs `hook` inside the transaction of every alert that fires, after its ledger entry is written. */
  onAlertFired(hook: AlertFiredHook): void {
    this.firedHooks.push(hook);
  }

  private async evaluatePass(): Promise<number> {
    let evaluated = 0;
    for (const systemId of this.policies.monitorProfiles.systems.keys()) {
      const now = this.clock().getTime();
      const latest = await this.store.latestMonitorWindowStart(systemId);
      for (const window of await this.store.unevaluatedMonitorWindows(systemId, 1_000)) {
        const closed = window.end + this.graceMs <= now || (latest !== undefined && window.start < latest);
        // Windows close in start order: the first open one ends the pass for this System.
        if (!closed) break;
        try {
          if (await this.store.write((tx) => this.evaluateClosed(tx, systemId, window.start))) evaluated++;
        } catch (error) {
          // Never skip a window: this System waits for the next pass; the others go on.
          this.logger.error(
            { system: systemId, window: new Date(window.start).toISOString(), err: error },
            `monitoring evaluation of ${systemId} stopped at window ${new Date(window.start).toISOString()}: ${(error as Error).message}`,
          );
          break;
        }
      }
    }
    return evaluated;
  }

  /**
   * Evaluates one closed window and steps its alerts. Runs inside the write transaction, which the
   * store serialises across replicas, and re-reads `evaluatedAt` there: a window is evaluated once,
   * so an alert fires once, however many replicas try.
   */
  private async evaluateClosed(tx: StoreTransaction, systemId: string, start: number): Promise<boolean> {
    const [row] = await tx.monitorWindowsAt(systemId, [start]);
    if (!row || row.evaluatedAt !== undefined) return false;
    const profile = await this.profiles.byDigest(tx, row.profile);
    const metrics = evaluateWindow(profile, stateOf(row));
    const now = this.clock();
    const at = now.toISOString();
    const conditions = evaluateMonitorWindow(this.policies.bundle, {
      system: systemId,
      metrics: metrics as unknown as Record<string, unknown>,
      window: { ...metrics.window },
      now,
    });
    const stored = new Map(
      (await tx.monitorAlerts(systemId)).map((alert) => [
        alertKey(alert.policy, alert.alert),
        alert.state as unknown as AlertState,
      ]),
    );
    const changes: AlertChange[] = [];
    const save = (state: AlertState) =>
      tx.putMonitorAlert({
        systemId,
        policy: state.policy,
        alert: state.alert,
        state: state as unknown as JsonObject,
        updatedAt: at,
      });
    for (const condition of conditions) {
      const key = alertKey(condition.policy, condition.alert);
      const previous = stored.get(key);
      stored.delete(key);
      const step = stepAlert(previous, condition, row);
      await save(step.state);
      if (step.transition !== 'none')
        changes.push({
          system: systemId,
          transition: step.transition,
          state: step.state,
          ...(previous ? { previous } : {}),
          window: row,
          profile: row.profile,
        });
    }
    // An alert whose rule left the bundle clears rather than staying firing forever.
    for (const previous of stored.values()) {
      if (previous.status === 'ok' || row.start <= previous.lastWindow) continue;
      const { firingSince: _, ...rest } = previous;
      const state: AlertState = {
        ...rest,
        status: 'ok',
        consecutive: 0,
        lastWindow: row.start,
        message: `${previous.alert} is no longer in the policy bundle`,
      };
      await save(state);
      if (previous.status === 'firing')
        changes.push({
          system: systemId,
          transition: 'resolved',
          state,
          previous,
          window: row,
          profile: row.profile,
        });
    }
    if (changes.length > 0) {
      const entries = await this.ledger.log.append(
        tx.ledger,
        changes.map((change) => ({
          type: alertEntryType[change.transition],
          actor: 'arbiter',
          subject: systemId,
          data: alertEntryData(change),
        })),
      );
      const system = await tx.getSystem(systemId);
      for (const [i, change] of changes.entries()) {
        await this.sink.emit(tx, alertEvent(change, system, entries[i]!.seq));
        if (change.transition === 'fired')
          for (const hook of this.firedHooks) await hook(tx, change, system, entries[i]!.seq);
      }
    }
    await tx.putMonitorWindow({
      ...row,
      metrics: metrics as unknown as JsonObject,
      evaluatedAt: at,
      updatedAt: at,
    });
    return true;
  }
}
