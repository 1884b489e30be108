import { describe, expect, it } from 'vitest';
import {
  type ChartSeries,
  groupRateChartSvg,
  lineChartSvg,
  niceTicks,
  seriesDashes,
  strideTicks,
} from '../../../src/monitor/report/charts.js';
import { count, wellFormednessProblems } from './wellformed.js';

const hour = 3_600_000;
const t0 = Date.UTC(2026, 10, 20, 6);

/** The (cx, cy) of each `<circle>`, in document order. */
function circles(svg: string): [number, number][] {
  return [...svg.matchAll(/<circle [^>]*cx="([\d.-]+)" cy="([\d.-]+)"/g)].map((m) => [
    Number(m[1]),
    Number(m[2]),
  ]);
}

// Layout constants of charts.ts, restated: plot x from 64 + 14 to 720 - 24 - 14, y from 224 (bottom) up 200.
const firstX = 78;
const lastX = 682;
const bottomY = 224;

describe('niceTicks', () => {
  it.each([
    [0, 1, [0, 0.2, 0.4, 0.6, 0.8, 1]],
    [0, 0.37, [0, 0.1, 0.2, 0.3, 0.4]],
    [3, 97, [0, 20, 40, 60, 80, 100]],
    [0, 0, [0, 0.2, 0.4, 0.6, 0.8, 1]],
    [-0.3, 0.2, [-0.3, -0.2, -0.1, 0, 0.1, 0.2]],
    [Number.NaN, 1, [0, 1]],
  ])('niceTicks(%s, %s)', (min, max, ticks) => {
    expect(niceTicks(min, max)).toEqual(ticks);
  });

  it('covers any range with evenly spaced round ticks (random ranges)', () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let run = 0; run < 500; run++) {
      const scale = 10 ** Math.floor(random() * 8 - 4);
      const a = (random() - 0.3) * scale;
      const b = a + random() * scale;
      const ticks = niceTicks(a, b);
      expect(ticks[0]!).toBeLessThanOrEqual(Math.min(a, b));
      expect(ticks[ticks.length - 1]!).toBeGreaterThanOrEqual(Math.max(a, b));
      expect(ticks.length).toBeGreaterThanOrEqual(2);
      expect(ticks.length).toBeLessThanOrEqual(12);
      const step = ticks[1]! - ticks[0]!;
      for (let i = 1; i < ticks.length; i++) expect(ticks[i]! - ticks[i - 1]!).toBeCloseTo(step, 9);
      // Round: the step is 1, 2, 2.5 or 5 times a power of ten.
      const mantissa = step / 10 ** Math.floor(Math.log10(step) + 1e-9);
      expect([1, 2, 2.5, 5, 10].some((m) => Math.abs(mantissa - m) < 1e-6)).toBe(true);
    }
  });
});

describe('strideTicks', () => {
  it('keeps every value up to the limit, then every k-th from the first', () => {
    expect(strideTicks([3, 1, 2, 2], 8)).toEqual([1, 2, 3]);
    expect(strideTicks([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 4)).toEqual([0, 3, 6, 9]);
  });
});

describe('lineChartSvg', () => {
  const share: ChartSeries = {
    name: 'share',
    points: [0, 1, 2, 3].map((i) => ({ x: t0 + i * hour, y: i / 4, tooltip: `window ${i}` })),
  };

  it('draws one circle per finite point, placed by time and value', () => {
    const svg = lineChartSvg([share], { id: 'c', title: 'Share', yDomain: [0, 1] });
    expect(wellFormednessProblems(svg)).toEqual([]);
    expect(circles(svg)).toEqual([
      [firstX, bottomY],
      // Coordinates are rounded to 0.1: 78 + 604/3 and 78 + 2·604/3.
      [279.3, bottomY - 50],
      [480.7, bottomY - 100],
      [lastX, bottomY - 150],
    ]);
    expect(svg).toContain('viewBox="0 0 720 ');
    expect(svg).not.toMatch(/<svg[^>]* (width|height)=/);
    expect(svg).toContain('role="img" aria-labelledby="c-title"');
    expect(svg).toContain('<title id="c-title">Share</title>');
    expect(svg).toContain('<title>share: 0.5 — window 2</title>');
  });

  it('leaves a gap at null and non-finite values: no marker, and the line restarts', () => {
    const gappy: ChartSeries = {
      name: 'gappy',
      points: [0.2, null, 0.4, 0.5, Number.NaN, 0.7].map((y, i) => ({ x: t0 + i * hour, y })),
    };
    const svg = lineChartSvg([gappy], { id: 'g', title: 'Gappy' });
    expect(count(svg, '<circle')).toBe(4);
    const path = /<path d="([^"]+)"/.exec(svg)![1]!;
    expect(path.match(/M/g)).toHaveLength(3);
    expect(path.match(/L/g)).toHaveLength(1);
    // The x axis still spans all six windows.
    expect(circles(svg)[0]![0]).toBe(firstX);
    expect(circles(svg)[3]![0]).toBe(lastX);
  });

  it('draws open windows hollow and dashed, and says so in tooltip and legend', () => {
    const points = [
      { x: t0, y: 0.1 },
      { x: t0 + hour, y: 0.2, open: true },
    ];
    const svg = lineChartSvg([{ name: 's', points }], { id: 'o', title: 'Open' });
    expect(count(svg, '<circle class="point"')).toBe(1);
    expect(svg).toMatch(/<circle class="point open" [^>]*fill="#ffffff"[^>]*stroke-dasharray="2 1.5"/);
    expect(svg).toContain('(open window, partial data)</title>');
    expect(svg).toContain('>open window (partial data)</text>');
    // The legend's hollow marker is not a circle, so circles still count points.
    expect(count(svg, '<circle')).toBe(2);
    const closed = lineChartSvg([{ name: 's', points: [points[0]!] }], { id: 'c', title: 'Closed' });
    expect(closed).not.toContain('open window');
  });

  it('draws each threshold as a dashed labelled line at its value, widening the axis to include it', () => {
    const svg = lineChartSvg([share], {
      id: 't',
      title: 'T',
      yDomain: [0, 1],
      thresholds: [{ value: 0.8, label: '0.8 four-fifths rule' }],
    });
    expect(svg).toContain(
      `<line x1="64" y1="${bottomY - 160}" x2="696" y2="${bottomY - 160}" stroke="#b3261e" stroke-width="1.5" stroke-dasharray="6 4"/>`,
    );
    expect(svg).toContain('>0.8 four-fifths rule</text>');
    const high = lineChartSvg([share], { id: 'h', title: 'H', thresholds: [{ value: 2, label: 'two' }] });
    expect(high).toContain('>2</text>');
    // Value 0.75 on a 0–2 axis.
    expect(circles(high)[3]![1]).toBe(bottomY - 75);
  });

  it('tells series apart by dash pattern as well as colour', () => {
    const series = [0, 1, 2].map((i) => ({
      name: `s${i}`,
      points: [
        { x: t0, y: i / 10 },
        { x: t0 + hour, y: i / 5 },
      ],
    }));
    const svg = lineChartSvg(series, { id: 'm', title: 'M' });
    const lines = [...svg.matchAll(/<path [^>]*?(?:stroke-dasharray="([^"]*)")?\/>/g)].map((m) => m[1] ?? '');
    expect(lines).toEqual([seriesDashes[0], seriesDashes[1], seriesDashes[2]]);
    expect(new Set(lines).size).toBe(3);
    expect(count(svg, '<g class="series"')).toBe(3);
    // A single time: centred.
    const single = lineChartSvg([{ name: 's', points: [{ x: t0, y: 1 }] }], { id: 's', title: 'S' });
    expect(circles(single)[0]![0]).toBe(380);
  });

  it('says there are no values instead of drawing empty axes', () => {
    const svg = lineChartSvg([{ name: 'x', points: [{ x: t0, y: null }] }], { id: 'e', title: 'E' });
    expect(svg).toContain('No values in these windows.');
    expect(svg).not.toContain('<circle');
    expect(wellFormednessProblems(svg)).toEqual([]);
  });

  it('escapes names, tooltips, titles and labels', () => {
    const svg = lineChartSvg([{ name: '<b>', points: [{ x: t0, y: 1, tooltip: '<i>' }] }], {
      id: 'x"y',
      title: '<t>',
      yLabel: '<y>',
      xLabel: '<x>',
      thresholds: [{ value: 1, label: '<l>' }],
    });
    expect(wellFormednessProblems(svg)).toEqual([]);
    expect(svg).not.toMatch(/<(b|i|t|y|x|l)>/);
    expect(svg).toContain('id="x&quot;y"');
    for (const text of ['&lt;b&gt;', '&lt;i&gt;', '&lt;t&gt;', '&lt;y&gt;', '&lt;x&gt;', '&lt;l&gt;'])
      expect(svg).toContain(text);
  });
});

describe('groupRateChartSvg', () => {
  it('draws one bar per group, proportional to the rate, with whiskers where an interval is known', () => {
    const svg = groupRateChartSvg(
      [
        { group: 'a', rate: 0.5, low: 0.4, high: 0.6, n: 100 },
        { group: 'b', rate: 0.25 },
      ],
      { id: 'r', title: 'Rates', reference: { value: 0.4, label: '⅘ of highest' } },
    );
    expect(wellFormednessProblems(svg)).toEqual([]);
    const widths = [...svg.matchAll(/<rect class="bar" [^>]*width="([\d.]+)"/g)].map((m) => Number(m[1]));
    // The axis runs from x = 170 to 520.
    expect(widths).toEqual([175, 87.5]);
    expect(count(svg, '<g class="interval"')).toBe(1);
    expect(svg).toContain('<line x1="310" y1="37" x2="380" y2="37"/>');
    expect(svg).toContain('>50% [40%–60%] n = 100</text>');
    expect(svg).toContain('>25%</text>');
    expect(svg).toContain('<title>a: selection rate 50%, 95% interval [40%–60%], n = 100</title>');
    expect(svg).toMatch(/<g class="threshold"><line x1="310" [^>]*stroke-dasharray="6 4"/);
  });

  it('truncates long group names on the axis but keeps them whole in the tooltip', () => {
    const name = 'a very long intersectional group & another one';
    const svg = groupRateChartSvg([{ group: name, rate: 0.1 }], { id: 'l', title: 'L' });
    expect(svg).toContain('>a very long intersectio…</text>');
    expect(svg).toContain(`<title>${name.replace('&', '&amp;')}: selection rate 10%</title>`);
  });

  it('says so when no group can be drawn', () => {
    const svg = groupRateChartSvg([], { id: 'n', title: 'N' });
    expect(svg).toContain('No group has enough rows.');
    expect(svg).not.toContain('<rect');
  });
});
