import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeEntry } from '../../../src/ledger/entry.js';
import {
  blockedEntry,
  GitLabApiStandIn,
  gitlabSignature,
  webDeployerSystem,
} from '../../helpers/gitlab-api.js';
import { postgresAvailable } from '../../helpers/postgres.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';

/**
 * Contract tests of GitLab deployment approvals: GitLab's documented payloads and API answers
 * (test/fixtures/gitlab), a real Arbiter, and a real HTTP server standing in for the GitLab API
 * that checks the token as GitLab does. Blocked deployments are found by polling (GitLab sends no
 * webhook for `blocked`); deployment events report outcomes.
 */

const secret = 'gitlab-webhook-secret-not-real';
const recordedDeployment = readFileSync(
  new URL('../../fixtures/gitlab/deployment_hook.success.json', import.meta.url),
  'utf8',
);
const recordedJob = readFileSync(new URL('../../fixtures/gitlab/job_hook.json', import.meta.url), 'utf8');

const governance = `
${webDeployerSystem("acme/web, '30'")}---
apiVersion: arbiter/v1
kind: ActionPolicy
metadata: { name: gitlab-deploys }
spec:
  match: { actions: [deploy], environments: [production, staging, frozen, review] }
  rules:
    - name: frozen
      when: request.resource.environment == 'frozen'
      effect: deny
      message: frozen takes no deploys this week
    - name: needs-sre
      when: request.resource.environment == 'review'
      effect: require_approval
      approval: { count: 1, from: ['group:sre'], ttl: 1h }
      message: an SRE approves deploys to review
    - name: main-ok
      when: request.resource.environment in ['production', 'staging'] && request.context.gitlab.ref == 'main'
      effect: allow
      message: production deploys from main
`;

let deploymentIds = 5_000;
let deliveries = 0;
function deliveryId(): string {
  deliveries++;
  return `f5e5f430-f57b-4e6e-9fac-${String(deliveries).padStart(12, '0')}`;
}

const hasPostgres = await postgresAvailable();

for (const backend of ['sqlite', 'postgres'] as const)
  describe.skipIf(backend === 'postgres' && !hasPostgres)(`GitLab deployment approvals (${backend})`, () => {
    let gitlab: GitLabApiStandIn;
    let server: TestServer;

    beforeAll(async () => {
      gitlab = await new GitLabApiStandIn().start();
      server = await startTestServer({
        backend,
        extraPolicies: { 'gitlab.yaml': governance },
        notifications: { backoffBaseMs: 1_000, dashboardUrl: 'https://arbiter.example.com' },
        gitlab: { url: gitlab.url, token: gitlab.token, webhookSecret: secret, maxAttempts: 3 },
      });
    });
    afterAll(async () => {
      await server?.close();
      await gitlab?.close();
    });

    /** A new blocked deployment of `project` to `environment`, listed by the stand-in. */
    function block(environment: string, project = 'acme/web'): number {
      const id = deploymentIds++;
      const list = gitlab.blocked.get(project) ?? [];
      list.push(blockedEntry(id, environment));
      gitlab.blocked.set(project, list);
      return id;
    }

    const deployments = () => server.arbiter.gitlab!.deployments;
    const decisionOf = (project: string, id: number) =>
      server.arbiter.store.decisionByIdempotencyKey(
        'system:web-deployer',
        `gitlab-deployment:${project.toLowerCase()}#${id}`,
      );

    async function ledgerSince(start: number) {
      const size = await server.arbiter.store.ledger.size();
      return (await server.arbiter.store.ledger.entries(start, size)).map((stored) => {
        const decoded = decodeEntry(stored.bytes, stored.seq);
        if (!('entry' in decoded)) throw new Error(decoded.problem);
        return decoded.entry;
      });
    }

    const deliverAnswers = () => server.arbiter.notifications.deliverDue();

    function deliver(body: string, event: string, headers: Record<string, string> = {}) {
      return server.call(undefined, 'POST', '/v1/integrations/gitlab/webhook', body, {
        'x-gitlab-event': event,
        'x-gitlab-token': secret,
        'idempotency-key': deliveryId(),
        'x-gitlab-event-uuid': deliveryId(),
        ...headers,
      });
    }

    it('an allowed deploy is approved through the approval API, with the rule and a link in the comment', async () => {
      const start = await server.arbiter.store.ledger.size();
      const id = block('production');
      const [result] = (await deployments().pollAll()).filter((poll) => poll.project === 'acme/web');
      expect(result!.taken.map((taken) => taken.deploymentId)).toEqual([id]);
      const decision = await decisionOf('acme/web', id);
      expect(decision).toMatchObject({
        status: 'allowed',
        action: 'deploy',
        resourceType: 'repository',
        resourceId: 'acme/web',
        environment: 'production',
        actorId: 'system:web-deployer',
      });
      expect((decision!.request.context as any).gitlab).toMatchObject({
        deploymentId: id,
        ref: 'main',
        sha: 'a91957a858320c0e17f3a0eca7cfacbff50ea29a',
        jobId: 664,
        pipelineId: 37,
        triggeringActor: 'root',
      });

      await deliverAnswers();
      const [approval] = gitlab.approvals().slice(-1);
      expect(approval!.path).toBe(`/api/v4/projects/acme%2Fweb/deployments/${id}/approval`);
      expect(approval!.body.status).toBe('approved');
      expect(approval!.body.comment).toContain('gitlab-deploys/main-ok: production deploys from main');
      expect(approval!.body.comment).toContain(`https://arbiter.example.com/decisions/${decision!.id}`);
      const sent = gitlab.calls.find((call) => call.path.endsWith(`/${id}/approval`))!;
      expect(sent.headers['private-token']).toBe(gitlab.token);

      // The ledger: the deployment taken and the approval (status, digest of the body sent); never the token.
      const entries = await ledgerSince(start);
      const types = entries.map((entry) => entry.type);
      expect(types).toContain('gitlab.deployment');
      expect(types).toContain('gitlab.approval');
      expect(JSON.stringify(entries)).not.toContain(gitlab.token);
      const approvalEntry = entries.find((entry) => entry.type === 'gitlab.approval')!;
      expect(approvalEntry.subject).toBe(decision!.id);
      expect(approvalEntry.data).toMatchObject({
        project: 'acme/web',
        deploymentId: id,
        state: 'approved',
        status: 201,
        bodyDigest: `sha256:${createHash('sha256').update(approval!.raw).digest('hex')}`,
      });
      expect(entries.find((entry) => entry.type === 'gitlab.deployment')!.data).toMatchObject({
        outcome: 'accepted',
        system: 'web-deployer',
        environment: 'production',
      });
    });

    it('a blocked deployment is taken once, however often it is listed', async () => {
      const id = block('review');
      await deployments().pollProject('acme/web');
      const again = await deployments().pollProject('acme/web');
      expect(again.taken).toEqual([]);
      const decision = await decisionOf('acme/web', id);
      expect(decision?.status).toBe('pending');
    });

    it('pages through the list: a new deployment behind 100 pending ones is still taken', async () => {
      const waiting = Array.from({ length: 100 }, () => block('review'));
      const newest = block('production');
      const result = await deployments().pollProject('acme/web');
      expect(result.taken.map((taken) => taken.deploymentId)).toEqual([...waiting, newest]);
      expect((await decisionOf('acme/web', newest))?.status).toBe('allowed');
      const pages = gitlab.calls.filter((call) => call.method === 'GET').slice(-2);
      expect(pages.map((call) => new URL(call.path, gitlab.url).searchParams.get('page'))).toEqual([
        '1',
        '2',
      ]);
      // Approved and pending ones leave the list; the pending ones stay blocked until decided.
      gitlab.blocked.set(
        'acme/web',
        gitlab.blocked.get('acme/web')!.filter((entry) => !waiting.includes(entry.id)),
      );
      // The outbox sends a batch per round: drain the 101 answers before the next test.
      for (let round = 0; round < 20; round++) {
        const due = await server.arbiter.store.notifications({ status: 'pending', limit: 500 });
        if (!due.some((row) => row.notifier === 'integration:gitlab')) break;
        await deliverAnswers();
      }
    });

    it('a denied deploy is rejected with the rule and its message in the comment', async () => {
      const id = block('frozen');
      await deployments().pollProject('acme/web');
      expect((await decisionOf('acme/web', id))?.status).toBe('denied');
      await deliverAnswers();
      const [approval] = gitlab.approvals().slice(-1);
      expect(approval!.path).toBe(`/api/v4/projects/acme%2Fweb/deployments/${id}/approval`);
      expect(approval!.body.status).toBe('rejected');
      expect(approval!.body.comment).toContain('gitlab-deploys/frozen: frozen takes no deploys this week');
    });

    it('a pending deploy gets a status comment on its commit, then approval in Arbiter approves it on GitLab', async () => {
      const id = block('review');
      await deployments().pollProject('acme/web');
      const decision = await decisionOf('acme/web', id);
      expect(decision?.status).toBe('pending');
      await deliverAnswers();
      const [comment] = gitlab.comments().slice(-1);
      expect(comment!.path).toBe(
        '/api/v4/projects/acme%2Fweb/repository/commits/a91957a858320c0e17f3a0eca7cfacbff50ea29a/comments',
      );
      expect(comment!.note).toContain(`waiting for approval (decision ${decision!.id})`);
      expect(comment!.note).toContain('gitlab-deploys/needs-sre');
      expect(gitlab.approvals().some((approval) => approval.path.endsWith(`/${id}/approval`))).toBe(false);

      const vote = await server.call(server.tokens.alice, 'POST', `/v1/decisions/${decision!.id}/approvals`, {
        verdict: 'approve',
        reason: 'checked the change',
      });
      expect(vote.status).toBe(200);
      await deliverAnswers();
      const [approval] = gitlab.approvals().slice(-1);
      expect(approval!.path).toBe(`/api/v4/projects/acme%2Fweb/deployments/${id}/approval`);
      expect(approval!.body.status).toBe('approved');
      expect(approval!.body.comment).toContain('Approved by: user:alice');

      // `arbiter trace` shows the GitLab deployment beside the decision.
      await server.arbiter.checkpointIfGrown();
      const trace = await server.call(server.tokens.erin, 'GET', `/v1/decisions/${decision!.id}/trace`);
      expect(trace.status).toBe(200);
      const timeline = (trace.body.timeline as { type: string; summary: string }[])
        .filter((event) => event.type === 'gitlab.approval')
        .map((event) => event.summary);
      expect(timeline).toContain(
        `GitLab deployment ${id} of acme/web (review): status comment sent, GitLab answered 201`,
      );
      expect(timeline).toContain(
        `GitLab deployment ${id} of acme/web (review): approved sent, GitLab answered 201`,
      );
      expect(trace.body.verified).toBe(true);
    });

    it('an environment no System maps is rejected on GitLab with the reason', async () => {
      const id = block('sandbox');
      const result = await deployments().pollProject('acme/web');
      expect(result.taken).toEqual([
        {
          deploymentId: id,
          rejected: 'no System maps GitLab project acme/web to environment sandbox',
        },
      ]);
      await deliverAnswers();
      const [approval] = gitlab.approvals().slice(-1);
      expect(approval!.path).toBe(`/api/v4/projects/acme%2Fweb/deployments/${id}/approval`);
      expect(approval!.body.status).toBe('rejected');
      expect(approval!.body.comment).toContain(
        'no System maps GitLab project acme/web to environment sandbox',
      );
    });

    it('GitLab API down for the list: nothing is decided, the next poll asks again', async () => {
      gitlab.listStatus = 503;
      const id = block('production');
      const result = await deployments().pollProject('acme/web');
      expect(result).toMatchObject({ taken: [], error: 'HTTP 503' });
      expect(await decisionOf('acme/web', id)).toBeUndefined();
      gitlab.listStatus = 200;
      const later = await deployments().pollProject('acme/web');
      expect(later.taken.map((taken) => taken.deploymentId)).toEqual([id]);
      await deliverAnswers();
    });

    it('GitLab API down for the approval: retried with backoff, never approved by default', async () => {
      gitlab.approvalStatus = 503;
      const id = block('production');
      await deployments().pollProject('acme/web');
      const before = gitlab.approvals().length;
      const start = await server.arbiter.store.ledger.size();
      await deliverAnswers();
      expect(gitlab.approvals().length).toBe(before + 1);
      // Not due again until its backoff passed.
      await deliverAnswers();
      expect(gitlab.approvals().length).toBe(before + 1);
      server.clock.advance(10_000);
      gitlab.approvalStatus = 201;
      await deliverAnswers();
      const [approval] = gitlab.approvals().slice(-1);
      expect(approval!.path).toBe(`/api/v4/projects/acme%2Fweb/deployments/${id}/approval`);
      expect(approval!.body.status).toBe('approved');
      const statuses = (await ledgerSince(start))
        .filter((entry) => entry.type === 'gitlab.approval')
        .map((entry) => entry.data.status);
      expect(statuses).toEqual([503, 201]);

      // Down for good: the outbox gives up (dead letter) and nothing is approved.
      gitlab.approvalStatus = 503;
      const stuck = block('production');
      await deployments().pollProject('acme/web');
      for (let attempt = 0; attempt < 4; attempt++) {
        await deliverAnswers();
        server.clock.advance(60_000);
      }
      const dead = await server.arbiter.store.notifications({ status: 'dead', limit: 100 });
      expect(dead.filter((row) => row.notifier === 'integration:gitlab')).toHaveLength(1);
      gitlab.approvalStatus = 201;
      server.clock.advance(3_600_000);
      await deliverAnswers();
      expect(
        gitlab
          .approvals()
          .filter((call) => call.path.endsWith(`/${stuck}/approval`))
          .map((call) => call.body.status),
      ).toEqual(['approved', 'approved', 'approved']);
      expect(gitlab.blocked.get('acme/web')!.some((entry) => entry.id === stuck)).toBe(true);
    });

    /** The recorded deployment event, about deployment `id` of project 30, in `status`. */
    function deploymentEvent(id: number, environment: string, status: string): string {
      const body = JSON.parse(recordedDeployment);
      body.deployment_id = id;
      body.environment = environment;
      body.status = status;
      return JSON.stringify(body);
    }

    it('deployment events report the outcome of the decision that let the deployment go', async () => {
      // Project 30 is the recorded payload's project (root/test-deployment-webhooks), mapped by id.
      const id = block('staging', '30');
      await deployments().pollProject('30');
      const decision = (await decisionOf('30', id))!;
      expect(decision.status).toBe('allowed');
      const running = await deliver(deploymentEvent(id, 'staging', 'running'), 'Deployment Hook');
      expect(running.body).toMatchObject({ outcome: 'accepted', decision: decision.id });
      expect((await server.arbiter.store.getDecision(decision.id))?.status).toBe('started');
      const success = await deliver(deploymentEvent(id, 'staging', 'success'), 'Deployment Hook');
      expect(success.status).toBe(200);
      expect((await server.arbiter.store.getDecision(decision.id))?.outcome).toMatchObject({
        status: 'succeeded',
        detail: 'GitLab deployment success',
      });

      const canceled = block('staging', '30');
      await deployments().pollProject('30');
      await deliver(deploymentEvent(canceled, 'staging', 'canceled'), 'Deployment Hook');
      const row = await decisionOf('30', canceled);
      expect(row?.outcome).toMatchObject({ status: 'failed', detail: 'GitLab deployment canceled' });

      // A second final status changes nothing: the outcome is reported once.
      const again = await deliver(deploymentEvent(canceled, 'staging', 'success'), 'Deployment Hook');
      expect(again.body.outcome).toBe('ignored');
      expect((await decisionOf('30', canceled))?.outcome?.status).toBe('failed');
      await deliverAnswers();
    });

    it('the recorded deployment event as sent is recorded and ignored: Arbiter never decided deployment 15', async () => {
      const start = await server.arbiter.store.ledger.size();
      const answer = await deliver(recordedDeployment, 'Deployment Hook');
      expect(answer.status).toBe(200);
      expect(answer.body.outcome).toBe('ignored');
      expect(answer.body.reason).toContain('no Arbiter decision for deployment 15');
      const entries = await ledgerSince(start);
      expect(entries.map((entry) => [entry.type, entry.data.outcome, entry.data.status])).toEqual([
        ['gitlab.delivery', 'outcome', 'success'],
      ]);
    });

    it('a job event saying a deployment job waits looks at the blocked deployments at once', async () => {
      const id = block('production');
      const body = JSON.parse(recordedJob);
      body.build_status = 'manual';
      body.environment = { name: 'production', action: 'start', deployment_tier: 'production' };
      body.project.path_with_namespace = 'acme/web';
      const answer = await deliver(JSON.stringify(body), 'Job Hook');
      expect(answer.status).toBe(200);
      expect(answer.body.outcome).toBe('accepted');
      // Joins the poll the job event started (or finds the deployment already taken).
      await deployments().pollProject('acme/web');
      expect((await decisionOf('acme/web', id))?.status).toBe('allowed');
      await deliverAnswers();
    });

    it('a wrong or missing X-Gitlab-Token is refused with 401 and never reaches the ledger (counted instead)', async () => {
      const start = await server.arbiter.store.ledger.size();
      const wrong = await deliver(recordedDeployment, 'Deployment Hook', {
        'x-gitlab-token': 'not-the-secret',
      });
      expect(wrong.status).toBe(401);
      expect(wrong.body.error).toMatchObject({
        code: 'ARB_ERR_INTEGRATION_SIGNATURE',
        details: { reason: 'mismatch' },
      });
      const missing = await deliver(recordedDeployment, 'Deployment Hook', { 'x-gitlab-token': '' });
      expect(missing.status).toBe(401);
      expect(missing.body.error.details.reason).toBe('missing');
      expect(await server.arbiter.store.ledger.size()).toBe(start);
      const metrics = await server.arbiter.metrics.registry.getSingleMetricAsString(
        'arbiter_gitlab_deliveries_total',
      );
      expect(metrics).toMatch(/outcome="bad_signature"} 2/);
    });

    it('a replayed delivery is refused with 409, by Idempotency-Key and by body; the first replay is ledgered', async () => {
      const body = deploymentEvent(999_001, 'production', 'success');
      const id = deliveryId();
      const first = await deliver(body, 'Deployment Hook', { 'idempotency-key': id });
      expect(first.status).toBe(200);
      const start = await server.arbiter.store.ledger.size();
      const retried = await deliver(body, 'Deployment Hook', { 'idempotency-key': id });
      expect(retried.status).toBe(409);
      expect(retried.body.error.code).toBe('ARB_ERR_INTEGRATION_REPLAYED');
      // The secret token does not cover the headers: the same body under a new key is a replay too.
      const renamed = await deliver(body, 'Deployment Hook');
      expect(renamed.status).toBe(409);
      const entries = await ledgerSince(start);
      expect(entries.map((entry) => entry.type)).toEqual(['gitlab.delivery.replayed']);
      expect(entries[0]!.subject).toBe(id);
    });

    it('an unknown project is refused with 403 and ledgered', async () => {
      const start = await server.arbiter.store.ledger.size();
      const body = JSON.parse(recordedDeployment);
      body.project.id = 777;
      body.project.path_with_namespace = 'someone/else';
      const answer = await deliver(JSON.stringify(body), 'Deployment Hook');
      expect(answer.status).toBe(403);
      expect(answer.body.error).toMatchObject({
        code: 'ARB_ERR_INTEGRATION_UNKNOWN_PROJECT',
        details: { project: 'someone/else' },
      });
      const entries = await ledgerSince(start);
      expect(entries.map((entry) => [entry.type, entry.data.outcome])).toEqual([
        ['gitlab.delivery', 'unknown_project'],
      ]);
    });

    it('hostile bodies: malformed JSON, too deep, too large, missing headers are clear 4xx', async () => {
      expect((await deliver('{"object_kind": "deployment",', 'Deployment Hook')).status).toBe(400);
      const deep = `${'['.repeat(5_000)}${']'.repeat(5_000)}`;
      expect((await deliver(deep, 'Deployment Hook')).status).toBe(400);
      const huge = JSON.stringify({ padding: 'x'.repeat(1024 * 1024 + 1) });
      expect((await deliver(huge, 'Deployment Hook')).status).toBe(413);
      const noId = await deliver(deploymentEvent(1, 'production', 'success'), 'Deployment Hook', {
        'idempotency-key': '',
        'x-gitlab-event-uuid': '',
      });
      expect(noId.status).toBe(400);
      const badId = await deliver(deploymentEvent(2, 'production', 'success'), 'Deployment Hook', {
        'idempotency-key': '../../etc',
      });
      expect(badId.status).toBe(400);
    });

    it('a hostile API answer (not a list, a forged entry) decides nothing', async () => {
      gitlab.blocked.set('acme/web', { not: 'a list' } as any);
      const notList = await deployments().pollProject('acme/web');
      expect(notList.error).toBe('the answer is not a list of deployments');
      gitlab.blocked.set('acme/web', [
        { id: 1, status: 'success', environment: { name: 'production' } },
        { id: -4 },
      ]);
      const forged = await deployments().pollProject('acme/web');
      expect(forged).toEqual({ project: 'acme/web', taken: [] });
      gitlab.blocked.set('acme/web', []);
    });
  });

describe('GitLab webhook with a signing token (Standard Webhooks signature)', () => {
  const signingToken = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;
  let gitlab: GitLabApiStandIn;
  let server: TestServer;
  beforeAll(async () => {
    gitlab = await new GitLabApiStandIn().start();
    server = await startTestServer({
      extraPolicies: { 'gitlab.yaml': governance },
      gitlab: { url: gitlab.url, token: gitlab.token, signingToken },
    });
  });
  afterAll(async () => {
    await server?.close();
    await gitlab?.close();
  });

  function signed(body: string, change: { timestamp?: number; signature?: string } = {}) {
    const id = deliveryId();
    const timestamp = change.timestamp ?? Math.floor(server.clock.now().getTime() / 1000);
    return server.call(undefined, 'POST', '/v1/integrations/gitlab/webhook', body, {
      'x-gitlab-event': 'Deployment Hook',
      'idempotency-key': id,
      'webhook-id': id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': change.signature ?? gitlabSignature(signingToken, id, timestamp, body),
    });
  }

  it('accepts a delivery signed over id, timestamp and body; refuses a forged, tampered or stale one', async () => {
    const accepted = await signed(recordedDeployment);
    expect(accepted.status).toBe(200);
    const start = await server.arbiter.store.ledger.size();
    const forged = await signed(recordedDeployment.replace('"status": "success"', '"status": "failed"'), {
      signature: 'v1,AAAA',
    });
    expect(forged.status).toBe(401);
    expect(forged.body.error.details.reason).toBe('mismatch');
    const stale = await signed(recordedDeployment, {
      timestamp: Math.floor(server.clock.now().getTime() / 1000) - 600,
    });
    expect(stale.status).toBe(401);
    expect(stale.body.error.details.reason).toBe('stale');
    expect(await server.arbiter.store.ledger.size()).toBe(start);
  });
});

describe('GitLab webhook without GitLab configured', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => server?.close());

  it('answers 404 with a code that says so', async () => {
    const answer = await server.call(
      undefined,
      'POST',
      '/v1/integrations/gitlab/webhook',
      recordedDeployment,
      {
        'x-gitlab-event': 'Deployment Hook',
        'x-gitlab-token': secret,
      },
    );
    expect(answer.status).toBe(404);
    expect(answer.body.error.code).toBe('ARB_ERR_INTEGRATION_NOT_CONFIGURED');
  });
});
