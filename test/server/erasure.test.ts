import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arbiterAsync } from '../helpers/cli.js';
import { postgresAvailable } from '../helpers/postgres.js';
import { deploy, startTestServer, type TestServer } from '../helpers/server.js';

const hasPostgres = await postgresAvailable();

/**
 * `arbiter ledger erase` removes personal data from the log's side table; the rows that repeat it
 * for the API (approval reasons, incident descriptions, resolutions, link notes) must lose it too,
 * and the ledger must still verify.
 */
for (const backend of ['sqlite', 'postgres'] as const) {
  describe.skipIf(backend === 'postgres' && !hasPostgres)(`erasing personal data on ${backend}`, () => {
    let server: TestServer;
    let t: Record<string, string>;

    beforeAll(async () => {
      server = await startTestServer({ backend });
      t = server.tokens;
    });
    afterAll(async () => {
      await server?.close();
    });

    const call = (token: string | undefined, method: string, path: string, body?: unknown) =>
      server.call(token, method, path, body);
    const cli = (args: string[]) =>
      arbiterAsync(['ledger', ...args, '--db', server.databaseUrl, '--ledger-key', server.ledgerKeyPath]);

    it('clears the approval reason, the incident description, resolution and link note; the ledger verifies', async () => {
      const secret = 'call Jo Bloggs on +49 170 0000000';
      const decision = (
        await call(t.deployBot, 'POST', '/v1/decisions', deploy({ change: { linesChanged: 900 } }))
      ).body;
      expect(decision.status).toBe('pending');
      for (const approver of [t.alice, t.paul])
        expect(
          (
            await call(approver, 'POST', `/v1/decisions/${decision.id}/approvals`, {
              verdict: 'approve',
              reason: secret,
              requestHash: decision.requestHash,
            })
          ).status,
        ).toBe(200);
      const incident = (
        await call(t.alice, 'POST', '/v1/incidents', {
          title: 'payments slow',
          system: 'deploy-bot',
          description: secret,
        })
      ).body;
      expect(
        (
          await call(t.alice, 'POST', `/v1/incidents/${incident.id}/links`, {
            kind: 'decision',
            ref: decision.id,
            note: secret,
          })
        ).status,
      ).toBeLessThan(300);
      expect(
        (await call(t.alice, 'POST', `/v1/incidents/${incident.id}/resolve`, { summary: secret })).status,
      ).toBe(200);

      const erased = await cli(['erase', '--value', secret]);
      expect(erased.stderr).toBe('');
      expect(erased.stdout).toContain('erased 5 personal values');

      const after = (await call(t.erin, 'GET', `/v1/decisions/${decision.id}`)).body;
      expect(after.approvals.received.map((vote: { reason: string | null }) => vote.reason)).toEqual([
        null,
        null,
      ]);
      const closed = (await call(t.erin, 'GET', `/v1/incidents/${incident.id}`)).body;
      expect(closed).toMatchObject({ description: null, resolution: null, status: 'resolved' });
      expect(closed.links.map((link: { note: string | null }) => link.note)).toEqual([null]);
      const everything = JSON.stringify([
        after,
        closed,
        (await call(t.erin, 'GET', `/v1/incidents/${incident.id}/trace`)).body,
      ]);
      expect(everything).not.toContain('Bloggs');

      // The on-call person paged when the incident opened is personal data too.
      const person = closed.paged.person as string;
      expect(person).toMatch(/@example\.com$/);
      expect((await cli(['erase', '--value', person])).stdout).toMatch(/erased [1-9]\d* personal value/);
      const unnamed = (await call(t.erin, 'GET', `/v1/incidents/${incident.id}`)).body;
      expect(unnamed.paged).toMatchObject({ person: null });
      expect(unnamed.paged.source).toBe(closed.paged.source);

      const verify = await cli(['verify']);
      expect(verify.code).toBe(0);
    });
  });
}
