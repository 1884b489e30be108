/**
 * Column and dataset drift decisions the way Evidently makes them by default
 * (`evidently.legacy.calculations.stattests.registry._get_default_stattest`,
 * `data_drift.get_dataset_drift`).
 */

import { requireCount, requireNonEmpty, StatsInputError } from './input.js';

/** The drift methods this library computes, by Evidently's stattest names. */
export type DriftMethod = 'ks' | 'chisquare' | 'z' | 'wasserstein' | 'jensenshannon' | 'psi';

/** Whether a method's score is a p-value (small means drift) or a distance (large means drift). */
export const driftScoreKind = {
  ks: 'p-value',
  chisquare: 'p-value',
  z: 'p-value',
  wasserstein: 'distance',
  jensenshannon: 'distance',
  psi: 'distance',
} as const satisfies Record<DriftMethod, 'p-value' | 'distance'>;

/** Evidently's default thresholds: 0.05 for the p-values, 0.1 for the distances. */
export const defaultDriftThreshold = {
  ks: 0.05,
  chisquare: 0.05,
  z: 0.05,
  wasserstein: 0.1,
  jensenshannon: 0.1,
  psi: 0.1,
} as const satisfies Record<DriftMethod, number>;

/** A method with the threshold its score is compared against. */
export interface DriftMethodChoice {
  method: DriftMethod;
  threshold: number;
  scoreKind: 'p-value' | 'distance';
}

/** Input of `defaultDriftMethod`. */
export interface DriftColumnProfile {
  kind: 'numeric' | 'categorical';
  /** Rows in the reference sample. */
  referenceSize: number;
  /** Distinct non-missing values in the reference and current samples together. */
  uniqueValues: number;
}

/**
 * The method and threshold Evidently picks for a column when none is configured:
 * - reference of at most 1000 rows: numeric with more than 5 distinct values → KS (p <= 0.05);
 *   otherwise (categorical, or numeric with at most 5 values) chi-square (p < 0.05) when there are
 *   more than 2 distinct values and the z-test for proportions (p < 0.05) when there are at most 2;
 * - larger reference: numeric with more than 5 distinct values → normed Wasserstein (>= 0.1);
 *   otherwise Jensen–Shannon distance (>= 0.1).
 * Distinct values are counted over both samples together, as Evidently does.
 *
 * Throws `StatsInputError` unless referenceSize and uniqueValues are non-negative integers.
 */
export function defaultDriftMethod(profile: DriftColumnProfile): DriftMethodChoice {
  const { kind, referenceSize, uniqueValues } = profile;
  requireCount('referenceSize', referenceSize);
  requireCount('uniqueValues', uniqueValues);
  if (kind !== 'numeric' && kind !== 'categorical')
    throw new StatsInputError(
      'out-of-range',
      'kind',
      `is ${String(kind)}, must be 'numeric' or 'categorical'`,
    );
  const continuous = kind === 'numeric' && uniqueValues > 5;
  let method: DriftMethod;
  if (referenceSize <= 1000) method = continuous ? 'ks' : uniqueValues > 2 ? 'chisquare' : 'z';
  else method = continuous ? 'wasserstein' : 'jensenshannon';
  return { method, threshold: defaultDriftThreshold[method], scoreKind: driftScoreKind[method] };
}

/**
 * Whether a score means drift, with Evidently's comparisons: KS drifts when p <= threshold,
 * chi-square and z when p < threshold (Evidently's stattests differ on this boundary), the
 * distances when score >= threshold. A NaN score is never drift.
 */
export function isDrifted(
  method: DriftMethod,
  score: number,
  threshold: number = defaultDriftThreshold[method],
): boolean {
  if (method === 'ks') return score <= threshold;
  if (driftScoreKind[method] === 'p-value') return score < threshold;
  return score >= threshold;
}

/** Result of `datasetDriftShare`. */
export interface DatasetDrift {
  driftedColumns: number;
  columns: number;
  /** driftedColumns / columns. */
  share: number;
  /** share >= threshold. */
  datasetDrift: boolean;
}

/**
 * Dataset drift from per-column verdicts, as Evidently's `get_dataset_drift`: the share of drifted
 * columns, and drift when that share is at least `threshold` (default 0.5, inclusive).
 * Throws `StatsInputError` for no columns or a threshold outside [0, 1].
 */
export function datasetDriftShare(results: readonly { drifted: boolean }[], threshold = 0.5): DatasetDrift {
  requireNonEmpty('results', results);
  if (!(threshold >= 0 && threshold <= 1))
    throw new StatsInputError('out-of-range', 'threshold', `is ${threshold}, must be in [0, 1]`);
  const driftedColumns = results.filter((result) => result.drifted).length;
  const share = driftedColumns / results.length;
  return { driftedColumns, columns: results.length, share, datasetDrift: share >= threshold };
}
