/**
 * Input checks shared by the statistics. A bad input is a programming error in the caller (the
 * monitoring windows build these arrays), so it throws at once instead of producing NaN that an
 * alert rule would silently compare as "no drift".
 */

/** Why an input was refused; each distinct failure has its own reason so tests can assert it. */
export type StatsInputReason =
  | 'empty'
  | 'length-mismatch'
  | 'not-finite'
  | 'negative'
  | 'not-integer'
  | 'not-binary'
  | 'zero-total'
  | 'not-increasing'
  | 'out-of-range';

/** Thrown for inputs the statistics cannot be computed on; `argument` names the offending parameter. */
export class StatsInputError extends RangeError {
  readonly reason: StatsInputReason;
  readonly argument: string;

  constructor(reason: StatsInputReason, argument: string, message: string) {
    super(`${argument}: ${message}`);
    this.name = 'StatsInputError';
    this.reason = reason;
    this.argument = argument;
  }
}

/**
 * A sample of numbers: a plain array, or a Float64Array (which the statistics on raw data copy and
 * sort without converting each element).
 */
export type Sample = readonly number[] | Float64Array;

export function requireNonEmpty(argument: string, values: { readonly length: number }): void {
  if (values.length === 0) throw new StatsInputError('empty', argument, 'must not be empty');
}

export function requireSameLength(
  argumentA: string,
  a: readonly unknown[],
  argumentB: string,
  b: readonly unknown[],
): void {
  if (a.length !== b.length)
    throw new StatsInputError(
      'length-mismatch',
      argumentB,
      `has length ${b.length} but ${argumentA} has length ${a.length}`,
    );
}

export function requireFinite(argument: string, values: ArrayLike<number>): void {
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    if (!Number.isFinite(value))
      throw new StatsInputError('not-finite', argument, `element ${i} is ${value}, not a finite number`);
  }
}

export function requireFiniteNumber(argument: string, value: number): void {
  if (!Number.isFinite(value))
    throw new StatsInputError('not-finite', argument, `is ${value}, not a finite number`);
}

/** Finite and >= 0 (histogram counts may be weighted, so integers are not required). */
export function requireCounts(argument: string, values: readonly number[]): void {
  requireFinite(argument, values);
  for (let i = 0; i < values.length; i++)
    if (values[i]! < 0) throw new StatsInputError('negative', argument, `element ${i} is negative`);
}

export function requireCount(argument: string, value: number): void {
  if (!Number.isInteger(value) || value < 0)
    throw new StatsInputError('not-integer', argument, `is ${value}, not a non-negative integer`);
}

export function sum(values: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < values.length; i++) total += values[i]!;
  return total;
}
