import {
  type Check,
  firstFailure,
  onDecision,
  type ProbeDecision,
  type RedteamContext,
  skip,
} from '../check.js';
import { refused, statusIn } from '../expect.js';
import { errorCode, field, type ProbeRequest, type ProbeResponse } from '../http.js';

const decisionPath = (decision: ProbeDecision) => `/v1/decisions/${encodeURIComponent(decision.id)}`;

/** A vote on `decision` by `as`; `requestHash` binds it to a request body. */
function vote(
  decision: ProbeDecision,
  as: 'agent' | 'approver',
  json: { verdict: 'approve' | 'reject'; reason: string; requestHash?: string },
): ProbeRequest {
  return { method: 'POST', path: `${decisionPath(decision)}/approvals`, as, json };
}

/** The decision as `as` reads it after the probe. */
const reread = (ctx: RedteamContext, decision: ProbeDecision, as: 'agent' | 'approver') =>
  ctx.http.send({ method: 'GET', path: decisionPath(decision), as });

const votesOf = (response: ProbeResponse) =>
  (field(response, 'approvals') as ProbeDecision['approvals'])?.received ?? [];

/** True when one approval cannot complete the decision (a requirement needs two people or more). */
function needsSeveralApprovers(decision: ProbeDecision): boolean {
  return (decision.approvals?.required ?? []).some(
    (requirement) => (requirement.count ?? 1) >= 2 || (requirement.from ?? []).length >= 2,
  );
}

export const separationChecks: Check[] = [
  {
    id: 'SOD-01',
    area: 'separation-of-duties',
    title: 'An agent can never approve or reject, not even its own pending request (403)',
    run: onDecision('agentPending', async (ctx, decision) => {
      const problems: (string | undefined)[] = [];
      for (const verdict of ['approve', 'reject'] as const) {
        const response = await ctx.http.send(
          vote(decision, 'agent', { verdict, reason: `arbiter redteam ${ctx.runId}: self-approval attempt` }),
        );
        problems.push(
          refused(response, [403], `the agent's ${verdict} of its own decision`, [
            'ARB_ERR_APPROVAL_AGENT',
            'ARB_ERR_FORBIDDEN',
          ]),
        );
      }
      const after = await reread(ctx, decision, 'agent');
      problems.push(field(after, 'status') === 'pending' ? undefined : 'the decision is no longer pending');
      return firstFailure(problems);
    }),
  },
  {
    id: 'SOD-02',
    area: 'separation-of-duties',
    title: 'An approval bound to a different request hash is refused, and nothing is counted',
    run: onDecision('agentPending', async (ctx, decision) => {
      const response = await ctx.http.send(
        vote(decision, 'approver', {
          verdict: 'approve',
          reason: `arbiter redteam ${ctx.runId}: approval for another request body`,
          requestHash: `sha256:${'0'.repeat(64)}`,
        }),
      );
      const after = await reread(ctx, decision, 'approver');
      const received = votesOf(after);
      return firstFailure([
        refused(response, [409], 'an approval with a mismatched request hash', [
          'ARB_ERR_APPROVAL_HASH_MISMATCH',
        ]),
        field(after, 'status') === 'pending' ? undefined : 'the decision is no longer pending',
        received.length === 0 ? undefined : `the decision now shows ${received.length} vote(s)`,
      ]);
    }),
  },
  {
    id: 'SOD-03',
    area: 'separation-of-duties',
    title: 'An approver cannot approve their own request (403)',
    run: onDecision('approverPending', async (ctx, decision) => {
      const response = await ctx.http.send(
        vote(decision, 'approver', {
          verdict: 'approve',
          reason: `arbiter redteam ${ctx.runId}: self-approval attempt`,
        }),
      );
      return firstFailure([
        refused(response, [403], 'the approver approving their own request', ['ARB_ERR_APPROVAL_SELF']),
      ]);
    }),
  },
  {
    id: 'SOD-04',
    area: 'separation-of-duties',
    title: 'An approver cannot vote twice on one decision (the second vote is refused, 409)',
    run: onDecision('agentPending', async (ctx, decision) => {
      if (!needsSeveralApprovers(decision))
        return skip(
          `${decision.id} needs a single approval: the first vote would allow it, so the suite does not cast one (pass --pending-request for a request that needs two approvers)`,
        );
      const twice = vote(decision, 'approver', {
        verdict: 'approve',
        reason: `arbiter redteam ${ctx.runId}: first of two votes by one approver`,
        ...(decision.requestHash ? { requestHash: decision.requestHash } : {}),
      });
      const first = await ctx.http.send(twice);
      if (first.status === 403 && errorCode(first) === 'ARB_ERR_APPROVAL_NOT_ELIGIBLE')
        return skip(
          `the approver is not eligible to vote on ${decision.id}: use an approver whose groups match its approval requirements`,
        );
      if (first.status === 200)
        ctx.wrote(`one approval by the approver on ${decision.id} (it stays pending)`);
      const second = await ctx.http.send(twice);
      const after = await reread(ctx, decision, 'approver');
      const received = votesOf(after);
      return firstFailure([
        statusIn(first, [200], 'the first vote'),
        refused(second, [409], 'the second vote by the same approver', ['ARB_ERR_APPROVAL_DUPLICATE']),
        field(after, 'status') === 'pending'
          ? undefined
          : `the decision is ${String(field(after, 'status'))}`,
        received.length === 1 ? undefined : `the decision shows ${received.length} votes, expected 1`,
      ]);
    }),
  },
  {
    id: 'SOD-05',
    area: 'separation-of-duties',
    title: 'No outcome can be reported for a decision that is not allowed (pending stays pending)',
    run: onDecision('agentPending', async (ctx, decision) => {
      const response = await ctx.http.send({
        method: 'POST',
        path: `${decisionPath(decision)}/outcome`,
        as: 'agent',
        json: { status: 'succeeded', detail: `arbiter redteam ${ctx.runId}: must be refused` },
      });
      return firstFailure([
        refused(response, [409], 'an outcome for a pending decision', ['ARB_ERR_OUTCOME_NOT_ALLOWED']),
      ]);
    }),
  },
];
