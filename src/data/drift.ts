import { type DriftResult, evaluateWindow } from '../monitor/evaluate.js';
import { buildProfile, type Profile } from '../monitor/profile.js';
import type { MonitorSchema } from '../monitor/schema.js';
import { defaultDriftMethod } from '../monitor/stats/drift.js';
import { addEvent, emptyWindow, type WindowState } from '../monitor/window.js';
import type { DatasetSchema } from './schema.js';

/**
 * Drift of a data set against a baseline — an older data set or a production monitoring profile —
 * with exactly the binning, tests and thresholds `arbiter/monitor` uses for production windows.
 *
 * A baseline data set is summarised in two passes: a seeded reservoir sample (`BaselineSample`)
 * fixes the bins, then every baseline row is counted over them (`countBaselineRow`). The checked
 * data is counted into a window (`countRow`) and compared (`driftAgainst`).
 */

type Row = Readonly<Record<string, unknown>>;

/** Rows the baseline sample keeps to fix quantile bins. */
export const baselineSampleSize = 20_000;

/** The label column, or the first feature when there is none (its drift is then not reported twice). */
function monitorSchemaFor(schema: DatasetSchema, name: string): MonitorSchema {
  return {
    system: name,
    prediction: schema.label ?? Object.keys(schema.features)[0]!,
    features: schema.features,
    ...(schema.positive !== undefined ? { positive: schema.positive } : {}),
    ...(schema.bins !== undefined ? { bins: schema.bins } : {}),
  };
}

/**
 * A uniform sample of the baseline's rows (Vitter's algorithm R) with a fixed-seed xorshift
 * generator, so the same baseline always gives the same bins.
 */
export class BaselineSample {
  readonly rows: Row[] = [];
  #seen = 0;
  #state = 0x9e3779b9;

  constructor(readonly capacity = baselineSampleSize) {}

  #next(): number {
    let x = this.#state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#state = x >>> 0;
    return this.#state / 0x1_0000_0000;
  }

  add(row: Row): void {
    this.#seen++;
    if (this.rows.length < this.capacity) this.rows.push(row);
    else {
      const slot = Math.floor(this.#next() * this.#seen);
      if (slot < this.capacity) this.rows[slot] = row;
    }
  }

  get seen(): number {
    return this.#seen;
  }
}

/**
 * The profile whose bins come from the sample, with an empty reference to count every baseline
 * row into. `now` only stamps the profile.
 */
export function baselineProfile(
  schema: DatasetSchema,
  sample: BaselineSample,
  source: { name: string; sha256: string },
  now: Date,
): Profile {
  const profile = buildProfile(
    monitorSchemaFor(schema, source.name),
    { name: source.name, sha256: source.sha256, rows: sample.rows, rejected: 0 },
    now,
  );
  profile.reference = emptyWindow(profile, 0, 0);
  return profile;
}

/** Counts one baseline row into the profile's reference. */
export function countBaselineRow(profile: Profile, row: Row): void {
  addEvent(profile.reference, profile, toEvent(profile, row));
}

/**
 * After all baseline rows are counted: each column's drift method is chosen, as Evidently does,
 * from the full reference size, not the sample's.
 */
export function settleBaseline(profile: Profile): void {
  for (const [name, column] of Object.entries(profile.features)) {
    const referenceSize = profile.reference.features[name]!.counts.reduce((a, b) => a + b, 0);
    const choice = defaultDriftMethod({
      kind: column.kind,
      referenceSize,
      uniqueValues: column.uniqueValues,
    });
    column.drift = { method: choice.method, threshold: choice.threshold };
  }
  profile.source.rows = profile.reference.rows;
}

/** An empty window over the baseline's bins, for the checked data. */
export function driftWindow(profile: Profile): WindowState {
  return emptyWindow(profile, 0, 0);
}

/** Counts one checked row into the window. */
export function countRow(window: WindowState, profile: Profile, row: Row): void {
  addEvent(window, profile, toEvent(profile, row));
}

function toEvent(profile: Profile, row: Row) {
  return {
    features: Object.fromEntries(Object.keys(profile.features).map((name) => [name, row[name]])),
    prediction: row[profile.schema.prediction],
  };
}

export interface DataDrift {
  baseline: { name: string; sha256: string; rows: number; kind: 'dataset' | 'profile' };
  /** Share of the features that drifted, and whether that is at least half (Evidently's dataset drift). */
  share: number;
  drifted: number;
  total: number;
  datasetDrift: boolean;
  driftedFeatures: string[];
  features: Record<string, DriftResult>;
  /** Drift of the label's distribution, when the schema has a label the baseline also has. */
  label?: DriftResult;
}

/** Drift of the checked data against the baseline, per feature and for the label. */
export function driftAgainst(
  profile: Profile,
  window: WindowState,
  options: { kind: 'dataset' | 'profile'; labelled: boolean },
): DataDrift {
  const { kind } = options;
  const metrics = evaluateWindow(profile, window);
  const labelDrift = metrics.drift.prediction;
  return {
    baseline: {
      name: profile.source.name,
      sha256: profile.source.sha256,
      rows: profile.reference.rows,
      kind,
    },
    share: metrics.datasetDrift.share,
    drifted: metrics.datasetDrift.drifted,
    total: metrics.datasetDrift.total,
    datasetDrift: metrics.datasetDrift.total > 0 && metrics.datasetDrift.share >= 0.5,
    driftedFeatures: metrics.datasetDrift.features,
    features: metrics.drift.features,
    ...(labelDrift && options.labelled ? { label: labelDrift } : {}),
  };
}

/**
 * A production profile used as the baseline: only the features the data set's schema also has
 * are compared, and the profile's prediction stands in for the label (what the model was trained
 * to output is what production predicted).
 */
export function profileForData(profile: Profile, schema: DatasetSchema): Profile {
  const features = Object.fromEntries(
    Object.entries(profile.features).filter(([name]) => schema.features[name] !== undefined),
  );
  const reference = {
    ...profile.reference,
    features: Object.fromEntries(
      Object.keys(features).map((name) => [name, profile.reference.features[name]!]),
    ),
  };
  return {
    ...profile,
    schema: {
      ...profile.schema,
      prediction: schema.label ?? profile.schema.prediction,
      sensitive: {},
      intersections: [],
    },
    features,
    reference,
  };
}
