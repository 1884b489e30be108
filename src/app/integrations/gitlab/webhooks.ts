import { createHmac } from 'node:crypto';
import type { Counter, Registry } from 'prom-client';
import { sameSecretText } from '../../../core/constant-time.js';
import { ArbiterError } from '../../../core/errors.js';
import type { JsonObject } from '../../../core/json.js';
import type { Logger } from '../../../core/logger.js';
import {
  type DeploymentEventReport,
  deploymentEventReport,
  deploymentKey,
  namesProject,
  payloadProject,
  systemsOfProject,
  waitingDeploymentJob,
} from '../../../integrations/gitlab.js';
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
import { gitlabDeploymentDelivery, gitlabDeploymentKey } from './approvals.js';
import type { GitLabDeployments } from './deployments.js';

/** What a delivery's headers say; the body is the exact bytes GitLab sent, as text. */
export interface GitLabDelivery {
  /** `Idempotency-Key` (GitLab 17.4+, the same on GitLab's retries), else `X-Gitlab-Event-UUID`. */
  deliveryId: string | undefined;
  /** `X-Gitlab-Event`, e.g. `Deployment Hook`. */
  event: string | undefined;
  /** `X-Gitlab-Token`: the webhook's secret token. */
  token: string | undefined;
  /** Standard Webhooks headers, sent when the webhook has a signing token. */
  webhookId: string | undefined;
  webhookTimestamp: string | undefined;
  webhookSignature: string | undefined;
  body: string;
}

/** What the webhook answers GitLab (it shows it in the webhook's Recent events). */
export type GitLabDeliveryAnswer = DeliveryAnswer;

export interface GitLabWebhookDeps {
  store: Store;
  ledger: Ledger;
  policies: PolicyHolder;
  decisions: DecisionService;
  deployments: GitLabDeployments;
  webhookSecret?: string;
  signingToken?: string;
  clock: () => Date;
  registry: Registry;
  logger: Logger;
}

const deliveryIdPattern = /^[A-Za-z0-9-]{1,100}$/;
const eventPattern = /^[A-Za-z ]{1,64}$/;
/** Standard Webhooks: a signature older or newer than this is refused, so a captured one cannot be replayed later. */
const signatureToleranceMs = 5 * 60_000;

/**
 * GitLab's webhook: a delivery is authenticated (the secret token in `X-Gitlab-Token`, and the
 * signature when a signing token is configured), checked for replay, and recorded in the ledger.
 * Deployment events report outcomes; a job event saying a deployment job waits looks at the
 * project's blocked deployments at once. A delivery that fails authentication is counted and
 * logged only: a stranger cannot write to the permanent record.
 */
export class GitLabWebhooks {
  private readonly deliveries: Counter<'outcome'>;

  constructor(private readonly deps: GitLabWebhookDeps) {
    if (!deps.webhookSecret && !deps.signingToken)
      throw new Error('a GitLab webhook needs a secret token or a signing token');
    this.deliveries = deliveryCounter(
      'gitlab',
      'GitLab webhook deliveries by outcome (accepted, outcome, ignored, bad_signature, replayed, unknown_project, invalid)',
      deps.registry,
    );
  }

  /** Handles one delivery; throws an ArbiterError (400, 401, 403, 409) when it is refused. */
  async receive(delivery: GitLabDelivery, parse: (text: string) => unknown): Promise<GitLabDeliveryAnswer> {
    const refusal = this.authenticate(delivery);
    if (refusal)
      throw unauthenticatedDelivery(
        this.deliveries,
        this.deps.logger,
        delivery,
        refusal,
        'GitLab delivery refused: it does not carry the webhook secret token or signature',
        'the X-Gitlab-Token header (or the webhook-signature) is missing or does not match the configured webhook token',
      );
    const { deliveryId, event, bodyDigest } = deliveryIdentity(
      this.deliveries,
      delivery,
      { deliveryId: deliveryIdPattern, event: eventPattern },
      'a GitLab delivery carries Idempotency-Key (GitLab 17.4+) or X-Gitlab-Event-UUID, and X-Gitlab-Event headers',
    );
    const payload = parse(delivery.body);
    const now = this.deps.clock().toISOString();
    const systems = this.deps.policies.bundle.systems;

    const project = payloadProject(payload);
    let report: DeploymentEventReport | undefined;
    let waiting: { environment: string; jobId: number } | undefined;
    let ignored: string | undefined;
    if (event === 'Deployment Hook') {
      const parsed = deploymentEventReport(payload);
      if ('ignored' in parsed) ignored = parsed.ignored;
      else report = parsed.report;
    } else if (event === 'Job Hook') {
      waiting = waitingDeploymentJob(payload);
      if (!waiting) ignored = 'not a deployment job waiting for approval';
    } else ignored = `event ${event} is not acted on`;
    const about = report ?? waiting;
    const unknownProject = about !== undefined && systemsOfProject(systems, project).length === 0;
    const outcome = unknownProject
      ? 'unknown_project'
      : report
        ? 'outcome'
        : waiting
          ? 'accepted'
          : 'ignored';

    const recorded = await this.deps.store.write(async (tx) => {
      let decided: { decisionId: string; systemId: string } | undefined;
      const replayed = await replayOf(tx, this.deps.ledger, 'gitlab', { deliveryId, event, bodyDigest });
      if (replayed) return { replayOf: replayed, decided };
      if (report && outcome === 'outcome') {
        // The deployment was taken under the project's name as a System writes it: path or id.
        for (const name of [report.projectPath, report.projectId?.toString()]) {
          if (!name) continue;
          const taken = await tx.deliveryForRun('gitlab', deploymentKey(name, report.deploymentId));
          const systemId = taken?.target?.system;
          const decision =
            taken && typeof systemId === 'string'
              ? await tx.decisionByIdempotencyKey(
                  `system:${systemId}`,
                  `${gitlabDeploymentKey}${taken.deliveryId.slice(gitlabDeploymentDelivery.length)}`,
                )
              : undefined;
          if (decision) {
            decided = { decisionId: decision.id, systemId: systemId as string };
            break;
          }
        }
      }
      await tx.rememberDelivery({
        provider: 'gitlab',
        deliveryId,
        bodyDigest,
        event,
        receivedAt: now,
        replays: 0,
      });
      await this.deps.ledger.log.append(tx.ledger, [
        {
          type: 'gitlab.delivery',
          actor: 'gitlab',
          subject: deliveryId,
          data: JSON.parse(
            JSON.stringify({
              event,
              bodyDigest,
              outcome,
              project: project.path ?? project.id ?? null,
              ...(report
                ? {
                    deploymentId: report.deploymentId,
                    environment: report.environment,
                    status: report.status,
                    decision: decided?.decisionId ?? null,
                  }
                : {}),
              ...(waiting ? { environment: waiting.environment, jobId: waiting.jobId } : {}),
              ...(ignored ? { ignored } : {}),
            }),
          ) as JsonObject,
        },
      ]);
      return { replayOf: undefined, decided };
    });

    if (recorded.replayOf !== undefined) {
      this.deliveries.inc({ outcome: 'replayed' });
      throw replayedDelivery(recorded.replayOf);
    }
    this.deliveries.inc({ outcome });
    if (unknownProject) {
      const name = project.path ?? project.id ?? 'unnamed';
      throw new ArbiterError(
        'ARB_ERR_INTEGRATION_UNKNOWN_PROJECT',
        `no System deploys from GitLab project ${name}`,
        { details: { project: name } },
      );
    }
    if (report) return this.reportOutcome(deliveryId, report, recorded.decided);
    if (waiting) {
      // The job waits for approval: look at the project's blocked deployments now, not at the next poll.
      const name = this.deps.deployments.projects().find((candidate) => namesProject(candidate, project));
      if (name)
        void this.deps.deployments
          .pollProject(name)
          .catch((error: Error) =>
            this.deps.logger.warn(
              { project: name, error: error.message },
              'GitLab poll after a job event failed',
            ),
          );
      return {
        delivery: deliveryId,
        outcome: 'accepted',
        reason: `job ${waiting.jobId} waits to deploy to ${waiting.environment}: looking at the blocked deployments`,
      };
    }
    return { delivery: deliveryId, outcome: 'ignored', reason: ignored ?? 'not acted on' };
  }

  /** Why a delivery is not authentic, or undefined when every configured check holds. */
  private authenticate(delivery: GitLabDelivery): string | undefined {
    if (this.deps.webhookSecret !== undefined) {
      if (!delivery.token) return 'missing';
      if (!sameSecretText(delivery.token, this.deps.webhookSecret)) return 'mismatch';
    }
    if (this.deps.signingToken !== undefined) {
      const { webhookId, webhookTimestamp, webhookSignature } = delivery;
      if (!webhookId || !webhookTimestamp || !webhookSignature) return 'missing';
      if (!/^[0-9]{1,12}$/.test(webhookTimestamp)) return 'mismatch';
      const age = Math.abs(this.deps.clock().getTime() - Number(webhookTimestamp) * 1000);
      if (age > signatureToleranceMs) return 'stale';
      // Standard Webhooks: HMAC-SHA256 of `id.timestamp.body` under the base64 key after `whsec_`.
      const key = Buffer.from(this.deps.signingToken.replace(/^whsec_/, ''), 'base64');
      const expected = createHmac('sha256', key)
        .update(`${webhookId}.${webhookTimestamp}.${delivery.body}`)
        .digest('base64');
      const signed = webhookSignature
        .split(' ')
        .some((candidate) => candidate.startsWith('v1,') && sameSecretText(candidate.slice(3), expected));
      if (!signed) return 'mismatch';
    }
    return undefined;
  }

  /** The job started (claims the decision) or ended (its outcome), as the mapped System reports. */
  private reportOutcome(
    deliveryId: string,
    report: DeploymentEventReport,
    decided: { decisionId: string; systemId: string } | undefined,
  ): Promise<GitLabDeliveryAnswer> {
    return reportDeployment(this.deps.decisions, {
      deliveryId,
      decided,
      tokenId: 'gitlab',
      outcome: report.outcome,
      detail: `GitLab deployment ${report.status}`,
      what: `deployment ${report.deploymentId} of ${report.projectPath ?? report.projectId} (${report.environment})`,
    });
  }
}
