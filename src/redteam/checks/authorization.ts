import { type Check, firstFailure, pass, skip } from '../check.js';
import { statusIn } from '../expect.js';

interface Denial {
  method: string;
  path: string;
  json?: unknown;
}

/**
 * Requests a role must be refused (403). Bodies are empty or invalid on purpose: a server that
 * checks roles first answers 403; one that forgot the check answers 400 and still does nothing,
 * so a failing target is not changed by the probe.
 */
function roleDenials(ownSystem: string): Record<'agent' | 'approver' | 'auditor', Denial[]> {
  const system = encodeURIComponent(ownSystem || 'unknown-system');
  return {
    agent: [
      { method: 'POST', path: '/v1/systems', json: {} },
      { method: 'POST', path: `/v1/systems/${system}/freeze`, json: {} },
      { method: 'POST', path: `/v1/systems/${system}/unfreeze`, json: {} },
      { method: 'POST', path: `/v1/systems/${system}/autonomy`, json: {} },
      { method: 'POST', path: '/v1/policies/reload' },
      { method: 'GET', path: '/v1/ledger/checkpoint' },
      { method: 'GET', path: '/v1/ledger/entries?start=0&end=1' },
      { method: 'GET', path: '/v1/gate-runs' },
      { method: 'GET', path: '/v1/decisions/dec_redteam/trace' },
      { method: 'POST', path: '/v1/incidents/inc_redteam/resolve', json: {} },
    ],
    approver: [
      { method: 'POST', path: '/v1/systems', json: {} },
      { method: 'POST', path: '/v1/policies/reload' },
      { method: 'POST', path: '/v1/gate-runs', json: {} },
      { method: 'POST', path: '/v1/events', json: {} },
      { method: 'POST', path: `/v1/monitor/${system}/events`, json: {} },
    ],
    auditor: [
      { method: 'POST', path: '/v1/decisions', json: {} },
      { method: 'POST', path: '/v1/decisions/explain', json: {} },
      { method: 'POST', path: '/v1/decisions/dec_redteam/approvals', json: {} },
      { method: 'POST', path: '/v1/decisions/dec_redteam/outcome', json: {} },
      { method: 'POST', path: `/v1/systems/${system}/freeze`, json: {} },
      { method: 'POST', path: '/v1/systems', json: {} },
      { method: 'POST', path: '/v1/policies/reload' },
      { method: 'POST', path: '/v1/gate-runs', json: {} },
      { method: 'POST', path: '/v1/incidents', json: {} },
    ],
  };
}

function denialCheck(
  id: string,
  role: 'agent' | 'approver' | 'auditor',
  title: string,
  reads: Denial[] = [],
): Check {
  return {
    id,
    area: 'authorization',
    title,
    async run(ctx) {
      if (!(role in ctx.http.tokens)) return skip(`no --${role}-token given`);
      const denials = roleDenials(ctx.identities.agent.systemId ?? '')[role];
      const problems: (string | undefined)[] = [];
      for (const denial of denials) {
        const response = await ctx.http.send({ ...denial, as: role });
        problems.push(statusIn(response, [403], `${denial.method} ${denial.path} as ${role}`));
      }
      for (const read of reads) {
        const response = await ctx.http.send({ ...read, as: role });
        problems.push(statusIn(response, [200], `${read.method} ${read.path} as ${role} (a read it may do)`));
      }
      return firstFailure(problems) ?? pass(`${denials.length} requests refused with 403`);
    },
  };
}

export const authorizationChecks: Check[] = [
  denialCheck(
    'AUTHZ-01',
    'agent',
    'An agent token cannot administer: register or freeze Systems, reload policies, read the ledger, gate runs or traces',
  ),
  denialCheck(
    'AUTHZ-02',
    'approver',
    'An approver token cannot register Systems, reload policies, record gate runs, agent events or monitoring data',
  ),
  denialCheck(
    'AUTHZ-03',
    'auditor',
    'An auditor token is read-only: no decisions, votes, outcomes, freezes, reloads, gate runs or incidents',
    [{ method: 'GET', path: '/v1/decisions?limit=1' }],
  ),
];
