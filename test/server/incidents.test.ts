import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { IncidentService } from '../../src/app/incidents/incidents.js';
import type { AlertChange } from '../../src/app/monitoring/alert-events.js';
import type { AlertFiredHook } from '../../src/app/monitoring/evaluation.js';
import { main } from '../../src/cli/main.js';
import { randomIds } from '../../src/core/ids.js';
import type { LedgerProof, Trace } from '../../src/incidents/trace.js';
import { leafHash, openCheckpoint, parseVerifierKey, verifyInclusion } from '../../src/ledger/index.js';
import { repoRoot } from '../helpers/cli.js';
import { postgresAvailable } from '../helpers/postgres.js';
import { deploy, startTestServer, type TestServer } from '../helpers/server.js';
import { tempDir } from '../helpers/temp.js';

const hasPostgres = await postgresAvailable();
const hourMs = 3_600_000;

/** Routes incident and decision events of the platform team to PagerDuty (delivery is never run here). */
const notifiers = `apiVersion: arbiter/v1
kind: Notifier
metadata: { name: oncall }
spec:
  type: pagerduty
  routingKeys: { platform: PD_ROUTING_PLATFORM, risk-ml: PD_ROUTING_RISK_ML }
  events: [incident.opened, incident.resolved]
  minSeverity: info
`;

/** Every ledger proof anywhere in a trace. */
function proofsOf(value: unknown, found: LedgerProof[] = []): LedgerProof[] {
  if (Array.isArray(value)) for (const item of value) proofsOf(item, found);
  else if (value && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    if (typeof object.index === 'number' && 'leafHash' in object && 'proof' in object)
      found.push(object as unknown as LedgerProof);
    else for (const item of Object.values(object)) proofsOf(item, found);
  }
  return found;
}

/** Runs the CLI in this process against the test server. */
async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['node', 'arbiter', ...args], {
    out: (text) => out.push(text),
    err: (text) => err.push(text),
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

for (const backend of ['sqlite', 'postgres'] as const) {
  describe.skipIf(backend === 'postgres' && !hasPostgres)(`incidents on ${backend}`, () => {
    let server: TestServer;
    let t: Record<string, string>;
    const dir = tempDir('arbiter-incidents-');

    beforeAll(async () => {
      server = await startTestServer({ backend, extraPolicies: { 'notifiers.yaml': notifiers } });
      t = server.tokens;
    });
    afterAll(async () => {
      await server?.close();
    });
    beforeEach(() => {
      server.clock.advance(1000);
    });

    const post = (token: string | undefined, path: string, body: unknown) =>
      server.call(token, 'POST', path, body);
    const get = (token: string | undefined, path: string) => server.call(token, 'GET', path);
    const code = (response: { status: number; body: { error?: { code: string } } }) => [
      response.status,
      response.body.error?.code,
    ];
    const entryAt = async (seq: number) => {
      const [stored] = await server.arbiter.store.ledger.entries(seq, seq + 1);
      return JSON.parse(Buffer.from(stored!.bytes).toString('utf8'));
    };
    const outbox = async (type: string) =>
      (await server.arbiter.store.notifications({ limit: 1000 })).filter((row) => row.eventType === type);
    const remote = () => ['--url', server.url, '--token', t.erin!];

    /** The demo: deploy-bot asks for a big production deploy of the credit-scoring model, two people approve. */
    async function approvedDeploy(overrides: Record<string, unknown> = {}) {
      const requested = await post(
        t.deployBot,
        '/v1/decisions',
        deploy({
          resource: { type: 'model', id: 'credit-scoring', environment: 'prod' },
          change: { linesChanged: 812 },
          evidence: [{ url: 'https://ci.example.com/run/4711' }],
          context: { modelVersion: '1.4.0', ticket: 'OPS-42' },
          ...overrides,
        }),
      );
      expect(requested.body).toMatchObject({ status: 'pending', effect: 'require_approval' });
      const id = requested.body.id as string;
      expect(
        (
          await post(t.alice, `/v1/decisions/${id}/approvals`, {
            verdict: 'approve',
            reason: 'diff reviewed',
          })
        ).status,
      ).toBe(200);
      const approved = await post(t.paul, `/v1/decisions/${id}/approvals`, {
        verdict: 'approve',
        reason: 'owner agrees',
      });
      expect(approved.body.status).toBe('allowed');
      return id;
    }

    const gateRun = (version: string, passed: boolean) => ({
      release: { file: 'release.yaml', name: `credit-scoring-${version}`, system: 'credit-scoring', version },
      bundle: `sha256:${'b'.repeat(64)}`,
      passed,
      checks: [
        {
          policy: 'credit-scoring-release',
          check: 'accuracy-floor',
          severity: 'error',
          status: passed ? 'passed' : 'failed',
          message: passed ? 'accuracy-floor holds' : 'accuracy 0.64 is below 0.70',
          expected: 'release.metrics.accuracy >= 0.70',
          facts: {},
        },
      ],
      summary: {
        models: [],
        packages: 0,
        vulnerabilities: 0,
        scanFindings: 0,
        bom: { source: 'generated', components: 0 },
      },
      warnings: [],
      startedAt: server.clock.now().toISOString(),
      durationMs: 10,
    });

    describe('a failed production deploy of the demo agent', () => {
      let decisionId = '';
      let incidentId = '';
      let gate140 = '';

      it('opens an incident automatically, linked to the decision, recorded in the outcome’s transaction, with the owner team notified', async () => {
        const recorded = await post(t.creditScoring, '/v1/gate-runs', gateRun('1.4.0', false));
        expect(recorded.status).toBe(201);
        gate140 = recorded.body.id;
        server.clock.advance(1000);
        decisionId = await approvedDeploy();
        server.clock.advance(60_000);
        // A later release of the model is not what this deploy shipped.
        expect((await post(t.creditScoring, '/v1/gate-runs', gateRun('1.5.0', true))).status).toBe(201);
        const failed = await post(t.deployBot, `/v1/decisions/${decisionId}/outcome`, {
          status: 'failed',
          detail: 'pods crash-looping after rollout',
        });
        expect(failed.status).toBe(200);

        const listed = (await get(t.erin, '/v1/incidents?status=open')).body.incidents;
        expect(listed).toHaveLength(1);
        incidentId = listed[0].id;
        const incident = (await get(t.erin, `/v1/incidents/${incidentId}`)).body;
        expect(incident).toMatchObject({
          id: expect.stringMatching(/^inc_/),
          title: 'deploy of model:credit-scoring in prod by deploy-bot failed',
          severity: 'sev2',
          status: 'open',
          system: 'deploy-bot',
          description: 'pods crash-looping after rollout',
          trigger: 'outcome',
          openedBy: 'arbiter',
          openedAt: server.clock.now().toISOString(),
          // Who was paged: this week's person of the platform-primary rotation (examples/policies/oncall.yaml).
          paged: {
            team: 'platform-oncall',
            person: 'dana@example.com',
            source: 'rotation',
            rotation: 'platform-primary',
            shift: { from: '2026-11-16T08:00:00.000Z', to: '2026-11-23T08:00:00.000Z' },
            pagerdutyRoutingKey: 'PD_ROUTING_PLATFORM',
          },
          links: [expect.objectContaining({ kind: 'decision', ref: decisionId, linkedBy: 'arbiter' })],
          resolvedAt: null,
        });
        const decision = (await get(t.erin, `/v1/decisions/${decisionId}`)).body;
        expect(incident.links[0].targetLedgerIndex).toBe(decision.ledgerIndex);
        expect(incident.ledgerIndex).toBeGreaterThan(decision.outcome.ledgerIndex);

        const entry = await entryAt(incident.ledgerIndex);
        expect(entry).toMatchObject({
          type: 'incident.opened',
          actor: 'arbiter',
          subject: incidentId,
          data: {
            title: incident.title,
            severity: 'sev2',
            system: 'deploy-bot',
            trigger: 'outcome',
            paged: {
              team: 'platform-oncall',
              rotation: 'platform-primary',
              pagerdutyRoutingKey: 'PD_ROUTING_PLATFORM',
            },
            links: [{ kind: 'decision', ref: decisionId, ledgerIndex: decision.ledgerIndex }],
          },
        });
        // The paged person and the description are personal data: commitments in the entry.
        expect(JSON.stringify(entry)).not.toContain('dana@example.com');
        expect(entry.data.personal.pagedPerson).toMatch(/^sha256:/);

        const notified = await outbox('incident.opened');
        expect(notified).toHaveLength(1);
        expect(notified[0]).toMatchObject({ notifier: 'oncall', status: 'pending' });
        expect(notified[0]!.payload).toMatchObject({
          type: 'incident.opened',
          subject: incidentId,
          team: 'platform',
          systemId: 'deploy-bot',
          severity: 'error',
          data: { incident: { id: incidentId, severity: 'sev2' }, paged: { person: 'dana@example.com' } },
        });
      });

      it('the same decision never opens a second incident', async () => {
        const again = await post(t.deployBot, `/v1/decisions/${decisionId}/outcome`, {
          status: 'rolled_back',
        });
        expect(code(again)).toEqual([409, 'ARB_ERR_OUTCOME_NOT_ALLOWED']);
        expect((await get(t.erin, '/v1/incidents')).body.incidents).toHaveLength(1);
      });

      it('the trace names the decision, the rules, the approvers, the bundle, the release and the owner, and every proof verifies against the checkpoint', async () => {
        const note = (await get(t.erin, '/v1/ledger/checkpoint')).text;
        const verifier = parseVerifierKey((await get(t.erin, '/v1/ledger/key')).text.trim());
        const response = await get(t.erin, `/v1/incidents/${incidentId}/trace`);
        expect(response.status).toBe(200);
        const trace = response.body as Trace;
        expect(trace).toMatchObject({
          format: 'arbiter.trace/v1',
          subject: { kind: 'incident', id: incidentId },
          verified: true,
          incident: { id: incidentId, trigger: 'outcome', ledger: { verified: true } },
        });
        expect(trace.proofs.verified).toBe(trace.proofs.total);

        const [decision] = trace.decisions;
        expect(decision).toMatchObject({
          id: decisionId,
          actor: { id: 'deploy-bot', kind: 'agent' },
          // Approved, then run once: its outcome claimed it (it was never started explicitly).
          status: 'started',
          effect: 'require_approval',
          statusReason: 'started (outcome reported by system:deploy-bot)',
          bundle: server.arbiter.policies.bundle.digest,
          request: {
            rationale: 'Roll out the fix for the checkout timeout',
            evidence: [{ url: 'https://ci.example.com/run/4711' }],
            context: { modelVersion: '1.4.0', ticket: 'OPS-42' },
          },
          outcome: {
            status: 'failed',
            detail: 'pods crash-looping after rollout',
            ledger: { verified: true },
          },
          incidents: [incidentId],
        });
        expect(decision!.rules).toContainEqual({
          policy: 'prod-deploys',
          rule: 'needs-sre',
          effect: 'require_approval',
          message: 'a change of 812 lines needs two approvers',
          facts: expect.objectContaining({ 'request.change.linesChanged': 812 }),
        });
        expect(decision!.approvals.map((a) => [a.approver, a.verdict, a.reason, a.ledger.verified])).toEqual([
          ['user:alice', 'approve', 'diff reviewed', true],
          ['user:paul', 'approve', 'owner agrees', true],
        ]);
        expect(decision!.entries.map((e) => e.type)).toEqual([
          'decision.created',
          'approval.recorded',
          'approval.recorded',
          'decision.allowed',
          'decision.started',
          'decision.outcome',
        ]);
        // The model release: the version the request named, gated before the decision (not the later 1.5.0).
        expect(decision!.release).toMatchObject({
          system: 'credit-scoring',
          version: '1.4.0',
          versionFrom: 'context.modelVersion',
          gateRun: {
            id: gate140,
            passed: false,
            selectedBy: 'version named in the request',
            failedChecks: [{ policy: 'credit-scoring-release', check: 'accuracy-floor' }],
            ledger: { verified: true },
          },
        });
        // Replayed against the policies in force: still needs two approvers, which it had.
        expect(decision!.replay).toMatchObject({
          effect: 'require_approval',
          wouldHaveStopped: false,
          rules: [expect.objectContaining({ policy: 'prod-deploys', rule: 'needs-sre' })],
        });
        // It ends with who answers for it: owner, and on-call as paged when the incident opened.
        expect(trace.accountability[0]).toMatchObject({
          system: 'deploy-bot',
          owner: { team: 'platform', person: 'dana@example.com' },
          onCall: { team: 'platform-oncall', rotation: 'platform-primary' },
          paged: { person: 'dana@example.com', at: trace.incident!.openedAt },
        });
        expect(trace.accountability.map((a) => a.system)).toEqual(['deploy-bot', 'credit-scoring']);
        expect(trace.timeline.map((event) => event.type)).toEqual(
          expect.arrayContaining(['gate.run', 'decision.created', 'decision.outcome', 'incident.opened']),
        );

        // Each proof checked here as an outsider would: signed checkpoint, leaf from the entry's bytes.
        const opened = openCheckpoint(note, [verifier]);
        expect(opened.ok).toBe(true);
        const checkpoint = opened.ok ? opened.checkpoint : undefined;
        expect(trace.checkpoint).toMatchObject({ size: checkpoint!.size, signatureValid: true });
        const proofs = proofsOf(trace);
        expect(proofs.length).toBeGreaterThanOrEqual(10);
        for (const proof of proofs) {
          const [stored] = await server.arbiter.store.ledger.entries(proof.index, proof.index + 1);
          const leaf = leafHash(stored!.bytes);
          expect(Buffer.from(leaf).toString('base64')).toBe(proof.leafHash);
          expect(proof.treeSize).toBe(checkpoint!.size);
          expect(
            verifyInclusion(
              leaf,
              proof.index,
              checkpoint!.size,
              proof.proof.map((hash) => Buffer.from(hash, 'base64')),
              checkpoint!.root,
            ),
            `proof of entry ${proof.index}`,
          ).toBe(true);
        }
      });

      it('the decision’s own trace names the incident and the on-call as paged then', async () => {
        const trace = (await get(t.alice, `/v1/decisions/${decisionId}/trace`)).body as Trace;
        expect(trace).toMatchObject({
          subject: { kind: 'decision', id: decisionId },
          incident: null,
          verified: true,
        });
        expect(trace.decisions[0]!.incidents).toEqual([incidentId]);
        expect(trace.accountability[0]!.paged.person).toBe('dana@example.com');
        expect(code(await get(t.deployBot, `/v1/decisions/${decisionId}/trace`))).toEqual([
          403,
          'ARB_ERR_FORBIDDEN',
        ]);
        expect(code(await get(t.erin, '/v1/decisions/dec_nope/trace'))).toEqual([404, 'ARB_ERR_NOT_FOUND']);
      });

      it('arbiter trace prints the timeline and exits 0 when every proof verifies; --json prints the trace', async () => {
        const text = await cli(['trace', incidentId, ...remote()]);
        expect(text.code).toBe(0);
        for (const expected of [
          `INCIDENT ${incidentId} (sev2, open)`,
          `DECISION ${decisionId}`,
          'prod-deploys/needs-sre: a change of 812 lines needs two approvers',
          'approved by user:alice (sre)',
          'approved by user:paul (platform)',
          server.arbiter.policies.bundle.digest,
          'owner:   platform — dana@example.com',
          'dana@example.com via rotation platform-primary',
          'PagerDuty key PD_ROUTING_PLATFORM',
          'entries verified against checkpoint',
        ])
          expect(text.out).toContain(expected);
        const json = await cli(['trace', decisionId, ...remote(), '--json']);
        expect(json.code).toBe(0);
        expect(JSON.parse(json.out)).toMatchObject({ subject: { kind: 'decision', id: decisionId } });
      });

      it('arbiter postmortem drafts Markdown with every section and the replay verdict', async () => {
        const out = join(dir, `postmortem-${backend}.md`);
        const result = await cli(['postmortem', incidentId, '--out', out, ...remote()]);
        expect(result.code).toBe(0);
        expect(result.out).toContain(`wrote ${out}`);
        const markdown = readFileSync(out, 'utf8');
        for (const section of [
          '# Postmortem (draft): deploy of model:credit-scoring in prod by deploy-bot failed',
          '## Summary',
          '## Impact',
          '## Timeline',
          '## Decision chain',
          '## Owners and who was paged',
          '## Contributing alerts and releases',
          '## What would have stopped it',
          '## Root cause',
          '## Action items',
          '## Evidence',
        ])
          expect(markdown).toContain(section);
        expect(markdown.match(/TO BE WRITTEN/g)?.length).toBeGreaterThanOrEqual(4);
        expect(markdown).toContain('Rule prod-deploys/needs-sre (require_approval)');
        expect(markdown).toContain('Approved by user:alice (sre)');
        expect(markdown).toContain('the current rules would require approval');
        expect(markdown).toContain('so they would not have stopped it');
        expect(markdown).toContain(gate140);
      });

      it('with --policies the replay uses a candidate directory and names the rule that would have denied it', async () => {
        const candidate = join(dir, `candidate-${backend}`);
        cpSync(join(repoRoot, 'examples', 'policies'), candidate, { recursive: true });
        writeFileSync(
          join(candidate, 'model-freeze.yaml'),
          `apiVersion: arbiter/v1
kind: ActionPolicy
metadata: { name: model-freeze }
spec:
  match: { actions: [deploy], environments: [prod], resourceTypes: [model] }
  rules:
    - name: gate-must-pass
      when: "true"
      effect: deny
      message: Models reach production only through the release process
`,
        );
        const out = join(dir, `postmortem-${backend}.html`);
        const result = await cli([
          'postmortem',
          incidentId,
          '--out',
          out,
          '--policies',
          candidate,
          ...remote(),
        ]);
        expect(result.code).toBe(0);
        const html = readFileSync(out, 'utf8');
        expect(html).toMatch(/^<!doctype html>/);
        expect(html).toContain('<h2>What would have stopped it</h2>');
        expect(html).toContain(`the current rules would deny it: model-freeze/gate-must-pass`);
        expect(html).toContain(`the policies in ${candidate}`);
        expect(html).toContain('<div class="todo"><strong>TO BE WRITTEN:</strong>');
        expect(await cli(['postmortem', incidentId, '--out', join(dir, 'x.txt'), ...remote()])).toMatchObject(
          {
            code: 2,
          },
        );
      });
    });

    describe('opening, linking and resolving by hand', () => {
      let incidentId = '';

      it('roles: approvers and admins open; auditors do not; agents only about their own System', async () => {
        expect(code(await post(t.erin, '/v1/incidents', { title: 'x' }))).toEqual([403, 'ARB_ERR_FORBIDDEN']);
        // A blank title could not even be clicked in the dashboard's list.
        expect(code(await post(t.alice, '/v1/incidents', { title: ' \n\t ' }))).toEqual([
          400,
          'ARB_ERR_REQUEST_INVALID',
        ]);
        expect(code(await post(undefined, '/v1/incidents', { title: 'x' }))).toEqual([
          401,
          'ARB_ERR_AUTH_REQUIRED',
        ]);
        const own = await post(t.deployBot, '/v1/incidents', {
          title: 'deploys keep timing out',
          description: 'seen by the agent',
        });
        expect(own.status).toBe(201);
        expect(own.body).toMatchObject({
          system: 'deploy-bot',
          severity: 'sev3',
          trigger: 'manual',
          openedBy: 'system:deploy-bot',
        });
        expect(code(await post(t.deployBot, '/v1/incidents', { title: 'x', system: 'migrate-bot' }))).toEqual(
          [403, 'ARB_ERR_FORBIDDEN'],
        );
        // Another actor's decision is unknown to an agent.
        const human = await post(
          t.alice,
          '/v1/decisions',
          deploy({ resource: { type: 'service', id: 'docs', environment: 'staging' } }),
        );
        expect(
          code(await post(t.deployBot, '/v1/incidents', { title: 'x', decision: human.body.id })),
        ).toEqual([422, 'ARB_ERR_INCIDENT_LINK_UNKNOWN']);
        expect(code(await post(t.alice, '/v1/incidents', { title: 'x', system: 'nobody' }))).toEqual([
          422,
          'ARB_ERR_INCIDENT_SYSTEM_UNKNOWN',
        ]);
        expect(code(await post(t.alice, '/v1/incidents', { title: 'x', severity: 'high' }))).toEqual([
          400,
          'ARB_ERR_REQUEST_INVALID',
        ]);

        const opened = await post(t.alice, '/v1/incidents', {
          title: 'migrations slow down checkout',
          system: 'migrate-bot',
          severity: 'sev1',
        });
        expect(opened.status).toBe(201);
        incidentId = opened.body.id;
        // migrate-bot's on-call is a team only: nobody by name, the team and the notifier's default.
        expect(opened.body.paged).toMatchObject({ team: 'dba-oncall', person: null, source: 'none' });

        // Agents read their own System's incidents only.
        const agentList = (await get(t.deployBot, '/v1/incidents')).body.incidents;
        expect(agentList.length).toBeGreaterThan(0);
        expect(agentList.every((i: { system: string }) => i.system === 'deploy-bot')).toBe(true);
        expect((await get(t.deployBot, '/v1/incidents?system=migrate-bot')).body.incidents).toEqual([]);
        expect(code(await get(t.deployBot, `/v1/incidents/${incidentId}`))).toEqual([
          404,
          'ARB_ERR_NOT_FOUND',
        ]);
        expect(code(await get(t.deployBot, `/v1/incidents/${incidentId}/trace`))).toEqual([
          403,
          'ARB_ERR_FORBIDDEN',
        ]);
      });

      it('links decisions, gate runs, alerts and deployments, each with an incident.linked entry; twice is one link', async () => {
        const decision = (await get(t.erin, '/v1/decisions?limit=1')).body.decisions[0];
        const run = (await get(t.erin, '/v1/gate-runs?limit=1')).body.gateRuns[0];
        expect(
          code(
            await post(t.deployBot, `/v1/incidents/${incidentId}/links`, { kind: 'deployment', ref: 'x' }),
          ),
        ).toEqual([403, 'ARB_ERR_FORBIDDEN']);
        const before = await server.arbiter.store.ledger.size();
        const linked = await post(t.alice, `/v1/incidents/${incidentId}/links`, {
          kind: 'decision',
          ref: decision.id,
          note: 'ran just before',
        });
        expect(linked.status).toBe(201);
        expect(await server.arbiter.store.ledger.size()).toBe(before + 1);
        const link = linked.body.links.at(-1);
        expect(link).toMatchObject({
          kind: 'decision',
          ref: decision.id,
          note: 'ran just before',
          linkedBy: 'user:alice',
          targetLedgerIndex: decision.ledgerIndex,
        });
        expect(await entryAt(link.ledgerIndex)).toMatchObject({
          type: 'incident.linked',
          actor: 'user:alice',
          subject: incidentId,
          data: { kind: 'decision', ref: decision.id, ledgerIndex: decision.ledgerIndex },
        });
        const repeated = await post(t.root, `/v1/incidents/${incidentId}/links`, {
          kind: 'decision',
          ref: decision.id,
        });
        expect(repeated.status).toBe(200);
        expect(await server.arbiter.store.ledger.size()).toBe(before + 1);

        expect(
          (
            await post(t.alice, `/v1/incidents/${incidentId}/links`, { kind: 'gate_run', ref: run.id })
          ).body.links.at(-1),
        ).toMatchObject({
          kind: 'gate_run',
          targetLedgerIndex: run.ledgerIndex,
        });
        expect(
          (
            await post(t.alice, `/v1/incidents/${incidentId}/links`, {
              kind: 'deployment',
              ref: 'argo:payments/rev-118',
            })
          ).body.links.at(-1),
        ).toMatchObject({ kind: 'deployment', ref: 'argo:payments/rev-118', targetLedgerIndex: null });
        // The linked gate run's System answers for its release: its owner joins the trace.
        const owners = (await get(t.erin, `/v1/incidents/${incidentId}/trace`)).body.accountability;
        expect(owners.map((owner: { system: string }) => owner.system)).toContain(run.system);
        expect(
          code(
            await post(t.alice, `/v1/incidents/${incidentId}/links`, { kind: 'decision', ref: 'dec_nope' }),
          ),
        ).toEqual([422, 'ARB_ERR_INCIDENT_LINK_UNKNOWN']);
        expect(
          code(
            await post(t.alice, `/v1/incidents/${incidentId}/links`, {
              kind: 'alert',
              ref: 'credit-scoring/credit-scoring-monitoring/dataset-drift',
            }),
          ),
        ).toEqual([422, 'ARB_ERR_INCIDENT_LINK_UNKNOWN']);
        expect(
          code(
            await post(t.alice, `/v1/incidents/${incidentId}/links`, { kind: 'alert', ref: 'not an alert' }),
          ),
        ).toEqual([400, 'ARB_ERR_REQUEST_INVALID']);
        expect(
          code(await post(t.alice, '/v1/incidents/inc_nope/links', { kind: 'deployment', ref: 'x' })),
        ).toEqual([404, 'ARB_ERR_NOT_FOUND']);
      });

      it('resolves once, with an incident.resolved entry and a notification; lists filter by status, severity and System', async () => {
        expect(code(await post(t.erin, `/v1/incidents/${incidentId}/resolve`, { summary: 'x' }))).toEqual([
          403,
          'ARB_ERR_FORBIDDEN',
        ]);
        server.clock.advance(30 * 60_000);
        const resolved = await post(t.carol, `/v1/incidents/${incidentId}/resolve`, {
          summary: 'index added, rolled forward',
        });
        expect(resolved.status).toBe(200);
        expect(resolved.body).toMatchObject({
          status: 'resolved',
          resolvedBy: 'user:carol',
          resolvedAt: server.clock.now().toISOString(),
          resolution: 'index added, rolled forward',
        });
        const entry = await entryAt(resolved.body.resolvedLedgerIndex);
        expect(entry).toMatchObject({
          type: 'incident.resolved',
          actor: 'user:carol',
          subject: incidentId,
          data: { severity: 'sev1' },
        });
        expect(entry.data.durationMs).toBeGreaterThanOrEqual(30 * 60_000);
        expect(JSON.stringify(entry)).not.toContain('index added');
        expect(
          code(await post(t.alice, `/v1/incidents/${incidentId}/resolve`, { summary: 'again' })),
        ).toEqual([409, 'ARB_ERR_INCIDENT_RESOLVED']);
        // Routed to the System's owner team, as loud as the incident: PagerDuty resolves the page it opened.
        const [notified] = (await outbox('incident.resolved')).filter(
          (row) => row.payload.subject === incidentId,
        );
        expect(notified!.payload).toMatchObject({
          team: 'data-platform',
          severity: 'critical',
          systemId: 'migrate-bot',
        });

        const resolvedList = (await get(t.erin, '/v1/incidents?status=resolved')).body.incidents;
        expect(resolvedList.map((i: { id: string }) => i.id)).toEqual([incidentId]);
        expect(resolvedList[0].links).toBeUndefined();
        expect((await get(t.erin, '/v1/incidents?severity=sev1')).body.incidents).toHaveLength(1);
        expect((await get(t.erin, '/v1/incidents?system=migrate-bot')).body.incidents).toHaveLength(1);
        const page = await get(t.erin, '/v1/incidents?limit=1');
        expect(page.body.incidents).toHaveLength(1);
        const next = await get(t.erin, `/v1/incidents?limit=1&cursor=${page.body.nextCursor}`);
        expect(next.body.incidents[0].id).not.toBe(page.body.incidents[0].id);
        const openapi = (await get(undefined, '/openapi.json')).body;
        expect(Object.keys(openapi.paths)).toEqual(
          expect.arrayContaining(['/v1/incidents', '/v1/incidents/{id}/trace', '/v1/decisions/{id}/trace']),
        );
      });

      it('the CLI opens, links, shows and resolves', async () => {
        const admin = ['--url', server.url, '--token', t.root!];
        const opened = await cli([
          'incident',
          'open',
          '--title',
          'checkout errors',
          '--system',
          'deploy-bot',
          '--severity',
          'sev2',
          ...admin,
          '--json',
        ]);
        expect(opened.code).toBe(0);
        const id = JSON.parse(opened.out).id as string;
        expect(
          (await cli(['incident', 'link', id, '--kind', 'deployment', '--ref', 'helm:checkout@42', ...admin]))
            .out,
        ).toContain('linked deployment helm:checkout@42 by user:root');
        expect((await cli(['incident', 'show', id, ...admin])).out).toContain(
          `${id}  sev2 OPEN  checkout errors`,
        );
        expect((await cli(['incident', 'list', '--status', 'open', ...admin])).out).toContain(id);
        expect((await cli(['incident', 'resolve', id, '--summary', 'rolled back', ...admin])).out).toContain(
          'resolved',
        );
        expect(await cli(['incident', 'open', '--title', 'x', '--severity', 'high', ...admin])).toMatchObject(
          { code: 2 },
        );
      });

      it('the HTML postmortem escapes every text from the record', async () => {
        const hostile = await post(t.alice, '/v1/incidents', {
          title: '<script>alert(1)</script> & "quotes"',
          system: 'deploy-bot',
          description: '<img src=x onerror=alert(2)>',
        });
        const out = join(dir, `hostile-${backend}.html`);
        expect((await cli(['postmortem', hostile.body.id, '--out', out, ...remote()])).code).toBe(0);
        const html = readFileSync(out, 'utf8');
        expect(html).not.toContain('<script>alert');
        expect(html).not.toContain('<img');
        expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;');
        const md = join(dir, `hostile-${backend}.md`);
        expect((await cli(['postmortem', hostile.body.id, '--out', md, ...remote()])).code).toBe(0);
        expect(readFileSync(md, 'utf8')).not.toContain('<script>');
      });
    });

    describe('automatic incidents: which outcomes, dedupe by decision, alerts', () => {
      it('a failure outside production opens nothing; a manual incident about a decision absorbs its later failure', async () => {
        server.clock.advance(2 * hourMs);
        const staging = await post(
          t.deployBot,
          '/v1/decisions',
          deploy({ resource: { type: 'service', id: 'payments', environment: 'staging' } }),
        );
        expect(staging.body.status).toBe('allowed');
        const before = (await get(t.erin, '/v1/incidents?limit=500')).body.incidents.length;
        await post(t.deployBot, `/v1/decisions/${staging.body.id}/outcome`, { status: 'failed' });
        expect((await get(t.erin, '/v1/incidents?limit=500')).body.incidents).toHaveLength(before);

        const small = await post(t.deployBot, '/v1/decisions', deploy());
        expect(small.body.status).toBe('allowed');
        const manual = await post(t.deployBot, '/v1/incidents', {
          title: 'rollout looks wrong',
          decision: small.body.id,
        });
        expect(manual.body.links).toEqual([
          expect.objectContaining({ kind: 'decision', ref: small.body.id }),
        ]);
        await post(t.deployBot, `/v1/decisions/${small.body.id}/outcome`, { status: 'rolled_back' });
        const after = (await get(t.erin, '/v1/incidents?limit=500')).body.incidents;
        expect(after).toHaveLength(before + 1);
        expect(after.filter((i: { trigger: string }) => i.trigger === 'outcome')).toHaveLength(1);
      });

      it('a critical alert opens one incident while it stays open; firing again is linked to it; a warning opens none', async () => {
        const { store, ledger, policies, notifications } = server.arbiter;
        const service = new IncidentService({
          store,
          ledger,
          policies,
          sink: notifications,
          clock: server.clock.now,
          ids: randomIds,
        });
        let fired: AlertFiredHook | undefined;
        service.openAutomatically({
          decisions: { onOutcome() {} },
          monitoring: { onAlertFired: (hook) => (fired = hook) },
        });
        const fire = async (severity: 'critical' | 'warning', alert = 'dataset-drift') => {
          server.clock.advance(hourMs);
          const change: AlertChange = {
            system: 'credit-scoring',
            transition: 'fired',
            state: {
              policy: 'credit-scoring-monitoring',
              alert,
              status: 'firing',
              consecutive: 1,
              firingSince: server.clock.now().toISOString(),
              lastWindow: server.clock.now().getTime() - hourMs,
              severity,
              message: '66% of features drifted',
              facts: {},
            },
            window: { start: server.clock.now().getTime() - hourMs, end: server.clock.now().getTime() },
            profile: 'ab'.repeat(32),
          };
          return store.write(async (tx) => {
            const [entry] = await ledger.log.append(tx.ledger, [
              {
                type: 'alert.firing',
                actor: 'arbiter',
                subject: 'credit-scoring',
                data: {
                  system: 'credit-scoring',
                  policy: 'credit-scoring-monitoring',
                  alert,
                  severity,
                  message: change.state.message,
                },
              },
            ]);
            await fired!(tx, change, await tx.getSystem('credit-scoring'), entry!.seq);
            return entry!.seq;
          });
        };
        const alertIncidents = async () =>
          (
            (await get(t.erin, '/v1/incidents?system=credit-scoring&limit=500')).body.incidents as {
              id: string;
              trigger: string;
            }[]
          ).filter((i) => i.trigger === 'alert');

        const first = await fire('critical');
        const [opened] = await alertIncidents();
        const incident = (await get(t.erin, `/v1/incidents/${opened!.id}`)).body;
        expect(incident).toMatchObject({
          title: 'credit-scoring: dataset-drift is firing',
          severity: 'sev2',
          system: 'credit-scoring',
          description: '66% of features drifted',
          openedBy: 'arbiter',
          paged: {
            team: 'risk-ml-oncall',
            person: 'sam@example.com',
            source: 'onCall.person',
            pagerdutyRoutingKey: 'PD_ROUTING_RISK_ML',
          },
          links: [
            {
              kind: 'alert',
              ref: `credit-scoring/credit-scoring-monitoring/dataset-drift#${first}`,
              targetLedgerIndex: first,
            },
          ],
        });
        expect((await outbox('incident.opened')).map((row) => row.payload.team)).toContain('risk-ml');

        const second = await fire('critical');
        expect(await alertIncidents()).toHaveLength(1);
        const relinked = (await get(t.erin, `/v1/incidents/${opened!.id}`)).body;
        expect(relinked.links.map((l: { ref: string }) => l.ref)).toEqual([
          `credit-scoring/credit-scoring-monitoring/dataset-drift#${first}`,
          `credit-scoring/credit-scoring-monitoring/dataset-drift#${second}`,
        ]);

        await fire('warning', 'persistent-input-drift');
        expect(await alertIncidents()).toHaveLength(1);

        // A person links the alert by name: its latest firing.
        const manual = await post(t.alice, '/v1/incidents', {
          title: 'model looks off',
          system: 'credit-scoring',
        });
        const linked = await post(t.alice, `/v1/incidents/${manual.body.id}/links`, {
          kind: 'alert',
          ref: 'credit-scoring/credit-scoring-monitoring/dataset-drift',
        });
        expect(linked.body.links.at(-1)).toMatchObject({
          ref: `credit-scoring/credit-scoring-monitoring/dataset-drift#${second}`,
        });

        // Once resolved, the next firing is a new incident.
        await post(t.alice, `/v1/incidents/${opened!.id}/resolve`, { summary: 'retrained on recent data' });
        await fire('critical');
        expect(await alertIncidents()).toHaveLength(2);

        // The alert is in the trace, with its proof.
        const trace = (await get(t.erin, `/v1/incidents/${opened!.id}/trace`)).body as Trace;
        expect(trace.verified).toBe(true);
        expect(trace.alerts.filter((a) => a.linked).map((a) => a.ledger.index)).toEqual([first, second]);
        expect(trace.accountability[0]).toMatchObject({
          system: 'credit-scoring',
          owner: { team: 'risk-ml' },
        });
      });
    });
  });
}

describe('automatic incidents turned off in the governance repository', () => {
  it('openOn: {} opens no incident for a failed production deploy', async () => {
    const server = await startTestServer({
      extraPolicies: {
        'bundle.yaml':
          'apiVersion: arbiter/v1\nkind: Bundle\nmetadata: { name: quiet }\nspec:\n  defaults: { effect: deny }\n  incidents: { openOn: {} }\n',
      },
    });
    try {
      const requested = await server.call(server.tokens.deployBot, 'POST', '/v1/decisions', deploy());
      expect(requested.body.status).toBe('allowed');
      await server.call(server.tokens.deployBot, 'POST', `/v1/decisions/${requested.body.id}/outcome`, {
        status: 'failed',
      });
      expect((await server.call(server.tokens.erin, 'GET', '/v1/incidents')).body.incidents).toEqual([]);
    } finally {
      await server.close();
    }
  });
});
