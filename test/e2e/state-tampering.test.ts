import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newToken, tokenHash } from '../../src/app/access/tokens.js';
import { parseDatabaseUrl } from '../../src/store/open.js';
import { arbiterAsync, arbiter as cli } from '../helpers/cli.js';
import { postgresAvailable } from '../helpers/postgres.js';
import { deploy, startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Someone who can write to the database but holds no signing key edits the state tables (issue
 * 17, point 1): weakens a pending decision's approval requirements, flips a denial to allowed,
 * inserts a token that was never issued, raises a token's role, unfreezes a frozen System. Each
 * edit is refused by the step that relies on it, named by `ledger verify --db`'s state audit and,
 * for decisions, marked unverified by the trace — against a real server on each backend.
 */
const hasPostgres = await postgresAvailable();

/** Runs one SQL statement directly against the server's database, as an attacker with write access would. */
async function tamper(server: TestServer, statement: string): Promise<void> {
  const database = parseDatabaseUrl(server.databaseUrl);
  if (database.kind === 'sqlite') {
    const db = new Database(database.path);
    try {
      db.exec(statement);
    } finally {
      db.close();
    }
    return;
  }
  const client = new pg.Client({ connectionString: server.databaseUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

for (const backend of ['sqlite', 'postgres'] as const) {
  describe.skipIf(backend === 'postgres' && !hasPostgres)(
    `database edits without the key, on ${backend}`,
    // The trace and verify steps run the CLI, which takes seconds on a loaded machine.
    { timeout: 120_000 },
    () => {
      let server: TestServer;
      let t: Record<string, string>;
      const edited: { weakened?: string; flipped?: string; forgedToken?: string; raisedToken?: string } = {};

      beforeAll(async () => {
        server = await startTestServer({ backend });
        t = server.tokens;
      });
      afterAll(async () => {
        await server?.close().catch(() => {});
      });

      const post = (token: string | undefined, path: string, body?: unknown) =>
        server.call(token, 'POST', path, body);
      const get = (token: string | undefined, path: string) => server.call(token, 'GET', path);

      it('(a) weakened requirements of a pending decision: the vote is refused, the trace unverified', async () => {
        const asked = await post(t.deployBot, '/v1/decisions', deploy({ change: { linesChanged: 900 } }));
        expect(asked.body).toMatchObject({ status: 'pending' });
        expect(asked.body.approvals.required).toMatchObject([{ count: 2, from: ['group:sre', 'owner'] }]);
        const id = asked.body.id as string;
        edited.weakened = id;
        await tamper(
          server,
          `UPDATE decisions SET requirements = '[{"count":1,"from":["group:sre"],"ttl":"1h"}]' WHERE id = '${id}'`,
        );

        const vote = await post(t.alice, `/v1/decisions/${id}/approvals`, {
          verdict: 'approve',
          reason: 'looks fine',
        });
        expect(vote.status).toBe(500);
        expect(vote.body.error).toMatchObject({
          code: 'ARB_ERR_STATE_UNSUPPORTED',
          details: { reason: 'decision-state', decision: id },
        });
        expect(vote.body.error.details.problems.map((p: { field: string }) => p.field)).toEqual([
          'requirements',
        ]);
        // Nothing was recorded: still pending, no approval.
        const after = await get(t.erin, `/v1/decisions/${id}`);
        expect(after.body).toMatchObject({ status: 'pending', approvals: { received: [] } });

        const trace = await get(t.erin, `/v1/decisions/${id}/trace`);
        expect(trace.body.verified).toBe(false);
        expect(trace.body.decisions[0].state.supported).toBe(false);
        expect(trace.body.decisions[0].state.problems.join('\n')).toContain('requirements');
        const printed = await arbiterAsync(['trace', id, '--url', server.url, '--token', t.erin!]);
        expect(printed.code).toBe(1);
        expect(printed.stdout).toContain('UNVERIFIED');
        expect(printed.stdout).toContain('requirements: table');
      });

      it('an approval row inserted by the database writer does not count: the vote is refused', async () => {
        const asked = await post(t.deployBot, '/v1/decisions', deploy({ change: { linesChanged: 901 } }));
        const id = asked.body.id as string;
        await tamper(
          server,
          `INSERT INTO approvals (decision_id, approver, groups, verdict, request_hash, created_at, ledger_index) VALUES ('${id}', 'paul', '["platform"]', 'approve', '${asked.body.requestHash}', '${new Date().toISOString()}', ${asked.body.ledgerIndex})`,
        );
        const vote = await post(t.alice, `/v1/decisions/${id}/approvals`, {
          verdict: 'approve',
          reason: 'looks fine',
        });
        expect(vote.status).toBe(500);
        expect(vote.body.error.code).toBe('ARB_ERR_STATE_UNSUPPORTED');
        expect(vote.body.error.details.problems.map((p: { field: string }) => p.field)).toEqual([
          'approvals',
        ]);
        await tamper(server, `DELETE FROM approvals WHERE decision_id = '${id}'`);
        // With the row gone the state agrees again, and the real vote counts.
        const honest = await post(t.alice, `/v1/decisions/${id}/approvals`, {
          verdict: 'approve',
          reason: 'looks fine',
        });
        expect(honest.status).toBe(200);
        expect(honest.body.status).toBe('pending');
      });

      it('weakening the decision.created entry too does not help: its bytes fail the inclusion proof', async () => {
        const asked = await post(t.deployBot, '/v1/decisions', deploy({ change: { linesChanged: 902 } }));
        const id = asked.body.id as string;
        const weakened = '[{"count":1,"from":["group:sre"],"ttl":"1h"}]';
        await tamper(server, `UPDATE decisions SET requirements = '${weakened}' WHERE id = '${id}'`);
        const seq = asked.body.ledgerIndex as number;
        const from = '"approvalsRequired":[{"count":2,"from":["group:sre","owner"]';
        const to = '"approvalsRequired":[{"count":1,"from":["group:sre"]';
        await tamper(
          server,
          backend === 'sqlite'
            ? `UPDATE ledger_entries SET entry = CAST(replace(CAST(entry AS TEXT), '${from}', '${to}') AS BLOB) WHERE seq = ${seq}`
            : `UPDATE ledger_entries SET entry = convert_to(replace(convert_from(entry, 'UTF8'), '${from}', '${to}'), 'UTF8') WHERE seq = ${seq}`,
        );
        const entry = (await get(t.erin, `/v1/ledger/entries?start=${seq}&end=${seq + 1}`)).body.entries[0]
          .entry;
        expect(entry.data.approvalsRequired[0].count).toBe(1); // the edit took
        const vote = await post(t.alice, `/v1/decisions/${id}/approvals`, {
          verdict: 'approve',
          reason: 'looks fine',
        });
        expect(vote.status).toBe(500);
        expect(vote.body.error).toMatchObject({
          code: 'ARB_ERR_STATE_UNSUPPORTED',
          details: { reason: 'ledger-entry', index: seq },
        });
        expect((await get(t.erin, `/v1/decisions/${id}`)).body.status).toBe('pending');
        // Put the entry back (the log audit at the end is about the tables), leaving the row weakened.
        await tamper(
          server,
          backend === 'sqlite'
            ? `UPDATE ledger_entries SET entry = CAST(replace(CAST(entry AS TEXT), '${to}', '${from}') AS BLOB) WHERE seq = ${seq}`
            : `UPDATE ledger_entries SET entry = convert_to(replace(convert_from(entry, 'UTF8'), '${to}', '${from}'), 'UTF8') WHERE seq = ${seq}`,
        );
      });

      it('(b) a denied decision flipped to allowed: the outcome is refused, the trace unverified', async () => {
        const asked = await post(t.deployBot, '/v1/decisions', {
          action: 'rollback',
          resource: { type: 'service', id: 'payments', environment: 'prod' },
          rationale: 'error rate tripled',
        });
        expect(asked.body.status).toBe('denied');
        const id = asked.body.id as string;
        edited.flipped = id;
        await tamper(server, `UPDATE decisions SET status = 'allowed', effect = 'allow' WHERE id = '${id}'`);
        // The agent reads `allowed` from the table, as issue 17 describes …
        expect((await get(t.deployBot, `/v1/decisions/${id}`)).body.status).toBe('allowed');
        // … but its outcome, the step that relies on it, is refused.
        const outcome = await post(t.deployBot, `/v1/decisions/${id}/outcome`, { status: 'succeeded' });
        expect(outcome.status).toBe(500);
        expect(outcome.body.error).toMatchObject({ code: 'ARB_ERR_STATE_UNSUPPORTED' });
        const fields = outcome.body.error.details.problems.map((p: { field: string }) => p.field);
        expect(fields).toEqual(['status', 'effect']);

        const trace = await get(t.erin, `/v1/decisions/${id}/trace`);
        expect(trace.body.verified).toBe(false);
        expect(trace.body.decisions[0].state.problems).toContain('status: table "allowed", ledger "denied"');
      });

      it('(c) a token row without token.created is refused; so is a token whose role was raised', async () => {
        const forged = newToken();
        edited.forgedToken = 'tok_forged';
        await tamper(
          server,
          `INSERT INTO tokens (id, hash, role, user_name, groups, created_at) VALUES ('tok_forged', '${tokenHash(forged)}', 'admin', 'mallory', '[]', '${new Date().toISOString()}')`,
        );
        const refused = await get(forged, '/v1/decisions');
        expect(refused.status).toBe(401);
        expect(refused.body.error).toMatchObject({
          code: 'ARB_ERR_AUTH_UNRECORDED',
          details: { reason: 'unrecorded' },
        });

        // paul has not authenticated yet in this process: nothing is cached about his token.
        const paulId = (await server.arbiter.tokens.list()).find((row) => row.userName === 'paul')!.id;
        edited.raisedToken = paulId;
        await tamper(server, `UPDATE tokens SET role = 'admin' WHERE id = '${paulId}'`);
        const raised = await get(t.paul, '/v1/decisions');
        expect(raised.status).toBe(401);
        expect(raised.body.error).toMatchObject({
          code: 'ARB_ERR_AUTH_UNRECORDED',
          details: { reason: 'altered' },
        });
        // An honest token still works.
        expect((await get(t.erin, '/v1/decisions')).status).toBe(200);
      });

      it('a System unfrozen in the database while the ledger records it frozen is refused', async () => {
        const frozen = await post(t.root, '/v1/systems/triage-bot/freeze', { reason: 'incident 12' });
        expect(frozen.status).toBe(200);
        await tamper(server, `UPDATE systems SET status = 'active' WHERE id = 'triage-bot'`);
        const asked = await post(
          t.triageBot,
          '/v1/decisions',
          deploy({ resource: { type: 'service', id: 'x', environment: 'staging' } }),
        );
        expect(asked.status).toBe(500);
        expect(asked.body.error).toMatchObject({
          code: 'ARB_ERR_STATE_UNSUPPORTED',
          details: { reason: 'system-status', system: 'triage-bot', table: 'active', ledger: 'frozen' },
        });
      });

      it('`arbiter ledger verify --db` names every edit in its state audit and exits 1', async () => {
        await server.close();
        const args = ['ledger', 'verify', '--db', server.databaseUrl, '--ledger-key', server.ledgerKeyPath];
        const result = cli(args);
        expect(result.stderr).toBe('');
        expect(result.code).toBe(1);
        // The log itself is intact: only the state disagrees.
        expect(result.stdout).toMatch(/^ok: (\d+) entries/);
        expect(result.stdout).toContain('STATE MISMATCH');
        expect(result.stdout).toContain(`decision ${edited.weakened}: requirements: table`);
        expect(result.stdout).toContain(
          `decision ${edited.flipped}: status: table "allowed", ledger "denied"`,
        );
        expect(result.stdout).toContain('token tok_forged: unrecorded');
        expect(result.stdout).toContain(`token ${edited.raisedToken}: altered`);
        expect(result.stdout).toContain('system triage-bot: status: table active, ledger frozen');

        const json = JSON.parse(cli([...args, '--json']).stdout);
        expect(json.ok).toBe(false);
        expect(json.state.mismatches.length).toBe(
          result.stdout.split('\n').filter((line) => /^ {3}(decision|token|system) /.test(line)).length,
        );
        // --no-state verifies the log alone.
        expect(cli([...args, '--no-state']).code).toBe(0);
      });
    },
  );
}
