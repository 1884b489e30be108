import {
  type Check,
  type CheckVerdict,
  fail,
  firstFailure,
  type ProbeActionRequest,
  pass,
  type RedteamContext,
  skip,
} from '../check.js';
import { refused, statusIn } from '../expect.js';
import { field } from '../http.js';

/**
 * Execution is single use and the kill switch stops it (issue 17): an allowed decision is claimed
 * once (`POST /v1/decisions/:id/start`), and after a freeze a replayed idempotency key never
 * answers `allowed`.
 */

/** The request the suite uses when the operator gives none: a small staging deploy, allowed by the README's policies. */
export function defaultAllowedRequest(runId: string): ProbeActionRequest {
  return {
    action: 'deploy',
    resource: { type: 'service', id: 'arbiter-redteam-probe', environment: 'staging' },
    change: { linesChanged: 3 },
    rationale: `arbiter redteam ${runId}: a probe of single-use execution; nothing runs`,
    confidence: 0.99,
    context: { redteam: runId },
  };
}

/**
 * A new allowed decision of the agent under idempotency key `key`, or why there is none. A dry
 * run goes first, so nothing is recorded when the target's policies would not allow the request.
 */
async function allowedDecision(
  ctx: RedteamContext,
  key: string,
): Promise<{ id: string; body: Record<string, unknown> } | { missing: string }> {
  const request = ctx.allowedRequest;
  const dryRun = await ctx.http.send({
    method: 'POST',
    path: '/v1/decisions/explain',
    as: 'agent',
    json: request,
  });
  const effect = field(dryRun, 'effect');
  if (effect !== 'allow')
    return {
      missing: `the probe request (${request.action} ${request.resource.type}:${request.resource.id}) is ${dryRun.status === 200 ? String(effect) : `answered ${dryRun.status}`} for the agent under the target's policies, not allow: pass --allowed-request with one that is allowed outright`,
    };
  const body = { ...request, idempotencyKey: `arbiter-redteam-${ctx.runId}-${key}` } as Record<
    string,
    unknown
  >;
  const created = await ctx.http.send({ method: 'POST', path: '/v1/decisions', as: 'agent', json: body });
  const id = field(created, 'id');
  if (created.status !== 201 || typeof id !== 'string')
    return { missing: `POST /v1/decisions as the agent answered ${created.status}` };
  ctx.wrote(`decision ${id} requested by the agent (${String(field(created, 'status'))})`);
  if (field(created, 'status') !== 'allowed')
    return { missing: `the probe decision ${id} is ${String(field(created, 'status'))}, not allowed` };
  return { id, body };
}

const startPath = (id: string) => `/v1/decisions/${encodeURIComponent(id)}/start`;

export const executionChecks: Check[] = [
  {
    id: 'EXE-01',
    area: 'execution',
    title:
      'An allowed decision is started once: a second claim is refused (409), and so is a claim by another identity',
    async run(ctx): Promise<CheckVerdict> {
      const allowed = await allowedDecision(ctx, 'claim');
      if ('missing' in allowed) return skip(allowed.missing);
      const stranger = await ctx.http.send({
        method: 'POST',
        path: startPath(allowed.id),
        as: 'approver',
        json: {},
      });
      const first = await ctx.http.send({
        method: 'POST',
        path: startPath(allowed.id),
        as: 'agent',
        json: {},
      });
      if (first.status === 200)
        ctx.wrote(`decision ${allowed.id} started (claimed) by the agent; nothing ran`);
      const second = await ctx.http.send({
        method: 'POST',
        path: startPath(allowed.id),
        as: 'agent',
        json: {},
      });
      return (
        firstFailure([
          refused(stranger, [403], "the approver's claim of the agent's decision", ['ARB_ERR_FORBIDDEN']),
          statusIn(first, [200], "the agent's first claim"),
          field(first, 'status') === 'started'
            ? undefined
            : `the first claim answered status ${String(field(first, 'status'))}, not started`,
          refused(second, [409], 'the second claim', ['ARB_ERR_DECISION_ALREADY_STARTED']),
        ]) ?? pass(`probed ${allowed.id}`)
      );
    },
  },
  {
    id: 'EXE-02',
    area: 'execution',
    title:
      "After a freeze, replaying an allowed decision's idempotency key does not answer allowed, and it cannot be started",
    killSwitch: true,
    async run(ctx): Promise<CheckVerdict> {
      const system = ctx.identities.agent.systemId;
      if (!system) return skip("the agent token's System is unknown (GET /v1/me named none)");
      if (!ctx.identities.admin) return skip('needs --admin-token, to pull and release the kill switch');
      const allowed = await allowedDecision(ctx, 'freeze');
      if ('missing' in allowed) return skip(allowed.missing);
      const systemPath = `/v1/systems/${encodeURIComponent(system)}`;
      const frozen = await ctx.http.send({
        method: 'POST',
        path: `${systemPath}/freeze`,
        as: 'admin',
        json: { reason: `arbiter redteam ${ctx.runId}: kill-switch probe (EXE-02)` },
      });
      const notFrozen = statusIn(frozen, [200], 'the freeze with the admin token');
      if (notFrozen) return fail(notFrozen);
      ctx.wrote(
        `System ${system} frozen and unfrozen (EXE-02): its pending decisions were denied, its allowed, unstarted ones revoked`,
      );
      try {
        const replay = await ctx.http.send({
          method: 'POST',
          path: '/v1/decisions',
          as: 'agent',
          json: allowed.body,
        });
        const claim = await ctx.http.send({
          method: 'POST',
          path: startPath(allowed.id),
          as: 'agent',
          json: {},
        });
        return (
          firstFailure([
            statusIn(replay, [200, 201], 'the replayed request'),
            field(replay, 'status') === 'allowed'
              ? 'the replayed idempotency key still answers allowed after the freeze'
              : undefined,
            refused(claim, [409], 'the claim after the freeze', ['ARB_ERR_DECISION_NOT_STARTABLE']),
          ]) ?? pass(`probed ${allowed.id}: ${String(field(replay, 'status'))} after the freeze`)
        );
      } finally {
        await ctx.http.send({
          method: 'POST',
          path: `${systemPath}/unfreeze`,
          as: 'admin',
          json: { reason: `arbiter redteam ${ctx.runId}: kill-switch probe over` },
        });
      }
    },
  },
];
