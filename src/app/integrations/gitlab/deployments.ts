import { createHash } from 'node:crypto';
import { Counter, type Registry } from 'prom-client';
import type { JsonObject } from '../../../core/json.js';
import type { Logger } from '../../../core/logger.js';
import type { Principal } from '../../../identity/principal.js';
import {
  type ApprovalTarget,
  type BlockedDeployment,
  blockedDeployment,
  deploymentKey,
  deployRequest,
  projectsToPoll,
  systemForDeployment,
} from '../../../integrations/gitlab.js';
import type { Store } from '../../../store/store.js';
import type { DecisionService } from '../../decisions/decisions.js';
import type { Ledger } from '../../ledger/ledger.js';
import type { PolicyHolder } from '../../policies/policies.js';
import { type GitLabApprovals, gitlabDeploymentDelivery, gitlabDeploymentKey } from './approvals.js';

export interface GitLabDeploymentDeps {
  store: Store;
  ledger: Ledger;
  policies: PolicyHolder;
  decisions: DecisionService;
  approvals: GitLabApprovals;
  clock: () => Date;
  registry: Registry;
  logger: Logger;
}

/** What one look at a project found. */
export interface PollResult {
  project: string;
  /** Blocked deployments seen for the first time, and the decision each became (or why none). */
  taken: { deploymentId: number; decision?: string; rejected?: string }[];
  /** Set when GitLab could not be asked: nothing was decided, the next poll asks again. */
  error?: string;
}

/** GitLab's largest page. */
const pageSize = 100;
/** Pages read per poll: more than 2,000 deployments waiting in one project wait for the next polls. */
const maxPages = 20;

/**
 * Blocked GitLab deployments: GitLab sends no webhook when a deployment becomes `blocked`, so the
 * projects Systems name are asked (`GET /projects/:id/deployments?status=blocked`) on an interval,
 * and at once when a job event says a deployment job is waiting. Each blocked deployment is taken
 * once, as a webhook delivery is (the integration_deliveries table, keyed by project and
 * deployment id, so replicas polling together take it once), recorded in the ledger, and becomes a
 * `deploy` decision asked by the System the project maps to; the answer is queued with the decision.
 */
export class GitLabDeployments {
  private readonly polls: Counter<'outcome'>;
  /** One poll of a project at a time; a wake-up during a poll is served by that poll. */
  private readonly inFlight = new Map<string, Promise<PollResult>>();

  constructor(private readonly deps: GitLabDeploymentDeps) {
    this.polls = new Counter({
      name: 'arbiter_gitlab_polls_total',
      help: 'Looks at the blocked deployments of a GitLab project, by outcome (ok, error)',
      labelNames: ['outcome'],
      registers: [deps.registry],
    });
  }

  /** The projects of the bundle in force. */
  projects(): string[] {
    return projectsToPoll(this.deps.policies.bundle.systems);
  }

  /** Looks at every project some System names; a project GitLab cannot answer for does not stop the rest. */
  async pollAll(): Promise<PollResult[]> {
    const results: PollResult[] = [];
    for (const project of this.projects()) results.push(await this.pollProject(project));
    return results;
  }

  /** Looks at one project's blocked deployments now (joining a poll already under way). */
  pollProject(project: string): Promise<PollResult> {
    const key = project.toLowerCase();
    const running = this.inFlight.get(key);
    if (running) return running;
    const poll = this.poll(project).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, poll);
    return poll;
  }

  private async poll(project: string): Promise<PollResult> {
    const taken: PollResult['taken'] = [];
    // Page by page: deployments whose decisions are pending stay blocked (and listed), so the
    // newer ones can be on a later page.
    for (let page = 1; page <= maxPages; page++) {
      let entries: unknown[];
      try {
        entries = await this.list(project, page);
      } catch (error) {
        const message = (error as Error).name === 'TimeoutError' ? 'no answer' : (error as Error).message;
        this.polls.inc({ outcome: 'error' });
        // Nothing is decided without GitLab's list; the deployment keeps waiting for the next poll.
        this.deps.logger.warn(
          { project, page, error: message },
          'GitLab blocked deployments could not be listed; trying again at the next poll',
        );
        return { project, taken, error: message };
      }
      for (const entry of entries) {
        const parsed = blockedDeployment(entry, project);
        if ('problem' in parsed) {
          this.deps.logger.warn({ project, problem: parsed.problem }, 'GitLab deployment entry ignored');
          continue;
        }
        const result = await this.take(parsed.deployment);
        if (result) taken.push(result);
      }
      if (entries.length < pageSize) break;
    }
    this.polls.inc({ outcome: 'ok' });
    return { project, taken };
  }

  /** One page of the project's blocked deployments, oldest first. */
  private async list(project: string, page: number): Promise<unknown[]> {
    const response = await this.deps.approvals.call(
      `/projects/${encodeURIComponent(project)}/deployments?status=blocked&order_by=id&sort=asc&per_page=${pageSize}&page=${page}`,
      { method: 'GET' },
    );
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      throw new Error(`HTTP ${response.status}`);
    }
    const text = await response.text();
    if (text.length > 8 * 1024 * 1024) throw new Error('the answer is larger than 8 MiB');
    const entries = JSON.parse(text) as unknown;
    if (!Array.isArray(entries)) throw new Error('the answer is not a list of deployments');
    return entries.slice(0, pageSize);
  }

  /** Takes a blocked deployment once: recorded, then decided; undefined when it was taken before. */
  async take(deployment: BlockedDeployment): Promise<PollResult['taken'][number] | undefined> {
    const key = deploymentKey(deployment.project, deployment.deploymentId);
    const system = systemForDeployment(
      this.deps.policies.bundle.systems,
      /^[0-9]+$/.test(deployment.project) ? { id: Number(deployment.project) } : { path: deployment.project },
      deployment.environment,
    );
    const target: ApprovalTarget = {
      project: deployment.project,
      deploymentId: deployment.deploymentId,
      environment: deployment.environment,
      ...(deployment.sha ? { sha: deployment.sha } : {}),
    };
    const deliveryId = `${gitlabDeploymentDelivery}${key}`;
    // A deployment still blocked because its decision is pending is listed at every poll: a read
    // settles that without a write transaction (the insert below still decides a race).
    if (await this.deps.store.delivery('gitlab', deliveryId)) return undefined;
    const reason = system
      ? undefined
      : `no System maps GitLab project ${deployment.project} to environment ${deployment.environment}`;
    const fresh = await this.deps.store.write(async (tx) => {
      const remembered = await tx.rememberDelivery({
        provider: 'gitlab',
        deliveryId,
        // Unique per provider like a webhook body's digest: the deployment's identity.
        bodyDigest: `sha256:${createHash('sha256').update(deliveryId).digest('hex')}`,
        event: 'deployment.blocked',
        receivedAt: this.deps.clock().toISOString(),
        target: { ...target, system: system?.id ?? null } as unknown as JsonObject,
        runKey: key,
        replays: 0,
      });
      if (!remembered) return false;
      await this.deps.ledger.log.append(tx.ledger, [
        {
          type: 'gitlab.deployment',
          actor: 'gitlab',
          subject: key,
          data: JSON.parse(
            JSON.stringify({
              project: deployment.project,
              deploymentId: deployment.deploymentId,
              environment: deployment.environment,
              ref: deployment.ref ?? null,
              sha: deployment.sha ?? null,
              jobId: deployment.jobId ?? null,
              outcome: system ? 'accepted' : 'unmapped',
              system: system?.id ?? null,
            }),
          ) as JsonObject,
        },
      ]);
      // No System answers for this project and environment: GitLab is told why, never left waiting.
      if (!system)
        await this.deps.approvals.queue(tx, {
          target,
          state: 'rejected',
          comment: `Arbiter denied this deployment: ${reason}; add it to a System's spec.gitlab.`,
          decisionId: `gitlab-deployment:${key}`,
        });
      return true;
    });
    if (!fresh) return undefined;
    if (!system) return { deploymentId: deployment.deploymentId, rejected: reason! };
    const principal: Principal = { tokenId: 'gitlab', role: 'agent', systemId: system.id, groups: [] };
    try {
      const { decision } = await this.deps.decisions.request(principal, {
        ...deployRequest(deployment),
        idempotencyKey: `${gitlabDeploymentKey}${key}`,
      });
      return { deploymentId: deployment.deploymentId, decision: decision.id };
    } catch (error) {
      // No decision could be asked (e.g. the System is not registered): GitLab is told, never left waiting.
      const message = (error as Error).message;
      await this.deps.store.write((tx) =>
        this.deps.approvals.queue(tx, {
          target,
          state: 'rejected',
          comment: `Arbiter denied this deployment: ${message}`,
          decisionId: `gitlab-deployment:${key}`,
        }),
      );
      this.deps.logger.warn(
        { deployment: key, error: message },
        'GitLab deployment refused: no decision could be asked',
      );
      return { deploymentId: deployment.deploymentId, rejected: message };
    }
  }
}
