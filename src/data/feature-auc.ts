import { categoricalValue, numericValue } from '../monitor/columns.js';
import { rocAucFromHistograms } from '../monitor/stats/performance.js';

/**
 * How well one feature alone separates the label: the ROC AUC of the feature used as a score
 * (`sklearn.metrics.roc_auc_score(y, x)`, ties counted half), direction-free as max(AUC, 1 − AUC).
 * A feature near 1 predicts the label almost perfectly — usually the label leaked into it.
 *
 * Numeric features: counted by value rounded to four significant digits (an integer key that keeps
 * the order), so memory does not grow with the rows and does not depend on their order; values
 * closer than that count as ties (half a pair each), which moves the AUC by at most the share of
 * such pairs. Past `maxExactValues` keys (data spanning more than ten decades) the keys seen so far
 * are merged into `compactBins` bins of equal count and later values fall into them.
 * Categorical features: categories ordered by their positive rate (the best a model using this
 * feature alone could do); with more than `maxCategories` categories that fits noise, so it is
 * not computed and says why. A missing value is its own category: missingness can leak too.
 */

/** Distinct numeric keys counted exactly per feature before they are binned. */
export const maxExactValues = 100_000;
/** Bins the keys are merged into past `maxExactValues`. */
export const compactBins = 2_000;
/** Categorical features with more categories are not judged (ordering them by rate would fit noise). */
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
  name: string;
  /** Distinct value → slot in `positives` / `negatives` (until compaction). */
  exact: Map<number, number> | undefined;
  positives: Float64Array;
  negatives: Float64Array;
  /** After compaction: upper edges (inclusive) of the bins, ascending; the counts are per bin. */
  edges: Float64Array;
  rows: number;
}

interface CategoricalState {
  kind: 'categorical';
  name: string;
  categories: Map<string, Counts>;
  overflow: boolean;
  rows: number;
}

/** Accumulates, per feature, counts of positive and negative labels by value. */
export class FeatureAucCheck {
  readonly #features: (NumericState | CategoricalState)[];

  constructor(features: Readonly<Record<string, 'numeric' | 'categorical'>>) {
    this.#features = Object.entries(features).map(([name, kind]) =>
      kind === 'numeric'
        ? {
            kind,
            name,
            exact: new Map(),
            positives: new Float64Array(1024),
            negatives: new Float64Array(1024),
            edges: new Float64Array(0),
            rows: 0,
          }
        : { kind, name, categories: new Map(), overflow: false, rows: 0 },
    );
  }

  /** Counts a row whose label is known. */
  addRow(row: Readonly<Record<string, unknown>>, positive: boolean): void {
    for (const state of this.#features) {
      const raw = row[state.name];
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
    for (const state of [...this.#features].sort((a, b) => a.name.localeCompare(b.name)))
      out[state.name] = state.kind === 'numeric' ? numericAuc(state) : categoricalAuc(state);
    return out;
  }
}

/**
 * An integer that orders like the value, equal for values equal to four significant digits:
 * (decimal exponent + 400) · 10⁴ + the four-digit mantissa, negated for negative values.
 */
export function valueKey(value: number): number {
  if (value === 0) return 0;
  const magnitude = Math.abs(value);
  let exponent = Math.floor(Math.log10(magnitude));
  let mantissa = Math.round(magnitude / 10 ** (exponent - 3));
  if (mantissa >= 10_000) {
    mantissa = 1000;
    exponent++;
  } else if (mantissa < 1000) {
    mantissa = Math.round(magnitude / 10 ** (exponent - 4));
    exponent--;
  }
  const key = (exponent + 400) * 10_000 + mantissa;
  return value < 0 ? -key : key;
}

function addNumeric(state: NumericState, raw: number, positive: boolean): void {
  const value = valueKey(raw);
  let slot: number;
  if (state.exact) {
    const known = state.exact.get(value);
    if (known === undefined) {
      slot = state.exact.size;
      if (slot === state.positives.length) {
        state.positives = grown(state.positives);
        state.negatives = grown(state.negatives);
      }
      state.exact.set(value, slot);
    } else slot = known;
  } else {
    // The first bin whose upper edge is >= value; the last edge is +∞.
    let low = 0;
    let high = state.edges.length - 1;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (state.edges[mid]! >= value) high = mid;
      else low = mid + 1;
    }
    slot = low;
  }
  if (positive) state.positives[slot]!++;
  else state.negatives[slot]!++;
  if (state.exact && state.exact.size > maxExactValues) compact(state);
}

function grown(array: Float64Array): Float64Array {
  const next = new Float64Array(array.length * 2);
  next.set(array);
  return next;
}

/** Exact distinct values in ascending order with their counts. */
function exactHistogram(state: NumericState): { values: number[]; counts: Counts[] } {
  const entries = [...state.exact!].sort((a, b) => a[0] - b[0]);
  return {
    values: entries.map(([value]) => value),
    counts: entries.map(([, slot]) => [state.positives[slot]!, state.negatives[slot]!]),
  };
}

function compact(state: NumericState): void {
  const { values, counts } = exactHistogram(state);
  const perBin = Math.ceil(values.length / compactBins);
  const bins = Math.ceil(values.length / perBin);
  const edges = new Float64Array(bins);
  const positives = new Float64Array(bins);
  const negatives = new Float64Array(bins);
  for (let i = 0; i < values.length; i++) {
    const bin = Math.floor(i / perBin);
    edges[bin] = values[i]!;
    positives[bin]! += counts[i]![0];
    negatives[bin]! += counts[i]![1];
  }
  // Values below the first edge belong to the first bin, above the last to the last.
  edges[bins - 1] = Number.POSITIVE_INFINITY;
  Object.assign(state, { edges, positives, negatives, exact: undefined });
}

function aucOf(histogram: readonly Counts[]): number | null {
  if (histogram.length === 0) return null;
  return rocAucFromHistograms(
    histogram.map((c) => c[0]),
    histogram.map((c) => c[1]),
  );
}

function numericAuc(state: NumericState): FeatureAuc {
  const histogram: Counts[] = state.exact
    ? exactHistogram(state).counts
    : Array.from(state.edges, (_, bin) => [state.positives[bin]!, state.negatives[bin]!]);
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
