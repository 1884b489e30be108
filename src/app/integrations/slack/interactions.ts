import { Counter, type Registry } from 'prom-client';
import { dashboardLink } from '../../../core/dashboard-links.js';
import { ArbiterError, isArbiterError } from '../../../core/errors.js';
import type { JsonObject } from '../../../core/json.js';
import type { Logger } from '../../../core/logger.js';
import { foldUserName, normaliseUserName } from '../../../identity/names.js';
import type { Principal } from '../../../identity/principal.js';
import { clickResult, type SlackClick, slackClick, slackRequestValid } from '../../../integrations/slack.js';
import { approvalButtons, requiresStepUp } from '../../../notify/slack-buttons.js';
import type { Store } from '../../../store/store.js';
import type { DecisionService } from '../../decisions/decisions.js';
import { SlackDirectory, SlackWebApi } from './web-api.js';

/** Longest Retry-After waited for before one more chat.update; longer, the response_url is used at once. */
const maxRetryAfterSeconds = 5;

/** A Slack account as an Arbiter approver: the person's verified email, and their groups. */
export interface SlackUserMapping {
  /** Slack workspace (team) id, e.g. T0001. */
  team: string;
  /** Slack user id, e.g. U0001 — never the display name, which anyone can change. */
  user: string;
  email: string;
  groups: readonly string[];
}

/** The groups of a person found through Slack's directory (an email-only entry of `--slack-users`). */
export interface SlackDirectoryGroups {
  email: string;
  groups: readonly string[];
}

export interface SlackOptions {
  signingSecret: string;
  /** The explicit mapping of Slack accounts to people (`--slack-users FILE`); it wins over the directory. */
  users: readonly SlackUserMapping[];
  /** Groups of people found through the directory, by email; without an entry a person has none. */
  directoryGroups?: readonly SlackDirectoryGroups[];
  /** A bot token (`users:read`, `users:read.email`, `chat:write`): turns on the directory and chat.update. */
  botToken?: string;
  /** Slack's Web API (default https://slack.com/api; tests point it at a stand-in). */
  apiUrl?: string;
  /** How long a directory answer is remembered (default 5 minutes). */
  directoryTtlMs?: number;
  /** Where Slack's response URLs live (default https://hooks.slack.com/). */
  responseUrlPrefix?: string;
  /** The dashboard, for the link in updated messages. */
  dashboardUrl?: string;
  fetch?: typeof fetch;
}

export interface SlackInteractionsDeps {
  store: Store;
  decisions: DecisionService;
  options: SlackOptions;
  clock: () => Date;
  registry: Registry;
  logger: Logger;
}

export interface SlackRequest {
  timestamp: string | undefined;
  signature: string | undefined;
  body: string;
}

/**
 * Slack's interaction endpoint for the Approve / Reject buttons. A click counts only when Slack
 * signed it within five minutes, the Slack account is mapped to a person, and the decision's
 * requirements do not demand step-up authentication; the vote then goes through the same approval
 * service as the dashboard (separation of duties, groups, one vote per person, the request hash),
 * and the message is replaced in place with what happened.
 */
export class SlackInteractions {
  private readonly clicks: Counter<'outcome'>;
  private readonly responseUrlPrefix: string;
  /** Message updates in flight (tests and shutdown wait on them). */
  readonly updates = new Set<Promise<void>>();
  private readonly api?: SlackWebApi;
  private readonly directory?: SlackDirectory;
  private readonly directoryGroups = new Map<string, readonly string[]>();

  constructor(private readonly deps: SlackInteractionsDeps) {
    this.responseUrlPrefix = deps.options.responseUrlPrefix ?? 'https://hooks.slack.com/';
    const { botToken, apiUrl, fetch: fetcher } = deps.options;
    if (botToken) {
      this.api = new SlackWebApi({
        botToken,
        ...(apiUrl ? { apiUrl } : {}),
        ...(fetcher ? { fetch: fetcher } : {}),
      });
      this.directory = new SlackDirectory(this.api, deps.clock, deps.options.directoryTtlMs);
    }
    for (const entry of deps.options.directoryGroups ?? [])
      this.directoryGroups.set(foldUserName(entry.email), entry.groups);
    this.clicks = new Counter({
      name: 'arbiter_slack_interactions_total',
      help: 'Slack button clicks by outcome (recorded, refused, bad_signature, invalid)',
      labelNames: ['outcome'],
      registers: [deps.registry],
    });
  }

  /** Handles one interaction request; throws 401 for a forged or stale one, 400 for a malformed one. */
  async receive(request: SlackRequest, parse: (text: string) => unknown): Promise<{ outcome: string }> {
    const check = slackRequestValid({
      signingSecret: this.deps.options.signingSecret,
      timestamp: request.timestamp,
      signature: request.signature,
      body: request.body,
      nowSeconds: Math.floor(this.deps.clock().getTime() / 1000),
    });
    if (!check.valid) {
      this.clicks.inc({ outcome: 'bad_signature' });
      this.deps.logger.warn(
        { reason: check.reason },
        'Slack interaction refused: not signed by Slack within 5 minutes',
      );
      throw new ArbiterError(
        'ARB_ERR_INTEGRATION_SIGNATURE',
        check.reason === 'stale'
          ? 'the X-Slack-Request-Timestamp is more than 5 minutes away from now'
          : 'the X-Slack-Signature is missing or does not match the body under the signing secret',
        { details: { reason: check.reason } },
      );
    }
    const form = new URLSearchParams(request.body);
    const text = form.get('payload');
    if (text === null) {
      this.clicks.inc({ outcome: 'invalid' });
      throw new ArbiterError('ARB_ERR_REQUEST_INVALID', 'a Slack interaction carries a payload form field');
    }
    const parsed = slackClick(parse(text), this.responseUrlPrefix);
    if ('problem' in parsed) {
      this.clicks.inc({ outcome: 'invalid' });
      throw new ArbiterError('ARB_ERR_REQUEST_INVALID', `not an Arbiter approval click: ${parsed.problem}`);
    }
    const outcome = await this.vote(parsed.click);
    this.clicks.inc({ outcome: 'refused' in outcome ? 'refused' : 'recorded' });
    return { outcome: 'refused' in outcome ? 'refused' : 'recorded' };
  }

  private async vote(click: SlackClick): Promise<{ recorded: string; status: string } | { refused: string }> {
    const decision = await this.deps.store.getDecision(click.decisionId);
    const summary = decision
      ? `${decision.action} ${decision.resourceType}:${decision.resourceId}${decision.environment ? ` (${decision.environment})` : ''}`
      : click.decisionId;
    const link = this.deps.options.dashboardUrl
      ? dashboardLink(this.deps.options.dashboardUrl, { kind: 'decision', id: click.decisionId })
      : undefined;
    const refuse = (reason: string, keepButtons: boolean) => {
      const outcome = { refused: reason };
      this.update(click, {
        decisionId: click.decisionId,
        summary,
        outcome,
        ...(link ? { link } : {}),
        ...(keepButtons ? { buttons: approvalButtons(click.decisionId, click.requestHash, link) } : {}),
      });
      return outcome;
    };
    const found = await this.person(click);
    if ('refused' in found) return refuse(found.refused, true);
    const person = found.person;
    if (!decision) return refuse(`no decision ${click.decisionId}`, false);
    if (requiresStepUp(decision.requirements as JsonObject[]))
      return refuse(
        'this approval needs a step-up sign-in, which Slack cannot show: approve it in Arbiter',
        false,
      );
    let user: string;
    try {
      user = normaliseUserName(person.email);
    } catch (error) {
      if (!isArbiterError(error)) throw error;
      return refuse(
        `the email of this Slack account is not a usable Arbiter user name: ${error.message}`,
        true,
      );
    }
    const principal: Principal = {
      tokenId: `slack:${click.teamId}/${click.userId}`,
      role: 'approver',
      user,
      groups: [...person.groups],
    };
    try {
      const view = await this.deps.decisions.vote(principal, click.decisionId, {
        verdict: click.verdict,
        reason: `${click.verdict === 'approve' ? 'Approved' : 'Rejected'} in Slack`,
        requestHash: click.requestHash,
      });
      const outcome = {
        recorded: `${click.verdict === 'approve' ? 'Approved' : 'Rejected'} by user:${principal.user}`,
        status: view.status,
      };
      this.update(click, {
        decisionId: click.decisionId,
        summary,
        outcome,
        ...(link ? { link } : {}),
        // Still waiting for more approvals: the others keep their buttons.
        ...(view.status === 'pending'
          ? { buttons: approvalButtons(click.decisionId, click.requestHash, link) }
          : {}),
      });
      return outcome;
    } catch (error) {
      if (!isArbiterError(error)) throw error;
      return refuse(error.message, decision.status === 'pending');
    }
  }

  /**
   * The person behind the click: the explicit mapping first, then (with a bot token) Slack's
   * directory by confirmed email. Never a display name; Slack not answering refuses the click.
   */
  private async person(
    click: SlackClick,
  ): Promise<{ person: { email: string; groups: readonly string[] } } | { refused: string }> {
    const mapped = this.deps.options.users.find(
      (mapping) => mapping.team === click.teamId && mapping.user === click.userId,
    );
    if (mapped) return { person: mapped };
    if (!this.directory)
      return { refused: 'this Slack account is not mapped to an Arbiter approver; approve in Arbiter' };
    const answer = await this.directory.person(click.teamId, click.userId);
    if ('unavailable' in answer) {
      this.deps.logger.warn(
        { team: click.teamId, user: click.userId, error: answer.unavailable },
        'Slack users.info failed: the click is refused',
      );
      return {
        refused: `Slack's directory did not answer (${answer.unavailable}), so Arbiter cannot tell who clicked; try again in a minute or approve in Arbiter`,
      };
    }
    if ('notFound' in answer)
      return {
        refused: `this Slack account is not mapped to an Arbiter approver (${answer.notFound}); approve in Arbiter`,
      };
    return {
      person: { email: answer.email, groups: this.directoryGroups.get(foldUserName(answer.email)) ?? [] },
    };
  }

  /**
   * Replaces the message: with a bot token through `chat.update` (one retry after a short
   * Retry-After), else — or when Slack refuses — through the click's response_url. A failure is
   * logged; the vote stands.
   */
  private update(click: SlackClick, result: Parameters<typeof clickResult>[0]): void {
    const message = clickResult(result);
    const sent = this.updateInPlace(click, message)
      .then((done) => (done ? undefined : this.respond(click, message)))
      .finally(() => this.updates.delete(sent));
    this.updates.add(sent);
  }

  /** chat.update; true when Slack took it. */
  private async updateInPlace(click: SlackClick, message: JsonObject): Promise<boolean> {
    if (!this.api || !click.message) return false;
    const { channel, ts } = click.message;
    let answer = await this.api.chatUpdate(channel, ts, message);
    const retryAfter = answer.ok ? undefined : answer.retryAfterSeconds;
    if (retryAfter !== undefined && retryAfter <= maxRetryAfterSeconds) {
      await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000));
      answer = await this.api.chatUpdate(channel, ts, message);
    }
    if (answer.ok) return true;
    this.deps.logger.warn(
      { channel, error: answer.error },
      'Slack chat.update refused; replacing the message through the response_url',
    );
    return false;
  }

  /** Replaces the message through Slack's response_url. */
  private respond(click: SlackClick, message: JsonObject): Promise<void> {
    return (this.deps.options.fetch ?? fetch)(click.responseUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(message),
      redirect: 'manual',
      signal: AbortSignal.timeout(5_000),
    })
      .then(async (response) => {
        await response.body?.cancel().catch(() => undefined);
        if (!response.ok)
          this.deps.logger.warn({ status: response.status }, 'Slack did not take the updated message');
      })
      .catch((error: Error) => {
        this.deps.logger.warn({ error: error.message }, 'Slack message update failed');
      });
  }
}
