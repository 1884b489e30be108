/**
 * The pure statistics of model monitoring (part of `arbiter/monitor`): drift tests and distances,
 * performance and fairness metrics. Arrays of numbers (or Float64Arrays for raw samples) in, plain
 * objects out; no I/O and no dependencies. Each function documents which SciPy, Evidently, scikit-learn or Fairlearn
 * computation it reproduces. Invalid input throws `StatsInputError` (a RangeError with a `reason`).
 */

export type { DatasetDrift, DriftColumnProfile, DriftMethod, DriftMethodChoice } from './drift.js';
export {
  datasetDriftShare,
  defaultDriftMethod,
  defaultDriftThreshold,
  driftScoreKind,
  isDrifted,
} from './drift.js';
export type {
  FairnessInput,
  FairnessOptions,
  FairnessReport,
  GroupFairness,
  Interval,
} from './fairness.js';
export { fairnessFromCounts, fairnessMetrics, GROUP_SEPARATOR, wilsonInterval } from './fairness.js';
export type { BinnedDrift, ChiSquareResult, PsiOptions, TestResult } from './histograms.js';
export { chiSquareTest, jensenShannon, psi, zTestProportions } from './histograms.js';
export type { Sample, StatsInputReason } from './input.js';
export { StatsInputError } from './input.js';
export { kolmogorovSf, kolmogorovSmirnovSf, smirnovSf } from './kolmogorov.js';
export type { KsResult } from './ks.js';
export { KS_EXACT_MAX_SIZE, ksExactPValue, ksFromCdfs, ksTest, ksTestSorted } from './ks.js';
export type { NumericDrift, NumericDriftOptions } from './numeric-drift.js';
export { numericDrift, numericDriftSorted } from './numeric-drift.js';
export type {
  ClassificationInput,
  ClassificationMetrics,
  ConfusionCounts,
  RegressionMetrics,
} from './performance.js';
export { classificationMetrics, regressionMetrics, rocAuc, rocAucFromHistograms } from './performance.js';
export {
  chiSquareSf,
  erf,
  erfc,
  logGamma,
  normalCdf,
  normalQuantile,
  normalSf,
  regularizedGammaP,
  regularizedGammaQ,
} from './special.js';
export {
  populationStd,
  WASSERSTEIN_MIN_SCALE,
  wassersteinDistance,
  wassersteinDistanceFromHistograms,
  wassersteinFromHistograms,
  wassersteinNormed,
} from './wasserstein.js';
