import { type Check, firstFailure, pass, type RedteamContext } from '../check.js';
import { refused, statusIn } from '../expect.js';
import { field, type ProbeResponse } from '../http.js';

/** The effect of a dry run, or a sentence saying why there is none. */
function effectOf(response: ProbeResponse, what: string): { effect: string } | { problem: string } {
  const effect = field(response, 'effect');
  if (response.status !== 200)
    return { problem: `${what}: expected 200 from the dry run, got ${response.status}` };
  if (typeof effect !== 'string') return { problem: `${what}: the dry run answered no effect` };
  return { effect };
}

function explain(ctx: RedteamContext, as: string, request: object) {
  return ctx.http.send({ method: 'POST', path: '/v1/decisions/explain', as, json: request });
}

/** Spellings of an action that must never inherit the action's rules. */
function lookalikes(action: string): string[] {
  const cyrillic = action.replace(/e/, '\u0435').replace(/o/, '\u043e').replace(/a/, '\u0430');
  const fullwidth = [...action]
    .map((c) => (c >= '!' && c <= '~' ? String.fromCodePoint(c.codePointAt(0)! + 0xfee0) : c))
    .join('');
  return [
    ...(cyrillic !== action ? [cyrillic] : []),
    fullwidth,
    `${action}\u200d`,
    `\u202e${action}`,
    `${action}.redteam-${Date.now().toString(36)}`,
  ];
}

export const failClosedChecks: Check[] = [
  {
    id: 'FC-01',
    area: 'fail-closed',
    title: 'An action no policy speaks to is denied by default (agent and human; dry run)',
    async run(ctx) {
      const request = {
        action: `redteam.unknown-action-${ctx.runId}`,
        resource: { type: 'redteam', id: `probe-${ctx.runId}` },
        rationale: `arbiter redteam ${ctx.runId}: an action no policy knows`,
      };
      const problems: string[] = [];
      for (const as of ['agent', 'approver']) {
        const verdict = effectOf(await explain(ctx, as, request), `the ${as}'s unknown action`);
        if ('problem' in verdict) problems.push(verdict.problem);
        else if (verdict.effect !== 'deny')
          problems.push(
            `the ${as}'s unknown action was ${verdict.effect}, not deny (is there a catch-all rule?)`,
          );
      }
      return firstFailure(problems) ?? pass('deny for both');
    },
  },
  {
    id: 'FC-02',
    area: 'fail-closed',
    title:
      'Look-alike spellings of a governed action (homoglyphs, fullwidth, zero-width, bidi) are never allowed',
    async run(ctx) {
      const problems: string[] = [];
      const spellings = lookalikes(ctx.pendingRequest.action);
      for (const action of spellings) {
        const response = await explain(ctx, 'agent', {
          ...ctx.pendingRequest,
          action,
          change: { linesChanged: 1 },
          confidence: 1,
        });
        // Refusing the spelling outright (400) is as good as denying it.
        if (response.status === 400) continue;
        const verdict = effectOf(response, `action ${JSON.stringify(action)}`);
        if ('problem' in verdict) problems.push(verdict.problem);
        else if (verdict.effect === 'allow') problems.push(`action ${JSON.stringify(action)} was allowed`);
      }
      return firstFailure(problems) ?? pass(`${spellings.length} spellings of ${ctx.pendingRequest.action}`);
    },
  },
  {
    id: 'FC-03',
    area: 'fail-closed',
    title: 'An agent request without a rationale is refused (400) and not recorded',
    async run(ctx) {
      const { rationale: _dropped, ...request } = ctx.pendingRequest;
      const responses = [
        await ctx.http.send({ method: 'POST', path: '/v1/decisions', as: 'agent', json: request }),
        await ctx.http.send({
          method: 'POST',
          path: '/v1/decisions',
          as: 'agent',
          json: { ...request, rationale: '   ' },
        }),
      ];
      return (
        firstFailure(
          responses.map((response, i) =>
            refused(response, [400], i === 0 ? 'no rationale' : 'a blank rationale'),
          ),
        ) ?? pass()
      );
    },
  },
  {
    id: 'FC-04',
    area: 'fail-closed',
    title: 'A dry run (POST /v1/decisions/explain) records no decision',
    async run(ctx) {
      const before = await ctx.http.send({ method: 'GET', path: '/v1/decisions?limit=1', as: 'agent' });
      const response = await explain(ctx, 'agent', {
        ...ctx.pendingRequest,
        rationale: `arbiter redteam ${ctx.runId}: a dry run that must leave no decision`,
      });
      const after = await ctx.http.send({ method: 'GET', path: '/v1/decisions?limit=20', as: 'agent' });
      const recorded = ((field(after, 'decisions') as unknown[] | undefined) ?? []).filter((decision) =>
        JSON.stringify(decision).includes('a dry run that must leave no decision'),
      );
      return (
        firstFailure([
          statusIn(before, [200], 'listing the agent’s decisions'),
          statusIn(response, [200], 'the dry run'),
          recorded.length > 0 ? 'the dry run shows up as a recorded decision' : undefined,
        ]) ?? pass()
      );
    },
  },
];
