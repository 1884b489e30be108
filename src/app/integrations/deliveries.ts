import type { DeliveryRow } from '../../integrations/records.js';
import type { Store, StoreTransaction } from '../../store/store.js';
import type { Ledger } from '../ledger/ledger.js';

/**
 * How long provider deliveries are remembered (replay protection and finding a run's decision
 * again). GitHub cancels every workflow run after 35 days, waiting for approval included, and
 * lets an App redeliver only deliveries of the past 3 days, so no genuine delivery can concern a
 * run older than 35 days; 40 leaves a margin. Nothing in the ledger is pruned.
 */
export const defaultDeliveryRetentionDays = 40;
/** How often the pruning pass runs: the table shrinks in hourly steps. */
export const deliveryPruneIntervalMs = 60 * 60 * 1000;

const dayMs = 24 * 60 * 60 * 1000;

/** Deletes deliveries older than the retention window; a delivery inside the window stays (and its replay is still refused). */
export async function pruneDeliveries(options: {
  store: Store;
  clock: () => Date;
  retentionDays: number;
}): Promise<number> {
  const before = new Date(options.clock().getTime() - options.retentionDays * dayMs).toISOString();
  return options.store.write((tx) => tx.pruneDeliveries(before));
}

/**
 * Whether an authenticated webhook delivery was received before, by its id or by its body (a
 * provider's secret or signature does not cover its delivery id): the earlier delivery's id, or
 * undefined for a new one. A replay is counted; the first replay of a delivery is evidence worth
 * keeping (`<provider>.delivery.replayed` in the ledger), later ones are only counted.
 */
export async function replayOf(
  tx: StoreTransaction,
  ledger: Ledger,
  provider: DeliveryRow['provider'],
  delivery: { deliveryId: string; event: string; bodyDigest: string },
): Promise<string | undefined> {
  const earlier = await tx.deliveryMatching(provider, delivery.deliveryId, delivery.bodyDigest);
  if (!earlier) return undefined;
  const replays = await tx.countReplay(provider, earlier.deliveryId);
  if (replays === 1)
    await ledger.log.append(tx.ledger, [
      {
        type: `${provider}.delivery.replayed`,
        actor: provider,
        subject: earlier.deliveryId,
        data: { delivery: delivery.deliveryId, event: delivery.event, bodyDigest: delivery.bodyDigest },
      },
    ]);
  return earlier.deliveryId;
}
