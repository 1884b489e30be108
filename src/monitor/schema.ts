import { type Static, Type } from '@sinclair/typebox';

/**
 * What the columns of a monitored model's data mean: features and their types, the prediction,
 * score and label, and the sensitive attributes fairness is measured over (given directly, cut from
 * a number, or mapped from another column). The profile embeds it, so ingestion derives the same
 * groups the reference was profiled with.
 */
const strict = { additionalProperties: false } as const;
const Column = Type.String({ minLength: 1 });

export const SensitiveAttribute = Type.Object(
  {
    /** The column it comes from (default: the attribute's own name). */
    from: Type.Optional(Column),
    /** Cut a numeric column at these points: [25] gives groups "<25" and ">=25". */
    bins: Type.Optional(Type.Array(Type.Number(), { minItems: 1 })),
    /** Map column values to groups (values not listed keep their own name). */
    map: Type.Optional(Type.Record(Type.String(), Type.String())),
  },
  strict,
);

export const MonitorSchemaSpec = Type.Object(
  {
    system: Column,
    task: Type.Optional(Type.Union([Type.Literal('classification'), Type.Literal('regression')])),
    id: Type.Optional(Column),
    timestamp: Type.Optional(Column),
    prediction: Column,
    /** The model's score for the positive class (classification), for ROC AUC. */
    score: Type.Optional(Column),
    label: Type.Optional(Column),
    /** Classification: the label and prediction value that counts as positive (default 1 / "1" / true). */
    positive: Type.Optional(Type.Union([Type.String(), Type.Number(), Type.Boolean()])),
    features: Type.Record(Type.String(), Type.Union([Type.Literal('numeric'), Type.Literal('categorical')]), {
      minProperties: 1,
    }),
    sensitive: Type.Optional(Type.Record(Type.String(), SensitiveAttribute)),
    /** Combinations of sensitive attributes measured as intersections: [[age, sex]]. */
    intersections: Type.Optional(Type.Array(Type.Array(Type.String(), { minItems: 2 }))),
    /** Quantile bins per numeric feature (drift is measured over them). */
    bins: Type.Optional(Type.Integer({ minimum: 2, maximum: 200 })),
    /** Groups smaller than this are reported as insufficient, never as numbers. */
    minGroupSize: Type.Optional(Type.Integer({ minimum: 1 })),
    /** Tumbling window length, e.g. 1h. */
    window: Type.Optional(Type.String({ minLength: 2 })),
  },
  strict,
);

export const MonitorSchemaDocument = Type.Object(
  {
    apiVersion: Type.Literal('arbiter/v1'),
    kind: Type.Literal('MonitorSchema'),
    metadata: Type.Object(
      { name: Type.String({ minLength: 1 }), description: Type.Optional(Type.String()) },
      strict,
    ),
    spec: MonitorSchemaSpec,
  },
  strict,
);

export type MonitorSchema = Static<typeof MonitorSchemaSpec>;
export type SensitiveAttribute = Static<typeof SensitiveAttribute>;

export const defaultBins = 20;
export const defaultMinGroupSize = 30;
export const defaultWindow = '1h';

/** The group a row belongs to for one sensitive attribute, or undefined when the value is missing. */
export function groupOf(
  attribute: string,
  spec: SensitiveAttribute,
  row: Readonly<Record<string, unknown>>,
): string | undefined {
  const raw = row[spec.from ?? attribute];
  if (raw === undefined || raw === null || raw === '') return undefined;
  if (spec.bins) {
    const value = Number(raw);
    if (!Number.isFinite(value)) return undefined;
    const cuts = [...spec.bins].sort((a, b) => a - b);
    const above = cuts.filter((cut) => value >= cut);
    if (above.length === 0) return `<${cuts[0]}`;
    const lower = above[above.length - 1]!;
    const upper = cuts[above.length];
    return upper === undefined ? `>=${lower}` : `${lower}-${upper}`;
  }
  const text = String(raw);
  return spec.map?.[text] ?? text;
}

/** Every group a row belongs to: per attribute and per intersection (`age & sex` → `<25 & female`). */
export function groupsOf(
  schema: MonitorSchema,
  row: Readonly<Record<string, unknown>>,
): Record<string, string> {
  const groups: Record<string, string> = {};
  for (const [attribute, spec] of Object.entries(schema.sensitive ?? {})) {
    const group = groupOf(attribute, spec, row);
    if (group !== undefined) groups[attribute] = group;
  }
  for (const combination of schema.intersections ?? []) {
    const parts = combination.map((attribute) => groups[attribute]);
    if (parts.every((part) => part !== undefined)) groups[combination.join(' & ')] = parts.join(' & ');
  }
  return groups;
}

/** Whether a label or prediction value is the positive class. */
export function isPositive(schema: MonitorSchema, value: unknown): boolean {
  if (schema.positive !== undefined) return String(value) === String(schema.positive);
  return value === true || value === 1 || value === '1' || value === 'true';
}
