import { createHmac, generateKeyPairSync } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arbiter } from '../helpers/cli.js';
import { GitHubApiStandIn, githubSignature, pagesDeployerSystem } from '../helpers/github-api.js';
import { eventually } from '../helpers/raw-http.js';
import { spawnServe } from '../helpers/serve-process.js';
import { tempDir } from '../helpers/temp.js';

/**
 * `arbiter serve` as the GitHub App, started with the flags docs/integrations.md prints: a signed
 * delivery becomes a decision, and the background outbox approves the run on the stand-in API.
 */

const secret = 'whsec-e2e-not-a-real-secret';
const dir = tempDir('arbiter-github-serve-');
const policies = join(dir, 'policies');
const keyPath = join(dir, 'app.pem');

describe('arbiter serve --github-app-id', () => {
  let github: GitHubApiStandIn;

  beforeAll(async () => {
    github = await new GitHubApiStandIn().start();
    writeFileSync(keyPath, github.privateKey, { mode: 0o600 });
    mkdirSync(policies);
    writeFileSync(
      join(policies, 'github.yaml'),
      `${pagesDeployerSystem('Codertocat/Hello-World')}---
apiVersion: arbiter/v1
kind: ActionPolicy
metadata: { name: github-deploys }
spec:
  match: { actions: [deploy] }
  rules:
    - name: pages-ok
      when: request.resource.environment == 'github-pages'
      effect: allow
      message: the site deploys from GitHub Actions
`,
    );
  });
  afterAll(async () => github?.close());

  it('answers a signed deployment_protection_rule delivery with an approval sent as the App', async () => {
    const server = await spawnServe(
      [
        '--db',
        `sqlite:${join(dir, 'arbiter.db')}`,
        '--policies',
        policies,
        '--github-app-id',
        github.appId,
        '--github-private-key',
        keyPath,
        '--github-api-url',
        github.url,
      ],
      { cwd: dir, env: { GITHUB_WEBHOOK_SECRET: secret } },
    );
    try {
      const body = readFileSync(
        new URL('../fixtures/github/deployment_protection_rule.requested.json', import.meta.url),
        'utf8',
      ).replaceAll('https://api.github.com', github.url);
      const response = await fetch(`${server.url}/v1/integrations/github/webhook`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'deployment_protection_rule',
          'x-github-delivery': '0b989ba4-242f-11e5-81e1-c7b6966d2516',
          'x-hub-signature-256': githubSignature(secret, body),
        },
        body,
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ outcome: 'accepted' });
      await eventually(() => github.reviews().length === 1, 'the stand-in GitHub received the review');
      expect(github.reviews()[0]!.body).toMatchObject({
        environment_name: 'github-pages',
        state: 'approved',
      });
      expect(server.output()).not.toContain(github.privateKey.split('\n')[1]!);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });

  it('refuses to start without the key file or the webhook secret, saying which', () => {
    const noKey = arbiter(
      ['serve', '--port', '0', '--github-app-id', '1', '--db', `sqlite:${join(dir, 'x.db')}`],
      { cwd: dir },
    );
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain('--github-private-key');
    const noSecret = arbiter(
      [
        'serve',
        '--port',
        '0',
        '--github-app-id',
        '1',
        '--github-private-key',
        keyPath,
        '--db',
        `sqlite:${join(dir, 'x.db')}`,
      ],
      { cwd: dir, env: { GITHUB_WEBHOOK_SECRET: '' } },
    );
    expect(noSecret.code).toBe(2);
    expect(noSecret.stderr).toContain('$GITHUB_WEBHOOK_SECRET');
  });

  it('refuses to start with a key file that is not an RSA private key, or an --github-api-url that is not a URL', () => {
    const start = (key: string, apiUrl = 'https://api.github.com') =>
      arbiter(
        [
          'serve',
          '--github-app-id',
          '1',
          '--github-private-key',
          key,
          '--github-api-url',
          apiUrl,
          // The stand-in's port is taken: a server that wrongly started would fail at once, not listen.
          '--port',
          new URL(github.url).port,
          '--db',
          `sqlite:${join(dir, 'x.db')}`,
        ],
        { cwd: dir, env: { GITHUB_WEBHOOK_SECRET: secret } },
      );
    const notPem = join(dir, 'not-a-key.pem');
    writeFileSync(notPem, 'this is the webhook secret, pasted into the wrong file\n');
    const ecKey = join(dir, 'ec.pem');
    writeFileSync(
      ecKey,
      generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
        type: 'pkcs8',
        format: 'pem',
      }) as string,
    );
    // Every refused value is in test/cli/flag-values.test.ts; these show the binary refuses them.
    const garbage = start(notPem);
    expect(garbage.code).toBe(2);
    expect(garbage.stderr).toContain(`--github-private-key ${notPem} is not a PEM private key`);
    const wrongType = start(ecKey);
    expect(wrongType.code).toBe(2);
    expect(wrongType.stderr).toContain(`--github-private-key ${ecKey} is an ec key`);
    const badUrl = start(keyPath, 'https://api github.com');
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toContain('--github-api-url https://api github.com is not an http(s) URL');
  }, 180_000);

  it('Slack buttons: refuses to start when the named signing secret is not set, or the mapping is malformed', () => {
    const db = `sqlite:${join(dir, 'y.db')}`;
    const noSecret = arbiter(
      ['serve', '--port', '0', '--slack-signing-secret-env', 'SLACK_TEST_SECRET', '--db', db],
      { cwd: dir, env: { SLACK_TEST_SECRET: '' } },
    );
    expect(noSecret.code).toBe(2);
    expect(noSecret.stderr).toContain('$SLACK_TEST_SECRET');
    const mapping = join(dir, 'slack-users.yaml');
    writeFileSync(mapping, '- { team: T1, user: alice, email: alice@example.com }\n');
    const badMapping = arbiter(
      [
        'serve',
        '--port',
        '0',
        '--slack-signing-secret-env',
        'SLACK_TEST_SECRET',
        '--slack-users',
        mapping,
        '--db',
        db,
      ],
      { cwd: dir, env: { SLACK_TEST_SECRET: 'x' } },
    );
    expect(badMapping.code).toBe(2);
    expect(badMapping.stderr).toContain('entry 1 needs team (T…), user (U…)');
    const noBotToken = arbiter(
      [
        'serve',
        '--port',
        '0',
        '--slack-signing-secret-env',
        'SLACK_TEST_SECRET',
        '--slack-bot-token-env',
        'SLACK_TEST_BOT',
        '--db',
        db,
      ],
      { cwd: dir, env: { SLACK_TEST_SECRET: 'x', SLACK_TEST_BOT: '' } },
    );
    expect(noBotToken.code).toBe(2);
    expect(noBotToken.stderr).toContain('--slack-bot-token-env names $SLACK_TEST_BOT');
    const badApiUrl = arbiter(
      [
        'serve',
        '--port',
        '0',
        '--slack-signing-secret-env',
        'SLACK_TEST_SECRET',
        '--slack-api-url',
        'slack.com/api',
        '--db',
        db,
      ],
      { cwd: dir, env: { SLACK_TEST_SECRET: 'x' } },
    );
    expect(badApiUrl.code).toBe(2);
    expect(badApiUrl.stderr).toContain('--slack-api-url slack.com/api is not an http(s) URL');
    const badRetention = arbiter(['serve', '--port', '0', '--delivery-retention-days', '0', '--db', db], {
      cwd: dir,
    });
    expect(badRetention.code).toBe(2);
    expect(badRetention.stderr).toContain('--delivery-retention-days 0 must be a positive integer');
  }, 180_000);

  it('Slack with a bot token, as docs/integrations.md starts it: a click is looked up in the directory with the token', async () => {
    const calls: { path: string; authorization?: string }[] = [];
    const slack = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        calls.push({ path: request.url ?? '', authorization: request.headers.authorization });
        const body = JSON.parse(
          readFileSync(new URL('../fixtures/slack/users.info.json', import.meta.url), 'utf8'),
        );
        Object.assign(body.user, { id: 'U0DANA001', team_id: 'T0ARBITER' });
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify(request.url?.startsWith('/api/users.info') ? body : { ok: true }));
      });
    });
    await new Promise<void>((resolve) => slack.listen(0, '127.0.0.1', resolve));
    const slackUrl = `http://127.0.0.1:${(slack.address() as AddressInfo).port}`;
    const mapping = join(dir, 'slack-directory-groups.yaml');
    writeFileSync(mapping, '- { email: spengler@ghostbusters.example.com, groups: [sre] }\n');
    const server = await spawnServe(
      [
        '--db',
        `sqlite:${join(dir, 'slack.db')}`,
        '--policies',
        policies,
        '--slack-signing-secret-env',
        'SLACK_TEST_SECRET',
        '--slack-bot-token-env',
        'SLACK_TEST_BOT',
        '--slack-api-url',
        `${slackUrl}/api`,
        '--slack-users',
        mapping,
        '--delivery-retention-days',
        '30',
      ],
      { cwd: dir, env: { SLACK_TEST_SECRET: 'slack-e2e-secret', SLACK_TEST_BOT: 'xoxb-e2e-not-real' } },
    );
    try {
      const click = JSON.parse(
        readFileSync(new URL('../fixtures/slack/block_actions.json', import.meta.url), 'utf8'),
      );
      click.user.id = 'U0DANA001';
      click.actions[0].value = JSON.stringify({
        decision: 'dec_nothere',
        requestHash: `sha256:${'0'.repeat(64)}`,
      });
      const body = `payload=${encodeURIComponent(JSON.stringify(click))}`;
      const timestamp = String(Math.floor(Date.now() / 1000));
      const response = await fetch(`${server.url}/v1/integrations/slack/interactions`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-slack-request-timestamp': timestamp,
          'x-slack-signature': `v0=${createHmac('sha256', 'slack-e2e-secret').update(`v0:${timestamp}:${body}`).digest('hex')}`,
        },
        body,
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ outcome: 'refused' });
      expect(calls[0]).toEqual({
        path: '/api/users.info?user=U0DANA001',
        authorization: 'Bearer xoxb-e2e-not-real',
      });
      await eventually(
        () => calls.some((call) => call.path === '/api/chat.update'),
        'the message was updated',
      );
      expect(server.output()).not.toContain('xoxb-e2e-not-real');
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
      await new Promise<void>((resolve) => slack.close(() => resolve()));
    }
  });
});
