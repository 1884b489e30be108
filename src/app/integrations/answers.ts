import { dashboardLink } from '../../core/dashboard-links.js';
import type { JsonObject } from '../../core/json.js';
import { type ReviewState, reviewComment, reviewStateOf } from '../../integrations/github.js';
import type { DeliveryRow } from '../../integrations/records.js';
import type { NotificationEvent } from '../../notify/event.js';
import type { StoreTransaction } from '../../store/store.js';

/** What a provider is told about a decision it asked for: where, which state, the comment. */
export interface ProviderAnswer {
  decisionId: string;
  /** The delivery's stored target (the GitHub run, the GitLab deployment). */
  target: JsonObject;
  state: ReviewState;
  comment: string;
}

/**
 * The answer for a decision event, when the decision was asked for by a provider delivery (its
 * idempotency key is `keyPrefix` and the rest names the delivery) and its status is one the
 * provider is told (allowed, pending, denied and the rest): the comment names the rules that
 * fired, the approvers and the link to the decision. Undefined for every other event.
 */
export async function providerAnswer(
  tx: StoreTransaction,
  event: Omit<NotificationEvent, 'id' | 'time'>,
  source: {
    provider: DeliveryRow['provider'];
    keyPrefix: string;
    /** The delivery id a decision's key (after the prefix) names. */
    deliveryId: (key: string) => string;
    dashboardUrl?: string;
  },
): Promise<ProviderAnswer | undefined> {
  if (
    event.type !== 'decision.allowed' &&
    event.type !== 'decision.denied' &&
    event.type !== 'decision.pending'
  )
    return undefined;
  const decision = await tx.getDecision(event.subject);
  if (!decision?.idempotencyKey?.startsWith(source.keyPrefix)) return undefined;
  const delivery = await tx.delivery(
    source.provider,
    source.deliveryId(decision.idempotencyKey.slice(source.keyPrefix.length)),
  );
  if (!delivery?.target) return undefined;
  const state = reviewStateOf(decision.status);
  if (!state) return undefined;
  const approvers = (await tx.approvalsOf(decision.id))
    .filter((approval) => approval.verdict === 'approve')
    .map((approval) => approval.approver);
  const reasons = (event.data.reasons as { rule: string; message?: string }[] | undefined) ?? [];
  const comment = reviewComment(state, {
    decisionId: decision.id,
    status: decision.status,
    ...(decision.statusReason ? { statusReason: decision.statusReason } : {}),
    rules: reasons.map((reason) => (reason.message ? `${reason.rule}: ${reason.message}` : reason.rule)),
    approvers,
    ...(source.dashboardUrl
      ? { link: dashboardLink(source.dashboardUrl, { kind: 'decision', id: decision.id }) }
      : event.link
        ? { link: event.link }
        : {}),
  });
  return { decisionId: decision.id, target: delivery.target, state, comment };
}
