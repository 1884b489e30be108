import { groupOf, isPositive, type MonitorSchema, type SensitiveAttribute } from '../monitor/schema.js';
import { scanText } from './pii/scan.js';
import type { DatasetSchema } from './schema.js';

/**
 * Rows per sensitive group and intersection, and how many of each group's labelled rows carry the
 * positive label: all that representation and label bias need. Counts only, so chunks add up.
 */

export interface GroupTally {
  rows: number;
  /** Rows with a label. */
  labeled: number;
  /** Labelled rows whose label is the positive class. */
  positives: number;
}

/** attribute (or "a & b" intersection) → group → tally. */
export type GroupTallies = Record<string, Record<string, GroupTally>>;

const safeNames = new Map<string, string>();

/**
 * A group name fit to print: a sensitive attribute's raw values become group names, and a value
 * holding personal data (an e-mail declared as an attribute by mistake) must not reach a report.
 */
export function safeGroupName(name: string): string {
  let safe = safeNames.get(name);
  if (safe === undefined) {
    const found = scanText(name);
    safe = found.length === 0 ? name : `[${found[0]!.kind} ${found[0]!.redacted}]`;
    if (safeNames.size < 10_000) safeNames.set(name, safe);
  }
  return safe;
}

/** A schema's attributes with their bins sorted once (monitor's groupOf sorts a copy on every call). */
const preparedSchemas = new WeakMap<
  DatasetSchema,
  { attributes: [string, SensitiveAttribute][]; names: Map<string, string> }
>();

function prepared(schema: DatasetSchema) {
  let entry = preparedSchemas.get(schema);
  if (!entry) {
    entry = {
      attributes: Object.entries(schema.sensitive ?? {}).map(([attribute, spec]) => [
        attribute,
        spec.bins ? { ...spec, bins: [...spec.bins].sort((a, b) => a - b) } : spec,
      ]),
      // Intersection group names, so that a row does not build the same string again.
      names: new Map(),
    };
    preparedSchemas.set(schema, entry);
  }
  return entry;
}

/** The group names of a row, per attribute and intersection (as `arbiter/monitor` derives them). */
export function rowGroups(
  schema: DatasetSchema,
  row: Readonly<Record<string, unknown>>,
): Record<string, string> {
  const { attributes, names } = prepared(schema);
  const groups: Record<string, string> = {};
  for (const [attribute, spec] of attributes) {
    const group = groupOf(attribute, spec, row);
    if (group !== undefined) groups[attribute] = safeGroupName(group);
  }
  for (const combination of schema.intersections ?? []) {
    const parts = combination.map((attribute) => groups[attribute]);
    if (!parts.every((part) => part !== undefined)) continue;
    const key = parts.join('\u0000');
    let name = names.get(key);
    if (name === undefined) {
      name = parts.join(' & ');
      if (names.size < 100_000) names.set(key, name);
    }
    groups[combination.join(' & ')] = name;
  }
  return groups;
}

/** Counts one row into the tallies. */
export function tallyRow(
  tallies: GroupTallies,
  schema: DatasetSchema,
  row: Readonly<Record<string, unknown>>,
): void {
  const groups = rowGroups(schema, row);
  const label = schema.label === undefined ? undefined : row[schema.label];
  const labeled = label !== undefined && label !== null && label !== '';
  const positive = labeled && isPositive(schema as unknown as MonitorSchema, label);
  for (const [attribute, group] of Object.entries(groups)) {
    tallies[attribute] ??= {};
    // Object.hasOwn: a group named "__proto__" or "constructor" is still just a group.
    const byGroup = tallies[attribute]!;
    if (!Object.hasOwn(byGroup, group))
      Object.defineProperty(byGroup, group, {
        value: { rows: 0, labeled: 0, positives: 0 },
        enumerable: true,
        writable: true,
        configurable: true,
      });
    const tally = byGroup[group]!;
    tally.rows++;
    if (labeled) tally.labeled++;
    if (positive) tally.positives++;
  }
}
