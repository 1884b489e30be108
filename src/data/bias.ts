import { type Interval, wilsonInterval } from '../monitor/stats/fairness.js';
import type { GroupTallies, GroupTally } from './groups.js';

/**
 * Representation and label bias from group tallies.
 *
 * Representation: each group's share of the rows that have the attribute, with a Wilson interval.
 *
 * Label bias, both conventions, over the groups with at least `minGroupSize` labelled rows (the
 * others are listed as insufficient, never used):
 * - Fairlearn (`demographic_parity_difference` / `_ratio` with `method='between_groups'`, applied to
 *   the labels): the unsigned max − min and min / max of the positive rates;
 * - AIF360 (`BinaryLabelDatasetMetric.statistical_parity_difference` / `disparate_impact`): per group
 *   the signed P(y⁺ | group) − P(y⁺ | reference) and the ratio P(y⁺ | group) / P(y⁺ | reference),
 *   against a stated reference ("privileged") group. The attribute's headline figures are those of
 *   the group furthest below the reference (the smallest difference and ratio).
 */

export interface GroupRepresentation {
  rows: number;
  share: number;
  shareInterval: Interval | null;
  /** rows >= minGroupSize. */
  sufficient: boolean;
}

export interface AttributeRepresentation {
  rows: number;
  groups: Record<string, GroupRepresentation>;
  insufficientGroups: string[];
  /** Sufficient or not, groups whose share is below the threshold. */
  underRepresented: string[];
}

export interface GroupLabelRate {
  labeled: number;
  positives: number;
  /** P(label positive | group); null without labelled rows. */
  rate: number | null;
  rateInterval: Interval | null;
  /** rate − reference rate (AIF360 statistical parity difference); null for the reference or insufficient groups. */
  difference: number | null;
  /** rate / reference rate (AIF360 disparate impact); null likewise, or when the reference rate is 0. */
  ratio: number | null;
  sufficient: boolean;
}

export interface AttributeLabelBias {
  reference: string | null;
  /** How the reference was chosen: named in the schema, or the largest sufficient group. */
  referenceFrom: 'schema' | 'largest-group';
  referenceRate: number | null;
  /** AIF360: the smallest signed difference of a group against the reference. */
  statisticalParityDifference: number | null;
  /** AIF360: the smallest ratio of a group's rate to the reference's. */
  disparateImpactRatio: number | null;
  /** Fairlearn: max − min of the rates. */
  demographicParityDifference: number | null;
  /** Fairlearn: min / max of the rates. */
  demographicParityRatio: number | null;
  groups: Record<string, GroupLabelRate>;
  insufficientGroups: string[];
}

const sortedEntries = (groups: Record<string, GroupTally>) =>
  Object.entries(groups).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/** Each group's share of one attribute's rows. */
export function representation(
  groups: Record<string, GroupTally>,
  options: { minGroupSize: number; minGroupShare: number },
): AttributeRepresentation {
  const rows = Object.values(groups).reduce((sum, group) => sum + group.rows, 0);
  const out: AttributeRepresentation = { rows, groups: {}, insufficientGroups: [], underRepresented: [] };
  for (const [name, group] of sortedEntries(groups)) {
    const sufficient = group.rows >= options.minGroupSize;
    const share = rows === 0 ? 0 : group.rows / rows;
    out.groups[name] = {
      rows: group.rows,
      share,
      shareInterval: wilsonInterval(group.rows, rows),
      sufficient,
    };
    if (!sufficient) out.insufficientGroups.push(name);
    if (share < options.minGroupShare) out.underRepresented.push(name);
  }
  return out;
}

/**
 * Label bias over one attribute's groups. `reference` names the reference group; when absent (or
 * not a sufficient group) the largest sufficient group is the reference and `referenceFrom` says so.
 */
export function labelBias(
  groups: Record<string, GroupTally>,
  options: { minGroupSize: number; reference?: string },
): AttributeLabelBias {
  const entries = sortedEntries(groups);
  const sufficient = entries.filter(([, group]) => group.labeled >= options.minGroupSize);
  const named = options.reference !== undefined && sufficient.some(([name]) => name === options.reference);
  const largest = [...sufficient].sort((a, b) => b[1].labeled - a[1].labeled || (a[0] < b[0] ? -1 : 1))[0];
  const reference = named ? options.reference! : (largest?.[0] ?? null);
  const rateOf = (group: GroupTally) => (group.labeled === 0 ? null : group.positives / group.labeled);
  const referenceRate = reference === null ? null : rateOf(groups[reference]!);
  const out: AttributeLabelBias = {
    reference,
    referenceFrom: named ? 'schema' : 'largest-group',
    referenceRate,
    statisticalParityDifference: null,
    disparateImpactRatio: null,
    demographicParityDifference: null,
    demographicParityRatio: null,
    groups: {},
    insufficientGroups: [],
  };
  const rates: number[] = [];
  for (const [name, group] of entries) {
    const rate = rateOf(group);
    const isSufficient = group.labeled >= options.minGroupSize;
    const compared = isSufficient && name !== reference && rate !== null && referenceRate !== null;
    out.groups[name] = {
      labeled: group.labeled,
      positives: group.positives,
      rate,
      rateInterval: wilsonInterval(group.positives, group.labeled),
      difference: compared ? rate - referenceRate : null,
      ratio: compared && referenceRate > 0 ? rate / referenceRate : null,
      sufficient: isSufficient,
    };
    if (!isSufficient) out.insufficientGroups.push(name);
    else if (rate !== null) rates.push(rate);
  }
  const differences = Object.values(out.groups).flatMap((g) => (g.difference === null ? [] : [g.difference]));
  const ratios = Object.values(out.groups).flatMap((g) => (g.ratio === null ? [] : [g.ratio]));
  if (differences.length > 0) out.statisticalParityDifference = Math.min(...differences);
  if (ratios.length > 0) out.disparateImpactRatio = Math.min(...ratios);
  // Disparity needs two groups to compare; with fewer it is unknown, not "perfectly fair".
  if (rates.length >= 2) {
    const max = Math.max(...rates);
    const min = Math.min(...rates);
    out.demographicParityDifference = max - min;
    out.demographicParityRatio = max === 0 ? null : min / max;
  }
  return out;
}

/** Label bias for every attribute, with the worst figures across attributes as the headline. */
export function labelBiasSummary(
  tallies: GroupTallies,
  options: { minGroupSize: number; reference: Record<string, string> },
): {
  statisticalParityDifference: number | null;
  disparateImpactRatio: number | null;
  demographicParityDifference: number | null;
  demographicParityRatio: number | null;
  attributes: Record<string, AttributeLabelBias>;
} {
  const attributes: Record<string, AttributeLabelBias> = {};
  for (const [attribute, groups] of Object.entries(tallies).sort(([a], [b]) => a.localeCompare(b))) {
    const reference = options.reference[attribute] ?? intersectionReference(attribute, options.reference);
    attributes[attribute] = labelBias(groups, {
      minGroupSize: options.minGroupSize,
      ...(reference !== undefined ? { reference } : {}),
    });
  }
  const worst = (pick: (bias: AttributeLabelBias) => number | null, choose: (...xs: number[]) => number) => {
    const values = Object.values(attributes).flatMap((bias) => {
      const value = pick(bias);
      return value === null ? [] : [value];
    });
    return values.length === 0 ? null : choose(...values);
  };
  return {
    statisticalParityDifference: worst((b) => b.statisticalParityDifference, Math.min),
    disparateImpactRatio: worst((b) => b.disparateImpactRatio, Math.min),
    demographicParityDifference: worst((b) => b.demographicParityDifference, Math.max),
    demographicParityRatio: worst((b) => b.demographicParityRatio, Math.min),
    attributes,
  };
}

/** An intersection's reference is the combination of its parts' references, when each part has one. */
function intersectionReference(attribute: string, references: Record<string, string>): string | undefined {
  const parts = attribute.split(' & ');
  if (parts.length < 2 || !parts.every((part) => references[part] !== undefined)) return undefined;
  return parts.map((part) => references[part]).join(' & ');
}
