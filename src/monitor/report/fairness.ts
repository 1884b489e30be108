import type { FairnessSummary } from '../evaluate.js';
import { formatNumber } from './markup.js';

/**
 * Reads per-group selection rates out of `FairnessSummary.byGroup`, which is typed `unknown` per
 * group: the report shows whatever is there (a rate, a size, a Wilson interval under one of the
 * usual names, other scalar fields) and never assumes a field exists.
 */

export interface GroupSelection {
  group: string;
  /** Selection rate in [0, 1]; null when the group carries none (nor rows and selected to derive it). */
  rate: number | null;
  low?: number;
  high?: number;
  n?: number;
  /** Listed in `insufficientGroups` or marked `sufficient: false` (too few rows to compare). */
  insufficient: boolean;
  /** The group's other scalar fields, formatted for display. */
  fields: Record<string, string>;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isFiniteNumber = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

const rateKeys = ['selectionRate', 'selection_rate', 'rate'];
const sizeKeys = ['rows', 'n', 'count', 'size', 'total'];
const intervalKeys = [
  'selectionRateInterval',
  'selectionRateCi',
  'selectionRateCI',
  'wilson',
  'interval',
  'ci',
  'confidenceInterval',
];
const lowKeys = ['low', 'lower', 'lo', 'min'];
const highKeys = ['high', 'upper', 'hi', 'max'];
const flatBounds = [
  ['selectionRateLow', 'selectionRateHigh'],
  ['selectionRateLower', 'selectionRateUpper'],
] as const;

function firstNumber(record: Record<string, unknown>, keys: readonly string[]): number | undefined {
  for (const key of keys) if (isFiniteNumber(record[key])) return record[key] as number;
  return undefined;
}

/** `[low, high]` or `{low|lower|lo, high|upper|hi}`; undefined unless both bounds are finite. */
export function readInterval(value: unknown): { low: number; high: number } | undefined {
  if (Array.isArray(value) && value.length === 2 && isFiniteNumber(value[0]) && isFiniteNumber(value[1]))
    return { low: Math.min(value[0], value[1]), high: Math.max(value[0], value[1]) };
  if (isRecord(value)) {
    const low = firstNumber(value, lowKeys);
    const high = firstNumber(value, highKeys);
    if (low !== undefined && high !== undefined)
      return { low: Math.min(low, high), high: Math.max(low, high) };
  }
  return undefined;
}

function displayValue(value: unknown): string | undefined {
  if (value === null) return '—';
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'string' || typeof value === 'boolean') return String(value);
  const interval = readInterval(value);
  if (interval) return `[${formatNumber(interval.low)}, ${formatNumber(interval.high)}]`;
  // A flat record of numbers, such as confusion counts: `tp 12, fp 3, tn 40, fn 5`.
  if (isRecord(value)) {
    const entries = Object.entries(value);
    if (entries.length > 0 && entries.every(([, v]) => typeof v === 'number'))
      return entries.map(([k, v]) => `${k} ${formatNumber(v as number)}`).join(', ');
  }
  return undefined;
}

// Shown as the Status column instead.
const statusKeys = new Set(['sufficient', 'insufficient']);

/**
 * The groups of one attribute, in `byGroup` order, then insufficient groups `byGroup` lacks.
 * A bare number as a group's value is taken as its selection rate.
 */
export function groupSelections(
  summary: Partial<Pick<FairnessSummary, 'byGroup' | 'insufficientGroups'>>,
): GroupSelection[] {
  const byGroup = isRecord(summary.byGroup) ? summary.byGroup : {};
  const insufficient = new Set(
    Array.isArray(summary.insufficientGroups)
      ? summary.insufficientGroups.filter((g) => typeof g === 'string')
      : [],
  );
  const out: GroupSelection[] = [];
  for (const [group, value] of Object.entries(byGroup)) {
    if (isFiniteNumber(value)) {
      out.push({ group, rate: value, insufficient: insufficient.has(group), fields: {} });
      continue;
    }
    const record = isRecord(value) ? value : {};
    let rate = firstNumber(record, rateKeys) ?? null;
    let interval: { low: number; high: number } | undefined;
    const rateField = rateKeys.map((key) => record[key]).find(isRecord);
    if (rate === null && rateField) {
      // A rate given as an object: {value|estimate, low, high}.
      rate = firstNumber(rateField, ['value', 'estimate', 'rate']) ?? null;
      interval = readInterval(rateField);
    }
    const n = firstNumber(record, sizeKeys);
    const selected = record.selected;
    if (rate === null && n !== undefined && n > 0 && isFiniteNumber(selected)) rate = selected / n;
    for (const key of intervalKeys) interval ??= readInterval(record[key]);
    for (const [lowKey, highKey] of flatBounds) interval ??= readInterval([record[lowKey], record[highKey]]);
    const fields: Record<string, string> = {};
    for (const [key, field] of Object.entries(record)) {
      if (statusKeys.has(key)) continue;
      const shown = displayValue(field);
      if (shown !== undefined) fields[key] = shown;
    }
    out.push({
      group,
      rate,
      ...(interval ? interval : {}),
      ...(n !== undefined ? { n } : {}),
      insufficient: insufficient.has(group) || record.sufficient === false || record.insufficient === true,
      fields,
    });
  }
  for (const group of insufficient)
    if (!Object.hasOwn(byGroup, group)) out.push({ group, rate: null, insufficient: true, fields: {} });
  return out;
}
