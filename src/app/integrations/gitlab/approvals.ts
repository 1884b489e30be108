import type { IdGenerator } from '../../../core/ids.js';
import { type ApprovalState, type ApprovalTarget, approvalRequest } from '../../../integrations/gitlab.js';
import type { NotificationEvent } from '../../../notify/event.js';
import type { NotificationRow } from '../../../notify/records.js';
import type { StoreTransaction } from '../../../store/store.js';
import type { EventSink, OutboxAttempt, OutboxSender } from '../../notifications/notifications.js';
import { providerAnswer, queueAnswer, sendAnswer } from '../answers.js';

/** The outbox name of GitLab approvals (Notifier names cannot contain `:`). */
export const gitlabOutbox = 'integration:gitlab';
/** The idempotency key prefix of decisions asked for by a blocked GitLab deployment. */
export const gitlabDeploymentKey = 'gitlab-deployment:';
/** The delivery id under which a blocked deployment is remembered (after `deploymentKey`). */
export const gitlabDeploymentDelivery = 'deployment:';
export const defaultGitLabUrl = 'https://gitlab.com';

export interface GitLabOptions {
  /** The GitLab instance: gitlab.com or a self-managed `https://HOST` (the API is `{url}/api/v4`). */
  url?: string;
  /**
   * The API token (a project, group or personal access token with `api` scope) whose user is a
   * required approver of the protected environments; read from the environment, never logged.
   */
  token: string;
  /** The webhook's secret token (`X-Gitlab-Token`), when webhooks are used. */
  webhookSecret?: string;
  /** The webhook's signing token (`whsec_…`, Standard Webhooks signature), when GitLab signs deliveries. */
  signingToken?: string;
  /** How often blocked deployments are listed (default 30 s); 0 turns polling off. */
  pollIntervalMs?: number;
  /** Approval attempts before the outbox gives up (default 10, with backoff): never approved by default. */
  maxAttempts?: number;
  timeoutMs?: number;
  /** The dashboard, for the link in each comment. */
  dashboardUrl?: string;
  fetch?: typeof fetch;
}

interface ApprovalPayload {
  target: ApprovalTarget;
  state: ApprovalState;
  comment: string;
  decisionId: string;
}

/**
 * Answers to blocked GitLab deployments: queued in the transaction that settles (or first records)
 * a decision asked for by a deployment, and sent by the outbox with the API token, with retries.
 * Each answer sent is recorded in the ledger with GitLab's status and the digest of the body sent;
 * the token never is.
 */
export class GitLabApprovals implements OutboxSender {
  readonly url: string;
  readonly apiUrl: string;
  readonly maxAttempts: number;
  private readonly fetch: typeof fetch;
  private readonly timeoutMs: number;

  constructor(
    private readonly options: GitLabOptions,
    private readonly ids: IdGenerator,
    private readonly clock: () => Date,
  ) {
    this.url = (options.url ?? defaultGitLabUrl).replace(/\/+$/, '');
    this.apiUrl = `${this.url}/api/v4`;
    this.maxAttempts = options.maxAttempts ?? 10;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.fetch = options.fetch ?? fetch;
  }

  /** An EventSink that passes events on to `inner` and queues an answer for GitLab's decisions. */
  sinkAround(inner: EventSink): EventSink {
    return {
      emit: async (tx, event) => {
        await inner.emit(tx, event);
        await this.queueAnswer(tx, event);
      },
    };
  }

  private async queueAnswer(
    tx: StoreTransaction,
    event: Omit<NotificationEvent, 'id' | 'time'>,
  ): Promise<void> {
    // The same answer as GitHub's review: the rules that decided, the approvers, the link.
    const answer = await providerAnswer(tx, event, {
      provider: 'gitlab',
      keyPrefix: gitlabDeploymentKey,
      deliveryId: (key) => `${gitlabDeploymentDelivery}${key}`,
      ...(this.options.dashboardUrl ? { dashboardUrl: this.options.dashboardUrl } : {}),
    });
    if (answer) await this.queue(tx, { ...answer, target: answer.target as unknown as ApprovalTarget });
  }

  /** Queues one answer in the outbox, in the caller's transaction. */
  async queue(tx: StoreTransaction, answer: ApprovalPayload): Promise<void> {
    await queueAnswer(tx, {
      id: this.ids('ntf'),
      notifier: gitlabOutbox,
      eventType: `gitlab.approval.${answer.state}`,
      answer,
      now: this.clock().toISOString(),
    });
  }

  /** Calls the GitLab API with the token; the caller reads (or cancels) the body. */
  async call(path: string, init: { method: 'GET' | 'POST'; body?: string }): Promise<Response> {
    return this.fetch(`${this.apiUrl}${path}`, {
      method: init.method,
      headers: {
        accept: 'application/json',
        'private-token': this.options.token,
        'user-agent': 'arbiter',
        ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(init.body !== undefined ? { body: init.body } : {}),
      // A redirect could carry the token to another host: answers are taken as given.
      redirect: 'manual',
      signal: AbortSignal.timeout(this.timeoutMs),
    });
  }

  async send(row: NotificationRow): Promise<OutboxAttempt> {
    const answer = row.payload as unknown as ApprovalPayload;
    const { target } = answer;
    const request = approvalRequest(target, answer.state, answer.comment);
    if (!request) return {};
    const body = JSON.stringify(request.body);
    return sendAnswer({
      type: 'gitlab.approval',
      decisionId: answer.decisionId,
      where: { project: target.project, deploymentId: target.deploymentId, environment: target.environment },
      state: answer.state,
      body,
      url: `${this.apiUrl}${request.path}`,
      timeoutMs: this.timeoutMs,
      post: () => this.call(request.path, { method: 'POST', body }),
    });
  }
}
