import type { JsonObject } from '../core/json.js';

/**
 * The notification outbox as the stores keep it, and the ports that read and write it
 * (implemented by `store/`). Times are ISO 8601 UTC strings (`Date#toISOString`).
 */

/** A notification waiting to be delivered, delivered, or given up on (the outbox). */
export interface NotificationRow {
  id: string;
  notifier: string;
  eventType: string;
  /** The NotificationEvent, shaped for the receiver only when it is sent. */
  payload: JsonObject;
  attempts: number;
  status: 'pending' | 'delivered' | 'dead';
  nextAttemptAt: string;
  lastError?: string;
  createdAt: string;
  deliveredAt?: string;
}

export interface NotificationReads {
  notifications(filter: { status?: NotificationRow['status']; limit: number }): Promise<NotificationRow[]>;
  countNotifications(status: NotificationRow['status']): Promise<number>;
}

export interface NotificationWrites {
  enqueueNotifications(rows: readonly NotificationRow[]): Promise<void>;
  /** Pending notifications due at `now`, leased until `leaseUntil` so no other sender takes them meanwhile. */
  claimNotifications(now: string, leaseUntil: string, limit: number): Promise<NotificationRow[]>;
  finishNotification(
    id: string,
    update: {
      status: NotificationRow['status'];
      attempts: number;
      nextAttemptAt: string;
      lastError?: string;
      deliveredAt?: string;
    },
  ): Promise<void>;
}
