import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { isArbiterError } from '../../src/core/errors.js';
import { arbiterAsync } from '../helpers/cli.js';
import { postgresAvailable } from '../helpers/postgres.js';
import { deploy, startTestServer, type TestServer } from '../helpers/server.js';

const hasPostgres = await postgresAvailable();

/**
 * One identity namespace, attacked: people and Systems are typed (`user:`, `system:`), user names
 * have one spelling, and a person can never act as a System by taking its name.
 */
const twoApprovers = `apiVersion: arbiter/v1
kind: ActionPolicy
metadata: { name: identity-checks }
spec:
  match: { actions: [release.identity] }
  rules:
    - name: alice-may-not
      when: "actor.ref == 'user:alice'"
      effect: deny
      message: typed identity read by the policy
    - name: two-platform-approvers
      when: "true"
      effect: require_approval
      approval: { count: 2, from: ["group:plat"], ttl: 1h }
`;

async function codeOf(run: Promise<unknown>): Promise<string | undefined> {
  try {
    await run;
    return undefined;
  } catch (error) {
    if (isArbiterError(error)) return error.code;
    throw error;
  }
}

for (const backend of ['sqlite', 'postgres'] as const) {
  describe.skipIf(backend === 'postgres' && !hasPostgres)(`one identity namespace on ${backend}`, () => {
    let server: TestServer;
    let t: Record<string, string>;

    beforeAll(async () => {
      server = await startTestServer({ backend, extraPolicies: { 'identity.yaml': twoApprovers } });
      t = server.tokens;
    });
    afterAll(async () => {
      await server?.close();
    });

    const call = (token: string | undefined, method: string, path: string, body?: unknown) =>
      server.call(token, method, path, body);
    const approver = async (user: string, groups: string[] = ['plat']) =>
      (await server.arbiter.tokens.create({ role: 'approver', user, groups }, 'test')).token;

    it('refuses malformed user names at token creation, each with ARB_ERR_IDENTITY_NAME_INVALID', async () => {
      for (const user of ['   ', 'al ice', 'user:alice', 'a'.repeat(129), 'alice\u0000', '-alice', 'ålice'])
        expect(
          await codeOf(server.arbiter.tokens.create({ role: 'approver', user, groups: [] }, 'test')),
          JSON.stringify(user),
        ).toBe('ARB_ERR_IDENTITY_NAME_INVALID');
      const cli = await arbiterAsync([
        'tokens',
        'create',
        '--role',
        'approver',
        '--user',
        'not a name',
        '--db',
        server.databaseUrl,
        '--ledger-key',
        server.ledgerKeyPath,
      ]);
      expect(cli.code).not.toBe(0);
      expect(cli.stderr).toContain('a user name is letters a-z');
    });

    it('refuses a person named like a System, in any spelling (ARB_ERR_IDENTITY_NAME_TAKEN)', async () => {
      for (const user of ['deploy-bot', 'Deploy-Bot', ' DEPLOY-BOT ', 'ｄｅｐｌｏｙ-ｂｏｔ'])
        expect(
          await codeOf(server.arbiter.tokens.create({ role: 'approver', user, groups: ['sre'] }, 'test')),
          user,
        ).toBe('ARB_ERR_IDENTITY_NAME_TAKEN');
    });

    it('plat1, Plat1 and "plat1 " are one approver: three tokens cannot give a decision its two approvals', async () => {
      const [lower, capital, spaced] = [
        await approver('plat1'),
        await approver('Plat1'),
        await approver('plat1 '),
      ];
      const tokens = await server.arbiter.tokens.list();
      expect(tokens.filter((row) => row.userName?.startsWith('plat')).map((row) => row.userName)).toEqual([
        'plat1',
        'plat1',
        'plat1',
      ]);
      const asked = await call(t.deployBot, 'POST', '/v1/decisions', {
        action: 'release.identity',
        resource: { type: 'service', id: 'payments', environment: 'prod' },
        rationale: 'needs two people',
      });
      expect(asked.body.status).toBe('pending');
      const vote = (token: string) =>
        call(token, 'POST', `/v1/decisions/${asked.body.id}/approvals`, { verdict: 'approve', reason: 'ok' });
      const first = await vote(lower!);
      expect(first.status).toBe(200);
      expect(first.body.approvals.received.map((v: { approver: string }) => v.approver)).toEqual([
        'user:plat1',
      ]);
      for (const token of [capital!, spaced!]) {
        const again = await vote(token);
        expect(again.status).toBe(409);
        expect(again.body.error.code).toBe('ARB_ERR_APPROVAL_DUPLICATE');
      }
      expect((await call(t.erin, 'GET', `/v1/decisions/${asked.body.id}`)).body.status).toBe('pending');
      // A second, different person completes it.
      expect((await vote(await approver('plat2'))).body.status).toBe('allowed');
    });

    it('policies read actor.ref (typed) beside actor.id (unchanged)', async () => {
      const request = {
        action: 'release.identity',
        resource: { type: 'service', id: 'payments', environment: 'prod' },
      };
      const byAlice = await call(t.alice, 'POST', '/v1/decisions', request);
      expect(byAlice.body).toMatchObject({
        status: 'denied',
        actor: { id: 'alice', ref: 'user:alice', kind: 'human' },
      });
      expect(byAlice.body.reasons[0]).toMatchObject({
        rule: 'alice-may-not',
        facts: { 'actor.ref': 'user:alice' },
      });
      const byBob = await call(t.bob, 'POST', '/v1/decisions', request);
      expect(byBob.body).toMatchObject({ status: 'pending', actor: { ref: 'user:bob' } });
      // The example policies, which read actor.id and actor.kind, decide as before.
      const small = await call(t.deployBot, 'POST', '/v1/decisions', deploy());
      expect(small.body).toMatchObject({
        status: 'allowed',
        actor: { id: 'deploy-bot', ref: 'system:deploy-bot' },
      });
      const big = await call(t.deployBot, 'POST', '/v1/decisions', deploy({ change: { linesChanged: 900 } }));
      expect(big.body.status).toBe('pending');
      const me = await call(t.alice, 'GET', '/v1/me');
      expect(me.body).toMatchObject({ id: 'alice', ref: 'user:alice' });
    });

    it("a person who holds a System's name (a token from before names were checked) never acts as the System", async () => {
      // Inserted as an older database would hold it: token creation now refuses this name.
      const impostor = `arb_${'I'.repeat(43)}`;
      const { tokenHash } = await import('../../src/app/access/tokens.js');
      await server.arbiter.store.write((tx) =>
        tx.insertToken({
          id: 'tok_impostor',
          hash: tokenHash(impostor),
          role: 'approver',
          userName: 'deploy-bot',
          groups: ['sre'],
          createdAt: new Date().toISOString(),
        }),
      );
      // An admin vouches for it after the upgrade, as `arbiter tokens attest` does: it is a real token.
      expect((await server.arbiter.tokens.attest('test')).map((row) => row.id)).toContain('tok_impostor');
      const key = `shared-${backend}`;
      const bots = await call(t.deployBot, 'POST', '/v1/decisions', deploy({ idempotencyKey: key }));
      expect(bots.body.status).toBe('allowed');
      // The same idempotency key gives the person their own decision, not the System's.
      const persons = await call(impostor, 'POST', '/v1/decisions', deploy({ idempotencyKey: key }));
      expect(persons.status).toBe(201);
      expect(persons.body.id).not.toBe(bots.body.id);
      expect(persons.body.actor).toEqual({ id: 'deploy-bot', ref: 'user:deploy-bot', kind: 'human' });
      // The person cannot report the System's outcome: it would count against its error budget.
      const report = await call(impostor, 'POST', `/v1/decisions/${bots.body.id}/outcome`, {
        status: 'failed',
      });
      expect(report.status).toBe(403);
      expect(report.body.error.code).toBe('ARB_ERR_FORBIDDEN');
      // Their own failure counts against them, never against the System.
      const own = await call(impostor, 'POST', `/v1/decisions/${persons.body.id}/outcome`, {
        status: 'failed',
      });
      expect(own.status).toBe(200);
      expect(await server.arbiter.store.failures('system:deploy-bot')).toEqual([]);
      expect((await server.arbiter.store.failures('user:deploy-bot')).length).toBe(1);
      const systemActivity = await server.arbiter.store.activity('system:deploy-bot', 0, 0);
      const personActivity = await server.arbiter.store.activity('user:deploy-bot', 0, 0);
      const failed = (rows: { failed?: number }[]) => rows.reduce((sum, row) => sum + (row.failed ?? 0), 0);
      expect(failed(systemActivity.lastDay)).toBe(0);
      expect(failed(personActivity.lastDay)).toBe(1);
      // The ledger tells them apart.
      const created = await server.arbiter.store.ledger.entries(
        persons.body.ledgerIndex,
        persons.body.ledgerIndex + 1,
      );
      expect(created[0]!.actor).toBe('user:deploy-bot');
      const botsEntry = await server.arbiter.store.ledger.entries(
        bots.body.ledgerIndex,
        bots.body.ledgerIndex + 1,
      );
      expect(botsEntry[0]!.actor).toBe('system:deploy-bot');
    });
  });
}

/** A temporary directory removed when the test finishes. */
function exportDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'arbiter-export-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Every file of an export directory, as one text. */
function exportText(dir: string, except: string[] = []): string {
  const texts: string[] = [];
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (!except.includes(entry.name)) texts.push(readFileSync(path, 'utf8'));
    }
  };
  walk(dir);
  return texts.join('\n');
}

for (const backend of ['sqlite', 'postgres'] as const) {
  describe.skipIf(backend === 'postgres' && !hasPostgres)(
    `nothing an agent writes is permanent, on ${backend}`,
    () => {
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

      it('a secret in rationale, evidence, change, context, outcome, incident title or event never enters a ledger entry; erasing it keeps every proof', async () => {
        const secret = 'sk_live_51HlEakSecretKey0123456789';
        const long = `${'the database password is '}${secret} `.repeat(12);
        // The example deploy policy reads request.rationale (its size): a fact from prose.
        const asked = await call(
          t.deployBot,
          'POST',
          '/v1/decisions',
          deploy({
            rationale: `short ${secret}`,
            evidence: [{ note: secret }],
            change: { linesChanged: 900, note: long },
            context: { ticket: secret },
          }),
        );
        expect(asked.status).toBe(201);
        expect(asked.body.status).toBe('pending');
        // The API still shows the request to approvers, verbatim.
        expect(asked.body.request.rationale).toBe(`short ${secret}`);
        const small = await call(
          t.deployBot,
          'POST',
          '/v1/decisions',
          deploy({ rationale: `why: ${secret}` }),
        );
        expect(small.body.status).toBe('allowed');
        expect(
          (
            await call(t.deployBot, 'POST', `/v1/decisions/${small.body.id}/outcome`, {
              status: 'failed',
              detail: `stack trace with ${secret}`,
            })
          ).status,
        ).toBe(200);
        const incident = await call(t.deployBot, 'POST', '/v1/incidents', { title: `agent says ${secret}` });
        expect(incident.status).toBe(201);
        const event = await call(t.deployBot, 'POST', '/v1/events', {
          type: 'mcp.tool_changed',
          subject: 'fs/read_file',
          data: { tool: 'read_file', description: long },
        });
        expect(event.status).toBeLessThan(300);
        // A forged commitment under the reserved key is refused, not a server error.
        const forged = await call(t.deployBot, 'POST', '/v1/events', {
          type: 'mcp.tool_changed',
          subject: 'fs/read_file',
          data: { personal: { request: 'sha256:00' } },
        });
        expect(forged.status).toBe(400);
        expect(forged.body.error.code).toBe('ARB_ERR_REQUEST_INVALID');

        const entry = async (seq: number) =>
          JSON.parse(
            Buffer.from((await server.arbiter.store.ledger.entries(seq, seq + 1))[0]!.bytes).toString('utf8'),
          );
        const created = await entry(asked.body.ledgerIndex);
        expect(created.data).toMatchObject({
          request: { action: 'deploy', resource: { type: 'service', id: 'payments', environment: 'prod' } },
          requestDigest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
          requestHash: asked.body.requestHash,
          withheld: {
            rationale: expect.any(Number),
            evidence: expect.any(Number),
            change: expect.any(Number),
            context: expect.any(Number),
          },
          personal: { request: expect.stringMatching(/^sha256:/) },
        });
        // The facts the policy read: numbers verbatim, prose as digest + size.
        expect(created.data.facts['request.change.linesChanged']).toBe(900);
        expect(created.data.facts['request.rationale']).toEqual({
          digest: expect.stringMatching(/^sha256:/),
          size: Buffer.byteLength(JSON.stringify(`short ${secret}`)),
        });

        const dir = exportDir();
        const exported = await cli(['export', '--out', dir]);
        expect(exported.code, exported.stderr).toBe(0);
        expect(readFileSync(join(dir, 'entries.jsonl'), 'utf8')).not.toContain(secret);
        expect(readFileSync(join(dir, 'entries.jsonl'), 'utf8')).not.toContain('sk_live');
        // Beside the log, erasable: the verbatim values.
        expect(readFileSync(join(dir, 'personal.jsonl'), 'utf8')).toContain(secret);

        const erased = await cli(['erase', '--seq', String(asked.body.ledgerIndex), '--field', 'request']);
        expect(erased.code, erased.stderr).toBe(0);
        // Every other value holding it: the other request, the outcome detail (and the description of the
        // incident the failure opened), the agent's incident title, the event data.
        const all = await server.arbiter.store.ledger.personal(0, await server.arbiter.store.ledger.size());
        const holding = all.filter((value) => JSON.stringify(value.value).includes(secret));
        expect(holding.map((value) => value.field).sort()).toEqual([
          'data',
          'description',
          'detail',
          'request',
          'title',
        ]);
        for (const value of holding)
          expect((await cli(['erase', '--seq', String(value.seq), '--field', value.field])).code).toBe(0);
        // The rows the API reads lose it too; what the request was about stays.
        const after = (await call(t.erin, 'GET', `/v1/decisions/${asked.body.id}`)).body;
        expect(after.request).toEqual({
          action: 'deploy',
          resource: { type: 'service', id: 'payments', environment: 'prod' },
        });
        const smallAfter = (await call(t.erin, 'GET', `/v1/decisions/${small.body.id}`)).body;
        expect(smallAfter.outcome.detail).toBeNull();
        expect((await call(t.erin, 'GET', `/v1/incidents/${incident.body.id}`)).body.title).toBe('(erased)');

        const again = exportDir();
        expect((await cli(['export', '--out', again])).code).toBe(0);
        expect(exportText(again)).not.toContain(secret);
        const verified = await arbiterAsync([
          'ledger',
          'verify',
          again,
          '--key',
          join(again, 'verifier.key'),
        ]);
        expect(verified.code, verified.stdout + verified.stderr).toBe(0);
        expect((await cli(['verify'])).code).toBe(0);
        // The incident trace still proves the decision's entries.
        const trace = await call(t.erin, 'GET', `/v1/incidents/${incident.body.id}/trace`);
        expect(trace.status).toBe(200);
        expect(JSON.stringify(trace.body)).not.toContain(secret);
      }, 180_000);
    },
  );
}
