/**
 * The drift code on raw samples as it was before samples were sorted once and shared (commit
 * c76fb88, src/monitor/stats/{ks,wasserstein}.ts, src/monitor/columns.ts and profile.ts), kept
 * verbatim apart from input checks so the differential tests can hold the fast code to the old
 * outputs. The p-value functions and the histogram measures did not change and are imported.
 */
import {
  KS_EXACT_MAX_SIZE,
  type KsResult,
  kolmogorovSmirnovSf,
  ksExactPValue,
} from '../../../src/monitor/stats/index.js';

function gcd(a: number, b: number): number {
  let x = a;
  let y = b;
  while (y !== 0) [x, y] = [y, x % y];
  return x;
}

function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction < 0.5) return floor;
  if (fraction > 0.5) return floor + 1;
  return floor % 2 === 0 ? floor : floor + 1;
}

export function previousKsTest(reference: readonly number[], current: readonly number[]): KsResult {
  const a = Float64Array.from(reference).sort();
  const b = Float64Array.from(current).sort();
  const n1 = a.length;
  const n2 = b.length;
  let i = 0;
  let j = 0;
  let maxGap = 0;
  while (i < n1 && j < n2) {
    const value = Math.min(a[i]!, b[j]!);
    while (i < n1 && a[i] === value) i++;
    while (j < n2 && b[j] === value) j++;
    const gap = Math.abs(i * n2 - j * n1);
    if (gap > maxGap) maxGap = gap;
  }
  const statistic = maxGap / (n1 * n2);
  if (Math.max(n1, n2) <= KS_EXACT_MAX_SIZE) {
    const g = gcd(n1, n2);
    return { statistic, pValue: ksExactPValue(n1, n2, maxGap / g), method: 'exact' };
  }
  const effective = (n1 * n2) / (n1 + n2);
  const pValue = kolmogorovSmirnovSf(Math.max(1, roundHalfEven(effective)), statistic);
  return { statistic, pValue, method: 'asymptotic' };
}

export function previousWassersteinDistance(u: readonly number[], v: readonly number[]): number {
  const a = Float64Array.from(u).sort();
  const b = Float64Array.from(v).sort();
  const n1 = a.length;
  const n2 = b.length;
  let i = 0;
  let j = 0;
  let previous = Math.min(a[0]!, b[0]!);
  let total = 0;
  while (i < n1 || j < n2) {
    const next = Math.min(
      i < n1 ? a[i]! : Number.POSITIVE_INFINITY,
      j < n2 ? b[j]! : Number.POSITIVE_INFINITY,
    );
    total += (Math.abs(i * n2 - j * n1) / (n1 * n2)) * (next - previous);
    while (i < n1 && a[i] === next) i++;
    while (j < n2 && b[j] === next) j++;
    previous = next;
  }
  return total;
}

export function previousPopulationStd(values: readonly number[]): number {
  let total = 0;
  for (const value of values) total += value;
  const mean = total / values.length;
  let squares = 0;
  for (const value of values) squares += (value - mean) ** 2;
  return Math.sqrt(squares / values.length);
}

export function previousWassersteinNormed(reference: readonly number[], current: readonly number[]): number {
  return previousWassersteinDistance(reference, current) / Math.max(previousPopulationStd(reference), 0.001);
}

export function previousQuantileEdges(values: readonly number[], bins: number): number[] {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return [];
  const edges: number[] = [];
  for (let i = 1; i < bins; i++) {
    const position = (i / bins) * (sorted.length - 1);
    const low = Math.floor(position);
    const value =
      sorted[low]! + (sorted[Math.min(low + 1, sorted.length - 1)]! - sorted[low]!) * (position - low);
    if (value > sorted[0]! && (edges.length === 0 || value > edges[edges.length - 1]!)) edges.push(value);
  }
  return edges;
}

/** The profile's rule: one bin per value when there are at most `bins` distinct values. */
export function previousProfileEdges(values: readonly number[], bins: number): number[] {
  const uniqueValues = new Set(values).size;
  return uniqueValues <= bins
    ? [...new Set(values)].sort((a, b) => a - b).slice(1)
    : previousQuantileEdges(values, bins);
}

/** Each value placed in its bin by binary search over the edges, as `binOf` in windows. */
export function previousBinCounts(values: readonly number[], edges: readonly number[]): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (const x of values) {
    let low = 0;
    let high = edges.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (x >= edges[mid]!) low = mid + 1;
      else high = mid;
    }
    counts[low]!++;
  }
  return counts;
}
