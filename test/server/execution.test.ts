import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { postgresAvailable } from '../helpers/postgres.js';
import { deploy, startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Execution is single use and a freeze stops it (issue 17): an allowed decision is claimed once
 * with POST /v1/decisions/:id/start, within its execution window; a freeze revokes what was allowed
 * but not started; a replayed idempotency key answers the decision's status now; an abandoned
 * request is withdrawn. Each attack runs against a real server on loopback, on each backend.
 */
const hasPostgres = await postgresAvailable();

// A policy that sets its own, short execution window.
const quickPolicy = `apiVersion: arbiter/v1
kind: ActionPolicy
metadata: { name: quick-flush }
spec:
  match: { actions: [cache.flush] }
  rules:
    - name: flush-quickly
      when: "true"
      effect: allow
      executionWindow: 2m
`;

for (const backend of ['sqlite', 'postgres'] as const) {
  describe.skipIf(backend === 'postgres' && !hasPostgres)(`execution on ${backend}`, () => {
    let server: TestServer;
    let t: Record<string, string>;
    let keys = 0;

    beforeAll(async () => {
      server = await startTestServer({ backend, extraPolicies: { 'quick-flush.yaml': quickPolicy } });
      t = server.tokens;
    });
    afterAll(async () => {
      await server?.close();
    });
    // Each test starts two hours later, so rate limits and cool-downs see only its own deploys.
    beforeEach(() => {
      server.clock.advance(2 * 60 * 60 * 1000);
    });

    const post = (token: string | undefined, path: string, body?: unknown) =>
      server.call(token, 'POST', path, body);
    const get = (token: string | undefined, path: string) => server.call(token, 'GET', path);
    const start = (token: string | undefined, id: string) => post(token, `/v1/decisions/${id}/start`, {});
    async function allowedDeploy(overrides: Record<string, unknown> = {}) {
      const body = deploy({ idempotencyKey: `exec-${backend}-${++keys}`, ...overrides });
      const response = await post(t.deployBot, '/v1/decisions', body);
      expect(response.body.status).toBe('allowed');
      return { decision: response.body, body };
    }
    async function entriesOf(id: string): Promise<string[]> {
      const entries = (await get(t.erin, '/v1/ledger/entries?start=0&end=100000')).body.entries as {
        entry: { type: string; subject: string };
      }[];
      return entries.filter((e) => e.entry.subject === id).map((e) => e.entry.type);
    }

    describe('replay after a freeze', () => {
      it('a replayed idempotency key after a freeze answers revoked, never allowed, and the decision cannot be started', async () => {
        const { decision, body } = await allowedDeploy();
        const freeze = await post(t.root, '/v1/systems/deploy-bot/freeze', { reason: 'incident 42' });
        expect(freeze.status).toBe(200);
        try {
          const replay = await post(t.deployBot, '/v1/decisions', body);
          expect(replay.status).toBe(200);
          expect(replay.body).toMatchObject({ id: decision.id, status: 'revoked' });
          expect(replay.body.statusReason).toContain('incident 42');
          const claim = await start(t.deployBot, decision.id);
          expect(claim.status).toBe(409);
          expect(claim.body.error).toMatchObject({
            code: 'ARB_ERR_DECISION_NOT_STARTABLE',
            details: { status: 'revoked' },
          });
          expect(await entriesOf(decision.id)).toEqual(['decision.created', 'decision.revoked']);
          // An outcome for a run that should never have happened is refused too.
          const outcome = await post(t.deployBot, `/v1/decisions/${decision.id}/outcome`, {
            status: 'succeeded',
          });
          expect(outcome.status).toBe(409);
          expect(outcome.body.error.code).toBe('ARB_ERR_OUTCOME_NOT_ALLOWED');
        } finally {
          await post(t.root, '/v1/systems/deploy-bot/unfreeze', { reason: 'resolved' });
        }
        // Lifting the kill switch does not bring a revoked decision back.
        expect((await post(t.deployBot, '/v1/decisions', body)).body.status).toBe('revoked');
      });

      it('a freeze leaves a started decision started: it is already running, and its outcome is still reported', async () => {
        const { decision } = await allowedDeploy();
        expect((await start(t.deployBot, decision.id)).body.status).toBe('started');
        await post(t.root, '/v1/systems/deploy-bot/freeze', { reason: 'incident 43' });
        try {
          expect((await get(t.deployBot, `/v1/decisions/${decision.id}`)).body.status).toBe('started');
          const outcome = await post(t.deployBot, `/v1/decisions/${decision.id}/outcome`, {
            status: 'failed',
          });
          expect(outcome.status).toBe(200);
        } finally {
          await post(t.root, '/v1/systems/deploy-bot/unfreeze', { reason: 'resolved' });
        }
      });
    });

    describe('claiming a decision', () => {
      it('the first claim starts it; a second claim is refused with 409', async () => {
        const { decision } = await allowedDeploy();
        const first = await start(t.deployBot, decision.id);
        expect(first.status).toBe(200);
        expect(first.body).toMatchObject({ id: decision.id, status: 'started' });
        const second = await start(t.deployBot, decision.id);
        expect(second.status).toBe(409);
        expect(second.body.error).toMatchObject({
          code: 'ARB_ERR_DECISION_ALREADY_STARTED',
          details: { status: 'started' },
        });
        expect(await entriesOf(decision.id)).toEqual(['decision.created', 'decision.started']);
      });

      it('of many claims sent at once, exactly one starts it', async () => {
        const { decision } = await allowedDeploy();
        const claims = await Promise.all(Array.from({ length: 8 }, () => start(t.deployBot, decision.id)));
        expect(claims.map((claim) => claim.status).sort()).toEqual([200, 409, 409, 409, 409, 409, 409, 409]);
        expect(await entriesOf(decision.id)).toEqual(['decision.created', 'decision.started']);
      });

      it("refuses another System's token and a person who did not ask with 403", async () => {
        const { decision } = await allowedDeploy();
        for (const token of [t.migrateBot, t.alice, t.root]) {
          const claim = await start(token, decision.id);
          expect(claim.status).toBe(403);
          expect(claim.body.error.code).toBe('ARB_ERR_FORBIDDEN');
        }
        expect((await start(t.erin, decision.id)).status).toBe(403);
        expect((await start('not-a-token', decision.id)).status).toBe(401);
        // Still unclaimed: the requester can start it.
        expect((await start(t.deployBot, decision.id)).body.status).toBe('started');
      });

      it('refuses a pending, a denied and an unknown decision, and a body with anything in it', async () => {
        const pending = await post(t.deployBot, '/v1/decisions', deploy({ change: { linesChanged: 812 } }));
        expect(pending.body.status).toBe('pending');
        const claimPending = await start(t.deployBot, pending.body.id);
        expect(claimPending.status).toBe(409);
        expect(claimPending.body.error).toMatchObject({
          code: 'ARB_ERR_DECISION_NOT_STARTABLE',
          details: { status: 'pending' },
        });
        const denied = await post(t.deployBot, '/v1/decisions', deploy({ action: 'dns.delete' }));
        expect(denied.body.status).toBe('denied');
        expect((await start(t.deployBot, denied.body.id)).body.error.details).toEqual({ status: 'denied' });
        const unknown = await start(t.deployBot, 'dec_doesnotexist');
        expect(unknown.status).toBe(404);
        const { decision } = await allowedDeploy();
        const forged = await post(t.deployBot, `/v1/decisions/${decision.id}/start`, { status: 'started' });
        expect(forged.status).toBe(400);
        expect(forged.body.error.code).toBe('ARB_ERR_REQUEST_INVALID');
      });

      it('after the outcome was reported, the decision is started and can never be claimed again', async () => {
        const { decision, body } = await allowedDeploy();
        const outcome = await post(t.deployBot, `/v1/decisions/${decision.id}/outcome`, {
          status: 'succeeded',
        });
        expect(outcome.body.status).toBe('started');
        const claim = await start(t.deployBot, decision.id);
        expect(claim.status).toBe(409);
        expect(claim.body.error.code).toBe('ARB_ERR_DECISION_ALREADY_STARTED');
        expect((await post(t.deployBot, '/v1/decisions', body)).body.status).toBe('started');
        expect(await entriesOf(decision.id)).toEqual([
          'decision.created',
          'decision.started',
          'decision.outcome',
        ]);
      });
    });

    describe('the execution window', () => {
      it('is 15 minutes by default: a claim a millisecond late is refused, and the decision is expired (ledgered)', async () => {
        const { decision, body } = await allowedDeploy();
        expect(Date.parse(decision.expiresAt) - Date.parse(decision.createdAt)).toBe(15 * 60_000);
        server.clock.advance(15 * 60_000);
        const claim = await start(t.deployBot, decision.id);
        expect(claim.status).toBe(409);
        expect(claim.body.error).toMatchObject({
          code: 'ARB_ERR_DECISION_NOT_STARTABLE',
          details: { status: 'expired' },
        });
        expect((await post(t.deployBot, '/v1/decisions', body)).body.status).toBe('expired');
        expect(await entriesOf(decision.id)).toEqual(['decision.created', 'decision.expired']);
      });

      it('is set by the rule that allowed it (executionWindow: 2m)', async () => {
        const flush = {
          action: 'cache.flush',
          resource: { type: 'cache', id: 'edge', environment: 'staging' },
          rationale: 'stale assets after the release',
        };
        const early = await post(t.deployBot, '/v1/decisions', flush);
        expect(early.body.status).toBe('allowed');
        expect(Date.parse(early.body.expiresAt) - Date.parse(early.body.createdAt)).toBe(2 * 60_000);
        server.clock.advance(2 * 60_000 - 1);
        expect((await start(t.deployBot, early.body.id)).body.status).toBe('started');
        const late = await post(t.deployBot, '/v1/decisions', flush);
        server.clock.advance(2 * 60_000);
        expect((await start(t.deployBot, late.body.id)).body.error.details).toEqual({ status: 'expired' });
      });

      it('opens when the decision is approved, not when it was asked for', async () => {
        const pending = await post(t.deployBot, '/v1/decisions', deploy({ change: { linesChanged: 812 } }));
        server.clock.advance(50 * 60_000);
        await post(t.alice, `/v1/decisions/${pending.body.id}/approvals`, {
          verdict: 'approve',
          reason: 'ok',
        });
        const approved = await post(t.paul, `/v1/decisions/${pending.body.id}/approvals`, {
          verdict: 'approve',
          reason: 'ok',
        });
        expect(approved.body.status).toBe('allowed');
        server.clock.advance(14 * 60_000);
        expect((await start(t.deployBot, pending.body.id)).body.status).toBe('started');
      });

      it('the background sweep expires what nobody claimed', async () => {
        const { decision } = await allowedDeploy();
        server.clock.advance(16 * 60_000);
        expect(await server.arbiter.decisions.expireDue()).toBeGreaterThanOrEqual(1);
        const [row] = (await get(t.erin, `/v1/decisions?status=expired&limit=200`)).body.decisions.filter(
          (d: { id: string }) => d.id === decision.id,
        );
        expect(row).toMatchObject({
          status: 'expired',
          statusReason: 'not started within its execution window',
        });
      });
    });

    describe('withdrawal', () => {
      it('a withdrawn pending decision cannot be approved later', async () => {
        const pending = await post(t.deployBot, '/v1/decisions', deploy({ change: { linesChanged: 812 } }));
        const withdrawn = await post(t.deployBot, `/v1/decisions/${pending.body.id}/withdraw`, {
          reason: 'the MCP client went away',
        });
        expect(withdrawn.status).toBe(200);
        expect(withdrawn.body).toMatchObject({ status: 'withdrawn' });
        const vote = await post(t.alice, `/v1/decisions/${pending.body.id}/approvals`, {
          verdict: 'approve',
          reason: 'ok',
        });
        expect(vote.status).toBe(409);
        expect(vote.body.error).toMatchObject({
          code: 'ARB_ERR_DECISION_NOT_PENDING',
          details: { status: 'withdrawn' },
        });
        expect((await start(t.deployBot, pending.body.id)).body.error.details).toEqual({
          status: 'withdrawn',
        });
        expect(await entriesOf(pending.body.id)).toEqual(['decision.created', 'decision.withdrawn']);
      });

      it('only the requester withdraws, only before it started, and says why', async () => {
        const pending = await post(t.deployBot, '/v1/decisions', deploy({ change: { linesChanged: 812 } }));
        const path = `/v1/decisions/${pending.body.id}/withdraw`;
        expect((await post(t.migrateBot, path, { reason: 'x' })).status).toBe(403);
        expect((await post(t.deployBot, path, {})).status).toBe(400);
        const { decision } = await allowedDeploy();
        await start(t.deployBot, decision.id);
        const late = await post(t.deployBot, `/v1/decisions/${decision.id}/withdraw`, { reason: 'x' });
        expect(late.status).toBe(409);
        expect(late.body.error).toMatchObject({
          code: 'ARB_ERR_DECISION_NOT_WITHDRAWABLE',
          details: { status: 'started' },
        });
      });
    });
  });
}
