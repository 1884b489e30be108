import type { JsonObject } from '../core/json.js';
import type { Principal } from '../identity/principal.js';
import { defaultBudgetEnvironments, type SystemRecord } from '../policy/bundle.js';
import type { ErrorBudgetSpec } from '../policy/documents.js';
import type { SystemRow } from './records.js';

/**
 * Registered Systems as pure functions: the spec a System is stored with, its owner team, and
 * who may govern it (kill switch, autonomy).
 */

/** What the registry stores of a System document (from the bundle or the API) besides its id, kind and status. */
export type SystemSpecSource = Omit<SystemRecord, 'source' | 'id' | 'kind' | 'status' | 'errorBudget'> & {
  description?: string;
  errorBudget?: Omit<ErrorBudgetSpec, 'environments'> & { environments?: readonly string[] };
};

/** The stored spec of a System: its document's spec as JSON, the error budget's environments defaulted. */
export function systemSpecOf(system: SystemSpecSource): JsonObject {
  const budget = system.errorBudget;
  return JSON.parse(
    JSON.stringify({
      owner: system.owner,
      onCall: system.onCall,
      autonomy: system.autonomy,
      riskTier: system.riskTier,
      ...(system.description ? { description: system.description } : {}),
      ...(system.operatingConditions ? { operatingConditions: system.operatingConditions } : {}),
      ...(budget
        ? { errorBudget: { ...budget, environments: budget.environments ?? defaultBudgetEnvironments } }
        : {}),
    }),
  ) as JsonObject;
}

/** The owner team of a stored System. */
export function ownerTeamOf(system: SystemRow | undefined): string | undefined {
  const owner = system?.spec.owner as { team?: string } | undefined;
  return owner?.team;
}

/** Admins, and approvers of the System's owner team, govern it: kill switch, autonomy. */
export function mayGovern(principal: Principal, system: SystemRow): boolean {
  const owner = ownerTeamOf(system);
  return (
    principal.role === 'admin' ||
    (principal.role === 'approver' && owner !== undefined && principal.groups.includes(owner))
  );
}
