import type { JsonObject } from '../core/json.js';

/**
 * Provider deliveries (webhooks) as the stores remember them, so a delivery is acted on once:
 * GitHub signs only the body, not its `X-GitHub-Delivery` id, so a replay is known by either.
 */
export interface DeliveryRow {
  provider: 'github' | 'gitlab';
  deliveryId: string;
  /** `sha256:<hex>` of the signed body. */
  bodyDigest: string;
  event: string;
  receivedAt: string;
  /** Where answers go (e.g. the GitHub run to review), when the delivery asked for one. */
  target?: JsonObject;
  /** The run and environment it asked about (`runKey`), so later status deliveries find it. */
  runKey?: string;
  /** How many times it was received again; the first replay is recorded in the ledger, the rest counted. */
  replays: number;
}

export interface DeliveryReads {
  /** The delivery with this id, or the one with this body (a replay under another id). */
  deliveryMatching(
    provider: DeliveryRow['provider'],
    deliveryId: string,
    bodyDigest: string,
  ): Promise<DeliveryRow | undefined>;
  delivery(provider: DeliveryRow['provider'], deliveryId: string): Promise<DeliveryRow | undefined>;
  /** The latest delivery that asked about this run and environment (a re-run asks again). */
  deliveryForRun(provider: DeliveryRow['provider'], runKey: string): Promise<DeliveryRow | undefined>;
}

export interface DeliveryWrites {
  /** Remembers a new delivery; false (and nothing written) when its id or body is already known. */
  rememberDelivery(row: DeliveryRow): Promise<boolean>;
  /** Counts one more replay of a known delivery; returns the new count. */
  countReplay(provider: DeliveryRow['provider'], deliveryId: string): Promise<number>;
  /** Forgets deliveries of every provider received before `before` (ISO time); returns how many. */
  pruneDeliveries(before: string): Promise<number>;
}
