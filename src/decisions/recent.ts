import type { ActivityCounts, ActivityRow, FailureRow } from './records.js';

/**
 * What policies see as `actor.recent`: the actor's recent decisions and outcomes, so rules like
 * "at most 3 production deploys an hour" or "no deploy within 30 minutes of a failed one" can be
 * written. Counts are doubles, like every number policies see.
 */
export interface RecentActivity {
  lastHour: { total: ActivityCounts; sameAction: ActivityCounts };
  lastDay: { total: ActivityCounts; sameAction: ActivityCounts };
  minutesSinceFailure: { any: number; sameAction: number };
}

/** Stands for "never failed" in minutesSinceFailure: larger than any real interval. */
export const neverFailed = 1e9;

const zero = (): ActivityCounts => ({
  decisions: 0,
  allowed: 0,
  denied: 0,
  succeeded: 0,
  failed: 0,
  rolledBack: 0,
});

function sum(rows: readonly ActivityRow[], keep: (row: ActivityRow) => boolean): ActivityCounts {
  const total = zero();
  for (const row of rows) {
    if (!keep(row)) continue;
    total.decisions += row.decisions;
    total.allowed += row.allowed;
    total.denied += row.denied;
    total.succeeded += row.succeeded;
    total.failed += row.failed;
    total.rolledBack += row.rolledBack;
  }
  return total;
}

/** Builds `actor.recent` for a request of `action` in `environment` (`''` when none). */
export function recentActivity(
  activity: { lastHour: readonly ActivityRow[]; lastDay: readonly ActivityRow[] },
  failures: readonly FailureRow[],
  request: { action: string; environment: string },
  now: Date,
): RecentActivity {
  const same = (row: { action: string; environment: string }) =>
    row.action === request.action && row.environment === request.environment;
  const minutesSince = (rows: readonly FailureRow[]) => {
    const latest = rows.reduce((max, row) => (row.lastFailedAt > max ? row.lastFailedAt : max), '');
    return latest === '' ? neverFailed : Math.max(0, (now.getTime() - Date.parse(latest)) / 60_000);
  };
  return {
    lastHour: { total: sum(activity.lastHour, () => true), sameAction: sum(activity.lastHour, same) },
    lastDay: { total: sum(activity.lastDay, () => true), sameAction: sum(activity.lastDay, same) },
    minutesSinceFailure: { any: minutesSince(failures), sameAction: minutesSince(failures.filter(same)) },
  };
}

/** The minute and hour buckets that cover the last hour and the last day before `now`. */
export function activityWindow(now: Date): { sinceMinute: number; sinceHour: number } {
  const minute = Math.floor(now.getTime() / 60_000);
  return { sinceMinute: minute - 59, sinceHour: Math.floor(minute / 60) - 23 };
}
