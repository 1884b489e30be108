import { describe, expect, it } from 'vitest';
import {
  effectiveAutonomy,
  errorBudgetOf,
  spendBudget,
  trackRecord,
  trackRecordWindow,
} from '../../src/registry/autonomy.js';

describe('effective autonomy', () => {
  it('is the document level without a change, or after a change back to the level the document had', () => {
    expect(effectiveAutonomy(3, undefined)).toBe(3);
    expect(effectiveAutonomy(3, { to: 3, ceiling: 3 })).toBe(3);
    // Restored to the ceiling of its time: the System follows its document again, up or down.
    expect(effectiveAutonomy(2, { to: 2, ceiling: 2 })).toBe(2);
    expect(effectiveAutonomy(3, { to: 2, ceiling: 2 })).toBe(3);
  });

  it('is min(document, stored) while a demotion stands: lowering applies, raising does not promote', () => {
    expect(effectiveAutonomy(3, { to: 2, ceiling: 3 })).toBe(2);
    expect(effectiveAutonomy(1, { to: 2, ceiling: 3 })).toBe(1);
    expect(effectiveAutonomy(3, { to: 0, ceiling: 1 })).toBe(0);
  });
});

describe('error budgets', () => {
  const failures = (...times: string[]) => times.map((at, i) => ({ decisionId: `dec_${i + 1}`, at }));

  it('is exceeded by more than maxFailures failures (the third of "at most 2")', () => {
    const two = spendBudget(
      { maxFailures: 2 },
      failures('2026-11-17T10:00:00Z', '2026-11-17T11:00:00Z'),
      undefined,
    );
    expect(two).toEqual({ counted: ['dec_1', 'dec_2'], remaining: 0, exceeded: false });
    const three = spendBudget(
      { maxFailures: 2 },
      failures('2026-11-17T10:00:00Z', '2026-11-17T11:00:00Z', '2026-11-17T12:00:00Z'),
      undefined,
    );
    expect(three).toEqual({ counted: ['dec_1', 'dec_2', 'dec_3'], remaining: 0, exceeded: true });
    expect(spendBudget({ maxFailures: 0 }, failures('2026-11-17T10:00:00Z'), undefined).exceeded).toBe(true);
  });

  it('counts only failures after the last autonomy change, so a demotion starts a fresh budget', () => {
    const spend = spendBudget(
      { maxFailures: 2 },
      failures('2026-11-17T10:00:00.000Z', '2026-11-17T11:00:00.000Z', '2026-11-17T12:00:00.000Z'),
      '2026-11-17T11:00:00.000Z',
    );
    expect(spend).toEqual({ counted: ['dec_3'], remaining: 1, exceeded: false });
  });

  it('reads a stored spec, defaulting environments; a spec without a usable budget has none', () => {
    expect(errorBudgetOf({ errorBudget: { maxFailures: 2, window: '7d' } })).toEqual({
      maxFailures: 2,
      window: '7d',
      windowMs: 7 * 86_400_000,
      environments: ['prod', 'production'],
    });
    expect(errorBudgetOf({ errorBudget: { maxFailures: 2, window: 'a week' } })).toBeUndefined();
    expect(errorBudgetOf({ autonomy: 3 })).toBeUndefined();
  });
});

describe('track record', () => {
  it('counts outcomes, the failure rate and, with a budget, what is left of it', () => {
    const budget = errorBudgetOf({ errorBudget: { maxFailures: 2, window: '24h', environments: ['prod'] } })!;
    expect(
      trackRecord(
        trackRecordWindow(budget),
        { succeeded: 6, failed: 1, rolled_back: 1 },
        { maxFailures: 2, spend: { counted: ['dec_1'], remaining: 1, exceeded: false } },
      ),
    ).toEqual({
      window: '24h',
      environments: ['prod'],
      actions: 8,
      succeeded: 6,
      failed: 1,
      rolledBack: 1,
      failureRate: 0.25,
      budget: { maxFailures: 2, failures: 1, remaining: 1 },
    });
    expect(trackRecord(trackRecordWindow(undefined), { succeeded: 0, failed: 0, rolled_back: 0 })).toEqual({
      window: '7d',
      environments: ['prod', 'production'],
      actions: 0,
      succeeded: 0,
      failed: 0,
      rolledBack: 0,
      failureRate: 0,
    });
  });
});
