import type { JsonValue } from '../core/json.js';
import { type PolicyBundle, systemView } from './bundle.js';
import { anyGlobMatches } from './glob.js';
import { buildScope, evaluateCondition, renderMessage } from './scope.js';

/** The outcome of one GatePolicy check against a release. */
export interface GateCheckResult {
  policy: string;
  check: string;
  severity: 'error' | 'warning';
  /** `waived`: it failed, and an unexpired Waiver covers the failure. */
  status: 'passed' | 'failed' | 'waived';
  message: string;
  /** The values the assertion read (actual values, to compare with what the check expects). */
  facts: Record<string, JsonValue>;
  missing?: string[];
  /** Set when the assertion failed to evaluate; the check then fails (fail closed). */
  error?: string;
  /** The assertion itself, so a reader sees what was expected. */
  expected: string;
  /** For supply-chain checks: each thing found, so waivers and reports can name them one by one. */
  findings?: GateFinding[];
  /** The waiver that covers a waived check. */
  waiver?: { name: string; owner: string; reason: string; expires: string; approvedBy?: string };
  /** Waivers that would have covered this check but have expired. */
  expiredWaivers?: { name: string; expired: string }[];
}

/** One thing a supply-chain check found: a vulnerable package, a disallowed licence, an unsafe model file. */
export interface GateFinding {
  /** What a waiver's `findings` names: a vulnerability id, a package name, a model path. */
  id: string;
  /** Other names it goes by (vulnerability aliases, purl), also matched by waivers. */
  aliases?: string[];
  message: string;
  /** False for findings reported for information that do not fail the check. */
  failing: boolean;
  /** Where it is: a file relative to the working directory, and a byte offset for binary files. */
  location?: { file: string; line?: number; byteOffset?: number };
  /** Set when a waiver covers it. */
  waivedBy?: string;
  /** Who reported it (`trivy`, `osv`, `arbiter`), its rule and its package: what waivers' `tools`, `rules` and `packages` match. */
  tool?: string;
  rule?: string;
  package?: string;
}

/** A gate passes when no error-severity check failed; waived checks and warnings do not fail it. */
export function gatePassed(checks: readonly Pick<GateCheckResult, 'status' | 'severity'>[]): boolean {
  return checks.every((check) => check.status !== 'failed' || check.severity === 'warning');
}

export interface GateEvaluation {
  /** False when any check of severity error failed. */
  passed: boolean;
  checks: GateCheckResult[];
  bundle: string;
}

export interface GateEvaluationInput {
  /** The candidate release; `release.system` names the System it belongs to. */
  release: Record<string, unknown>;
  /** The previous release, for regression checks; `{}` when there is none. */
  baseline?: Record<string, unknown>;
  now: Date;
}

/** Evaluates every matching GatePolicy check over a release. Pure; never throws for a failing expression. */
export function evaluateGate(bundle: PolicyBundle, input: GateEvaluationInput): GateEvaluation {
  const systemId = typeof input.release.system === 'string' ? input.release.system : undefined;
  const system = systemId === undefined ? undefined : bundle.system(systemId);
  const roots = {
    release: input.release,
    baseline: input.baseline ?? {},
    system: system ? systemView(system) : {},
    now: input.now,
  };
  const checks: GateCheckResult[] = [];
  for (const policy of bundle.gatePolicies) {
    if (!anyGlobMatches(policy.match.systems, systemId)) continue;
    const scope = buildScope(roots, policy.variables, bundle.fieldChains);
    for (const check of policy.checks) {
      const outcome = evaluateCondition(check.assert, scope);
      const passed = outcome.error === undefined && outcome.holds;
      const fallback = passed
        ? `${check.name} holds`
        : outcome.error !== undefined
          ? `${check.name} could not be evaluated (${outcome.error}) and fails closed`
          : `${check.name} does not hold: ${check.assert.source}`;
      checks.push({
        policy: policy.name,
        check: check.name,
        severity: check.severity,
        status: passed ? 'passed' : 'failed',
        message: passed || outcome.error !== undefined ? fallback : renderMessage(check, scope, fallback),
        facts: outcome.facts,
        ...(outcome.missing ? { missing: outcome.missing } : {}),
        ...(outcome.error !== undefined ? { error: outcome.error } : {}),
        expected: check.assert.source,
      });
    }
  }
  return {
    passed: gatePassed(checks),
    checks,
    bundle: bundle.digest,
  };
}
