import type { DriftResult } from '../evaluate.js';
import { escapeHtml, formatNumber, formatPercent, missingValue } from './markup.js';

/**
 * Per-feature drift as an HTML table coloured like a heatmap: rows are features, columns windows.
 * A table rather than SVG so it wraps, scrolls and reads cell by cell with a screen reader; drifted
 * cells carry a symbol and bold text besides their colour.
 */

export interface HeatmapCell {
  /** What the cell shows (escaped here). */
  text: string;
  /** Plain-text tooltip (escaped here). */
  tooltip: string;
  /** 0 (white) to 1 (strongest); flagged cells are at least 0.5. */
  intensity: number;
  flagged: boolean;
}

export interface HeatmapColumn {
  label: string;
  tooltip?: string;
  /** An open window: marked with ◔ in the header. */
  open?: boolean;
}

export interface HeatmapRow {
  label: string;
  /** One per column; null when the window has no value for this row. */
  cells: readonly (HeatmapCell | null)[];
}

export interface HeatmapTable {
  id: string;
  caption: string;
  /** Header of the row-label column. */
  rowHeader: string;
  columns: readonly HeatmapColumn[];
  rows: readonly HeatmapRow[];
}

/** Methods whose score is a p-value: drift when it falls below the threshold. */
export function isPValueMethod(method: string): boolean {
  return method === 'ks' || method === 'chisquare' || method === 'z';
}

const methodNames: Record<string, string> = {
  ks: 'Kolmogorov–Smirnov test',
  chisquare: 'chi-square test',
  z: 'two-proportion z-test',
  psi: 'population stability index',
  wasserstein: 'Wasserstein distance',
  jensenshannon: 'Jensen–Shannon distance',
  js: 'Jensen–Shannon distance',
};

/** A readable name for a drift method, e.g. `ks (Kolmogorov–Smirnov test)`. */
export function describeMethod(method: string): string {
  const name = methodNames[method.toLowerCase().replace(/[^a-z]/g, '')];
  return name ? `${method} (${name})` : method;
}

/**
 * How far a score is past its threshold on a common scale: 1 at the threshold, 0 for no drift,
 * above 1 beyond it. Distances compare linearly (score / threshold); p-values on a log scale
 * (log p / log threshold), so p = 0.0025 against 0.05 counts as 2. Unknown scores give 0.
 */
export function driftSeverity(
  result: Pick<DriftResult, 'method' | 'score' | 'threshold' | 'drifted'>,
): number {
  const { score, threshold } = result;
  if (!Number.isFinite(score) || !Number.isFinite(threshold)) return result.drifted ? 1 : 0;
  if (isPValueMethod(String(result.method))) {
    if (threshold <= 0 || threshold >= 1) return result.drifted ? 1 : 0;
    if (score <= 0) return Number.POSITIVE_INFINITY;
    return Math.max(0, Math.log(Math.min(1, score)) / Math.log(threshold));
  }
  if (threshold <= 0) return result.drifted ? 1 : 0;
  return Math.max(0, score / threshold);
}

/** `[30, 40): 21% → 35%`, one line per top bin. */
export function topBinLines(result: Pick<DriftResult, 'topBins'>): string[] {
  const bins = Array.isArray(result.topBins) ? result.topBins : [];
  return bins.map((bin) => `${bin.bin}: ${formatPercent(bin.reference)} → ${formatPercent(bin.current)}`);
}

/** The heatmap cell of one feature in one window; null when the window has no result for it. */
export function driftHeatmapCell(
  result: DriftResult | undefined,
  context: { row: string; column: string },
): HeatmapCell | null {
  if (!result) return null;
  const method = String(result.method);
  const pValue = isPValueMethod(method);
  const severity = driftSeverity(result);
  // The evaluator's verdict decides the colour band; the severity only shades within it.
  const intensity = result.drifted ? Math.min(1, 0.5 + (severity - 1) / 4) : Math.min(0.45, severity * 0.45);
  const bins = topBinLines(result);
  const tooltip = [
    `${context.row} — ${context.column}`,
    `method: ${describeMethod(method)}`,
    `score: ${formatNumber(result.score)} (${pValue ? 'p-value, drift when below' : 'distance, drift when at or above'} threshold ${formatNumber(result.threshold)})`,
    `drifted: ${result.drifted ? 'yes' : 'no'}`,
    ...(bins.length > 0 ? ['top bins (reference → current):', ...bins.map((line) => `  ${line}`)] : []),
  ].join('\n');
  const score = Number.isFinite(result.score) ? formatNumber(result.score) : 'n/a';
  return {
    text: result.drifted ? `▲ ${score}` : score,
    tooltip,
    intensity: Math.max(result.drifted ? 0.5 : 0, intensity),
    flagged: result.drifted,
  };
}

const stops = [
  [255, 255, 255],
  [253, 231, 176],
  [240, 138, 126],
] as const;

/** White → light amber (0.5) → light red (1); dark text keeps at least 4.5:1 contrast on all of it. */
export function heatColour(intensity: number): string {
  const t = Number.isFinite(intensity) ? Math.min(1, Math.max(0, intensity)) : 0;
  const [from, to, f] = t <= 0.5 ? [stops[0], stops[1], t / 0.5] : [stops[1], stops[2], (t - 0.5) / 0.5];
  const channel = (i: number) =>
    Math.round(from[i]! + (to[i]! - from[i]!) * f)
      .toString(16)
      .padStart(2, '0');
  return `#${channel(0)}${channel(1)}${channel(2)}`;
}

export function heatmapTable(table: HeatmapTable): string {
  const header = table.columns
    .map((column) => {
      const title = column.tooltip ? ` title="${escapeHtml(column.tooltip)}"` : '';
      return `<th scope="col"${column.open ? ' class="open"' : ''}${title}>${escapeHtml(column.label)}${column.open ? ' ◔' : ''}</th>`;
    })
    .join('');
  const body = table.rows
    .map((row) => {
      const cells = table.columns.map((_, index) => {
        const cell = row.cells[index];
        if (!cell) return `<td class="heat missing" title="no value">${missingValue}</td>`;
        return `<td class="heat${cell.flagged ? ' drifted' : ''}" style="background-color:${heatColour(cell.intensity)}" title="${escapeHtml(cell.tooltip)}">${escapeHtml(cell.text)}</td>`;
      });
      return `<tr><th scope="row">${escapeHtml(row.label)}</th>${cells.join('')}</tr>`;
    })
    .join('');
  return (
    `<div class="scroll"><table id="${escapeHtml(table.id)}" class="heatmap"><caption>${escapeHtml(table.caption)}</caption>` +
    `<thead><tr><th scope="col">${escapeHtml(table.rowHeader)}</th>${header}</tr></thead><tbody>${body}</tbody></table></div>`
  );
}
