import { verify } from '@octokit/webhooks-methods';
import type { Counter, Registry } from 'prom-client';
import { ArbiterError } from '../../../core/errors.js';
import type { JsonObject } from '../../../core/json.js';
import type { Logger } from '../../../core/logger.js';
import type { Principal } from '../../../identity/principal.js';
import {
  type DeploymentStatusReport,
  deploymentStatusReport,
  deployRequest,
  type ProtectionRequest,
  protectionRequest,
  type ReviewTarget,
  runKey,
  systemForRepository,
  systemsOfInstallation,
  workflowMatters,
} from '../../../integrations/github.js';
import type { Store } from '../../../store/store.js';
import type { DecisionService } from '../../decisions/decisions.js';
import type { Ledger } from '../../ledger/ledger.js';
import type { PolicyHolder } from '../../policies/policies.js';
import {
  type DeliveryAnswer,
  deliveryCounter,
  deliveryIdentity,
  replayedDelivery,
  replayOf,
  reportDeployment,
  unauthenticatedDelivery,
} from '../deliveries.js';
import { type GitHubReviews, githubDeliveryKey } from './reviews.js';

/** What a delivery's headers say; the body is the exact bytes GitHub signed, as text. */
export interface GitHubDelivery {
  deliveryId: string | undefined;
  event: string | undefined;
  signature: string | undefined;
  body: string;
}

export type { DeliveryAnswer };

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

/** What no System maps: the repository, and the workflow when it was looked up. */
function unmappedWhat(protection: ProtectionRequest): string {
  return protection.workflow ? `${protection.workflow} of ${protection.repository}` : protection.repository;
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
    this.deliveries = deliveryCounter(
      'github',
      'GitHub webhook deliveries by outcome (accepted, outcome, ignored, rejected, bad_signature, replayed, unknown_installation, invalid)',
      deps.registry,
    );
  }

  /** Handles one delivery; throws an ArbiterError (401, 403, 409, 422) when it is refused. */
  async receive(delivery: GitHubDelivery, parse: (text: string) => unknown): Promise<DeliveryAnswer> {
    const { signature, body } = delivery;
    if (!signature || !(await this.signed(body, signature)))
      throw unauthenticatedDelivery(
        this.deliveries,
        this.deps.logger,
        delivery,
        signature ? 'mismatch' : 'missing',
        'GitHub delivery refused: the X-Hub-Signature-256 does not match the webhook secret',
        'the X-Hub-Signature-256 header is missing or does not match the body under the webhook secret',
      );
    const { deliveryId, event, bodyDigest } = deliveryIdentity(
      this.deliveries,
      delivery,
      { deliveryId: deliveryIdPattern, event: eventPattern },
      'a GitHub delivery carries X-GitHub-Delivery (a GUID) and X-GitHub-Event headers',
    );
    const payload = parse(body);
    const now = this.deps.clock().toISOString();
    const bundle = this.deps.policies.bundle;

    let protection: ProtectionRequest | undefined;
    let statusReport: DeploymentStatusReport | undefined;
    let problem: string | undefined;
    let ignored: string | undefined;
    if (event === 'deployment_protection_rule') {
      const parsed = protectionRequest(payload, this.deps.reviews.apiUrl);
      if ('problem' in parsed) problem = parsed.problem;
      else protection = parsed.request;
    } else if (event === 'deployment_status') {
      const parsed = deploymentStatusReport(payload);
      if ('ignored' in parsed) ignored = parsed.ignored;
      else statusReport = parsed.report;
    } else ignored = `event ${event} is not acted on`;
    const installation = (payload as { installation?: { id?: unknown } } | null)?.installation?.id;
    const asking = protection ?? statusReport;
    const unknownInstallation =
      asking !== undefined && systemsOfInstallation(bundle.systems, asking.installation).length === 0;
    // Mapped by workflow file: the payload does not name it, the run does (asked only then).
    let workflowProblem: string | undefined;
    if (
      protection &&
      !unknownInstallation &&
      workflowMatters(bundle.systems, protection.installation, protection.repository)
    ) {
      await this.refuseKnownReplay({ deliveryId, event, bodyDigest });
      const found = await this.deps.reviews.workflowPath(
        protection.installation,
        protection.repository,
        protection.runId,
      );
      if ('path' in found) protection = { ...protection, workflow: found.path };
      else workflowProblem = found.error;
    }
    const system =
      protection && !unknownInstallation && !workflowProblem
        ? systemForRepository(
            bundle.systems,
            protection.installation,
            protection.repository,
            protection.workflow,
          )
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
            : statusReport
              ? 'outcome'
              : 'ignored';

    const recorded = await this.deps.store.write(async (tx) => {
      // The decision a deployment_status reports on: the one its run's protection rule asked for.
      let decided: { decisionId: string; systemId: string } | undefined;
      const replayed = await replayOf(tx, this.deps.ledger, 'github', { deliveryId, event, bodyDigest });
      if (replayed) return { replayOf: replayed, decided };
      if (statusReport && outcome === 'outcome') {
        const asked = await tx.deliveryForRun(
          'github',
          runKey(statusReport.repository, statusReport.runId, statusReport.environment),
        );
        const systemId = asked?.target?.system;
        const decision =
          asked && typeof systemId === 'string'
            ? await tx.decisionByIdempotencyKey(
                `system:${systemId}`,
                `${githubDeliveryKey}${asked.deliveryId}`,
              )
            : undefined;
        if (decision) decided = { decisionId: decision.id, systemId: systemId as string };
      }
      await tx.rememberDelivery({
        provider: 'github',
        deliveryId,
        bodyDigest,
        event,
        receivedAt: now,
        ...(target && outcome === 'accepted'
          ? {
              target: { ...target, system: system!.id } as unknown as JsonObject,
              runKey: runKey(target.repository, target.runId, target.environment),
            }
          : {}),
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
                    workflow: protection.workflow,
                    system: system?.id ?? null,
                    workflowProblem,
                  }
                : {}),
              ...(statusReport
                ? {
                    repository: statusReport.repository,
                    environment: statusReport.environment,
                    runId: statusReport.runId,
                    state: statusReport.state,
                    decision: decided?.decisionId ?? null,
                  }
                : {}),
              ...(problem ? { problem } : {}),
              ...(ignored ? { ignored } : {}),
            }),
          ) as JsonObject,
        },
      ]);
      // No System answers for this repository: GitHub is told why, and the deployment waits no longer.
      if (outcome === 'unmapped')
        await this.deps.reviews.queue(tx, {
          target: target!,
          state: 'rejected',
          comment: workflowProblem
            ? `Arbiter denied this deployment: it could not read which workflow run ${protection!.runId} is (${workflowProblem}), and ${protection!.repository} is mapped by workflow; re-run the job to ask again.`
            : `Arbiter denied this deployment: no System maps ${unmappedWhat(protection!)} (installation ${protection!.installation}); add it to a System's spec.github.`,
          decisionId: `github-delivery:${deliveryId}`,
        });
      return { replayOf: undefined, decided };
    });

    if (recorded.replayOf !== undefined) throw this.replayed(recorded.replayOf);
    this.deliveries.inc({ outcome: outcome === 'unmapped' ? 'rejected' : outcome });
    if (problem)
      throw new ArbiterError(
        'ARB_ERR_REQUEST_INVALID',
        `not a deployment protection rule request: ${problem}`,
      );
    if (unknownInstallation)
      throw new ArbiterError(
        'ARB_ERR_INTEGRATION_UNKNOWN_INSTALLATION',
        `no System deploys through GitHub App installation ${asking!.installation}`,
        { details: { installation: asking!.installation } },
      );
    if (statusReport) return this.reportOutcome(deliveryId, statusReport, recorded.decided);
    if (!protection) return { delivery: deliveryId, outcome: 'ignored', reason: ignored ?? 'not acted on' };
    if (!system)
      return {
        delivery: deliveryId,
        outcome: 'rejected',
        reason: workflowProblem
          ? `the workflow of run ${protection.runId} could not be read: ${workflowProblem}`
          : `no System maps ${unmappedWhat(protection)}`,
      };
    return this.decide(deliveryId, protection, system.id, target!);
  }

  /**
   * Refuses a delivery already received before GitHub is asked anything about it, so a replay
   * costs no API call. The write that records a delivery checks again (a concurrent first copy).
   */
  private async refuseKnownReplay(delivery: {
    deliveryId: string;
    event: string;
    bodyDigest: string;
  }): Promise<void> {
    if (!(await this.deps.store.deliveryMatching('github', delivery.deliveryId, delivery.bodyDigest))) return;
    const earlier = await this.deps.store.write((tx) => replayOf(tx, this.deps.ledger, 'github', delivery));
    // Pruned in between: nothing to refuse, the delivery is new again.
    if (earlier !== undefined) throw this.replayed(earlier);
  }

  private replayed(earlier: string): Error {
    this.deliveries.inc({ outcome: 'replayed' });
    return replayedDelivery(earlier, '; re-run the workflow to ask again');
  }

  /** The job started (claims the decision) or finished (its outcome), as the mapped System reports. */
  private reportOutcome(
    deliveryId: string,
    report: DeploymentStatusReport,
    decided: { decisionId: string; systemId: string } | undefined,
  ): Promise<DeliveryAnswer> {
    return reportDeployment(this.deps.decisions, {
      deliveryId,
      decided,
      tokenId: 'github-app',
      outcome: report.outcome,
      detail: `GitHub deployment_status ${report.state}${report.description ? `: ${report.description}` : ''}`,
      what: `run ${report.runId} of ${report.repository} (${report.environment})`,
    });
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
