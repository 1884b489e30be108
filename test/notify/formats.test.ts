import { describe, expect, it } from 'vitest';
import { type NotificationEvent, routeEvent } from '../../src/notify/event.js';
import {
  cloudEvent,
  pagerDutyEvent,
  slackMessage,
  verifyWebhookSignature,
  webhookSignature,
} from '../../src/notify/formats.js';
import type { NotifierConfig } from '../../src/policy/bundle.js';

const event = (overrides: Partial<NotificationEvent> = {}): NotificationEvent => ({
  id: 'evt_1',
  type: 'decision.pending',
  time: '2026-11-23T12:00:00.000Z',
  subject: 'dec_1',
  severity: 'info',
  team: 'platform',
  systemId: 'deploy-bot',
  summary: 'deploy-bot asks to deploy service:payments (prod): approval needed',
  link: 'https://arbiter.example/decisions/dec_1',
  data: {
    reasons: [{ rule: 'prod-deploys/needs-sre', message: 'big change' }],
    approvalsRequired: [{ count: 2, from: ['group:sre', 'owner'], ttl: '1h' }],
  },
  ...overrides,
});

const notifier = (overrides: Partial<NotifierConfig>): NotifierConfig => ({
  name: 'n',
  type: 'webhook',
  routingKeys: {},
  events: ['decision.pending', 'system.frozen'],
  minSeverity: 'info',
  maxAttempts: 3,
  timeoutMs: 1000,
  ...overrides,
});

describe('routing', () => {
  it('matches event type, owner team and minimum severity', () => {
    const notifiers = [
      notifier({ name: 'all' }),
      notifier({ name: 'platform-only', teams: ['platform'] }),
      notifier({ name: 'data-only', teams: ['data'] }),
      notifier({ name: 'errors-only', minSeverity: 'error' }),
      notifier({ name: 'frozen-only', events: ['system.frozen'] }),
    ];
    expect(routeEvent(notifiers, event()).map((n) => n.name)).toEqual(['all', 'platform-only']);
    expect(
      routeEvent(notifiers, event({ type: 'system.frozen', severity: 'error' })).map((n) => n.name),
    ).toEqual(['all', 'platform-only', 'errors-only', 'frozen-only']);
    const { team: _, ...teamless } = event();
    expect(routeEvent(notifiers, teamless).map((n) => n.name)).toEqual(['all']);
  });
});

describe('formats', () => {
  it('CloudEvents 1.0 with the Arbiter type prefix', () => {
    expect(cloudEvent(event(), 'arbiter://arbiter.local/x')).toMatchObject({
      specversion: '1.0',
      id: 'evt_1',
      source: 'arbiter://arbiter.local/x',
      type: 'dev.arbiter.decision.pending',
      subject: 'dec_1',
      datacontenttype: 'application/json',
      data: { summary: event().summary, link: event().link },
    });
  });

  it('signs timestamp and body with HMAC-SHA256 and verifies within the tolerance only', () => {
    const header = webhookSignature('s3cret', '{"a":1}', 1_800_000_000);
    expect(header).toMatch(/^t=1800000000,v1=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature('s3cret', '{"a":1}', header, 1_800_000_100)).toBe(true);
    expect(verifyWebhookSignature('s3cret', '{"a":2}', header, 1_800_000_100)).toBe(false);
    expect(verifyWebhookSignature('s3cret', '{"a":1}', header, 1_800_001_000)).toBe(false);
    expect(verifyWebhookSignature('s3cret', '{"a":1}', 'garbage', 1_800_000_000)).toBe(false);
  });

  it('Slack: summary, reasons, approvals needed and a primary button to review', () => {
    const message = slackMessage(event()) as {
      text: string;
      blocks: { type: string; text?: { text: string }; elements?: unknown[] }[];
    };
    expect(message.text).toBe(event().summary);
    expect(message.blocks[1]!.text!.text).toContain('`prod-deploys/needs-sre` big change');
    expect(message.blocks[1]!.text!.text).toContain('needs 2 approval(s) from group:sre and owner within 1h');
    expect(message.blocks.at(-1)!.elements![0]).toMatchObject({
      type: 'button',
      style: 'primary',
      url: event().link,
    });
  });

  it('PagerDuty: trigger with payload, resolve with the same dedup key', () => {
    const trigger = pagerDutyEvent(
      event({ type: 'system.frozen', subject: 'deploy-bot', severity: 'error' }),
      'rk',
    );
    expect(trigger).toMatchObject({
      routing_key: 'rk',
      event_action: 'trigger',
      dedup_key: 'arbiter:system:deploy-bot:frozen',
      payload: {
        source: 'arbiter',
        severity: 'error',
        component: 'deploy-bot',
        group: 'platform',
        class: 'system.frozen',
      },
    });
    const resolve = pagerDutyEvent(event({ type: 'system.unfrozen', subject: 'deploy-bot' }), 'rk');
    expect(resolve).toEqual({
      routing_key: 'rk',
      event_action: 'resolve',
      dedup_key: 'arbiter:system:deploy-bot:frozen',
    });
  });
});
