import type { Store } from '../../store/store.js';

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
