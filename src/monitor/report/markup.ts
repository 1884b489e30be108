/**
 * Text for the monitoring report: escaping of untrusted strings (system, feature and category names,
 * alert messages all come from users or production data) and the number and UTC date formats every
 * table and chart shares.
 */

// Control characters other than tab, newline and carriage return are parse errors in HTML.
const isControl = (code: number) =>
  (code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) || code === 0x7f;

/** Escapes text for an HTML text node or a double- or single-quoted attribute value. */
export function escapeHtml(text: string): string {
  let clean = '';
  for (const char of text) clean += isControl(char.codePointAt(0)!) ? '\uFFFD' : char;
  return clean
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** The placeholder shown wherever a metric is missing, null or not a finite number. */
export const missingValue = '—';

const pad = (n: number) => String(n).padStart(2, '0');

/** Parses an ISO time (or takes epoch ms); undefined when it is not a valid time. */
export function toEpochMs(time: string | number): number | undefined {
  const ms = typeof time === 'number' ? time : Date.parse(time);
  return Number.isFinite(ms) ? ms : undefined;
}

/** `2026-11-20 14:00 UTC` (seconds only when not zero); the raw text when it is not a valid time. */
export function formatUtc(time: string | number): string {
  const ms = toEpochMs(time);
  if (ms === undefined) return String(time);
  const d = new Date(ms);
  const seconds = d.getUTCSeconds() === 0 ? '' : `:${pad(d.getUTCSeconds())}`;
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}${seconds} UTC`;
}

/** `2026-11-20 14:00 → 15:00 UTC`, repeating the date only when the range crosses midnight (UTC). */
export function formatUtcRange(start: string | number, end: string | number): string {
  const from = formatUtc(start);
  const to = formatUtc(end);
  const a = toEpochMs(start);
  const b = toEpochMs(end);
  if (a === undefined || b === undefined) return `${from} → ${to}`;
  const sameDay = new Date(a).toISOString().slice(0, 10) === new Date(b).toISOString().slice(0, 10);
  return `${from.replace(/ UTC$/, '')} → ${sameDay ? to.slice(11) : to}`;
}

/** How axis labels show times: the clock when all fall on one UTC day, the date when all are midnights. */
export type TimeLabelStyle = 'time' | 'date' | 'datetime';

export function timeLabelStyle(times: readonly number[]): TimeLabelStyle {
  if (times.length === 0) return 'datetime';
  const days = new Set(times.map((t) => new Date(t).toISOString().slice(0, 10)));
  if (days.size === 1) return 'time';
  return times.every((t) => t % 86_400_000 === 0) ? 'date' : 'datetime';
}

/** A short UTC label for an axis tick or a table column: `14:00`, `11-20` or `11-20 14:00`. */
export function timeLabel(time: number, style: TimeLabelStyle): string {
  const d = new Date(time);
  const date = `${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  const clock = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
  return style === 'time' ? clock : style === 'date' ? date : `${date} ${clock}`;
}

const isNumber = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

/** Up to three decimals, exponent notation below 0.001; the missing-value dash for null or non-finite. */
export function formatNumber(x: number | null | undefined): string {
  if (!isNumber(x)) return missingValue;
  if (x === 0) return '0';
  if (Math.abs(x) < 0.001) return x.toExponential(1);
  return String(Number(x.toFixed(3)));
}

/** A share as a percentage with at most one decimal: `0.375` → `37.5%`. */
export function formatPercent(share: number | null | undefined): string {
  if (!isNumber(share)) return missingValue;
  return `${Number((share * 100).toFixed(1))}%`;
}

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** A count with thousands separators: `12,345`. */
export function formatCount(n: number | null | undefined): string {
  return isNumber(n) ? integer.format(n) : missingValue;
}
