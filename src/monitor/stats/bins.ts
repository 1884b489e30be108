/**
 * Reference bins over a sorted sample: the binning the monitoring profile fixes for a numeric
 * column (quantile bins of the reference, or one bin per value when there are few values), and
 * bin counts read off a sorted sample by binary search instead of placing every value.
 */

/** The number of bins a numeric column gets unless configured (the profile's default too). */
export const DEFAULT_BINS = 20;

/**
 * Interior quantile edges of an ascending sample for `bins` equal-frequency bins, interpolated
 * linearly between order statistics (NumPy's default `np.quantile` method), without duplicates and
 * never at the minimum (which would leave the first bin empty by construction), so discrete data
 * gives fewer bins. Precondition (unchecked): `sorted` is ascending and finite.
 */
export function quantileEdgesOfSorted(sorted: ArrayLike<number>, bins: number): number[] {
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

/** How many distinct values an ascending sample holds. */
export function distinctCountOfSorted(sorted: ArrayLike<number>): number {
  let count = 0;
  for (let k = 0; k < sorted.length; k++) if (k === 0 || sorted[k] !== sorted[k - 1]) count++;
  return count;
}

/**
 * Interior edges of a numeric column's bins, as the monitoring profile fixes them from its
 * reference: with at most `bins` distinct values one bin per value (edges at every value but the
 * smallest, so no two values share a bin), otherwise quantile edges. Bins are (-∞, e₀), [e₀, e₁),
 * …, [eₖ, ∞). Precondition (unchecked): `sorted` is ascending and finite.
 */
export function referenceEdgesOfSorted(sorted: ArrayLike<number>, bins: number): number[] {
  const distinct = distinctValuesUpTo(sorted, bins);
  return distinct === undefined ? quantileEdgesOfSorted(sorted, bins) : distinct.slice(1);
}

/** The distinct values when there are at most `limit`, else undefined (stops early on large data). */
function distinctValuesUpTo(sorted: ArrayLike<number>, limit: number): number[] | undefined {
  const distinct: number[] = [];
  for (let k = 0; k < sorted.length; k++) {
    if (k > 0 && sorted[k] === sorted[k - 1]) continue;
    if (distinct.length === limit) return undefined;
    distinct.push(sorted[k]!);
  }
  return distinct;
}

/** The first index whose value is >= x (sorted.length when none is). */
function lowerBound(sorted: ArrayLike<number>, x: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (sorted[mid]! < x) low = mid + 1;
    else high = mid;
  }
  return low;
}

/**
 * Counts of an ascending sample in the bins (-∞, e₀), [e₀, e₁), …, [eₖ, ∞) of ascending interior
 * edges: the same counts as placing each value in its bin, in O(bins · log n).
 * Preconditions (unchecked): `sorted` and `edges` are ascending.
 */
export function binCountsOfSorted(sorted: ArrayLike<number>, edges: readonly number[]): number[] {
  const counts: number[] = [];
  let below = 0;
  for (const edge of edges) {
    const index = lowerBound(sorted, edge);
    counts.push(index - below);
    below = index;
  }
  counts.push(sorted.length - below);
  return counts;
}
