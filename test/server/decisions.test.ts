import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { arbiter as cli } from '../helpers/cli.js';
import { postgresAvailable } from '../helpers/postgres.js';
import { eventually } from '../helpers/raw-http.js';
import { deploy, startTestServer, type TestServer } from '../helpers/server.js';

/** The HTTP behaviour of the decision server, against a real server on loopback, on each backend. */
const hasPostgres = await postgresAvailable();

for (const backend of ['sqlite', 'postgres'] as const) {
  describe.skipIf(backend === 'postgres' && !hasPostgres)(`decision server on ${backend}`, () => {
    let server: TestServer;
    let t: Record<string, string>;

    beforeAll(async () => {
      server = await startTestServer({ backend });
      t = server.tokens;
    });
    afterAll(async () => {
      await server?.close();
    });
    // Each test starts two hours later, so the rate limit and cool-down rules see only its own deploys.
    beforeEach(() => {
      server.clock.advance(2 * 60 * 60 * 1000);
    });

    const post = (token: string | undefined, path: string, body?: unknown) =>
      server.call(token, 'POST', path, body);
    const get = (token: string | undefined, path: string) => server.call(token, 'GET', path);

    describe('asking for decisions', () => {
      it('allows a small confident deploy: 201 with reasons, request hash, bundle and ledger index', async () => {
        const response = await post(t.deployBot, '/v1/decisions', deploy());
        expect(response.status).toBe(201);
        expect(response.body).toMatchObject({
          status: 'allowed',
          effect: 'allow',
          actor: { id: 'deploy-bot', kind: 'agent' },
          approvals: { required: [], received: [] },
          bundle: server.arbiter.policies.bundle.digest,
        });
        expect(response.body.requestHash).toMatch(/^sha256:[0-9a-f]{64}$/);
        expect(response.body.reasons.map((r: { rule: string }) => r.rule)).toContain(
          'small-confident-change',
        );
        expect(typeof response.body.ledgerIndex).toBe('number');
      });

      it('denies what policy denies, with the reason', async () => {
        const response = await post(t.deployBot, '/v1/decisions', {
          action: 'rollback',
          resource: { type: 'service', id: 'payments', environment: 'prod' },
          rationale: 'error rate tripled',
        });
        expect(response.status).toBe(201);
        expect(response.body).toMatchObject({ status: 'denied', effect: 'deny' });
        expect(response.body.reasons.filter((r: { effect: string }) => r.effect === 'deny')).toMatchObject([
          { rule: 'rollback-of-unknown-version' },
        ]);
      });

      it('denies an observe-only agent and an action no policy speaks to (default deny)', async () => {
        expect((await post(t.triageBot, '/v1/decisions', deploy())).body.status).toBe('denied');
        const unknown = await post(t.deployBot, '/v1/decisions', deploy({ action: 'dns.delete' }));
        expect(unknown.body).toMatchObject({ status: 'denied', reasons: [] });
      });

      it('the actor is the token, never the body', async () => {
        const response = await post(t.deployBot, '/v1/decisions', { ...deploy(), actor: 'migrate-bot' });
        expect(response.status).toBe(400);
        expect(response.body.error.code).toBe('ARB_ERR_REQUEST_INVALID');
      });

      it('agents must give a rationale', async () => {
        const { rationale: _, ...withoutRationale } = deploy();
        const response = await post(t.deployBot, '/v1/decisions', withoutRationale);
        expect(response.status).toBe(400);
        expect(response.body.error.code).toBe('ARB_ERR_RATIONALE_REQUIRED');
      });
    });

    describe('approvals', () => {
      async function pendingDeploy(overrides: Record<string, unknown> = {}) {
        const response = await post(
          t.deployBot,
          '/v1/decisions',
          deploy({ change: { linesChanged: 812 }, ...overrides }),
        );
        expect(response.body.status).toBe('pending');
        return response.body;
      }

      it('pending → allowed after two distinct approvers of the right groups', async () => {
        const decision = await pendingDeploy();
        expect(decision.approvals.required).toEqual([
          expect.objectContaining({
            count: 2,
            from: ['group:sre', 'owner'],
            ttl: '1h',
            met: false,
            missing: ['group:sre', 'owner'],
          }),
        ]);
        const first = await post(t.alice, `/v1/decisions/${decision.id}/approvals`, {
          verdict: 'approve',
          reason: 'diff reviewed',
        });
        expect(first.status).toBe(200);
        expect(first.body.status).toBe('pending');
        expect(first.body.approvals.required[0]).toMatchObject({
          met: false,
          approvers: ['user:alice'],
          missing: ['owner'],
        });
        const second = await post(t.paul, `/v1/decisions/${decision.id}/approvals`, {
          verdict: 'approve',
          reason: 'owner ok',
          requestHash: decision.requestHash,
        });
        expect(second.body).toMatchObject({ status: 'allowed', statusReason: 'approved' });
      });

      it('one person in both groups cannot satisfy both selectors alone', async () => {
        const decision = await pendingDeploy();
        const response = await post(t.bob, `/v1/decisions/${decision.id}/approvals`, {
          verdict: 'approve',
          reason: 'ok',
        });
        expect(response.body.status).toBe('pending');
        const again = await post(t.bob, `/v1/decisions/${decision.id}/approvals`, {
          verdict: 'approve',
          reason: 'still ok',
        });
        expect(again.status).toBe(409);
        expect(again.body.error.code).toBe('ARB_ERR_APPROVAL_DUPLICATE');
        const alice = await post(t.alice, `/v1/decisions/${decision.id}/approvals`, {
          verdict: 'approve',
          reason: 'ok',
        });
        expect(alice.body.status).toBe('allowed');
      });

      it('refuses self-approval', async () => {
        const mine = await post(
          t.alice,
          '/v1/decisions',
          deploy({ change: { linesChanged: 900 }, rationale: 'manual deploy' }),
        );
        expect(mine.body.actor).toEqual({ id: 'alice', ref: 'user:alice', kind: 'human' });
        expect(mine.body.status).toBe('pending');
        const response = await post(t.alice, `/v1/decisions/${mine.body.id}/approvals`, {
          verdict: 'approve',
          reason: 'trust me',
        });
        expect(response.status).toBe(403);
        expect(response.body.error.code).toBe('ARB_ERR_APPROVAL_SELF');
      });

      it('refuses approvals by agents', async () => {
        const decision = await pendingDeploy();
        const response = await post(t.migrateBot, `/v1/decisions/${decision.id}/approvals`, {
          verdict: 'approve',
          reason: 'bots helping bots',
        });
        expect(response.status).toBe(403);
        expect(response.body.error.code).toBe('ARB_ERR_APPROVAL_AGENT');
      });

      it('refuses approvers the decision does not need', async () => {
        const decision = await pendingDeploy();
        const response = await post(t.carol, `/v1/decisions/${decision.id}/approvals`, {
          verdict: 'approve',
          reason: 'dba says yes',
        });
        expect(response.status).toBe(403);
        expect(response.body.error.code).toBe('ARB_ERR_APPROVAL_NOT_ELIGIBLE');
      });

      it('refuses an approval bound to another request', async () => {
        const decision = await pendingDeploy();
        const response = await post(t.alice, `/v1/decisions/${decision.id}/approvals`, {
          verdict: 'approve',
          reason: 'ok',
          requestHash: `sha256:${'0'.repeat(64)}`,
        });
        expect(response.status).toBe(409);
        expect(response.body.error.code).toBe('ARB_ERR_APPROVAL_HASH_MISMATCH');
      });

      it('a rejection denies at once', async () => {
        const decision = await pendingDeploy();
        const response = await post(t.alice, `/v1/decisions/${decision.id}/approvals`, {
          verdict: 'reject',
          reason: 'not during the incident',
        });
        expect(response.body).toMatchObject({ status: 'denied', statusReason: 'rejected by user:alice' });
        const late = await post(t.paul, `/v1/decisions/${decision.id}/approvals`, {
          verdict: 'approve',
          reason: 'ok',
        });
        expect(late.status).toBe(409);
        expect(late.body.error.code).toBe('ARB_ERR_DECISION_NOT_PENDING');
      });

      it('expires after the ttl: denied with reason expired', async () => {
        const decision = await pendingDeploy();
        server.clock.advance(61 * 60 * 1000);
        const after = await get(t.deployBot, `/v1/decisions/${decision.id}`);
        expect(after.body).toMatchObject({ status: 'denied', statusReason: 'expired' });
        const late = await post(t.alice, `/v1/decisions/${decision.id}/approvals`, {
          verdict: 'approve',
          reason: 'sorry, late',
        });
        expect(late.body.error.code).toBe('ARB_ERR_DECISION_NOT_PENDING');
      });

      it('long poll wakes up when the decision is approved', async () => {
        const decision = await pendingDeploy();
        // Had the wait not woken, it would answer `pending` when its 20 s ran out.
        const waiting = get(t.deployBot, `/v1/decisions/${decision.id}/wait?timeoutMs=20000`);
        // The votes go in only once the server holds the waiter, so the answer is a wake-up, not a read.
        await eventually(() => server.arbiter.events.waiting === 1, 'the long poll is waiting');
        await post(t.alice, `/v1/decisions/${decision.id}/approvals`, { verdict: 'approve', reason: 'ok' });
        await post(t.paul, `/v1/decisions/${decision.id}/approvals`, { verdict: 'approve', reason: 'ok' });
        const result = await waiting;
        expect(result.body.status).toBe('allowed');
      });

      it('long poll times out with the current state', async () => {
        const decision = await pendingDeploy();
        const result = await get(t.deployBot, `/v1/decisions/${decision.id}/wait?timeoutMs=200`);
        expect(result.status).toBe(200);
        expect(result.body.status).toBe('pending');
      });
    });

    describe('idempotency', () => {
      it('the same key and request return the same decision; a different request is a conflict', async () => {
        const body = deploy({ idempotencyKey: 'build-4711' });
        const first = await post(t.deployBot, '/v1/decisions', body);
        const second = await post(t.deployBot, '/v1/decisions', body);
        expect(first.status).toBe(201);
        expect(second.status).toBe(200);
        expect(second.body.id).toBe(first.body.id);
        const changed = await post(
          t.deployBot,
          '/v1/decisions',
          deploy({ idempotencyKey: 'build-4711', change: { linesChanged: 41 } }),
        );
        expect(changed.status).toBe(409);
        expect(changed.body.error.code).toBe('ARB_ERR_IDEMPOTENCY_CONFLICT');
      });

      it('concurrent retries with one key create one decision', async () => {
        const body = deploy({
          idempotencyKey: 'race-1',
          resource: { type: 'service', id: 'search', environment: 'staging' },
        });
        const responses = await Promise.all(
          Array.from({ length: 8 }, () => post(t.deployBot, '/v1/decisions', body)),
        );
        expect(new Set(responses.map((r) => r.body.id)).size).toBe(1);
        expect(responses.filter((r) => r.status === 201)).toHaveLength(1);
      });
    });

    describe('outcomes and what policies learn from them', () => {
      it('records the outcome once, for the requester only; a failure triggers the cool-down rule', async () => {
        const decision = (
          await post(
            t.deployBot,
            '/v1/decisions',
            deploy({ resource: { type: 'service', id: 'cart', environment: 'prod' } }),
          )
        ).body;
        expect(decision.status).toBe('allowed');
        const other = await post(t.migrateBot, `/v1/decisions/${decision.id}/outcome`, {
          status: 'succeeded',
        });
        expect(other.status).toBe(404);
        const failed = await post(t.deployBot, `/v1/decisions/${decision.id}/outcome`, {
          status: 'failed',
          detail: 'health checks red',
        });
        expect(failed.status).toBe(200);
        expect(failed.body.outcome).toMatchObject({ status: 'failed', detail: 'health checks red' });
        const twice = await post(t.deployBot, `/v1/decisions/${decision.id}/outcome`, {
          status: 'succeeded',
        });
        expect(twice.body.error.code).toBe('ARB_ERR_OUTCOME_NOT_ALLOWED');

        server.clock.advance(5 * 60 * 1000);
        const next = await post(
          t.deployBot,
          '/v1/decisions',
          deploy({ resource: { type: 'service', id: 'cart', environment: 'prod' } }),
        );
        expect(next.body.status).toBe('pending');
        expect(
          next.body.reasons.find((r: { rule: string }) => r.rule === 'cool-down-after-failure'),
        ).toMatchObject({
          message: 'a production deploy by this agent failed 5 minutes ago',
        });
        server.clock.advance(31 * 60 * 1000);
      });

      it('an outcome on a denied decision is refused', async () => {
        const denied = (await post(t.deployBot, '/v1/decisions', deploy({ action: 'dns.delete' }))).body;
        const response = await post(t.deployBot, `/v1/decisions/${denied.id}/outcome`, {
          status: 'succeeded',
        });
        expect(response.status).toBe(409);
      });

      it('rate limits with the actor history: a fourth production deploy within the hour is denied', async () => {
        server.clock.advance(2 * 60 * 60 * 1000);
        const statuses: string[] = [];
        for (let i = 0; i < 4; i++) {
          statuses.push(
            (
              await post(
                t.deployBot,
                '/v1/decisions',
                deploy({ resource: { type: 'service', id: `svc-${i}`, environment: 'prod' } }),
              )
            ).body.status,
          );
        }
        expect(statuses).toEqual(['allowed', 'allowed', 'allowed', 'denied']);
        server.clock.advance(61 * 60 * 1000);
        expect((await post(t.deployBot, '/v1/decisions', deploy())).body.status).toBe('allowed');
      });
    });

    describe('the kill switch', () => {
      it('freezing denies new and pending requests; only admins and the owner team may do it', async () => {
        const pending = (await post(t.deployBot, '/v1/decisions', deploy({ change: { linesChanged: 700 } })))
          .body;
        expect(pending.status).toBe('pending');
        const carol = await post(t.carol, '/v1/systems/deploy-bot/freeze', { reason: 'not my team' });
        expect(carol.status).toBe(403);
        const frozen = await post(t.paul, '/v1/systems/deploy-bot/freeze', { reason: 'incident INC-42' });
        expect(frozen.status).toBe(200);
        expect(frozen.body).toMatchObject({
          id: 'deploy-bot',
          status: 'frozen',
          statusReason: 'incident INC-42',
        });
        expect((await get(t.deployBot, `/v1/decisions/${pending.id}`)).body).toMatchObject({
          status: 'denied',
          statusReason: 'frozen: incident INC-42',
        });
        const next = await post(
          t.deployBot,
          '/v1/decisions',
          deploy({ resource: { type: 'service', id: 'x', environment: 'staging' } }),
        );
        expect(next.body).toMatchObject({
          status: 'denied',
          reasons: [{ policy: '(registry)', rule: 'frozen' }],
        });
        const unfrozen = await post(t.root, '/v1/systems/deploy-bot/unfreeze', { reason: 'INC-42 resolved' });
        expect(unfrozen.body.status).toBe('active');
        expect(
          (
            await post(
              t.deployBot,
              '/v1/decisions',
              deploy({ resource: { type: 'service', id: 'x', environment: 'staging' } }),
            )
          ).body.status,
        ).toBe('allowed');
      });
    });

    describe('systems', () => {
      it('lists the registry; agents see only their own', async () => {
        const all = await get(t.erin, '/v1/systems');
        expect(all.body.systems.map((s: { id: string }) => s.id)).toEqual([
          'claude-code-ci',
          'codex-ci',
          'credit-scoring',
          'cursor-agent',
          'deploy-bot',
          'gemini-cli',
          'migrate-bot',
          'support-assistant',
          'triage-bot',
        ]);
        expect(all.body.systems.find((s: { id: string }) => s.id === 'deploy-bot')).toMatchObject({
          owner: { team: 'platform', person: 'dana@example.com' },
          autonomy: 3,
          riskTier: 'high',
          source: 'bundle',
        });
        const own = await get(t.deployBot, '/v1/systems');
        expect(own.body.systems.map((s: { id: string }) => s.id)).toEqual(['deploy-bot']);
      });

      it('registers a System through the API (admin only) but not one the repository defines', async () => {
        const body = {
          id: 'review-bot',
          kind: 'agent',
          owner: { team: 'dev-tools', person: 'max@example.com' },
          onCall: { team: 'dev-tools' },
          autonomy: 1,
          riskTier: 'limited',
        };
        expect((await post(t.alice, '/v1/systems', body)).status).toBe(403);
        const created = await post(t.root, '/v1/systems', body);
        expect(created.status).toBe(201);
        expect(created.body).toMatchObject({ id: 'review-bot', source: 'api', status: 'active' });
        const conflict = await post(t.root, '/v1/systems', { ...body, id: 'deploy-bot' });
        expect(conflict.status).toBe(409);
        expect(conflict.body.error.code).toBe('ARB_ERR_SYSTEM_CONFLICT');
      });
    });

    describe('errors: 400, 401, 403, 404', () => {
      it.each([
        ['malformed JSON', '{"action": ', 400, 'ARB_ERR_REQUEST_INVALID'],
        ['wrong types', { action: 5, resource: 'x' }, 400, 'ARB_ERR_REQUEST_INVALID'],
        ['confidence out of range', deploy({ confidence: 7 }), 400, 'ARB_ERR_REQUEST_INVALID'],
        ['unknown field', { ...deploy(), admin: true }, 400, 'ARB_ERR_REQUEST_INVALID'],
      ])('%s → %d %s', async (_name, body, status, code) => {
        const response = await post(t.deployBot, '/v1/decisions', body);
        expect(response.status).toBe(status);
        expect(response.body.error.code).toBe(code);
        expect(response.body.error.message.length).toBeGreaterThan(5);
      });

      it('401 without a token, with a malformed or an unknown one', async () => {
        expect((await post(undefined, '/v1/decisions', deploy())).body.error.code).toBe(
          'ARB_ERR_AUTH_REQUIRED',
        );
        expect((await post('nope', '/v1/decisions', deploy())).status).toBe(401);
        const unknown = await post(`arb_${'A'.repeat(43)}`, '/v1/decisions', deploy());
        expect(unknown.status).toBe(401);
        expect(unknown.body.error.code).toBe('ARB_ERR_AUTH_INVALID');
      });

      it('403 for the wrong role', async () => {
        const response = await post(t.erin, '/v1/decisions', deploy());
        expect(response.status).toBe(403);
        expect(response.body.error.code).toBe('ARB_ERR_FORBIDDEN');
        expect((await post(t.alice, '/v1/policies/reload')).status).toBe(403);
        expect((await get(t.deployBot, '/v1/ledger/checkpoint')).status).toBe(403);
      });

      it("404 for unknown decisions, other agents' decisions and unknown routes", async () => {
        expect((await get(t.alice, '/v1/decisions/dec_nope')).status).toBe(404);
        const mine = (await post(t.deployBot, '/v1/decisions', deploy())).body;
        expect((await get(t.migrateBot, `/v1/decisions/${mine.id}`)).status).toBe(404);
        expect((await get(t.erin, `/v1/decisions/${mine.id}`)).status).toBe(200);
        const route = await get(t.alice, '/v1/nothing-here');
        expect(route.status).toBe(404);
        expect(route.body.error.code).toBe('ARB_ERR_NOT_FOUND');
      });

      it('lists with filters and paging; agents only see their own', async () => {
        const page1 = await get(t.erin, '/v1/decisions?limit=3');
        expect(page1.body.decisions).toHaveLength(3);
        const page2 = await get(t.erin, `/v1/decisions?limit=3&cursor=${page1.body.nextCursor}`);
        expect(page2.body.decisions[0].createdAt <= page1.body.decisions[2].createdAt).toBe(true);
        expect(page2.body.decisions.map((d: { id: string }) => d.id)).not.toContain(
          page1.body.decisions[0].id,
        );
        const pending = await get(t.erin, '/v1/decisions?status=pending&system=deploy-bot');
        expect(
          pending.body.decisions.every(
            (d: { status: string; systemId: string }) =>
              d.status === 'pending' && d.systemId === 'deploy-bot',
          ),
        ).toBe(true);
        const agentView = await get(t.migrateBot, '/v1/decisions?limit=500');
        expect(
          agentView.body.decisions.every((d: { actor: { id: string } }) => d.actor.id === 'migrate-bot'),
        ).toBe(true);
        expect((await get(t.erin, '/v1/decisions?limit=abc')).status).toBe(400);
        expect((await get(t.erin, '/v1/decisions?cursor=garbage')).status).toBe(400);
      });
    });

    describe('policy reload', () => {
      it('a good bundle takes effect; a bad one is rejected and the old one stays', async () => {
        const { writeFileSync, readFileSync } = await import('node:fs');
        const { join } = await import('node:path');
        const before = server.arbiter.policies.bundle.digest;
        const file = join(server.policyDir, 'rollbacks.yaml');
        const original = readFileSync(file, 'utf8');
        writeFileSync(
          file,
          original
            .replace('At least', 'at least')
            .replace('Rollbacks by humans and acting agents proceed', 'Rollbacks proceed'),
        );
        const good = await post(t.root, '/v1/policies/reload');
        expect(good.status).toBe(200);
        expect(good.body.ok).toBe(true);
        expect(good.body.bundle).not.toBe(before);

        const digest = server.arbiter.policies.bundle.digest;
        writeFileSync(
          join(server.policyDir, 'broken.yaml'),
          'apiVersion: arbiter/v1\nkind: ActionPolicy\nmetadata: {name: broken}\nspec:\n  rules:\n    - name: r\n      when: request.x ==\n      effect: deny\n',
        );
        const bad = await post(t.root, '/v1/policies/reload');
        expect(bad.status).toBe(422);
        expect(bad.body.error.code).toBe('ARB_ERR_POLICY_BUNDLE_INVALID');
        expect(bad.body.error.details.problems[0]).toMatchObject({
          file: join(server.policyDir, 'broken.yaml'),
          line: 7,
          code: 'ARB_ERR_POLICY_CEL_SYNTAX',
        });
        expect(server.arbiter.policies.bundle.digest).toBe(digest);
        expect(
          (
            await post(
              t.deployBot,
              '/v1/decisions',
              deploy({ resource: { type: 'service', id: 'y', environment: 'staging' } }),
            )
          ).body.bundle,
        ).toBe(digest);
        const { unlinkSync } = await import('node:fs');
        unlinkSync(join(server.policyDir, 'broken.yaml'));

        const entries = await get(t.erin, '/v1/ledger/entries?start=0&end=1000');
        const types = entries.body.entries.map((e: { entry: { type: string } }) => e.entry.type);
        expect(types).toContain('policy.reloaded');
        expect(types).toContain('policy.reload_failed');
      });
    });

    describe('the ledger over HTTP, and verification after all of the above', () => {
      it('serves a checkpoint, entries and proofs that verify', async () => {
        const { openCheckpoint, parseVerifierKey, verifyInclusion, verifyConsistency } = await import(
          '../../src/ledger/index.js'
        );
        const key = parseVerifierKey(server.arbiter.ledger.verifierKey);
        const note = (await get(t.erin, '/v1/ledger/checkpoint')).text;
        const opened = openCheckpoint(note, [key]);
        expect(opened.ok).toBe(true);
        const size = opened.ok ? opened.checkpoint.size : 0;
        const b = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));
        const proof = (await get(t.erin, `/v1/ledger/proofs/inclusion?index=3&treeSize=${size}`)).body;
        expect(
          verifyInclusion(
            b(proof.leafHash),
            3,
            size,
            proof.proof.map(b),
            opened.ok ? opened.checkpoint.root : new Uint8Array(),
          ),
        ).toBe(true);
        const consistency = (await get(t.erin, `/v1/ledger/proofs/consistency?first=5&second=${size}`)).body;
        expect(
          verifyConsistency(
            5,
            size,
            consistency.proof.map(b),
            b(consistency.firstRoot),
            b(consistency.secondRoot),
          ),
        ).toBe(true);
        expect((await get(t.erin, `/v1/ledger/proofs/inclusion?index=${size + 5}`)).status).toBe(400);
        const entries = (await get(t.erin, '/v1/ledger/entries?start=0&end=5')).body;
        expect(entries.entries).toHaveLength(5);
        expect(entries.entries[0].entry).toMatchObject({ v: 1, seq: 0 });
      });

      it('every decision, approval, expiry, outcome, freeze, token and reload is a ledger entry; `arbiter ledger verify --db` succeeds', async () => {
        const entries = (await get(t.erin, '/v1/ledger/entries?start=0&end=1000')).body.entries.map(
          (e: { entry: { type: string } }) => e.entry.type,
        );
        for (const type of [
          'policy.loaded',
          'system.registered',
          'token.created',
          'decision.created',
          'approval.recorded',
          'decision.allowed',
          'decision.denied',
          'decision.outcome',
          'system.frozen',
          'system.unfrozen',
          'policy.reloaded',
        ]) {
          expect(entries, type).toContain(type);
        }
        await server.close();
        const result = cli([
          'ledger',
          'verify',
          '--db',
          server.databaseUrl,
          '--ledger-key',
          server.ledgerKeyPath,
        ]);
        expect(result.stderr).toBe('');
        expect(result.code).toBe(0);
        expect(result.stdout).toMatch(/^ok: (\d+) entries, size \1, root /);
      });
    });
  });
}
