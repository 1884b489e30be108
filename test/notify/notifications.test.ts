import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhookSignature } from '../../src/notify/formats.js';
import { startReceiver } from '../helpers/receiver.js';
import { deploy, startTestServer, type TestServer } from '../helpers/server.js';

const secret = 'whsec-test-1234';
let server: TestServer;
let webhook: Awaited<ReturnType<typeof startReceiver>>;
let slack: Awaited<ReturnType<typeof startReceiver>>;
let pagerduty: Awaited<ReturnType<typeof startReceiver>>;
let flaky: Awaited<ReturnType<typeof startReceiver>>;
let broken: Awaited<ReturnType<typeof startReceiver>>;
let hanging: Awaited<ReturnType<typeof startReceiver>>;

const notifier = (name: string, spec: string) =>
  `apiVersion: arbiter/v1\nkind: Notifier\nmetadata: {name: ${name}}\nspec:\n${spec}`;

beforeAll(async () => {
  webhook = await startReceiver();
  slack = await startReceiver();
  pagerduty = await startReceiver();
  flaky = await startReceiver((_, count) => (count <= 2 ? 503 : 200));
  broken = await startReceiver(() => 500);
  hanging = await startReceiver(() => 'hang');
  server = await startTestServer({
    extraPolicies: {
      'notifiers.yaml': [
        notifier(
          'audit-webhook',
          `  type: webhook\n  url: ${webhook.url}/events\n  secretEnv: TEST_WEBHOOK_SECRET\n`,
        ),
        notifier('platform-slack', `  type: slack\n  urlEnv: TEST_SLACK_URL\n  teams: [platform]\n`),
        notifier(
          'oncall-pager',
          `  type: pagerduty\n  url: ${pagerduty.url}/v2/enqueue\n  routingKeys: {platform: TEST_PD_PLATFORM}\n`,
        ),
        notifier(
          'flaky-webhook',
          `  type: webhook\n  url: ${flaky.url}/\n  secretEnv: TEST_WEBHOOK_SECRET\n  events: [decision.pending]\n  maxAttempts: 5\n`,
        ),
        notifier(
          'broken-webhook',
          `  type: webhook\n  url: ${broken.url}/\n  secretEnv: TEST_WEBHOOK_SECRET\n  events: [decision.pending]\n  maxAttempts: 2\n`,
        ),
        notifier(
          'hanging-webhook',
          `  type: webhook\n  url: ${hanging.url}/\n  secretEnv: TEST_WEBHOOK_SECRET\n  events: [decision.pending]\n  timeoutMs: 300\n  maxAttempts: 1\n`,
        ),
      ].join('---\n'),
    },
    notifications: {
      backoffBaseMs: 1,
      maxBackoffMs: 5,
      dashboardUrl: 'https://arbiter.example.com',
      env: {
        TEST_WEBHOOK_SECRET: secret,
        TEST_SLACK_URL: `${slack.url}/services/T000/B000/XXXX`,
        TEST_PD_PLATFORM: 'pd-routing-platform',
      },
    },
  });
});
afterAll(async () => {
  await server?.close();
});

/** Drains the outbox the way the background sender does, until nothing is due. */
async function drain(rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    await server.arbiter.notifications.deliverDue();
    // Retries are due on Arbiter's clock, which the test controls.
    server.clock.advance(1_000);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('notifications', () => {
  it('a pending decision reaches the webhook as a signed CloudEvent and Slack with a link to approve', async () => {
    const decision = (
      await server.call(
        server.tokens.deployBot,
        'POST',
        '/v1/decisions',
        deploy({ change: { linesChanged: 900 } }),
      )
    ).body;
    // The hanging receiver cannot slow the decision down: notifications are sent afterwards,
    // so when the decision answers, no receiver has been called yet.
    expect(hanging.received).toHaveLength(0);
    expect(decision.status).toBe('pending');
    await drain();

    const event = webhook.received.find(
      (r) =>
        JSON.parse(r.body).subject === decision.id &&
        JSON.parse(r.body).type === 'dev.arbiter.decision.pending',
    );
    expect(event).toBeDefined();
    expect(event!.headers['content-type']).toBe('application/cloudevents+json');
    const signed = String(event!.headers['arbiter-signature']);
    const sentAt = Number(/t=(\d+)/.exec(signed)![1]);
    expect(verifyWebhookSignature(secret, event!.body, signed, sentAt + 30)).toBe(true);
    expect(verifyWebhookSignature('wrong', event!.body, signed, sentAt)).toBe(false);
    expect(verifyWebhookSignature(secret, event!.body.replace('pending', 'allowed'), signed, sentAt)).toBe(
      false,
    );
    expect(verifyWebhookSignature(secret, event!.body, signed, sentAt + 3600)).toBe(false);
    const cloud = JSON.parse(event!.body);
    expect(cloud).toMatchObject({
      specversion: '1.0',
      source: `arbiter://${server.arbiter.ledger.origin}`,
      subject: decision.id,
      team: 'platform',
      data: {
        decision: { id: decision.id, status: 'pending', action: 'deploy', actor: 'system:deploy-bot' },
        link: `https://arbiter.example.com/decisions/${decision.id}`,
      },
    });

    const message = slack.received.find((r) => r.body.includes(decision.id));
    expect(message?.path).toBe('/services/T000/B000/XXXX');
    const blocks = JSON.parse(message!.body).blocks;
    expect(JSON.stringify(blocks)).toContain('prod-deploys/needs-sre');
    expect(blocks.at(-1).elements[0]).toMatchObject({
      type: 'button',
      url: `https://arbiter.example.com/decisions/${decision.id}`,
    });
  });

  it('retries with backoff until a flaky receiver takes it', async () => {
    await drain(20);
    const rows = await server.arbiter.store.notifications({ limit: 500 });
    const flakyRow = rows.find((row) => row.notifier === 'flaky-webhook');
    expect(flakyRow).toMatchObject({ status: 'delivered', attempts: 3 });
    expect(flaky.received).toHaveLength(3);
  });

  it('dead-letters after maxAttempts and records it in the ledger and metrics', async () => {
    await drain(20);
    const rows = await server.arbiter.store.notifications({ status: 'dead', limit: 500 });
    expect(rows.map((row) => row.notifier).sort()).toEqual(['broken-webhook', 'hanging-webhook']);
    expect(rows.find((row) => row.notifier === 'broken-webhook')).toMatchObject({
      attempts: 2,
      lastError: 'HTTP 500',
    });
    expect(rows.find((row) => row.notifier === 'hanging-webhook')?.lastError).toBe('no answer within 300 ms');
    const entries = (await server.call(server.tokens.erin, 'GET', '/v1/ledger/entries?start=0&end=1000')).body
      .entries;
    expect(
      entries.filter((e: { entry: { type: string } }) => e.entry.type === 'notification.dead'),
    ).toHaveLength(2);
    const metrics = (await server.call(undefined, 'GET', '/metrics')).text;
    expect(metrics).toMatch(/arbiter_notifications_total\{notifier="broken-webhook",outcome="dead"\} 1/);
    expect(metrics).toMatch(/arbiter_notifications_dead 2/);
  });

  it('routes by owner team: Slack for platform does not hear about the data team', async () => {
    const before = slack.received.length;
    const migration = (
      await server.call(server.tokens.migrateBot, 'POST', '/v1/decisions', {
        action: 'db.migrate',
        resource: { type: 'database', id: 'orders', environment: 'prod' },
        rationale: 'add an index',
      })
    ).body;
    expect(migration.status).toBe('pending');
    await drain();
    expect(slack.received.length).toBe(before);
    expect(webhook.received.some((r) => JSON.parse(r.body).subject === migration.id)).toBe(true);
  });

  it('pages the owner team through PagerDuty when the kill switch is pulled, and resolves when released', async () => {
    await server.call(server.tokens.paul, 'POST', '/v1/systems/deploy-bot/freeze', {
      reason: 'INC-7 bad deploys',
    });
    await server.call(server.tokens.paul, 'POST', '/v1/systems/deploy-bot/unfreeze', {
      reason: 'INC-7 resolved',
    });
    await drain();
    const events = pagerduty.received.map((r) => JSON.parse(r.body));
    const trigger = events.find((e) => e.event_action === 'trigger' && e.payload.class === 'system.frozen');
    expect(trigger).toMatchObject({
      routing_key: 'pd-routing-platform',
      dedup_key: 'arbiter:system:deploy-bot:frozen',
      payload: {
        severity: 'error',
        component: 'deploy-bot',
        group: 'platform',
        summary: 'deploy-bot was frozen by user:paul: INC-7 bad deploys',
      },
    });
    // Unfreezing is "info" (below the pager's default minimum "error"), so it does not page; a resolve would.
    expect(pagerduty.received.every((r) => r.path === '/v2/enqueue')).toBe(true);
  });

  it('pages on a failed production outcome', async () => {
    server.clock.advance(3 * 60 * 60 * 1000);
    const decision = (
      await server.call(
        server.tokens.deployBot,
        'POST',
        '/v1/decisions',
        deploy({ resource: { type: 'service', id: 'search', environment: 'prod' } }),
      )
    ).body;
    expect(decision.status).toBe('allowed');
    await server.call(server.tokens.deployBot, 'POST', `/v1/decisions/${decision.id}/outcome`, {
      status: 'rolled_back',
      detail: 'error rate 12%',
    });
    await drain();
    const paged = pagerduty.received
      .map((r) => JSON.parse(r.body))
      .find((e) => e.dedup_key === `arbiter:${decision.id}`);
    expect(paged).toMatchObject({
      event_action: 'trigger',
      payload: { severity: 'error', class: 'decision.outcome' },
    });
    expect(paged.payload.summary).toContain('rolled back: error rate 12%');
  });

  it('a webhook whose secret is not set is never sent unsigned: its deliveries fail with the reason', async () => {
    const receiver = await startReceiver();
    const other = await startTestServer({
      extraPolicies: {
        'notifiers.yaml': notifier(
          'unsigned',
          `  type: webhook\n  url: ${receiver.url}/\n  secretEnv: NOT_SET_ANYWHERE\n  maxAttempts: 1\n`,
        ),
      },
      notifications: { env: {} },
    });
    try {
      await other.call(other.tokens.deployBot, 'POST', '/v1/decisions', deploy());
      await other.arbiter.notifications.deliverDue();
      const [row] = await other.arbiter.store.notifications({ limit: 10 });
      expect(row).toMatchObject({
        status: 'dead',
        lastError: 'the webhook secret NOT_SET_ANYWHERE is not set in the environment',
      });
      expect(receiver.received).toEqual([]);
    } finally {
      await other.close();
    }
  });
});
