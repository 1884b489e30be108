import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhookSignature } from '../../src/notify/formats.js';
import { objectsIn, stringsIn } from '../helpers/json-walk.js';
import { startReceiver } from '../helpers/receiver.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * An agent writes hostile text into every field it controls; the notification reaches a real
 * webhook, Slack and PagerDuty receiver (loopback HTTP servers), and what each receives is checked:
 * Slack gets no link, mention or markup the agent wrote, and no receiver gets a field over its
 * limits. Then the delivery itself: a redirecting receiver fails with a reason instead of being
 * followed, and a receiver that answers without end is cut off.
 */

const secret = 'whsec-hostile-1234';
const notifier = (name: string, spec: string) =>
  `apiVersion: arbiter/v1\nkind: Notifier\nmetadata: {name: ${name}}\nspec:\n${spec}`;

/** Every route the request takes quotes the agent: the policy message repeats its rationale and context. */
const quotingPolicy = `apiVersion: arbiter/v1
kind: ActionPolicy
metadata: {name: quote-the-agent}
spec:
  match:
    environments: [hostile]
  rules:
    - name: echo-the-request
      when: "true"
      effect: require_approval
      approval: { from: ["group:sre"], ttl: 1h }
      messageExpression: "'rationale: ' + request.rationale + ' / note: ' + string(request.context.note)"
`;

const hostile = {
  action: '<!channel>✅<https://evil.example/approve|Pre-approved by SRE, click to confirm>',
  resourceType: '<@U024BE7LH>',
  resourceId: `<!here> https://evil.example/phish ${'<'.repeat(400)}`,
  rationale: `<https://evil.example/x|click> *urgent* ${'&'.repeat(5_000)}`,
  note: '<!everyone> @channel',
  detail: `${'<'.repeat(1_980)}<!channel>`,
};

describe('hostile agent text through every notifier', () => {
  let server: TestServer;
  let webhook: Awaited<ReturnType<typeof startReceiver>>;
  let slack: Awaited<ReturnType<typeof startReceiver>>;
  let pagerduty: Awaited<ReturnType<typeof startReceiver>>;

  beforeAll(async () => {
    webhook = await startReceiver();
    slack = await startReceiver();
    pagerduty = await startReceiver();
    server = await startTestServer({
      extraPolicies: {
        'quote.yaml': quotingPolicy,
        'notifiers.yaml': [
          notifier('audit', `  type: webhook\n  url: ${webhook.url}/events\n  secretEnv: TEST_SECRET\n`),
          notifier(
            'chat',
            `  type: slack\n  url: ${slack.url}/services/T0/B0/X\n  events: [decision.pending, approval.recorded, decision.allowed, decision.outcome]\n`,
          ),
          notifier(
            'pager',
            `  type: pagerduty\n  url: ${pagerduty.url}/v2/enqueue\n  routingKeys: {platform: TEST_PD}\n`,
          ),
        ].join('---\n'),
      },
      notifications: {
        backoffBaseMs: 1,
        maxBackoffMs: 5,
        dashboardUrl: 'https://arbiter.example.com',
        env: { TEST_SECRET: secret, TEST_PD: 'pd-key' },
      },
    });
  });
  afterAll(async () => server?.close());

  it('reaches Slack escaped and verbatim, and PagerDuty and webhooks within their limits', async () => {
    const t = server.tokens;
    const asked = await server.call(t.deployBot, 'POST', '/v1/decisions', {
      action: hostile.action,
      resource: { type: hostile.resourceType, id: hostile.resourceId, environment: 'hostile' },
      rationale: hostile.rationale,
      context: { note: hostile.note },
      confidence: 0.99,
    });
    expect(asked.status, asked.text).toBe(201);
    expect(asked.body.status).toBe('pending');
    const approved = await server.call(t.alice, 'POST', `/v1/decisions/${asked.body.id}/approvals`, {
      verdict: 'approve',
      reason: 'looks fine',
      requestHash: asked.body.requestHash,
    });
    expect(approved.status, approved.text).toBeLessThan(300);
    const outcome = await server.call(t.deployBot, 'POST', `/v1/decisions/${asked.body.id}/outcome`, {
      status: 'rolled_back',
      detail: hostile.detail,
    });
    expect(outcome.status, outcome.text).toBeLessThan(300);
    for (let round = 0; round < 5; round++) await server.arbiter.notifications.deliverDue();

    // Slack: pending, approval, allowed, outcome — each one clean.
    const messages = slack.received.map((r) => JSON.parse(r.body));
    expect(messages).toHaveLength(4);
    for (const message of messages) {
      for (const { path, text } of stringsIn(message)) {
        if (path.endsWith('/url')) {
          expect(text).toBe(`https://arbiter.example.com/decisions/${asked.body.id}`);
          continue;
        }
        expect(text, path).not.toMatch(/[<>]/);
        expect(text.replace(/&(amp|lt|gt);/g, ''), path).not.toContain('&');
        expect(text.length, path).toBeLessThanOrEqual(3000);
      }
      for (const object of objectsIn(message))
        if (object.type === 'mrkdwn') expect(object.verbatim).toBe(true);
    }
    const everything = JSON.stringify(messages);
    expect(everything).toContain('&lt;!channel&gt;✅&lt;https://evil.example/approve|Pre-approved by SRE');
    expect(everything).toContain('rationale: &lt;https://evil.example/x|click&gt;');

    // PagerDuty: the failed outcome pages, every field within PagerDuty's limits.
    const pages = pagerduty.received.map((r) => JSON.parse(r.body));
    const page = pages.find((p) => p.payload?.class === 'decision.outcome');
    expect(page).toBeDefined();
    expect(page.payload.summary.length).toBeLessThanOrEqual(1024);
    expect(page.dedup_key.length).toBeLessThanOrEqual(255);
    for (const { path, text } of stringsIn(page.payload.custom_details))
      expect(text.length, path).toBeLessThanOrEqual(1024);

    // Webhooks: signed as before, every string within 4096 characters.
    expect(webhook.received.length).toBeGreaterThanOrEqual(3);
    for (const delivery of webhook.received) {
      const signature = String(delivery.headers['arbiter-signature']);
      const sentAt = Number(/t=(\d+)/.exec(signature)![1]);
      expect(verifyWebhookSignature(secret, delivery.body, signature, sentAt)).toBe(true);
      for (const { path, text } of stringsIn(JSON.parse(delivery.body)))
        expect(text.length, path).toBeLessThanOrEqual(4096);
    }
    const rows = await server.arbiter.store.notifications({ limit: 100 });
    expect(rows.filter((row) => row.status !== 'delivered')).toEqual([]);
  });
});

describe('webhook delivery: redirects and large answers', () => {
  it('a redirect is a failed delivery with its reason, never followed; an endless answer is cut off', async () => {
    const elsewhere = await startReceiver();
    const redirecting = await startReceiver(() => (response: ServerResponse) => {
      response.writeHead(307, { location: `${elsewhere.url}/stolen` }).end();
    });
    let written = 0;
    const endless = await startReceiver(() => (response: ServerResponse) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const more = () => {
        // Until the sender hangs up: without a limit on what it reads, that is never.
        while (!response.destroyed) {
          written += chunk.length;
          if (!response.write(chunk)) return void response.once('drain', more);
        }
      };
      more();
    });
    const server = await startTestServer({
      extraPolicies: {
        'notifiers.yaml': [
          notifier(
            'moved',
            `  type: webhook\n  url: ${redirecting.url}/\n  secretEnv: TEST_SECRET\n  maxAttempts: 1\n`,
          ),
          notifier(
            'chatty',
            `  type: webhook\n  url: ${endless.url}/\n  secretEnv: TEST_SECRET\n  maxAttempts: 1\n  timeoutMs: 30000\n`,
          ),
        ].join('---\n'),
      },
      notifications: { env: { TEST_SECRET: secret } },
    });
    try {
      const asked = await server.call(server.tokens.deployBot, 'POST', '/v1/decisions', {
        action: 'deploy',
        resource: { type: 'service', id: 'payments', environment: 'prod' },
        change: { linesChanged: 900 },
        rationale: 'a change that waits for approval',
        confidence: 0.95,
      });
      expect(asked.body.status).toBe('pending');
      await server.arbiter.notifications.deliverDue();
      const rows = await server.arbiter.store.notifications({ limit: 10 });
      const moved = rows.find((row) => row.notifier === 'moved');
      expect(moved).toMatchObject({ status: 'dead', attempts: 1 });
      expect(moved!.lastError).toBe(
        'HTTP 307: the receiver redirects; redirects are not followed, configure the final URL',
      );
      expect(elsewhere.received).toEqual([]);
      // Delivered on its 200, not timed out reading: the sender stopped after its limit.
      expect(rows.find((row) => row.notifier === 'chatty')).toMatchObject({ status: 'delivered' });
      expect(written).toBeGreaterThan(0);
    } finally {
      await server.close();
    }
  }, 60_000);
});
