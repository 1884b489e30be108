import type { JsonObject } from '../core/json.js';

/**
 * The Approve / Reject buttons of an interactive Slack notifier (docs/integrations.md): Block Kit
 * `actions` whose clicks Slack posts to Arbiter's interaction endpoint.
 */

export const approveActionId = 'arbiter_approve';
export const rejectActionId = 'arbiter_reject';

/**
 * True when an approval requirement demands step-up authentication (`assurance`, `maxAuthAge`):
 * a Slack click cannot show the identity provider's MFA, so such approvals go to the dashboard.
 * Reads the stored requirement as JSON, so the field of the SSO work counts as soon as it exists.
 */
export function requiresStepUp(requirements: readonly JsonObject[]): boolean {
  return requirements.some(
    (requirement) =>
      requirement.assurance !== undefined ||
      requirement.maxAuthAge !== undefined ||
      requirement.maxAuthAgeMs !== undefined,
  );
}

/** The Approve / Reject buttons of a pending decision, bound to the request hash the approver sees. */
export function approvalButtons(
  decisionId: string,
  requestHash: string,
  link: string | undefined,
): JsonObject {
  const value = JSON.stringify({ decision: decisionId, requestHash });
  return {
    type: 'actions',
    block_id: 'arbiter_vote',
    elements: [
      {
        type: 'button',
        action_id: approveActionId,
        text: { type: 'plain_text', text: 'Approve' },
        style: 'primary',
        value,
        confirm: {
          title: { type: 'plain_text', text: 'Approve this request?' },
          text: { type: 'plain_text', text: 'Your approval is recorded in the ledger under your name.' },
          confirm: { type: 'plain_text', text: 'Approve' },
          deny: { type: 'plain_text', text: 'Cancel' },
        },
      },
      {
        type: 'button',
        action_id: rejectActionId,
        text: { type: 'plain_text', text: 'Reject' },
        style: 'danger',
        value,
      },
      ...(link ? [{ type: 'button', text: { type: 'plain_text', text: 'Open in Arbiter' }, url: link }] : []),
    ],
  };
}
