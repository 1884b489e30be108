import { describe, expect, it } from 'vitest';
import { stepAlert } from '../../src/monitor/alerts.js';
import { binLabel, binOf, topCategories } from '../../src/monitor/columns.js';
import { parseArff, parseCsv, parseNdjson } from '../../src/monitor/data.js';
import { groupsOf, type MonitorSchema } from '../../src/monitor/schema.js';
import { quantileEdgesOfSorted } from '../../src/monitor/stats/bins.js';
import { sortFloat64 } from '../../src/monitor/stats/radix-sort.js';
import type { AlertCondition } from '../../src/policy/evaluate-monitor.js';

/** Interior quantile edges of unsorted values, as profiles compute them. */
const edgesOf = (values: readonly number[], bins: number) =>
  quantileEdgesOfSorted(sortFloat64(new Float64Array(values)), bins);

describe('data files', () => {
  it('reads CSV with quoted fields, embedded commas, quotes and newlines, and reports bad rows', () => {
    const parsed = parseCsv('id,name,amount\n1,"Smith, J",10\n2,"say ""hi""",\n3,"two\nlines",7\n4,short\n');
    expect(parsed.rows).toEqual([
      { id: '1', name: 'Smith, J', amount: '10' },
      { id: '2', name: 'say "hi"', amount: null },
      { id: '3', name: 'two\nlines', amount: '7' },
    ]);
    expect(parsed.problems).toEqual([{ line: 6, message: '2 fields, the header has 3' }]);
  });

  it('reads NDJSON, skipping lines that are not objects', () => {
    const parsed = parseNdjson('{"a":1}\n\n[1]\n{"b":"x"}\nnot json\n');
    expect(parsed.rows).toEqual([{ a: 1 }, { b: 'x' }]);
    expect(parsed.problems.map((p) => p.line)).toEqual([3, 5]);
  });

  it('reads ARFF with quoted nominal values and missing values', () => {
    const parsed = parseArff(
      "% comment\n@relation credit\n@attribute checking_status { '<0', 'no checking'}\n@attribute duration numeric\n@attribute purpose {radio/tv, education}\n@data\n'<0',6,radio/tv\n'no checking',?,education\n'<0',12\n",
    );
    expect(parsed.columns).toEqual([
      { name: 'checking_status', type: 'nominal' },
      { name: 'duration', type: 'numeric' },
      { name: 'purpose', type: 'nominal' },
    ]);
    expect(parsed.rows).toEqual([
      { checking_status: '<0', duration: 6, purpose: 'radio/tv' },
      { checking_status: 'no checking', duration: null, purpose: 'education' },
    ]);
    expect(parsed.problems).toEqual([{ line: 9, message: '2 values, 3 attributes declared' }]);
  });
});

describe('bins', () => {
  it('cuts quantile edges, dropping duplicates from discrete data', () => {
    expect(edgesOf([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 2)).toEqual([5.5]);
    // Positions (i/4)·7 = 1.75, 3.5, 5.25 interpolate to 1 (dropped: it is the minimum), 1.5 and 2.25.
    expect(edgesOf([1, 1, 1, 1, 2, 2, 3, 4], 4)).toEqual([1.5, 2.25]);
    expect(edgesOf([], 4)).toEqual([]);
  });

  it('puts values in the bin whose lower edge they reach, and names bins', () => {
    const column = { kind: 'numeric' as const, edges: [10, 20] };
    expect([-5, 9.99, 10, 19, 20, 1e9].map((x) => binOf(column, x))).toEqual([0, 0, 1, 1, 2, 2]);
    expect([0, 1, 2].map((b) => binLabel(column, b))).toEqual(['[-∞, 10)', '[10, 20)', '[20, ∞)']);
    const categorical = {
      kind: 'categorical' as const,
      categories: topCategories(['b', 'a', 'b', 'c', 'a', 'b']),
    };
    expect(categorical.categories).toEqual(['b', 'a', 'c']);
    expect(binOf(categorical, 'zzz')).toBe(3);
    expect(binLabel(categorical, 3)).toBe('(other)');
  });
});

describe('sensitive groups', () => {
  const schema: MonitorSchema = {
    system: 's',
    prediction: 'p',
    features: { x: 'numeric' },
    sensitive: { age: { bins: [25, 60] }, sex: { from: 'personal_status', map: { 'male single': 'male' } } },
    intersections: [['age', 'sex']],
  };
  it('cuts numbers, maps categories and builds intersections', () => {
    expect(groupsOf(schema, { age: 19, personal_status: 'male single' })).toEqual({
      age: '<25',
      sex: 'male',
      'age & sex': '<25 & male',
    });
    expect(groupsOf(schema, { age: 30, personal_status: 'female single' })).toMatchObject({
      age: '25-60',
      sex: 'female single',
    });
    expect(groupsOf(schema, { age: 61 })).toEqual({ age: '>=60' });
  });
});

describe('alert life cycle', () => {
  const condition = (holds: boolean, extra: Partial<AlertCondition> = {}): AlertCondition => ({
    policy: 'p',
    alert: 'drift',
    severity: 'critical',
    for: 2,
    holds,
    message: holds ? 'drifted' : 'ok',
    facts: {},
    ...extra,
  });
  const window = (i: number) => ({ start: i * 3_600_000, end: (i + 1) * 3_600_000 });

  it('fires after `for` consecutive windows, once, and resolves when the condition clears', () => {
    const transitions: string[] = [];
    let state: ReturnType<typeof stepAlert>['state'] | undefined;
    for (const [i, holds] of [false, true, false, true, true, true, false].entries()) {
      const step = stepAlert(state, condition(holds), window(i));
      transitions.push(`${step.transition}:${step.state.status}`);
      state = step.state;
    }
    expect(transitions).toEqual([
      'none:ok',
      'none:pending',
      'none:ok',
      'none:pending',
      'fired:firing',
      'none:firing',
      'resolved:ok',
    ]);
  });

  it('ignores windows already evaluated and leaves the state alone when the condition errors', () => {
    const first = stepAlert(undefined, condition(true), window(5)).state;
    expect(stepAlert(first, condition(true), window(5)).transition).toBe('none');
    expect(stepAlert(first, condition(true), window(4)).state).toBe(first);
    const errored = stepAlert(first, condition(false, { error: 'no such key' }), window(6)).state;
    expect(errored).toMatchObject({
      status: 'pending',
      consecutive: 1,
      lastError: 'no such key',
      lastWindow: window(6).start,
    });
  });
});

describe('profile, windows and evaluation on the German Credit example', async () => {
  const { readFileSync } = await import('node:fs');
  const { parseData } = await import('../../src/monitor/data.js');
  const { buildProfile, rowToEvent } = await import('../../src/monitor/profile.js');
  const { evaluateWindow } = await import('../../src/monitor/evaluate.js');
  const { addEvent, emptyWindow, mergeWindows, windowStart } = await import('../../src/monitor/window.js');
  const { MonitorSchemaDocument } = await import('../../src/monitor/schema.js');
  const { parseSingleDocument } = await import('../../src/policy/single-document.js');

  const schema = parseSingleDocument<{ spec: MonitorSchema }>(
    'schema.yaml',
    readFileSync('examples/monitoring/schema.yaml', 'utf8'),
    'MonitorSchema',
    MonitorSchemaDocument,
    'ARB_ERR_INPUT_INVALID',
  ).spec;
  const reference = parseData(
    'reference.ndjson',
    readFileSync('examples/monitoring/reference.ndjson', 'utf8'),
  ).rows;
  const production = parseData(
    'production.ndjson',
    readFileSync('examples/monitoring/production.ndjson', 'utf8'),
  ).rows;
  const profile = buildProfile(
    schema,
    { name: 'reference.ndjson', sha256: '-', rows: reference, rejected: 0 },
    new Date(0),
  );
  const windows = new Map<number, ReturnType<typeof emptyWindow>>();
  for (const row of production) {
    const event = rowToEvent(schema, row);
    const start = windowStart(Date.parse(String(event.time)), profile.windowMs);
    if (!windows.has(start)) windows.set(start, emptyWindow(profile, start, start + profile.windowMs));
    addEvent(windows.get(start)!, profile, event);
  }
  const metrics = [...windows.values()].map((window) => evaluateWindow(profile, window));

  it('profiles each column with the test Evidently would choose for 500 reference rows', () => {
    expect(profile.reference.rows).toBe(500);
    expect(profile.features.credit_amount?.drift).toMatchObject({ method: 'ks', threshold: 0.05 });
    expect(profile.features.purpose?.drift.method).toBe('chisquare');
    expect(profile.features.own_telephone?.drift.method).toBe('z');
    // Four distinct values: one bin each, not quantiles.
    expect(profile.features.installment_commitment).toMatchObject({ kind: 'numeric', edges: [2, 3, 4] });
  });

  it('sees the injected drift only in the second half of the day, and says which bins moved', () => {
    expect(metrics.map((m) => m.window.rows)).toEqual([125, 125, 125, 125]);
    const shifted = ['credit_amount', 'duration', 'age'];
    for (const m of metrics.slice(2))
      for (const name of shifted) expect(m.drift.features[name]?.drifted).toBe(true);
    for (const m of metrics.slice(0, 2)) expect(m.drift.features.age?.drifted).toBe(false);
    expect(metrics[2]!.datasetDrift.share).toBeGreaterThan(0.3);
    expect(metrics[0]!.datasetDrift.share).toBeLessThan(0.3);
    const amount = metrics[3]!.drift.features.credit_amount!;
    expect(amount.topBins[0]).toMatchObject({ bin: expect.stringMatching(/^\[\d+, ∞\)$/), reference: 0.05 });
    expect(amount.topBins[0]!.current).toBeGreaterThan(0.15);
  });

  it('measures performance from labels and fairness only over groups large enough', () => {
    const first = metrics[0]!;
    expect(first.performance).toMatchObject({ count: 125 });
    expect(first.performance!.accuracy).toBeGreaterThan(0.6);
    // Few young applicants in the stable half: the age disparity is unknown, not 1.
    expect(first.fairness.age).toMatchObject({ demographicParityRatio: null, insufficientGroups: ['<25'] });
    const drifted = metrics[2]!.fairness.age!;
    expect(drifted.insufficientGroups).toEqual([]);
    const groups = drifted.byGroup as Record<string, { rows: number; selectionRate: number }>;
    const rates = Object.values(groups).map((g) => g.selectionRate);
    expect(drifted.demographicParityRatio).toBeCloseTo(Math.min(...rates) / Math.max(...rates), 5);
    expect(Object.keys(metrics[2]!.fairness)).toEqual(
      expect.arrayContaining(['age', 'sex', 'age & sex', 'foreign_worker']),
    );
  });

  it('merges windows exactly: two halves give the whole', () => {
    const [a, b] = [...windows.values()];
    const merged = mergeWindows(a!, b!);
    const whole = emptyWindow(profile, a!.start, b!.end);
    for (const row of production.slice(0, 250)) addEvent(whole, profile, rowToEvent(schema, row));
    expect(merged).toEqual(whole);
  });
});
