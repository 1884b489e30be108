import { binLabel } from './columns.js';
import type { Profile, ProfiledColumn } from './profile.js';
import { defaultMinGroupSize } from './schema.js';
import {
  chiSquareTest,
  type DriftMethod,
  fairnessFromCounts,
  isDrifted,
  jensenShannon,
  ksFromCdfs,
  psi,
  rocAucFromHistograms,
  wassersteinFromHistograms,
  wilsonInterval,
  zTestProportions,
} from './stats/index.js';
import type { ColumnState, WindowState } from './window.js';

/**
 * A window's metrics against the reference profile: drift per feature and for the prediction
 * (with the bins that moved most), dataset drift, performance when labels exist, and fairness per
 * sensitive attribute. This object is what MonitorPolicy conditions read as `metrics`.
 */

export interface BinShift {
  bin: string;
  reference: number;
  current: number;
  /** This bin's share of the Jensen–Shannon divergence (or PSI when JS is zero). */
  contribution: number;
}

export interface DriftResult {
  method: DriftMethod;
  /** What the method measured: a p-value for tests (ks, chisquare, z), a distance otherwise. */
  score: number;
  threshold: number;
  /** Tests drift when p < threshold; distances when score >= threshold. */
  drifted: boolean;
  statistic?: number;
  psi: number;
  jensenShannon: number;
  referenceSize: number;
  currentSize: number;
  /** The bins or categories whose share moved most, largest contribution first. */
  topBins: BinShift[];
}

export interface FairnessSummary {
  demographicParityDifference: number | null;
  demographicParityRatio: number | null;
  equalizedOddsDifference: number | null;
  equalizedOddsRatio: number | null;
  equalOpportunityDifference: number | null;
  byGroup: Record<string, unknown>;
  insufficientGroups: string[];
}

export interface WindowMetrics {
  window: { start: string; end: string; rows: number; labeled: number; rejected: number };
  drift: { features: Record<string, DriftResult>; prediction?: DriftResult };
  datasetDrift: { share: number; drifted: number; total: number; features: string[] };
  performance?: Record<string, number | null>;
  fairness: Record<string, FairnessSummary>;
}

const cumulative = (counts: readonly number[]) => {
  let total = 0;
  return counts.map((count) => {
    total += count;
    return total;
  });
};

function drift(
  column: ProfiledColumn,
  reference: ColumnState,
  current: ColumnState,
): DriftResult | undefined {
  const referenceSize = reference.counts.reduce((a, b) => a + b, 0);
  const currentSize = current.counts.reduce((a, b) => a + b, 0);
  if (referenceSize === 0 || currentSize === 0) return undefined;
  const { method, threshold } = column.drift;
  const divergence = jensenShannon(reference.counts, current.counts);
  const stability = psi(reference.counts, current.counts);
  let score: number;
  let statistic: number | undefined;
  switch (method) {
    case 'ks': {
      const test = ksFromCdfs(
        cumulative(reference.counts),
        cumulative(current.counts),
        referenceSize,
        currentSize,
      );
      score = test.pValue;
      statistic = test.statistic;
      break;
    }
    case 'chisquare': {
      const test = chiSquareTest(reference.counts, current.counts);
      score = test.pValue;
      statistic = test.statistic;
      break;
    }
    case 'z': {
      // Binary columns: the share of the first category, reference against current.
      const test = zTestProportions(reference.counts[0]!, referenceSize, current.counts[0]!, currentSize);
      score = test.pValue;
      statistic = test.statistic;
      break;
    }
    case 'wasserstein':
      score =
        column.kind === 'numeric'
          ? wassersteinFromHistograms(column.edges, reference.counts, current.counts, column.std ?? 0)
          : Number.NaN;
      break;
    default:
      score = divergence.value;
  }
  const contributions = divergence.value > 0 ? divergence.contributions : stability.contributions;
  const topBins = reference.counts
    .map((count, bin) => ({
      bin: binLabel(column, bin),
      reference: count / referenceSize,
      current: current.counts[bin]! / currentSize,
      contribution: contributions[bin] ?? 0,
    }))
    .filter((shift) => shift.contribution > 0)
    .sort((a, b) => b.contribution - a.contribution)
    .slice(0, 3)
    .map((shift) => ({
      ...shift,
      reference: round(shift.reference),
      current: round(shift.current),
      contribution: round(shift.contribution),
    }));
  return {
    method,
    score: round(score),
    threshold,
    drifted: isDrifted(method, score, threshold),
    ...(statistic !== undefined ? { statistic: round(statistic) } : {}),
    psi: round(stability.value),
    jensenShannon: round(divergence.value),
    referenceSize,
    currentSize,
    topBins,
  };
}

const round = (x: number) => (Number.isFinite(x) ? Number(x.toPrecision(6)) : x);
const nullableRound = (x: number | null) => (x === null ? null : round(x));

function performance(profile: Profile, window: WindowState): WindowMetrics['performance'] {
  if (profile.schema.task === 'regression') {
    const { count, absolute, squared } = window.errors;
    return count === 0
      ? undefined
      : { count, mae: round(absolute / count), rmse: round(Math.sqrt(squared / count)) };
  }
  const { tp, fp, tn, fn } = window.confusion;
  const count = tp + fp + tn + fn;
  if (count === 0) return undefined;
  const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 0 : tp / (tp + fn);
  const scored = window.scores.positive.some((c) => c > 0) && window.scores.negative.some((c) => c > 0);
  return {
    count,
    accuracy: round((tp + tn) / count),
    precision: round(precision),
    recall: round(recall),
    f1: round(precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall)),
    rocAuc: scored
      ? nullableRound(rocAucFromHistograms(window.scores.positive, window.scores.negative))
      : null,
  };
}

/**
 * Fairness in a window. Selection rates use every row (a prediction needs no label), true and false
 * positive rates only the labeled rows; each part leaves out groups too small for it.
 */
function fairness(profile: Profile, window: WindowState): Record<string, FairnessSummary> {
  const minGroupSize = profile.schema.minGroupSize ?? defaultMinGroupSize;
  const out: Record<string, FairnessSummary> = {};
  for (const [attribute, groups] of Object.entries(window.groups)) {
    const labeled = fairnessFromCounts(groups, { minGroupSize });
    const byGroup: Record<string, unknown> = {};
    const rates: number[] = [];
    const insufficient: string[] = [];
    for (const name of Object.keys(groups).sort()) {
      const group = groups[name]!;
      const sufficient = group.rows >= minGroupSize;
      const selectionRate = group.rows === 0 ? null : group.selected / group.rows;
      if (sufficient && selectionRate !== null) rates.push(selectionRate);
      else insufficient.push(name);
      const fromLabels = labeled.byGroup[name];
      byGroup[name] = {
        rows: group.rows,
        selected: group.selected,
        selectionRate: selectionRate === null ? null : round(selectionRate),
        selectionRateInterval: wilsonInterval(group.selected, group.rows)?.map(round) ?? null,
        sufficient,
        labeled: fromLabels?.count ?? 0,
        tpr: fromLabels?.tpr ?? null,
        fpr: fromLabels?.fpr ?? null,
        tprInterval: fromLabels?.tprInterval ?? null,
        fprInterval: fromLabels?.fprInterval ?? null,
        sufficientLabels: fromLabels?.sufficient ?? false,
      };
    }
    const max = Math.max(...rates);
    const min = Math.min(...rates);
    const nullable = (x: number | null) => (x === null ? null : round(x));
    // Disparity needs two groups to compare; with fewer it is unknown, not "perfectly fair".
    const comparable = rates.length >= 2;
    out[attribute] = {
      demographicParityDifference: comparable ? round(max - min) : null,
      demographicParityRatio: comparable ? (max === 0 ? 1 : round(min / max)) : null,
      equalizedOddsDifference: nullable(labeled.equalizedOddsDifference),
      equalizedOddsRatio: nullable(labeled.equalizedOddsRatio),
      equalOpportunityDifference: nullable(labeled.equalOpportunityDifference),
      byGroup,
      insufficientGroups: insufficient,
    };
  }
  return out;
}

export function evaluateWindow(profile: Profile, window: WindowState): WindowMetrics {
  const features: Record<string, DriftResult> = {};
  for (const [name, column] of Object.entries(profile.features)) {
    const result = drift(column, profile.reference.features[name]!, window.features[name]!);
    if (result) features[name] = result;
  }
  const prediction = drift(profile.prediction, profile.reference.prediction, window.prediction);
  const drifted = Object.entries(features)
    .filter(([, result]) => result.drifted)
    .map(([name]) => name);
  const total = Object.keys(features).length;
  const perf = performance(profile, window);
  return {
    window: {
      start: new Date(window.start).toISOString(),
      end: new Date(window.end).toISOString(),
      rows: window.rows,
      labeled: window.labeled,
      rejected: window.rejected,
    },
    drift: { features, ...(prediction ? { prediction } : {}) },
    datasetDrift: {
      share: total === 0 ? 0 : round(drifted.length / total),
      drifted: drifted.length,
      total,
      features: drifted,
    },
    ...(perf ? { performance: perf } : {}),
    fairness: fairness(profile, window),
  };
}
