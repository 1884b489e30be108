import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  approvalRequest,
  blockedDeployment,
  deploymentEventReport,
  deploymentKey,
  deployRequest,
  payloadProject,
  projectsToPoll,
  systemForDeployment,
  systemsOfProject,
  waitingDeploymentJob,
} from '../../src/integrations/gitlab.js';
import type { SystemRecord } from '../../src/policy/bundle.js';

const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`../fixtures/gitlab/${name}`, import.meta.url), 'utf8'));
const [listed] = fixture('deployments.list.json');
const blocked = { ...structuredClone(listed), status: 'blocked' };
const deploymentHook = fixture('deployment_hook.success.json');

function system(id: string, gitlab: SystemRecord['gitlab']): SystemRecord {
  return { id, gitlab } as unknown as SystemRecord;
}

describe('blockedDeployment (Deployments API list entries)', () => {
  it('reads the documented entry: id, environment, ref, sha, the job and its pipeline, who triggered it', () => {
    expect(blockedDeployment(blocked, 'acme/web')).toEqual({
      deployment: {
        project: 'acme/web',
        deploymentId: 42,
        environment: 'production',
        ref: 'main',
        sha: 'a91957a858320c0e17f3a0eca7cfacbff50ea29a',
        jobId: 664,
        jobName: 'deploy',
        pipelineId: 37,
        triggeredBy: 'root',
      },
    });
  });

  it('refuses what is not a blocked deployment, naming why', () => {
    expect(blockedDeployment(listed, 'acme/web')).toEqual({
      problem: 'deployment 42 is "created", not blocked',
    });
    expect(blockedDeployment([], 'acme/web')).toEqual({ problem: 'the entry is not a JSON object' });
    expect(blockedDeployment({ ...blocked, id: -1 }, 'acme/web')).toEqual({
      problem: 'the entry has no deployment id',
    });
    expect(blockedDeployment({ ...blocked, environment: null }, 'acme/web')).toEqual({
      problem: 'deployment 42 names no environment',
    });
  });

  it('drops a sha that is not hex, so it can never reach a URL path', () => {
    const parsed = blockedDeployment({ ...blocked, sha: '../../../projects/1' }, 'acme/web');
    expect('deployment' in parsed && parsed.deployment).toMatchObject({ deploymentId: 42 });
    expect('deployment' in parsed && parsed.deployment.sha).toBeUndefined();
  });
});

describe('mapping projects to Systems', () => {
  const systems = [
    system('web', { projects: ['Acme/Web', '30'], environments: ['production'] }),
    system('any-env', { projects: ['acme/tools'] }),
    system('other', undefined),
  ];

  it('matches paths case-insensitively and ids exactly, within the listed environments', () => {
    expect(systemForDeployment(systems, { path: 'acme/web' }, 'production')?.id).toBe('web');
    expect(systemForDeployment(systems, { id: 30 }, 'production')?.id).toBe('web');
    expect(systemForDeployment(systems, { id: 300 }, 'production')).toBeUndefined();
    expect(systemForDeployment(systems, { path: 'acme/web' }, 'staging')).toBeUndefined();
    expect(systemForDeployment(systems, { path: 'acme/tools' }, 'anything')?.id).toBe('any-env');
    expect(systemsOfProject(systems, { path: 'someone/else', id: 9 })).toEqual([]);
  });

  it('polls each project once', () => {
    expect(projectsToPoll([...systems, system('dup', { projects: ['acme/web'] })])).toEqual([
      '30',
      'Acme/Web',
      'acme/tools',
    ]);
  });
});

describe('deployRequest and approvalRequest', () => {
  const parsed = blockedDeployment(blocked, 'group/sub/app');
  if (!('deployment' in parsed)) throw new Error(parsed.problem);
  const deployment = parsed.deployment;

  it('is a deploy of the project to the environment, with GitLab facts in the context', () => {
    expect(deployRequest(deployment)).toMatchObject({
      action: 'deploy',
      resource: { type: 'repository', id: 'group/sub/app', environment: 'production' },
      context: { gitlab: { deploymentId: 42, ref: 'main', jobId: 664, triggeringActor: 'root' } },
    });
  });

  it('approves or rejects through the approval API under the URL-encoded project', () => {
    const target = {
      project: 'group/sub/app',
      deploymentId: 42,
      environment: 'production',
      sha: deployment.sha!,
    };
    expect(approvalRequest(target, 'approved', 'ok')).toEqual({
      path: '/projects/group%2Fsub%2Fapp/deployments/42/approval',
      body: { status: 'approved', comment: 'ok' },
    });
    expect(approvalRequest(target, 'rejected', 'no')?.body.status).toBe('rejected');
    // Pending: a comment on the deployed commit (the approval API has no status-only answer).
    expect(approvalRequest(target, 'pending', 'waiting')).toEqual({
      path: '/projects/group%2Fsub%2Fapp/repository/commits/a91957a858320c0e17f3a0eca7cfacbff50ea29a/comments',
      body: { note: 'waiting' },
    });
    expect(
      approvalRequest({ ...target, sha: undefined as unknown as string }, 'pending', 'x'),
    ).toBeUndefined();
    expect(approvalRequest(target, 'approved', 'x'.repeat(10_000))!.body.comment!.length).toBeLessThanOrEqual(
      4000,
    );
  });

  it('keys a deployment by project (case-insensitive) and id', () => {
    expect(deploymentKey('Acme/Web', 7)).toBe('acme/web#7');
  });
});

describe('deploymentEventReport (Deployment Hook)', () => {
  it('reads the recorded event: project by id and path, deployment, environment, outcome', () => {
    expect(deploymentEventReport(deploymentHook)).toEqual({
      report: {
        projectId: 30,
        projectPath: 'root/test-deployment-webhooks',
        deploymentId: 15,
        environment: 'staging',
        status: 'success',
        outcome: 'succeeded',
      },
    });
  });

  it('maps running to a start, failed and canceled to failures; ignores the rest with a reason', () => {
    const as = (status: string) => deploymentEventReport({ ...deploymentHook, status });
    expect(as('running')).toMatchObject({ report: { outcome: 'started' } });
    expect(as('failed')).toMatchObject({ report: { outcome: 'failed' } });
    expect(as('canceled')).toMatchObject({ report: { outcome: 'failed' } });
    expect(as('blocked')).toEqual({ ignored: 'status "blocked" neither starts nor ends a deployment' });
    expect(deploymentEventReport({ ...deploymentHook, object_kind: 'build' })).toEqual({
      ignored: 'not a deployment event',
    });
    expect(deploymentEventReport({ ...deploymentHook, project: {} })).toEqual({
      ignored: 'the payload names no project',
    });
  });

  it('reads no project path that is not one', () => {
    expect(payloadProject({ project: { id: 3, path_with_namespace: '../x' } })).toEqual({ id: 3 });
    expect(payloadProject({ project: { path_with_namespace: 'a/..' } })).toEqual({});
    expect(payloadProject({ project: { path_with_namespace: 'group/.hidden-ok' } })).toEqual({
      path: 'group/.hidden-ok',
    });
  });
});

describe('waitingDeploymentJob (Job Hook)', () => {
  const job = fixture('job_hook.json');
  it('is a hint only for a manual job with an environment', () => {
    expect(waitingDeploymentJob(job)).toBeUndefined();
    expect(
      waitingDeploymentJob({
        ...job,
        build_status: 'manual',
        environment: { name: 'production', action: 'start' },
      }),
    ).toEqual({ environment: 'production', jobId: 1977 });
  });
});
