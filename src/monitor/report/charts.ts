import { escapeHtml, formatNumber, formatPercent, timeLabel, timeLabelStyle } from './markup.js';

/**
 * Inline SVG charts for the monitoring report, drawn here rather than by a chart library so the page
 * stays one self-contained file. Every chart scales with its container (viewBox, no fixed size), names
 * itself for screen readers, and never relies on colour alone: series differ by dash pattern too, open
 * windows by hollow markers, thresholds are labelled.
 */

export interface ChartPoint {
  /** Epoch milliseconds. */
  x: number;
  /** Null (or a non-finite number) leaves a gap in the line and draws no marker. */
  y: number | null;
  /** The window is still open: its value may change, so the marker is hollow. */
  open?: boolean;
  /** Plain text for the point's tooltip; escaped here. */
  tooltip?: string;
}

export interface ChartSeries {
  name: string;
  points: readonly ChartPoint[];
}

export interface ChartThreshold {
  value: number;
  label: string;
}

export interface LineChartOptions {
  /** Unique in the page; also prefixes the ids of the chart's own elements. */
  id: string;
  /** The chart's accessible name. */
  title: string;
  /** A domain the axis always covers (it still grows to fit data and thresholds outside it). */
  yDomain?: readonly [number, number];
  /** Dashed horizontal reference lines. */
  thresholds?: readonly ChartThreshold[];
  formatY?: (value: number) => string;
  yLabel?: string;
  xLabel?: string;
}

/** Okabe–Ito inspired, each at least 3:1 against white. */
export const seriesColours = [
  '#0072B2',
  '#D55E00',
  '#007A5A',
  '#6A3D9A',
  '#8C6D1F',
  '#AD4E8A',
  '#444444',
] as const;
/** Paired with the colours so series stay apart in greyscale print and for colour-blind readers. */
export const seriesDashes = ['', '7 4', '2 3', '10 3 2 3', '1 3', '12 4 4 4', '5 2'] as const;

const colourOf = (index: number) => seriesColours[index % seriesColours.length]!;
const dashOf = (index: number) => seriesDashes[index % seriesDashes.length]!;
const r1 = (x: number) => Math.round(x * 10) / 10;
const isFiniteNumber = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

function niceStep(raw: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / magnitude;
  const nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 2.5 ? 2.5 : fraction <= 5 ? 5 : 10;
  return nice * magnitude;
}

/**
 * Round tick values covering [min, max] with about `target` intervals; the first and last tick are
 * the axis domain. A degenerate range widens to [0, 1] at zero and by 10% of the value otherwise.
 */
export function niceTicks(min: number, max: number, target = 5): number[] {
  if (!isFiniteNumber(min) || !isFiniteNumber(max)) return [0, 1];
  let lo = Math.min(min, max);
  let hi = Math.max(min, max);
  if (lo === hi) {
    const spread = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    if (lo === 0) hi = 1;
    else {
      lo -= spread;
      hi += spread;
    }
  }
  const step = niceStep((hi - lo) / Math.max(1, target));
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  const ticks: number[] = [];
  for (let i = first; i <= last; i++) ticks.push(Number((i * step).toPrecision(12)));
  return ticks;
}

/** At most `max` of the sorted unique values, evenly strided, always keeping the first. */
export function strideTicks(values: readonly number[], max: number): number[] {
  const unique = [...new Set(values)].sort((a, b) => a - b);
  if (unique.length <= max) return unique;
  const stride = Math.ceil(unique.length / max);
  return unique.filter((_, i) => i % stride === 0);
}

const width = 720;
const plotHeight = 200;
const margin = { top: 24, right: 24, left: 64 };
const edgePadding = 14;
const legendRowHeight = 18;
const charWidth = 6.4;

interface LegendItem {
  label: string;
  swatch: (x: number, y: number) => string;
}

function legendRows(items: readonly LegendItem[], available: number): LegendItem[][] {
  const rows: LegendItem[][] = [];
  let row: LegendItem[] = [];
  let used = 0;
  for (const item of items) {
    const itemWidth = 34 + item.label.length * charWidth + 18;
    if (row.length > 0 && used + itemWidth > available) {
      rows.push(row);
      row = [];
      used = 0;
    }
    row.push(item);
    used += itemWidth;
  }
  if (row.length > 0) rows.push(row);
  return rows;
}

function legendSvg(rows: readonly LegendItem[][], left: number, top: number): string {
  const parts: string[] = [];
  rows.forEach((row, r) => {
    let x = left;
    const y = top + r * legendRowHeight;
    for (const item of row) {
      parts.push(
        item.swatch(x, y),
        `<text x="${r1(x + 30)}" y="${r1(y + 4)}">${escapeHtml(item.label)}</text>`,
      );
      x += 34 + item.label.length * charWidth + 18;
    }
  });
  return `<g class="legend">${parts.join('')}</g>`;
}

function svgOpen(id: string, title: string, height: number): string {
  return (
    `<svg id="${escapeHtml(id)}" class="chart" viewBox="0 0 ${width} ${r1(height)}" role="img" ` +
    `aria-labelledby="${escapeHtml(id)}-title" font-family="system-ui, sans-serif" font-size="11" fill="#1b1f24">` +
    `<title id="${escapeHtml(id)}-title">${escapeHtml(title)}</title>`
  );
}

/**
 * A time-series line chart: one line and one `<circle>` marker per finite point of each series, x by
 * time (UTC tick labels), y by value with round ticks, dashed labelled thresholds, a `<title>` tooltip
 * on every marker. Open windows get hollow, dashed markers. With no finite point at all the chart
 * says so instead of drawing empty axes.
 */
export function lineChartSvg(series: readonly ChartSeries[], options: LineChartOptions): string {
  const formatY = options.formatY ?? formatNumber;
  const thresholds = (options.thresholds ?? []).filter((t) => isFiniteNumber(t.value));
  const drawn = series.map((s) => ({
    ...s,
    points: s.points.filter((p) => isFiniteNumber(p.x)),
  }));
  const finite = drawn.flatMap((s) => s.points.filter((p) => isFiniteNumber(p.y)));
  const xs = drawn.flatMap((s) => s.points.map((p) => p.x));
  const hasOpen = finite.some((p) => p.open);
  if (finite.length === 0) {
    return `${svgOpen(options.id, options.title, 80)}<text x="${width / 2}" y="44" text-anchor="middle">No values in these windows.</text></svg>`;
  }

  const legendItems: LegendItem[] = drawn.map((s, index) => ({
    label: s.name,
    swatch: (x, y) =>
      `<line x1="${r1(x)}" y1="${r1(y)}" x2="${r1(x + 24)}" y2="${r1(y)}" stroke="${colourOf(index)}" stroke-width="2.5"${dashOf(index) ? ` stroke-dasharray="${dashOf(index)}"` : ''}/>`,
  }));
  if (hasOpen)
    legendItems.push({
      label: 'open window (partial data)',
      // A rounded square drawn as a ring, so `<circle>` stays one per data point.
      swatch: (x, y) =>
        `<rect x="${r1(x + 7.5)}" y="${r1(y - 4.5)}" width="9" height="9" rx="4.5" fill="#ffffff" stroke="#1b1f24" stroke-width="1.5" stroke-dasharray="2 1.5"/>`,
    });
  const plotLeft = margin.left;
  const plotRight = width - margin.right;
  const plotTop = margin.top;
  const plotBottom = plotTop + plotHeight;
  const rows = legendRows(legendItems, plotRight - plotLeft);
  const legendTop = plotBottom + 22 + (options.xLabel ? 16 : 0) + 18;
  const height = legendTop + rows.length * legendRowHeight;

  const values = [...finite.map((p) => p.y as number), ...thresholds.map((t) => t.value)];
  let lo = Math.min(0, ...values);
  let hi = Math.max(...values);
  if (options.yDomain) {
    lo = Math.min(lo, options.yDomain[0]);
    hi = Math.max(hi, options.yDomain[1]);
  }
  const ticks = niceTicks(lo, hi, 5);
  const yMin = ticks[0]!;
  const yMax = ticks[ticks.length - 1]!;
  const yOf = (v: number) => plotBottom - ((v - yMin) / (yMax - yMin)) * plotHeight;
  const xMin = Math.min(...xs);
  const xMax = Math.max(...xs);
  const xOf = (t: number) =>
    xMax === xMin
      ? (plotLeft + plotRight) / 2
      : plotLeft + edgePadding + ((t - xMin) / (xMax - xMin)) * (plotRight - plotLeft - 2 * edgePadding);

  const parts: string[] = [svgOpen(options.id, options.title, height)];
  // Grid and y axis.
  parts.push('<g class="axis y-axis">');
  for (const tick of ticks) {
    const y = r1(yOf(tick));
    parts.push(
      `<line x1="${plotLeft}" y1="${y}" x2="${plotRight}" y2="${y}" stroke="#e3e6ea" stroke-width="1"/>`,
      `<text x="${plotLeft - 6}" y="${r1(y + 4)}" text-anchor="end">${escapeHtml(formatY(tick))}</text>`,
    );
  }
  parts.push('</g>');
  if (options.yLabel)
    parts.push(
      `<text x="14" y="${r1((plotTop + plotBottom) / 2)}" text-anchor="middle" transform="rotate(-90 14 ${r1((plotTop + plotBottom) / 2)})">${escapeHtml(options.yLabel)}</text>`,
    );
  // X axis with UTC time ticks.
  const style = timeLabelStyle(xs);
  parts.push(
    '<g class="axis x-axis">',
    `<line x1="${plotLeft}" y1="${plotBottom}" x2="${plotRight}" y2="${plotBottom}" stroke="#59606b" stroke-width="1"/>`,
    `<line x1="${plotLeft}" y1="${plotTop}" x2="${plotLeft}" y2="${plotBottom}" stroke="#59606b" stroke-width="1"/>`,
  );
  for (const tick of strideTicks(xs, 8)) {
    const x = r1(xOf(tick));
    parts.push(
      `<line x1="${x}" y1="${plotBottom}" x2="${x}" y2="${plotBottom + 5}" stroke="#59606b" stroke-width="1"/>`,
      `<text x="${x}" y="${plotBottom + 18}" text-anchor="middle">${escapeHtml(timeLabel(tick, style))}</text>`,
    );
  }
  parts.push('</g>');
  if (options.xLabel)
    parts.push(
      `<text x="${r1((plotLeft + plotRight) / 2)}" y="${plotBottom + 36}" text-anchor="middle">${escapeHtml(options.xLabel)}</text>`,
    );
  // Thresholds: dashed and labelled, so they read without colour.
  for (const threshold of thresholds) {
    const y = r1(yOf(threshold.value));
    parts.push(
      `<g class="threshold"><line x1="${plotLeft}" y1="${y}" x2="${plotRight}" y2="${y}" stroke="#b3261e" stroke-width="1.5" stroke-dasharray="6 4"/>`,
      `<text x="${plotRight - 4}" y="${r1(y - 5)}" text-anchor="end" fill="#8c1d18">${escapeHtml(threshold.label)}</text></g>`,
    );
  }
  // Lines, broken at missing values, then markers on top.
  drawn.forEach((s, index) => {
    const colour = colourOf(index);
    const dash = dashOf(index);
    const sorted = [...s.points].sort((a, b) => a.x - b.x);
    let path = '';
    let previousDrawn = false;
    for (const point of sorted) {
      if (!isFiniteNumber(point.y)) {
        previousDrawn = false;
        continue;
      }
      path += `${previousDrawn ? 'L' : 'M'}${r1(xOf(point.x))} ${r1(yOf(point.y))} `;
      previousDrawn = true;
    }
    const markers = sorted
      .filter((point) => isFiniteNumber(point.y))
      .map((point) => {
        const cx = r1(xOf(point.x));
        const cy = r1(yOf(point.y as number));
        const tooltip = `${s.name}: ${formatY(point.y as number)}${point.tooltip ? ` — ${point.tooltip}` : ''}${point.open ? ' (open window, partial data)' : ''}`;
        const look = point.open
          ? `r="4.5" fill="#ffffff" stroke="${colour}" stroke-width="2" stroke-dasharray="2 1.5"`
          : `r="3.5" fill="${colour}" stroke="#ffffff" stroke-width="1"`;
        return `<circle class="point${point.open ? ' open' : ''}" cx="${cx}" cy="${cy}" ${look}><title>${escapeHtml(tooltip)}</title></circle>`;
      });
    parts.push(
      `<g class="series" data-series="${index}">`,
      path
        ? `<path d="${path.trim()}" fill="none" stroke="${colour}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`
        : '',
      ...markers,
      '</g>',
    );
  });
  parts.push(legendSvg(rows, plotLeft, legendTop), '</svg>');
  return parts.join('');
}

export interface GroupRate {
  group: string;
  /** A share in [0, 1]. */
  rate: number;
  /** A confidence interval around `rate` (Wilson), when known. */
  low?: number;
  high?: number;
  n?: number;
}

export interface GroupRateChartOptions {
  id: string;
  title: string;
  /** A dashed vertical reference, e.g. four fifths of the highest rate. */
  reference?: ChartThreshold;
}

const maxLabelLength = 24;

function truncate(label: string): string {
  const chars = [...label];
  return chars.length <= maxLabelLength ? label : `${chars.slice(0, maxLabelLength - 1).join('')}…`;
}

/**
 * Horizontal bars of per-group rates on a 0–100% axis, one `<rect class="bar">` per group, with an
 * interval whisker where `low`/`high` are known and the value written beside each bar.
 */
export function groupRateChartSvg(groups: readonly GroupRate[], options: GroupRateChartOptions): string {
  const rowHeight = 26;
  const top = 26;
  const left = 170;
  const right = width - 200;
  const height = top + Math.max(1, groups.length) * rowHeight + 34;
  const xOf = (v: number) => left + Math.min(1, Math.max(0, v)) * (right - left);
  const parts: string[] = [svgOpen(options.id, options.title, height)];
  if (groups.length === 0) {
    parts.push(
      `<text x="${width / 2}" y="${top + 14}" text-anchor="middle">No group has enough rows.</text></svg>`,
    );
    return parts.join('');
  }
  const axisY = top + groups.length * rowHeight + 4;
  parts.push('<g class="axis x-axis">');
  for (const tick of [0, 0.2, 0.4, 0.6, 0.8, 1]) {
    const x = r1(xOf(tick));
    parts.push(
      `<line x1="${x}" y1="${top - 4}" x2="${x}" y2="${axisY}" stroke="#e3e6ea" stroke-width="1"/>`,
      `<text x="${x}" y="${axisY + 16}" text-anchor="middle">${formatPercent(tick)}</text>`,
    );
  }
  parts.push(
    `<line x1="${left}" y1="${axisY}" x2="${right}" y2="${axisY}" stroke="#59606b" stroke-width="1"/></g>`,
  );
  groups.forEach((group, index) => {
    const y = top + index * rowHeight;
    const mid = r1(y + rowHeight / 2 - 2);
    const rate = Math.min(1, Math.max(0, group.rate));
    const hasInterval = isFiniteNumber(group.low) && isFiniteNumber(group.high);
    const interval = hasInterval ? ` [${formatPercent(group.low)}–${formatPercent(group.high)}]` : '';
    const size = isFiniteNumber(group.n) ? ` n = ${group.n}` : '';
    const tooltip = `${group.group}: selection rate ${formatPercent(group.rate)}${hasInterval ? `, 95% interval${interval}` : ''}${size ? `,${size}` : ''}`;
    parts.push(
      `<g class="group"><title>${escapeHtml(tooltip)}</title>`,
      `<text x="${left - 8}" y="${r1(mid + 4)}" text-anchor="end">${escapeHtml(truncate(group.group))}</text>`,
      `<rect class="bar" x="${left}" y="${r1(mid - 7)}" width="${r1(xOf(rate) - left)}" height="14" fill="${seriesColours[0]}"/>`,
    );
    if (hasInterval) {
      const a = r1(xOf(group.low as number));
      const b = r1(xOf(group.high as number));
      parts.push(
        `<g class="interval" stroke="#1b1f24" stroke-width="1.5"><line x1="${a}" y1="${mid}" x2="${b}" y2="${mid}"/>`,
        `<line x1="${a}" y1="${r1(mid - 5)}" x2="${a}" y2="${r1(mid + 5)}"/><line x1="${b}" y1="${r1(mid - 5)}" x2="${b}" y2="${r1(mid + 5)}"/></g>`,
      );
    }
    parts.push(
      `<text x="${right + 8}" y="${r1(mid + 4)}">${escapeHtml(`${formatPercent(group.rate)}${interval}${size}`)}</text></g>`,
    );
  });
  if (options.reference && isFiniteNumber(options.reference.value)) {
    const x = r1(xOf(options.reference.value));
    parts.push(
      `<g class="threshold"><line x1="${x}" y1="${top - 6}" x2="${x}" y2="${axisY}" stroke="#b3261e" stroke-width="1.5" stroke-dasharray="6 4"/>`,
      `<text x="${x}" y="${top - 10}" text-anchor="middle" fill="#8c1d18">${escapeHtml(options.reference.label)}</text></g>`,
    );
  }
  parts.push('</svg>');
  return parts.join('');
}
