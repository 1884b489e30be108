/**
 * Binning shared by the reference profile and the monitoring windows: numeric columns fall into
 * quantile bins fixed from the reference, categorical ones into the reference's most frequent
 * categories plus "other". Windows only ever hold counts over these bins, so they merge exactly.
 */

export interface NumericColumn {
  kind: 'numeric';
  /** Interior bin edges, ascending: bins are (-∞, e₀), [e₀, e₁), …, [eₖ, ∞). */
  edges: number[];
}

export interface CategoricalColumn {
  kind: 'categorical';
  /** The reference's categories, most frequent first; everything else counts as "other" (the last bin). */
  categories: string[];
}

export type Column = NumericColumn | CategoricalColumn;

export const otherCategory = '(other)';
export const maxCategories = 50;

/** Number of bins of a column. */
export function binCount(column: Column): number {
  return column.kind === 'numeric' ? column.edges.length + 1 : column.categories.length + 1;
}

/** The bin of a value: numeric by binary search over the edges, categorical by name. */
export function binOf(column: Column, value: number | string): number {
  if (column.kind === 'categorical') {
    const index = column.categories.indexOf(String(value));
    return index < 0 ? column.categories.length : index;
  }
  const x = value as number;
  let low = 0;
  let high = column.edges.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (x >= column.edges[mid]!) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** A readable name for a bin: `[1200, 1850)` or a category. */
export function binLabel(column: Column, bin: number): string {
  if (column.kind === 'categorical') return column.categories[bin] ?? otherCategory;
  const round = (x: number) => Number(x.toPrecision(4));
  const low = bin === 0 ? '-∞' : String(round(column.edges[bin - 1]!));
  const high = bin === column.edges.length ? '∞' : String(round(column.edges[bin]!));
  return `[${low}, ${high})`;
}

/** Categories of the reference, most frequent first (ties by name), at most `maxCategories`. */
export function topCategories(values: readonly string[]): string[] {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, maxCategories)
    .map(([category]) => category);
}

/** A numeric cell: numbers, or strings that are numbers; anything else is missing. */
export function numericValue(raw: unknown): number | undefined {
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : undefined;
  if (typeof raw === 'string' && raw.trim() !== '') {
    const value = Number(raw);
    return Number.isFinite(value) ? value : undefined;
  }
  if (typeof raw === 'boolean') return raw ? 1 : 0;
  return undefined;
}

export function categoricalValue(raw: unknown): string | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  return typeof raw === 'object' ? JSON.stringify(raw) : String(raw);
}
