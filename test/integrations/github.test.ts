import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  deploymentStatusReport,
  protectionRequest,
  reviewBody,
  reviewComment,
  reviewStateOf,
  systemForRepository,
  workflowMatters,
  workflowPathOf,
} from '../../src/integrations/github.js';
import type { SystemRecord } from '../../src/policy/bundle.js';
import { bundleOf, deployingAgent } from '../helpers/bundle.js';

const recorded = JSON.parse(
  readFileSync(
    new URL('../fixtures/github/deployment_protection_rule.requested.json', import.meta.url),
    'utf8',
  ),
);
const api = 'https://api.github.com';
const withChange = (change: (body: any) => void) => {
  const body = structuredClone(recorded);
  change(body);
  return body;
};

describe('protectionRequest (deployment_protection_rule payloads)', () => {
  it('reads the recorded payload: installation, repository, environment, run from the callback URL', () => {
    const parsed = protectionRequest(recorded, api);
    expect(parsed).toEqual({
      request: {
        installation: 1,
        repository: 'Codertocat/Hello-World',
        environment: 'github-pages',
        runId: 289782451,
        callbackPath: '/repos/Codertocat/Hello-World/actions/runs/289782451/deployment_protection_rule',
        event: 'push',
        ref: 'master',
        sha: 'f95f852bd8fca8fcc58a9a2d6c842781e32a215e',
        sender: 'Codertocat',
        deployment: {},
        pullRequests: [],
      },
    });
  });

  it('accepts a GitHub Enterprise Server API URL with a path', () => {
    const ghes = 'https://github.example.com/api/v3';
    const body = withChange((b) => {
      b.deployment_callback_url = b.deployment_callback_url.replace(api, ghes);
    });
    expect('request' in protectionRequest(body, `${ghes}/`)).toBe(true);
  });

  const refusals: [string, (body: any) => void, string][] = [
    ['wrong-action', (b) => (b.action = 'completed'), 'is not "requested"'],
    ['no-installation', (b) => delete b.installation, 'no App installation'],
    ['installation-not-integer', (b) => (b.installation.id = '1'), 'no App installation'],
    ['no-environment', (b) => delete b.environment, 'no environment'],
    ['environment-too-long', (b) => (b.environment = 'e'.repeat(101)), 'no environment'],
    ['repository-with-slash-tricks', (b) => (b.repository.full_name = '../../etc'), 'no repository'],
    [
      'callback-other-host',
      (b) =>
        (b.deployment_callback_url =
          'https://evil.example/repos/Codertocat/Hello-World/actions/runs/1/deployment_protection_rule'),
      'not under the configured',
    ],
    [
      'callback-host-prefix',
      (b) =>
        (b.deployment_callback_url =
          'https://api.github.com.evil.example/repos/Codertocat/Hello-World/actions/runs/1/deployment_protection_rule'),
      'not under the configured',
    ],
    [
      'callback-other-repository',
      (b) =>
        (b.deployment_callback_url = `${api}/repos/other/repo/actions/runs/1/deployment_protection_rule`),
      'another repository',
    ],
    [
      'callback-other-endpoint',
      (b) => (b.deployment_callback_url = `${api}/repos/Codertocat/Hello-World/actions/runs/1/approve`),
      'not a protection-rule review URL',
    ],
    [
      'callback-path-traversal',
      (b) =>
        (b.deployment_callback_url = `${api}/repos/Codertocat/Hello-World/../../x/actions/runs/1/deployment_protection_rule`),
      'not a protection-rule review URL',
    ],
    ['workflow-run-differs', (b) => (b.workflow_run = { id: 1 }), 'workflow_run id differs'],
  ];
  it('refuses what is not an object', () => {
    for (const value of [[], null, 'x', 1])
      expect(protectionRequest(value, api)).toEqual({ problem: 'the payload is not a JSON object' });
  });
  for (const [name, change, reason] of refusals)
    it(`refuses ${name}`, () => {
      const parsed = protectionRequest(withChange(change), api);
      expect('problem' in parsed && parsed.problem).toContain(reason);
    });
});

const system = (id: string, github?: SystemRecord['github']): SystemRecord => ({
  id,
  kind: 'agent',
  owner: { team: 't', person: 'p' },
  onCall: { team: 't' } as SystemRecord['onCall'],
  autonomy: 3,
  riskTier: 'limited',
  status: 'active',
  ...(github ? { github } : {}),
  source: { file: 'x.yaml', line: 1, col: 1 } as SystemRecord['source'],
});

describe('systemForRepository', () => {
  const systems = [
    system('b-bot', { installation: 1, repositories: ['Org/Site'] }),
    system('a-bot', { installation: 1, repositories: ['org/site'] }),
    system('c-bot', { installation: 2, repositories: ['org/other'] }),
    system('plain'),
  ];
  it('matches installation and repository, case-insensitively, first by id', () => {
    expect(systemForRepository(systems, 1, 'ORG/SITE')?.id).toBe('a-bot');
  });
  it('never matches a repository of another installation', () => {
    expect(systemForRepository(systems, 1, 'org/other')).toBeUndefined();
    expect(systemForRepository(systems, 3, 'org/site')).toBeUndefined();
  });
});

describe('systemForRepository with workflow files: the most specific mapping wins', () => {
  const systems = [
    system('repo-bot', { installation: 1, repositories: ['org/site'] }),
    system('deploy-bot', {
      installation: 1,
      repositories: ['Org/Site'],
      workflows: ['.github/workflows/deploy.yml'],
    }),
    system('docs-bot', {
      installation: 1,
      repositories: ['org/site'],
      workflows: ['.github/workflows/docs.yml'],
    }),
    system('strict-bot', {
      installation: 1,
      repositories: ['org/strict'],
      workflows: ['.github/workflows/deploy.yml'],
    }),
  ];
  it('a System naming the workflow beats one naming only the repository, whatever their ids', () => {
    expect(systemForRepository(systems, 1, 'org/site', '.github/workflows/deploy.yml')?.id).toBe(
      'deploy-bot',
    );
    expect(systemForRepository(systems, 1, 'org/site', '.github/workflows/docs.yml')?.id).toBe('docs-bot');
    expect(systemForRepository(systems, 1, 'org/site', '.github/workflows/other.yml')?.id).toBe('repo-bot');
  });
  it('never lets a workflow System answer for another workflow, and paths are case-sensitive', () => {
    expect(systemForRepository(systems, 1, 'org/strict', '.github/workflows/other.yml')).toBeUndefined();
    expect(systemForRepository(systems, 1, 'org/strict', '.github/workflows/Deploy.yml')).toBeUndefined();
    expect(systemForRepository(systems, 1, 'org/strict')).toBeUndefined();
  });
  it('asks for the workflow only where a System maps by it', () => {
    expect(workflowMatters(systems, 1, 'ORG/STRICT')).toBe(true);
    expect(workflowMatters([systems[0]!], 1, 'org/site')).toBe(false);
  });
});

describe('workflowPathOf (a workflow run as GitHub describes it)', () => {
  const run = JSON.parse(
    readFileSync(new URL('../fixtures/github/workflow_run.json', import.meta.url), 'utf8'),
  );
  it("reads the recorded run's path, for that run only", () => {
    expect(workflowPathOf(run, 289782451)).toBe('.github/workflows/test.yml');
    expect(workflowPathOf(run, 1)).toBeUndefined();
    expect(workflowPathOf({ ...run, path: '.github/workflows/test.yml@refs/heads/main' }, 289782451)).toBe(
      '.github/workflows/test.yml',
    );
    expect(workflowPathOf({ ...run, path: '../../etc/passwd' }, 289782451)).toBeUndefined();
    expect(workflowPathOf({ ...run, path: 7 }, 289782451)).toBeUndefined();
    expect(workflowPathOf(null, 289782451)).toBeUndefined();
  });
});

describe('reviews', () => {
  const target = { installation: 1, repository: 'o/r', runId: 5, environment: 'prod' };
  it('a status report has no state; approved and rejected do', () => {
    expect(reviewBody(target, 'pending', 'waiting')).toEqual({
      environment_name: 'prod',
      comment: 'waiting',
    });
    expect(reviewBody(target, 'approved', 'ok')).toEqual({
      environment_name: 'prod',
      state: 'approved',
      comment: 'ok',
    });
  });
  it("bounds the comment to GitHub's 1024 characters", () => {
    expect(reviewBody(target, 'rejected', 'x'.repeat(5000)).comment.length).toBeLessThanOrEqual(1024);
  });
  it('names the rules, the approvers and the link', () => {
    const comment = reviewComment('approved', {
      decisionId: 'dec_1',
      status: 'allowed',
      rules: ['p/r: because'],
      approvers: ['user:alice'],
      link: 'https://arbiter.example/decisions/dec_1',
    });
    expect(comment).toBe(
      'Arbiter allowed this deployment (decision dec_1).\nRules: p/r: because\nApproved by: user:alice\nhttps://arbiter.example/decisions/dec_1',
    );
  });
  it('only allowed approves; every way of not being allowed rejects', () => {
    expect(reviewStateOf('allowed')).toBe('approved');
    expect(reviewStateOf('pending')).toBe('pending');
    for (const status of ['denied', 'expired', 'withdrawn', 'revoked'])
      expect(reviewStateOf(status)).toBe('rejected');
    expect(reviewStateOf('started')).toBeUndefined();
  });
});

describe('deploymentStatusReport', () => {
  const status = JSON.parse(
    readFileSync(new URL('../fixtures/github/deployment_status.in_progress.json', import.meta.url), 'utf8'),
  );
  it('in_progress is the job starting; queued, pending and inactive say nothing', () => {
    expect(deploymentStatusReport(status)).toMatchObject({
      report: { state: 'in_progress', outcome: 'started' },
    });
    for (const state of ['queued', 'pending', 'inactive']) {
      const body = structuredClone(status);
      body.deployment_status.state = state;
      expect(deploymentStatusReport(body)).toEqual({
        ignored: `state "${state}" neither starts nor ends a deployment`,
      });
    }
  });
  it('success, failure and error are outcomes of the run', () => {
    for (const [state, outcome] of [
      ['success', 'succeeded'],
      ['failure', 'failed'],
      ['error', 'failed'],
    ] as const) {
      const body = structuredClone(status);
      body.deployment_status.state = state;
      expect(deploymentStatusReport(body)).toMatchObject({
        report: { state, outcome, runId: status.workflow_run.id, repository: 'Codertocat/Hello-World' },
      });
    }
  });
  it('a deployment not made by a workflow run is not reported', () => {
    const body = structuredClone(status);
    body.deployment_status.state = 'success';
    delete body.workflow_run;
    expect(deploymentStatusReport(body)).toEqual({ ignored: 'not the deployment of a GitHub Actions run' });
  });
});

describe('spec.github.workflows in a System document', () => {
  const document = (workflows: string) =>
    deployingAgent(
      '{ name: site-deployer }',
      `github: { installation: 1, repositories: [acme/site], workflows: ${workflows} }`,
    );
  it('loads workflow files and refuses paths that climb out, empty lists and non-strings', () => {
    const loaded = bundleOf({ 'site.yaml': document('[.github/workflows/deploy.yml]') });
    expect(loaded.systems[0]?.github?.workflows).toEqual(['.github/workflows/deploy.yml']);
    for (const bad of ['[../../etc/passwd]', '[]', '[7]', '["/abs/deploy.yml"]'])
      expect(() => bundleOf({ 'site.yaml': document(bad) }), bad).toThrow(/workflows/);
  });
});
