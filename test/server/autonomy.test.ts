import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { postgresAvailable } from '../helpers/postgres.js';
import { deploy, startTestServer, type TestServer } from '../helpers/server.js';

const hasPostgres = await postgresAvailable();
const hour = 60 * 60 * 1000;
const day = 24 * hour;

// A policy that reads the track record: the server computes it only for requests it matches.
const trackRecordProbe = `apiVersion: arbiter/v1
kind: ActionPolicy
metadata: { name: track-record-probe }
spec:
  match: { actions: [probe] }
  rules:
    - name: too-many-failures
      when: actor.trackRecord.failed >= 2.0
      effect: deny
      messageExpression: "'failed ' + string(int(actor.trackRecord.failed)) + ' times in ' + actor.trackRecord.window"
    - name: otherwise
      when: "true"
      effect: allow
`;
const platformWebhook = `apiVersion: arbiter/v1
kind: Notifier
metadata: { name: platform-webhook }
spec:
  type: webhook
  url: https://hooks.example.com/platform
  secretEnv: TEST_WEBHOOK_SECRET
  teams: [platform]
`;

for (const backend of ['sqlite', 'postgres'] as const) {
  describe.skipIf(backend === 'postgres' && !hasPostgres)(`autonomy and error budgets on ${backend}`, () => {
    let server: TestServer;
    let t: Record<string, string>;
    const failed: string[] = [];

    beforeAll(async () => {
      server = await startTestServer({
        backend,
        extraPolicies: { 'probe.yaml': trackRecordProbe, 'webhook.yaml': platformWebhook },
      });
      t = server.tokens;
    });
    afterAll(async () => {
      await server?.close();
    });

    const post = (token: string | undefined, path: string, body?: unknown) =>
      server.call(token, 'POST', path, body);
    const get = (token: string | undefined, path: string) => server.call(token, 'GET', path);
    const system = async (id = 'deploy-bot') => (await get(t.erin, `/v1/systems/${id}`)).body;
    const probe = async () =>
      (
        await post(t.deployBot, '/v1/decisions', {
          action: 'probe',
          resource: { type: 'service', id: 'payments', environment: 'staging' },
          rationale: 'what do the policies know about me?',
        })
      ).body;
    /** An allowed deploy that then fails; an hour later, so neither rate limits nor cool-downs interfere. */
    const failedDeploy = async (environment = 'prod', status = 'failed') => {
      server.clock.advance(hour);
      const decision = (
        await post(
          t.deployBot,
          '/v1/decisions',
          deploy({ resource: { type: 'service', id: 'payments', environment } }),
        )
      ).body;
      expect(decision.status).toBe('allowed');
      const outcome = await post(t.deployBot, `/v1/decisions/${decision.id}/outcome`, { status });
      expect(outcome.status).toBe(200);
      return decision.id as string;
    };
    const ledgerEntries = async (type: string) => {
      const size = await server.arbiter.store.ledger.size();
      return (await server.arbiter.store.ledger.entries(0, size))
        .filter((entry) => entry.type === type)
        .map((entry) => JSON.parse(Buffer.from(entry.bytes).toString('utf8')));
    };
    const reload = async (edit: (text: string) => string) => {
      const file = join(server.policyDir, 'systems.yaml');
      writeFileSync(file, edit(readFileSync(file, 'utf8')));
      expect((await post(t.root, '/v1/policies/reload')).status).toBe(200);
    };

    it('shows the effective autonomy, the ceiling, the error budget and the track record', async () => {
      expect(await system()).toMatchObject({
        autonomy: 3,
        autonomyCeiling: 3,
        errorBudget: { maxFailures: 2, window: '7d', environments: ['prod'] },
        trackRecord: {
          window: '7d',
          environments: ['prod'],
          actions: 0,
          failed: 0,
          failureRate: 0,
          budget: { maxFailures: 2, failures: 0, remaining: 2 },
        },
        autonomyChanges: [],
      });
      // Without a budget, the track record covers 7 days of production.
      expect((await system('migrate-bot')).trackRecord).toEqual({
        window: '7d',
        environments: ['prod', 'production'],
        actions: 0,
        succeeded: 0,
        failed: 0,
        rolledBack: 0,
        failureRate: 0,
      });
      expect((await probe()).status).toBe('allowed');
    });

    it('failures in staging and failures that left the window do not count', async () => {
      await failedDeploy('staging');
      await failedDeploy('prod');
      server.clock.advance(8 * day);
      failed.push(await failedDeploy('prod'), await failedDeploy('prod', 'rolled_back'));
      expect(await system()).toMatchObject({
        autonomy: 3,
        trackRecord: { actions: 2, failed: 1, rolledBack: 1, budget: { failures: 2, remaining: 0 } },
        autonomyChanges: [],
      });
      expect(await ledgerEntries('system.autonomy_demoted')).toEqual([]);
    });

    it('the third failure within the window demotes 3 → 2, with a ledger entry and a notification for the owner team', async () => {
      failed.push(await failedDeploy('prod'));
      const view = await system();
      expect(view).toMatchObject({
        autonomy: 2,
        autonomyCeiling: 3,
        trackRecord: { actions: 3, failed: 2, rolledBack: 1, budget: { failures: 0, remaining: 2 } },
        autonomyChanges: [{ from: 3, to: 2, ceiling: 3, cause: 'budget', by: 'arbiter', decisions: failed }],
      });
      const [entry] = await ledgerEntries('system.autonomy_demoted');
      expect(entry).toMatchObject({
        actor: 'arbiter',
        subject: 'deploy-bot',
        data: {
          from: 3,
          to: 2,
          ceiling: 3,
          failures: 3,
          maxFailures: 2,
          window: '7d',
          environments: ['prod'],
          decisions: failed,
        },
      });
      expect(view.autonomyChanges[0].ledgerIndex).toBe(entry.seq);
      const outbox = (await server.arbiter.store.notifications({ limit: 500 })).filter(
        (row) => row.eventType === 'system.autonomy_changed',
      );
      expect(outbox).toHaveLength(1);
      expect(outbox[0]).toMatchObject({
        notifier: 'platform-webhook',
        status: 'pending',
        payload: {
          subject: 'deploy-bot',
          team: 'platform',
          severity: 'error',
          summary:
            'deploy-bot was demoted from autonomy 3 to 2: 3 failed or rolled-back actions in prod within 7d (at most 2)',
          data: { direction: 'demoted', from: 3, to: 2, decisions: failed },
        },
      });
    });

    it('policies see the effective level: the next production deploy waits for the owner team', async () => {
      server.clock.advance(hour);
      const next = (await post(t.deployBot, '/v1/decisions', deploy())).body;
      expect(next).toMatchObject({
        status: 'pending',
        reasons: expect.arrayContaining([
          expect.objectContaining({
            rule: 'act-with-approval',
            facts: expect.objectContaining({ 'actor.autonomy': 2 }),
          }),
        ]),
        approvals: { required: [{ count: 1, from: ['owner'] }] },
      });
      // The policy reading actor.trackRecord sees the failures (two failed, one rolled back).
      expect(await probe()).toMatchObject({
        status: 'denied',
        reasons: expect.arrayContaining([
          expect.objectContaining({
            rule: 'too-many-failures',
            message: 'failed 2 times in 7d',
            facts: { 'actor.trackRecord.failed': 2 },
          }),
        ]),
      });
      // One more failure after the demotion does not demote again: the budget started afresh.
      expect(
        (await post(t.paul, `/v1/decisions/${next.id}/approvals`, { verdict: 'approve', reason: 'ok' })).body
          .status,
      ).toBe('allowed');
      await post(t.deployBot, `/v1/decisions/${next.id}/outcome`, { status: 'failed' });
      expect(await system()).toMatchObject({
        autonomy: 2,
        trackRecord: { budget: { failures: 1, remaining: 1 } },
      });
    });

    it('a reload does not undo a demotion; lowering the document applies at once, raising it does not promote', async () => {
      await reload((text) => `${text}\n# touched\n`);
      expect(await system()).toMatchObject({ autonomy: 2, autonomyCeiling: 3 });
      await reload((text) => text.replace(/(name: deploy-bot[\s\S]*?autonomy: )3/, '$11'));
      expect(await system()).toMatchObject({ autonomy: 1, autonomyCeiling: 1 });
      await reload((text) => text.replace(/(name: deploy-bot[\s\S]*?autonomy: )1/, '$13'));
      expect(await system()).toMatchObject({ autonomy: 2, autonomyCeiling: 3 });
    });

    it('only people of the owner team (or admins) change autonomy, never above the document', async () => {
      const body = { level: 3, reason: 'postmortem done, fix deployed' };
      const agent = await post(t.deployBot, '/v1/systems/deploy-bot/autonomy', body);
      expect(agent.status).toBe(403);
      expect(agent.body.error.code).toBe('ARB_ERR_FORBIDDEN');
      expect((await post(t.carol, '/v1/systems/deploy-bot/autonomy', body)).status).toBe(403);
      expect((await post(t.erin, '/v1/systems/deploy-bot/autonomy', body)).status).toBe(403);
      expect((await post(t.paul, '/v1/systems/deploy-bot/autonomy', { level: 4, reason: 'x' })).status).toBe(
        400,
      );
      expect((await post(t.paul, '/v1/systems/deploy-bot/autonomy', { level: 3 })).status).toBe(400);
      const above = await post(t.carol, '/v1/systems/migrate-bot/autonomy', body);
      expect(above.status).toBe(422);
      expect(above.body.error).toMatchObject({
        code: 'ARB_ERR_AUTONOMY_ABOVE_CEILING',
        details: { level: 3, ceiling: 2 },
      });
      const same = await post(t.paul, '/v1/systems/deploy-bot/autonomy', { level: 2, reason: 'no change' });
      expect(same.status).toBe(409);
      expect(same.body.error.code).toBe('ARB_ERR_AUTONOMY_UNCHANGED');
      expect(await system()).toMatchObject({ autonomy: 2 });
    });

    it('a person promotes it back with a reason (arbiter systems autonomy), recorded in the ledger; production deploys proceed again', async () => {
      const cli = (...args: string[]) => {
        const out: string[] = [];
        const code = main(
          [
            'node',
            'arbiter',
            'systems',
            'autonomy',
            'deploy-bot',
            '--url',
            server.url,
            '--token',
            t.paul!,
            ...args,
          ],
          {
            out: (text) => out.push(text),
            err: (text) => out.push(text),
          },
        );
        return code.then((exit) => ({ exit, output: out.join('\n') }));
      };
      expect((await cli('--level', '9', '--reason', 'typo')).exit).toBe(2);
      const promoted = await cli('--level', '3', '--reason', 'postmortem done, fix deployed', '--json');
      expect(promoted.exit, promoted.output).toBe(0);
      const view = JSON.parse(promoted.output);
      expect(view).toMatchObject({ id: 'deploy-bot', autonomy: 3, autonomyCeiling: 3 });
      expect(view.autonomyChanges[0]).toMatchObject({
        from: 2,
        to: 3,
        cause: 'human',
        by: 'user:paul',
        reason: 'postmortem done, fix deployed',
      });
      const [entry] = await ledgerEntries('system.autonomy_changed');
      expect(entry).toMatchObject({
        actor: 'user:paul',
        subject: 'deploy-bot',
        data: { from: 2, to: 3, ceiling: 3, reason: 'postmortem done, fix deployed' },
      });
      server.clock.advance(hour);
      expect((await post(t.deployBot, '/v1/decisions', deploy())).body.status).toBe('allowed');
    });

    it('a System registered through the API may have an error budget; its window must be a duration', async () => {
      const body = {
        id: 'api-bot',
        kind: 'agent',
        owner: { team: 'platform', person: 'dana@example.com' },
        onCall: { team: 'platform' },
        autonomy: 3,
        riskTier: 'limited',
        errorBudget: { maxFailures: 1, window: '1d' },
      };
      const bad = await post(t.root, '/v1/systems', {
        ...body,
        errorBudget: { maxFailures: 1, window: 'a day' },
      });
      expect(bad.status).toBe(400);
      expect(bad.body.error.code).toBe('ARB_ERR_REQUEST_INVALID');
      const created = await post(t.root, '/v1/systems', body);
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        autonomy: 3,
        autonomyCeiling: 3,
        errorBudget: { maxFailures: 1, window: '1d', environments: ['prod', 'production'] },
        trackRecord: { window: '1d', budget: { maxFailures: 1, failures: 0, remaining: 1 } },
      });
    });

    it('the kill switch denies new requests at once and pending ones', async () => {
      server.clock.advance(hour);
      const pending = (await post(t.deployBot, '/v1/decisions', deploy({ change: { linesChanged: 900 } })))
        .body;
      expect(pending.status).toBe('pending');
      expect((await post(t.paul, '/v1/systems/deploy-bot/freeze', { reason: 'INC-9' })).status).toBe(200);
      expect((await get(t.erin, `/v1/decisions/${pending.id}`)).body).toMatchObject({
        status: 'denied',
        statusReason: 'frozen: INC-9',
      });
      expect((await post(t.deployBot, '/v1/decisions', deploy())).body).toMatchObject({
        status: 'denied',
        reasons: [{ policy: '(registry)', rule: 'frozen' }],
      });
      expect(
        (await post(t.paul, '/v1/systems/deploy-bot/unfreeze', { reason: 'INC-9 resolved' })).status,
      ).toBe(200);
    });
  });
}
