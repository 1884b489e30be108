import type { SystemRecord } from '../policy/bundle.js';
import { gitlabProjectPattern } from '../policy/documents.js';
import type { ActionRequest } from '../policy/request.js';

/**
 * GitLab deployment approvals as Arbiter sees them: a deployment to a protected environment waits
 * in status `blocked` until its required approvals are given; Arbiter finds it (Deployments API,
 * `GET /projects/:id/deployments?status=blocked`), decides, and approves or rejects it
 * (`POST /projects/:id/deployments/:deployment_id/approval`). Deployment webhooks report the
 * outcome. Pure: the adapter in app/integrations/gitlab does the HTTP. Shapes follow
 * docs.gitlab.com "Deployments API" and "Webhook events › Deployment events / Job events".
 */

/** A blocked deployment, as the Deployments API lists it, with the project it was listed under. */
export interface BlockedDeployment {
  /** The project as the System names it (path or id): the one the API was asked about. */
  project: string;
  deploymentId: number;
  environment: string;
  ref?: string;
  sha?: string;
  /** The CI/CD job that deploys (`deployable`), and its pipeline. */
  jobId?: number;
  jobName?: string;
  pipelineId?: number;
  /** GitLab username of whoever triggered the deployment. */
  triggeredBy?: string;
}

function text(value: unknown, max = 500): string | undefined {
  return typeof value === 'string' && value.length > 0 && value.length <= max ? value : undefined;
}

function positiveInteger(value: unknown): number | undefined {
  return Number.isSafeInteger(value) && (value as number) > 0 ? (value as number) : undefined;
}

/**
 * One entry of `GET /projects/:id/deployments?status=blocked`, or why it is not a blocked
 * deployment Arbiter can answer. `project` is the project the list was asked for (the entries do
 * not name it), so an answer always goes to the project Arbiter chose, never to one a payload names.
 */
export function blockedDeployment(
  entry: unknown,
  project: string,
): { deployment: BlockedDeployment } | { problem: string } {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
    return { problem: 'the entry is not a JSON object' };
  const body = entry as Record<string, unknown>;
  const deploymentId = positiveInteger(body.id);
  if (!deploymentId) return { problem: 'the entry has no deployment id' };
  if (body.status !== 'blocked')
    return { problem: `deployment ${deploymentId} is ${JSON.stringify(body.status)}, not blocked` };
  const environment = text((body.environment as { name?: unknown } | undefined)?.name, 255);
  if (!environment) return { problem: `deployment ${deploymentId} names no environment` };
  const deployable = body.deployable as Record<string, unknown> | null | undefined;
  const ref = text(body.ref, 255);
  const sha = text(body.sha, 64);
  const jobId = positiveInteger(deployable?.id);
  const jobName = text(deployable?.name, 255);
  const pipelineId = positiveInteger((deployable?.pipeline as { id?: unknown } | undefined)?.id);
  const triggeredBy = text((body.user as { username?: unknown } | undefined)?.username, 255);
  return {
    deployment: {
      project,
      deploymentId,
      environment,
      ...(ref ? { ref } : {}),
      ...(sha && /^[0-9a-f]{7,64}$/.test(sha) ? { sha } : {}),
      ...(jobId ? { jobId } : {}),
      ...(jobName ? { jobName } : {}),
      ...(pipelineId ? { pipelineId } : {}),
      ...(triggeredBy ? { triggeredBy } : {}),
    },
  };
}

/** Whether `name` (as a System writes it) is this project, known by its path and/or id. */
export function namesProject(name: string, project: { path?: string; id?: number }): boolean {
  if (/^[0-9]+$/.test(name)) return project.id !== undefined && Number(name) === project.id;
  return project.path !== undefined && name.toLowerCase() === project.path.toLowerCase();
}

/** The Systems that deploy from this project (in any environment); none means the project is unknown. */
export function systemsOfProject(
  systems: readonly SystemRecord[],
  project: { path?: string; id?: number },
): SystemRecord[] {
  return systems.filter((system) => system.gitlab?.projects.some((name) => namesProject(name, project)));
}

/**
 * The System a deployment speaks for: the first by id whose `spec.gitlab` names the project and,
 * when it lists environments, this environment. Undefined when none does (the deployment is
 * rejected with that reason).
 */
export function systemForDeployment(
  systems: readonly SystemRecord[],
  project: { path?: string; id?: number },
  environment: string,
): SystemRecord | undefined {
  return systemsOfProject(systems, project)
    .filter((system) => !system.gitlab!.environments || system.gitlab!.environments.includes(environment))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))[0];
}

/** Every project some System names, once each (as written: paths compare case-insensitively). */
export function projectsToPoll(systems: readonly SystemRecord[]): string[] {
  const seen = new Map<string, string>();
  for (const system of systems)
    for (const name of system.gitlab?.projects ?? [])
      seen.set(name.toLowerCase(), seen.get(name.toLowerCase()) ?? name);
  return [...seen.values()].sort();
}

/** How a deployment is found again (by the poller, and by deployment events): project and id. */
export function deploymentKey(project: string, deploymentId: number): string {
  return `${project.toLowerCase()}#${deploymentId}`;
}

/** The action request a blocked deployment becomes: `deploy` of the project to the environment. */
export function deployRequest(deployment: BlockedDeployment): ActionRequest {
  return {
    action: 'deploy',
    resource: { type: 'repository', id: deployment.project, environment: deployment.environment },
    rationale: `GitLab deployment ${deployment.deploymentId} of ${deployment.project} waits for approval to deploy to ${deployment.environment}`,
    context: {
      gitlab: {
        project: deployment.project,
        deploymentId: deployment.deploymentId,
        environment: deployment.environment,
        ...(deployment.ref ? { ref: deployment.ref } : {}),
        ...(deployment.sha ? { sha: deployment.sha } : {}),
        ...(deployment.jobId ? { jobId: deployment.jobId } : {}),
        ...(deployment.jobName ? { jobName: deployment.jobName } : {}),
        ...(deployment.pipelineId ? { pipelineId: deployment.pipelineId } : {}),
        ...(deployment.triggeredBy ? { triggeringActor: deployment.triggeredBy } : {}),
      },
    },
  };
}

/** Where an answer goes, kept with the deployment that asked for it. */
export interface ApprovalTarget {
  project: string;
  deploymentId: number;
  environment: string;
  /** The deployed commit: a pending decision is reported as a comment on it. */
  sha?: string;
}

/**
 * GitLab's approval API takes only `approved` or `rejected`; while a decision is pending Arbiter
 * reports it as a comment on the deployed commit instead (GitLab has no status-only approval).
 */
export type ApprovalState = 'approved' | 'rejected' | 'pending';

/** GitLab keeps notes up to 1,000,000 characters; an approval comment is kept short anyway. */
const commentLimit = 4000;

function bounded(comment: string): string {
  return comment.length > commentLimit ? `${comment.slice(0, commentLimit - 2)} …` : comment;
}

/** The request for an answer: the approval (approved, rejected) or the commit comment (pending). */
export function approvalRequest(
  target: ApprovalTarget,
  state: ApprovalState,
  comment: string,
): { path: string; body: Record<string, string> } | undefined {
  const project = encodeURIComponent(target.project);
  if (state === 'pending') {
    // Without a commit there is nowhere to show the status; the approval follows when decided.
    if (!target.sha) return undefined;
    return {
      path: `/projects/${project}/repository/commits/${target.sha}/comments`,
      body: { note: bounded(comment) },
    };
  }
  return {
    path: `/projects/${project}/deployments/${target.deploymentId}/approval`,
    body: { status: state, comment: bounded(comment) },
  };
}

/** What a deployment event (`Deployment Hook`) says about a deployment. */
export interface DeploymentEventReport {
  projectId?: number;
  projectPath?: string;
  deploymentId: number;
  environment: string;
  /** GitLab's status: running (the job started), or success, failed, canceled (it ended). */
  status: 'running' | 'success' | 'failed' | 'canceled';
  /** `started` claims the decision (its execution window ends there); the others are outcomes. */
  outcome: 'started' | 'succeeded' | 'failed';
}

/** The project a webhook payload is about: `project.id` and `project.path_with_namespace`. */
export function payloadProject(payload: unknown): { id?: number; path?: string } {
  const project = (payload as { project?: Record<string, unknown> } | null)?.project;
  const id =
    positiveInteger(project?.id) ?? positiveInteger((payload as { project_id?: unknown } | null)?.project_id);
  const path = text(project?.path_with_namespace, 255);
  return { ...(id ? { id } : {}), ...(path && gitlabProjectPattern.test(path) ? { path } : {}) };
}

/**
 * What a deployment event says, or why nothing: `running` is the job starting (it claims the
 * decision, as an agent's start does); success, failed and canceled are outcomes (a canceled
 * deployment did not do what was approved: it counts as failed). Deployment events are not sent
 * for `blocked`, which is why blocked deployments are found through the API.
 */
export function deploymentEventReport(
  payload: unknown,
): { report: DeploymentEventReport } | { ignored: string } {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
    return { ignored: 'the payload is not a JSON object' };
  const body = payload as Record<string, unknown>;
  if (body.object_kind !== 'deployment') return { ignored: 'not a deployment event' };
  const status = body.status;
  if (status !== 'running' && status !== 'success' && status !== 'failed' && status !== 'canceled')
    return { ignored: `status ${JSON.stringify(status ?? null)} neither starts nor ends a deployment` };
  const deploymentId = positiveInteger(body.deployment_id);
  if (!deploymentId) return { ignored: 'the payload names no deployment' };
  const environment = text(body.environment, 255);
  if (!environment) return { ignored: 'the payload names no environment' };
  const project = payloadProject(body);
  if (project.id === undefined && project.path === undefined)
    return { ignored: 'the payload names no project' };
  return {
    report: {
      ...(project.id !== undefined ? { projectId: project.id } : {}),
      ...(project.path !== undefined ? { projectPath: project.path } : {}),
      deploymentId,
      environment,
      status,
      outcome: status === 'running' ? 'started' : status === 'success' ? 'succeeded' : 'failed',
    },
  };
}

/**
 * Whether a job event (`Job Hook`) is a deployment job now waiting: a job that needs deployment
 * approval becomes `manual` while its deployment is blocked. It is only a hint to look at the
 * project's blocked deployments now rather than at the next poll; the job event itself approves
 * nothing.
 */
export function waitingDeploymentJob(payload: unknown): { environment: string; jobId: number } | undefined {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return undefined;
  const body = payload as Record<string, unknown>;
  if (body.object_kind !== 'build' || body.build_status !== 'manual') return undefined;
  const environment = text((body.environment as { name?: unknown } | null | undefined)?.name, 255);
  const jobId = positiveInteger(body.build_id);
  return environment && jobId ? { environment, jobId } : undefined;
}
