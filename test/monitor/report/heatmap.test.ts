import { describe, expect, it } from 'vitest';
import {
  describeMethod,
  driftHeatmapCell,
  driftSeverity,
  heatColour,
  heatmapTable,
  isPValueMethod,
  topBinLines,
} from '../../../src/monitor/report/heatmap.js';
import { driftScoreKind } from '../../../src/monitor/stats/index.js';
import { driftResult } from './fixture.js';
import { bodyRows, count, elementById, wellFormednessProblems } from './wellformed.js';

/** WCAG 2 contrast ratio of two #rrggbb colours. */
function contrast(a: string, b: string): number {
  const luminance = (hex: string) => {
    const [r, g, bl] = [1, 3, 5].map((i) => {
      const c = Number.parseInt(hex.slice(i, i + 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * bl!;
  };
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
  return (x! + 0.05) / (y! + 0.05);
}

describe('drift methods', () => {
  it('treats exactly the methods the statistics library scores by p-value as p-value methods', () => {
    for (const [method, kind] of Object.entries(driftScoreKind))
      expect(isPValueMethod(method), method).toBe(kind === 'p-value');
  });

  it('names the methods', () => {
    expect(describeMethod('ks')).toBe('ks (Kolmogorov–Smirnov test)');
    expect(describeMethod('jensenshannon')).toBe('jensenshannon (Jensen–Shannon distance)');
    expect(describeMethod('mystery')).toBe('mystery');
  });
});

describe('driftSeverity', () => {
  it.each([
    // [method, score, threshold, severity, derivation]
    ['wasserstein', 0.2, 0.1, 2, 'distance: 0.2 / 0.1'],
    ['psi', 0.05, 0.1, 0.5, 'distance: 0.05 / 0.1'],
    ['ks', 0.0025, 0.05, 2, 'p-value: log 0.0025 / log 0.05, and 0.05² = 0.0025'],
    ['ks', 0.05, 0.05, 1, 'p-value at the threshold'],
    ['chisquare', 1, 0.05, 0, 'p = 1: no evidence at all'],
    ['z', 0, 0.05, Number.POSITIVE_INFINITY, 'p = 0'],
  ] as const)('%s score %s threshold %s → %s (%s)', (method, score, threshold, severity, _derivation) => {
    expect(driftSeverity(driftResult(method, score, threshold))).toBeCloseTo(severity, 12);
  });

  it('falls back to the verdict when the score is not a number', () => {
    expect(driftSeverity({ ...driftResult('wasserstein', 0, 0.1), score: Number.NaN })).toBe(0);
    expect(driftSeverity({ ...driftResult('wasserstein', 0, 0.1), score: Number.NaN, drifted: true })).toBe(
      1,
    );
  });
});

describe('driftHeatmapCell', () => {
  const context = { row: 'age', column: 'window 3' };

  it('is null when the window has no result for the feature', () => {
    expect(driftHeatmapCell(undefined, context)).toBeNull();
  });

  it('flags drifted results with a symbol and at least half intensity, and others below half', () => {
    const drifted = driftHeatmapCell(driftResult('ks', 0.001, 0.05), context)!;
    expect(drifted.flagged).toBe(true);
    expect(drifted.text).toBe('▲ 0.001');
    expect(drifted.intensity).toBeGreaterThanOrEqual(0.5);
    const barely = driftHeatmapCell(driftResult('ks', 0.049, 0.05), context)!;
    expect(barely.intensity).toBeCloseTo(0.5, 2);
    const calm = driftHeatmapCell(driftResult('ks', 0.051, 0.05), context)!;
    expect(calm.flagged).toBe(false);
    expect(calm.text).toBe('0.051');
    expect(calm.intensity).toBeLessThan(0.5);
    expect(driftHeatmapCell(driftResult('ks', 0.9, 0.05), context)!.intensity).toBeLessThan(calm.intensity);
  });

  it('puts method, score, threshold and top bins in the tooltip', () => {
    const cell = driftHeatmapCell(
      driftResult('jensenshannon', 0.25, 0.1, [
        { bin: 'car', reference: 0.2, current: 0.45, contribution: 0.1 },
      ]),
      context,
    )!;
    expect(cell.tooltip).toBe(
      [
        'age — window 3',
        'method: jensenshannon (Jensen–Shannon distance)',
        'score: 0.25 (distance, drift when at or above threshold 0.1)',
        'drifted: yes',
        'top bins (reference → current):',
        '  car: 20% → 45%',
      ].join('\n'),
    );
    expect(topBinLines({ topBins: undefined as never })).toEqual([]);
  });

  it('shows n/a for a score that is not a number', () => {
    expect(
      driftHeatmapCell({ ...driftResult('wasserstein', 0, 0.1), score: Number.NaN }, context)!.text,
    ).toBe('n/a');
  });
});

describe('heatColour', () => {
  it('runs white → light amber → light red and clamps', () => {
    expect(heatColour(0)).toBe('#ffffff');
    expect(heatColour(0.5)).toBe('#fde7b0');
    expect(heatColour(1)).toBe('#f08a7e');
    expect(heatColour(-1)).toBe('#ffffff');
    expect(heatColour(7)).toBe('#f08a7e');
    expect(heatColour(Number.NaN)).toBe('#ffffff');
  });

  it('keeps the text colour readable (WCAG AA, 4.5:1) on every shade', () => {
    for (let i = 0; i <= 100; i++) expect(contrast(heatColour(i / 100), '#1b1f24')).toBeGreaterThan(4.5);
  });
});

describe('heatmapTable', () => {
  const cell = (flagged: boolean) => ({
    text: flagged ? '▲ 1' : '0',
    tooltip: 't',
    intensity: flagged ? 1 : 0,
    flagged,
  });
  const html = heatmapTable({
    id: 'h',
    caption: 'Drift',
    rowHeader: 'Feature',
    columns: [{ label: '06:00' }, { label: '07:00', tooltip: 'open one', open: true }],
    rows: [
      { label: 'age', cells: [cell(false), cell(true)] },
      { label: '<b>', cells: [null] },
    ],
  });

  it('has a row per feature and a cell per window, drifted ones marked, missing ones dashed', () => {
    expect(wellFormednessProblems(html)).toEqual([]);
    const rows = bodyRows(elementById(html, 'table', 'h')!);
    expect(rows).toHaveLength(2);
    expect(count(rows[0]!, '<td')).toBe(2);
    expect(count(rows[0]!, 'class="heat drifted"')).toBe(1);
    expect(rows[0]).toContain('style="background-color:#f08a7e" title="t">▲ 1</td>');
    // A row shorter than the columns is padded with missing cells.
    expect(count(rows[1]!, '<td class="heat missing" title="no value">—</td>')).toBe(2);
  });

  it('marks open windows in the header and escapes labels', () => {
    expect(html).toContain('<th scope="col" class="open" title="open one">07:00 ◔</th>');
    expect(html).toContain('<th scope="row">&lt;b&gt;</th>');
    expect(html).toContain('<caption>Drift</caption>');
  });
});
