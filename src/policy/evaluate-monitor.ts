import type { JsonValue } from '../core/json.js';
import { type PolicyBundle, systemView } from './bundle.js';
import { anyGlobMatches } from './glob.js';
import { buildScope, evaluateCondition, renderMessage } from './scope.js';

/** Whether one MonitorPolicy alert condition holds for one window. */
export interface AlertCondition {
  policy: string;
  alert: string;
  severity: 'info' | 'warning' | 'critical';
  /** Consecutive windows the condition must hold before the alert fires. */
  for: number;
  holds: boolean;
  message: string;
  facts: Record<string, JsonValue>;
  missing?: string[];
  /** Set when the condition failed to evaluate; it is then reported, not silently false. */
  error?: string;
}

export interface MonitorEvaluationInput {
  system: string;
  metrics: Record<string, unknown>;
  window: Record<string, unknown>;
  now: Date;
}

/** Evaluates the alert conditions of every MonitorPolicy matching the system for one window. */
export function evaluateMonitorWindow(bundle: PolicyBundle, input: MonitorEvaluationInput): AlertCondition[] {
  const system = bundle.system(input.system);
  const roots = {
    metrics: input.metrics,
    window: input.window,
    system: system ? systemView(system) : {},
    now: input.now,
  };
  const results: AlertCondition[] = [];
  for (const policy of bundle.monitorPolicies) {
    if (!anyGlobMatches(policy.match.systems, input.system)) continue;
    const scope = buildScope(roots, policy.variables, bundle.fieldChains);
    for (const alert of policy.alerts) {
      const outcome = evaluateCondition(alert.when, scope);
      const fallback =
        outcome.error !== undefined
          ? `${alert.name} could not be evaluated: ${outcome.error}`
          : `${alert.name}: ${alert.when.source}`;
      results.push({
        policy: policy.name,
        alert: alert.name,
        severity: alert.severity,
        for: alert.for,
        holds: outcome.holds,
        message: outcome.holds ? renderMessage(alert, scope, fallback) : fallback,
        facts: outcome.facts,
        ...(outcome.missing ? { missing: outcome.missing } : {}),
        ...(outcome.error !== undefined ? { error: outcome.error } : {}),
      });
    }
  }
  return results;
}
