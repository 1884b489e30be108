import type { AlertState } from '../alerts.js';
import type { DriftResult, FairnessSummary, WindowMetrics } from '../evaluate.js';
import { type ChartPoint, type ChartSeries, groupRateChartSvg, lineChartSvg } from './charts.js';
import { type GroupSelection, groupSelections } from './fairness.js';
import { describeMethod, driftHeatmapCell, driftSeverity, heatmapTable, isPValueMethod } from './heatmap.js';
import {
  escapeHtml,
  formatCount,
  formatNumber,
  formatPercent,
  formatUtc,
  formatUtcRange,
  missingValue,
  timeLabel,
  timeLabelStyle,
  toEpochMs,
} from './markup.js';

/**
 * The monitoring report as one self-contained HTML page (`arbiter monitor report --html FILE`):
 * inline CSS, inline SVG charts, no script and no external resource, so it opens offline, prints,
 * and can be attached to an incident. Every string from the input is escaped; all times are UTC.
 */

export type ReportWindow = WindowMetrics & { open?: boolean };

export interface AlertEvent {
  time: string;
  type: 'alert.firing' | 'alert.resolved';
  policy: string;
  alert: string;
  severity: string;
  message: string;
}

export interface MonitoringReportInput {
  system: string;
  /** ISO time. */
  generatedAt: string;
  profile?: { source: string; rows: number; createdAt: string; window: string };
  /** Oldest first (a precondition: the charts and "latest closed window" rely on it). */
  windows: ReportWindow[];
  alerts: AlertState[];
  /** Alert history entries from the ledger, optional: fired/resolved with time. */
  alertEvents?: AlertEvent[];
}

/** The four-fifths rule: a ratio of group rates below 0.8 is the usual sign of adverse impact. */
export const fourFifths = 0.8;

const isFiniteNumber = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

const performanceMetrics = [
  ['accuracy', 'Accuracy'],
  ['precision', 'Precision'],
  ['recall', 'Recall'],
  ['f1', 'F1'],
  ['rocAuc', 'ROC AUC'],
] as const;
const regressionMetrics = [
  ['mae', 'MAE'],
  ['rmse', 'RMSE'],
] as const;

const statusOrder: Record<string, number> = { firing: 0, pending: 1, ok: 2 };
const severityOrder: Record<string, number> = { critical: 0, warning: 1, info: 2 };
const statusSymbols: Record<string, string> = { firing: '▲', pending: '◐', ok: '✓' };
const severitySymbols: Record<string, string> = { critical: '‼', warning: '!', info: 'i' };

/** The last window that is not open; undefined when every window is still open. */
export function latestClosedWindow(windows: readonly ReportWindow[]): ReportWindow | undefined {
  for (let i = windows.length - 1; i >= 0; i--) if (!windows[i]!.open) return windows[i];
  return undefined;
}

/** Names in order of first appearance across windows. */
function unionKeys(records: readonly (Record<string, unknown> | undefined)[]): string[] {
  const seen = new Set<string>();
  for (const record of records) for (const key of Object.keys(record ?? {})) seen.add(key);
  return [...seen];
}

const rangeOf = (w: ReportWindow) => formatUtcRange(w.window.start, w.window.end);
const startOf = (w: ReportWindow) => toEpochMs(w.window.start) ?? Number.NaN;
const featuresOf = (w: ReportWindow): Record<string, DriftResult> => w.drift?.features ?? {};
const fairnessOf = (w: ReportWindow): Record<string, FairnessSummary> => w.fairness ?? {};

function point(w: ReportWindow, y: number | null | undefined, tooltip = ''): ChartPoint {
  return {
    x: startOf(w),
    y: isFiniteNumber(y) ? y : null,
    ...(w.open ? { open: true } : {}),
    tooltip: tooltip ? `${rangeOf(w)}; ${tooltip}` : rangeOf(w),
  };
}

const hasValue = (series: ChartSeries) => series.points.some((p) => isFiniteNumber(p.y));

function figure(chart: string, caption: string): string {
  return `<figure>${chart}<figcaption>${caption}</figcaption></figure>`;
}

function empty(text: string): string {
  return `<p class="empty">${escapeHtml(text)}</p>`;
}

function section(id: string, heading: string, body: string): string {
  return `<section id="${id}" aria-labelledby="${id}-heading"><h2 id="${id}-heading">${escapeHtml(heading)}</h2>${body}</section>`;
}

// --- header -----------------------------------------------------------------------------------

function summaryLine(input: MonitoringReportInput): string {
  const firing = input.alerts.filter((a) => a.status === 'firing');
  const pending = input.alerts.filter((a) => a.status === 'pending');
  const parts: string[] = [];
  if (firing.length > 0) {
    const bySeverity = Object.entries(
      firing.reduce<Record<string, number>>((acc, a) => {
        acc[a.severity] = (acc[a.severity] ?? 0) + 1;
        return acc;
      }, {}),
    )
      .sort(([a], [b]) => (severityOrder[a] ?? 9) - (severityOrder[b] ?? 9))
      .map(([severity, count]) => `${count} ${severity}`)
      .join(', ');
    parts.push(`▲ ${firing.length} alert${firing.length === 1 ? '' : 's'} firing (${bySeverity})`);
  } else parts.push('✓ No alerts firing');
  if (pending.length > 0) parts.push(`◐ ${pending.length} pending`);
  const latest = latestClosedWindow(input.windows);
  if (latest) {
    const drifted = Object.entries(featuresOf(latest)).filter(([, r]) => r.drifted);
    const total = Object.keys(featuresOf(latest)).length;
    parts.push(
      drifted.length > 0
        ? `${drifted.length} of ${total} features drifted in the latest closed window (${drifted.map(([name]) => name).join(', ')})`
        : `no feature drifted in the latest closed window`,
    );
    const unfair = Object.entries(fairnessOf(latest))
      .filter(([, f]) => isFiniteNumber(f?.demographicParityRatio) && f.demographicParityRatio < fourFifths)
      .map(([attribute]) => attribute);
    if (unfair.length > 0)
      parts.push(`demographic parity ratio below ${fourFifths} for ${unfair.join(', ')}`);
  }
  const alerting = firing.length > 0;
  return `<p class="summary${alerting ? ' alerting' : ''}" role="status">${escapeHtml(parts.join(' · '))}</p>`;
}

function fact(term: string, description: string): string {
  return `<div><dt>${escapeHtml(term)}</dt><dd>${escapeHtml(description)}</dd></div>`;
}

function header(input: MonitoringReportInput): string {
  const { windows } = input;
  const facts: string[] = [];
  if (windows.length > 0) {
    const first = windows[0]!;
    const last = windows[windows.length - 1]!;
    const rows = windows.reduce((sum, w) => sum + (isFiniteNumber(w.window.rows) ? w.window.rows : 0), 0);
    const labeled = windows.reduce(
      (sum, w) => sum + (isFiniteNumber(w.window.labeled) ? w.window.labeled : 0),
      0,
    );
    const rejected = windows.reduce(
      (sum, w) => sum + (isFiniteNumber(w.window.rejected) ? w.window.rejected : 0),
      0,
    );
    const open = windows.filter((w) => w.open).length;
    facts.push(
      fact('Period', formatUtcRange(first.window.start, last.window.end)),
      fact('Windows', `${windows.length}${open > 0 ? ` (${open} open, still filling)` : ''}`),
      fact('Rows', formatCount(rows)),
      fact('Labeled rows', `${formatCount(labeled)}${rows > 0 ? ` (${formatPercent(labeled / rows)})` : ''}`),
      fact('Rejected rows', formatCount(rejected)),
    );
  }
  if (input.profile) {
    const p = input.profile;
    facts.push(
      fact(
        'Reference profile',
        `${p.source} · ${formatCount(p.rows)} rows · created ${formatUtc(p.createdAt)} · window ${p.window}`,
      ),
    );
  } else facts.push(fact('Reference profile', 'not given'));
  facts.push(fact('Generated', formatUtc(input.generatedAt)));
  return (
    `<header><h1>Monitoring report: <span class="system">${escapeHtml(input.system)}</span></h1>` +
    `${summaryLine(input)}<dl class="facts">${facts.join('')}</dl></header>`
  );
}

// --- alerts -----------------------------------------------------------------------------------

function factsList(facts: unknown): string {
  if (typeof facts !== 'object' || facts === null || Array.isArray(facts)) return missingValue;
  const entries = Object.entries(facts);
  if (entries.length === 0) return missingValue;
  const items = entries.map(([key, value]) => {
    let shown: string;
    try {
      shown = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
    } catch {
      shown = String(value);
    }
    return `<li><span class="key">${escapeHtml(key)}</span>: <code>${escapeHtml(shown)}</code></li>`;
  });
  return `<ul class="kv">${items.join('')}</ul>`;
}

/** Firing first, then pending, then ok; within each, the most severe first, then by name. */
export function sortAlerts(alerts: readonly AlertState[]): AlertState[] {
  return [...alerts].sort(
    (a, b) =>
      (statusOrder[a.status] ?? 9) - (statusOrder[b.status] ?? 9) ||
      (severityOrder[a.severity] ?? 9) - (severityOrder[b.severity] ?? 9) ||
      `${a.policy}/${a.alert}`.localeCompare(`${b.policy}/${b.alert}`),
  );
}

function alertsSection(input: MonitoringReportInput): string {
  const parts: string[] = [];
  if (input.alerts.length === 0)
    parts.push(empty('No alert conditions have been evaluated for this system.'));
  else {
    const rows = sortAlerts(input.alerts).map((a) => {
      const status = String(a.status);
      const since =
        status === 'firing' && a.firingSince
          ? formatUtc(a.firingSince)
          : status === 'pending'
            ? `held ${a.consecutive} window${a.consecutive === 1 ? '' : 's'}`
            : missingValue;
      const error = a.lastError
        ? `<div class="error">⚠ last evaluation failed: ${escapeHtml(a.lastError)}</div>`
        : '';
      return (
        `<tr class="alert ${escapeHtml(status)}">` +
        `<td><span class="status ${escapeHtml(status)}">${statusSymbols[status] ?? '?'} ${escapeHtml(status)}</span></td>` +
        `<td><span class="severity ${escapeHtml(String(a.severity))}">${severitySymbols[a.severity] ?? '·'} ${escapeHtml(String(a.severity))}</span></td>` +
        `<td>${escapeHtml(a.policy)} / ${escapeHtml(a.alert)}</td>` +
        `<td>${escapeHtml(since)}</td>` +
        `<td>${escapeHtml(a.message)}${error}</td>` +
        `<td>${factsList(a.facts)}</td></tr>`
      );
    });
    parts.push(
      `<div class="scroll"><table id="alerts-table"><caption>Current alert states</caption><thead><tr>` +
        '<th scope="col">Status</th><th scope="col">Severity</th><th scope="col">Policy / alert</th>' +
        '<th scope="col">Since</th><th scope="col">Message</th><th scope="col">Facts</th>' +
        `</tr></thead><tbody>${rows.join('')}</tbody></table></div>`,
    );
  }
  if (input.alertEvents) {
    const events = [...input.alertEvents].sort((a, b) => (toEpochMs(a.time) ?? 0) - (toEpochMs(b.time) ?? 0));
    parts.push('<h3>History</h3>');
    if (events.length === 0) parts.push(empty('No alert fired or resolved in the recorded history.'));
    else {
      const rows = events.map((e) => {
        const fired = e.type === 'alert.firing';
        return (
          `<tr class="${fired ? 'fired' : 'resolved'}"><td>${escapeHtml(formatUtc(e.time))}</td>` +
          `<td>${fired ? '▲ fired' : '✓ resolved'}</td>` +
          `<td>${escapeHtml(e.policy)} / ${escapeHtml(e.alert)}</td>` +
          `<td>${escapeHtml(e.severity)}</td><td>${escapeHtml(e.message)}</td></tr>`
        );
      });
      parts.push(
        `<div class="scroll"><table id="alert-history"><caption>Alerts fired and resolved, oldest first</caption><thead><tr>` +
          '<th scope="col">Time</th><th scope="col">Event</th><th scope="col">Policy / alert</th>' +
          '<th scope="col">Severity</th><th scope="col">Message</th>' +
          `</tr></thead><tbody>${rows.join('')}</tbody></table></div>`,
      );
    }
  }
  return section('alerts', 'Alerts', parts.join(''));
}

// --- drift ------------------------------------------------------------------------------------

function thresholdPhrase(result: Pick<DriftResult, 'method' | 'threshold'>): string {
  return isPValueMethod(String(result.method))
    ? `threshold ${formatNumber(result.threshold)} (drift below)`
    : `threshold ${formatNumber(result.threshold)} (drift at or above)`;
}

function driftSection(windows: readonly ReportWindow[]): string {
  const parts: string[] = [];
  const share: ChartSeries = {
    name: 'share of features drifted',
    points: windows.map((w) => {
      const d = w.datasetDrift;
      const names = Array.isArray(d?.features) && d.features.length > 0 ? `: ${d.features.join(', ')}` : '';
      return point(
        w,
        d?.share,
        d ? `${d.drifted} of ${d.total} features drifted${names}` : 'no drift result',
      );
    }),
  };
  parts.push(
    '<h3>Dataset drift</h3>',
    hasValue(share)
      ? figure(
          lineChartSvg([share], {
            id: 'chart-dataset-drift',
            title: 'Share of features drifted per window',
            yDomain: [0, 1],
            formatY: formatPercent,
            yLabel: 'features drifted',
            xLabel: 'window start (UTC)',
          }),
          'Share of monitored features whose drift test fired in each window. Hollow points are open windows.',
        )
      : empty('No dataset drift results in these windows.'),
  );

  // Per-feature heatmap.
  const features = unionKeys(windows.map(featuresOf));
  parts.push('<h3>Drift per feature</h3>');
  if (features.length === 0) parts.push(empty('No feature drift results in these windows.'));
  else {
    const style = timeLabelStyle(windows.map(startOf).filter(Number.isFinite));
    const columns = windows.map((w) => ({
      label: Number.isFinite(startOf(w)) ? timeLabel(startOf(w), style) : w.window.start,
      tooltip: `${rangeOf(w)}${w.open ? ' (open window, partial data)' : ''}`,
      open: w.open === true,
    }));
    const rows = features.map((feature) => ({
      label: feature,
      cells: windows.map((w) =>
        driftHeatmapCell(featuresOf(w)[feature], { row: feature, column: rangeOf(w) }),
      ),
    }));
    parts.push(
      heatmapTable({
        id: 'heatmap-feature-drift',
        caption: 'Drift score per feature (rows) and window (columns, start time UTC)',
        rowHeader: 'Feature',
        columns,
        rows,
      }),
      '<p class="legend-note">▲ and a red cell: drifted. Shading grows with the score relative to its threshold; ' +
        'p-value methods (ks, chi-square, z) drift below their threshold, distances at or above it. ' +
        '◔ marks an open window. Hover a cell for method, score, threshold and the bins that moved most.</p>',
    );
  }

  // Prediction drift.
  const predictions = windows.map((w) => w.drift?.prediction);
  const latestPrediction = [...predictions].reverse().find((p) => p !== undefined);
  parts.push('<h3>Prediction drift</h3>');
  if (!latestPrediction) parts.push(empty('No prediction drift results in these windows.'));
  else {
    const series: ChartSeries = {
      name: `prediction ${isPValueMethod(String(latestPrediction.method)) ? 'p-value' : 'score'}`,
      points: windows.map((w) => {
        const p = w.drift?.prediction;
        return point(
          w,
          p?.score,
          p ? `${describeMethod(String(p.method))}, drifted: ${p.drifted ? 'yes' : 'no'}` : '',
        );
      }),
    };
    const pValue = isPValueMethod(String(latestPrediction.method));
    parts.push(
      hasValue(series)
        ? figure(
            lineChartSvg([series], {
              id: 'chart-prediction-drift',
              title: 'Prediction drift score per window',
              ...(pValue ? { yDomain: [0, 1] as const } : {}),
              thresholds: [{ value: latestPrediction.threshold, label: thresholdPhrase(latestPrediction) }],
              yLabel: pValue ? 'p-value' : 'score',
              xLabel: 'window start (UTC)',
            }),
            escapeHtml(
              `Drift of the model's predictions: ${describeMethod(String(latestPrediction.method))}; the dashed line is the ${thresholdPhrase(latestPrediction)}.`,
            ),
          )
        : empty('Prediction drift could not be scored in these windows.'),
    );
  }
  return section('drift', 'Drift', parts.join(''));
}

// --- performance ------------------------------------------------------------------------------

function performanceSection(windows: readonly ReportWindow[]): string {
  const build = (metrics: readonly (readonly [string, string])[]) =>
    metrics
      .map(([key, label]) => ({
        name: label,
        points: windows.map((w) =>
          point(w, w.performance?.[key], `labeled rows ${formatCount(w.window.labeled)}`),
        ),
      }))
      .filter(hasValue);
  const classification = build(performanceMetrics);
  const regression = build(regressionMetrics);
  const parts: string[] = [];
  if (classification.length > 0)
    parts.push(
      figure(
        lineChartSvg(classification, {
          id: 'chart-performance',
          title: 'Classification performance per window',
          yDomain: [0, 1],
          xLabel: 'window start (UTC)',
        }),
        'Computed on the labeled rows of each window; a window without labels leaves a gap.',
      ),
    );
  if (regression.length > 0)
    parts.push(
      figure(
        lineChartSvg(regression, {
          id: 'chart-regression',
          title: 'Regression error per window',
          xLabel: 'window start (UTC)',
        }),
        'Mean absolute and root mean squared error on the labeled rows of each window.',
      ),
    );
  if (parts.length === 0)
    parts.push(empty('No labeled rows in these windows: performance needs ground-truth labels.'));
  return section('performance', 'Performance', parts.join(''));
}

// --- fairness ---------------------------------------------------------------------------------

function insufficientText(group: GroupSelection): string {
  return `${group.group}: insufficient (${group.n !== undefined ? `n = ${formatCount(group.n)} ` : 'n '}< min)`;
}

function groupTable(groups: readonly GroupSelection[], id: string): string {
  const fieldKeys = unionKeys(groups.map((g) => g.fields));
  const header = fieldKeys.map((key) => `<th scope="col">${escapeHtml(key)}</th>`).join('');
  const rows = groups.map((g) => {
    const cells = fieldKeys.map((key) => `<td>${escapeHtml(g.fields[key] ?? missingValue)}</td>`).join('');
    const status = g.insufficient ? insufficientText(g).slice(g.group.length + 2) : 'compared';
    return `<tr><th scope="row">${escapeHtml(g.group)}</th><td>${escapeHtml(status)}</td>${cells}</tr>`;
  });
  return (
    `<div class="scroll"><table id="${id}" class="groups"><caption>Per-group values</caption><thead><tr><th scope="col">Group</th>` +
    `<th scope="col">Status</th>${header}</tr></thead><tbody>${rows.join('')}</tbody></table></div>`
  );
}

function fairnessSection(windows: readonly ReportWindow[]): string {
  const attributes = unionKeys(windows.map(fairnessOf));
  if (attributes.length === 0)
    return section(
      'fairness',
      'Fairness',
      empty('No fairness metrics in these windows (no sensitive attributes).'),
    );
  const latest = latestClosedWindow(windows) ?? windows[windows.length - 1];
  const parts: string[] = [];
  attributes.forEach((attribute, index) => {
    parts.push(`<h3>${escapeHtml(attribute)}</h3>`);
    const ratio =
      (key: 'demographicParityRatio' | 'equalizedOddsRatio', difference: keyof FairnessSummary) =>
      (w: ReportWindow) => {
        const f = fairnessOf(w)[attribute];
        const d = f?.[difference];
        return point(w, f?.[key], isFiniteNumber(d) ? `difference ${formatNumber(d)}` : '');
      };
    const series: ChartSeries[] = [
      {
        name: 'demographic parity ratio',
        points: windows.map(ratio('demographicParityRatio', 'demographicParityDifference')),
      },
      {
        name: 'equalized odds ratio',
        points: windows.map(ratio('equalizedOddsRatio', 'equalizedOddsDifference')),
      },
    ];
    parts.push(
      series.some(hasValue)
        ? figure(
            lineChartSvg(series, {
              id: `chart-fairness-${index}`,
              title: `Fairness ratios per window for ${attribute}`,
              yDomain: [0, 1],
              thresholds: [{ value: fourFifths, label: `${fourFifths} four-fifths rule` }],
              xLabel: 'window start (UTC)',
            }),
            `Lowest group rate divided by the highest (1 is parity). Below the dashed ${fourFifths} line the four-fifths rule flags adverse impact.`,
          )
        : empty(
            `No fairness ratio could be computed for ${attribute} (too few rows per group or no labels).`,
          ),
    );
    const summary = latest ? fairnessOf(latest)[attribute] : undefined;
    if (!latest || !summary) {
      parts.push(empty(`No rows for ${attribute} in the latest closed window.`));
      return;
    }
    const groups = groupSelections(summary);
    const compared = groups.filter((g) => !g.insufficient && g.rate !== null);
    const highest = Math.max(0, ...compared.map((g) => g.rate as number));
    const hasIntervals = compared.some((g) => g.low !== undefined);
    parts.push(
      figure(
        groupRateChartSvg(
          compared.map((g) => ({
            group: g.group,
            rate: g.rate as number,
            ...(g.low !== undefined && g.high !== undefined ? { low: g.low, high: g.high } : {}),
            ...(g.n !== undefined ? { n: g.n } : {}),
          })),
          {
            id: `chart-selection-${index}`,
            title: `Selection rate per group of ${attribute}, ${rangeOf(latest)}`,
            ...(compared.length > 1
              ? { reference: { value: highest * fourFifths, label: '⅘ of highest' } }
              : {}),
          },
        ),
        escapeHtml(
          `Selection rate per group in the ${latest.open ? 'latest (open)' : 'latest closed'} window, ${rangeOf(latest)}` +
            `${hasIntervals ? ', with 95% Wilson intervals' : ''}. Groups left of the dashed line are below four fifths of the highest rate.`,
        ),
      ),
    );
    const insufficient = groups.filter((g) => g.insufficient);
    if (insufficient.length > 0)
      parts.push(
        `<p class="insufficient">Not compared: ${insufficient.map((g) => escapeHtml(insufficientText(g))).join('; ')}.</p>`,
      );
    if (groups.length > 0) parts.push(groupTable(groups, `groups-${index}`));
  });
  return section('fairness', 'Fairness', parts.join(''));
}

// --- per-window table -------------------------------------------------------------------------

function windowsSection(windows: readonly ReportWindow[]): string {
  const attributes = unionKeys(windows.map(fairnessOf));
  const showMae = windows.some((w) => isFiniteNumber(w.performance?.mae));
  const header = [
    'Start',
    'End',
    'Rows',
    'Labeled',
    'Rejected',
    'Dataset drift share',
    'Drifted features',
    'Accuracy',
    ...(showMae ? ['MAE'] : []),
    ...attributes.map((a) => `DP ratio (${a})`),
  ]
    .map((h) => `<th scope="col">${escapeHtml(h)}</th>`)
    .join('');
  const rows = windows.map((w) => {
    const d = w.datasetDrift;
    const drifted =
      Array.isArray(d?.features) && d.features.length > 0 ? d.features.join(', ') : missingValue;
    const share =
      d && isFiniteNumber(d.share) ? `${formatPercent(d.share)} (${d.drifted}/${d.total})` : missingValue;
    const dp = attributes.map((a) => {
      const ratio = fairnessOf(w)[a]?.demographicParityRatio;
      const low = isFiniteNumber(ratio) && ratio < fourFifths;
      return `<td class="num${low ? ' low' : ''}">${low ? '▼ ' : ''}${escapeHtml(formatNumber(ratio))}</td>`;
    });
    return (
      `<tr${w.open ? ' class="open"' : ''}><td>${escapeHtml(formatUtc(w.window.start))}${w.open ? ' <span class="tag">◔ open</span>' : ''}</td>` +
      `<td>${escapeHtml(formatUtc(w.window.end))}</td>` +
      `<td class="num">${formatCount(w.window.rows)}</td><td class="num">${formatCount(w.window.labeled)}</td>` +
      `<td class="num">${formatCount(w.window.rejected)}</td><td class="num">${escapeHtml(share)}</td>` +
      `<td>${escapeHtml(drifted)}</td><td class="num">${escapeHtml(formatNumber(w.performance?.accuracy))}</td>` +
      `${showMae ? `<td class="num">${escapeHtml(formatNumber(w.performance?.mae))}</td>` : ''}${dp.join('')}</tr>`
    );
  });
  return section(
    'windows',
    'Windows',
    `<div class="scroll"><table id="windows-table"><caption>Per-window metrics, oldest first (▼: demographic parity ratio below ${fourFifths})</caption>` +
      `<thead><tr>${header}</tr></thead><tbody>${rows.join('')}</tbody></table></div>`,
  );
}

// --- why --------------------------------------------------------------------------------------

function whyArticle(name: string, result: DriftResult): string {
  const method = String(result.method);
  const pValue = isPValueMethod(method);
  const comparison = pValue
    ? `p-value ${formatNumber(result.score)} ${result.score < result.threshold ? '<' : '≥'} threshold ${formatNumber(result.threshold)}`
    : `distance ${formatNumber(result.score)} ${result.score >= result.threshold ? '≥' : '<'} threshold ${formatNumber(result.threshold)}`;
  const extras = [
    `reference n = ${formatCount(result.referenceSize)}`,
    `current n = ${formatCount(result.currentSize)}`,
    ...(isFiniteNumber(result.statistic) ? [`statistic ${formatNumber(result.statistic)}`] : []),
    `PSI ${formatNumber(result.psi)}`,
    `Jensen–Shannon ${formatNumber(result.jensenShannon)}`,
  ].join(' · ');
  const bins = Array.isArray(result.topBins) ? result.topBins : [];
  const rows = bins.map((bin) => {
    const change =
      isFiniteNumber(bin.current) && isFiniteNumber(bin.reference) ? bin.current - bin.reference : null;
    const arrow = change === null ? '' : change > 0 ? '▲ +' : change < 0 ? '▼ −' : '';
    const changeText =
      change === null ? missingValue : `${arrow}${Number((Math.abs(change) * 100).toFixed(1))} pp`;
    return (
      `<tr><th scope="row">${escapeHtml(String(bin.bin))}</th><td class="num">${formatPercent(bin.reference)}</td>` +
      `<td class="num">${formatPercent(bin.current)}</td><td class="num">${escapeHtml(changeText)}</td>` +
      `<td class="num">${escapeHtml(formatNumber(bin.contribution))}</td></tr>`
    );
  });
  const table =
    rows.length > 0
      ? `<table class="bins"><caption>Bins that moved most</caption><thead><tr><th scope="col">Bin</th><th scope="col">Reference share</th>` +
        `<th scope="col">Current share</th><th scope="col">Change</th><th scope="col">Contribution</th></tr></thead><tbody>${rows.join('')}</tbody></table>`
      : empty('No bin-level shift recorded.');
  return (
    `<article class="why"><h3>${escapeHtml(name)}</h3><p>${escapeHtml(`${describeMethod(method)}: ${comparison} → drifted.`)}</p>` +
    `<p class="muted">${escapeHtml(extras)}</p>${table}</article>`
  );
}

function whySection(windows: readonly ReportWindow[]): string {
  const latest = latestClosedWindow(windows);
  if (!latest)
    return section(
      'why',
      'Why it drifted',
      empty('Every window is still open; details appear once a window closes.'),
    );
  const drifted = Object.entries(featuresOf(latest))
    .filter(([, result]) => result?.drifted)
    .sort(([, a], [, b]) => driftSeverity(b) - driftSeverity(a));
  const prediction = latest.drift?.prediction?.drifted
    ? [whyArticle('prediction', latest.drift.prediction)]
    : [];
  const intro = `<p>Latest closed window: ${escapeHtml(rangeOf(latest))}.</p>`;
  if (drifted.length === 0 && prediction.length === 0)
    return section('why', 'Why it drifted', intro + empty('No feature drifted in this window.'));
  return section(
    'why',
    'Why it drifted',
    intro + drifted.map(([name, result]) => whyArticle(name, result)).join('') + prediction.join(''),
  );
}

// --- page -------------------------------------------------------------------------------------

// No url(), no @import: the page must not reach out for anything.
const css = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1120px; padding: 24px; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1b1f24; background: #ffffff; }
h1 { font-size: 1.6em; margin: 0 0 8px; }
h2 { font-size: 1.3em; margin: 32px 0 8px; padding-bottom: 4px; border-bottom: 2px solid #d0d5dc; }
h3 { font-size: 1.08em; margin: 20px 0 6px; }
.system { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.summary { font-weight: 600; padding: 8px 12px; border: 1px solid #9ad0a8; background: #eef8f0; border-radius: 4px; }
.summary.alerting { border-color: #e0a3a0; background: #fdeeed; color: #6d1410; }
dl.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(240px, 1fr)); gap: 4px 16px; margin: 12px 0; }
dl.facts dt { font-size: 0.8em; text-transform: uppercase; letter-spacing: 0.04em; color: #4d5560; }
dl.facts dd { margin: 0; }
nav ul { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: 4px 16px; }
nav a { color: #0b57a4; }
table { border-collapse: collapse; margin: 8px 0 16px; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-size: 0.9em; color: #4d5560; padding-bottom: 4px; }
th, td { border: 1px solid #d0d5dc; padding: 4px 8px; text-align: left; vertical-align: top; }
thead th { background: #f3f5f7; }
td.num { text-align: right; white-space: nowrap; }
td.low { font-weight: 700; color: #8c1d18; }
tr.open td { background: #f7f8fa; font-style: italic; }
.tag { font-size: 0.85em; color: #4d5560; }
.scroll { overflow-x: auto; }
.status.firing, tr.fired td:nth-child(2) { color: #8c1d18; font-weight: 700; }
.status.pending { color: #7a4d00; font-weight: 600; }
.status.ok, tr.resolved td:nth-child(2) { color: #1d6b34; }
.severity.critical { font-weight: 700; }
.error { color: #8c1d18; margin-top: 4px; }
ul.kv { margin: 0; padding-left: 16px; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.9em; }
figure { margin: 8px 0 20px; }
figcaption, .legend-note, .muted, .insufficient { font-size: 0.9em; color: #4d5560; }
svg.chart { display: block; width: 100%; height: auto; max-width: 900px; }
table.heatmap td.heat { text-align: right; white-space: nowrap; min-width: 4.5em; }
table.heatmap td.drifted { font-weight: 700; outline: 2px solid #8c1d18; outline-offset: -2px; }
table.heatmap td.missing { color: #4d5560; text-align: center; }
table.heatmap th.open { font-style: italic; }
.empty { padding: 8px 12px; background: #f3f5f7; border-left: 4px solid #9aa3ad; }
.nodata { font-size: 1.2em; }
article.why { border-left: 4px solid #d0d5dc; padding-left: 12px; margin-bottom: 16px; }
footer { margin-top: 40px; font-size: 0.85em; color: #4d5560; border-top: 1px solid #d0d5dc; padding-top: 8px; }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  nav { display: none; }
  figure, table, article.why { break-inside: avoid; }
  h2, h3 { break-after: avoid; }
  .scroll { overflow: visible; }
  td.heat, .summary { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
`;

function page(title: string, body: string): string {
  return (
    '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    `<title>${escapeHtml(title)}</title><style>${css}</style></head><body>${body}</body></html>\n`
  );
}

function footer(input: MonitoringReportInput): string {
  return (
    `<footer>Generated by Arbiter at ${escapeHtml(formatUtc(input.generatedAt))}. All times are UTC. ` +
    'Hollow points and ◔ mark open windows, whose data is still arriving.</footer>'
  );
}

/** The whole report page; with no windows, a page that says there is no data yet (and the alerts). */
export function monitoringReportHtml(input: MonitoringReportInput): string {
  const title = `Monitoring report: ${input.system}`;
  if (input.windows.length === 0) {
    const notice = `<p class="empty nodata" id="no-data"><strong>No data.</strong> No monitoring windows for ${escapeHtml(input.system)} in this period, so there is nothing to chart yet. Send production events and run the report again.</p>`;
    return page(title, `${header(input)}<main>${notice}${alertsSection(input)}</main>${footer(input)}`);
  }
  const nav =
    '<nav aria-label="Sections"><ul><li><a href="#alerts">Alerts</a></li><li><a href="#drift">Drift</a></li>' +
    '<li><a href="#performance">Performance</a></li><li><a href="#fairness">Fairness</a></li>' +
    '<li><a href="#windows">Windows</a></li><li><a href="#why">Why it drifted</a></li></ul></nav>';
  const main = [
    alertsSection(input),
    driftSection(input.windows),
    performanceSection(input.windows),
    fairnessSection(input.windows),
    windowsSection(input.windows),
    whySection(input.windows),
  ].join('');
  return page(title, `${header(input)}${nav}<main>${main}</main>${footer(input)}`);
}
