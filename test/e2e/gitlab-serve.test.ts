import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arbiter } from '../helpers/cli.js';
import { blockedEntry, GitLabApiStandIn, webDeployerSystem } from '../helpers/gitlab-api.js';
import { eventually } from '../helpers/raw-http.js';
import { spawnServe } from '../helpers/serve-process.js';
import { tempDir } from '../helpers/temp.js';

/**
 * `arbiter serve` answering GitLab deployment approvals, started with the flags
 * docs/integrations.md prints: the background poller finds a blocked deployment on the stand-in
 * GitLab API and the outbox approves it; a webhook delivery with the secret token is accepted.
 */

const secret = 'gitlab-e2e-secret-not-real';
const dir = tempDir('arbiter-gitlab-serve-');
const policies = join(dir, 'policies');

describe('arbiter serve --gitlab-token-env', () => {
  let gitlab: GitLabApiStandIn;

  beforeAll(async () => {
    gitlab = await new GitLabApiStandIn().start();
    mkdirSync(policies);
    writeFileSync(
      join(policies, 'gitlab.yaml'),
      `${webDeployerSystem('acme/web')}---
apiVersion: arbiter/v1
kind: ActionPolicy
metadata: { name: gitlab-deploys }
spec:
  match: { actions: [deploy] }
  rules:
    - name: production-ok
      when: request.resource.environment == 'production'
      effect: allow
      message: production deploys from GitLab CI
`,
    );
  });
  afterAll(async () => gitlab?.close());

  it('polls the blocked deployments and approves one as the token user; takes webhook deliveries', async () => {
    gitlab.blocked.set('acme/web', [blockedEntry(42, 'production')]);
    const server = await spawnServe(
      [
        '--db',
        `sqlite:${join(dir, 'arbiter.db')}`,
        '--policies',
        policies,
        '--gitlab-url',
        gitlab.url,
        '--gitlab-token-env',
        'GITLAB_TOKEN',
        '--gitlab-webhook-secret-env',
        'GITLAB_WEBHOOK_SECRET',
        '--gitlab-poll-interval',
        '1',
      ],
      { cwd: dir, env: { GITLAB_TOKEN: gitlab.token, GITLAB_WEBHOOK_SECRET: secret } },
    );
    try {
      await eventually(() => gitlab.approvals().length === 1, 'the stand-in GitLab received the approval');
      expect(gitlab.approvals()[0]).toMatchObject({
        path: '/api/v4/projects/acme%2Fweb/deployments/42/approval',
        body: { status: 'approved' },
      });
      const body = readFileSync(
        new URL('../fixtures/gitlab/deployment_hook.success.json', import.meta.url),
        'utf8',
      ).replaceAll('root/test-deployment-webhooks', 'acme/web');
      const response = await fetch(`${server.url}/v1/integrations/gitlab/webhook`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-gitlab-event': 'Deployment Hook',
          'x-gitlab-token': secret,
          'idempotency-key': 'f5e5f430-f57b-4e6e-9fac-d9128cd7232f',
        },
        body,
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ outcome: 'ignored' });
      expect(server.output()).not.toContain(gitlab.token);
      expect(server.output()).not.toContain(secret);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });

  it('refuses to start when a named variable is not set, or polling and webhooks are both off', () => {
    const db = `sqlite:${join(dir, 'x.db')}`;
    const noToken = arbiter(['serve', '--port', '0', '--gitlab-token-env', 'GITLAB_TEST_TOKEN', '--db', db], {
      cwd: dir,
      env: { GITLAB_TEST_TOKEN: '' },
    });
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toContain('--gitlab-token-env names $GITLAB_TEST_TOKEN, which is not set');
    const noSecret = arbiter(
      [
        'serve',
        '--port',
        '0',
        '--gitlab-token-env',
        'GITLAB_TEST_TOKEN',
        '--gitlab-webhook-secret-env',
        'GITLAB_TEST_SECRET',
        '--db',
        db,
      ],
      { cwd: dir, env: { GITLAB_TEST_TOKEN: 'x', GITLAB_TEST_SECRET: '' } },
    );
    expect(noSecret.code).toBe(2);
    expect(noSecret.stderr).toContain('$GITLAB_TEST_SECRET');
    const blind = arbiter(
      [
        'serve',
        '--port',
        '0',
        '--gitlab-token-env',
        'GITLAB_TEST_TOKEN',
        '--gitlab-poll-interval',
        '0',
        '--db',
        db,
      ],
      { cwd: dir, env: { GITLAB_TEST_TOKEN: 'x' } },
    );
    expect(blind.code).toBe(2);
    expect(blind.stderr).toContain('--gitlab-poll-interval 0 needs webhooks');
    const badSigning = arbiter(
      [
        'serve',
        '--port',
        '0',
        '--gitlab-token-env',
        'GITLAB_TEST_TOKEN',
        '--gitlab-signing-token-env',
        'GITLAB_TEST_SIGNING',
        '--db',
        db,
      ],
      { cwd: dir, env: { GITLAB_TEST_TOKEN: 'x', GITLAB_TEST_SIGNING: 'not-a-signing-token' } },
    );
    expect(badSigning.code).toBe(2);
    expect(badSigning.stderr).toContain('is not a GitLab signing token');
  });

  it('refuses to start with a --gitlab-url that is not a URL, or a poll interval that is not a whole number of seconds', () => {
    const start = (flags: string[]) =>
      arbiter(
        [
          'serve',
          '--gitlab-token-env',
          'GITLAB_TEST_TOKEN',
          '--gitlab-webhook-secret-env',
          'GITLAB_TEST_SECRET',
          ...flags,
          // The stand-in's port is taken: a server that wrongly started would fail at once, not listen.
          '--port',
          new URL(gitlab.url).port,
          '--db',
          `sqlite:${join(dir, 'x.db')}`,
        ],
        { cwd: dir, env: { GITLAB_TEST_TOKEN: 'x', GITLAB_TEST_SECRET: 'y' } },
      );
    // Every refused value is in test/cli/flag-values.test.ts; these show the binary refuses them.
    const badUrl = start(['--gitlab-url', 'https://git lab.example.com']);
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toContain('--gitlab-url https://git lab.example.com is not an http(s) URL');
    for (const interval of ['-5', 'soon']) {
      const refused = start(['--gitlab-poll-interval', interval]);
      expect(refused.code, interval).toBe(2);
      expect(refused.stderr).toContain(
        `--gitlab-poll-interval ${interval} must be a whole number of seconds from 1 to 86400 (0: off)`,
      );
    }
  }, 180_000);

  it('--help lists the GitLab flags', () => {
    const help = arbiter(['serve', '--help']);
    for (const flag of [
      '--gitlab-token-env',
      '--gitlab-url',
      '--gitlab-webhook-secret-env',
      '--gitlab-signing-token-env',
      '--gitlab-poll-interval',
    ])
      expect(help.stdout).toContain(flag);
  });
});
