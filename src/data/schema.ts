import { type Static, Type } from '@sinclair/typebox';
import { MonitorSchemaSpec, SensitiveAttribute } from '../monitor/schema.js';
import { personalDataKinds } from './pii/kinds.js';

/**
 * What a data set's columns mean and what is expected of them, for `arbiter data check`: the
 * features, the label and its positive class, the sensitive attributes (as monitoring declares
 * them: given directly, cut from a number, or mapped) with the reference group each is compared
 * against, and per-column expectations (type, range, allowed values, missing share, uniqueness,
 * which kinds of personal data a column may hold). A MonitorSchema is accepted too; its `system`
 * and `prediction` are then not required.
 */
const strict = { additionalProperties: false } as const;
const Column = Type.String({ minLength: 1 });
const Share = Type.Number({ minimum: 0, maximum: 1 });

/** The types a column expectation may require. */
export const columnTypes = ['number', 'integer', 'string', 'boolean'] as const;
export type ColumnType = (typeof columnTypes)[number];

/** What one column is expected to hold. */
export const ColumnExpectation = Type.Object(
  {
    type: Type.Optional(Type.Union(columnTypes.map((type) => Type.Literal(type)))),
    min: Type.Optional(Type.Number()),
    max: Type.Optional(Type.Number()),
    /** The only values allowed (compared as text, so 1 and "1" are the same). */
    values: Type.Optional(
      Type.Array(Type.Union([Type.String(), Type.Number(), Type.Boolean()]), { minItems: 1 }),
    ),
    /** The largest share of missing values accepted (0 = none may be missing). */
    maxMissingShare: Type.Optional(Share),
    /** Every non-missing value differs from the others. */
    unique: Type.Optional(Type.Boolean()),
    /** Kinds of personal data this column is meant to hold ("any" for all), so they are not findings. */
    personal: Type.Optional(
      Type.Union([
        Type.Literal('any'),
        Type.Array(Type.Union(personalDataKinds.map((kind) => Type.Literal(kind))), { minItems: 1 }),
      ]),
    ),
  },
  strict,
);

/** Where a figure becomes a finding; each has a default (`defaultDataThresholds`). */
export const DataThresholds = Type.Object(
  {
    /** A feature whose AUC alone reaches this predicts the label too well: leakage (default 0.95). */
    maxFeatureAuc: Type.Optional(Type.Number({ minimum: 0.5, maximum: 1 })),
    /** Groups whose positive-label rate is below this share of the reference group's (default 0.8, the four-fifths rule). */
    minDisparateImpact: Type.Optional(Share),
    /** Largest accepted max − min of positive-label rates over groups (default: not judged). */
    maxParityDifference: Type.Optional(Share),
    /** Groups holding less than this share of the rows are under-represented (default 0.05). */
    minGroupShare: Type.Optional(Share),
    /** Share of duplicate rows above which they are an error rather than a warning (default 0.01). */
    maxDuplicateShare: Type.Optional(Share),
  },
  strict,
);

/** The `spec` of a DatasetSchema document. */
export const DatasetSchemaSpec = Type.Object(
  {
    features: Type.Record(Type.String(), Type.Union([Type.Literal('numeric'), Type.Literal('categorical')]), {
      minProperties: 1,
    }),
    /** A row identifier: left out of row hashes, so a copied row with a new id is still a duplicate. */
    id: Type.Optional(Column),
    label: Type.Optional(Column),
    /** The label value that counts as positive (default 1 / "1" / true). */
    positive: Type.Optional(Type.Union([Type.String(), Type.Number(), Type.Boolean()])),
    sensitive: Type.Optional(Type.Record(Type.String(), SensitiveAttribute)),
    /** The reference (privileged) group of each sensitive attribute; default: its largest group. */
    reference: Type.Optional(Type.Record(Type.String(), Type.String({ minLength: 1 }))),
    intersections: Type.Optional(Type.Array(Type.Array(Type.String(), { minItems: 2 }))),
    /** Groups smaller than this are reported as insufficient, never as numbers (default 30). */
    minGroupSize: Type.Optional(Type.Integer({ minimum: 1 })),
    /** Quantile bins per numeric feature for drift (default 20). */
    bins: Type.Optional(Type.Integer({ minimum: 2, maximum: 200 })),
    columns: Type.Optional(Type.Record(Type.String(), ColumnExpectation)),
    thresholds: Type.Optional(DataThresholds),
  },
  strict,
);

const SchemaMetadata = Type.Object(
  { name: Type.String({ minLength: 1 }), description: Type.Optional(Type.String()) },
  strict,
);

/** A DatasetSchema document, as `--schema` reads it. */
export const DatasetSchemaDocument = Type.Object(
  {
    apiVersion: Type.Literal('arbiter/v1'),
    kind: Type.Literal('DatasetSchema'),
    metadata: SchemaMetadata,
    spec: DatasetSchemaSpec,
  },
  strict,
);

/** A MonitorSchema read for its data: the deployed System and its prediction column are not needed. */
export const MonitorSchemaForDataDocument = Type.Object(
  {
    apiVersion: Type.Literal('arbiter/v1'),
    kind: Type.Literal('MonitorSchema'),
    metadata: SchemaMetadata,
    spec: Type.Object(
      {
        ...MonitorSchemaSpec.properties,
        system: Type.Optional(Column),
        prediction: Type.Optional(Column),
      },
      strict,
    ),
  },
  strict,
);

export type DatasetSchema = Static<typeof DatasetSchemaSpec>;
export type ColumnExpectation = Static<typeof ColumnExpectation>;
export type DataThresholds = Required<Omit<Static<typeof DataThresholds>, 'maxParityDifference'>> & {
  maxParityDifference?: number;
};
type MonitorSchemaForData = Static<typeof MonitorSchemaForDataDocument>['spec'];

/** The thresholds in force when the schema sets none. */
export const defaultDataThresholds = {
  maxFeatureAuc: 0.95,
  minDisparateImpact: 0.8,
  minGroupShare: 0.05,
  maxDuplicateShare: 0.01,
} as const;

/** The DatasetSchema a MonitorSchema amounts to: its columns, label and groups; nothing deployment-specific. */
export function datasetSchemaFromMonitor(spec: MonitorSchemaForData): DatasetSchema {
  return {
    features: spec.features,
    ...(spec.id !== undefined ? { id: spec.id } : {}),
    ...(spec.label !== undefined ? { label: spec.label } : {}),
    ...(spec.positive !== undefined ? { positive: spec.positive } : {}),
    ...(spec.sensitive !== undefined ? { sensitive: spec.sensitive } : {}),
    ...(spec.intersections !== undefined ? { intersections: spec.intersections } : {}),
    ...(spec.minGroupSize !== undefined ? { minGroupSize: spec.minGroupSize } : {}),
    ...(spec.bins !== undefined ? { bins: spec.bins } : {}),
  };
}

/** The thresholds in force: the schema's, else the defaults. */
export function thresholdsOf(schema: DatasetSchema): DataThresholds {
  return { ...defaultDataThresholds, ...schema.thresholds };
}

/**
 * Problems a schema has that its shape cannot express: references to sensitive attributes that
 * are not declared, a min above a max. Each is a sentence naming the field.
 */
export function datasetSchemaProblems(schema: DatasetSchema): string[] {
  const problems: string[] = [];
  const attributes = new Set(Object.keys(schema.sensitive ?? {}));
  for (const attribute of Object.keys(schema.reference ?? {}))
    if (!attributes.has(attribute))
      problems.push(`reference.${attribute}: "${attribute}" is not a sensitive attribute of this schema`);
  for (const [i, combination] of (schema.intersections ?? []).entries())
    for (const attribute of combination)
      if (!attributes.has(attribute))
        problems.push(`intersections[${i}]: "${attribute}" is not a sensitive attribute of this schema`);
  for (const [column, expectation] of Object.entries(schema.columns ?? {}))
    if (expectation.min !== undefined && expectation.max !== undefined && expectation.min > expectation.max)
      problems.push(`columns.${column}: min ${expectation.min} is above max ${expectation.max}`);
  if (schema.label !== undefined && schema.features[schema.label] !== undefined)
    problems.push(`features.${schema.label}: the label cannot also be a feature`);
  return problems;
}
