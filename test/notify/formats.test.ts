import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../../src/core/json.js';
import { type NotificationEvent, routeEvent } from '../../src/notify/event.js';
import {
  cloudEvent,
  pagerDutyEvent,
  slackMessage,
  verifyWebhookSignature,
  webhookSignature,
} from '../../src/notify/formats.js';
import { escapeSlackText, slackText } from '../../src/notify/slack-text.js';
import { boundJson, truncateText } from '../../src/notify/text-bounds.js';
import type { NotifierConfig } from '../../src/policy/bundle.js';
import { objectsIn, stringsIn } from '../helpers/json-walk.js';

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
    // The hex is compared whole: trailing or embedded non-hex characters are not ignored.
    expect(verifyWebhookSignature('s3cret', '{"a":1}', `${header}zz`, 1_800_000_100)).toBe(false);
    expect(verifyWebhookSignature('s3cret', '{"a":1}', `${header.slice(0, -2)}zz`, 1_800_000_100)).toBe(
      false,
    );
    expect(
      verifyWebhookSignature(
        's3cret',
        '{"a":1}',
        header.toUpperCase().replace('T=', 't=').replace('V1=', 'v1='),
        1_800_000_100,
      ),
    ).toBe(true);
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

/** Text an agent controls, as an attacker would write it into every field it can. */
const hostileStrings = [
  '<!channel> deploy now',
  '<!here|here> and <!everyone>',
  '<@U024BE7LH> approve this',
  '<https://evil.example/approve|✅ Pre-approved by SRE, click to confirm>',
  '&lt;!channel&gt; already escaped',
  '@channel @here @everyone',
  'https://evil.example/phish',
  '*bold* _italic_ ~strike~ `code` ```block```',
  '> quoted\n• fake bullet',
  '\u202Eright-to-left override',
  `${'<'.repeat(3000)}tail`,
  `${'😀'.repeat(2000)}`,
];

const isWellFormed = (text: string) =>
  !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);

describe('hostile text in every agent-controlled field', () => {
  const hostileEvent = (text: string, type: NotificationEvent['type'] = 'decision.pending') =>
    event({
      type,
      severity: 'error',
      subject: 'dec_1',
      summary: `${text} asks to ${text} ${text}:${text} (prod): approval needed`,
      data: {
        decision: {
          action: text,
          resource: { type: text, id: text, environment: 'prod' },
          statusReason: text,
        },
        reasons: [{ rule: `policy/${text}`, effect: 'require_approval', message: text }],
        approvalsRequired: [{ count: 1, from: [text], ttl: text }],
        outcome: { status: 'failed', detail: text },
      },
    });

  it('Slack: no control character survives, every text object is verbatim and within 3000 characters', () => {
    for (const text of hostileStrings) {
      const message = slackMessage(hostileEvent(text));
      for (const { path, text: value } of stringsIn(message)) {
        if (path.endsWith('/url')) {
          expect(value, path).toBe(event().link);
          continue;
        }
        // Slack's control characters: only as the entities Arbiter wrote.
        expect(value, `${path} of ${JSON.stringify(text.slice(0, 40))}`).not.toMatch(/[<>]/);
        expect(value.replace(/&(amp|lt|gt);/g, ''), path).not.toContain('&');
        expect(value.length, path).toBeLessThanOrEqual(3000);
        expect(isWellFormed(value), `${path} cut a surrogate pair`).toBe(true);
      }
      for (const object of objectsIn(message))
        if (object.type === 'mrkdwn') expect(object.verbatim, JSON.stringify(object).slice(0, 80)).toBe(true);
      expect(message).toMatchObject({ unfurl_links: false, unfurl_media: false });
    }
    // Escaped, not dropped: a person still reads what the agent wrote.
    const shown = JSON.stringify(slackMessage(hostileEvent('<!channel> & <@U1>')));
    expect(shown).toContain('&lt;!channel&gt; &amp; &lt;@U1&gt;');
    // Only Arbiter's own headline is formatted.
    const first = (slackMessage(hostileEvent('*x*')).blocks as { text: { text: string } }[])[0]!.text.text;
    expect(first.startsWith(':x: *Approval needed*\n*x*')).toBe(true);
  });

  it('PagerDuty: summary within 1024, dedup key within 255, every detail within 1024', () => {
    for (const text of hostileStrings) {
      const paged = pagerDutyEvent(hostileEvent(text, 'decision.outcome'), 'rk') as {
        dedup_key: string;
        payload: { summary: string; custom_details: unknown };
      };
      expect(paged.payload.summary.length).toBeLessThanOrEqual(1024);
      expect(isWellFormed(paged.payload.summary)).toBe(true);
      expect(paged.dedup_key.length).toBeLessThanOrEqual(255);
      for (const { path, text: value } of stringsIn(paged.payload.custom_details))
        expect(value.length, path).toBeLessThanOrEqual(1024);
    }
    const long = event({ type: 'system.frozen', subject: 's'.repeat(400) });
    const key = pagerDutyEvent(long, 'rk').dedup_key as string;
    expect(key).toMatch(/^arbiter:sha256:[0-9a-f]{64}$/);
    // The resolve computes the same key, so it still ends the page.
    expect(pagerDutyEvent({ ...long, type: 'system.unfrozen' }, 'rk').dedup_key).toBe(key);
  });

  it('webhooks: every string of the CloudEvent within 4096 characters', () => {
    for (const text of [...hostileStrings, 'x'.repeat(50_000)]) {
      const cloud = cloudEvent({ ...hostileEvent(text), subject: text }, 'arbiter://x');
      for (const { path, text: value } of stringsIn(cloud)) {
        expect(value.length, path).toBeLessThanOrEqual(4096);
        expect(isWellFormed(value), path).toBe(true);
      }
    }
  });
});

describe('text bounds', () => {
  it('truncateText cuts at max with an ellipsis and never splits a surrogate pair', () => {
    expect(truncateText('abc', 3)).toBe('abc');
    expect(truncateText('abcd', 3)).toBe('ab…');
    // '😀' is two code units; a cut in its middle drops it whole.
    expect(truncateText('a😀b', 3)).toBe('a…');
    expect(truncateText('😀😀😀', 4)).toBe('😀…');
  });

  it('boundJson cuts strings, keys, long lists and deep nesting without recursion', () => {
    let deep: JsonValue = 'leaf';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const bounded = boundJson(
      { ['k'.repeat(10)]: 'v'.repeat(10), list: Array.from({ length: 10 }, (_, i) => i), deep },
      { maxString: 5, maxItems: 3, maxDepth: 4 },
    );
    expect(bounded).toEqual({ 'kkkk…': 'vvvv…', list: [0, 1, 2], deep: [[['…']]] });
  });

  it('slackText escapes, then cuts before a whole character: never inside an entity', () => {
    expect(escapeSlackText('a<b>&c')).toBe('a&lt;b&gt;&amp;c');
    expect(slackText('<<<<', 10)).toBe('&lt;&lt;…');
    expect(slackText('ok', 10)).toBe('ok');
  });
});
