import { type Static, Type } from '@sinclair/typebox';
import { literals } from '../core/json-schema.js';
import { binLabel } from './columns.js';
import type { Profile, ProfiledColumn } from './profile.js';
import { defaultMinGroupSize } from './schema.js';
import {
  chiSquareTest,
  type DriftMethod,
  driftScoreKind,
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

const driftMethods = Object.keys(driftScoreKind) as DriftMethod[];

/**
 * A computed statistic: a number, or null in JSON when it cannot be computed (NaN, e.g. a test on
 * too few values). The schema names no type on purpose: Fastify's serializer then writes the value
 * as JSON.stringify does (NaN → null), where a `number` schema would fail the response.
 */
const Statistic = Type.Unsafe<number>({ description: 'a number; null when it cannot be computed' });
const OptionalStatistic = Type.Unsafe<number | null>({
  description: 'a number; null when it cannot be computed',
});

export const BinShiftSchema = Type.Object({
  bin: Type.String(),
  reference: Statistic,
  current: Statistic,
  contribution: Type.Unsafe<number>({
    ...Statistic,
    description: "This bin's share of the Jensen–Shannon divergence (or PSI when JS is zero)",
  }),
});
export type BinShift = Static<typeof BinShiftSchema>;

export const DriftResultSchema = Type.Object({
  method: literals(driftMethods),
  score: Type.Unsafe<number>({
    ...Statistic,
    description: 'What the method measured: a p-value for tests (ks, chisquare, z), a distance otherwise',
  }),
  threshold: Type.Number(),
  drifted: Type.Boolean({ description: 'Tests drift when p < threshold; distances when score >= threshold' }),
  statistic: Type.Optional(Statistic),
  psi: Statistic,
  jensenShannon: Statistic,
  referenceSize: Type.Number(),
  currentSize: Type.Number(),
  topBins: Type.Array(BinShiftSchema, {
    description: 'The bins or categories whose share moved most, largest contribution first',
  }),
});
export type DriftResult = Static<typeof DriftResultSchema>;

export const FairnessSummarySchema = Type.Object({
  demographicParityDifference: OptionalStatistic,
  demographicParityRatio: OptionalStatistic,
  equalizedOddsDifference: OptionalStatistic,
  equalizedOddsRatio: OptionalStatistic,
  equalOpportunityDifference: OptionalStatistic,
  byGroup: Type.Record(Type.String(), Type.Unknown(), {
    description:
      'Per group: rows, selected, selectionRate, selectionRateInterval, sufficient, labeled, tpr, fpr, their intervals, sufficientLabels',
  }),
  insufficientGroups: Type.Array(Type.String()),
});
export type FairnessSummary = Static<typeof FairnessSummarySchema>;

export const WindowMetricsSchema = Type.Object(
  {
    window: Type.Object({
      start: Type.String(),
      end: Type.String(),
      rows: Type.Number(),
      labeled: Type.Number(),
      rejected: Type.Number(),
    }),
    drift: Type.Object({
      features: Type.Record(Type.String(), DriftResultSchema),
      prediction: Type.Optional(DriftResultSchema),
    }),
    datasetDrift: Type.Object({
      share: Type.Number(),
      drifted: Type.Number(),
      total: Type.Number(),
      features: Type.Array(Type.String()),
    }),
    performance: Type.Optional(Type.Record(Type.String(), OptionalStatistic)),
    fairness: Type.Record(Type.String(), FairnessSummarySchema),
  },
  { description: 'What MonitorPolicy conditions read as `metrics`' },
);
export type WindowMetrics = Static<typeof WindowMetricsSchema>;

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
