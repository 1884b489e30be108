import { numericValue } from '../monitor/columns.js';
import { duplicateRows, HashStore } from './hash-store.js';
import { canonicalCell, hash8 } from './row-hash.js';
import type { ColumnExpectation, DatasetSchema } from './schema.js';

/**
 * Data quality per column, accumulated over streamed rows: missing values, constant columns, and
 * the schema's expectations (type, range, allowed values, uniqueness). Counts and row locations
 * only — a violating value is never repeated, since it may be personal.
 */

/** A missing cell: absent, null, empty or blank text, or a non-finite number. */
export function isMissing(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (typeof value === 'string') return value.trim() === '';
  if (typeof value === 'number') return Number.isNaN(value);
  return false;
}

/** Rows kept per column and problem to say where to look. */
export const maxExampleRows = 5;

export interface ColumnQuality {
  values: number;
  missing: number;
  missingShare: number;
  /** Distinct non-missing values, counted up to 2 (enough to know the column is not constant). */
  constant: boolean;
  typeViolations: number;
  rangeViolations: number;
  valueViolations: number;
  /** With `unique: true`: rows whose value occurred before. */
  duplicateValues?: number;
  /** Where violations are, as `file:row`. */
  examples: string[];
}

interface ColumnState {
  values: number;
  missing: number;
  first: string | undefined;
  varied: boolean;
  typeViolations: number;
  rangeViolations: number;
  valueViolations: number;
  unique: HashStore | undefined;
  examples: string[];
}

function typeHolds(expectation: ColumnExpectation['type'], value: unknown): boolean {
  switch (expectation) {
    case 'number':
      return numericValue(value) !== undefined && typeof value !== 'boolean';
    case 'integer': {
      const number = typeof value === 'boolean' ? undefined : numericValue(value);
      return number !== undefined && Number.isInteger(number);
    }
    case 'boolean':
      return typeof value === 'boolean' || /^(true|false)$/i.test(String(value).trim());
    default:
      return true;
  }
}

/** Accumulates quality per column. */
export class QualityCheck {
  readonly #columns = new Map<string, ColumnState>();
  readonly #expectations: Record<string, ColumnExpectation>;
  readonly #allowed: Map<string, Set<string>>;
  #rows = 0;

  constructor(schema: DatasetSchema) {
    // A feature declared numeric is expected to hold numbers even without a column expectation.
    const implied: Record<string, ColumnExpectation> = Object.fromEntries(
      Object.entries(schema.features)
        .filter(([, kind]) => kind === 'numeric')
        .map(([name]) => [name, { type: 'number' } satisfies ColumnExpectation]),
    );
    this.#expectations = { ...implied };
    for (const [name, expectation] of Object.entries(schema.columns ?? {}))
      this.#expectations[name] = { ...implied[name], ...expectation };
    this.#allowed = new Map(
      Object.entries(this.#expectations)
        .filter(([, expectation]) => expectation.values)
        .map(([name, expectation]) => [name, new Set(expectation.values!.map((v) => canonicalCell(v)))]),
    );
    for (const name of [...Object.keys(schema.features), ...Object.keys(this.#expectations)])
      this.#state(name);
  }

  #state(column: string): ColumnState {
    let state = this.#columns.get(column);
    if (!state) {
      state = {
        // A column first seen after some rows was missing in them.
        values: 0,
        missing: this.#rows,
        first: undefined,
        varied: false,
        typeViolations: 0,
        rangeViolations: 0,
        valueViolations: 0,
        unique: this.#expectations[column]?.unique ? new HashStore() : undefined,
        examples: [],
      };
      this.#columns.set(column, state);
    }
    return state;
  }

  /** Counts one row; `where` names it in examples (`train.csv:12`). */
  addRow(row: Readonly<Record<string, unknown>>, where: string): void {
    this.#rows++;
    for (const name of Object.keys(row)) this.#state(name);
    for (const [name, state] of this.#columns) {
      const value = row[name];
      if (isMissing(value)) {
        state.missing++;
        continue;
      }
      state.values++;
      const expectation = this.#expectations[name];
      // Constancy by raw text is enough until the column varies; then canonical text settles it
      // ("1" and "1.0" are one value), and only while it might still be constant.
      if (!state.varied) {
        const text = canonicalCell(value);
        if (state.first === undefined) state.first = text;
        else if (text !== state.first) state.varied = true;
      }
      if (!expectation) continue;
      let violated = false;
      if (!typeHolds(expectation.type, value)) {
        state.typeViolations++;
        violated = true;
      }
      if (expectation.min !== undefined || expectation.max !== undefined) {
        const number = numericValue(value);
        if (
          number !== undefined &&
          ((expectation.min !== undefined && number < expectation.min) ||
            (expectation.max !== undefined && number > expectation.max))
        ) {
          state.rangeViolations++;
          violated = true;
        }
      }
      const allowed = this.#allowed.get(name);
      const text = allowed || state.unique ? canonicalCell(value) : '';
      if (allowed && !allowed.has(text)) {
        state.valueViolations++;
        violated = true;
      }
      state.unique?.add(hash8(text));
      if (violated && state.examples.length < maxExampleRows) state.examples.push(where);
    }
  }

  get rows(): number {
    return this.#rows;
  }

  /** Per column: counts and shares, sorted by name. */
  columns(): Record<string, ColumnQuality> {
    const out: Record<string, ColumnQuality> = {};
    for (const [name, state] of [...this.#columns].sort(([a], [b]) => a.localeCompare(b))) {
      const total = state.values + state.missing;
      out[name] = {
        values: state.values,
        missing: state.missing,
        missingShare: total === 0 ? 0 : state.missing / total,
        constant: state.values > 0 && !state.varied,
        typeViolations: state.typeViolations,
        rangeViolations: state.rangeViolations,
        valueViolations: state.valueViolations,
        ...(state.unique ? { duplicateValues: duplicateRows([state.unique.sorted()]) } : {}),
        examples: state.examples,
      };
    }
    return out;
  }

  /** The expectation in force for a column (declared, or implied by a numeric feature). */
  expectation(column: string): ColumnExpectation | undefined {
    return this.#expectations[column];
  }
}
