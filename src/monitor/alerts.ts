import { type Static, Type } from '@sinclair/typebox';
import { JsonValueSchema, literals } from '../core/json-schema.js';
import { alertSeverities } from '../policy/documents.js';
import type { AlertCondition } from '../policy/evaluate-monitor.js';

/**
 * The life of a monitoring alert across windows: it fires when its condition held for `for`
 * consecutive windows, stays firing (one alert, not one per window) while it keeps holding, and
 * resolves on the first window where it does not. Pure; the server stores the state.
 */

export const AlertStateSchema = Type.Object({
  policy: Type.String(),
  alert: Type.String(),
  status: Type.Union([Type.Literal('ok'), Type.Literal('pending'), Type.Literal('firing')]),
  consecutive: Type.Number({
    description: 'Consecutive windows, up to the last one evaluated, in which the condition held',
  }),
  firingSince: Type.Optional(
    Type.String({ description: 'When it started firing (the end of the window that made it fire)' }),
  ),
  lastWindow: Type.Number({
    description: 'Start of the last window evaluated, in epoch ms; older windows are never evaluated again',
  }),
  severity: literals(alertSeverities),
  message: Type.String(),
  facts: Type.Record(Type.String(), JsonValueSchema),
  lastError: Type.Optional(
    Type.String({
      description: 'Why the last evaluation failed, when it did; the state is then left as it was',
    }),
  ),
});
export type AlertState = Static<typeof AlertStateSchema>;

export interface AlertStep {
  /** `fired` and `resolved` are the transitions worth a ledger entry and a notification. */
  transition: 'fired' | 'resolved' | 'none';
  state: AlertState;
}

export function stepAlert(
  previous: AlertState | undefined,
  condition: AlertCondition,
  window: { start: number; end: number },
): AlertStep {
  const base: AlertState = previous ?? {
    policy: condition.policy,
    alert: condition.alert,
    status: 'ok',
    consecutive: 0,
    lastWindow: Number.NEGATIVE_INFINITY,
    severity: condition.severity,
    message: condition.message,
    facts: condition.facts,
  };
  if (window.start <= base.lastWindow) return { transition: 'none', state: base };
  if (condition.error !== undefined)
    return { transition: 'none', state: { ...base, lastWindow: window.start, lastError: condition.error } };
  const { lastError: _, ...clean } = base;
  const current = {
    ...clean,
    lastWindow: window.start,
    severity: condition.severity,
    message: condition.message,
    facts: condition.facts,
  };
  if (!condition.holds) {
    const { firingSince: __, ...rest } = current;
    return {
      transition: base.status === 'firing' ? 'resolved' : 'none',
      state: { ...rest, status: 'ok', consecutive: 0 },
    };
  }
  const consecutive = base.consecutive + 1;
  if (base.status === 'firing') return { transition: 'none', state: { ...current, consecutive } };
  if (consecutive >= condition.for)
    return {
      transition: 'fired',
      state: { ...current, consecutive, status: 'firing', firingSince: new Date(window.end).toISOString() },
    };
  return { transition: 'none', state: { ...current, consecutive, status: 'pending' } };
}
