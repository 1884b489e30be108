import type { Fixture, ProbeActionRequest, ProbeDecision } from './check.js';
import { field, type Prober } from './http.js';

/** Memoises a fixture: made at most once per run, whichever check asks first. */
export function once<T>(make: Fixture<T>): Fixture<T> {
  let made: ReturnType<Fixture<T>> | undefined;
  return () => {
    made ??= make();
    return made;
  };
}

/** The request the suite uses when the operator gives none: the README's big production deploy. */
export function defaultPendingRequest(runId: string): ProbeActionRequest {
  return {
    action: 'deploy',
    resource: { type: 'service', id: 'arbiter-redteam-probe', environment: 'prod' },
    change: { linesChanged: 812 },
    rationale: `arbiter redteam ${runId}: a probe of separation of duties; do not approve`,
    confidence: 0.95,
    context: { redteam: runId },
  };
}

/**
 * Requests a decision that waits for approval, as `as`. A dry run goes first, so nothing is
 * recorded when the target's policies would not make the request wait.
 */
export function pendingDecision(
  http: Prober,
  as: 'agent' | 'approver',
  request: ProbeActionRequest,
  runId: string,
  writes: string[],
): Fixture<ProbeDecision> {
  return once<ProbeDecision>(async () => {
    const dryRun = await http.send({ method: 'POST', path: '/v1/decisions/explain', as, json: request });
    const effect = field(dryRun, 'effect');
    if (effect !== 'require_approval')
      return {
        missing: `the probe request (${request.action} ${request.resource.type}:${request.resource.id}) is ${dryRun.status === 200 ? String(effect) : `answered ${dryRun.status}`} for the ${as} under the target's policies, not require_approval: pass --pending-request with one that waits for approval`,
      };
    const created = await http.send({
      method: 'POST',
      path: '/v1/decisions',
      as,
      json: { ...request, idempotencyKey: `arbiter-redteam-${runId}-${as}` },
    });
    const decision = created.body as ProbeDecision | undefined;
    if (created.status !== 201 || !decision || typeof decision.id !== 'string')
      return { missing: `POST /v1/decisions as the ${as} answered ${created.status}` };
    writes.push(`decision ${decision.id} requested by the ${as} (${decision.status})`);
    if (decision.status !== 'pending')
      return { missing: `the probe decision ${decision.id} of the ${as} is ${decision.status}, not pending` };
    return { value: decision };
  });
}

/** A decision of someone other than the agent: the approver's probe, or a denied one made for the purpose. */
export function othersDecision(
  http: Prober,
  approverPending: Fixture<ProbeDecision>,
  runId: string,
  writes: string[],
): Fixture<ProbeDecision> {
  return once<ProbeDecision>(async () => {
    const pending = await approverPending();
    if ('value' in pending) return pending;
    const created = await http.send({
      method: 'POST',
      path: '/v1/decisions',
      as: 'approver',
      json: {
        action: `redteam.unknown-action-${runId}`,
        resource: { type: 'redteam', id: `probe-${runId}` },
        rationale: `arbiter redteam ${runId}: a decision for ownership probes`,
        idempotencyKey: `arbiter-redteam-${runId}-other`,
      },
    });
    const decision = created.body as ProbeDecision | undefined;
    if (created.status !== 201 || !decision || typeof decision.id !== 'string')
      return {
        missing: `no decision of another actor: POST /v1/decisions as the approver answered ${created.status}`,
      };
    writes.push(`decision ${decision.id} requested by the approver (${decision.status})`);
    return { value: decision };
  });
}
