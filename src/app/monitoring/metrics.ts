import { Counter, Gauge, type Registry } from 'prom-client';
import type { WindowMetrics } from '../../monitor/evaluate.js';
import type { Store } from '../../store/store.js';
import type { PolicyHolder } from '../policies/policies.js';
import type { IngestResult, LabelResult, MonitoringObserver } from './monitoring.js';

/** What the gauges show of one monitored System: its latest evaluated window and firing alerts. */
interface SystemSnapshot {
  system: string;
  metrics?: WindowMetrics;
  firing: number;
}

export interface MonitorMetricsDeps {
  registry: Registry;
  store: Store;
  policies: PolicyHolder;
}

/**
 * Prometheus metrics of monitoring. The gauges come from the store at scrape time, so every replica
 * reports the same latest evaluated window per System; the counters are this process's ingestion.
 */
export class MonitorMetrics implements MonitoringObserver {
  private readonly events: Counter<'system' | 'result'>;
  private readonly labels: Counter<'system' | 'result'>;
  private snapshot: Promise<SystemSnapshot[]> | undefined;

  private readonly store: Store;
  private readonly policies: PolicyHolder;

  constructor({ registry, store, policies }: MonitorMetricsDeps) {
    this.store = store;
    this.policies = policies;
    this.events = new Counter({
      name: 'arbiter_monitor_events_total',
      help: 'Monitoring events received, by System and result (accepted, rejected)',
      labelNames: ['system', 'result'],
      registers: [registry],
    });
    this.labels = new Counter({
      name: 'arbiter_monitor_labels_total',
      help: 'Late labels received, by System and result (joined, unknown, rejected)',
      labelNames: ['system', 'result'],
      registers: [registry],
    });
    // A scrape collects every gauge at once, in registration order: the first one reads the store,
    // the others share what it read.
    let registered = 0;
    const gauge = <L extends string>(
      name: string,
      help: string,
      labelNames: readonly L[],
      fill: (set: (labels: Record<L, string>, value: number) => void, snapshot: SystemSnapshot) => void,
    ) => {
      const fresh = registered++ === 0;
      const read = () => this.systems(fresh);
      return new Gauge<L>({
        name,
        help,
        labelNames,
        registers: [registry],
        async collect() {
          // Labels of Systems or features that are gone must disappear, not keep their last value.
          this.reset();
          for (const snapshot of await read())
            fill((labels, value) => {
              if (Number.isFinite(value)) this.set(labels as never, value);
            }, snapshot);
        },
      });
    };
    gauge(
      'arbiter_monitor_drift_score',
      'Drift score per feature in the latest evaluated window (a p-value for ks/chisquare/z, a distance otherwise)',
      ['system', 'feature', 'method'],
      (set, { system, metrics }) => {
        for (const [feature, drift] of Object.entries(metrics?.drift.features ?? {}))
          set({ system, feature, method: drift.method }, drift.score);
      },
    );
    gauge(
      'arbiter_monitor_prediction_drift_score',
      'Drift score of the prediction in the latest evaluated window',
      ['system', 'method'],
      (set, { system, metrics }) => {
        const drift = metrics?.drift.prediction;
        if (drift) set({ system, method: drift.method }, drift.score);
      },
    );
    gauge(
      'arbiter_monitor_feature_drifted',
      '1 when the feature drifted in the latest evaluated window, else 0',
      ['system', 'feature'],
      (set, { system, metrics }) => {
        for (const [feature, drift] of Object.entries(metrics?.drift.features ?? {}))
          set({ system, feature }, drift.drifted ? 1 : 0);
      },
    );
    gauge(
      'arbiter_monitor_dataset_drift_share',
      'Share of features that drifted in the latest evaluated window',
      ['system'],
      (set, { system, metrics }) => {
        if (metrics) set({ system }, metrics.datasetDrift.share);
      },
    );
    gauge(
      'arbiter_monitor_fairness',
      'Fairness per sensitive attribute in the latest evaluated window (groups too small are left out)',
      ['system', 'attribute', 'metric'],
      (set, { system, metrics }) => {
        for (const [attribute, summary] of Object.entries(metrics?.fairness ?? {}))
          for (const [metric, value] of Object.entries(summary))
            if (typeof value === 'number') set({ system, attribute, metric }, value);
      },
    );
    gauge(
      'arbiter_monitor_performance',
      'Performance of the latest evaluated window with labels (accuracy, f1, rocAuc, mae, …)',
      ['system', 'metric'],
      (set, { system, metrics }) => {
        for (const [metric, value] of Object.entries(metrics?.performance ?? {}))
          if (typeof value === 'number') set({ system, metric }, value);
      },
    );
    gauge(
      'arbiter_monitor_window_end_seconds',
      'End of the latest evaluated window (Unix seconds): how fresh the other gauges are',
      ['system'],
      (set, { system, metrics }) => {
        if (metrics) set({ system }, Date.parse(metrics.window.end) / 1000);
      },
    );
    gauge(
      'arbiter_monitor_alerts_firing',
      'Monitoring alerts firing',
      ['system'],
      (set, { system, firing }) => set({ system }, firing),
    );
    new Gauge({
      name: 'arbiter_monitor_profile_problems',
      help: 'MonitorPolicy profiles that failed to load in the bundle in force (their Systems are not monitored)',
      registers: [registry],
      collect() {
        this.set(policies.monitorProfiles.problems.length);
      },
    });
  }

  eventsIngested(system: string, result: IngestResult): void {
    if (result.accepted > 0) this.events.inc({ system, result: 'accepted' }, result.accepted);
    if (result.rejected > 0) this.events.inc({ system, result: 'rejected' }, result.rejected);
  }

  labelsIngested(system: string, result: LabelResult): void {
    if (result.accepted > 0) this.labels.inc({ system, result: 'joined' }, result.accepted);
    if (result.unknown > 0) this.labels.inc({ system, result: 'unknown' }, result.unknown);
    const rejected = result.rejected - result.unknown;
    if (rejected > 0) this.labels.inc({ system, result: 'rejected' }, rejected);
  }

  private systems(fresh: boolean): Promise<SystemSnapshot[]> {
    if (fresh || !this.snapshot) this.snapshot = this.read();
    return this.snapshot;
  }

  private async read(): Promise<SystemSnapshot[]> {
    const firing = new Map<string, number>();
    for (const row of await this.store.monitorAlerts())
      if ((row.state as { status?: string }).status === 'firing')
        firing.set(row.systemId, (firing.get(row.systemId) ?? 0) + 1);
    const out: SystemSnapshot[] = [];
    for (const system of this.policies.monitorProfiles.systems.keys()) {
      const latest = await this.store.latestEvaluatedMonitorWindow(system);
      out.push({
        system,
        ...(latest?.metrics ? { metrics: latest.metrics as unknown as WindowMetrics } : {}),
        firing: firing.get(system) ?? 0,
      });
    }
    return out;
  }
}
