import type { DeliveryRow } from '../../integrations/records.js';
import type { StoreTransaction } from '../../store/store.js';
import type { Ledger } from '../ledger/ledger.js';

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
