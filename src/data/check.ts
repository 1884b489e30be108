import type { Profile } from '../monitor/profile.js';
import { isPositive, type MonitorSchema } from '../monitor/schema.js';
import type { WindowState } from '../monitor/window.js';
import { type AttributeRepresentation, labelBiasSummary, representation } from './bias.js';
import { countRow, type DataDrift, driftAgainst, driftWindow } from './drift.js';
import { type FeatureAuc, FeatureAucCheck } from './feature-auc.js';
import { type GroupTallies, tallyRow } from './groups.js';
import { duplicateRows, HashStore, sharedHashes } from './hash-store.js';
import type { PersonalDataKind } from './pii/kinds.js';
import { type ColumnPersonalData, PersonalDataScan } from './pii/scan.js';
import { type ColumnQuality, isMissing, QualityCheck } from './quality.js';
import { hash8, rowKey } from './row-hash.js';
import { type DatasetSchema, thresholdsOf } from './schema.js';

/**
 * One check of a data set: every finding kind accumulated over streamed chunks of rows, in one
 * pass, with memory bounded by the schema (groups, categories) and 8 bytes a row for the row
 * hashes. Feed chunks with `addRows`, then `finish` once.
 */

type Row = Readonly<Record<string, unknown>>;

/** What a file is for: leakage compares training with evaluation rows. */
export type DataRole = 'train' | 'eval' | 'data';

export interface CheckedFile {
  path: string;
  role: DataRole;
  format: string;
  sha256: string;
  bytes: number;
  rows: number;
  /** Rows that could not be read: never checked, so they are a finding of their own. */
  unreadable: number;
}

export interface PersonalDataResult {
  /** Cells holding personal data or secrets in columns not declared to hold that kind. */
  count: number;
  byKind: Partial<Record<PersonalDataKind, number>>;
  columns: Record<string, ColumnPersonalData>;
  /** Cells of kinds their column is declared to hold (`columns.X.personal`), by column and kind. */
  allowed: Record<string, Partial<Record<PersonalDataKind, number>>>;
}

export interface QualityResult {
  rows: number;
  unreadableRows: number;
  duplicateRows: number;
  duplicateShare: number;
  constantColumns: string[];
  columns: Record<string, ColumnQuality>;
}

export interface LeakageResult {
  trainRows: number;
  evalRows: number;
  /** Evaluation rows whose row hash also occurs among the training rows. */
  sharedRows: number;
  /** sharedRows / evalRows. */
  sharedShare: number;
  features: Record<string, FeatureAuc>;
  /** The feature with the highest AUC alone. */
  strongestFeature: { feature: string; auc: number } | null;
}

export interface DataChecks {
  pii: PersonalDataResult;
  quality: QualityResult;
  representation: Record<string, AttributeRepresentation>;
  bias: { label: ReturnType<typeof labelBiasSummary> | null };
  leakage: LeakageResult;
  drift: DataDrift | null;
}

interface Baseline {
  profile: Profile;
  kind: 'dataset' | 'profile';
}

/** Accumulates every check over streamed rows. */
export class DatasetCheck {
  readonly #schema: DatasetSchema;
  readonly #pii = new PersonalDataScan();
  readonly #quality: QualityCheck;
  readonly #tallies: GroupTallies = {};
  readonly #auc: FeatureAucCheck;
  readonly #hashes: Record<DataRole, HashStore> = {
    train: new HashStore(),
    eval: new HashStore(),
    data: new HashStore(),
  };
  readonly #baseline: Baseline | undefined;
  readonly #window: WindowState | undefined;
  #hashColumns: string[] | undefined;
  #unreadable = 0;

  constructor(schema: DatasetSchema, baseline?: Baseline) {
    this.#schema = schema;
    this.#quality = new QualityCheck(schema);
    this.#auc = new FeatureAucCheck(schema.features);
    this.#baseline = baseline;
    this.#window = baseline ? driftWindow(baseline.profile) : undefined;
  }

  /**
   * Counts a chunk of rows of one file. `firstRow` is the 1-based number of the chunk's first row
   * in its file, so samples and examples say where to look.
   */
  addRows(rows: readonly Row[], source: { file: string; role: DataRole; firstRow: number }): void {
    const schema = this.#schema;
    // Rows are hashed over the columns of the first row seen (sorted), less the row id.
    this.#hashColumns ??= Object.keys(rows[0] ?? {})
      .filter((column) => column !== schema.id)
      .sort();
    const hashes = this.#hashes[source.role];
    const useForAuc = source.role !== 'eval' && schema.label !== undefined;
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      const where = { file: source.file, row: source.firstRow + i };
      for (const column in row) {
        const value = row[column];
        if (!isMissing(value)) this.#pii.addCell(column, value, where);
      }
      this.#quality.addRow(row, `${where.file}:${where.row}`);
      tallyRow(this.#tallies, schema, row);
      hashes.add(hash8(rowKey(row, this.#hashColumns)));
      if (useForAuc) {
        const label = row[schema.label!];
        if (!isMissing(label)) this.#auc.addRow(row, isPositive(schema as unknown as MonitorSchema, label));
      }
      if (this.#window && this.#baseline) countRow(this.#window, this.#baseline.profile, row);
    }
  }

  /** Rows a reader could not read: they were not checked, which the result must say. */
  addUnreadable(count: number): void {
    this.#unreadable += count;
  }

  /** The results of every check. */
  finish(): DataChecks {
    const schema = this.#schema;
    const thresholds = thresholdsOf(schema);
    const minGroupSize = schema.minGroupSize ?? 30;
    const quality = this.#quality.columns();
    const sorted = {
      train: this.#hashes.train.sorted(),
      eval: this.#hashes.eval.sorted(),
      data: this.#hashes.data.sorted(),
    };
    const rows = this.#quality.rows;
    const duplicates = duplicateRows([sorted.train, sorted.eval, sorted.data]);
    const shared = sharedHashes(sorted.train, sorted.eval).rows;
    const features = schema.label === undefined ? {} : this.#auc.results();
    const strongest = Object.entries(features)
      .flatMap(([feature, result]) => (result.auc === null ? [] : [{ feature, auc: result.auc }]))
      .sort((a, b) => b.auc - a.auc)[0];
    return {
      pii: this.#personalData(),
      quality: {
        rows,
        unreadableRows: this.#unreadable,
        duplicateRows: duplicates,
        duplicateShare: rows === 0 ? 0 : duplicates / rows,
        constantColumns: Object.entries(quality)
          .filter(([, column]) => column.constant)
          .map(([name]) => name),
        columns: quality,
      },
      representation: Object.fromEntries(
        Object.entries(this.#tallies)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([attribute, groups]) => [
            attribute,
            representation(groups, { minGroupSize, minGroupShare: thresholds.minGroupShare }),
          ]),
      ),
      bias: {
        label:
          schema.label === undefined
            ? null
            : labelBiasSummary(this.#tallies, { minGroupSize, reference: schema.reference ?? {} }),
      },
      leakage: {
        trainRows: sorted.train.length,
        evalRows: sorted.eval.length,
        sharedRows: shared,
        sharedShare: sorted.eval.length === 0 ? 0 : shared / sorted.eval.length,
        features,
        strongestFeature: strongest ?? null,
      },
      drift:
        this.#baseline && this.#window
          ? driftAgainst(this.#baseline.profile, this.#window, {
              kind: this.#baseline.kind,
              labelled: schema.label !== undefined,
            })
          : null,
    };
  }

  #personalData(): PersonalDataResult {
    const columns = this.#pii.columns();
    const reported: Record<string, ColumnPersonalData> = {};
    const allowed: PersonalDataResult['allowed'] = {};
    const byKind: PersonalDataResult['byKind'] = {};
    let count = 0;
    for (const [column, found] of Object.entries(columns)) {
      const permitted = this.#schema.columns?.[column]?.personal;
      const kinds: ColumnPersonalData['kinds'] = {};
      for (const [kind, result] of Object.entries(found.kinds) as [
        PersonalDataKind,
        NonNullable<ColumnPersonalData['kinds'][PersonalDataKind]>,
      ][]) {
        if (permitted === 'any' || permitted?.includes(kind)) {
          allowed[column] = { ...allowed[column], [kind]: result.cells };
          continue;
        }
        kinds[kind] = result;
        byKind[kind] = (byKind[kind] ?? 0) + result.cells;
        count += result.cells;
      }
      if (Object.keys(kinds).length > 0) reported[column] = { values: found.values, kinds };
    }
    return { count, byKind, columns: reported, allowed };
  }
}
