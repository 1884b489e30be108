/**
 * Model performance on labelled rows: binary classification (labels 0/1, class 1 positive) and
 * regression. Conventions follow scikit-learn's defaults.
 */

import {
  requireCounts,
  requireFinite,
  requireNonEmpty,
  requireSameLength,
  StatsInputError,
  sum,
} from './input.js';

/** Counts of a binary confusion matrix (class 1 is positive). */
export interface ConfusionCounts {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

/** Result of `classificationMetrics`. */
export interface ClassificationMetrics {
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  /** Present when scores were given; null when yTrue holds a single class (AUC undefined). */
  rocAuc?: number | null;
  confusion: ConfusionCounts;
  count: number;
}

/** Input of `classificationMetrics`. */
export interface ClassificationInput {
  yTrue: readonly (0 | 1)[];
  yPred: readonly (0 | 1)[];
  /** Scores for class 1 (any monotone scale: probabilities, logits), for ROC AUC. */
  scores?: readonly number[];
}

export function requireBinary(argument: string, values: readonly number[]): void {
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (value !== 0 && value !== 1)
      throw new StatsInputError('not-binary', argument, `element ${i} is ${value}, not 0 or 1`);
  }
}

/** tp, fp, tn, fn of predictions against labels (both 0/1, same length, checked by the caller). */
export function confusionCounts(yTrue: readonly number[], yPred: readonly number[]): ConfusionCounts {
  const counts = { tp: 0, fp: 0, tn: 0, fn: 0 };
  for (let i = 0; i < yTrue.length; i++) {
    if (yTrue[i] === 1) {
      if (yPred[i] === 1) counts.tp++;
      else counts.fn++;
    } else if (yPred[i] === 1) counts.fp++;
    else counts.tn++;
  }
  return counts;
}

/** numerator / denominator, or 0 when the denominator is 0 (scikit-learn's `zero_division` default). */
function ratioOrZero(numerator: number, denominator: number): number {
  return denominator === 0 ? 0 : numerator / denominator;
}

/**
 * Accuracy, precision, recall and F1 of binary predictions (class 1 positive), plus ROC AUC when
 * scores are given. Where a metric divides by zero — precision with no predicted positives, recall
 * with no actual positives, F1 = 2tp / (2tp + fp + fn) with tp = fp = fn = 0 — it is 0, which is
 * what scikit-learn returns by default (`zero_division="warn"` warns and returns 0).
 *
 * Throws `StatsInputError` for empty or mismatched arrays, labels other than 0/1, or non-finite scores.
 */
export function classificationMetrics(input: ClassificationInput): ClassificationMetrics {
  const { yTrue, yPred, scores } = input;
  requireNonEmpty('yTrue', yTrue);
  requireSameLength('yTrue', yTrue, 'yPred', yPred);
  requireBinary('yTrue', yTrue);
  requireBinary('yPred', yPred);
  const confusion = confusionCounts(yTrue, yPred);
  const { tp, fp, tn, fn } = confusion;
  const count = yTrue.length;
  const metrics: ClassificationMetrics = {
    accuracy: (tp + tn) / count,
    precision: ratioOrZero(tp, tp + fp),
    recall: ratioOrZero(tp, tp + fn),
    f1: ratioOrZero(2 * tp, 2 * tp + fp + fn),
    confusion,
    count,
  };
  if (scores !== undefined) metrics.rocAuc = rocAuc(yTrue, scores);
  return metrics;
}

/**
 * Area under the ROC curve, as `sklearn.metrics.roc_auc_score` for binary labels: the probability
 * that a random positive scores above a random negative, ties counting one half — the
 * Mann–Whitney U statistic over (positives × negatives), with tied scores given their average rank.
 * Null when yTrue has no positives or no negatives (scikit-learn raises there).
 *
 * Throws `StatsInputError` for empty or mismatched arrays, labels other than 0/1, or non-finite scores.
 */
export function rocAuc(yTrue: readonly (0 | 1)[], scores: readonly number[]): number | null {
  requireNonEmpty('yTrue', yTrue);
  requireSameLength('yTrue', yTrue, 'scores', scores);
  requireBinary('yTrue', yTrue);
  requireFinite('scores', scores);
  const positives = yTrue.reduce<number>((total, label) => total + label, 0);
  const negatives = yTrue.length - positives;
  if (positives === 0 || negatives === 0) return null;
  const order = Array.from(scores.keys()).sort((x, y) => scores[x]! - scores[y]!);
  let positiveRankSum = 0;
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end + 1 < order.length && scores[order[end + 1]!] === scores[order[start]!]) end++;
    // Ranks start..end (0-based) share the average 1-based rank.
    const averageRank = (start + end) / 2 + 1;
    for (let k = start; k <= end; k++) if (yTrue[order[k]!] === 1) positiveRankSum += averageRank;
    start = end + 1;
  }
  const u = positiveRankSum - (positives * (positives + 1)) / 2;
  return u / (positives * negatives);
}

/**
 * ROC AUC from score histograms: `positiveCounts[i]` and `negativeCounts[i]` count the positives
 * and negatives whose score fell in bin i, bins in ascending score order. A positive in a higher
 * bin than a negative counts 1, in the same bin ½ (scores within a bin are treated as tied), so the
 * result equals `rocAuc` on the bin indices. Null when either class is empty.
 *
 * Throws `StatsInputError` for empty or mismatched arrays or negative counts.
 */
export function rocAucFromHistograms(
  positiveCounts: readonly number[],
  negativeCounts: readonly number[],
): number | null {
  requireNonEmpty('positiveCounts', positiveCounts);
  requireSameLength('positiveCounts', positiveCounts, 'negativeCounts', negativeCounts);
  requireCounts('positiveCounts', positiveCounts);
  requireCounts('negativeCounts', negativeCounts);
  const positives = sum(positiveCounts);
  const negatives = sum(negativeCounts);
  if (positives === 0 || negatives === 0) return null;
  let negativesBelow = 0;
  let wins = 0;
  for (let i = 0; i < positiveCounts.length; i++) {
    const negativeHere = negativeCounts[i]!;
    wins += positiveCounts[i]! * (negativesBelow + negativeHere / 2);
    negativesBelow += negativeHere;
  }
  return wins / (positives * negatives);
}

/** Result of `regressionMetrics`. */
export interface RegressionMetrics {
  /** Mean absolute error. */
  mae: number;
  /** Root mean squared error. */
  rmse: number;
  count: number;
}

/**
 * Mean absolute error and root mean squared error, as scikit-learn's `mean_absolute_error` and
 * `root_mean_squared_error`. Throws `StatsInputError` for empty, mismatched or non-finite input.
 */
export function regressionMetrics(yTrue: readonly number[], yPred: readonly number[]): RegressionMetrics {
  requireNonEmpty('yTrue', yTrue);
  requireSameLength('yTrue', yTrue, 'yPred', yPred);
  requireFinite('yTrue', yTrue);
  requireFinite('yPred', yPred);
  let absolute = 0;
  let squared = 0;
  for (let i = 0; i < yTrue.length; i++) {
    const error = yPred[i]! - yTrue[i]!;
    absolute += Math.abs(error);
    squared += error * error;
  }
  const count = yTrue.length;
  return { mae: absolute / count, rmse: Math.sqrt(squared / count), count };
}
