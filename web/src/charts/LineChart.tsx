import { niceTicks, seriesColours, seriesDashes, strideTicks } from '../../../src/monitor/report/charts.js';
import { absoluteTime, axisTimeLabel } from '../time.js';

/**
 * A time-series line chart in SVG, after the offline monitoring report's (src/monitor/report/charts.ts,
 * whose tick and colour choices it reuses) but in the viewer's time zone. Series differ by dash as
 * well as colour, open windows have hollow markers, thresholds are dashed and labelled, and the
 * values are also in a table for screen readers and keyboards.
 */

export interface Point {
  x: number;
  y: number | null;
  open?: boolean;
}

export interface Series {
  name: string;
  points: readonly Point[];
}

export interface Threshold {
  value: number;
  label: string;
}

const width = 720;
const plot = { top: 20, right: 20, bottom: 210, left: 56 };
const finite = (y: number | null | undefined): y is number => typeof y === 'number' && Number.isFinite(y);

export function LineChart({
  title,
  series,
  thresholds = [],
  yDomain,
  formatY = (value) => String(Number(value.toFixed(3))),
}: {
  title: string;
  series: readonly Series[];
  thresholds?: readonly Threshold[];
  yDomain?: readonly [number, number];
  formatY?: (value: number) => string;
}) {
  const values = series.flatMap((s) => s.points.map((p) => p.y).filter(finite));
  const xs = series.flatMap((s) => s.points.map((p) => p.x));
  if (values.length === 0)
    return (
      <figure className="chart">
        <figcaption>{title}</figcaption>
        <p className="muted">No values in these windows.</p>
      </figure>
    );
  const all = [...values, ...thresholds.map((t) => t.value), ...(yDomain ?? [])];
  const ticks = niceTicks(Math.min(0, ...all), Math.max(...all), 5);
  const yMin = ticks[0]!;
  const yMax = ticks.at(-1)!;
  const xMin = Math.min(...xs);
  const xMax = Math.max(...xs);
  const span = xMax - xMin;
  const yOf = (v: number) => plot.bottom - ((v - yMin) / (yMax - yMin || 1)) * (plot.bottom - plot.top);
  const xOf = (t: number) =>
    span === 0
      ? (plot.left + width - plot.right) / 2
      : plot.left + 12 + ((t - xMin) / span) * (width - plot.right - plot.left - 24);
  const legendTop = plot.bottom + 40;
  // As many legend columns as the longest name allows (about 6.5 px a character at 11 px).
  const columnWidth = 44 + Math.max(...series.map((s) => s.name.length)) * 6.5;
  const columns = Math.max(1, Math.min(series.length, Math.floor((width - plot.left) / columnWidth)));
  const height = legendTop + Math.ceil(series.length / columns) * 18 + 4;

  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={title}>
        {ticks.map((tick) => (
          <g key={tick} className="grid">
            <line x1={plot.left} x2={width - plot.right} y1={yOf(tick)} y2={yOf(tick)} />
            <text x={plot.left - 6} y={yOf(tick) + 4} textAnchor="end">
              {formatY(tick)}
            </text>
          </g>
        ))}
        <line className="axis" x1={plot.left} x2={width - plot.right} y1={plot.bottom} y2={plot.bottom} />
        {strideTicks(xs, 7).map((tick) => (
          <text key={tick} className="x-tick" x={xOf(tick)} y={plot.bottom + 18} textAnchor="middle">
            {axisTimeLabel(tick, span)}
          </text>
        ))}
        {thresholds.map((threshold) => (
          <g key={threshold.label} className="threshold">
            <line
              x1={plot.left}
              x2={width - plot.right}
              y1={yOf(threshold.value)}
              y2={yOf(threshold.value)}
            />
            <text x={width - plot.right - 4} y={yOf(threshold.value) - 5} textAnchor="end">
              {threshold.label}
            </text>
          </g>
        ))}
        {series.map((s, index) => {
          const colour = seriesColours[index % seriesColours.length]!;
          const dash = seriesDashes[index % seriesDashes.length] || undefined;
          const sorted = [...s.points].sort((a, b) => a.x - b.x);
          let path = '';
          let drawing = false;
          for (const point of sorted) {
            if (!finite(point.y)) {
              drawing = false;
              continue;
            }
            path += `${drawing ? 'L' : 'M'}${xOf(point.x).toFixed(1)} ${yOf(point.y).toFixed(1)} `;
            drawing = true;
          }
          return (
            <g key={s.name} className="series">
              <path d={path.trim()} fill="none" stroke={colour} strokeWidth={2} strokeDasharray={dash} />
              {sorted
                .filter((point) => finite(point.y))
                .map((point) => (
                  <circle
                    key={point.x}
                    cx={xOf(point.x)}
                    cy={yOf(point.y!)}
                    r={point.open ? 4.5 : 3.5}
                    fill={point.open ? '#ffffff' : colour}
                    stroke={point.open ? colour : '#ffffff'}
                    strokeWidth={point.open ? 2 : 1}
                  >
                    <title>
                      {`${s.name}: ${formatY(point.y!)} — ${absoluteTime(new Date(point.x))}${point.open ? ' (open window, partial data)' : ''}`}
                    </title>
                  </circle>
                ))}
            </g>
          );
        })}
        {series.map((s, index) => {
          const x = plot.left + (index % columns) * columnWidth;
          const y = legendTop + Math.floor(index / columns) * 18;
          return (
            <g key={s.name} className="legend">
              <line
                x1={x}
                x2={x + 24}
                y1={y}
                y2={y}
                stroke={seriesColours[index % seriesColours.length]}
                strokeWidth={2.5}
                strokeDasharray={seriesDashes[index % seriesDashes.length] || undefined}
              />
              <text x={x + 30} y={y + 4}>
                {s.name}
              </text>
            </g>
          );
        })}
      </svg>
      <details className="chart-table">
        <summary>Values as a table</summary>
        <div className="table-wrap">
          <table className="data-table compact">
            <thead>
              <tr>
                <th scope="col">Window start</th>
                {series.map((s) => (
                  <th scope="col" key={s.name}>
                    {s.name}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {[...new Set(xs)]
                .sort((a, b) => a - b)
                .map((x) => (
                  <tr key={x}>
                    <td>{absoluteTime(new Date(x))}</td>
                    {series.map((s) => {
                      const y = s.points.find((p) => p.x === x)?.y;
                      return <td key={s.name}>{finite(y) ? formatY(y) : '—'}</td>;
                    })}
                  </tr>
                ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}
