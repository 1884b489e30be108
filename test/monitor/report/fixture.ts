import type { AlertState } from '../../../src/monitor/alerts.js';
import type { DriftResult, FairnessSummary } from '../../../src/monitor/evaluate.js';
import type { MonitoringReportInput, ReportWindow } from '../../../src/monitor/report/html.js';

/**
 * A hand-built report input shaped like a credit-scoring model's last eight hours: hourly windows
 * from 2026-11-20 06:00 UTC, the last one still open; five features, of which `age` and `purpose`
 * drift from window 4 on, `income` from window 6 on, and `employment` only in the open window 7;
 * labels arrive late (windows 6 and 7 have none); fairness for `age` (group `>60` too small) and
 * `age & sex`; one alert firing, one resolved, one pending.
 */

export const hour = 3_600_000;
export const firstStart = Date.UTC(2026, 10, 20, 6);
export const windowCount = 8;
export const openIndex = 7;
export const latestClosedIndex = 6;

const pValueMethods = new Set(['ks', 'chisquare', 'z']);

export function driftResult(
  method: DriftResult['method'],
  score: number,
  threshold: number,
  topBins: DriftResult['topBins'] = [],
): DriftResult {
  return {
    method,
    score,
    threshold,
    drifted: pValueMethods.has(method) ? score < threshold : score >= threshold,
    psi: 0.02,
    jensenShannon: 0.01,
    referenceSize: 1000,
    currentSize: 240,
    topBins,
  };
}

/** Window i: each feature's score, drifted or not by the schedule in the module comment. */
function features(i: number): Record<string, DriftResult> {
  const late = i >= 4;
  return {
    age: late
      ? driftResult('ks', 0.0004 / (i - 3), 0.05, [
          { bin: '[19, 25)', reference: 0.12, current: 0.31, contribution: 0.041 },
          { bin: '[60, ∞)', reference: 0.09, current: 0.02, contribution: 0.012 },
        ])
      : driftResult('ks', 0.41 + i * 0.05, 0.05),
    income: i >= 6 ? driftResult('wasserstein', 0.18, 0.1) : driftResult('wasserstein', 0.03, 0.1),
    purpose: late
      ? driftResult('chisquare', 0.001, 0.05, [
          { bin: 'car (new)', reference: 0.23, current: 0.4, contribution: 0.03 },
        ])
      : driftResult('chisquare', 0.6, 0.05),
    employment:
      i === openIndex ? driftResult('jensenshannon', 0.14, 0.1) : driftResult('jensenshannon', 0.02, 0.1),
    foreign_worker: driftResult('z', 0.8, 0.05),
  };
}

/** The GroupFairness shape of src/monitor/stats/fairness.ts, by hand. */
function group(count: number, selectionRate: number, minGroupSize = 30) {
  const selected = Math.round(count * selectionRate);
  return {
    confusion: {
      tp: Math.round(selected * 0.8),
      fp: selected - Math.round(selected * 0.8),
      tn: count - selected - 5,
      fn: 5,
    },
    count,
    positives: Math.round(selected * 0.8) + 5,
    negatives: count - Math.round(selected * 0.8) - 5,
    selectionRate,
    tpr: 0.7,
    fpr: 0.2,
    selectionRateInterval: [Math.max(0, selectionRate - 0.08), Math.min(1, selectionRate + 0.08)],
    tprInterval: [0.6, 0.8],
    fprInterval: [0.1, 0.3],
    sufficient: count >= minGroupSize,
  };
}

function fairness(i: number): Record<string, FairnessSummary> {
  const labeled = i < latestClosedIndex;
  const dp = i >= 4 ? 0.7 - (i - 4) * 0.02 : 0.92;
  return {
    age: {
      demographicParityDifference: 0.1,
      demographicParityRatio: dp,
      equalizedOddsDifference: labeled ? 0.08 : null,
      equalizedOddsRatio: labeled ? 0.85 : null,
      equalOpportunityDifference: labeled ? 0.05 : null,
      byGroup: { '<25': group(60, 0.35), '25-60': group(150, 0.5), '>60': group(12, 0.4) },
      insufficientGroups: ['>60'],
    },
    'age & sex': {
      demographicParityDifference: 0.05,
      demographicParityRatio: 0.88,
      equalizedOddsDifference: labeled ? 0.04 : null,
      equalizedOddsRatio: labeled ? 0.9 : null,
      equalOpportunityDifference: labeled ? 0.03 : null,
      byGroup: {
        '<25 & female': group(40, 0.4),
        '<25 & male': group(45, 0.44),
        '25-60 & female': group(70, 0.47),
        '25-60 & male': group(80, 0.5),
      },
      insufficientGroups: [],
    },
  };
}

export function reportWindow(i: number): ReportWindow {
  const drift = features(i);
  const drifted = Object.entries(drift)
    .filter(([, r]) => r.drifted)
    .map(([name]) => name);
  const labeled = i < latestClosedIndex;
  return {
    window: {
      start: new Date(firstStart + i * hour).toISOString(),
      end: new Date(firstStart + (i + 1) * hour).toISOString(),
      rows: i === openIndex ? 97 : 240,
      labeled: labeled ? 200 : 0,
      rejected: i === 3 ? 2 : 0,
    },
    drift: {
      features: drift,
      prediction: driftResult('ks', i >= 5 ? 0.01 : 0.5, 0.05),
    },
    datasetDrift: { share: drifted.length / 5, drifted: drifted.length, total: 5, features: drifted },
    ...(labeled
      ? {
          performance: {
            count: 200,
            accuracy: 0.81 - i * 0.01,
            precision: 0.76,
            recall: 0.7,
            f1: 0.73,
            rocAuc: i === 2 ? null : 0.85,
          },
        }
      : {}),
    fairness: fairness(i),
    ...(i === openIndex ? { open: true } : {}),
  };
}

export const firingAlert: AlertState = {
  policy: 'credit-drift',
  alert: 'age-fairness',
  status: 'firing',
  consecutive: 3,
  firingSince: new Date(firstStart + 6 * hour).toISOString(),
  lastWindow: firstStart + 6 * hour,
  severity: 'critical',
  message: 'Demographic parity ratio for age is 0.66 (< 0.8); runbook http://runbooks.example/fairness',
  facts: { 'metrics.fairness.age.demographicParityRatio': 0.66, windows: 3 },
};

export const resolvedAlert: AlertState = {
  policy: 'credit-drift',
  alert: 'labels-missing',
  status: 'ok',
  consecutive: 0,
  lastWindow: firstStart + 6 * hour,
  severity: 'warning',
  message: 'Labels are arriving again',
  facts: {},
};

export const pendingAlert: AlertState = {
  policy: 'credit-drift',
  alert: 'dataset-drift',
  status: 'pending',
  consecutive: 1,
  lastWindow: firstStart + 6 * hour,
  severity: 'warning',
  message: 'Dataset drift share is 0.6',
  facts: { share: 0.6 },
};

export function reportInput(): MonitoringReportInput {
  return {
    system: 'credit-scoring',
    generatedAt: '2026-11-20T16:05:00+02:00',
    profile: {
      source: 'examples/monitoring/reference.ndjson',
      rows: 1000,
      createdAt: '2026-11-01T09:00:00Z',
      window: '1h',
    },
    windows: Array.from({ length: windowCount }, (_, i) => reportWindow(i)),
    // Deliberately not in display order: the ok alert first.
    alerts: [resolvedAlert, firingAlert, pendingAlert],
    alertEvents: [
      {
        time: new Date(firstStart + 6 * hour).toISOString(),
        type: 'alert.firing',
        policy: 'credit-drift',
        alert: 'age-fairness',
        severity: 'critical',
        message: firingAlert.message,
      },
      {
        time: new Date(firstStart + 3 * hour).toISOString(),
        type: 'alert.resolved',
        policy: 'credit-drift',
        alert: 'labels-missing',
        severity: 'warning',
        message: 'Labels are arriving again',
      },
    ],
  };
}
