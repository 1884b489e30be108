import { createHash } from 'node:crypto';
import { Counter, type Registry } from 'prom-client';
import { ArbiterError, isArbiterError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Principal } from '../../identity/principal.js';
import type { DeliveryRow } from '../../integrations/records.js';
import type { Store, StoreTransaction } from '../../store/store.js';
import type { DecisionService } from '../decisions/decisions.js';
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

/** What a provider's webhook answers (GitHub only logs it; GitLab shows it in Recent events). */
export interface DeliveryAnswer {
  delivery: string;
  outcome: 'accepted' | 'ignored' | 'rejected';
  decision?: string;
  reason?: string;
}

/** The counter of a provider's webhook deliveries by outcome (`arbiter_<provider>_deliveries_total`). */
export function deliveryCounter(
  provider: DeliveryRow['provider'],
  help: string,
  registry: Registry,
): Counter<'outcome'> {
  return new Counter({
    name: `arbiter_${provider}_deliveries_total`,
    help,
    labelNames: ['outcome'],
    registers: [registry],
  });
}

/** What a webhook service is told of a delivery before it trusts it: the headers it arrived with. */
export interface DeliveryHeaders {
  deliveryId?: string | undefined;
  event?: string | undefined;
}

/**
 * The refusal (401) of a delivery that failed authentication: counted and logged, never ledgered,
 * so a stranger cannot write to the permanent record. The headers are logged cut to their limits.
 */
export function unauthenticatedDelivery(
  counter: Counter<'outcome'>,
  logger: Logger,
  delivery: DeliveryHeaders,
  reason: string,
  logLine: string,
  message: string,
): ArbiterError {
  counter.inc({ outcome: 'bad_signature' });
  logger.warn(
    { deliveryId: delivery.deliveryId?.slice(0, 100), event: delivery.event?.slice(0, 64), reason },
    logLine,
  );
  return new ArbiterError('ARB_ERR_INTEGRATION_SIGNATURE', message, { details: { reason } });
}

/**
 * An authenticated delivery's id and event, checked against the provider's shapes (400 otherwise,
 * counted as invalid); with the digest of its body, which names it when its id is not enough.
 */
export function deliveryIdentity(
  counter: Counter<'outcome'>,
  delivery: DeliveryHeaders & { body: string },
  shapes: { deliveryId: RegExp; event: RegExp },
  message: string,
): { deliveryId: string; event: string; bodyDigest: string } {
  const { deliveryId, event } = delivery;
  if (!deliveryId || !shapes.deliveryId.test(deliveryId) || !event || !shapes.event.test(event)) {
    counter.inc({ outcome: 'invalid' });
    throw new ArbiterError('ARB_ERR_REQUEST_INVALID', message);
  }
  return {
    deliveryId,
    event,
    bodyDigest: `sha256:${createHash('sha256').update(delivery.body).digest('hex')}`,
  };
}

/** The refusal of a replayed delivery (409), naming the delivery first received; `hint` says what to do instead. */
export function replayedDelivery(earlier: string, hint = ''): ArbiterError {
  return new ArbiterError(
    'ARB_ERR_INTEGRATION_REPLAYED',
    `this delivery was received before (as ${earlier})${hint}`,
    { details: { delivery: earlier } },
  );
}

/**
 * A deployment's job started (claims the decision) or ended (its outcome), reported as the
 * mapped System by the provider's principal. Without a decision, or when the decision refuses
 * (denied, reported already), the delivery is only recorded: the answer says so and nothing changes.
 */
export async function reportDeployment(
  decisions: DecisionService,
  report: {
    deliveryId: string;
    decided: { decisionId: string; systemId: string } | undefined;
    /** The principal's token id (`github-app`, `gitlab`). */
    tokenId: string;
    outcome: 'started' | 'succeeded' | 'failed';
    /** The outcome's detail, as the provider states it. */
    detail: string;
    /** Which deployment had no decision, for the answer. */
    what: string;
  },
): Promise<DeliveryAnswer> {
  const { deliveryId, decided } = report;
  if (!decided)
    return { delivery: deliveryId, outcome: 'ignored', reason: `no Arbiter decision for ${report.what}` };
  const principal: Principal = {
    tokenId: report.tokenId,
    role: 'agent',
    systemId: decided.systemId,
    groups: [],
  };
  try {
    if (report.outcome === 'started') await decisions.start(principal, decided.decisionId);
    else
      await decisions.reportOutcome(principal, decided.decisionId, {
        status: report.outcome,
        detail: report.detail,
      });
    return { delivery: deliveryId, outcome: 'accepted', decision: decided.decisionId };
  } catch (error) {
    // A failure of Arbiter itself (the database, a bug) is a 5xx, never "ignored": the provider must
    // see that the outcome was not taken, and no internal message goes back to it.
    if (!isArbiterError(error)) throw error;
    // Denied, or reported already: the status is recorded with the delivery and changes nothing.
    return {
      delivery: deliveryId,
      outcome: 'ignored',
      decision: decided.decisionId,
      reason: (error as Error).message,
    };
  }
}
