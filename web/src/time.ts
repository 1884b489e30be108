/**
 * Times as people read them: relative ("3 min ago", "in 2 h") for the eye, absolute in the viewer's
 * time zone (with the zone named) on hover. Both take the clock and zone as arguments so they test.
 */

const units: [Intl.RelativeTimeFormatUnit, number][] = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
  ['second', 1_000],
];

/** `3 min ago`, `in 2 hr`, `just now`; days beyond a month show the date instead. */
export function relativeTime(time: Date, now: Date, locale = 'en'): string {
  const delta = time.getTime() - now.getTime();
  const abs = Math.abs(delta);
  if (abs < 45_000) return 'just now';
  if (abs >= 30 * 86_400_000) return absoluteTime(time, { locale, dateOnly: true });
  const format = new Intl.RelativeTimeFormat(locale, { numeric: 'auto', style: 'short' });
  for (const [unit, ms] of units) {
    if (abs >= ms || unit === 'second') return format.format(Math.round(delta / ms), unit);
  }
  return format.format(0, 'second');
}

/** `Nov 23, 2026, 3:38:12 PM UTC` in the viewer's (or the given) time zone. */
export function absoluteTime(
  time: Date,
  options: { locale?: string; timeZone?: string; dateOnly?: boolean } = {},
): string {
  return new Intl.DateTimeFormat(options.locale, {
    dateStyle: 'medium',
    ...(options.dateOnly ? {} : { timeStyle: 'long' }),
    ...(options.timeZone ? { timeZone: options.timeZone } : {}),
  }).format(time);
}

/** A short local label for chart axes: `15:00` within a day, `Nov 22` for midnights, else both. */
export function axisTimeLabel(time: number, spanMs: number, timeZone?: string): string {
  const zone = timeZone ? { timeZone } : {};
  if (spanMs <= 86_400_000)
    return new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', ...zone }).format(time);
  return new Intl.DateTimeFormat(undefined, {
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    ...zone,
  }).format(time);
}

/** Milliseconds as `812 ms`, `4.2 s`, `3 min`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.round(ms / 60_000)} min`;
}
