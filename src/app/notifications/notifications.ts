import { Counter, Gauge, type Registry } from 'prom-client';
import { type DashboardTarget, dashboardLink } from '../../core/dashboard-links.js';
import type { IdGenerator } from '../../core/ids.js';
import type { JsonObject } from '../../core/json.js';
import { type NotificationEvent, routeEvent } from '../../notify/event.js';
import { cloudEvent, pagerDutyEvent, slackMessage, webhookSignature } from '../../notify/formats.js';
import type { NotificationRow } from '../../notify/records.js';
import type { NotifierConfig } from '../../policy/bundle.js';
import type { Store, StoreTransaction } from '../../store/store.js';
import type { Ledger } from '../ledger/ledger.js';

const pagerDutyUrl = 'https://events.pagerduty.com/v2/enqueue';
const leaseMs = 60_000;
/** Receivers' answers are read this far (only the status matters), then the connection is dropped. */
export const maxResponseBytes = 64 * 1024;

/**
 * Reads and discards at most `limit` bytes of a response body, so the connection can be reused
 * after a small answer; a larger (or endless) one is cut off by aborting the request.
 */
async function readAtMost(response: Response, limit: number, aborter: AbortController): Promise<void> {
  const reader = response.body?.getReader();
  if (!reader) return;
  let read = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      read += value.byteLength;
      if (read > limit) {
        aborter.abort();
        await reader.cancel().catch(() => undefined);
        return;
      }
    }
  } catch {
    // The status is already known; a body that breaks off changes nothing.
  }
}

/** Where state changes announce themselves; written in the same transaction as the change. */
export interface EventSink {
  emit(tx: StoreTransaction, event: Omit<NotificationEvent, 'id' | 'time'>): Promise<void>;
  /** False when an event would go nowhere, so a hot path may skip building it (absent: it might). */
  listening?(): boolean;
}

/** A ledger entry an outbox attempt asks to be written with its result. */
export interface OutboxLedgerEntry {
  type: string;
  subject: string;
  data: JsonObject;
}

/** One attempt of an outbox sender: the error (undefined when taken), and what to record. */
export interface OutboxAttempt {
  error?: string;
  ledger?: OutboxLedgerEntry;
}

/**
 * Delivers outbox rows addressed to it by name (`integration:github`): provider callbacks that
 * share the outbox's retries, backoff and dead letters with notifications, but not their format.
 */
export interface OutboxSender {
  maxAttempts: number;
  send(row: NotificationRow): Promise<OutboxAttempt>;
}

export interface NotificationOptions {
  /** First retry delay; doubles each attempt up to maxBackoffMs (default 1 s and 5 min). */
  backoffBaseMs?: number;
  maxBackoffMs?: number;
  /** The dashboard, for links (default: none). */
  dashboardUrl?: string;
  fetch?: typeof fetch;
  env?: NodeJS.ProcessEnv;
}

export interface NotificationServiceDeps {
  store: Store;
  ledger: Ledger;
  /** The notifiers of the bundle in force (it changes on reload). */
  notifiers: () => readonly NotifierConfig[];
  clock: () => Date;
  ids: IdGenerator;
  registry: Registry;
  options?: NotificationOptions;
}

/**
 * Notifications through an outbox: an event is queued in the transaction that records the
 * change, so none is lost and none is sent for a change that did not commit; a sender delivers
 * in the background with retries and backoff, and gives up (dead letter, recorded in the ledger)
 * after the notifier's maxAttempts. A receiver that hangs only delays its own deliveries: no
 * decision ever waits for a notification.
 */
export class NotificationService implements EventSink {
  private readonly delivered: Counter<'notifier' | 'outcome'>;
  private sending = false;
  private readonly senders = new Map<string, OutboxSender>();

  private readonly store: Store;
  private readonly ledger: Ledger;
  private readonly notifiers: () => readonly NotifierConfig[];
  private readonly clock: () => Date;
  private readonly ids: IdGenerator;
  private readonly options: NotificationOptions;

  /** The dashboard's URL for links, when configured. */
  get dashboardUrl(): string | undefined {
    return this.options.dashboardUrl;
  }

  constructor({ store, ledger, notifiers, clock, ids, registry, options = {} }: NotificationServiceDeps) {
    this.store = store;
    this.ledger = ledger;
    this.notifiers = notifiers;
    this.clock = clock;
    this.ids = ids;
    this.options = options;
    this.delivered = new Counter({
      name: 'arbiter_notifications_total',
      help: 'Notification delivery attempts by notifier and outcome (delivered, retry, dead)',
      labelNames: ['notifier', 'outcome'],
      registers: [registry],
    });
    const outbox = this.store;
    for (const status of ['pending', 'dead'] as const) {
      new Gauge({
        name: `arbiter_notifications_${status}`,
        help:
          status === 'pending'
            ? 'Notifications waiting to be delivered'
            : 'Notifications given up on after their last attempt',
        registers: [registry],
        async collect() {
          this.set(await outbox.countNotifications(status));
        },
      });
    }
  }

  /** Rows whose `notifier` is `name` are sent by `sender` (names of Notifier documents never contain `:`). */
  addSender(name: string, sender: OutboxSender): void {
    this.senders.set(name, sender);
  }

  listening(): boolean {
    return this.notifiers().length > 0;
  }

  async emit(tx: StoreTransaction, event: Omit<NotificationEvent, 'id' | 'time'>): Promise<void> {
    // No notifier, no route: nothing to build (every decision passes here).
    const notifiers = this.notifiers();
    if (notifiers.length === 0) return;
    const full: NotificationEvent = {
      ...event,
      id: this.ids('evt'),
      time: this.clock().toISOString(),
      ...(this.options.dashboardUrl && !event.link ? { link: this.linkFor(event) } : {}),
    };
    const targets = routeEvent(notifiers, full);
    if (targets.length === 0) return;
    const now = full.time;
    await tx.enqueueNotifications(
      targets.map((notifier) => ({
        id: this.ids('ntf'),
        notifier: notifier.name,
        eventType: full.type,
        payload: full as unknown as JsonObject,
        attempts: 0,
        status: 'pending' as const,
        nextAttemptAt: now,
        createdAt: now,
      })),
    );
  }

  private linkFor(event: Omit<NotificationEvent, 'id' | 'time'>): string {
    const target: DashboardTarget =
      event.type.startsWith('decision.') || event.type === 'approval.recorded'
        ? { kind: 'decision', id: event.subject }
        : event.type.startsWith('incident.')
          ? { kind: 'incident', id: event.subject }
          : { kind: 'system', id: event.systemId ?? event.subject };
    return dashboardLink(this.options.dashboardUrl!, target);
  }

  /** Sends what is due; returns how many deliveries were attempted. Safe to call often. */
  async deliverDue(limit = 50): Promise<number> {
    if (this.sending) return 0;
    this.sending = true;
    try {
      const now = this.clock();
      const claimed = await this.store.write((tx) =>
        tx.claimNotifications(now.toISOString(), new Date(now.getTime() + leaseMs).toISOString(), limit),
      );
      if (claimed.length === 0) return 0;
      const results = await Promise.all(claimed.map((row) => this.send(row)));
      await this.store.write(async (tx) => {
        for (const { row, error, ledger } of results) {
          // Every attempt a sender asks to record (a GitHub review, its status) enters the ledger.
          if (ledger) await this.ledger.log.append(tx.ledger, [{ actor: 'arbiter', ...ledger }]);
          await this.finish(tx, row, error);
        }
      });
      return claimed.length;
    } finally {
      this.sending = false;
    }
  }

  private notifier(name: string): NotifierConfig | undefined {
    return this.notifiers().find((candidate) => candidate.name === name);
  }

  private async finish(tx: StoreTransaction, row: NotificationRow, error: string | undefined): Promise<void> {
    const attempts = row.attempts + 1;
    const now = this.clock();
    if (error === undefined) {
      this.delivered.inc({ notifier: row.notifier, outcome: 'delivered' });
      await tx.finishNotification(row.id, {
        status: 'delivered',
        attempts,
        nextAttemptAt: now.toISOString(),
        deliveredAt: now.toISOString(),
      });
      return;
    }
    const maxAttempts =
      this.senders.get(row.notifier)?.maxAttempts ?? this.notifier(row.notifier)?.maxAttempts ?? 1;
    if (attempts >= maxAttempts) {
      this.delivered.inc({ notifier: row.notifier, outcome: 'dead' });
      await tx.finishNotification(row.id, {
        status: 'dead',
        attempts,
        nextAttemptAt: now.toISOString(),
        lastError: error,
      });
      // An undelivered page or approval request is itself something an auditor must see.
      await this.ledger.log.append(tx.ledger, [
        {
          type: 'notification.dead',
          actor: 'arbiter',
          subject: row.id,
          data: {
            notifier: row.notifier,
            eventType: row.eventType,
            eventSubject: String(row.payload.subject ?? ''),
            attempts,
            error,
          },
        },
      ]);
      return;
    }
    this.delivered.inc({ notifier: row.notifier, outcome: 'retry' });
    const base = this.options.backoffBaseMs ?? 1_000;
    const delay = Math.min(this.options.maxBackoffMs ?? 300_000, base * 2 ** (attempts - 1));
    const jittered = delay * (0.8 + Math.random() * 0.4);
    await tx.finishNotification(row.id, {
      status: 'pending',
      attempts,
      nextAttemptAt: new Date(now.getTime() + jittered).toISOString(),
      lastError: error,
    });
  }

  /** One delivery attempt; resolves with the error text, or undefined when the receiver took it. */
  private async send(
    row: NotificationRow,
  ): Promise<{ row: NotificationRow; error?: string; ledger?: OutboxLedgerEntry }> {
    const sender = this.senders.get(row.notifier);
    if (sender) {
      try {
        return { row, ...(await sender.send(row)) };
      } catch (error) {
        return { row, error: (error as Error).message };
      }
    }
    const notifier = this.notifier(row.notifier);
    if (!notifier) return { row, error: `notifier ${row.notifier} is no longer in the policy bundle` };
    const event = row.payload as unknown as NotificationEvent;
    const env = this.options.env ?? process.env;
    let url = notifier.url ?? (notifier.urlEnv ? env[notifier.urlEnv] : undefined);
    let body: string;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'arbiter-notifier',
    };
    switch (notifier.type) {
      case 'webhook': {
        const secret = notifier.secretEnv ? env[notifier.secretEnv] : undefined;
        if (!secret)
          return { row, error: `the webhook secret ${notifier.secretEnv} is not set in the environment` };
        body = JSON.stringify(cloudEvent(event, `arbiter://${this.ledger.origin}`));
        headers['content-type'] = 'application/cloudevents+json';
        headers['arbiter-signature'] = webhookSignature(
          secret,
          body,
          Math.floor(this.clock().getTime() / 1000),
        );
        headers['arbiter-delivery'] = row.id;
        break;
      }
      case 'slack':
        body = JSON.stringify(slackMessage(event, { interactive: notifier.interactive === true }));
        break;
      case 'pagerduty': {
        const keyEnv =
          (event.team ? notifier.routingKeys[event.team] : undefined) ?? notifier.defaultRoutingKeyEnv;
        const routingKey = keyEnv ? env[keyEnv] : undefined;
        if (!routingKey)
          return {
            row,
            error: `no PagerDuty routing key for team ${event.team ?? '(none)'} (${keyEnv ?? 'no variable configured'})`,
          };
        url ??= pagerDutyUrl;
        body = JSON.stringify(pagerDutyEvent(event, routingKey));
        break;
      }
    }
    if (!url) return { row, error: `notifier ${notifier.name} has no URL (${notifier.urlEnv} is not set)` };
    const aborter = new AbortController();
    try {
      const response = await (this.options.fetch ?? fetch)(url, {
        method: 'POST',
        headers,
        body,
        // A redirect would send the signed event (or a routing key) wherever the receiver points.
        redirect: 'manual',
        signal: AbortSignal.any([AbortSignal.timeout(notifier.timeoutMs), aborter.signal]),
      });
      await readAtMost(response, maxResponseBytes, aborter);
      // The target is left out: the error enters the ledger, and a Location may carry a secret.
      if (response.status >= 300 && response.status < 400)
        return {
          row,
          error: `HTTP ${response.status}: the receiver redirects; redirects are not followed, configure the final URL`,
        };
      if (response.ok) return { row };
      return { row, error: `HTTP ${response.status}` };
    } catch (error) {
      const message =
        (error as Error).name === 'TimeoutError'
          ? `no answer within ${notifier.timeoutMs} ms`
          : (error as Error).message;
      return { row, error: message };
    }
  }
}
