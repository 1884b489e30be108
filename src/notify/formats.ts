import { createHmac, timingSafeEqual } from 'node:crypto';
import type { JsonObject } from '../core/json.js';
import type { NotificationEvent } from './event.js';

/**
 * How each receiver wants an event: CloudEvents 1.0 JSON for webhooks (signed), Slack Block Kit
 * for incoming webhooks, PagerDuty Events API v2 for paging. Pure functions of the event.
 */

/** A CloudEvents 1.0 structured-mode event. */
export function cloudEvent(event: NotificationEvent, source: string): JsonObject {
  return {
    specversion: '1.0',
    id: event.id,
    source,
    type: `dev.arbiter.${event.type}`,
    time: event.time,
    subject: event.subject,
    datacontenttype: 'application/json',
    severity: event.severity,
    ...(event.team ? { team: event.team } : {}),
    data: { ...event.data, summary: event.summary, ...(event.link ? { link: event.link } : {}) },
  };
}

/**
 * The webhook signature header: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
 * Signing the timestamp with the body lets receivers refuse replays of old deliveries.
 */
export function webhookSignature(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

/** Checks a webhook signature as a receiver would, within `toleranceSeconds` of `nowSeconds`. */
export function verifyWebhookSignature(
  secret: string,
  body: string,
  header: string,
  nowSeconds: number,
  toleranceSeconds = 300,
): boolean {
  const parts = Object.fromEntries(header.split(',').map((part) => part.split('=', 2) as [string, string]));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > toleranceSeconds || typeof parts.v1 !== 'string')
    return false;
  const expected = Buffer.from(webhookSignature(secret, body, t).split('v1=')[1]!, 'hex');
  const given = Buffer.from(parts.v1, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const emoji: Record<NotificationEvent['severity'], string> = {
  info: ':information_source:',
  warning: ':warning:',
  error: ':x:',
  critical: ':rotating_light:',
};

/** A Slack incoming-webhook message: what happened, why, and a button to the dashboard. */
export function slackMessage(event: NotificationEvent): JsonObject {
  const reasons = (event.data.reasons as { rule?: string; message?: string }[] | undefined) ?? [];
  const needed =
    (event.data.approvalsRequired as { count?: number; from?: string[]; ttl?: string }[] | undefined) ?? [];
  const lines = [
    ...reasons.slice(0, 5).map((reason) => `• \`${reason.rule}\` ${reason.message ?? ''}`),
    ...needed.map(
      (requirement) =>
        `• needs ${requirement.count} approval(s) from ${(requirement.from ?? []).join(' and ') || 'any approver'} within ${requirement.ttl}`,
    ),
  ];
  const blocks: JsonObject[] = [
    { type: 'section', text: { type: 'mrkdwn', text: `${emoji[event.severity]} *${event.summary}*` } },
    ...(lines.length > 0 ? [{ type: 'section', text: { type: 'mrkdwn', text: lines.join('\n') } }] : []),
    {
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: `${event.type} · ${event.subject}${event.team ? ` · owner ${event.team}` : ''} · ${event.time}`,
        },
      ],
    },
  ];
  if (event.link) {
    blocks.push({
      type: 'actions',
      elements: [
        {
          type: 'button',
          text: {
            type: 'plain_text',
            text: event.type === 'decision.pending' ? 'Review: approve or reject' : 'Open in Arbiter',
          },
          url: event.link,
          ...(event.type === 'decision.pending' ? { style: 'primary' } : {}),
        },
      ],
    });
  }
  return { text: event.summary, blocks };
}

const resolving = new Set(['system.unfrozen', 'alert.resolved', 'incident.resolved']);

/** Deduplication key: a trigger and its later resolve share it. */
export function pagerDutyDedupKey(event: NotificationEvent): string {
  if (event.type === 'system.frozen' || event.type === 'system.unfrozen')
    return `arbiter:system:${event.subject}:frozen`;
  if (event.type === 'system.autonomy_changed') return `arbiter:system:${event.subject}:autonomy`;
  return `arbiter:${event.subject}`;
}

/** A PagerDuty Events API v2 event for the owner team's routing key. */
export function pagerDutyEvent(event: NotificationEvent, routingKey: string): JsonObject {
  // Raising a System's autonomy again resolves the page its demotion raised.
  const promoted = event.type === 'system.autonomy_changed' && event.data.direction === 'promoted';
  const action = resolving.has(event.type) || promoted ? 'resolve' : 'trigger';
  return {
    routing_key: routingKey,
    event_action: action,
    dedup_key: pagerDutyDedupKey(event),
    ...(action === 'trigger'
      ? {
          payload: {
            summary: event.summary.slice(0, 1024),
            source: 'arbiter',
            severity: event.severity,
            timestamp: event.time,
            ...(event.systemId ? { component: event.systemId } : {}),
            ...(event.team ? { group: event.team } : {}),
            class: event.type,
            custom_details: event.data,
          },
          ...(event.link ? { links: [{ href: event.link, text: 'Open in Arbiter' }] } : {}),
        }
      : {}),
  };
}
