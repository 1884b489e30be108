import { type Check, fail, firstFailure, onDecision, pass, type RedteamContext, skip } from '../check.js';
import { clientError, statusIn } from '../expect.js';
import { field } from '../http.js';

/** A registered System other than the agent's, found with the approver token. */
async function otherSystem(ctx: RedteamContext): Promise<string | undefined> {
  const response = await ctx.http.send({ method: 'GET', path: '/v1/systems', as: 'approver' });
  const systems = field(response, 'systems');
  if (!Array.isArray(systems)) return undefined;
  const own = ctx.identities.agent.systemId;
  return systems.map(idOf).find((id) => typeof id === 'string' && id !== own) as string | undefined;
}

const idOf = (system: unknown) => (system as { id?: unknown }).id;
const actorOf = (decision: unknown) => (decision as { actor?: { id?: unknown } })?.actor?.id;

export const ownershipChecks: Check[] = [
  {
    id: 'OWN-01',
    area: 'ownership',
    title: "An agent cannot read another actor's decision (404), by id, by long poll or by listing",
    run: onDecision('othersDecision', async (ctx, other) => {
      const id = encodeURIComponent(other.id);
      const own = ctx.identities.agent.systemId;
      const byId = await ctx.http.send({ method: 'GET', path: `/v1/decisions/${id}`, as: 'agent' });
      const waited = await ctx.http.send({
        method: 'GET',
        path: `/v1/decisions/${id}/wait?timeoutMs=1`,
        as: 'agent',
      });
      const actor = actorOf(other);
      const listed = await ctx.http.send({
        method: 'GET',
        path: `/v1/decisions?limit=100${typeof actor === 'string' ? `&system=${encodeURIComponent(actor)}` : ''}`,
        as: 'agent',
      });
      const decisions = field(listed, 'decisions');
      const foreign = Array.isArray(decisions) ? decisions.filter((d) => actorOf(d) !== own) : [];
      return (
        firstFailure([
          statusIn(byId, [403, 404], `GET another actor's decision ${other.id}`),
          statusIn(waited, [403, 404], 'long poll on it'),
          statusIn(listed, [200], 'listing decisions'),
          Array.isArray(decisions) ? undefined : 'the decision list has no decisions array',
          foreign.length > 0
            ? `the agent's list shows ${foreign.length} decision(s) of other actors (${String(actorOf(foreign[0]))})`
            : undefined,
        ]) ?? pass(`probed ${other.id} of ${String(actor)}`)
      );
    }),
  },
  {
    id: 'OWN-02',
    area: 'ownership',
    title: "An agent cannot report the outcome of another actor's decision",
    run: onDecision('othersDecision', async (ctx, other) => {
      const id = encodeURIComponent(other.id);
      const response = await ctx.http.send({
        method: 'POST',
        path: `/v1/decisions/${id}/outcome`,
        as: 'agent',
        json: { status: 'failed', detail: `arbiter redteam ${ctx.runId}: must be refused` },
      });
      const after = await ctx.http.send({ method: 'GET', path: `/v1/decisions/${id}`, as: 'approver' });
      const outcome = field(after, 'outcome') as { detail?: unknown } | null | undefined;
      return (
        firstFailure([
          statusIn(response, [403, 404], `outcome for ${other.id} (a ${other.status} decision)`),
          typeof outcome?.detail === 'string' && outcome.detail.includes(ctx.runId)
            ? 'the outcome was recorded on the other actor’s decision'
            : undefined,
        ]) ?? pass(`probed a ${other.status} decision of ${String(actorOf(other))}`)
      );
    }),
  },
  {
    id: 'OWN-03',
    area: 'ownership',
    title: 'An agent sees only its own System, and cannot send monitoring data for another',
    async run(ctx) {
      const own = ctx.identities.agent.systemId;
      if (!own) return skip('the agent token did not say which System it is bound to (GET /v1/me)');
      const other = await otherSystem(ctx);
      const listed = await ctx.http.send({ method: 'GET', path: '/v1/systems', as: 'agent' });
      const systems = field(listed, 'systems');
      const foreign = Array.isArray(systems) ? systems.filter((s) => idOf(s) !== own).map(idOf) : [];
      const problems = [
        statusIn(listed, [200], 'GET /v1/systems as the agent'),
        Array.isArray(systems) ? undefined : 'GET /v1/systems has no systems array',
        foreign.length > 0 ? `the agent sees other Systems: ${foreign.slice(0, 3).join(', ')}` : undefined,
      ];
      if (other) {
        const path = encodeURIComponent(other);
        const read = await ctx.http.send({ method: 'GET', path: `/v1/systems/${path}`, as: 'agent' });
        const send = await ctx.http.send({
          method: 'POST',
          path: `/v1/monitor/${path}/events`,
          as: 'agent',
          json: [],
        });
        problems.push(
          statusIn(read, [403, 404], `GET /v1/systems/${other}`),
          statusIn(send, [403, 404], `monitoring events for ${other}`),
        );
      }
      return firstFailure(problems) ?? pass(other ? `probed ${other}` : 'no other System is registered');
    },
  },
  {
    id: 'OWN-04',
    area: 'ownership',
    title: 'A request body cannot claim another identity (actor, systemId, user fields are refused)',
    async run(ctx) {
      const base = {
        ...ctx.pendingRequest,
        action: `redteam.identity-${ctx.runId}`,
        rationale: `arbiter redteam ${ctx.runId}: an impersonation attempt that must be refused`,
      };
      const claims = [
        { actor: { id: 'root', kind: 'human' } },
        { actor: 'root' },
        { systemId: 'another-system' },
        { user: 'root', role: 'admin' },
      ];
      const problems: (string | undefined)[] = [];
      for (const claim of claims) {
        const explained = await ctx.http.send({
          method: 'POST',
          path: '/v1/decisions/explain',
          as: 'agent',
          json: { ...base, ...claim },
        });
        problems.push(clientError(explained, `explain with ${Object.keys(claim).join(', ')} in the body`));
      }
      // One real request too: a server that ignored the field would record a decision as someone else.
      const created = await ctx.http.send({
        method: 'POST',
        path: '/v1/decisions',
        as: 'agent',
        json: { ...base, actor: { id: 'root', kind: 'human' } },
      });
      problems.push(clientError(created, 'POST /v1/decisions with an actor field'));
      if (created.status >= 200 && created.status < 300)
        ctx.wrote(
          `decision ${String(field(created, 'id'))} from the impersonation probe (it should have been refused)`,
        );
      if (created.status >= 200 && created.status < 300 && actorOf(created.body) !== ctx.identities.agent.id)
        return fail(`the decision was recorded as ${String(actorOf(created.body))}`);
      return firstFailure(problems) ?? pass(`${claims.length + 1} claims refused`);
    },
  },
];
