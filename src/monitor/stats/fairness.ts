/**
 * Group fairness of binary predictions, with the disparity measures defined as Fairlearn defines
 * them (`fairlearn.metrics`, `method='between_groups'`, `agg='worst_case'`), computed over the groups
 * that have enough rows to say anything.
 */

import { requireCount, requireNonEmpty, requireSameLength, StatsInputError } from './input.js';
import { type ConfusionCounts, confusionCounts, requireBinary } from './performance.js';
import { normalQuantile } from './special.js';

/** A closed interval [low, high]. */
export type Interval = [low: number, high: number];

/** Options of `fairnessMetrics` and `fairnessFromCounts`. */
export interface FairnessOptions {
  /** Groups with fewer rows are reported but left out of the disparities (default 30). */
  minGroupSize?: number;
  /** Confidence level of the Wilson intervals (default 0.95). */
  confidence?: number;
}

/** One group's rates; a rate with an empty denominator is null, never NaN. */
export interface GroupFairness {
  confusion: ConfusionCounts;
  /** Rows in the group. */
  count: number;
  /** Rows whose true label is 1 (tp + fn). */
  positives: number;
  /** Rows whose true label is 0 (fp + tn). */
  negatives: number;
  /** P(ŷ = 1): (tp + fp) / count; null when count is 0. */
  selectionRate: number | null;
  /** P(ŷ = 1 | y = 1): tp / positives; null without positives. */
  tpr: number | null;
  /** P(ŷ = 1 | y = 0): fp / negatives; null without negatives. */
  fpr: number | null;
  selectionRateInterval: Interval | null;
  tprInterval: Interval | null;
  fprInterval: Interval | null;
  /** count >= minGroupSize: whether the group takes part in the disparities. */
  sufficient: boolean;
}

/** Result of `fairnessMetrics` and `fairnessFromCounts`; a disparity is null when it cannot be computed. */
export interface FairnessReport {
  byGroup: Record<string, GroupFairness>;
  /** max − min of the selection rates. */
  demographicParityDifference: number | null;
  /** min / max of the selection rates. */
  demographicParityRatio: number | null;
  /** max(TPR difference, FPR difference). */
  equalizedOddsDifference: number | null;
  /** min(TPR ratio, FPR ratio). */
  equalizedOddsRatio: number | null;
  /** max − min of the true positive rates. */
  equalOpportunityDifference: number | null;
  /** Groups below minGroupSize, sorted; they appear in byGroup but not in the disparities. */
  insufficientGroups: string[];
}

/** Input of `fairnessMetrics`. */
export interface FairnessInput extends FairnessOptions {
  yTrue: readonly (0 | 1)[];
  yPred: readonly (0 | 1)[];
  /**
   * The group of each row: one label, or one label per sensitive attribute (the same attributes
   * in the same order on every row), whose intersection is named by joining them with ' & '.
   */
  sensitive: readonly string[] | readonly (readonly string[])[];
}

/** Separator of intersectional group names: ['female', '40+'] is the group 'female & 40+'. */
export const GROUP_SEPARATOR = ' & ';

/**
 * Wilson score interval for a binomial proportion successes / total at the given confidence, as
 * statsmodels' `proportion_confint(method='wilson')`: with z the two-sided normal quantile and
 * p̂ = successes/total, center (p̂ + z²/2n) / (1 + z²/n) ± z / (1 + z²/n) · √(p̂(1−p̂)/n + z²/4n²).
 * Unlike the Wald interval it stays inside [0, 1] and is not degenerate at 0 or n successes.
 * Null when total is 0. Requires integers 0 <= successes <= total and 0 < confidence < 1.
 */
export function wilsonInterval(successes: number, total: number, confidence = 0.95): Interval | null {
  requireCount('successes', successes);
  requireCount('total', total);
  if (successes > total) throw new StatsInputError('out-of-range', 'successes', `exceeds total ${total}`);
  checkConfidence(confidence);
  if (total === 0) return null;
  const z = normalQuantile(1 - (1 - confidence) / 2);
  const z2 = z * z;
  const p = successes / total;
  const denominator = 1 + z2 / total;
  const center = (p + z2 / (2 * total)) / denominator;
  const half = (z / denominator) * Math.sqrt((p * (1 - p)) / total + z2 / (4 * total * total));
  return [Math.max(0, center - half), Math.min(1, center + half)];
}

function checkConfidence(confidence: number): void {
  if (!(confidence > 0 && confidence < 1))
    throw new StatsInputError('out-of-range', 'confidence', `is ${confidence}, must be in (0, 1)`);
}

function rateOrNull(numerator: number, denominator: number): number | null {
  return denominator === 0 ? null : numerator / denominator;
}

/** max − min and min / max over the defined values; null when none is defined (ratio: or max is 0). */
function spread(values: readonly (number | null)[]): { difference: number | null; ratio: number | null } {
  const defined = values.filter((value): value is number => value !== null);
  if (defined.length === 0) return { difference: null, ratio: null };
  const max = Math.max(...defined);
  const min = Math.min(...defined);
  return { difference: max - min, ratio: max === 0 ? null : min / max };
}

/**
 * Fairness from per-group confusion counts (all a monitoring window keeps). For each group:
 * selection rate, TPR and FPR with Wilson intervals. Then, over the sufficient groups only
 * (count >= minGroupSize; the rest are listed in `insufficientGroups`, never silently used), the
 * Fairlearn disparities: difference = max − min and ratio = min / max across groups;
 * equalized odds difference = max(TPR difference, FPR difference), equalized odds ratio =
 * min(TPR ratio, FPR ratio); equal opportunity difference = TPR difference.
 *
 * Where this departs from Fairlearn, it is to avoid inventing numbers: a group without positives
 * has TPR null (Fairlearn, through scikit-learn's normalized confusion matrix, reports 0) and is
 * left out of the TPR aggregates; a ratio whose maximum is 0 is null (Fairlearn: NaN); an aggregate
 * with no defined group value is null, and equalized odds is null when either of its parts is.
 * One sufficient group gives difference 0 and ratio 1, as Fairlearn.
 *
 * Throws `StatsInputError` for counts that are not non-negative integers, minGroupSize not a
 * positive integer, or confidence outside (0, 1).
 */
export function fairnessFromCounts(
  groups: Readonly<Record<string, ConfusionCounts>>,
  options: FairnessOptions = {},
): FairnessReport {
  const minGroupSize = options.minGroupSize ?? 30;
  const confidence = options.confidence ?? 0.95;
  if (!Number.isInteger(minGroupSize) || minGroupSize < 1)
    throw new StatsInputError('out-of-range', 'minGroupSize', `is ${minGroupSize}, must be an integer >= 1`);
  checkConfidence(confidence);
  const entries: [string, GroupFairness][] = [];
  const insufficientGroups: string[] = [];
  const sufficient: GroupFairness[] = [];
  for (const name of Object.keys(groups).sort()) {
    const { tp, fp, tn, fn } = groups[name]!;
    for (const [field, value] of [
      ['tp', tp],
      ['fp', fp],
      ['tn', tn],
      ['fn', fn],
    ] as const)
      requireCount(`groups[${JSON.stringify(name)}].${field}`, value);
    const count = tp + fp + tn + fn;
    const positives = tp + fn;
    const negatives = fp + tn;
    const group: GroupFairness = {
      confusion: { tp, fp, tn, fn },
      count,
      positives,
      negatives,
      selectionRate: rateOrNull(tp + fp, count),
      tpr: rateOrNull(tp, positives),
      fpr: rateOrNull(fp, negatives),
      selectionRateInterval: wilsonInterval(tp + fp, count, confidence),
      tprInterval: wilsonInterval(tp, positives, confidence),
      fprInterval: wilsonInterval(fp, negatives, confidence),
      sufficient: count >= minGroupSize,
    };
    entries.push([name, group]);
    if (group.sufficient) sufficient.push(group);
    else insufficientGroups.push(name);
  }
  const selection = spread(sufficient.map((group) => group.selectionRate));
  const tpr = spread(sufficient.map((group) => group.tpr));
  const fpr = spread(sufficient.map((group) => group.fpr));
  return {
    // fromEntries defines own properties, so a group named '__proto__' stays a group.
    byGroup: Object.fromEntries(entries),
    demographicParityDifference: selection.difference,
    demographicParityRatio: selection.ratio,
    equalizedOddsDifference:
      tpr.difference === null || fpr.difference === null ? null : Math.max(tpr.difference, fpr.difference),
    equalizedOddsRatio: tpr.ratio === null || fpr.ratio === null ? null : Math.min(tpr.ratio, fpr.ratio),
    equalOpportunityDifference: tpr.difference,
    insufficientGroups,
  };
}

function groupName(label: string | readonly string[], row: number, arity: number | undefined): string {
  if (typeof label === 'string') {
    if (arity !== undefined)
      throw new StatsInputError(
        'length-mismatch',
        'sensitive',
        `row ${row} is one label; row 0 has ${arity}`,
      );
    return label;
  }
  if (!Array.isArray(label))
    throw new StatsInputError(
      'out-of-range',
      'sensitive',
      `row ${row} is neither a label nor an array of labels`,
    );
  if (label.length !== arity)
    throw new StatsInputError(
      'length-mismatch',
      'sensitive',
      `row ${row} has ${label.length} labels; row 0 has ${arity ?? 'one label'}`,
    );
  for (const part of label)
    if (part.includes(GROUP_SEPARATOR))
      throw new StatsInputError(
        'out-of-range',
        'sensitive',
        `row ${row}: label ${JSON.stringify(part)} contains the group separator '${GROUP_SEPARATOR}'`,
      );
  return label.join(GROUP_SEPARATOR);
}

/**
 * Fairness of binary predictions across the groups of `sensitive`: counts each group's confusion
 * matrix and applies `fairnessFromCounts` (see there for the definitions and conventions).
 *
 * Throws `StatsInputError` for empty or mismatched arrays, labels other than 0/1, rows with a
 * different number of attributes than row 0, or an attribute label containing ' & '.
 */
export function fairnessMetrics(input: FairnessInput): FairnessReport {
  const { yTrue, yPred, sensitive } = input;
  requireNonEmpty('yTrue', yTrue);
  requireSameLength('yTrue', yTrue, 'yPred', yPred);
  requireSameLength('yTrue', yTrue, 'sensitive', sensitive);
  requireBinary('yTrue', yTrue);
  requireBinary('yPred', yPred);
  const first = sensitive[0]!;
  const arity = typeof first === 'string' ? undefined : first.length;
  const rowsByGroup = new Map<string, number[]>();
  for (let row = 0; row < sensitive.length; row++) {
    const name = groupName(sensitive[row]!, row, arity);
    let rows = rowsByGroup.get(name);
    if (rows === undefined) {
      rows = [];
      rowsByGroup.set(name, rows);
    }
    rows.push(row);
  }
  const groups = Object.fromEntries(
    Array.from(rowsByGroup, ([name, rows]) => [
      name,
      confusionCounts(
        rows.map((row) => yTrue[row]!),
        rows.map((row) => yPred[row]!),
      ),
    ]),
  );
  const options: FairnessOptions = {};
  if (input.minGroupSize !== undefined) options.minGroupSize = input.minGroupSize;
  if (input.confidence !== undefined) options.confidence = input.confidence;
  return fairnessFromCounts(groups, options);
}
