import { categoricalValue, numericValue } from '../monitor/columns.js';
import { rocAucFromHistograms } from '../monitor/stats/performance.js';

/**
 * How well one feature alone separates the label: the ROC AUC of the feature used as a score
 * (`sklearn.metrics.roc_auc_score(y, x)`, ties counted half), direction-free as max(AUC, 1 − AUC).
 * A feature near 1 predicts the label almost perfectly — usually the label leaked into it.
 *
 * Numeric features: exact over distinct values up to `maxExactValues`; past that, the values seen
 * so far are merged into `compactBins` bins of equal count and later values fall into them, which
 * can only count more pairs as ties, so the AUC reported is never above the exact one.
 * Categorical features: categories ordered by their positive rate (the best a model using this
 * feature alone could do); with more than `maxCategories` categories that fits noise, so it is
 * not computed and says why. A missing value is its own category: missingness can leak too.
 */

export const maxExactValues = 100_000;
export const compactBins = 2_000;
export const maxCategories = 50;

export interface FeatureAuc {
  /** max(AUC, 1 − AUC); null when not computed. */
  auc: number | null;
  /** Whether larger values go with the positive label (numeric features). */
  direction?: 'higher-is-positive' | 'lower-is-positive';
  rows: number;
  skipped?: string;
}

type Counts = [positives: number, negatives: number];

interface NumericState {
  kind: 'numeric';
  exact: Map<number, Counts> | undefined;
  /** After compaction: upper edges (inclusive) of the bins, ascending, and their counts. */
  edges: number[];
  bins: Counts[];
  rows: number;
}

interface CategoricalState {
  kind: 'categorical';
  categories: Map<string, Counts>;
  overflow: boolean;
  rows: number;
}

/** Accumulates, per feature, counts of positive and negative labels by value. */
export class FeatureAucCheck {
  readonly #features = new Map<string, NumericState | CategoricalState>();

  constructor(features: Readonly<Record<string, 'numeric' | 'categorical'>>) {
    for (const [name, kind] of Object.entries(features))
      this.#features.set(
        name,
        kind === 'numeric'
          ? { kind, exact: new Map(), edges: [], bins: [], rows: 0 }
          : { kind, categories: new Map(), overflow: false, rows: 0 },
      );
  }

  /** Counts a row whose label is known. */
  addRow(row: Readonly<Record<string, unknown>>, positive: boolean): void {
    for (const [name, state] of this.#features) {
      const raw = row[name];
      if (state.kind === 'numeric') {
        const value = numericValue(raw);
        if (value === undefined) continue;
        state.rows++;
        addNumeric(state, value, positive);
      } else {
        if (state.overflow) continue;
        const category = categoricalValue(raw) ?? '(missing)';
        state.rows++;
        let counts = state.categories.get(category);
        if (!counts) {
          if (state.categories.size >= maxCategories) {
            state.overflow = true;
            state.categories.clear();
            continue;
          }
          counts = [0, 0];
          state.categories.set(category, counts);
        }
        counts[positive ? 0 : 1]++;
      }
    }
  }

  /** The AUC of each feature, by name. */
  results(): Record<string, FeatureAuc> {
    const out: Record<string, FeatureAuc> = {};
    for (const [name, state] of [...this.#features].sort(([a], [b]) => a.localeCompare(b)))
      out[name] = state.kind === 'numeric' ? numericAuc(state) : categoricalAuc(state);
    return out;
  }
}

function addNumeric(state: NumericState, value: number, positive: boolean): void {
  if (state.exact) {
    let counts = state.exact.get(value);
    if (!counts) {
      counts = [0, 0];
      state.exact.set(value, counts);
    }
    counts[positive ? 0 : 1]++;
    if (state.exact.size > maxExactValues) compact(state);
    return;
  }
  // The first bin whose upper edge is >= value; values above the last edge join the last bin.
  let low = 0;
  let high = state.edges.length - 1;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (state.edges[mid]! >= value) high = mid;
    else low = mid + 1;
  }
  state.bins[low]![positive ? 0 : 1]++;
}

function compact(state: NumericState): void {
  const sorted = [...state.exact!].sort((a, b) => a[0] - b[0]);
  const perBin = Math.ceil(sorted.length / compactBins);
  for (let start = 0; start < sorted.length; start += perBin) {
    const slice = sorted.slice(start, start + perBin);
    state.edges.push(slice[slice.length - 1]![0]);
    state.bins.push(slice.reduce<Counts>((sum, [, c]) => [sum[0] + c[0], sum[1] + c[1]], [0, 0]));
  }
  // Values below the first edge belong to the first bin, above the last to the last.
  state.edges[state.edges.length - 1] = Number.POSITIVE_INFINITY;
  state.exact = undefined;
}

function aucOf(histogram: readonly Counts[]): number | null {
  if (histogram.length === 0) return null;
  return rocAucFromHistograms(
    histogram.map((c) => c[0]),
    histogram.map((c) => c[1]),
  );
}

function numericAuc(state: NumericState): FeatureAuc {
  const histogram = state.exact ? [...state.exact].sort((a, b) => a[0] - b[0]).map(([, c]) => c) : state.bins;
  const auc = aucOf(histogram);
  if (auc === null) return { auc: null, rows: state.rows, skipped: 'needs both label classes' };
  return {
    auc: Math.max(auc, 1 - auc),
    direction: auc >= 0.5 ? 'higher-is-positive' : 'lower-is-positive',
    rows: state.rows,
  };
}

function categoricalAuc(state: CategoricalState): FeatureAuc {
  if (state.overflow)
    return { auc: null, rows: state.rows, skipped: `more than ${maxCategories} categories` };
  // Ordering categories by positive rate is the best single-feature score; ties in rate stay ties.
  const byRate = new Map<number, Counts>();
  for (const [positives, negatives] of state.categories.values()) {
    const rate = positives / (positives + negatives);
    const counts = byRate.get(rate) ?? [0, 0];
    counts[0] += positives;
    counts[1] += negatives;
    byRate.set(rate, counts);
  }
  const auc = aucOf([...byRate].sort((a, b) => a[0] - b[0]).map(([, c]) => c));
  if (auc === null) return { auc: null, rows: state.rows, skipped: 'needs both label classes' };
  return { auc, rows: state.rows };
}
