import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeEntry } from '../../../src/ledger/entry.js';
import { GitHubApiStandIn, githubSignature, pagesDeployerSystem } from '../../helpers/github-api.js';
import { postgresAvailable } from '../../helpers/postgres.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';

/**
 * Contract tests of the GitHub deployment protection rule: GitHub's documented payload, signed as
 * GitHub signs it, posted to a real Arbiter; reviews go to a real HTTP server standing in for
 * api.github.com that checks the App's JWT and installation token as GitHub does.
 */

const secret = 'whsec-test-not-a-real-secret';
const recorded = readFileSync(
  new URL('../../fixtures/github/deployment_protection_rule.requested.json', import.meta.url),
  'utf8',
);
const recordedStatus = readFileSync(
  new URL('../../fixtures/github/deployment_status.in_progress.json', import.meta.url),
  'utf8',
);

const governance = `
${pagesDeployerSystem('codertocat/hello-world')}---
apiVersion: arbiter/v1
kind: ActionPolicy
metadata: { name: github-deploys }
spec:
  match: { actions: [deploy], environments: [github-pages, gh-frozen, gh-review] }
  rules:
    - name: frozen
      when: request.resource.environment == 'gh-frozen'
      effect: deny
      message: gh-frozen takes no deploys this week
    - name: needs-sre
      when: request.resource.environment == 'gh-review'
      effect: require_approval
      approval: { count: 1, from: ['group:sre'], ttl: 1h }
      message: an SRE approves deploys to gh-review
    - name: pages-ok
      when: request.resource.environment == 'github-pages' && request.context.github.ref == 'master'
      effect: allow
      message: the site deploys from master
`;

let runIds = 900_000_000;
/** The recorded payload for another run (each run is its own delivery), optionally changed. */
function payload(change: (body: Record<string, any>) => void = () => {}): string {
  const body = JSON.parse(recorded);
  const run = runIds++;
  body.deployment_callback_url = `https://api.github.com/repos/Codertocat/Hello-World/actions/runs/${run}/deployment_protection_rule`;
  change(body);
  return JSON.stringify(body);
}

let deliveries = 0;
function deliveryId(): string {
  deliveries++;
  return `72d3162e-cc78-11e3-81ab-${String(deliveries).padStart(12, '0')}`;
}

const hasPostgres = await postgresAvailable();

for (const backend of ['sqlite', 'postgres'] as const)
  describe.skipIf(backend === 'postgres' && !hasPostgres)(
    `GitHub deployment protection rule (${backend})`,
    () => {
      let github: GitHubApiStandIn;
      let server: TestServer;

      beforeAll(async () => {
        github = await new GitHubApiStandIn().start();
        server = await startTestServer({
          backend,
          extraPolicies: { 'github.yaml': governance },
          notifications: { backoffBaseMs: 1_000, dashboardUrl: 'https://arbiter.example.com' },
          github: {
            appId: github.appId,
            privateKey: github.privateKey,
            webhookSecret: secret,
            apiUrl: github.url,
            maxAttempts: 3,
          },
        });
      });
      afterAll(async () => {
        await server?.close();
        await github?.close();
      });

      /** The recorded payloads name api.github.com; the stand-in is where this server's GitHub API is. */
      const atStandIn = (body: string) => body.replaceAll('https://api.github.com', github.url);

      function deliver(
        body: string,
        headers: Record<string, string> = {},
        event = 'deployment_protection_rule',
      ) {
        return server.call(undefined, 'POST', '/v1/integrations/github/webhook', body, {
          'x-github-event': event,
          'x-github-delivery': deliveryId(),
          'x-hub-signature-256': githubSignature(secret, body),
          ...headers,
        });
      }

      async function ledgerSince(start: number) {
        const size = await server.arbiter.store.ledger.size();
        return (await server.arbiter.store.ledger.entries(start, size)).map((stored) => {
          const decoded = decodeEntry(stored.bytes, stored.seq);
          if (!('entry' in decoded)) throw new Error(decoded.problem);
          return decoded.entry;
        });
      }

      async function deliverReviews(): Promise<void> {
        await server.arbiter.notifications.deliverDue();
      }

      it('an allowed deploy is approved, as the App, with the rule and a link in the comment', async () => {
        const start = await server.arbiter.store.ledger.size();
        const body = atStandIn(payload());
        const answer = await deliver(body);
        expect(answer.status).toBe(200);
        expect(answer.body.outcome).toBe('accepted');
        const decision = await server.arbiter.store.getDecision(answer.body.decision);
        expect(decision).toMatchObject({
          status: 'allowed',
          action: 'deploy',
          resourceType: 'repository',
          resourceId: 'Codertocat/Hello-World',
          environment: 'github-pages',
          actorId: 'system:pages-deployer',
        });
        expect((decision!.request.context as any).github).toMatchObject({
          installation: 1,
          ref: 'master',
          sha: 'f95f852bd8fca8fcc58a9a2d6c842781e32a215e',
          triggeringActor: 'Codertocat',
        });

        await deliverReviews();
        const [review] = github.reviews().slice(-1);
        const run = JSON.parse(body).deployment_callback_url.match(/runs\/(\d+)\//)[1];
        expect(review!.path).toBe(
          `/repos/Codertocat/Hello-World/actions/runs/${run}/deployment_protection_rule`,
        );
        expect(review!.body).toMatchObject({ environment_name: 'github-pages', state: 'approved' });
        expect(review!.body.comment).toContain('github-deploys/pages-ok');
        expect(review!.body.comment).toContain(`https://arbiter.example.com/decisions/${decision!.id}`);

        // The ledger: the authenticated delivery and the review (status, digest of the body sent);
        // never the token exchange, and never the token.
        const entries = await ledgerSince(start);
        const types = entries.map((entry) => entry.type);
        expect(types).toContain('github.delivery');
        expect(types).toContain('github.review');
        expect(types.some((type) => type.includes('token'))).toBe(false);
        const reviewEntry = entries.find((entry) => entry.type === 'github.review')!;
        expect(reviewEntry.subject).toBe(decision!.id);
        expect(reviewEntry.data).toMatchObject({
          state: 'approved',
          status: 204,
          runId: Number(run),
          bodyDigest: `sha256:${createHash('sha256').update(review!.raw).digest('hex')}`,
        });
        expect(JSON.stringify(entries)).not.toContain('ghs_standin');
        const deliveryEntry = entries.find((entry) => entry.type === 'github.delivery')!;
        expect(deliveryEntry.data).toMatchObject({
          event: 'deployment_protection_rule',
          outcome: 'accepted',
          system: 'pages-deployer',
          bodyDigest: `sha256:${createHash('sha256').update(body).digest('hex')}`,
        });
      });

      it('the installation token is fetched once and reused until it expires', async () => {
        const before = github.tokenExchanges().length;
        await deliver(atStandIn(payload()));
        await deliver(atStandIn(payload()));
        await deliverReviews();
        expect(github.tokenExchanges().length - before).toBe(0);
      });

      it('a denied deploy is rejected with the rule and its message in the comment', async () => {
        const answer = await deliver(atStandIn(payload((body) => (body.environment = 'gh-frozen'))));
        expect(answer.status).toBe(200);
        expect((await server.arbiter.store.getDecision(answer.body.decision))?.status).toBe('denied');
        await deliverReviews();
        const [review] = github.reviews().slice(-1);
        expect(review!.body).toMatchObject({ environment_name: 'gh-frozen', state: 'rejected' });
        expect(review!.body.comment).toContain('github-deploys/frozen: gh-frozen takes no deploys this week');
      });

      it('a pending deploy gets a status report, then approval in Arbiter approves it on GitHub', async () => {
        const answer = await deliver(atStandIn(payload((body) => (body.environment = 'gh-review'))));
        const id = answer.body.decision;
        expect((await server.arbiter.store.getDecision(id))?.status).toBe('pending');
        await deliverReviews();
        const [report] = github.reviews().slice(-1);
        expect(report!.body.environment_name).toBe('gh-review');
        expect(report!.body.state).toBeUndefined();
        expect(report!.body.comment).toContain('waiting for approval');
        expect(report!.body.comment).toContain('github-deploys/needs-sre');

        const vote = await server.call(server.tokens.alice, 'POST', `/v1/decisions/${id}/approvals`, {
          verdict: 'approve',
          reason: 'checked the change',
        });
        expect(vote.status).toBe(200);
        await deliverReviews();
        const [review] = github.reviews().slice(-1);
        expect(review!.body).toMatchObject({ environment_name: 'gh-review', state: 'approved' });
        expect(review!.body.comment).toContain('Approved by: user:alice');

        // `arbiter trace` shows the GitHub run beside the decision.
        await server.arbiter.checkpointIfGrown();
        const trace = await server.call(server.tokens.erin, 'GET', `/v1/decisions/${id}/trace`);
        expect(trace.status).toBe(200);
        const timeline = (trace.body.timeline as { type: string; summary: string }[])
          .filter((event) => event.type === 'github.review')
          .map((event) => event.summary);
        const run = review!.path.match(/runs\/(\d+)\//)![1];
        expect(timeline).toContain(
          `GitHub Actions run ${run} of Codertocat/Hello-World (gh-review): approved sent, GitHub answered 204`,
        );
        expect(trace.body.verified).toBe(true);
      });

      it('a signed delivery holding U+0000 is a 400 naming the field, on both backends, and records nothing', async () => {
        const start = await server.arbiter.store.ledger.size();
        const body = atStandIn(
          payload((delivery) => {
            delivery.environment = 'github\u0000pages';
          }),
        );
        const answer = await deliver(body);
        expect(answer.status).toBe(400);
        expect(answer.body.error).toMatchObject({
          code: 'ARB_ERR_REQUEST_INVALID',
          details: { reason: 'text', path: 'body/environment' },
        });
        expect(await server.arbiter.store.ledger.size()).toBe(start);
      });

      it('a bad signature is refused with 401 and never reaches the ledger (counted instead)', async () => {
        const start = await server.arbiter.store.ledger.size();
        const body = atStandIn(payload());
        const forged = await deliver(body, {
          'x-hub-signature-256': githubSignature('not-the-secret', body),
        });
        expect(forged.status).toBe(401);
        expect(forged.body.error.code).toBe('ARB_ERR_INTEGRATION_SIGNATURE');
        const missing = await deliver(body, { 'x-hub-signature-256': '' });
        expect(missing.status).toBe(401);
        // A body changed after signing: one byte.
        const tampered = await deliver(body.replace('github-pages', 'github-pagez'), {
          'x-hub-signature-256': githubSignature(secret, body),
        });
        expect(tampered.status).toBe(401);
        expect(await server.arbiter.store.ledger.size()).toBe(start);
        const metrics = await server.arbiter.metrics.registry.getSingleMetricAsString(
          'arbiter_github_deliveries_total',
        );
        expect(metrics).toMatch(/outcome="bad_signature"} 3/);
      });

      it('a replayed delivery is refused with 409, by id and by body; the first replay is ledgered, later ones counted', async () => {
        const body = atStandIn(payload());
        const id = deliveryId();
        const first = await deliver(body, { 'x-github-delivery': id });
        expect(first.status).toBe(200);
        const start = await server.arbiter.store.ledger.size();
        const again = await deliver(body, { 'x-github-delivery': id });
        expect(again.status).toBe(409);
        expect(again.body.error.code).toBe('ARB_ERR_INTEGRATION_REPLAYED');
        // GitHub's signature does not cover the delivery id: the same body under a new id is a replay too.
        const renamed = await deliver(body);
        expect(renamed.status).toBe(409);
        const entries = await ledgerSince(start);
        expect(entries.map((entry) => entry.type)).toEqual(['github.delivery.replayed']);
        expect(entries[0]!.subject).toBe(id);
        const decision = await server.arbiter.store.decisionByIdempotencyKey(
          'system:pages-deployer',
          `github-delivery:${id}`,
        );
        expect(decision?.id).toBe(first.body.decision);
      });

      it('an unknown installation is refused with 403 and ledgered; no review, no token', async () => {
        const start = await server.arbiter.store.ledger.size();
        const exchanges = github.tokenExchanges().length;
        const answer = await deliver(atStandIn(payload((body) => (body.installation = { id: 777 }))));
        expect(answer.status).toBe(403);
        expect(answer.body.error.code).toBe('ARB_ERR_INTEGRATION_UNKNOWN_INSTALLATION');
        const entries = await ledgerSince(start);
        expect(entries.map((entry) => [entry.type, entry.data.outcome])).toEqual([
          ['github.delivery', 'unknown_installation'],
        ]);
        await deliverReviews();
        expect(github.tokenExchanges().length).toBe(exchanges);
      });

      it('a repository no System maps is rejected on GitHub with the reason', async () => {
        const answer = await deliver(
          atStandIn(
            payload((body) => {
              body.repository.full_name = 'Codertocat/Other';
              body.deployment_callback_url = body.deployment_callback_url.replace('Hello-World', 'Other');
            }),
          ),
        );
        expect(answer.status).toBe(200);
        expect(answer.body).toMatchObject({ outcome: 'rejected' });
        await deliverReviews();
        const [review] = github.reviews().slice(-1);
        expect(review!.path).toMatch(
          /^\/repos\/Codertocat\/Other\/actions\/runs\/\d+\/deployment_protection_rule$/,
        );
        expect(review!.body.state).toBe('rejected');
        expect(review!.body.comment).toContain('no System maps Codertocat/Other');
      });

      it('a callback URL outside the configured GitHub API is refused: no token goes to another host', async () => {
        const exchanges = github.tokenExchanges().length;
        const answer = await deliver(payload()); // still names https://api.github.com, not the configured API
        expect(answer.status).toBe(400);
        expect(answer.body.error.message).toContain('not under the configured GitHub API');
        const evil = await deliver(
          atStandIn(
            payload(
              (body) =>
                (body.deployment_callback_url =
                  'https://evil.example.com/repos/a/b/actions/runs/1/deployment_protection_rule'),
            ),
          ),
        );
        expect(evil.status).toBe(400);
        await deliverReviews();
        expect(github.tokenExchanges().length).toBe(exchanges);
      });

      it('hostile bodies: malformed JSON, too deep, too large, missing headers are clear 4xx', async () => {
        const notJson = '{"action": "requested",';
        expect((await deliver(notJson)).status).toBe(400);
        const deep = `${'['.repeat(5_000)}${']'.repeat(5_000)}`;
        expect((await deliver(deep)).status).toBe(400);
        const huge = JSON.stringify({ padding: 'x'.repeat(1024 * 1024 + 1) });
        expect((await deliver(huge)).status).toBe(413);
        const body = atStandIn(payload());
        expect((await deliver(body, { 'x-github-delivery': '' })).status).toBe(400);
        expect((await deliver(body, { 'x-github-delivery': '../../etc' })).status).toBe(400);
      });

      it('GitHub down: the review is retried with backoff and never approved by default', async () => {
        github.reviewStatus = 503;
        const answer = await deliver(atStandIn(payload()));
        expect(answer.status).toBe(200);
        const before = github.reviews().length;
        const start = await server.arbiter.store.ledger.size();
        await deliverReviews();
        expect(github.reviews().length).toBe(before + 1);
        // Not due again until its backoff passed.
        await deliverReviews();
        expect(github.reviews().length).toBe(before + 1);
        const pending = await server.arbiter.store.notifications({ status: 'pending', limit: 100 });
        expect(
          pending.filter((row) => row.notifier === 'integration:github').map((row) => row.attempts),
        ).toEqual([1]);
        server.clock.advance(10_000);
        github.reviewStatus = 204;
        await deliverReviews();
        const [review] = github.reviews().slice(-1);
        expect(review!.body.state).toBe('approved');
        const statuses = (await ledgerSince(start))
          .filter((entry) => entry.type === 'github.review')
          .map((entry) => entry.data.status);
        expect(statuses).toEqual([503, 204]);
      });

      it('GitHub down for good: the outbox gives up (dead letter in the ledger) and nothing is approved', async () => {
        github.reviewStatus = 503;
        const before = github.reviews().length;
        await deliver(atStandIn(payload()));
        for (let attempt = 0; attempt < 3; attempt++) {
          await deliverReviews();
          server.clock.advance(60_000);
        }
        await deliverReviews();
        expect(github.reviews().length).toBe(before + 3);
        const dead = await server.arbiter.store.notifications({ status: 'dead', limit: 100 });
        expect(dead.filter((row) => row.notifier === 'integration:github')).toHaveLength(1);
        github.reviewStatus = 204;
        server.clock.advance(3_600_000);
        await deliverReviews();
        expect(github.reviews().length).toBe(before + 3);
      });

      /** The recorded deployment_status payload, about `run` in `environment`, in `state`. */
      function statusPayload(run: number, environment: string, state: string): string {
        const body = JSON.parse(recordedStatus);
        body.workflow_run.id = run;
        body.deployment_status.state = state;
        body.deployment_status.environment = environment;
        body.deployment.environment = environment;
        return JSON.stringify(body);
      }
      const runOf = (body: string) =>
        Number(JSON.parse(body).deployment_callback_url.match(/runs\/(\d+)\//)[1]);

      it('deployment_status success and failure report the outcome of the decision that let the run deploy', async () => {
        const succeeded = atStandIn(payload());
        const allowed = (await deliver(succeeded)).body.decision;
        // The job starts (in_progress claims the decision), then runs longer than the execution window.
        const started = await deliver(
          statusPayload(runOf(succeeded), 'github-pages', 'in_progress'),
          {},
          'deployment_status',
        );
        expect(started.body).toMatchObject({ outcome: 'accepted', decision: allowed });
        expect((await server.arbiter.store.getDecision(allowed))?.status).toBe('started');
        server.clock.advance(3_600_000);
        await server.arbiter.decisions.expireDue();
        expect((await server.arbiter.store.getDecision(allowed))?.status).toBe('started');
        const answer = await deliver(
          statusPayload(runOf(succeeded), 'github-pages', 'success'),
          {},
          'deployment_status',
        );
        expect(answer.status).toBe(200);
        expect(answer.body).toMatchObject({ outcome: 'accepted', decision: allowed });
        expect((await server.arbiter.store.getDecision(allowed))?.outcome?.status).toBe('succeeded');

        const failed = atStandIn(payload());
        const other = (await deliver(failed)).body.decision;
        await deliver(statusPayload(runOf(failed), 'github-pages', 'error'), {}, 'deployment_status');
        const row = await server.arbiter.store.getDecision(other);
        expect(row?.outcome?.status).toBe('failed');
        expect(row?.outcome?.detail).toBe('GitHub deployment_status error');

        // A second final status changes nothing: the outcome is reported once.
        const again = await deliver(
          statusPayload(runOf(failed), 'github-pages', 'success'),
          {},
          'deployment_status',
        );
        expect(again.body.outcome).toBe('ignored');
        expect((await server.arbiter.store.getDecision(other))?.outcome?.status).toBe('failed');
      });

      it('deployment_status that ends nothing, or of a run Arbiter never decided, is recorded and ignored', async () => {
        const start = await server.arbiter.store.ledger.size();
        const queued = await deliver(statusPayload(4, 'github-pages', 'queued'), {}, 'deployment_status');
        expect(queued.status).toBe(200);
        expect(queued.body).toMatchObject({
          outcome: 'ignored',
          reason: 'state "queued" neither starts nor ends a deployment',
        });
        const unknown = await deliver(statusPayload(5, 'github-pages', 'success'), {}, 'deployment_status');
        expect(unknown.body).toMatchObject({ outcome: 'ignored' });
        expect(unknown.body.reason).toContain('no Arbiter decision for run 5');
        const entries = await ledgerSince(start);
        expect(entries.map((entry) => [entry.type, entry.data.outcome])).toEqual([
          ['github.delivery', 'ignored'],
          ['github.delivery', 'outcome'],
        ]);
      });

      it('deployment_status from an unknown installation is refused like any other delivery', async () => {
        const body = JSON.parse(statusPayload(6, 'github-pages', 'success'));
        body.installation.id = 31337;
        const answer = await deliver(JSON.stringify(body), {}, 'deployment_status');
        expect(answer.status).toBe(403);
      });
    },
  );

describe('GitHub webhook without the App configured', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => server?.close());

  it('answers 404 with a code that says so', async () => {
    const body = JSON.parse(recorded);
    const answer = await server.call(undefined, 'POST', '/v1/integrations/github/webhook', body, {
      'x-github-event': 'deployment_protection_rule',
      'x-github-delivery': 'x',
      'x-hub-signature-256': githubSignature(secret, JSON.stringify(body)),
    });
    expect(answer.status).toBe(404);
    expect(answer.body.error.code).toBe('ARB_ERR_INTEGRATION_NOT_CONFIGURED');
  });
});
