import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arbiterAsync } from '../helpers/cli.js';
import { deploy, startTestServer, type TestServer, waitForPending } from '../helpers/server.js';

/**
 * Issue 9's story end to end on loopback, with the example governance repository and the built CLI:
 * an approved deploy fails in production, an incident opens, its trace names the decision, the
 * rules, the approvers and the owner with proofs that verify; more failures use up the error budget,
 * the agent is demoted and its next production deploy waits for approval; replay, the postmortem
 * and the compliance report run on what was recorded.
 */
const minutes = 60 * 1000;

describe('accountability: from a failed AI deploy to the owner, the demotion and the evidence', () => {
  let server: TestServer;
  let t: Record<string, string>;
  let approvedDecision: string;
  let incidentId: string;

  beforeAll(async () => {
    server = await startTestServer({ checkpointIntervalMs: 3_600_000 });
    t = server.tokens;
  });
  afterAll(async () => {
    await server?.close();
  });

  const post = (token: string | undefined, path: string, body?: unknown) =>
    server.call(token, 'POST', path, body);
  const get = (token: string | undefined, path: string) => server.call(token, 'GET', path);
  /** The built CLI as the auditor. */
  const cli = (args: string[]) =>
    arbiterAsync(args, { env: { ARBITER_URL: server.url, ARBITER_TOKEN: t.erin! } });

  it('a big deploy waits for two approvers, is approved, runs and fails: an incident opens for the owner', async () => {
    const requested = await post(
      t.deployBot,
      '/v1/decisions',
      deploy({ change: { linesChanged: 812 }, context: { version: '2.4.0' } }),
    );
    expect(requested.body.status).toBe('pending');
    approvedDecision = requested.body.id;
    const pending = await waitForPending(server, 'system=deploy-bot');
    expect(pending.id).toBe(approvedDecision);
    const { requestHash } = (await get(t.alice, `/v1/decisions/${approvedDecision}`)).body;
    for (const approver of [t.alice, t.paul]) {
      const vote = await post(approver, `/v1/decisions/${approvedDecision}/approvals`, {
        verdict: 'approve',
        requestHash,
        reason: 'reviewed the diff',
      });
      expect(vote.status).toBe(200);
    }
    expect((await get(t.deployBot, `/v1/decisions/${approvedDecision}`)).body.status).toBe('allowed');

    const outcome = await post(t.deployBot, `/v1/decisions/${approvedDecision}/outcome`, {
      status: 'failed',
      detail: 'checkout error rate 14% after the rollout',
    });
    expect(outcome.status).toBe(200);

    const incidents = (await get(t.erin, '/v1/incidents?system=deploy-bot')).body.incidents;
    expect(incidents).toHaveLength(1);
    incidentId = incidents[0].id;
    expect(incidents[0]).toMatchObject({ status: 'open', system: 'deploy-bot', trigger: 'outcome' });
  });

  it('the trace names the decision, its rules, the approvers and the owner, and every proof verifies', async () => {
    await server.arbiter.checkpointIfGrown();
    const result = await cli(['trace', incidentId, '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const trace = JSON.parse(result.stdout);
    expect(trace.verified).toBe(true);
    expect(trace.proofs.verified).toBe(trace.proofs.total);
    expect(trace.proofs.total).toBeGreaterThan(5);

    const [decision] = trace.decisions;
    expect(decision.id).toBe(approvedDecision);
    expect(decision.bundle).toBe(server.arbiter.policies.bundle.digest);
    expect(decision.rules.map((rule: { rule: string }) => rule.rule)).toContain('needs-sre');
    expect(decision.approvals.map((a: { approver: string }) => a.approver).sort()).toEqual([
      'user:alice',
      'user:paul',
    ]);
    expect(decision.outcome).toMatchObject({ status: 'failed' });
    expect(decision.ledger.status).toBe('verified');

    const [owner] = trace.accountability;
    expect(owner).toMatchObject({
      system: 'deploy-bot',
      owner: { team: 'platform', person: 'dana@example.com' },
    });
    expect(owner.paged).toBeTruthy();

    const text = await cli(['trace', incidentId]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(approvedDecision);
    expect(text.stdout).toContain('dana@example.com');
  });

  it('the postmortem draft names the decision, the rule that asked for approval and the owner team', async () => {
    const out = join(server.dir, 'postmortem.md');
    const result = await cli(['postmortem', incidentId, '--out', out]);
    expect(result.code).toBe(0);
    const text = readFileSync(out, 'utf8');
    expect(text).toContain(approvedDecision);
    expect(text).toContain('needs-sre');
    expect(text).toContain('platform');
  });

  it('two more failed production deploys use up the error budget: the agent is demoted and its next deploy waits', async () => {
    for (let i = 0; i < 2; i++) {
      server.clock.advance(61 * minutes);
      const decision = (await post(t.deployBot, '/v1/decisions', deploy())).body;
      expect(decision.status).toBe('allowed');
      expect(
        (await post(t.deployBot, `/v1/decisions/${decision.id}/outcome`, { status: 'rolled_back' })).status,
      ).toBe(200);
    }
    const system = (await get(t.erin, '/v1/systems/deploy-bot')).body;
    expect(system.autonomy).toBe(2);
    // The incident's trace tells what the agent may do now, not what its System document allows.
    const trace = JSON.parse((await cli(['trace', incidentId, '--json'])).stdout);
    expect(trace.accountability[0]).toMatchObject({ system: 'deploy-bot', autonomy: 2 });

    // Past the cool-down after a failure, so only the demotion asks for approval.
    server.clock.advance(61 * minutes);
    const next = await post(t.deployBot, '/v1/decisions', deploy());
    expect(next.body.status).toBe('pending');
    const recorded = (await get(t.erin, `/v1/decisions/${next.body.id}`)).body;
    const asking = recorded.reasons.filter(
      (reason: { effect: string }) => reason.effect === 'require_approval',
    );
    expect(asking.map((reason: { rule: string }) => reason.rule)).toEqual(['act-with-approval']);
  });

  it('replay of the recorded decisions against the same policies changes nothing; against a looser candidate it fails', async () => {
    const same = await cli([
      'policy',
      'replay',
      '--policies',
      server.policyDir,
      '--db',
      server.databaseUrl,
      '--json',
    ]);
    expect(same.stderr).toBe('');
    expect(same.code).toBe(0);
    const report = JSON.parse(same.stdout);
    expect(report.replayed).toBeGreaterThanOrEqual(4);
    expect(report.loosened).toBe(0);

    // A candidate that drops the two-approver rule would have let the failed deploy straight through.
    const candidate = join(server.dir, 'candidate');
    cpSync(server.policyDir, candidate, { recursive: true });
    const deploys = join(candidate, 'deploys.yaml');
    writeFileSync(
      deploys,
      readFileSync(deploys, 'utf8').replace(
        'when: variables.bigChange || variables.lowConfidence',
        'when: "false"',
      ),
    );
    const looser = await cli([
      'policy',
      'replay',
      '--policies',
      candidate,
      '--db',
      server.databaseUrl,
      '--fail-on-loosen',
    ]);
    expect(looser.code).toBe(1);
    expect(looser.stdout).toContain(approvedDecision);
  });

  it('the EU AI Act evidence pack counts the incidents, the approvals and the demotion, anchored to a checkpoint', async () => {
    await server.arbiter.checkpointIfGrown();
    const out = join(server.dir, 'evidence');
    const result = await cli([
      'report',
      '--framework',
      'eu-ai-act',
      '--db',
      server.databaseUrl,
      '--ledger-key',
      server.ledgerKeyPath,
      '--out',
      out,
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.ledger).toMatchObject({ verified: true, uncheckpointed: 0 });
    // Each failed or rolled-back production deploy opened its own incident.
    expect(report.evidence.incidents.opened).toBe(3);
    expect(report.evidence.approvals.total).toBe(2);
    expect(report.evidence.oversight.autonomyDemotions).toBe(1);
    expect(report.evidence.outcomes).toMatchObject({ failed: 1, rolledBack: 2 });
    expect(existsSync(join(out, 'report.html'))).toBe(true);
    expect(readFileSync(join(out, 'checkpoint.txt'), 'utf8')).toBe(report.ledger.checkpoint.note);
    const oversight = report.controls.find((control: { id: string }) => /14/.test(control.id));
    expect(oversight.status).not.toBe('gap');
  });
});
