import { createHmac } from 'node:crypto';
import { sameSecretText } from '../core/constant-time.js';
import type { JsonObject } from '../core/json.js';
import { approveActionId, rejectActionId } from '../notify/slack-buttons.js';
import { slackText, verbatimMrkdwn } from '../notify/slack-text.js';

/**
 * Slack approval buttons: the Block Kit buttons on a pending decision, the checks on Slack's
 * interaction request, and the message that replaces the buttons once someone clicked. Pure: the
 * adapter in app/integrations/slack does the HTTP. Shapes follow docs.slack.dev "Verifying
 * requests from Slack", "Handling user interaction" (block_actions payloads) and "Block Kit".
 */

/** Slack's window for a request's timestamp: older (or later) requests are refused as replays. */
export const slackToleranceSeconds = 5 * 60;

/**
 * True when `signature` (`X-Slack-Signature`, `v0=<hex>`) is the HMAC-SHA256 under the signing
 * secret of `v0:<timestamp>:<body>` and `timestamp` (`X-Slack-Request-Timestamp`, Unix seconds)
 * is within five minutes of `nowSeconds`. Compared in constant time.
 */
export function slackRequestValid(options: {
  signingSecret: string;
  timestamp: string | undefined;
  signature: string | undefined;
  body: string;
  nowSeconds: number;
}): { valid: true } | { valid: false; reason: 'missing' | 'stale' | 'mismatch' } {
  const { signingSecret, timestamp, signature, body, nowSeconds } = options;
  if (!timestamp || !signature) return { valid: false, reason: 'missing' };
  if (!/^\d{1,12}$/.test(timestamp) || Math.abs(nowSeconds - Number(timestamp)) > slackToleranceSeconds)
    return { valid: false, reason: 'stale' };
  const expected = `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  return sameSecretText(signature, expected) ? { valid: true } : { valid: false, reason: 'mismatch' };
}

/** One click, as Arbiter acts on it. */
export interface SlackClick {
  teamId: string;
  userId: string;
  verdict: 'approve' | 'reject';
  decisionId: string;
  requestHash: string;
  /** Where the message is replaced (checked against the allowed prefix). */
  responseUrl: string;
  /** The clicked message (channel id and `ts`), for `chat.update`; absent when the payload has none. */
  message?: { channel: string; ts: string };
}

const idPattern = /^[A-Z0-9]{1,32}$/;

/**
 * The click in a `block_actions` payload, or why it is not one Arbiter acts on. `responseUrlPrefix`
 * is where Slack's response URLs live (`https://hooks.slack.com/`): a payload cannot make Arbiter
 * post elsewhere.
 */
export function slackClick(
  payload: unknown,
  responseUrlPrefix: string,
): { click: SlackClick } | { problem: string } {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
    return { problem: 'the payload is not a JSON object' };
  const body = payload as Record<string, unknown>;
  if (body.type !== 'block_actions')
    return { problem: `payload type ${JSON.stringify(body.type)} is not block_actions` };
  const teamId =
    (body.team as { id?: unknown } | undefined)?.id ??
    (body.user as { team_id?: unknown } | undefined)?.team_id;
  const userId = (body.user as { id?: unknown } | undefined)?.id;
  if (typeof teamId !== 'string' || !idPattern.test(teamId))
    return { problem: 'the payload names no Slack workspace' };
  if (typeof userId !== 'string' || !idPattern.test(userId))
    return { problem: 'the payload names no Slack user' };
  const actions = Array.isArray(body.actions) ? body.actions : [];
  if (actions.length !== 1) return { problem: 'a click carries exactly one action' };
  const action = actions[0] as { action_id?: unknown; value?: unknown };
  const verdict =
    action.action_id === approveActionId
      ? 'approve'
      : action.action_id === rejectActionId
        ? 'reject'
        : undefined;
  if (!verdict) return { problem: 'not an Arbiter approval button' };
  if (typeof action.value !== 'string' || action.value.length > 500)
    return { problem: 'the button has no value' };
  let value: { decision?: unknown; requestHash?: unknown };
  try {
    value = JSON.parse(action.value);
  } catch {
    return { problem: 'the button value is not JSON' };
  }
  if (typeof value.decision !== 'string' || !/^dec_[A-Za-z0-9_-]{1,100}$/.test(value.decision))
    return { problem: 'the button names no decision' };
  if (typeof value.requestHash !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(value.requestHash))
    return { problem: 'the button carries no request hash' };
  const responseUrl = body.response_url;
  if (
    typeof responseUrl !== 'string' ||
    responseUrl.length > 1000 ||
    !responseUrl.startsWith(responseUrlPrefix)
  )
    return { problem: `the response_url is not under ${responseUrlPrefix}` };
  const container = body.container as { channel_id?: unknown; message_ts?: unknown } | undefined;
  const channel = container?.channel_id;
  const ts = container?.message_ts;
  return {
    click: {
      teamId,
      userId,
      verdict,
      decisionId: value.decision,
      requestHash: value.requestHash,
      responseUrl,
      ...(typeof channel === 'string' &&
      idPattern.test(channel) &&
      typeof ts === 'string' &&
      /^\d{1,12}\.\d{1,8}$/.test(ts)
        ? { message: { channel, ts } }
        : {}),
    },
  };
}

/**
 * What Slack's directory (`users.info`, docs.slack.dev "users.info" and the `User` type of
 * @slack/web-api) says of the account that clicked: its email only when Slack says the address
 * is confirmed (`is_email_confirmed: true`), for an active human member of the clicking
 * workspace. Never a display or real name, which the person can change. `notFound` is an answer
 * worth remembering for a while; anything else Slack answers is not an identity.
 */
export function directoryEmail(
  answer: unknown,
  teamId: string,
  userId: string,
): { email: string } | { notFound: string } {
  const body = (typeof answer === 'object' && answer !== null ? answer : {}) as Record<string, unknown>;
  if (body.ok !== true) return { notFound: `Slack answered ${JSON.stringify(body.error ?? 'no user')}` };
  const user = (body.user ?? {}) as Record<string, unknown>;
  if (user.id !== userId) return { notFound: 'Slack answered about another account' };
  if (user.team_id !== teamId) return { notFound: 'the account belongs to another Slack workspace' };
  if (user.deleted === true) return { notFound: 'the account is deactivated' };
  if (user.is_bot === true || user.is_app_user === true) return { notFound: 'the account is a bot' };
  if (user.is_stranger === true) return { notFound: 'the account is an external (Slack Connect) member' };
  if (user.is_email_confirmed !== true) return { notFound: "Slack has not confirmed the account's email" };
  const email = (user.profile as { email?: unknown } | undefined)?.email;
  if (typeof email !== 'string' || email.length > 254 || !/^[^@\s]+@[^@\s]+$/.test(email))
    return { notFound: 'Slack shows no email for the account (the app needs users:read.email)' };
  return { email };
}

/**
 * The message that replaces the buttons: what the click did, or why it was refused (the person
 * sees it in place; the buttons stay only when the decision still waits and the click failed).
 */
export function clickResult(options: {
  decisionId: string;
  summary: string;
  outcome: { recorded: string; status: string } | { refused: string };
  buttons?: JsonObject;
  link?: string;
}): JsonObject {
  const { decisionId, summary, outcome } = options;
  const line =
    'refused' in outcome
      ? `:no_entry: Not recorded: ${slackText(outcome.refused, 500)}`
      : `:white_check_mark: ${slackText(outcome.recorded, 500)} — decision is now *${slackText(outcome.status, 50)}*`;
  return {
    replace_original: true,
    text: slackText(summary, 3000),
    blocks: [
      { type: 'section', text: verbatimMrkdwn(slackText(summary, 2900)) },
      { type: 'section', text: verbatimMrkdwn(line) },
      {
        type: 'context',
        elements: [
          verbatimMrkdwn(slackText(`${decisionId}${options.link ? ` · ${options.link}` : ''}`, 1000)),
        ],
      },
      ...(options.buttons ? [options.buttons] : []),
    ],
  };
}
