import { parseDuration } from '../core/duration.js';
import { type Column, categoricalValue, numericValue, topCategories } from './columns.js';
import type { Row } from './data.js';
import { defaultBins, defaultWindow, type MonitorSchema } from './schema.js';
import { distinctCountOfSorted, referenceEdgesOfSorted } from './stats/bins.js';
import { type DriftMethod, defaultDriftMethod } from './stats/index.js';
import { sortFloat64 } from './stats/radix-sort.js';
import { addEvent, emptyWindow, type MonitorEvent, type WindowState } from './window.js';

/**
 * The reference a model is monitored against: for each column its bins (fixed here, used by every
 * window), summary statistics and the drift test chosen for it, plus the reference data itself as
 * a window over those bins. Built once from a data set; windows are compared to it.
 */

export type ProfiledColumn = Column & {
  count: number;
  missing: number;
  uniqueValues: number;
  mean?: number;
  /** Population standard deviation (Wasserstein distances are normalised by it). */
  std?: number;
  drift: { method: DriftMethod; threshold: number };
};

export interface Profile {
  format: 'arbiter.monitor.profile/v1';
  system: string;
  createdAt: string;
  source: { name: string; sha256: string; rows: number; rejected: number };
  schema: MonitorSchema;
  window: string;
  windowMs: number;
  features: Record<string, ProfiledColumn>;
  prediction: ProfiledColumn;
  /** The reference data counted over the profile's bins, as a window. */
  reference: WindowState;
}

function profileColumn(
  kind: 'numeric' | 'categorical',
  raw: readonly unknown[],
  bins: number,
): ProfiledColumn {
  if (kind === 'numeric') {
    const values = raw.map(numericValue).filter((v): v is number => v !== undefined);
    const mean = values.reduce((sum, v) => sum + v, 0) / Math.max(1, values.length);
    const std = Math.sqrt(values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / Math.max(1, values.length));
    // One numeric sort serves the distinct count and the edges.
    const sorted = sortFloat64(new Float64Array(values));
    const uniqueValues = distinctCountOfSorted(sorted);
    return {
      kind,
      // Few distinct values (counts, ratings): one bin per value, so no two values share a bin.
      edges: referenceEdgesOfSorted(sorted, bins),
      count: values.length,
      missing: raw.length - values.length,
      uniqueValues,
      mean,
      std,
      drift: defaultDriftMethod({ kind, referenceSize: values.length, uniqueValues }),
    };
  }
  const values = raw.map(categoricalValue).filter((v): v is string => v !== undefined);
  const uniqueValues = new Set(values).size;
  return {
    kind,
    categories: topCategories(values),
    count: values.length,
    missing: raw.length - values.length,
    uniqueValues,
    drift: defaultDriftMethod({ kind, referenceSize: values.length, uniqueValues }),
  };
}

/** A data row as a monitoring event, reading the columns the schema names. */
export function rowToEvent(schema: MonitorSchema, row: Row): MonitorEvent {
  const features = Object.fromEntries(Object.keys(schema.features).map((name) => [name, row[name]]));
  const score = schema.score === undefined ? undefined : numericValue(row[schema.score]);
  const time = schema.timestamp === undefined ? undefined : row[schema.timestamp];
  return {
    ...(schema.id !== undefined && row[schema.id] != null ? { id: String(row[schema.id]) } : {}),
    ...(typeof time === 'string' || typeof time === 'number' ? { time } : {}),
    features,
    prediction: row[schema.prediction],
    ...(score !== undefined ? { score } : {}),
    ...(schema.label !== undefined && row[schema.label] != null ? { label: row[schema.label] } : {}),
    // Sensitive attributes may come from columns that are not features (e.g. age kept out of the model).
    sensitive: Object.fromEntries(
      Object.entries(schema.sensitive ?? {}).map(([attribute, spec]) => {
        const column = spec.from ?? attribute;
        return [column, row[column]];
      }),
    ),
  };
}

export interface ProfileSource {
  name: string;
  sha256: string;
  rows: readonly Row[];
  rejected: number;
}

/** Builds the reference profile of a data set. `now` stamps it; the data decides everything else. */
export function buildProfile(schema: MonitorSchema, source: ProfileSource, now: Date): Profile {
  const bins = schema.bins ?? defaultBins;
  const window = schema.window ?? defaultWindow;
  const windowMs = parseDuration(window);
  if (windowMs === undefined || windowMs <= 0)
    throw new RangeError(`window "${window}" is not a duration such as 1h`);
  const features = Object.fromEntries(
    Object.entries(schema.features).map(([name, kind]) => [
      name,
      profileColumn(
        kind,
        source.rows.map((row) => row[name]),
        bins,
      ),
    ]),
  );
  const prediction = profileColumn(
    schema.task === 'regression' ? 'numeric' : 'categorical',
    source.rows.map((row) => row[schema.prediction]),
    bins,
  );
  const profile: Profile = {
    format: 'arbiter.monitor.profile/v1',
    system: schema.system,
    createdAt: now.toISOString(),
    source: { name: source.name, sha256: source.sha256, rows: source.rows.length, rejected: source.rejected },
    schema,
    window,
    windowMs,
    features,
    prediction,
    reference: emptyWindow({ features, prediction } as Profile, 0, 0),
  };
  for (const row of source.rows) addEvent(profile.reference, profile, rowToEvent(schema, row));
  return profile;
}
