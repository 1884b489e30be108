import { describe, expect, it } from 'vitest';
import { labelBias, labelBiasSummary, representation } from '../../src/data/index.js';
import { wilsonInterval } from '../../src/monitor/stats/fairness.js';

const tally = (rows: number, positives: number, labeled = rows) => ({ rows, labeled, positives });

describe('label bias', () => {
  // Hand computation: rates A = 60/100 = 0.6 (reference), B = 30/60 = 0.5, C = 10/40 = 0.25, D = 5/10 (too small).
  const groups = { A: tally(100, 60), B: tally(60, 30), C: tally(40, 10), D: tally(10, 5) };

  it('gives AIF360 signed differences and ratios against the stated reference', () => {
    const bias = labelBias(groups, { minGroupSize: 30, reference: 'A' });
    expect(bias.reference).toBe('A');
    expect(bias.referenceFrom).toBe('schema');
    expect(bias.groups.B!.difference).toBeCloseTo(0.5 - 0.6, 12);
    expect(bias.groups.B!.ratio).toBeCloseTo(0.5 / 0.6, 12);
    expect(bias.groups.C!.difference).toBeCloseTo(0.25 - 0.6, 12);
    expect(bias.groups.C!.ratio).toBeCloseTo(0.25 / 0.6, 12);
    expect(bias.groups.A!.difference).toBeNull();
    expect(bias.statisticalParityDifference).toBeCloseTo(-0.35, 12);
    expect(bias.disparateImpactRatio).toBeCloseTo(0.25 / 0.6, 12);
  });

  it("gives Fairlearn's unsigned max − min and min / max over sufficient groups only", () => {
    const bias = labelBias(groups, { minGroupSize: 30, reference: 'A' });
    expect(bias.demographicParityDifference).toBeCloseTo(0.6 - 0.25, 12);
    expect(bias.demographicParityRatio).toBeCloseTo(0.25 / 0.6, 12);
    expect(bias.insufficientGroups).toEqual(['D']);
    expect(bias.groups.D).toMatchObject({ sufficient: false, difference: null, ratio: null, rate: 0.5 });
  });

  it('states the largest group as reference when none is named (or the named one is too small)', () => {
    expect(labelBias(groups, { minGroupSize: 30 })).toMatchObject({
      reference: 'A',
      referenceFrom: 'largest-group',
    });
    expect(labelBias(groups, { minGroupSize: 30, reference: 'D' })).toMatchObject({
      reference: 'A',
      referenceFrom: 'largest-group',
    });
  });

  it('gives Wilson intervals as statsmodels does (95%, 30 of 60 → [0.3773, 0.6227])', () => {
    const bias = labelBias(groups, { minGroupSize: 30 });
    expect(bias.groups.B!.rateInterval![0]).toBeCloseTo(0.37733, 4);
    expect(bias.groups.B!.rateInterval![1]).toBeCloseTo(0.62267, 4);
  });

  it('says nothing rather than "fair" with one sufficient group', () => {
    const bias = labelBias({ A: tally(100, 60), D: tally(10, 5) }, { minGroupSize: 30 });
    expect(bias.demographicParityDifference).toBeNull();
    expect(bias.statisticalParityDifference).toBeNull();
  });

  it('matches a naive recomputation on random tallies', () => {
    let seed = 5;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let round = 0; round < 200; round++) {
      const groupsHere: Record<string, ReturnType<typeof tally>> = {};
      const count = 2 + Math.floor(next() * 5);
      for (let g = 0; g < count; g++) {
        const labeled = Math.floor(next() * 200);
        groupsHere[`g${g}`] = tally(labeled, Math.floor(next() * (labeled + 1)));
      }
      const bias = labelBias(groupsHere, { minGroupSize: 20, reference: 'g0' });
      const sufficient = Object.entries(groupsHere).filter(([, t]) => t.labeled >= 20);
      const rates = sufficient.map(([, t]) => t.positives / t.labeled);
      if (rates.length >= 2)
        expect(bias.demographicParityDifference).toBeCloseTo(Math.max(...rates) - Math.min(...rates), 12);
      const ref = bias.reference === null ? undefined : groupsHere[bias.reference];
      if (ref && ref.labeled >= 20) {
        const refRate = ref.positives / ref.labeled;
        const diffs = sufficient
          .filter(([n]) => n !== bias.reference)
          .map(([, t]) => t.positives / t.labeled - refRate);
        if (diffs.length > 0) expect(bias.statisticalParityDifference).toBeCloseTo(Math.min(...diffs), 12);
      }
    }
  });
});

describe('representation', () => {
  it('gives each group its share with a Wilson interval, flags small and under-represented groups', () => {
    const result = representation(
      { A: tally(90, 0), B: tally(7, 0), C: tally(3, 0) },
      { minGroupSize: 5, minGroupShare: 0.05 },
    );
    expect(result.rows).toBe(100);
    expect(result.groups.A!.share).toBe(0.9);
    expect(result.groups.B!.shareInterval).toEqual(wilsonInterval(7, 100));
    expect(result.insufficientGroups).toEqual(['C']);
    expect(result.underRepresented).toEqual(['C']);
  });
});

describe('labelBiasSummary', () => {
  it('takes the worst figure over attributes and builds intersection references from the parts', () => {
    const summary = labelBiasSummary(
      {
        age: { '<25': tally(100, 50), '>=25': tally(100, 80) },
        'age & sex': { '<25 & f': tally(50, 20), '>=25 & m': tally(50, 45) },
      },
      { minGroupSize: 30, reference: { age: '>=25', sex: 'm' } },
    );
    expect(summary.attributes['age & sex']!.reference).toBe('>=25 & m');
    expect(summary.statisticalParityDifference).toBeCloseTo(0.4 - 0.9, 12);
    expect(summary.disparateImpactRatio).toBeCloseTo(0.4 / 0.9, 12);
  });
});
