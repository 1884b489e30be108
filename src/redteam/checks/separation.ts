import { type Check, firstFailure, type ProbeDecision, pass, skip } from '../check.js';
import { arbiterError, statusIn } from '../expect.js';
import { errorCode, field } from '../http.js';

const votePath = (decision: ProbeDecision) => `/v1/decisions/${encodeURIComponent(decision.id)}/approvals`;

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
    async run(ctx) {
      const pending = await ctx.agentPending();
      if ('missing' in pending) return skip(pending.missing);
      const problems: (string | undefined)[] = [];
      for (const verdict of ['approve', 'reject'] as const) {
        const response = await ctx.http.send({
          method: 'POST',
          path: votePath(pending.value),
          as: 'agent',
          json: { verdict, reason: `arbiter redteam ${ctx.runId}: self-approval attempt` },
        });
        problems.push(
          statusIn(response, [403], `the agent's ${verdict} of its own decision`) ??
            arbiterError(response, 'the refusal', ['ARB_ERR_APPROVAL_AGENT', 'ARB_ERR_FORBIDDEN']),
        );
      }
      const after = await ctx.http.send({
        method: 'GET',
        path: `/v1/decisions/${encodeURIComponent(pending.value.id)}`,
        as: 'agent',
      });
      problems.push(field(after, 'status') === 'pending' ? undefined : 'the decision is no longer pending');
      return firstFailure(problems) ?? pass(`probed ${pending.value.id}`);
    },
  },
  {
    id: 'SOD-02',
    area: 'separation-of-duties',
    title: 'An approval bound to a different request hash is refused, and nothing is counted',
    async run(ctx) {
      const pending = await ctx.agentPending();
      if ('missing' in pending) return skip(pending.missing);
      const wrongHash = `sha256:${'0'.repeat(64)}`;
      const response = await ctx.http.send({
        method: 'POST',
        path: votePath(pending.value),
        as: 'approver',
        json: {
          verdict: 'approve',
          reason: `arbiter redteam ${ctx.runId}: approval for another request body`,
          requestHash: wrongHash,
        },
      });
      const after = await ctx.http.send({
        method: 'GET',
        path: `/v1/decisions/${encodeURIComponent(pending.value.id)}`,
        as: 'approver',
      });
      const received = (field(after, 'approvals') as ProbeDecision['approvals'])?.received ?? [];
      return (
        firstFailure([
          statusIn(response, [409], 'an approval with a mismatched request hash') ??
            arbiterError(response, 'the refusal', ['ARB_ERR_APPROVAL_HASH_MISMATCH']),
          field(after, 'status') === 'pending' ? undefined : 'the decision is no longer pending',
          received.length === 0 ? undefined : `the decision now shows ${received.length} vote(s)`,
        ]) ?? pass(`probed ${pending.value.id}`)
      );
    },
  },
  {
    id: 'SOD-03',
    area: 'separation-of-duties',
    title: 'An approver cannot approve their own request (403)',
    async run(ctx) {
      const pending = await ctx.approverPending();
      if ('missing' in pending) return skip(pending.missing);
      const response = await ctx.http.send({
        method: 'POST',
        path: votePath(pending.value),
        as: 'approver',
        json: { verdict: 'approve', reason: `arbiter redteam ${ctx.runId}: self-approval attempt` },
      });
      return (
        firstFailure([
          statusIn(response, [403], 'the approver approving their own request') ??
            arbiterError(response, 'the refusal', ['ARB_ERR_APPROVAL_SELF']),
        ]) ?? pass(`probed ${pending.value.id}`)
      );
    },
  },
  {
    id: 'SOD-04',
    area: 'separation-of-duties',
    title: 'An approver cannot vote twice on one decision (the second vote is refused, 409)',
    async run(ctx) {
      const pending = await ctx.agentPending();
      if ('missing' in pending) return skip(pending.missing);
      if (!needsSeveralApprovers(pending.value))
        return skip(
          `${pending.value.id} needs a single approval: the first vote would allow it, so the suite does not cast one (pass --pending-request for a request that needs two approvers)`,
        );
      const vote = {
        method: 'POST',
        path: votePath(pending.value),
        as: 'approver',
        json: {
          verdict: 'approve',
          reason: `arbiter redteam ${ctx.runId}: first of two votes by one approver`,
          ...(pending.value.requestHash ? { requestHash: pending.value.requestHash } : {}),
        },
      } as const;
      const first = await ctx.http.send(vote);
      if (first.status === 403 && errorCode(first) === 'ARB_ERR_APPROVAL_NOT_ELIGIBLE')
        return skip(
          `the approver is not eligible to vote on ${pending.value.id}: use an approver whose groups match its approval requirements`,
        );
      if (first.status === 200)
        ctx.wrote(`one approval by the approver on ${pending.value.id} (it stays pending)`);
      const second = await ctx.http.send(vote);
      const after = await ctx.http.send({
        method: 'GET',
        path: `/v1/decisions/${encodeURIComponent(pending.value.id)}`,
        as: 'approver',
      });
      const received = (field(after, 'approvals') as ProbeDecision['approvals'])?.received ?? [];
      return (
        firstFailure([
          statusIn(first, [200], 'the first vote'),
          statusIn(second, [409], 'the second vote by the same approver') ??
            arbiterError(second, 'the refusal', ['ARB_ERR_APPROVAL_DUPLICATE']),
          field(after, 'status') === 'pending'
            ? undefined
            : `the decision is ${String(field(after, 'status'))}`,
          received.length === 1 ? undefined : `the decision shows ${received.length} votes, expected 1`,
        ]) ?? pass(`probed ${pending.value.id}`)
      );
    },
  },
  {
    id: 'SOD-05',
    area: 'separation-of-duties',
    title: 'No outcome can be reported for a decision that is not allowed (pending stays pending)',
    async run(ctx) {
      const pending = await ctx.agentPending();
      if ('missing' in pending) return skip(pending.missing);
      const response = await ctx.http.send({
        method: 'POST',
        path: `/v1/decisions/${encodeURIComponent(pending.value.id)}/outcome`,
        as: 'agent',
        json: { status: 'succeeded', detail: `arbiter redteam ${ctx.runId}: must be refused` },
      });
      return (
        firstFailure([
          statusIn(response, [409], 'an outcome for a pending decision') ??
            arbiterError(response, 'the refusal', ['ARB_ERR_OUTCOME_NOT_ALLOWED']),
        ]) ?? pass(`probed ${pending.value.id}`)
      );
    },
  },
];
