import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeEntry } from '../../../src/ledger/entry.js';
import { deployingAgent } from '../../helpers/bundle.js';
import { GitHubApiStandIn, githubSignature } from '../../helpers/github-api.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';

/**
 * Systems mapped by workflow file: two workflows of one repository speak for different Systems,
 * the most specific mapping wins. The recorded protection-rule payload names no workflow, so the
 * App reads it from the run (GitHub's workflow-run object, served by the stand-in).
 */

const secret = 'whsec-test-not-a-real-secret';
const recorded = readFileSync(
  new URL('../../fixtures/github/deployment_protection_rule.requested.json', import.meta.url),
  'utf8',
);

const system = (name: string, github: string) =>
  `${deployingAgent(`{ name: ${name} }`, `github: ${github}`)}---\n`;

const governance = `
${system('site-deployer', '{ installation: 1, repositories: [Codertocat/Hello-World], workflows: [.github/workflows/deploy.yml] }')}
${system('docs-deployer', '{ installation: 1, repositories: [codertocat/hello-world], workflows: [.github/workflows/docs.yml, .github/workflows/docs-preview.yml] }')}
${system('repo-deployer', '{ installation: 1, repositories: [Codertocat/Hello-World, Codertocat/Plain] }')}
${system('strict-deployer', '{ installation: 1, repositories: [Codertocat/Strict], workflows: [.github/workflows/deploy.yml] }')}
apiVersion: arbiter/v1
kind: ActionPolicy
metadata: { name: github-deploys }
spec:
  match: { actions: [deploy] }
  rules:
    - name: pages-ok
      when: 'true'
      effect: allow
      message: deploys are allowed here
`;

let runIds = 700_000_000;
let deliveries = 0;

describe('GitHub Systems mapped by workflow file', () => {
  let github: GitHubApiStandIn;
  let server: TestServer;

  beforeAll(async () => {
    github = await new GitHubApiStandIn().start();
    server = await startTestServer({
      extraPolicies: { 'github.yaml': governance },
      notifications: { backoffBaseMs: 1_000 },
      github: {
        appId: github.appId,
        privateKey: github.privateKey,
        webhookSecret: secret,
        apiUrl: github.url,
        maxAttempts: 1,
      },
    });
  });
  afterAll(async () => {
    await server?.close();
    await github?.close();
  });

  /** The recorded payload for a new run of `workflow` in `repository`, signed and delivered. */
  async function deliverRun(workflow: string | undefined, repository = 'Codertocat/Hello-World') {
    const run = runIds++;
    if (workflow) github.runWorkflows.set(run, workflow);
    const body = JSON.parse(recorded);
    body.repository.full_name = repository;
    body.deployment_callback_url = `${github.url}/repos/${repository}/actions/runs/${run}/deployment_protection_rule`;
    const text = JSON.stringify(body);
    const deliveryId = `72d3162e-cc78-11e3-81ab-${String(++deliveries).padStart(12, '0')}`;
    const answer = await deliver(text, deliveryId);
    return { answer, run, text, deliveryId };
  }

  function deliver(text: string, deliveryId: string) {
    return server.call(undefined, 'POST', '/v1/integrations/github/webhook', text, {
      'x-github-event': 'deployment_protection_rule',
      'x-github-delivery': deliveryId,
      'x-hub-signature-256': githubSignature(secret, text),
    });
  }

  const runLookups = () =>
    github.calls.filter((call) => call.method === 'GET' && /\/actions\/runs\/\d+$/.test(call.path));

  it('two workflows of one repository are asked for by two Systems; the workflow is in the request context', async () => {
    const deploy = await deliverRun('.github/workflows/deploy.yml');
    expect(deploy.answer.body.outcome).toBe('accepted');
    const site = await server.arbiter.store.getDecision(deploy.answer.body.decision);
    expect(site?.actorId).toBe('system:site-deployer');
    expect((site!.request.context as any).github.workflow).toBe('.github/workflows/deploy.yml');

    const docs = await deliverRun('.github/workflows/docs-preview.yml');
    expect((await server.arbiter.store.getDecision(docs.answer.body.decision))?.actorId).toBe(
      'system:docs-deployer',
    );
    // The run was read as the App, with an installation token.
    const lookup = runLookups().at(-1)!;
    expect(lookup.path).toBe(`/repos/Codertocat/Hello-World/actions/runs/${docs.run}`);
    expect(lookup.headers.authorization).toMatch(/^token ghs_standin/);
  });

  it('another workflow of the repository falls to the System that maps the repository alone', async () => {
    const { answer } = await deliverRun('.github/workflows/release.yml');
    expect((await server.arbiter.store.getDecision(answer.body.decision))?.actorId).toBe(
      'system:repo-deployer',
    );
  });

  it('a workflow no System maps, in a repository mapped only by workflow, is rejected on GitHub', async () => {
    const start = await server.arbiter.store.ledger.size();
    const { answer, run } = await deliverRun('.github/workflows/sneaky.yml', 'Codertocat/Strict');
    expect(answer.body.outcome).toBe('rejected');
    expect(answer.body.reason).toBe('no System maps .github/workflows/sneaky.yml of Codertocat/Strict');
    await server.arbiter.notifications.deliverDue();
    const review = github.reviews().find((sent) => sent.path.includes(`/runs/${run}/`));
    expect(review?.body).toMatchObject({ state: 'rejected' });
    expect(review?.body.comment).toContain('.github/workflows/sneaky.yml');
    const size = await server.arbiter.store.ledger.size();
    const entries = (await server.arbiter.store.ledger.entries(start, size)).map((stored) => {
      const decoded = decodeEntry(stored.bytes, stored.seq);
      if (!('entry' in decoded)) throw new Error(decoded.problem);
      return decoded.entry;
    });
    expect(entries.find((entry) => entry.type === 'github.delivery')?.data).toMatchObject({
      outcome: 'unmapped',
      workflow: '.github/workflows/sneaky.yml',
      system: null,
    });
  });

  it('GitHub not saying which workflow a run is: rejected (re-run to ask again), never judged as another System', async () => {
    github.runStatus = 503;
    try {
      const down = await deliverRun('.github/workflows/deploy.yml');
      expect(down.answer.body.outcome).toBe('rejected');
      expect(down.answer.body.reason).toContain('could not be read');
      expect(down.answer.body.decision).toBeUndefined();
    } finally {
      github.runStatus = 200;
    }
    // A run GitHub does not know (404) is no better.
    const unknown = await deliverRun(undefined);
    expect(unknown.answer.body.outcome).toBe('rejected');
    await server.arbiter.notifications.deliverDue();
    const review = github.reviews().find((sent) => sent.path.includes(`/runs/${unknown.run}/`));
    expect(review?.body.state).toBe('rejected');
    expect(review?.body.comment).toContain('re-run the job');
  });

  it('a replayed delivery is refused before GitHub is asked anything (no run lookup, no token)', async () => {
    const first = await deliverRun('.github/workflows/deploy.yml');
    expect(first.answer.body.outcome).toBe('accepted');
    const callsBefore = github.calls.length;
    // The same delivery again, then the same signed body under a new id (GitHub signs only the body).
    const again = await deliver(first.text, first.deliveryId);
    const renamed = await deliver(
      first.text,
      `72d3162e-cc78-11e3-81ab-${String(++deliveries).padStart(12, '0')}`,
    );
    for (const replay of [again, renamed]) {
      expect(replay.status).toBe(409);
      expect(replay.body.error.code).toBe('ARB_ERR_INTEGRATION_REPLAYED');
      expect(replay.body.error.details).toEqual({ delivery: first.deliveryId });
    }
    expect(github.calls.slice(callsBefore)).toEqual([]);
  });

  it('a repository nobody maps by workflow costs no run lookup', async () => {
    const before = runLookups().length;
    const { answer } = await deliverRun(undefined, 'Codertocat/Plain');
    expect((await server.arbiter.store.getDecision(answer.body.decision))?.actorId).toBe(
      'system:repo-deployer',
    );
    expect(runLookups().length).toBe(before);
  });
});
