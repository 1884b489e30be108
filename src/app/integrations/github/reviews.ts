import { createAppAuth } from '@octokit/auth-app';
import { request as octokitRequest } from '@octokit/request';
import type { IdGenerator } from '../../../core/ids.js';
import {
  type ReviewState,
  type ReviewTarget,
  reviewBody,
  workflowPathOf,
} from '../../../integrations/github.js';
import type { NotificationEvent } from '../../../notify/event.js';
import type { NotificationRow } from '../../../notify/records.js';
import type { StoreTransaction } from '../../../store/store.js';
import type { EventSink, OutboxAttempt, OutboxSender } from '../../notifications/notifications.js';
import { providerAnswer, queueAnswer, sendAnswer } from '../answers.js';

/** The outbox name of GitHub reviews (Notifier names cannot contain `:`). */
export const githubOutbox = 'integration:github';
/** The idempotency key prefix of decisions asked for by a GitHub delivery. */
export const githubDeliveryKey = 'github-delivery:';
export const defaultGitHubApiUrl = 'https://api.github.com';

export interface GitHubAppOptions {
  appId: string;
  /** The App's private key (PEM); read from its file by the CLI, never logged. */
  privateKey: string;
  /** The webhook secret set on the App. */
  webhookSecret: string;
  /** api.github.com, or `https://HOST/api/v3` for GitHub Enterprise Server. */
  apiUrl?: string;
  /** Review attempts before the outbox gives up (default 10, with backoff): never approved by default. */
  maxAttempts?: number;
  timeoutMs?: number;
  /** The dashboard, for the link in each review comment. */
  dashboardUrl?: string;
  fetch?: typeof fetch;
}

interface ReviewPayload {
  target: ReviewTarget;
  state: ReviewState;
  comment: string;
  decisionId: string;
}

/**
 * Reviews of GitHub deployment protection rules: queued in the transaction that settles (or
 * first records) a decision asked for by a GitHub delivery, and sent by the outbox as the App's
 * installation, with retries. Each review sent is recorded in the ledger with the answer's
 * status and the digest of the body sent; token exchanges are not.
 */
export class GitHubReviews implements OutboxSender {
  readonly apiUrl: string;
  readonly maxAttempts: number;
  private readonly auth: ReturnType<typeof createAppAuth>;
  private readonly fetch: typeof fetch;
  private readonly timeoutMs: number;

  constructor(
    private readonly options: GitHubAppOptions,
    private readonly ids: IdGenerator,
    private readonly clock: () => Date,
  ) {
    this.apiUrl = (options.apiUrl ?? defaultGitHubApiUrl).replace(/\/+$/, '');
    this.maxAttempts = options.maxAttempts ?? 10;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.fetch = options.fetch ?? fetch;
    // auth-app signs the App JWT (RS256) and caches each installation token until shortly before it expires.
    this.auth = createAppAuth({
      appId: options.appId,
      privateKey: options.privateKey,
      request: octokitRequest.defaults({ baseUrl: this.apiUrl, request: { fetch: this.fetch } }),
    });
  }

  /** An EventSink that passes events on to `inner` and queues a review for GitHub's decisions. */
  sinkAround(inner: EventSink): EventSink {
    return {
      emit: async (tx, event) => {
        await inner.emit(tx, event);
        await this.queueReview(tx, event);
      },
    };
  }

  private async queueReview(
    tx: StoreTransaction,
    event: Omit<NotificationEvent, 'id' | 'time'>,
  ): Promise<void> {
    const answer = await providerAnswer(tx, event, {
      provider: 'github',
      keyPrefix: githubDeliveryKey,
      deliveryId: (key) => key,
      ...(this.options.dashboardUrl ? { dashboardUrl: this.options.dashboardUrl } : {}),
    });
    if (answer) await this.queue(tx, { ...answer, target: answer.target as unknown as ReviewTarget });
  }

  /** Queues one review in the outbox, in the caller's transaction. */
  async queue(tx: StoreTransaction, review: ReviewPayload): Promise<void> {
    await queueAnswer(tx, {
      id: this.ids('ntf'),
      notifier: githubOutbox,
      eventType: `github.review.${review.state}`,
      answer: review,
      now: this.clock().toISOString(),
    });
  }

  /** An installation token (cached by auth-app until shortly before it expires). */
  async installationToken(installation: number): Promise<string> {
    const { token } = await this.auth({ type: 'installation', installationId: installation });
    return token;
  }

  /**
   * The workflow file of a run (`GET /repos/{owner}/{repo}/actions/runs/{run_id}`, the App's
   * Actions: read), or why it could not be read. Asked only when a System maps the repository by
   * workflow; the answer is checked to be about this run.
   */
  async workflowPath(
    installation: number,
    repository: string,
    runId: number,
  ): Promise<{ path: string } | { error: string }> {
    const url = `${this.apiUrl}/repos/${repository}/actions/runs/${runId}`;
    try {
      const token = await this.installationToken(installation);
      const response = await this.fetch(url, {
        headers: {
          accept: 'application/vnd.github+json',
          authorization: `token ${token}`,
          'user-agent': 'arbiter',
          'x-github-api-version': '2022-11-28',
        },
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      if (!response.ok) {
        await response.body?.cancel().catch(() => undefined);
        return { error: `HTTP ${response.status} from ${url}` };
      }
      const path = workflowPathOf(await response.json(), runId);
      return path ? { path } : { error: `${url} names no workflow file for run ${runId}` };
    } catch (error) {
      return {
        error:
          (error as Error).name === 'TimeoutError'
            ? `no answer within ${this.timeoutMs} ms from ${url}`
            : (error as Error).message,
      };
    }
  }

  async send(row: NotificationRow): Promise<OutboxAttempt> {
    const review = row.payload as unknown as ReviewPayload;
    const { target } = review;
    let token: string;
    try {
      token = await this.installationToken(target.installation);
    } catch (error) {
      // No review was sent, so nothing enters the ledger; the outbox retries.
      return { error: `installation token for ${target.installation}: ${(error as Error).message}` };
    }
    const body = JSON.stringify(reviewBody(target, review.state, review.comment));
    const url = `${this.apiUrl}/repos/${target.repository}/actions/runs/${target.runId}/deployment_protection_rule`;
    return sendAnswer({
      type: 'github.review',
      decisionId: review.decisionId,
      where: { repository: target.repository, runId: target.runId, environment: target.environment },
      state: review.state,
      body,
      url,
      timeoutMs: this.timeoutMs,
      post: () =>
        this.fetch(url, {
          method: 'POST',
          headers: {
            accept: 'application/vnd.github+json',
            authorization: `token ${token}`,
            'content-type': 'application/json',
            'user-agent': 'arbiter',
            'x-github-api-version': '2022-11-28',
          },
          body,
          redirect: 'manual',
          signal: AbortSignal.timeout(this.timeoutMs),
        }),
    });
  }
}
