import { describe, expect, it } from 'vitest';
import { arbiter } from '../helpers/cli.js';

/**
 * The German Credit data (examples/monitoring/credit-g.arff, the copy of ../shared/data/credit-g.arff) checked with examples/data/credit-g.schema.yaml.
 * Expected counts were computed by hand from the raw file with awk (field 13 age, 9 personal_status,
 * 21 class): 1,000 rows, 700 good; <25: 149 rows, 88 good; >=25: 851, 612; female: 310, 201;
 * male: 690, 499; <25 & female: 84, 48; >=25 & male: 625, 459.
 */
describe('German Credit', () => {
  const result = arbiter([
    'data',
    'check',
    'examples/monitoring/credit-g.arff',
    '--schema',
    'examples/data/credit-g.schema.yaml',
    '--json',
  ]);
  const checks = JSON.parse(result.stdout).checks;

  it('reads all 1,000 rows and finds no personal data, duplicates or broken expectations', () => {
    expect(result.stderr).toBe('');
    expect(checks.quality).toMatchObject({ rows: 1000, unreadableRows: 0, duplicateRows: 0 });
    expect(checks.pii.count).toBe(0);
    for (const column of Object.values(checks.quality.columns) as {
      typeViolations: number;
      rangeViolations: number;
    }[])
      expect(column.typeViolations + column.rangeViolations).toBe(0);
  });

  it('represents the groups with the hand-counted sizes', () => {
    expect(checks.representation.age.groups['<25'].rows).toBe(149);
    expect(checks.representation.age.groups['>=25'].rows).toBe(851);
    expect(checks.representation.sex.groups.female.rows).toBe(310);
    expect(checks.representation['age & sex'].groups['<25 & female'].rows).toBe(84);
    expect(checks.representation.age.groups['<25'].share).toBe(0.149);
  });

  it('measures label bias against the stated reference groups, both conventions', () => {
    const age = checks.bias.label.attributes.age;
    expect(age.reference).toBe('>=25');
    expect(age.groups['<25'].difference).toBeCloseTo(88 / 149 - 612 / 851, 12);
    expect(age.groups['<25'].ratio).toBeCloseTo(88 / 149 / (612 / 851), 12);
    expect(age.demographicParityDifference).toBeCloseTo(612 / 851 - 88 / 149, 12);
    const sex = checks.bias.label.attributes.sex;
    expect(sex.reference).toBe('male');
    expect(sex.statisticalParityDifference).toBeCloseTo(201 / 310 - 499 / 690, 12);
    expect(sex.disparateImpactRatio).toBeCloseTo(201 / 310 / (499 / 690), 12);
    const both = checks.bias.label.attributes['age & sex'];
    expect(both.reference).toBe('>=25 & male');
    expect(both.disparateImpactRatio).toBeCloseTo(48 / 84 / (459 / 625), 12);
    expect(checks.bias.label.disparateImpactRatio).toBeCloseTo(48 / 84 / (459 / 625), 12);
  });

  it('fails on the young women: disparate impact 0.778 is below the four-fifths rule', () => {
    expect(result.code).toBe(1);
    const findings = JSON.parse(result.stdout).findings;
    expect(findings.map((f: { id: string }) => f.id)).toEqual([
      'bias.disparate-impact:age & sex=<25 & female',
    ]);
  });

  it('finds no feature that alone gives the label away', () => {
    expect(checks.leakage.strongestFeature.feature).toBe('checking_status');
    expect(checks.leakage.strongestFeature.auc).toBeLessThan(0.8);
  });
});
