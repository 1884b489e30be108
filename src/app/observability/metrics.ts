import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DecisionRow } from '../../decisions/records.js';
import type { GateRunSummaryRow } from '../../gate/records.js';
import type { Store } from '../../store/store.js';
import type { DecisionObserver } from '../decisions/decisions.js';
import type { GateRunObserver } from '../gate-runs/gate-runs.js';

/** Prometheus metrics of one Arbiter instance (its own registry, no globals). */
export class ArbiterMetrics implements DecisionObserver, GateRunObserver {
  readonly registry = new Registry();
  private readonly decisions: Counter<'effect' | 'status'>;
  private readonly gateRuns: Counter<'result'>;
  private readonly decisionSeconds: Histogram;
  readonly httpSeconds: Histogram<'method' | 'route' | 'status'>;

  /** `waits`: the long polls this instance holds (a test or an operator sees that a waiter is in place). */
  constructor(store: Store, waits?: { readonly waiting: number }) {
    this.decisions = new Counter({
      name: 'arbiter_decisions_total',
      help: 'Decisions made, by policy effect and resulting status',
      labelNames: ['effect', 'status'],
      registers: [this.registry],
    });
    this.decisionSeconds = new Histogram({
      name: 'arbiter_decision_duration_seconds',
      help: 'Time to decide and durably record a decision',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [this.registry],
    });
    this.gateRuns = new Counter({
      name: 'arbiter_gate_runs_total',
      help: 'CI gate runs recorded, by result (passed, failed)',
      labelNames: ['result'],
      registers: [this.registry],
    });
    this.httpSeconds = new Histogram({
      name: 'arbiter_http_request_duration_seconds',
      help: 'HTTP request latency by route and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30],
      registers: [this.registry],
    });
    new Gauge({
      name: 'arbiter_pending_approvals',
      help: 'Decisions waiting for human approval',
      registers: [this.registry],
      async collect() {
        this.set(await store.countPending());
      },
    });
    new Gauge({
      name: 'arbiter_long_polls_waiting',
      help: 'Requests long-polling this instance for a decision to change',
      registers: [this.registry],
      collect() {
        this.set(waits?.waiting ?? 0);
      },
    });
    new Gauge({
      name: 'arbiter_ledger_size',
      help: 'Entries in the ledger',
      registers: [this.registry],
      async collect() {
        this.set(await store.ledger.size());
      },
    });
  }

  created(row: DecisionRow, seconds: number): void {
    this.decisions.inc({ effect: row.effect, status: row.status });
    this.decisionSeconds.observe(seconds);
  }

  gateRunRecorded(row: GateRunSummaryRow): void {
    this.gateRuns.inc({ result: row.passed ? 'passed' : 'failed' });
  }
}
