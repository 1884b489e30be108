import { type Static, Type } from '@sinclair/typebox';
import { parseDuration } from '../core/duration.js';
import type { JsonObject } from '../core/json.js';
import { defaultBudgetEnvironments } from '../policy/bundle.js';
import type { OutcomeCounts } from './autonomy-records.js';

/**
 * Autonomy that follows the track record (docs/policies.md#error-budget), as pure functions:
 * the level a System acts at, whether its error budget is spent, and what policies see as
 * `actor.trackRecord`.
 */

/** An error budget with its window parsed and its environments defaulted. */
export interface ErrorBudget {
  maxFailures: number;
  window: string;
  windowMs: number;
  environments: readonly string[];
}

/** Where a track record is counted: the error budget's window and environments, or the defaults. */
export interface TrackRecordWindow {
  window: string;
  windowMs: number;
  environments: readonly string[];
}

/** Without an error budget, a track record covers the last 7 days in production. */
export const defaultTrackRecordWindow: TrackRecordWindow = {
  window: '7d',
  windowMs: 7 * 86_400_000,
  environments: defaultBudgetEnvironments,
};

/** The error budget of a stored System spec; undefined when it has none or its window does not parse. */
export function errorBudgetOf(spec: JsonObject): ErrorBudget | undefined {
  const budget = spec.errorBudget as
    | { maxFailures?: unknown; window?: unknown; environments?: unknown }
    | undefined;
  if (!budget || typeof budget.maxFailures !== 'number' || typeof budget.window !== 'string')
    return undefined;
  const windowMs = parseDuration(budget.window);
  if (windowMs === undefined) return undefined;
  const environments = Array.isArray(budget.environments)
    ? budget.environments.filter((env): env is string => typeof env === 'string')
    : defaultBudgetEnvironments;
  return { maxFailures: budget.maxFailures, window: budget.window, windowMs, environments };
}

/** The track record's window of a System: its error budget's, else `defaultTrackRecordWindow`. */
export function trackRecordWindow(budget: ErrorBudget | undefined): TrackRecordWindow {
  return budget
    ? { window: budget.window, windowMs: budget.windowMs, environments: budget.environments }
    : defaultTrackRecordWindow;
}

/** The autonomy level of a stored System spec (its document's level, the ceiling). */
export function documentAutonomy(spec: JsonObject): number {
  const level = spec.autonomy;
  return typeof level === 'number' ? level : 0;
}

/** What the effective level needs of a System's newest autonomy change. */
export interface StandingChange {
  to: number;
  /** The document's level when the change was made. */
  ceiling: number;
}

/**
 * The level a System acts at. Without a change: its document's level. A change back to the level
 * the document had then lifts the cap (the System follows its document again). Otherwise a
 * demotion stands: min(document level, stored level), so lowering the document applies at once
 * and raising it never promotes.
 */
export function effectiveAutonomy(documentLevel: number, standing: StandingChange | undefined): number {
  if (!standing || standing.to >= standing.ceiling) return documentLevel;
  return Math.min(documentLevel, standing.to);
}

/** How much of an error budget is spent. */
export interface BudgetSpend {
  /** The failures that count, oldest first: those after the last autonomy change. */
  counted: string[];
  /** Failures still tolerated; the next one past zero demotes. */
  remaining: number;
  /** More failures than `maxFailures`: the System is demoted. */
  exceeded: boolean;
}

/**
 * Spends the budget on `failures` (already limited to its window and environments). Only failures
 * after the last autonomy change count, so a demotion (or a promotion) starts a fresh budget.
 */
export function spendBudget(
  budget: Pick<ErrorBudget, 'maxFailures'>,
  failures: readonly { decisionId: string; at: string }[],
  countedAfter: string | undefined,
): BudgetSpend {
  const counted = failures
    .filter((failure) => countedAfter === undefined || failure.at > countedAfter)
    .map((failure) => failure.decisionId);
  return {
    counted,
    remaining: Math.max(0, budget.maxFailures - counted.length),
    exceeded: counted.length > budget.maxFailures,
  };
}

export const TrackRecordSchema = Type.Object(
  {
    window: Type.String(),
    environments: Type.Array(Type.String()),
    actions: Type.Number({ description: 'Actions with a reported outcome in the window' }),
    succeeded: Type.Number(),
    failed: Type.Number(),
    rolledBack: Type.Number(),
    failureRate: Type.Number({ description: '(failed + rolledBack) / actions; 0 without actions' }),
    budget: Type.Optional(
      Type.Object(
        { maxFailures: Type.Number(), failures: Type.Number(), remaining: Type.Number() },
        { description: 'Only for Systems with an error budget' },
      ),
    ),
  },
  {
    description: 'Outcomes of the System in its error budget window (what policies see as actor.trackRecord)',
  },
);
/** What policies see as `actor.trackRecord`. Numbers are doubles, like every number in CEL facts. */
export type TrackRecord = Static<typeof TrackRecordSchema>;

/** Builds a track record from outcome counts and, for budgeted Systems, the budget's spend. */
export function trackRecord(
  window: TrackRecordWindow,
  counts: OutcomeCounts,
  budget?: { maxFailures: number; spend: BudgetSpend },
): TrackRecord {
  const actions = counts.succeeded + counts.failed + counts.rolled_back;
  return {
    window: window.window,
    environments: [...window.environments],
    actions,
    succeeded: counts.succeeded,
    failed: counts.failed,
    rolledBack: counts.rolled_back,
    failureRate: actions === 0 ? 0 : (counts.failed + counts.rolled_back) / actions,
    ...(budget
      ? {
          budget: {
            maxFailures: budget.maxFailures,
            failures: budget.spend.counted.length,
            remaining: budget.spend.remaining,
          },
        }
      : {}),
  };
}
