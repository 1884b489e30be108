import { ArbiterError } from '../core/errors.js';
import { type Severity, severities, severityRank } from '../supply/findings.js';
import type { EvaluationCase, EvaluationResult } from './evaluation-results.js';

/**
 * `release.evaluations` in CEL: per suite, per category and per slice, how many cases ran,
 * passed and failed, the pass rate, for red-team suites the attack success rate, scores, and the
 * failing cases (at most `failingShown`, so a view over a large suite stays small). Pure.
 *
 * Tables keyed by names from the input (suites, categories, slices) are Maps: a category named
 * `__proto__` or `constructor` must count like any other, and CEL reads a Map as a map.
 */

export const failingShown = 20;

export interface FailingCase {
  case: string;
  category: string;
  slice?: string;
  severity?: Severity;
  score?: number;
  message?: string;
}

export interface EvaluationStats {
  total: number;
  passed: number;
  failed: number;
  passRate: number;
  failRate: number;
  /** Red-team suites only: failed / total, the share of attacks that succeeded. */
  attackSuccessRate?: number;
  maxScore?: number;
  meanScore?: number;
  /** The highest severity among failed cases that carry one; `none` when none does. */
  highestFailedSeverity: Severity | 'none';
  /** Failed cases per severity (cases without one are not counted here). */
  failedBySeverity: Record<Severity, number>;
  failing: FailingCase[];
}

export interface SuiteView extends EvaluationStats {
  kind: 'red-team' | 'evaluation';
  tool: string;
  tools: string[];
  models: string[];
  files: string[];
  categories: Map<string, EvaluationStats>;
  slices: Map<string, EvaluationStats>;
}

export interface EvaluationsView extends EvaluationStats {
  /** Number of suites. */
  count: number;
  /** Failed cases a waiver covers: left out of every count above and below. */
  waived: number;
  suites: Map<string, SuiteView>;
  /** Every suite's cases, per category. */
  byCategory: Map<string, EvaluationStats>;
  /** The red-team suites together: `attackSuccessRate` over all their attacks, per category. */
  redTeam: EvaluationStats & {
    suites: number;
    attackSuccessRate: number;
    byCategory: Map<string, EvaluationStats>;
  };
}

const round = (n: number) => Number(n.toFixed(6));

function stats(cases: readonly EvaluationCase[], redTeam: boolean): EvaluationStats {
  const total = cases.length;
  const failedCases = cases.filter((entry) => !entry.passed);
  const passed = total - failedCases.length;
  // A loop, not Math.max(...scores): 200,000 arguments overflow the call stack.
  let scored = 0;
  let scoreSum = 0;
  let maxScore = Number.NEGATIVE_INFINITY;
  for (const entry of cases) {
    if (entry.score === undefined) continue;
    scored++;
    scoreSum += entry.score;
    if (entry.score > maxScore) maxScore = entry.score;
  }
  const highest = failedCases.reduce<Severity | 'none'>(
    (top, entry) =>
      entry.severity && (top === 'none' || severityRank(entry.severity) > severityRank(top))
        ? entry.severity
        : top,
    'none',
  );
  return {
    total,
    passed,
    failed: failedCases.length,
    passRate: total === 0 ? 0 : round(passed / total),
    failRate: total === 0 ? 0 : round(failedCases.length / total),
    ...(redTeam ? { attackSuccessRate: total === 0 ? 0 : round(failedCases.length / total) } : {}),
    ...(scored > 0 ? { maxScore, meanScore: round(scoreSum / scored) } : {}),
    highestFailedSeverity: highest,
    failedBySeverity: Object.fromEntries(
      severities.map((severity) => [
        severity,
        failedCases.filter((entry) => entry.severity === severity).length,
      ]),
    ) as Record<Severity, number>,
    failing: failedCases.slice(0, failingShown).map((entry) => ({
      case: entry.case,
      category: entry.category,
      ...(entry.slice !== undefined ? { slice: entry.slice } : {}),
      ...(entry.severity !== undefined ? { severity: entry.severity } : {}),
      ...(entry.score !== undefined ? { score: entry.score } : {}),
      ...(entry.message !== undefined ? { message: entry.message } : {}),
    })),
  };
}

function groupBy(cases: readonly EvaluationCase[], key: (entry: EvaluationCase) => string | undefined) {
  const groups = new Map<string, EvaluationCase[]>();
  for (const entry of cases) {
    const name = key(entry);
    if (name === undefined) continue;
    const list = groups.get(name);
    if (list) list.push(entry);
    else groups.set(name, [entry]);
  }
  return groups;
}

const sortedStats = (
  cases: readonly EvaluationCase[],
  key: (entry: EvaluationCase) => string | undefined,
  redTeam: boolean,
) =>
  new Map(
    [...groupBy(cases, key)]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([name, list]) => [name, stats(list, redTeam)]),
  );

/** The key that names one case for waivers and exclusion: its file and id. */
export const evaluationCaseKey = (input: string, caseId: string) => `evaluation:${input}#${caseId}`;

/**
 * Files of one suite (shards of one run) are combined; a suite must not be red-team in one and not
 * in another. Cases whose key is in `excluded` (failed cases a waiver covers) are left out.
 */
export function evaluationsView(
  results: readonly EvaluationResult[],
  excluded: ReadonlySet<string> = new Set(),
): EvaluationsView {
  const bySuite = new Map<string, EvaluationResult[]>();
  for (const result of results) {
    const list = bySuite.get(result.suite);
    if (list && list[0]?.kind !== result.kind)
      throw new ArbiterError(
        'ARB_ERR_INPUT_INVALID',
        `${result.input}: suite "${result.suite}" is kind ${result.kind}, but ${list[0]?.input} gives it kind ${list[0]?.kind}`,
        { details: { file: result.input, format: 'evaluation' } },
      );
    if (list) list.push(result);
    else bySuite.set(result.suite, [result]);
  }
  let waived = 0;
  const kept = (file: EvaluationResult) =>
    file.cases.filter((entry) => {
      if (entry.passed || !excluded.has(evaluationCaseKey(file.input, entry.case))) return true;
      waived++;
      return false;
    });
  const suites = new Map<string, SuiteView>();
  const everyCase: EvaluationCase[] = [];
  const redTeamCases: EvaluationCase[] = [];
  for (const [suite, files] of [...bySuite].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const cases = files.flatMap(kept);
    const redTeam = files[0]?.kind === 'red-team';
    for (const entry of cases) {
      everyCase.push(entry);
      if (redTeam) redTeamCases.push(entry);
    }
    const tools = [...new Set(files.map((file) => file.tool))];
    suites.set(suite, {
      kind: redTeam ? 'red-team' : 'evaluation',
      tool: tools[0] ?? '',
      tools,
      models: [...new Set(files.flatMap((file) => (file.model ? [file.model] : [])))],
      files: files.map((file) => file.input),
      ...stats(cases, redTeam),
      categories: sortedStats(cases, (entry) => entry.category, redTeam),
      slices: sortedStats(cases, (entry) => entry.slice, redTeam),
    });
  }
  const redTeamStats = stats(redTeamCases, true);
  return {
    count: suites.size,
    waived,
    ...stats(everyCase, false),
    suites,
    byCategory: sortedStats(everyCase, (entry) => entry.category, false),
    redTeam: {
      ...redTeamStats,
      attackSuccessRate: redTeamStats.attackSuccessRate ?? 0,
      suites: [...suites.values()].filter((suite) => suite.kind === 'red-team').length,
      byCategory: sortedStats(redTeamCases, (entry) => entry.category, true),
    },
  };
}
