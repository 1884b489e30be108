import {
  type BudgetSpend,
  documentAutonomy,
  type ErrorBudget,
  effectiveAutonomy,
  errorBudgetOf,
  spendBudget,
  type TrackRecord,
  trackRecord,
  trackRecordWindow,
} from './autonomy.js';
import type { AutonomyChangeRow, AutonomyReads } from './autonomy-records.js';
import type { SystemRow } from './records.js';

/**
 * A System's standing autonomy and track record, read through the autonomy port
 * (`AutonomyReads`): the pure rules are in autonomy.ts, this module fetches what they need.
 */

/** A System's autonomy: the document's level (the ceiling), the standing change and the effective level. */
export interface AutonomyState {
  ceiling: number;
  effective: number;
  /** The newest autonomy change, if any. */
  standing?: AutonomyChangeRow;
}

/** The autonomy state of a System, as of `at` (default: every change so far). */
export async function autonomyState(
  reads: AutonomyReads,
  system: SystemRow,
  at?: Date,
): Promise<AutonomyState> {
  const [standing] = await reads.autonomyChanges(system.id, {
    limit: 1,
    ...(at ? { atOrBefore: at.toISOString() } : {}),
  });
  return stateOf(system, standing);
}

/** The autonomy state of a System given its newest change. */
export function stateOf(system: SystemRow, standing: AutonomyChangeRow | undefined): AutonomyState {
  const ceiling = documentAutonomy(system.spec);
  return { ceiling, effective: effectiveAutonomy(ceiling, standing), ...(standing ? { standing } : {}) };
}

// Far more than any budget allows: a demotion needs maxFailures + 1 (at most 1001).
const failureReadLimit = 2_000;

/**
 * How much of the System's error budget is spent at `now`: failed and rolled-back outcomes in the
 * budget's environments within its window, after the standing autonomy change.
 */
export async function budgetSpend(
  reads: AutonomyReads,
  system: SystemRow,
  budget: ErrorBudget,
  options: { now: Date; standing: AutonomyChangeRow | undefined; before?: boolean },
): Promise<BudgetSpend> {
  const windowStart = new Date(options.now.getTime() - budget.windowMs).toISOString();
  const since = options.standing && options.standing.at > windowStart ? options.standing.at : windowStart;
  const failures = await reads.systemFailures(system.id, {
    since,
    ...(options.before ? { until: options.now.toISOString() } : {}),
    environments: budget.environments,
    limit: failureReadLimit,
  });
  return spendBudget(budget, failures, options.standing?.at);
}

/**
 * `actor.trackRecord` of a System at `now`. With `before`, only outcomes reported before `now`
 * count (a replay of a past decision); otherwise every outcome reported so far.
 */
export async function trackRecordOf(
  reads: AutonomyReads,
  system: SystemRow,
  options: { now: Date; standing: AutonomyChangeRow | undefined; before?: boolean },
): Promise<TrackRecord> {
  const budget = errorBudgetOf(system.spec);
  const window = trackRecordWindow(budget);
  const [counts, spend] = await Promise.all([
    reads.systemOutcomeCounts(system.id, {
      since: new Date(options.now.getTime() - window.windowMs).toISOString(),
      ...(options.before ? { until: options.now.toISOString() } : {}),
      environments: window.environments,
    }),
    budget ? budgetSpend(reads, system, budget, options) : undefined,
  ]);
  return trackRecord(
    window,
    counts,
    budget && spend ? { maxFailures: budget.maxFailures, spend } : undefined,
  );
}
