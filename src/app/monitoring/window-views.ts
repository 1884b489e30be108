import { type Static, Type } from '@sinclair/typebox';
import { Nullable } from '../../core/json-schema.js';
import { evaluateWindow, type WindowMetrics, WindowMetricsSchema } from '../../monitor/evaluate.js';
import type { Profile } from '../../monitor/profile.js';
import { mergeWindows, type WindowState, windowStart } from '../../monitor/window.js';
import type { MonitorWindowRow } from '../../store/records.js';

export const MonitorWindowViewSchema = Type.Object(
  {
    start: Type.String(),
    end: Type.String(),
    open: Type.Boolean({
      description: 'Not evaluated yet: its metrics are computed on read and its alerts not stepped',
    }),
    evaluatedAt: Nullable(Type.String()),
    profile: Type.String({ description: 'SHA-256 of the reference profile the window is counted against' }),
    windows: Type.Optional(
      Type.Number({ description: 'How many stored windows a merged view holds (merge=day only)' }),
    ),
    metrics: WindowMetricsSchema,
  },
  { description: 'A monitoring window (or, merged, one day) with its metrics' },
);
/** A monitoring window as the API returns it: bounds, whether it is still open, and its metrics. */
export type MonitorWindowView = Static<typeof MonitorWindowViewSchema>;

const dayMs = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** A stored window; metrics are the stored ones once evaluated, computed now while open. */
export function windowView(row: MonitorWindowRow, profile: Profile): MonitorWindowView {
  const metrics =
    (row.metrics as unknown as WindowMetrics | undefined) ?? evaluateWindow(profile, stateOf(row));
  return {
    start: iso(row.start),
    end: iso(row.end),
    open: row.evaluatedAt === undefined,
    evaluatedAt: row.evaluatedAt ?? null,
    profile: row.profile,
    metrics,
  };
}

export const stateOf = (row: MonitorWindowRow) => row.state as unknown as WindowState;

/**
 * Windows merged into UTC days (a window belongs to the day it starts in) and evaluated as one:
 * counts add, so a day's metrics are exactly those of its events. Windows counted against different
 * profiles (a profile changed that day) cannot be added and give one day each.
 * Precondition: rows are ordered by start.
 */
export function dayViews(
  rows: readonly MonitorWindowRow[],
  profiles: ReadonlyMap<string, Profile>,
): MonitorWindowView[] {
  const days = new Map<string, { day: number; profile: string; rows: MonitorWindowRow[] }>();
  for (const row of rows) {
    const day = windowStart(row.start, dayMs);
    const key = `${day}/${row.profile}`;
    const group = days.get(key) ?? { day, profile: row.profile, rows: [] };
    group.rows.push(row);
    days.set(key, group);
  }
  return [...days.values()].map(({ day, profile, rows: group }) => {
    const merged = group.map(stateOf).reduce((a, b) => mergeWindows(a, b));
    const state = { ...merged, start: day, end: day + dayMs };
    return {
      start: iso(day),
      end: iso(day + dayMs),
      open: group.some((row) => row.evaluatedAt === undefined),
      evaluatedAt: null,
      profile,
      windows: group.length,
      metrics: evaluateWindow(profiles.get(profile)!, state),
    };
  });
}
