import { createHash } from 'node:crypto';
import { dashboardLink } from '../../core/dashboard-links.js';
import type { JsonObject } from '../../core/json.js';
import { type ReviewState, reviewComment, reviewStateOf } from '../../integrations/github.js';
import type { DeliveryRow } from '../../integrations/records.js';
import type { NotificationEvent } from '../../notify/event.js';
import type { StoreTransaction } from '../../store/store.js';
import type { OutboxAttempt } from '../notifications/notifications.js';

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

/** Queues one answer in the outbox, in the caller's transaction. */
export async function queueAnswer(
  tx: StoreTransaction,
  row: { id: string; notifier: string; eventType: string; answer: { decisionId: string }; now: string },
): Promise<void> {
  await tx.enqueueNotifications([
    {
      id: row.id,
      notifier: row.notifier,
      eventType: row.eventType,
      // `subject` names the decision in a dead letter, as notifications' events do.
      payload: { ...row.answer, subject: row.answer.decisionId } as unknown as JsonObject,
      attempts: 0,
      status: 'pending',
      nextAttemptAt: row.now,
      createdAt: row.now,
    },
  ]);
}

/**
 * Sends one answer (`post` sends `body` to `url`) and says what the ledger records: where it
 * went, the state, the provider's HTTP status (or `no answer`) and the digest of the body sent,
 * never the credential. The response body is not read; a non-2xx status is an error to retry.
 */
export async function sendAnswer(answer: {
  /** The ledger entry's type (`github.review`, `gitlab.approval`). */
  type: string;
  decisionId: string;
  /** What the answer concerns, first in the entry's data (the run, the deployment). */
  where: JsonObject;
  state: string;
  body: string;
  url: string;
  timeoutMs: number;
  post: () => Promise<Response>;
}): Promise<OutboxAttempt> {
  const bodyDigest = `sha256:${createHash('sha256').update(answer.body).digest('hex')}`;
  const record = (status: number | string) => ({
    type: answer.type,
    subject: answer.decisionId,
    data: { ...answer.where, state: answer.state, status, bodyDigest },
  });
  try {
    const response = await answer.post();
    await response.body?.cancel().catch(() => undefined);
    if (response.ok) return { ledger: record(response.status) };
    return { error: `HTTP ${response.status} from ${answer.url}`, ledger: record(response.status) };
  } catch (error) {
    const message =
      (error as Error).name === 'TimeoutError'
        ? `no answer within ${answer.timeoutMs} ms`
        : (error as Error).message;
    return { error: message, ledger: record('no answer') };
  }
}
