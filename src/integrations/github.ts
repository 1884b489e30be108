import type { JsonObject } from '../core/json.js';
import type { SystemRecord } from '../policy/bundle.js';
import type { ActionRequest } from '../policy/request.js';

/**
 * GitHub custom deployment protection rules as Arbiter sees them: which System a
 * `deployment_protection_rule` delivery speaks for, the action request it becomes, and the
 * review Arbiter sends back. Pure: the adapter in app/integrations/github does the HTTP.
 * Shapes follow docs.github.com "Webhook events and payloads › deployment_protection_rule" and
 * "REST API › Actions › Workflow runs › Review custom deployment protection rules".
 */

/** The fields of a `deployment_protection_rule` payload Arbiter reads, checked (see `protectionRequest`). */
export interface ProtectionRequest {
  installation: number;
  /** `owner/name` as GitHub spells it. */
  repository: string;
  environment: string;
  runId: number;
  /** Where GitHub wants the answer (checked against the configured API URL, never followed as given). */
  callbackPath: string;
  event?: string;
  ref?: string;
  sha?: string;
  /** GitHub login of whoever triggered the run. */
  sender?: string;
  deployment?: JsonObject;
  pullRequests: number[];
  /** The run's workflow file, when it was needed to find the System (read from the run, not the payload). */
  workflow?: string;
}

const callbackPattern =
  /^\/repos\/([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)\/actions\/runs\/([1-9][0-9]{0,18})\/deployment_protection_rule$/;

function text(value: unknown, max = 500): string | undefined {
  return typeof value === 'string' && value.length > 0 && value.length <= max ? value : undefined;
}

/**
 * The protection request in a `deployment_protection_rule` payload, or why it is not one.
 * `apiUrl` is the configured GitHub API (api.github.com or GHES `https://HOST/api/v3`): a callback
 * URL elsewhere, or for another repository than the payload's, is refused, so a payload can never
 * make Arbiter send an installation token to a host of its choosing.
 */
export function protectionRequest(
  payload: unknown,
  apiUrl: string,
): { request: ProtectionRequest } | { problem: string } {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
    return { problem: 'the payload is not a JSON object' };
  const body = payload as Record<string, unknown>;
  if (body.action !== 'requested')
    return { problem: `action ${JSON.stringify(body.action)} is not "requested"` };
  const installation = (body.installation as { id?: unknown } | undefined)?.id;
  if (!Number.isSafeInteger(installation) || (installation as number) < 1)
    return { problem: 'the payload names no App installation' };
  const repository = text((body.repository as { full_name?: unknown } | undefined)?.full_name, 200);
  if (!repository || !/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(repository))
    return { problem: 'the payload names no repository' };
  const environment = text(body.environment, 100);
  if (!environment) return { problem: 'the payload names no environment' };
  const callback = text(body.deployment_callback_url, 2000);
  if (!callback) return { problem: 'the payload has no deployment_callback_url' };
  const base = apiUrl.replace(/\/+$/, '');
  if (!callback.startsWith(`${base}/`))
    return { problem: `the deployment_callback_url is not under the configured GitHub API ${base}` };
  const callbackPath = callback.slice(base.length);
  const match = callbackPattern.exec(callbackPath);
  if (!match) return { problem: 'the deployment_callback_url is not a protection-rule review URL' };
  if (`${match[1]}/${match[2]}`.toLowerCase() !== repository.toLowerCase())
    return { problem: 'the deployment_callback_url names another repository than the payload' };
  const workflowRun = (body.workflow_run as { id?: unknown } | undefined)?.id;
  if (workflowRun !== undefined && workflowRun !== Number(match[3]))
    return { problem: 'the workflow_run id differs from the run in the deployment_callback_url' };
  const deployment = body.deployment as Record<string, unknown> | undefined;
  const pullRequests = Array.isArray(body.pull_requests)
    ? body.pull_requests
        .map((pull) => (pull as { number?: unknown }).number)
        .filter((n): n is number => Number.isSafeInteger(n))
        .slice(0, 20)
    : [];
  const ref = text(deployment?.ref) ?? text(body.ref);
  const sha = text(deployment?.sha, 64) ?? text(body.sha, 64);
  const sender = text((body.sender as { login?: unknown } | undefined)?.login, 100);
  const event = text(body.event, 100);
  const deploymentPayload = deployment?.payload;
  return {
    request: {
      installation: installation as number,
      repository,
      environment,
      runId: Number(match[3]),
      callbackPath,
      ...(event ? { event } : {}),
      ...(ref ? { ref } : {}),
      ...(sha ? { sha } : {}),
      ...(sender ? { sender } : {}),
      ...(deploymentPayload && typeof deploymentPayload === 'object' && !Array.isArray(deploymentPayload)
        ? { deployment: deploymentPayload as JsonObject }
        : {}),
      pullRequests,
    },
  };
}

/** The Systems that deploy through this App installation; none means the installation is unknown. */
export function systemsOfInstallation(
  systems: readonly SystemRecord[],
  installation: number,
): SystemRecord[] {
  return systems.filter((system) => system.github?.installation === installation);
}

/** The Systems of this installation that name the repository (GitHub's names are case-insensitive). */
function systemsOfRepository(
  systems: readonly SystemRecord[],
  installation: number,
  repository: string,
): SystemRecord[] {
  const wanted = repository.toLowerCase();
  return systemsOfInstallation(systems, installation)
    .filter((system) => system.github!.repositories.some((name) => name.toLowerCase() === wanted))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * True when a System of this installation maps the repository by workflow file, so the run's
 * workflow must be known before the request has a System (GitHub's protection-rule payload does
 * not name it; the App reads it from the run).
 */
export function workflowMatters(
  systems: readonly SystemRecord[],
  installation: number,
  repository: string,
): boolean {
  return systemsOfRepository(systems, installation, repository).some(
    (system) => system.github!.workflows !== undefined,
  );
}

/**
 * The System a protection request speaks for, most specific first: one whose `spec.github` names
 * this installation, repository and the run's workflow file; else one naming the repository
 * without workflows. A System that names other workflows of the repository never answers for this
 * one. Undefined when none does. The bundle loader does not stop two Systems from claiming one
 * repository (or workflow), so the first by id wins and the others are named in the docs as a
 * mistake.
 */
export function systemForRepository(
  systems: readonly SystemRecord[],
  installation: number,
  repository: string,
  workflow?: string,
): SystemRecord | undefined {
  const candidates = systemsOfRepository(systems, installation, repository);
  const byWorkflow =
    workflow === undefined
      ? undefined
      : candidates.find((system) => system.github!.workflows?.includes(workflow));
  return byWorkflow ?? candidates.find((system) => system.github!.workflows === undefined);
}

/**
 * The workflow file of a run, from GitHub's workflow-run object (REST "Get a workflow run", the
 * same schema as `workflow_run` in webhooks): `path`, without any `@ref` suffix. Undefined when the
 * answer is not a run with a path, or is about another run.
 */
export function workflowPathOf(run: unknown, runId: number): string | undefined {
  if (typeof run !== 'object' || run === null) return undefined;
  const { id, path } = run as { id?: unknown; path?: unknown };
  if (id !== runId || typeof path !== 'string') return undefined;
  const file = path.split('@')[0]!;
  return file.length > 0 && file.length <= 255 && !file.includes('..') ? file : undefined;
}

/** The action request a protection request becomes: `deploy` of the repository to the environment. */
export function deployRequest(protection: ProtectionRequest): ActionRequest {
  return {
    action: 'deploy',
    resource: { type: 'repository', id: protection.repository, environment: protection.environment },
    rationale: `GitHub Actions run ${protection.runId} of ${protection.repository} deploys to ${protection.environment}`,
    context: {
      github: {
        installation: protection.installation,
        repository: protection.repository,
        runId: protection.runId,
        environment: protection.environment,
        ...(protection.event ? { event: protection.event } : {}),
        ...(protection.ref ? { ref: protection.ref } : {}),
        ...(protection.sha ? { sha: protection.sha } : {}),
        ...(protection.sender ? { triggeringActor: protection.sender } : {}),
        ...(protection.workflow ? { workflow: protection.workflow } : {}),
        ...(protection.deployment ? { deploymentPayload: protection.deployment } : {}),
        pullRequests: protection.pullRequests,
      },
    },
  };
}

/** Where a review goes, kept with the delivery that asked for it. */
export interface ReviewTarget {
  installation: number;
  repository: string;
  runId: number;
  environment: string;
}

/** What Arbiter answers: approved, rejected, or (no state) a status report while a decision is pending. */
export type ReviewState = 'approved' | 'rejected' | 'pending';

/** The body of `POST /repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule`. */
export function reviewBody(
  target: ReviewTarget,
  state: ReviewState,
  comment: string,
): { environment_name: string; comment: string; state?: 'approved' | 'rejected' } {
  // GitHub limits the comment to 1024 characters; a longer one is refused with 422.
  const bounded = comment.length > 1024 ? `${comment.slice(0, 1020)} …` : comment;
  return {
    environment_name: target.environment,
    ...(state === 'pending' ? {} : { state }),
    comment: bounded,
  };
}

/** What a review comment says about a decision: the rules that decided, who approved, where to look. */
export interface ReviewFacts {
  decisionId: string;
  status: string;
  statusReason?: string;
  /** `policy/rule: message` of each rule that fired. */
  rules: readonly string[];
  approvers: readonly string[];
  link?: string;
}

/** The comment GitHub shows beside the review: names the rule, the approvers and the link. */
export function reviewComment(state: ReviewState, facts: ReviewFacts): string {
  const head =
    state === 'approved'
      ? `Arbiter allowed this deployment (decision ${facts.decisionId}).`
      : state === 'rejected'
        ? `Arbiter denied this deployment (decision ${facts.decisionId}${facts.statusReason ? `: ${facts.statusReason}` : ''}).`
        : `Arbiter is waiting for approval (decision ${facts.decisionId}).`;
  const lines = [head];
  if (facts.rules.length > 0) lines.push(`Rules: ${facts.rules.join('; ')}`);
  if (facts.approvers.length > 0) lines.push(`Approved by: ${facts.approvers.join(', ')}`);
  if (facts.link) lines.push(facts.link);
  return lines.join('\n');
}

/** The review state for a decision status; undefined for statuses that send nothing. */
export function reviewStateOf(status: string): ReviewState | undefined {
  if (status === 'allowed') return 'approved';
  if (status === 'pending') return 'pending';
  if (status === 'denied' || status === 'expired' || status === 'withdrawn' || status === 'revoked')
    return 'rejected';
  return undefined;
}

/** The key of a run's deployment to one environment, as deliveries are found again by it. */
export function runKey(repository: string, runId: number, environment: string): string {
  return `${repository.toLowerCase()}#${runId}#${environment}`;
}

/** What a `deployment_status` delivery says about a deployment Arbiter decided. */
export interface DeploymentStatusReport {
  installation: number;
  repository: string;
  environment: string;
  runId: number;
  /** GitHub's state: in_progress (the job started), or success, failure, error (it ended). */
  state: 'in_progress' | 'success' | 'failure' | 'error';
  /** `started` claims the decision (its execution window ends there); the others are outcomes. */
  outcome: 'started' | 'succeeded' | 'failed';
  description?: string;
}

/**
 * What a `deployment_status` payload says of a GitHub Actions run (with `workflow_run`), or why
 * nothing: `in_progress` is the job starting (it claims the decision, as an agent's start does);
 * success, failure and error are outcomes; queued, pending and inactive say nothing.
 */
export function deploymentStatusReport(
  payload: unknown,
): { report: DeploymentStatusReport } | { ignored: string } {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
    return { ignored: 'the payload is not a JSON object' };
  const body = payload as Record<string, unknown>;
  const status = body.deployment_status as Record<string, unknown> | undefined;
  const state = status?.state;
  if (state !== 'in_progress' && state !== 'success' && state !== 'failure' && state !== 'error')
    return { ignored: `state ${JSON.stringify(state ?? null)} neither starts nor ends a deployment` };
  const installation = (body.installation as { id?: unknown } | undefined)?.id;
  if (!Number.isSafeInteger(installation)) return { ignored: 'the payload names no App installation' };
  const repository = text((body.repository as { full_name?: unknown } | undefined)?.full_name, 200);
  if (!repository) return { ignored: 'the payload names no repository' };
  const runId = (body.workflow_run as { id?: unknown } | undefined)?.id;
  if (!Number.isSafeInteger(runId)) return { ignored: 'not the deployment of a GitHub Actions run' };
  const environment =
    text(status?.environment, 100) ??
    text((body.deployment as { environment?: unknown } | undefined)?.environment, 100);
  if (!environment) return { ignored: 'the payload names no environment' };
  const description = text(status?.description, 500);
  return {
    report: {
      installation: installation as number,
      repository,
      environment,
      runId: runId as number,
      state,
      outcome: state === 'in_progress' ? 'started' : state === 'success' ? 'succeeded' : 'failed',
      ...(description ? { description } : {}),
    },
  };
}
