import { createHash } from 'node:crypto';
import { verify } from '@octokit/webhooks-methods';
import { Counter, type Registry } from 'prom-client';
import { ArbiterError } from '../../../core/errors.js';
import type { JsonObject } from '../../../core/json.js';
import type { Logger } from '../../../core/logger.js';
import type { Principal } from '../../../identity/principal.js';
import {
  deployRequest,
  type ProtectionRequest,
  protectionRequest,
  type ReviewTarget,
  systemForRepository,
  systemsOfInstallation,
} from '../../../integrations/github.js';
import type { Store } from '../../../store/store.js';
import type { DecisionService } from '../../decisions/decisions.js';
import type { Ledger } from '../../ledger/ledger.js';
import type { PolicyHolder } from '../../policies/policies.js';
import { type GitHubReviews, githubDeliveryKey } from './reviews.js';

/** What a delivery's headers say; the body is the exact bytes GitHub signed, as text. */
export interface GitHubDelivery {
  deliveryId: string | undefined;
  event: string | undefined;
  signature: string | undefined;
  body: string;
}

/** What the webhook answers GitHub (it only logs it; the review goes by callback). */
export interface DeliveryAnswer {
  delivery: string;
  outcome: 'accepted' | 'ignored' | 'rejected';
  decision?: string;
  reason?: string;
}

export interface GitHubWebhookDeps {
  store: Store;
  ledger: Ledger;
  policies: PolicyHolder;
  decisions: DecisionService;
  reviews: GitHubReviews;
  webhookSecret: string;
  clock: () => Date;
  registry: Registry;
  logger: Logger;
}

const deliveryIdPattern = /^[A-Za-z0-9-]{1,100}$/;
const eventPattern = /^[a-z_]{1,64}$/;

/**
 * The GitHub App's webhook: a delivery is checked (signature, then replay), recorded in the
 * ledger once authenticated, and a `deployment_protection_rule` becomes a `deploy` decision
 * asked by the System the repository maps to. The answer to GitHub is the review queued when the
 * decision is recorded (see GitHubReviews). A delivery whose signature fails is counted and
 * logged only: a stranger cannot write to the permanent record.
 */
export class GitHubWebhooks {
  private readonly deliveries: Counter<'outcome'>;

  constructor(private readonly deps: GitHubWebhookDeps) {
    this.deliveries = new Counter({
      name: 'arbiter_github_deliveries_total',
      help: 'GitHub webhook deliveries by outcome (accepted, ignored, rejected, bad_signature, replayed, unknown_installation, invalid)',
      labelNames: ['outcome'],
      registers: [deps.registry],
    });
  }

  /** Handles one delivery; throws an ArbiterError (401, 403, 409, 422) when it is refused. */
  async receive(delivery: GitHubDelivery, parse: (text: string) => unknown): Promise<DeliveryAnswer> {
    const { deliveryId, event, signature, body } = delivery;
    if (!signature || !(await this.signed(body, signature))) {
      this.deliveries.inc({ outcome: 'bad_signature' });
      this.deps.logger.warn(
        { deliveryId: deliveryId?.slice(0, 100), event: event?.slice(0, 64) },
        'GitHub delivery refused: the X-Hub-Signature-256 does not match the webhook secret',
      );
      throw new ArbiterError(
        'ARB_ERR_INTEGRATION_SIGNATURE',
        'the X-Hub-Signature-256 header is missing or does not match the body under the webhook secret',
        { details: { reason: signature ? 'mismatch' : 'missing' } },
      );
    }
    if (!deliveryId || !deliveryIdPattern.test(deliveryId) || !event || !eventPattern.test(event)) {
      this.deliveries.inc({ outcome: 'invalid' });
      throw new ArbiterError(
        'ARB_ERR_REQUEST_INVALID',
        'a GitHub delivery carries X-GitHub-Delivery (a GUID) and X-GitHub-Event headers',
      );
    }
    const payload = parse(body);
    const bodyDigest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
    const now = this.deps.clock().toISOString();
    const bundle = this.deps.policies.bundle;

    let protection: ProtectionRequest | undefined;
    let problem: string | undefined;
    if (event === 'deployment_protection_rule') {
      const parsed = protectionRequest(payload, this.deps.reviews.apiUrl);
      if ('problem' in parsed) problem = parsed.problem;
      else protection = parsed.request;
    }
    const installation = (payload as { installation?: { id?: unknown } } | null)?.installation?.id;
    const unknownInstallation =
      protection !== undefined && systemsOfInstallation(bundle.systems, protection.installation).length === 0;
    const system =
      protection && !unknownInstallation
        ? systemForRepository(bundle.systems, protection.installation, protection.repository)
        : undefined;
    const target: ReviewTarget | undefined = protection && {
      installation: protection.installation,
      repository: protection.repository,
      runId: protection.runId,
      environment: protection.environment,
    };
    const outcome = problem
      ? 'invalid'
      : unknownInstallation
        ? 'unknown_installation'
        : protection && !system
          ? 'unmapped'
          : protection
            ? 'accepted'
            : 'ignored';

    const recorded = await this.deps.store.write(async (tx) => {
      const earlier = await tx.deliveryMatching('github', deliveryId, bodyDigest);
      if (earlier) {
        const replays = await tx.countReplay('github', earlier.deliveryId);
        // The first replay is evidence worth keeping; more of them are counted, not recorded.
        if (replays === 1)
          await this.deps.ledger.log.append(tx.ledger, [
            {
              type: 'github.delivery.replayed',
              actor: 'github',
              subject: earlier.deliveryId,
              data: { delivery: deliveryId, event, bodyDigest },
            },
          ]);
        return { replayOf: earlier.deliveryId };
      }
      await tx.rememberDelivery({
        provider: 'github',
        deliveryId,
        bodyDigest,
        event,
        receivedAt: now,
        ...(target && outcome === 'accepted' ? { target: target as unknown as JsonObject } : {}),
        replays: 0,
      });
      await this.deps.ledger.log.append(tx.ledger, [
        {
          type: 'github.delivery',
          actor: 'github',
          subject: deliveryId,
          data: JSON.parse(
            JSON.stringify({
              event,
              bodyDigest,
              outcome,
              installation: Number.isSafeInteger(installation) ? installation : null,
              ...(protection
                ? {
                    repository: protection.repository,
                    environment: protection.environment,
                    runId: protection.runId,
                    system: system?.id ?? null,
                  }
                : {}),
              ...(problem ? { problem } : {}),
            }),
          ) as JsonObject,
        },
      ]);
      // No System answers for this repository: GitHub is told why, and the deployment waits no longer.
      if (outcome === 'unmapped')
        await this.deps.reviews.queue(tx, {
          target: target!,
          state: 'rejected',
          comment: `Arbiter denied this deployment: no System maps ${protection!.repository} (installation ${protection!.installation}); add it to a System's spec.github.repositories.`,
          decisionId: `github-delivery:${deliveryId}`,
        });
      return { replayOf: undefined };
    });

    if (recorded.replayOf !== undefined) {
      this.deliveries.inc({ outcome: 'replayed' });
      throw new ArbiterError(
        'ARB_ERR_INTEGRATION_REPLAYED',
        `this delivery was received before (as ${recorded.replayOf}); re-run the workflow to ask again`,
        { details: { delivery: recorded.replayOf } },
      );
    }
    this.deliveries.inc({ outcome: outcome === 'unmapped' ? 'rejected' : outcome });
    if (problem)
      throw new ArbiterError(
        'ARB_ERR_REQUEST_INVALID',
        `not a deployment protection rule request: ${problem}`,
      );
    if (unknownInstallation)
      throw new ArbiterError(
        'ARB_ERR_INTEGRATION_UNKNOWN_INSTALLATION',
        `no System deploys through GitHub App installation ${protection!.installation}`,
        { details: { installation: protection!.installation } },
      );
    if (!protection)
      return { delivery: deliveryId, outcome: 'ignored', reason: `event ${event} is not acted on` };
    if (!system)
      return {
        delivery: deliveryId,
        outcome: 'rejected',
        reason: `no System maps ${protection.repository}`,
      };
    return this.decide(deliveryId, protection, system.id, target!);
  }

  /** Asks for the decision as the mapped System; its review is queued with the decision. */
  private async decide(
    deliveryId: string,
    protection: ProtectionRequest,
    systemId: string,
    target: ReviewTarget,
  ): Promise<DeliveryAnswer> {
    const principal: Principal = { tokenId: 'github-app', role: 'agent', systemId, groups: [] };
    try {
      const { decision } = await this.deps.decisions.request(principal, {
        ...deployRequest(protection),
        idempotencyKey: `${githubDeliveryKey}${deliveryId}`,
      });
      return { delivery: deliveryId, outcome: 'accepted', decision: decision.id };
    } catch (error) {
      // No decision could be asked (e.g. the System is not registered): GitHub is told, never left waiting.
      const reason = (error as Error).message;
      await this.deps.store.write((tx) =>
        this.deps.reviews.queue(tx, {
          target,
          state: 'rejected',
          comment: `Arbiter denied this deployment: ${reason}`,
          decisionId: `github-delivery:${deliveryId}`,
        }),
      );
      this.deps.logger.warn(
        { deliveryId, error: reason },
        'GitHub deployment refused: no decision could be asked',
      );
      return { delivery: deliveryId, outcome: 'rejected', reason };
    }
  }

  private async signed(body: string, signature: string): Promise<boolean> {
    try {
      // Constant-time comparison of the HMAC-SHA256 (octokit's verify uses timingSafeEqual).
      return await verify(this.deps.webhookSecret, body, signature);
    } catch {
      return false;
    }
  }
}
