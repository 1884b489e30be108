import { createHash, createHmac } from 'node:crypto';
import { sameSecretText } from '../core/constant-time.js';
import type { JsonObject } from '../core/json.js';
import type { NotificationEventType } from '../policy/documents.js';
import type { NotificationEvent } from './event.js';
import { approvalButtons, requiresStepUp } from './slack-buttons.js';
import { fittingLines, slackText, slackTextLimit, verbatimMrkdwn } from './slack-text.js';
import { boundJson, type JsonBounds, truncateText } from './text-bounds.js';

/**
 * How each receiver wants an event: CloudEvents 1.0 JSON for webhooks (signed), Slack Block Kit
 * for incoming webhooks, PagerDuty Events API v2 for paging. Pure functions of the event.
 */

/**
 * How far a webhook's data may reach: receivers store and display it, and an agent writes much of
 * it. Long enough for every field Arbiter bounds itself (outcome details and policy messages are
 * at most 2000 characters).
 */
const webhookData: JsonBounds = { maxString: 4096, maxItems: 100, maxDepth: 8 };

/** A CloudEvents 1.0 structured-mode event; the data within `webhookData`'s bounds. */
export function cloudEvent(event: NotificationEvent, source: string): JsonObject {
  return {
    specversion: '1.0',
    id: event.id,
    source,
    type: `dev.arbiter.${event.type}`,
    time: event.time,
    subject: truncateText(event.subject, webhookData.maxString),
    datacontenttype: 'application/json',
    severity: event.severity,
    ...(event.team ? { team: truncateText(event.team, webhookData.maxString) } : {}),
    data: boundJson(
      { ...event.data, summary: event.summary, ...(event.link ? { link: event.link } : {}) },
      webhookData,
    ),
  };
}

/**
 * The webhook signature header: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
 * Signing the timestamp with the body lets receivers refuse replays of old deliveries.
 */
export function webhookSignature(secret: string, body: string, unixSeconds: number): string {
  return `t=${unixSeconds},v1=${webhookMac(secret, body, unixSeconds)}`;
}

function webhookMac(secret: string, body: string, unixSeconds: number): string {
  return createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
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
  // Hex compared as text (any case): Buffer.from(hex) would stop at the first non-hex character.
  return sameSecretText(parts.v1.toLowerCase(), webhookMac(secret, body, t));
}

const emoji: Record<NotificationEvent['severity'], string> = {
  info: ':information_source:',
  warning: ':warning:',
  error: ':x:',
  critical: ':rotating_light:',
};

/** Arbiter's own words for each event: the only text of a Slack message that is formatted. */
const headlines: Record<NotificationEventType, string> = {
  'decision.pending': 'Approval needed',
  'decision.allowed': 'Decision allowed',
  'decision.denied': 'Decision denied',
  'approval.recorded': 'Vote recorded',
  'decision.outcome': 'Outcome reported',
  'system.frozen': 'System frozen',
  'system.unfrozen': 'System unfrozen',
  'system.autonomy_changed': 'Autonomy changed',
  'alert.firing': 'Alert firing',
  'alert.resolved': 'Alert resolved',
  'incident.opened': 'Incident opened',
  'incident.resolved': 'Incident resolved',
  'ledger.fork': 'Ledger fork: a witness refused a checkpoint',
};

/** At most this many characters of an agent's or a policy's text per Slack line. */
const slackLineLimit = 500;

/**
 * A Slack incoming-webhook message: what happened, why, and a button to the dashboard. Every
 * string from the event is escaped and bounded (slack-text.ts): an agent cannot add a link, a
 * mention or formatting to the message people approve from.
 */
export function slackMessage(event: NotificationEvent, options: { interactive?: boolean } = {}): JsonObject {
  const reasons = (event.data.reasons as { rule?: string; message?: string }[] | undefined) ?? [];
  const needed =
    (event.data.approvalsRequired as { count?: number; from?: string[]; ttl?: string }[] | undefined) ?? [];
  const text = (value: unknown) => slackText(String(value ?? ''), slackLineLimit);
  const lines = [
    ...reasons.slice(0, 5).map((reason) => `• \`${text(reason.rule)}\` ${text(reason.message)}`),
    ...needed.map(
      (requirement) =>
        `• needs ${text(requirement.count)} approval(s) from ${text((requirement.from ?? []).join(' and ') || 'any approver')} within ${text(requirement.ttl)}`,
    ),
  ];
  const headline = `${emoji[event.severity]} *${headlines[event.type]}*\n`;
  const blocks: JsonObject[] = [
    {
      type: 'section',
      text: verbatimMrkdwn(`${headline}${slackText(event.summary, slackTextLimit - headline.length)}`),
    },
    ...(lines.length > 0
      ? [{ type: 'section', text: verbatimMrkdwn(fittingLines(lines, slackTextLimit)) }]
      : []),
    {
      type: 'context',
      elements: [
        verbatimMrkdwn(
          [event.type, event.subject, ...(event.team ? [`owner ${event.team}`] : []), event.time]
            .map((part) => slackText(part, slackLineLimit))
            .join(' · '),
        ),
      ],
    },
  ];
  const link = event.link && event.link.length <= slackTextLimit ? event.link : undefined;
  const requestHash = (event.data.decision as { requestHash?: unknown } | undefined)?.requestHash;
  const interactive = options.interactive === true && event.type === 'decision.pending';
  const stepUp = requiresStepUp(needed as JsonObject[]);
  if (interactive && typeof requestHash === 'string' && !stepUp) {
    blocks.push(approvalButtons(event.subject, requestHash, link));
  } else if (link) {
    // The link is Arbiter's (the dashboard URL and an id); one Slack cannot take is left out.
    if (interactive && stepUp)
      blocks.push({
        type: 'context',
        elements: [
          verbatimMrkdwn(
            'This approval needs a step-up sign-in, which Slack cannot show: approve it in Arbiter.',
          ),
        ],
      });
    blocks.push({
      type: 'actions',
      elements: [
        {
          type: 'button',
          text: {
            type: 'plain_text',
            text: event.type === 'decision.pending' ? 'Review: approve or reject' : 'Open in Arbiter',
          },
          url: link,
          ...(event.type === 'decision.pending' ? { style: 'primary' } : {}),
        },
      ],
    });
  }
  // The top-level text is the notification's fallback; Slack reads it as mrkdwn too.
  return {
    text: slackText(event.summary, slackTextLimit),
    blocks,
    unfurl_links: false,
    unfurl_media: false,
  };
}

const resolving = new Set(['system.unfrozen', 'alert.resolved', 'incident.resolved']);

/** PagerDuty's own limits (Events API v2, "Send an Alert Event"): 1024 for the summary, 255 for the dedup key. */
const pagerDutyLimits = { summary: 1024, dedupKey: 255, field: 255 } as const;
const pagerDutyDetails: JsonBounds = { maxString: 1024, maxItems: 100, maxDepth: 8 };

/**
 * Deduplication key: a trigger and its later resolve share it. A key over PagerDuty's 255
 * characters becomes the SHA-256 of the key, which the resolve computes the same way.
 */
export function pagerDutyDedupKey(event: NotificationEvent): string {
  const key =
    event.type === 'system.frozen' || event.type === 'system.unfrozen'
      ? `arbiter:system:${event.subject}:frozen`
      : event.type === 'system.autonomy_changed'
        ? `arbiter:system:${event.subject}:autonomy`
        : `arbiter:${event.subject}`;
  return key.length <= pagerDutyLimits.dedupKey
    ? key
    : `arbiter:sha256:${createHash('sha256').update(key).digest('hex')}`;
}

/** A PagerDuty Events API v2 event for the owner team's routing key; every field within PagerDuty's limits. */
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
            summary: truncateText(event.summary, pagerDutyLimits.summary),
            source: 'arbiter',
            severity: event.severity,
            timestamp: event.time,
            ...(event.systemId ? { component: truncateText(event.systemId, pagerDutyLimits.field) } : {}),
            ...(event.team ? { group: truncateText(event.team, pagerDutyLimits.field) } : {}),
            class: event.type,
            custom_details: boundJson(event.data, pagerDutyDetails),
          },
          ...(event.link ? { links: [{ href: event.link, text: 'Open in Arbiter' }] } : {}),
        }
      : {}),
  };
}
