import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli.js';
import { deploy, startTestServer, type TestServer } from '../helpers/server.js';
import { tempDir } from '../helpers/temp.js';

/**
 * The access model of docs/security.md, checked cell by cell against a real server: every route
 * the server registers × every role × a resource of the agent's own System (A) and of another (B).
 * The table is read from the doc, so the doc and the server cannot drift apart, and a new route
 * fails this test until someone classifies it there.
 */

const roles = ['none', 'agent', 'approver', 'auditor', 'admin'] as const;
type Role = (typeof roles)[number];
type Ownership = 'own' | 'other';

interface MatrixRow {
  route: string;
  expected: Record<Role, { own: number; other: number }>;
}

const securityDoc = join(repoRoot, 'docs', 'security.md');

/** The access matrix between the markers of docs/security.md: `route` → role → status (own / other). */
export function parseAccessMatrix(markdown: string): MatrixRow[] {
  const start = markdown.indexOf('<!-- access-matrix:start -->');
  const end = markdown.indexOf('<!-- access-matrix:end -->');
  if (start < 0 || end < start) throw new Error('docs/security.md has no access-matrix markers');
  const lines = markdown
    .slice(start, end)
    .split('\n')
    .filter((line) => line.startsWith('|'));
  const cells = (line: string) =>
    line
      .slice(1, line.lastIndexOf('|'))
      .split('|')
      .map((cell) => cell.trim());
  const header = cells(lines[0]!);
  if (header.join(',') !== ['route', ...roles].join(','))
    throw new Error(
      `the access matrix header must be: route | ${roles.join(' | ')}; it is ${header.join(' | ')}`,
    );
  return lines.slice(2).map((line) => {
    const [routeCell, ...statusCells] = cells(line);
    const route = /^`([A-Z]+ \S+)`$/.exec(routeCell!)?.[1];
    if (!route) throw new Error(`access matrix: a route cell must be \`METHOD /path\`: ${routeCell}`);
    const expected = {} as MatrixRow['expected'];
    for (const [i, role] of roles.entries()) {
      const match = /^(\d{3})(?:\s*\/\s*(\d{3}))?$/.exec(statusCells[i] ?? '');
      if (!match)
        throw new Error(`access matrix: ${route}, ${role}: "${statusCells[i]}" is not "S" or "S / S"`);
      expected[role] = { own: Number(match[1]), other: Number(match[2] ?? match[1]) };
    }
    return { route, expected };
  });
}

/**
 * Every `METHOD /path` the router holds, from Fastify's route tree (HEAD routes mirror GET and are
 * checked with them). Includes routes hidden from the OpenAPI document.
 */
function registeredRoutes(tree: string): string[] {
  const routes: string[] = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const match = /^([│\s]*)[├└]── (\S+)(?: \(([^)]*)\))?/.exec(line);
    if (!match) continue;
    const depth = match[1]!.length / 4;
    stack.length = depth;
    // The router prints the top-level wildcard as `*`, relative to the root.
    stack.push(depth === 0 && !match[2]!.startsWith('/') ? `/${match[2]}` : match[2]!);
    const path = stack.join('');
    for (const method of (match[3] ?? '').split(',').map((m) => m.trim()))
      if (method && method !== 'HEAD' && method !== 'OPTIONS') routes.push(`${method} ${path}`);
  }
  return routes;
}

const A = 'deploy-bot';
const B = 'migrate-bot';

/** A monitoring profile for `system`: the example one, re-targeted. */
function profileFor(system: string): string {
  const profile = JSON.parse(
    readFileSync(join(repoRoot, 'examples', 'policies', 'profiles', 'credit-scoring.json'), 'utf8'),
  );
  profile.system = system;
  profile.schema.system = system;
  return JSON.stringify(profile);
}

const monitorPolicy = (system: string) => `apiVersion: arbiter/v1
kind: MonitorPolicy
metadata: { name: matrix-${system} }
spec:
  match: { systems: [${system}] }
  profile: profiles/matrix-${system}.json
  alerts:
    - name: matrix-drift
      when: metrics.datasetDrift.share > 0.9
      severity: warning
`;

interface Probe {
  path: string;
  body?: unknown;
  /** Checks what an agent may see in a 2xx answer: nothing of another System. */
  visible?: (body: any) => void;
  /** Puts shared state back after the probe (a frozen System, a changed autonomy). */
  restore?: () => Promise<void>;
}

describe('authorization matrix (docs/security.md)', () => {
  const matrix = parseAccessMatrix(readFileSync(securityDoc, 'utf8'));
  let server: TestServer;
  let t: Record<string, string>;
  const tokenOf = (role: Role): string | undefined =>
    ({ none: undefined, agent: t.deployBot, approver: t.paul, auditor: t.erin, admin: t.root })[role];
  /** Sign-in session cookies (with their CSRF tokens) of the same people the tokens name. */
  const sessions: Partial<Record<Role, Record<string, string>>> = {};
  const sessionPeople = {
    approver: { user: 'paul', role: 'approver', groups: ['platform'] },
    auditor: { user: 'erin', role: 'auditor', groups: [] },
    admin: { user: 'root', role: 'admin', groups: [] },
  } as const;
  async function issueSessions(): Promise<void> {
    for (const [role, person] of Object.entries(sessionPeople)) {
      const issued = await server.arbiter.sessions.issue(
        {
          ...person,
          groups: [...person.groups],
          idpGroups: [],
          subject: `${person.user}-subject`,
          amr: ['pwd'],
        },
        'https://idp.example.com',
        3_600_000,
      );
      sessions[role as Role] = {
        cookie: `arbiter_session=${issued.cookie}`,
        'x-arbiter-csrf': issued.csrfToken,
      };
    }
  }
  /** How a cell's caller proves who it is: its token, or its session cookie and CSRF header. */
  const callAs = (role: Role, via: 'token' | 'session', method: string, path: string, body?: unknown) =>
    via === 'token'
      ? server.call(tokenOf(role), method, path, body)
      : server.call(undefined, method, path, body, sessions[role]);
  const system = (own: boolean) => (own ? A : B);
  const fixtures = { gateRun: {} as Record<string, string>, incident: {} as Record<string, string> };
  let serial = 0;

  /** An admin (or the owning agent) call that must succeed: fixtures, not subjects. */
  async function must(token: string | undefined, method: string, path: string, body?: unknown) {
    const response = await server.call(token, method, path, body);
    if (response.status >= 300)
      throw new Error(`fixture ${method} ${path} failed: ${response.status} ${response.text}`);
    return response.body;
  }

  /** A decision requested by the agent of A (own) or B (other). */
  async function decision(own: boolean, status: 'allowed' | 'pending'): Promise<string> {
    const body =
      status === 'allowed'
        ? deploy({ resource: { type: 'service', id: 'payments', environment: 'staging' } })
        : deploy({ change: { linesChanged: 900 } });
    const created = await must(own ? t.deployBot : t.migrateBot, 'POST', '/v1/decisions', body);
    expect(created.status).toBe(status);
    return created.id;
  }

  const staging = () => deploy({ resource: { type: 'service', id: 'payments', environment: 'staging' } });
  const onlyOwn = (list: (body: any) => { [key: string]: unknown }[], field: string) => (body: any) => {
    for (const item of list(body)) expect(item[field], JSON.stringify(item).slice(0, 200)).toBe(A);
  };
  const gateRun = (systemId: string) => ({
    release: {
      file: 'release.yaml',
      name: `${systemId}-1.0.${serial++}`,
      system: systemId,
      version: '1.0.0',
    },
    bundle: `sha256:${'b'.repeat(64)}`,
    // No GatePolicy matched: the gate fails (a pass must rest on checks).
    passed: false,
    checks: [],
    summary: {
      models: [],
      packages: 0,
      vulnerabilities: 0,
      scanFindings: 0,
      bom: { source: 'generated', components: 0 },
    },
    warnings: [],
    startedAt: '2026-11-17T09:59:58.000Z',
    durationMs: 1,
  });
  const autonomyOf = async (id: string) =>
    (await must(t.root, 'GET', `/v1/systems/${id}`)).autonomy as number;
  const unfreeze = (id: string) => async () => {
    const current = await must(t.root, 'GET', `/v1/systems/${id}`);
    if (current.status === 'frozen')
      await must(t.root, 'POST', `/v1/systems/${id}/unfreeze`, { reason: 'matrix: put back' });
  };

  /** How to exercise each route for a role and an ownership. Keys are the routes of the table. */
  const probes: Record<string, (who: { role: Role; own: boolean }) => Promise<Probe>> = {
    'POST /v1/decisions': async ({ own }) => ({
      path: '/v1/decisions',
      body: own ? staging() : { ...staging(), actor: B },
    }),
    'GET /v1/decisions': async ({ own }) => ({
      path: `/v1/decisions?system=${system(own)}`,
      visible: onlyOwn((body) => body.decisions, 'systemId'),
    }),
    'POST /v1/decisions/explain': async ({ own }) => ({
      path: '/v1/decisions/explain',
      body: own ? staging() : { ...staging(), actor: B },
    }),
    'GET /v1/decisions/:id': async ({ own }) => ({ path: `/v1/decisions/${await decision(own, 'allowed')}` }),
    'GET /v1/decisions/:id/wait': async ({ own }) => ({
      path: `/v1/decisions/${await decision(own, 'pending')}/wait?timeoutMs=1`,
    }),
    'POST /v1/decisions/:id/approvals': async ({ own }) => ({
      path: `/v1/decisions/${await decision(own, 'pending')}/approvals`,
      body: { verdict: 'approve', reason: 'matrix' },
    }),
    'POST /v1/decisions/:id/outcome': async ({ own }) => ({
      path: `/v1/decisions/${await decision(own, 'allowed')}/outcome`,
      body: { status: 'succeeded' },
    }),
    'POST /v1/decisions/:id/start': async ({ own }) => ({
      path: `/v1/decisions/${await decision(own, 'allowed')}/start`,
      body: {},
    }),
    'POST /v1/decisions/:id/withdraw': async ({ own }) => ({
      path: `/v1/decisions/${await decision(own, 'pending')}/withdraw`,
      body: { reason: 'matrix' },
    }),
    'GET /v1/decisions/:id/trace': async ({ own }) => ({
      path: `/v1/decisions/${await decision(own, 'allowed')}/trace`,
    }),
    'POST /v1/events': async ({ own }) => ({
      path: '/v1/events',
      body: { type: 'mcp.tool_changed', subject: `${system(own)}/tools`, data: {} },
    }),
    'POST /v1/hooks/:agent': async () => ({
      path: '/v1/hooks/claude-code',
      body: {
        session_id: `matrix-${serial++}`,
        cwd: '/work/app',
        hook_event_name: 'PreToolUse',
        tool_name: 'Bash',
        tool_input: { command: 'git status' },
      },
    }),
    'GET /v1/systems': async () => ({ path: '/v1/systems', visible: onlyOwn((body) => body.systems, 'id') }),
    'POST /v1/systems': async () => ({
      path: '/v1/systems',
      body: {
        id: `matrix-bot-${serial++}`,
        kind: 'agent',
        owner: { team: 'platform', person: 'dana@example.com' },
        onCall: { team: 'platform' },
        autonomy: 1,
        riskTier: 'limited',
      },
    }),
    'GET /v1/systems/:id': async ({ own }) => ({ path: `/v1/systems/${system(own)}` }),
    'POST /v1/systems/:id/freeze': async ({ own }) => ({
      path: `/v1/systems/${system(own)}/freeze`,
      body: { reason: 'matrix' },
      restore: unfreeze(system(own)),
    }),
    'POST /v1/systems/:id/unfreeze': async ({ own }) => {
      await must(t.root, 'POST', `/v1/systems/${system(own)}/freeze`, { reason: 'matrix: to unfreeze' });
      return {
        path: `/v1/systems/${system(own)}/unfreeze`,
        body: { reason: 'matrix' },
        restore: unfreeze(system(own)),
      };
    },
    'POST /v1/systems/:id/autonomy': async ({ own }) => {
      const id = system(own);
      const level = await autonomyOf(id);
      return {
        path: `/v1/systems/${id}/autonomy`,
        body: { level: level - 1, reason: 'matrix' },
        restore: async () => {
          if ((await autonomyOf(id)) !== level)
            await must(t.root, 'POST', `/v1/systems/${id}/autonomy`, { level, reason: 'matrix: put back' });
        },
      };
    },
    'POST /v1/gate-runs': async ({ own }) => ({ path: '/v1/gate-runs', body: gateRun(system(own)) }),
    'GET /v1/gate-runs': async ({ own }) => ({ path: `/v1/gate-runs?system=${system(own)}` }),
    'GET /v1/gate-runs/:id': async ({ own }) => ({ path: `/v1/gate-runs/${fixtures.gateRun[system(own)]}` }),
    'GET /v1/ledger/checkpoint': async () => ({ path: '/v1/ledger/checkpoint' }),
    'GET /v1/ledger/key': async () => ({ path: '/v1/ledger/key' }),
    'GET /v1/ledger/witnesses': async () => ({ path: '/v1/ledger/witnesses' }),
    'GET /v1/ledger/entries': async () => ({ path: '/v1/ledger/entries?start=0&end=5' }),
    'GET /v1/ledger/proofs/inclusion': async () => ({ path: '/v1/ledger/proofs/inclusion?index=0' }),
    'GET /v1/ledger/proofs/consistency': async () => ({ path: '/v1/ledger/proofs/consistency?first=1' }),
    'GET /v1/monitor': async () => ({
      path: '/v1/monitor',
      visible: onlyOwn((body) => body.systems, 'system'),
    }),
    'GET /v1/monitor/:system/windows': async ({ own }) => ({ path: `/v1/monitor/${system(own)}/windows` }),
    'GET /v1/monitor/:system/alerts': async ({ own }) => ({ path: `/v1/monitor/${system(own)}/alerts` }),
    'POST /v1/monitor/:system/events': async ({ own }) => ({
      path: `/v1/monitor/${system(own)}/events`,
      body: [{ id: `matrix-${serial++}`, features: {}, prediction: 'good' }],
    }),
    'POST /v1/monitor/:system/labels': async ({ own }) => ({
      path: `/v1/monitor/${system(own)}/labels`,
      body: [{ id: 'matrix-unknown', label: 'good' }],
    }),
    'POST /v1/incidents': async ({ own }) => ({
      path: '/v1/incidents',
      body: { title: 'matrix incident', system: system(own) },
    }),
    'GET /v1/incidents': async ({ own }) => ({
      path: `/v1/incidents?system=${system(own)}`,
      visible: onlyOwn((body) => body.incidents, 'system'),
    }),
    'GET /v1/incidents/:id': async ({ own }) => ({ path: `/v1/incidents/${fixtures.incident[system(own)]}` }),
    'POST /v1/incidents/:id/links': async ({ own }) => ({
      path: `/v1/incidents/${fixtures.incident[system(own)]}/links`,
      body: { kind: 'deployment', ref: `matrix-deploy-${serial++}` },
    }),
    'POST /v1/incidents/:id/resolve': async ({ own }) => {
      const incident = await must(t.root, 'POST', '/v1/incidents', {
        title: 'to resolve',
        system: system(own),
      });
      return { path: `/v1/incidents/${incident.id}/resolve`, body: { summary: 'matrix' } };
    },
    'GET /v1/incidents/:id/trace': async ({ own }) => ({
      path: `/v1/incidents/${fixtures.incident[system(own)]}/trace`,
    }),
    'GET /v1/policies': async () => ({ path: '/v1/policies' }),
    'POST /v1/policies/reload': async () => ({ path: '/v1/policies/reload' }),
    'GET /v1/me': async () => ({ path: '/v1/me' }),
    'GET /auth/session': async () => ({ path: '/auth/session' }),
    'GET /auth/login': async () => ({ path: '/auth/login?return=/approvals' }),
    'GET /auth/callback': async () => ({ path: '/auth/callback?code=x&state=y' }),
    // Signing out ends the cell's session: the sessions are issued again for the cells after it.
    'POST /auth/logout': async () => ({ path: '/auth/logout', restore: issueSessions }),
    'POST /auth/device': async () => ({ path: '/auth/device', body: {} }),
    'POST /auth/device/token': async () => ({ path: '/auth/device/token', body: { handle: 'x' } }),
    'POST /auth/loopback': async () => ({
      path: '/auth/loopback',
      body: {
        redirectUri: 'http://127.0.0.1:9/callback',
        state: 's'.repeat(43),
        codeChallenge: 'c'.repeat(43),
        codeChallengeMethod: 'S256',
      },
    }),
    'POST /auth/loopback/token': async () => ({
      path: '/auth/loopback/token',
      body: { code: 'x', codeVerifier: 'v'.repeat(43), redirectUri: 'http://127.0.0.1:9/callback' },
    }),
    'POST /v1/integrations/github/webhook': async () => ({
      path: '/v1/integrations/github/webhook',
      body: { action: 'requested' },
    }),
    'POST /v1/integrations/gitlab/webhook': async () => ({
      path: '/v1/integrations/gitlab/webhook',
      body: { object_kind: 'deployment' },
    }),
    'POST /v1/integrations/slack/interactions': async () => ({
      path: '/v1/integrations/slack/interactions',
      body: { payload: '{}' },
    }),
    'GET /healthz': async () => ({ path: '/healthz' }),
    'GET /readyz': async () => ({ path: '/readyz' }),
    'GET /metrics': async () => ({ path: '/metrics' }),
    'GET /openapi.json': async () => ({ path: '/openapi.json' }),
    'GET /*': async () => ({ path: '/approvals' }),
  };

  beforeAll(async () => {
    const webRoot = tempDir('arbiter-matrix-web-');
    mkdirSync(join(webRoot, 'assets'));
    writeFileSync(join(webRoot, 'index.html'), '<!doctype html><title>Arbiter</title>');
    server = await startTestServer({
      webRoot,
      extraPolicies: {
        [`profiles/matrix-${A}.json`]: profileFor(A),
        [`profiles/matrix-${B}.json`]: profileFor(B),
        'matrix-monitors.yaml': [monitorPolicy(A), monitorPolicy(B)].join('---\n'),
      },
    });
    t = server.tokens;
    await issueSessions();
    for (const id of [A, B]) {
      fixtures.gateRun[id] = (await must(t.root, 'POST', '/v1/gate-runs', gateRun(id))).id;
      fixtures.incident[id] = (
        await must(t.root, 'POST', '/v1/incidents', { title: 'fixture', system: id })
      ).id;
      // Something of each System in every list, so "nothing of B is listed" can fail.
      await decision(id === A, 'allowed');
    }
  });
  afterAll(async () => {
    await server?.close();
  });

  it('the table is in docs/security.md and names each route once', () => {
    expect(matrix.length).toBeGreaterThan(30);
    const names = matrix.map((row) => row.route);
    expect(names.filter((name, i) => names.indexOf(name) !== i)).toEqual([]);
  });

  it('every route the server registers has a row, and every row is a route the server registers', () => {
    const registered = registeredRoutes(server.app.printRoutes({ commonPrefix: false }));
    // The route tree parser is checked against the OpenAPI document, which lists the visible routes.
    const openapi = server.app.swagger() as { paths: Record<string, Record<string, unknown>> };
    for (const [path, operations] of Object.entries(openapi.paths))
      for (const method of Object.keys(operations))
        expect(registered).toContain(`${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`);
    const documented = matrix.map((row) => row.route);
    expect(
      registered.filter((route) => !documented.includes(route)),
      'routes missing from the access matrix in docs/security.md: classify them there',
    ).toEqual([]);
    expect(
      documented.filter((route) => !registered.includes(route)),
      'rows of docs/security.md that are not routes of the server',
    ).toEqual([]);
    expect(Object.keys(probes).sort()).toEqual([...documented].sort());
  });

  const callers = [
    ...roles.map((role) => ({ role, via: 'token' as const })),
    // The people again, signed in with the identity provider instead of holding a token.
    ...(['approver', 'auditor', 'admin'] as const).map((role) => ({ role, via: 'session' as const })),
  ];
  for (const row of matrix) {
    for (const { role, via } of callers) {
      const { own, other } = row.expected[role];
      const as = via === 'session' ? `${role} (session cookie)` : role;
      it(`${row.route} as ${as}: ${own === other ? own : `${own} own / ${other} other`}`, async () => {
        const [method] = row.route.split(' ') as [string];
        const seen: Record<Ownership, number | string> = { own: 0, other: 0 };
        for (const ownership of ['own', 'other'] as const) {
          const probe = await probes[row.route]!({ role, own: ownership === 'own' });
          try {
            const response = await callAs(role, via, method, probe.path, probe.body);
            seen[ownership] = response.status;
            if (response.status >= 400) {
              expect(response.body.error?.code, `${row.route} ${response.text.slice(0, 300)}`).toMatch(
                /^ARB_ERR_/,
              );
            } else if (role === 'agent' && probe.visible) {
              probe.visible(response.body);
            }
            if (method === 'GET') {
              const head = await callAs(role, via, 'HEAD', probe.path);
              if (head.status !== response.status)
                seen[ownership] = `${response.status}, HEAD ${head.status}`;
            }
            if (response.status !== row.expected[role][ownership])
              seen[ownership] = `${seen[ownership]} (${response.text.slice(0, 200)})`;
          } finally {
            await probe.restore?.();
          }
        }
        expect(seen).toEqual({ own, other });
      });
    }
  }

  describe('an agent bound to System A and System B', () => {
    it('cannot act as B: the body cannot name an actor, the decision is always A’s', async () => {
      const claimed = await server.call(t.deployBot, 'POST', '/v1/decisions', { ...staging(), actor: B });
      expect(claimed.status).toBe(400);
      const asked = await must(t.deployBot, 'POST', '/v1/decisions', {
        ...staging(),
        context: { actor: B, system: B },
      });
      expect(asked.actor).toEqual({ id: A, ref: `system:${A}`, kind: 'agent' });
      expect(asked.systemId).toBe(A);
    });

    it("cannot read B's pending approvals, by list, by id or by waiting", async () => {
      const pending = await decision(false, 'pending');
      const listed = await must(t.deployBot, 'GET', `/v1/decisions?status=pending&system=${B}`);
      expect(listed.decisions).toEqual([]);
      const all = await must(t.deployBot, 'GET', '/v1/decisions?status=pending');
      expect(all.decisions.map((d: { id: string }) => d.id)).not.toContain(pending);
      expect((await server.call(t.deployBot, 'GET', `/v1/decisions/${pending}`)).status).toBe(404);
      expect(
        (await server.call(t.deployBot, 'GET', `/v1/decisions/${pending}/wait?timeoutMs=1`)).status,
      ).toBe(404);
      expect((await server.call(t.deployBot, 'GET', `/v1/decisions/${pending}/trace`)).status).toBe(403);
      // An auditor sees it, so the 404 is about the agent, not the decision.
      expect((await server.call(t.erin, 'GET', `/v1/decisions/${pending}`)).status).toBe(200);
    });

    it("cannot report an outcome for B's decision, and B's decision keeps none", async () => {
      const allowed = await decision(false, 'allowed');
      const refused = await server.call(t.deployBot, 'POST', `/v1/decisions/${allowed}/outcome`, {
        status: 'failed',
      });
      expect([refused.status, refused.body.error.code]).toEqual([404, 'ARB_ERR_NOT_FOUND']);
      expect((await must(t.erin, 'GET', `/v1/decisions/${allowed}`)).outcome).toBeNull();
      // B itself can.
      expect(
        (await server.call(t.migrateBot, 'POST', `/v1/decisions/${allowed}/outcome`, { status: 'succeeded' }))
          .status,
      ).toBe(200);
    });

    it("cannot link B's decision to an incident, nor open one about B", async () => {
      const allowed = await decision(false, 'allowed');
      const linked = await server.call(t.deployBot, 'POST', '/v1/incidents', {
        title: 'x',
        decision: allowed,
      });
      expect([linked.status, linked.body.error.code]).toEqual([422, 'ARB_ERR_INCIDENT_LINK_UNKNOWN']);
      const about = await server.call(t.deployBot, 'POST', '/v1/incidents', { title: 'x', system: B });
      expect(about.status).toBe(403);
    });

    it("cannot write an event into B's decision trace; events about its own decisions are fine", async () => {
      const theirs = await decision(false, 'allowed');
      const before = await server.arbiter.store.ledger.size();
      const injected = await server.call(t.deployBot, 'POST', '/v1/events', {
        type: 'mcp.tool_blocked',
        subject: theirs,
        data: { note: 'approved by the CTO out of band' },
      });
      expect([injected.status, injected.body.error.code]).toEqual([404, 'ARB_ERR_NOT_FOUND']);
      const other = await server.call(t.deployBot, 'POST', '/v1/events', {
        type: 'mcp.tool_blocked',
        subject: 'inc_01abc',
        data: {},
      });
      expect(other.status).toBe(400);
      expect(await server.arbiter.store.ledger.size()).toBe(before);
      const trace = await must(t.erin, 'GET', `/v1/decisions/${theirs}/trace`);
      expect(JSON.stringify(trace)).not.toContain('mcp.tool_blocked');

      const mine = await decision(true, 'allowed');
      const own = await server.call(t.deployBot, 'POST', '/v1/events', {
        type: 'mcp.tool_blocked',
        subject: mine,
        data: {},
      });
      expect(own.status).toBe(201);
    });
  });
});
