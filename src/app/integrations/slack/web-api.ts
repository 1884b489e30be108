import type { JsonObject } from '../../../core/json.js';
import { directoryEmail } from '../../../integrations/slack.js';

/**
 * The two Slack Web API methods Arbiter calls with a bot token: `users.info` (who clicked) and
 * `chat.update` (replace the message). A small fetch client rather than @slack/web-api: the SDK
 * queues and retries rate-limited calls by itself (by default for many minutes), while a click
 * must be answered within Slack's 3 seconds and a refused lookup must refuse the click, never
 * wait. Shapes follow docs.slack.dev "users.info", "chat.update" and "Rate limits" (HTTP 429 with
 * Retry-After in seconds). The token goes in the Authorization header only, never in a log line.
 */
export const defaultSlackApiUrl = 'https://slack.com/api';

export type SlackCallResult =
  | { ok: true; body: Record<string, unknown> }
  | { ok: false; error: string; retryAfterSeconds?: number };

export interface SlackWebApiOptions {
  botToken: string;
  apiUrl?: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export class SlackWebApi {
  readonly apiUrl: string;
  private readonly timeoutMs: number;
  private readonly fetch: typeof fetch;

  constructor(private readonly options: SlackWebApiOptions) {
    this.apiUrl = (options.apiUrl ?? defaultSlackApiUrl).replace(/\/+$/, '');
    // Slack wants the click answered within 3 s; the lookup is part of that answer.
    this.timeoutMs = options.timeoutMs ?? 2_000;
    this.fetch = options.fetch ?? fetch;
  }

  /** `users.info` (form-encoded: the method does not take a JSON body). */
  usersInfo(user: string): Promise<SlackCallResult> {
    return this.call(`users.info?${new URLSearchParams({ user })}`, { method: 'GET' });
  }

  /** `chat.update` of the message `ts` in `channel` with Arbiter's own text and blocks. */
  chatUpdate(channel: string, ts: string, message: JsonObject): Promise<SlackCallResult> {
    const { text, blocks } = message;
    return this.call('chat.update', {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ channel, ts, text, blocks }),
    });
  }

  private async call(method: string, init: RequestInit): Promise<SlackCallResult> {
    let response: Response;
    try {
      response = await this.fetch(`${this.apiUrl}/${method}`, {
        ...init,
        headers: {
          ...(init.headers as Record<string, string>),
          authorization: `Bearer ${this.options.botToken}`,
        },
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      return {
        ok: false,
        error:
          (error as Error).name === 'TimeoutError'
            ? `no answer within ${this.timeoutMs} ms`
            : (error as Error).message,
      };
    }
    if (response.status === 429) {
      await response.body?.cancel().catch(() => undefined);
      const retryAfter = Number(response.headers.get('retry-after'));
      return {
        ok: false,
        error: 'rate limited (HTTP 429)',
        ...(Number.isFinite(retryAfter) && retryAfter >= 0 ? { retryAfterSeconds: retryAfter } : {}),
      };
    }
    const text = await response.text().catch(() => '');
    if (!response.ok) return { ok: false, error: `HTTP ${response.status}` };
    let body: unknown;
    try {
      body = text.length <= 1_000_000 ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      return { ok: false, error: 'the answer is not a JSON object' };
    const answer = body as Record<string, unknown>;
    if (answer.ok !== true)
      return { ok: false, error: typeof answer.error === 'string' ? answer.error.slice(0, 100) : 'ok:false' };
    return { ok: true, body: answer };
  }
}

/** Who a Slack account is, per the directory: a confirmed email, no such person, or no answer. */
export type DirectoryAnswer = { email: string } | { notFound: string } | { unavailable: string };

/** Slack errors that say the account is not a person Arbiter can know (worth remembering). */
const definitiveErrors = new Set(['user_not_found', 'user_not_visible', 'account_inactive']);

/**
 * Slack's directory as an identity source: `users.info` with the bot token, the email accepted
 * only when Slack says it is confirmed. Answers are remembered for `ttlMs` (default 5 minutes),
 * so a burst of clicks costs one lookup and a change in Slack is seen within minutes; Slack not
 * answering is never remembered and never an identity.
 */
export class SlackDirectory {
  private readonly remembered = new Map<string, { until: number; answer: DirectoryAnswer }>();

  constructor(
    private readonly api: SlackWebApi,
    private readonly clock: () => Date,
    private readonly ttlMs = 5 * 60_000,
    private readonly maxEntries = 10_000,
  ) {}

  async person(teamId: string, userId: string): Promise<DirectoryAnswer> {
    const key = `${teamId}/${userId}`;
    const now = this.clock().getTime();
    const known = this.remembered.get(key);
    if (known && known.until > now) return known.answer;
    this.remembered.delete(key);
    const result = await this.api.usersInfo(userId);
    let answer: DirectoryAnswer;
    if (result.ok) answer = directoryEmail(result.body, teamId, userId);
    else if (definitiveErrors.has(result.error)) answer = { notFound: `Slack answered "${result.error}"` };
    else return { unavailable: result.error };
    if (this.remembered.size >= this.maxEntries) {
      const oldest = this.remembered.keys().next().value;
      if (oldest !== undefined) this.remembered.delete(oldest);
    }
    this.remembered.set(key, { until: now + this.ttlMs, answer });
    return answer;
  }
}
