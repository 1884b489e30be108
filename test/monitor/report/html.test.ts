import { describe, expect, it } from 'vitest';
import { monitoringReportHtml, sortAlerts } from '../../../src/monitor/report/html.js';
import {
  driftResult,
  firingAlert,
  latestClosedIndex,
  pendingAlert,
  reportInput,
  reportWindow,
  resolvedAlert,
  windowCount,
} from './fixture.js';
import { bodyRows, count, elementById, scanTags, wellFormednessProblems } from './wellformed.js';

const html = monitoringReportHtml(reportInput());

function svg(id: string, source = html): string {
  const element = elementById(source, 'svg', id);
  if (!element) throw new Error(`no <svg id="${id}">`);
  return element;
}

function table(id: string, source = html): string {
  const element = elementById(source, 'table', id);
  if (!element) throw new Error(`no <table id="${id}">`);
  return element;
}

function section(id: string, source = html): string {
  const start = source.indexOf(`<section id="${id}"`);
  if (start === -1) throw new Error(`no section ${id}`);
  return source.slice(start, source.indexOf('</section>', start));
}

/** Attributes that would make the browser fetch something. */
const fetchingAttributes = [
  'src',
  'href',
  'srcset',
  'xlink:href',
  'action',
  'formaction',
  'poster',
  'data',
  'background',
];

function externalReferences(source: string): string[] {
  const { tags } = scanTags(source);
  const found: string[] = [];
  for (const tag of tags) {
    if (['script', 'link', 'img', 'iframe', 'object', 'embed', 'image', 'use', 'base'].includes(tag.name))
      found.push(`<${tag.name}>`);
    for (const [name, value] of Object.entries(tag.attributes)) {
      if (fetchingAttributes.includes(name) && !value.startsWith('#')) found.push(`${name}="${value}"`);
      if (name === 'style' && /url\(|@import/i.test(value)) found.push(`style="${value}"`);
      if (name.startsWith('on')) found.push(`${name}=…`);
      if (/^\s*(https?|javascript):/i.test(value)) found.push(`${name}="${value}"`);
    }
  }
  const style = source.slice(source.indexOf('<style>'), source.indexOf('</style>'));
  if (/url\(|@import|https?:/i.test(style)) found.push('CSS reaching out');
  return found;
}

describe('monitoringReportHtml: the document', () => {
  it('is one well-formed HTML document', () => {
    expect(wellFormednessProblems(html)).toEqual([]);
    expect(html.startsWith('<!DOCTYPE html>\n<html lang="en">')).toBe(true);
    expect(count(html, '<!DOCTYPE')).toBe(1);
    expect(count(html, '<html')).toBe(1);
    expect(count(html, '<body>')).toBe(1);
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
    expect(count(html, '<meta charset="utf-8">')).toBe(1);
  });

  it('loads nothing from outside: no scripts, no external src/href, no CSS url()', () => {
    expect(externalReferences(html)).toEqual([]);
    // The only links are to the page's own sections.
    const hrefs = scanTags(html).tags.flatMap((t) =>
      t.attributes.href === undefined ? [] : [t.attributes.href],
    );
    expect(hrefs).toEqual(['#alerts', '#drift', '#performance', '#fairness', '#windows', '#why']);
    // The one http URL in the input (inside an alert message) is text, never in a tag.
    for (const tag of scanTags(html).tags) expect(JSON.stringify(tag.attributes)).not.toMatch(/https?:\/\//);
    expect(html).toContain('runbook http://runbooks.example/fairness');
  });

  it('the external-reference check catches what it looks for', () => {
    // A check that cannot fail proves nothing: each of these must be reported.
    expect(externalReferences('<img src="a.png">')).toHaveLength(2);
    expect(externalReferences('<a href="https://example.com/x">x</a>')).toHaveLength(2);
    expect(externalReferences('<div style="background: url(x.png)"></div>')).toHaveLength(1);
    expect(externalReferences('<style>@import "x.css";</style>')).toEqual(['CSS reaching out']);
    expect(externalReferences('<a href="#why">x</a>')).toEqual([]);
  });

  it('shows system, UTC period, window count, rows, labeled rows and the profile in the header', () => {
    const header = html.slice(html.indexOf('<header>'), html.indexOf('</header>'));
    expect(header).toContain('credit-scoring');
    expect(header).toContain('2026-11-20 06:00 → 14:00 UTC');
    expect(header).toContain('<dt>Windows</dt><dd>8 (1 open, still filling)</dd>');
    expect(header).toContain('<dt>Rows</dt><dd>1,777</dd>'); // 7 × 240 + 97
    expect(header).toContain('<dt>Labeled rows</dt><dd>1,200 (67.5%)</dd>'); // 6 × 200
    expect(header).toContain(
      'examples/monitoring/reference.ndjson · 1,000 rows · created 2026-11-01 09:00 UTC · window 1h',
    );
    // 16:05 at +02:00 is 14:05 UTC: dates are converted, not shown in local or source time.
    expect(header).toContain('<dt>Generated</dt><dd>2026-11-20 14:05 UTC</dd>');
  });

  it('summarises firing alerts and the drift of the latest closed window', () => {
    const summary = html.slice(
      html.indexOf('<p class="summary'),
      html.indexOf('</p>', html.indexOf('<p class="summary')),
    );
    expect(summary).toContain('class="summary alerting"');
    expect(summary).toContain('▲ 1 alert firing (1 critical)');
    expect(summary).toContain('◐ 1 pending');
    expect(summary).toContain('3 of 5 features drifted in the latest closed window (age, income, purpose)');
    expect(summary).toContain('demographic parity ratio below 0.8 for age');
    const calm = monitoringReportHtml({ ...reportInput(), alerts: [resolvedAlert] });
    expect(calm).toContain('<p class="summary" role="status">✓ No alerts firing');
  });
});

describe('monitoringReportHtml: alerts', () => {
  it('lists current states firing first, with status as text and symbol, since, message and facts', () => {
    const rows = bodyRows(table('alerts-table'));
    expect(rows).toHaveLength(3);
    expect(rows[0]).toContain('▲ firing');
    expect(rows[0]).toContain('credit-drift / age-fairness');
    expect(rows[0]).toContain('2026-11-20 12:00 UTC');
    expect(rows[0]).toContain('Demographic parity ratio for age is 0.66 (&lt; 0.8)');
    expect(rows[0]).toContain(
      '<span class="key">metrics.fairness.age.demographicParityRatio</span>: <code>0.66</code>',
    );
    expect(rows[1]).toContain('◐ pending');
    expect(rows[1]).toContain('held 1 window');
    expect(rows[2]).toContain('✓ ok');
    expect(rows[2]).toContain('labels-missing');
  });

  it('sorts by status, then severity, then name', () => {
    const critical = { ...pendingAlert, alert: 'z', severity: 'critical' as const };
    expect(sortAlerts([resolvedAlert, pendingAlert, critical, firingAlert]).map((a) => a.alert)).toEqual([
      'age-fairness',
      'z',
      'dataset-drift',
      'labels-missing',
    ]);
  });

  it('shows the fired/resolved history oldest first, and a failed evaluation', () => {
    const rows = bodyRows(table('alert-history'));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toContain('2026-11-20 09:00 UTC');
    expect(rows[0]).toContain('✓ resolved');
    expect(rows[1]).toContain('▲ fired');
    const failing = monitoringReportHtml({
      ...reportInput(),
      alerts: [{ ...pendingAlert, lastError: 'no such key: metrics.fairness.sex' }],
    });
    expect(bodyRows(table('alerts-table', failing))[0]).toContain(
      '⚠ last evaluation failed: no such key: metrics.fairness.sex',
    );
  });

  it('omits the history table when no events are given', () => {
    const { alertEvents: _, ...input } = reportInput();
    const page = monitoringReportHtml(input);
    expect(elementById(page, 'table', 'alert-history')).toBeUndefined();
    expect(page).not.toContain('<h3>History</h3>');
  });
});

describe('monitoringReportHtml: charts', () => {
  it('draws one marker per window with a value in each chart, open windows hollow', () => {
    const expected: [string, number, number][] = [
      // [chart, points, open points]
      ['chart-dataset-drift', 8, 1],
      ['chart-prediction-drift', 8, 1],
      // Accuracy, precision, recall, F1 in windows 0–5, ROC AUC missing in window 2; no labels after.
      ['chart-performance', 6 * 4 + 5, 0],
      // Parity ratio in all 8 windows, equalized odds only where labels exist (0–5).
      ['chart-fairness-0', 8 + 6, 1],
      ['chart-fairness-1', 8 + 6, 1],
    ];
    for (const [id, points, open] of expected) {
      const chart = svg(id);
      expect(count(chart, '<circle'), id).toBe(points);
      expect(count(chart, '<circle class="point open"'), id).toBe(open);
      expect(count(chart, '<title'), id).toBe(points + 1);
      expect(chart, id).toMatch(/^<svg id="[^"]+" class="chart" viewBox="0 0 720 \d+(\.\d)?" role="img"/);
      expect(wellFormednessProblems(chart), id).toEqual([]);
    }
    expect(count(html, '<svg')).toBe(expected.length + 2); // plus the two selection-rate charts
    expect(elementById(html, 'svg', 'chart-regression')).toBeUndefined();
  });

  it('labels the time axis in UTC and draws dashed threshold lines where they apply', () => {
    const chart = svg('chart-dataset-drift');
    for (const label of ['06:00', '09:00', '13:00']) expect(chart).toContain(`>${label}</text>`);
    expect(chart).toContain('>100%</text>');
    expect(chart).not.toContain('class="threshold"');
    const prediction = svg('chart-prediction-drift');
    expect(prediction).toContain('threshold 0.05 (drift below)');
    expect(prediction).toMatch(/class="threshold"><line [^>]*stroke-dasharray="6 4"/);
    for (const id of ['chart-fairness-0', 'chart-fairness-1'])
      expect(svg(id)).toContain('0.8 four-fifths rule');
  });

  it('puts window, value and open state in the point tooltips', () => {
    const chart = svg('chart-dataset-drift');
    expect(chart).toContain(
      '<title>share of features drifted: 60% — 2026-11-20 12:00 → 13:00 UTC; 3 of 5 features drifted: age, income, purpose</title>',
    );
    expect(chart).toContain(
      '4 of 5 features drifted: age, income, purpose, employment (open window, partial data)</title>',
    );
  });

  it('draws the selection rates of the latest closed window with Wilson intervals and lists small groups', () => {
    const chart = svg('chart-selection-0');
    // '<25' and '25-60' are compared; '>60' (12 rows) is not.
    expect(count(chart, '<rect class="bar"')).toBe(2);
    expect(count(chart, '<g class="interval"')).toBe(2);
    expect(chart).toContain('2026-11-20 12:00 → 13:00 UTC');
    expect(chart).toContain('50% [42%–58%] n = 150');
    expect(chart).toContain('⅘ of highest');
    expect(section('fairness')).toContain('Not compared: &gt;60: insufficient (n = 12 &lt; min).');
    expect(count(svg('chart-selection-1'), '<rect class="bar"')).toBe(4);
    const groups = table('groups-0');
    expect(bodyRows(groups)).toHaveLength(3);
    expect(groups).toContain('<th scope="col">selectionRateInterval</th>');
  });
});

describe('monitoringReportHtml: heatmap and tables', () => {
  it('marks exactly the drifted feature/window cells of the heatmap', () => {
    const heatmap = table('heatmap-feature-drift');
    const rows = bodyRows(heatmap);
    expect(rows.map((r) => /<th scope="row">([^<]*)<\/th>/.exec(r)?.[1])).toEqual([
      'age',
      'income',
      'purpose',
      'employment',
      'foreign_worker',
    ]);
    const flags = rows.map((row) =>
      [...row.matchAll(/<td class="heat( drifted)?/g)].map((m) => (m[1] ? 'D' : '.')).join(''),
    );
    expect(flags).toEqual(['....DDDD', '......DD', '....DDDD', '.......D', '........']);
    expect(count(heatmap, '▲')).toBe(11);
    // One header cell per window, the open one marked by a symbol, not by colour only.
    expect(count(heatmap, '<th scope="col"')).toBe(windowCount + 1);
    expect(heatmap).toContain(
      '<th scope="col" class="open" title="2026-11-20 13:00 → 14:00 UTC (open window, partial data)">13:00 ◔</th>',
    );
  });

  it('gives each heatmap cell a tooltip with method, score, threshold and top bins', () => {
    const age = bodyRows(table('heatmap-feature-drift'))[0]!;
    const cell = [...age.matchAll(/<td [^>]*>/g)][6]![0];
    expect(cell).toContain('method: ks (Kolmogorov–Smirnov test)');
    expect(cell).toContain('score: 1.3e-4 (p-value, drift when below threshold 0.05)');
    expect(cell).toContain('drifted: yes');
    expect(cell).toContain('[19, 25): 12% → 31%');
    expect(cell).toMatch(/style="background-color:#[0-9a-f]{6}"/);
  });

  it('has one row per window in the per-window table with the listed columns', () => {
    const windows = table('windows-table');
    const rows = bodyRows(windows);
    expect(rows).toHaveLength(windowCount);
    expect(windows).toContain(
      '<th scope="col">DP ratio (age)</th><th scope="col">DP ratio (age &amp; sex)</th>',
    );
    for (const header of [
      'Start',
      'End',
      'Rows',
      'Labeled',
      'Rejected',
      'Dataset drift share',
      'Drifted features',
      'Accuracy',
    ])
      expect(windows).toContain(`<th scope="col">${header}</th>`);
    expect(rows[0]).toContain('<td>2026-11-20 06:00 UTC</td><td>2026-11-20 07:00 UTC</td>');
    expect(rows[3]).toContain('<td class="num">2</td>'); // rejected
    expect(rows[6]).toContain('60% (3/5)');
    expect(rows[6]).toContain('<td>age, income, purpose</td>');
    expect(rows[6]).toContain('<td class="num low">▼ 0.66</td>');
    expect(rows[6]).toContain(`<td class="num">—</td>`); // no accuracy without labels
    expect(rows[0]).toContain('<td class="num">0.81</td>');
    expect(rows[7]).toMatch(/^<tr class="open">.*◔ open/);
    expect(rows.filter((r) => r.startsWith('<tr class="open">'))).toHaveLength(1);
  });

  it('explains each drifted feature of the latest closed window, not the open one', () => {
    const why = section('why');
    expect(why).toContain('Latest closed window: 2026-11-20 12:00 → 13:00 UTC.');
    const articles = why
      .match(/<article class="why"><h3>[^<]*<\/h3>/g)!
      .map((a) => a.replace(/.*<h3>|<\/h3>/g, ''));
    // Most severe first; employment drifted only in the open window; prediction drifted too.
    expect(articles).toEqual(['age', 'purpose', 'income', 'prediction']);
    expect(why).toContain('ks (Kolmogorov–Smirnov test): p-value 1.3e-4 &lt; threshold 0.05 → drifted.');
    expect(why).toContain('wasserstein (Wasserstein distance): distance 0.18 ≥ threshold 0.1 → drifted.');
    expect(why).toContain(
      '<tr><th scope="row">car (new)</th><td class="num">23%</td><td class="num">40%</td><td class="num">▲ +17 pp</td>',
    );
    expect(why).toContain('<td class="num">▼ −7 pp</td>');
    expect(latestClosedIndex).toBe(6);
  });
});

describe('monitoringReportHtml: untrusted text', () => {
  const attack = '<script>alert(1)</script>';
  const hostile = () => {
    const input = reportInput();
    input.system = `sys ${attack}`;
    const window = input.windows[latestClosedIndex]!;
    window.drift.features[`f ${attack}`] = driftResult('chisquare', 0.0001, 0.05, [
      { bin: `cat ${attack}"'`, reference: 0.1, current: 0.5, contribution: 0.2 },
    ]);
    window.datasetDrift.features.push(`f ${attack}`);
    window.fairness[`attr ${attack}`] = {
      demographicParityDifference: 0,
      demographicParityRatio: 1,
      equalizedOddsDifference: null,
      equalizedOddsRatio: null,
      equalOpportunityDifference: null,
      byGroup: { [`g ${attack}`]: { selectionRate: 0.5, [`k ${attack}`]: `v ${attack}` } },
      insufficientGroups: [],
    };
    input.alerts = [
      {
        ...firingAlert,
        message: `m ${attack}`,
        facts: { [`k ${attack}`]: `v ${attack}` },
        alert: `a ${attack}`,
      },
    ];
    input.alertEvents = [{ ...input.alertEvents![0]!, message: `e ${attack}`, severity: `s ${attack}` }];
    input.profile = { source: `p ${attack}`, rows: 1, createdAt: `c ${attack}`, window: `w ${attack}` };
    return monitoringReportHtml(input);
  };

  it('escapes names, labels, messages and facts everywhere they appear', () => {
    const page = hostile();
    expect(page).not.toContain('<script');
    expect(wellFormednessProblems(page)).toEqual([]);
    for (const prefix of ['sys', 'f', 'cat', 'attr', 'g', 'k', 'v', 'm', 'a', 'e', 's', 'p', 'c', 'w'])
      expect(page, prefix).toContain(`${prefix} &lt;script&gt;alert(1)&lt;/script&gt;`);
    expect(page).toContain('cat &lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;');
    expect(scanTags(page).tags.filter((t) => t.name === 'script')).toEqual([]);
  });

  it('the well-formedness check would notice an unescaped name', () => {
    const raw = hostile().replace('f &lt;script&gt;alert(1)&lt;/script&gt;', `f ${attack}`);
    expect(raw).toContain('<script>');
    expect(
      wellFormednessProblems(raw).length + scanTags(raw).tags.filter((t) => t.name === 'script').length,
    ).toBeGreaterThan(0);
  });
});

describe('monitoringReportHtml: missing data', () => {
  it('says "no data" plainly when there are no windows', () => {
    const page = monitoringReportHtml({
      system: 'credit-scoring',
      generatedAt: '2026-11-20T14:00:00Z',
      windows: [],
      alerts: [],
    });
    expect(wellFormednessProblems(page)).toEqual([]);
    expect(page).toContain('<strong>No data.</strong> No monitoring windows for credit-scoring');
    expect(page).not.toContain('<svg');
    expect(page).not.toContain('<nav');
    expect(page).toContain('<dt>Reference profile</dt><dd>not given</dd>');
    expect(page).toContain('No alert conditions have been evaluated for this system.');
    expect(page).not.toContain('<dt>Period</dt>');
  });

  it('keeps alert states on the no-data page', () => {
    const page = monitoringReportHtml({ ...reportInput(), windows: [] });
    expect(page).toContain('No data.');
    expect(bodyRows(table('alerts-table', page))).toHaveLength(3);
  });

  it('survives null and absent metrics, showing dashes and gaps', () => {
    const windows = [0, 1, 2].map((i) => {
      const w = reportWindow(i);
      return {
        ...w,
        drift: { features: { age: { ...w.drift.features.age!, score: Number.NaN, topBins: [] } } },
        datasetDrift: { share: Number.NaN, drifted: 0, total: 0, features: [] },
        performance: { count: 0, accuracy: null, precision: null, recall: null, f1: null, rocAuc: null },
        fairness: {
          age: {
            demographicParityDifference: null,
            demographicParityRatio: null,
            equalizedOddsDifference: null,
            equalizedOddsRatio: null,
            equalOpportunityDifference: null,
            byGroup: { a: null, b: 'x', c: 0.4, d: { selectionRate: null, count: 3 } } as Record<
              string,
              unknown
            >,
            insufficientGroups: ['d', 'gone'],
          },
        },
      };
    });
    const page = monitoringReportHtml({ system: 's', generatedAt: 'not a date', windows, alerts: [] });
    expect(wellFormednessProblems(page)).toEqual([]);
    expect(page).not.toContain('NaN');
    expect(page).not.toContain('undefined');
    expect(page).toContain('No dataset drift results in these windows.');
    expect(page).toContain('No prediction drift results in these windows.');
    expect(page).toContain('No labeled rows in these windows');
    expect(page).toContain('No fairness ratio could be computed for age');
    expect(page).toContain('>n/a</td>');
    expect(page).toContain('<dt>Generated</dt><dd>not a date</dd>');
    // Only the bare-number group has a rate to draw; the others are listed.
    expect(count(svg('chart-selection-0', page), '<rect class="bar"')).toBe(1);
    expect(page).toContain('d: insufficient (n = 3 &lt; min); gone: insufficient (n &lt; min)');
    const rows = bodyRows(table('windows-table', page));
    expect(rows).toHaveLength(3);
    expect(rows[0]).toContain(
      '<td class="num">—</td><td>—</td><td class="num">—</td><td class="num">—</td></tr>',
    );
  });

  it('says so when every window is still open', () => {
    const page = monitoringReportHtml({ ...reportInput(), windows: [{ ...reportWindow(0), open: true }] });
    expect(wellFormednessProblems(page)).toEqual([]);
    expect(section('why', page)).toContain('Every window is still open');
    expect(page).toContain('Selection rate per group in the latest (open) window');
  });

  it('charts regression error when the task is a regression', () => {
    const windows = [0, 1, 2].map((i) => ({
      ...reportWindow(i),
      performance: { count: 10, mae: 1.5 + i, rmse: 2 + i },
    }));
    const page = monitoringReportHtml({ ...reportInput(), windows });
    expect(count(svg('chart-regression', page), '<circle')).toBe(6);
    expect(elementById(page, 'svg', 'chart-performance')).toBeUndefined();
    expect(table('windows-table', page)).toContain('<th scope="col">MAE</th>');
  });
});
