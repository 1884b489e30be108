import { binCount, binOf, type Column, categoricalValue, numericValue } from './columns.js';
import type { Profile } from './profile.js';
import { groupsOf, isPositive } from './schema.js';

/**
 * A monitoring window's state: counts and sums only, never the events themselves. Two windows (or
 * a window and a later label) merge by adding, so hours roll up into days exactly.
 */

export interface ColumnState {
  counts: number[];
  missing: number;
  /** Numeric columns: sum and sum of squares of the values seen. */
  sum: number;
  sumSquares: number;
}

export interface Confusion {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

export interface GroupState extends Confusion {
  /** Rows in the group, and how many the model selected (predicted positive). */
  rows: number;
  selected: number;
}

/** Equal-width score bins on [0, 1] per true label, for ROC AUC from counts. */
export const scoreBins = 50;

export interface WindowState {
  start: number;
  end: number;
  rows: number;
  /** Events rejected for this window (unreadable prediction, not an object…). */
  rejected: number;
  labeled: number;
  features: Record<string, ColumnState>;
  prediction: ColumnState;
  /** Classification with labels: confusion counts overall and per group, score histograms. */
  confusion: Confusion;
  scores: { positive: number[]; negative: number[] };
  groups: Record<string, Record<string, GroupState>>;
  /** Regression with labels: sums of absolute and squared errors. */
  errors: { count: number; absolute: number; squared: number };
}

function columnState(column: Column): ColumnState {
  return { counts: new Array(binCount(column)).fill(0), missing: 0, sum: 0, sumSquares: 0 };
}

export function emptyWindow(profile: Profile, start: number, end: number): WindowState {
  return {
    start,
    end,
    rows: 0,
    rejected: 0,
    labeled: 0,
    features: Object.fromEntries(
      Object.entries(profile.features).map(([name, column]) => [name, columnState(column)]),
    ),
    prediction: columnState(profile.prediction),
    confusion: { tp: 0, fp: 0, tn: 0, fn: 0 },
    scores: { positive: new Array(scoreBins).fill(0), negative: new Array(scoreBins).fill(0) },
    groups: {},
    errors: { count: 0, absolute: 0, squared: 0 },
  };
}

/** One production event, as the API takes it. */
export interface MonitorEvent {
  id?: string;
  /** Event time (RFC 3339 or epoch ms); the server's clock when absent. */
  time?: string | number;
  features: Record<string, unknown>;
  prediction: unknown;
  score?: number;
  /** The true outcome, when known at once; otherwise sent later to the labels endpoint, joined by id. */
  label?: unknown;
  /** Raw sensitive attribute values not among the features (e.g. age when the model does not use it). */
  sensitive?: Record<string, unknown>;
}

/** What a label join needs to remember about an event. */
export interface EventMemo {
  prediction: unknown;
  score?: number;
  groups: Record<string, string>;
}

function addValue(state: ColumnState, column: Column, raw: unknown): void {
  if (column.kind === 'numeric') {
    const value = numericValue(raw);
    if (value === undefined) {
      state.missing++;
      return;
    }
    state.counts[binOf(column, value)]!++;
    state.sum += value;
    state.sumSquares += value * value;
    return;
  }
  const value = categoricalValue(raw);
  if (value === undefined) state.missing++;
  else state.counts[binOf(column, value)]!++;
}

/** Why an event cannot be counted, or undefined when it can. */
export function eventProblem(profile: Profile, event: unknown): string | undefined {
  if (typeof event !== 'object' || event === null || Array.isArray(event))
    return 'an event must be a JSON object';
  const e = event as Partial<MonitorEvent>;
  if (typeof e.features !== 'object' || e.features === null || Array.isArray(e.features))
    return 'features must be an object of column values';
  if (e.prediction === undefined || e.prediction === null) return 'prediction is missing';
  if (profile.schema.task === 'regression' && numericValue(e.prediction) === undefined)
    return 'prediction must be a number for a regression model';
  if (e.score !== undefined && (typeof e.score !== 'number' || !(e.score >= 0 && e.score <= 1)))
    return 'score must be a number between 0 and 1';
  return undefined;
}

/** Counts an event into the window; returns what a later label join needs. */
export function addEvent(window: WindowState, profile: Profile, event: MonitorEvent): EventMemo {
  window.rows++;
  for (const [name, column] of Object.entries(profile.features))
    addValue(window.features[name]!, column, event.features[name]);
  addValue(window.prediction, profile.prediction, event.prediction);
  const groups = groupsOf(profile.schema, { ...event.features, ...event.sensitive });
  if (profile.schema.task !== 'regression') {
    const selected = isPositive(profile.schema, event.prediction);
    for (const [attribute, group] of Object.entries(groups)) {
      const state = groupState(window, attribute, group);
      state.rows++;
      if (selected) state.selected++;
    }
  }
  const memo: EventMemo = {
    prediction: event.prediction,
    groups,
    ...(event.score !== undefined ? { score: event.score } : {}),
  };
  if (event.label !== undefined && event.label !== null) addLabel(window, profile, memo, event.label);
  return memo;
}

function groupState(window: WindowState, attribute: string, group: string): GroupState {
  window.groups[attribute] ??= {};
  const groups = window.groups[attribute]!;
  groups[group] ??= { rows: 0, selected: 0, tp: 0, fp: 0, tn: 0, fn: 0 };
  return groups[group]!;
}

function count(confusion: Confusion, truth: boolean, predicted: boolean): void {
  if (truth && predicted) confusion.tp++;
  else if (truth) confusion.fn++;
  else if (predicted) confusion.fp++;
  else confusion.tn++;
}

/** Counts a label for an event already in this window (joined by id, or sent with the event). */
export function addLabel(window: WindowState, profile: Profile, memo: EventMemo, label: unknown): void {
  window.labeled++;
  if (profile.schema.task === 'regression') {
    const truth = numericValue(label);
    const predicted = numericValue(memo.prediction);
    if (truth === undefined || predicted === undefined) return;
    window.errors.count++;
    window.errors.absolute += Math.abs(predicted - truth);
    window.errors.squared += (predicted - truth) ** 2;
    return;
  }
  const truth = isPositive(profile.schema, label);
  const predicted = isPositive(profile.schema, memo.prediction);
  count(window.confusion, truth, predicted);
  if (memo.score !== undefined) {
    const bin = Math.min(scoreBins - 1, Math.floor(memo.score * scoreBins));
    (truth ? window.scores.positive : window.scores.negative)[bin]!++;
  }
  for (const [attribute, group] of Object.entries(memo.groups))
    count(groupState(window, attribute, group), truth, predicted);
}

const addArrays = (a: number[], b: readonly number[]) => a.map((x, i) => x + (b[i] ?? 0));

function mergeColumn(a: ColumnState, b: ColumnState): ColumnState {
  return {
    counts: addArrays(a.counts, b.counts),
    missing: a.missing + b.missing,
    sum: a.sum + b.sum,
    sumSquares: a.sumSquares + b.sumSquares,
  };
}

function mergeConfusion<T extends Confusion>(a: T, b: Confusion): T {
  return { ...a, tp: a.tp + b.tp, fp: a.fp + b.fp, tn: a.tn + b.tn, fn: a.fn + b.fn };
}

/** The window covering both: counts add, so merging hourly windows gives the day exactly. */
export function mergeWindows(a: WindowState, b: WindowState): WindowState {
  const groups: WindowState['groups'] = structuredClone(a.groups);
  for (const [attribute, byGroup] of Object.entries(b.groups)) {
    groups[attribute] ??= {};
    for (const [group, state] of Object.entries(byGroup)) {
      const existing = groups[attribute]![group];
      groups[attribute]![group] = existing
        ? {
            ...mergeConfusion(existing, state),
            rows: existing.rows + state.rows,
            selected: existing.selected + state.selected,
          }
        : { ...state };
    }
  }
  return {
    start: Math.min(a.start, b.start),
    end: Math.max(a.end, b.end),
    rows: a.rows + b.rows,
    rejected: a.rejected + b.rejected,
    labeled: a.labeled + b.labeled,
    features: Object.fromEntries(
      Object.entries(a.features).map(([name, state]) => [
        name,
        b.features[name] ? mergeColumn(state, b.features[name]!) : state,
      ]),
    ),
    prediction: mergeColumn(a.prediction, b.prediction),
    confusion: mergeConfusion(a.confusion, b.confusion),
    scores: {
      positive: addArrays(a.scores.positive, b.scores.positive),
      negative: addArrays(a.scores.negative, b.scores.negative),
    },
    groups,
    errors: {
      count: a.errors.count + b.errors.count,
      absolute: a.errors.absolute + b.errors.absolute,
      squared: a.errors.squared + b.errors.squared,
    },
  };
}

/** The start of the tumbling window holding `time` (windows are aligned to the epoch). */
export function windowStart(time: number, lengthMs: number): number {
  return Math.floor(time / lengthMs) * lengthMs;
}
