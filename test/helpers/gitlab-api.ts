import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { type ReceivedCall, startApiStandIn } from './api-stand-in.js';
import { deployingAgent } from './bundle.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/gitlab/${name}`, import.meta.url), 'utf8');

/** The documented list entry (fixtures/gitlab/deployments.list.json) as a blocked deployment. */
export function blockedEntry(id: number, environment: string): Record<string, any> {
  const [entry] = JSON.parse(fixture('deployments.list.json'));
  entry.id = id;
  entry.iid = id;
  entry.status = 'blocked';
  entry.environment.name = environment;
  return entry;
}

/**
 * A real HTTP server on loopback standing in for a GitLab instance's REST API (`/api/v4`), with
 * the documented shapes (docs.gitlab.com "Deployments API" and "Commits API"): it lists a
 * project's blocked deployments, takes approvals (and unblocks the deployment as GitLab does once
 * its one required approval is given), takes commit comments, and refuses a wrong token with 401.
 */
export class GitLabApiStandIn {
  readonly token = 'glpat-standin-not-a-real-token';
  readonly calls: ReceivedCall[] = [];
  /** Blocked deployments by project, as the URL names it (path or id, URL-decoded). */
  readonly blocked = new Map<string, Record<string, any>[]>();
  /** Status the approval endpoint answers (201 is GitLab's success); set 503 to take it down. */
  approvalStatus = 201;
  /** Status the list endpoint answers; set 503 to take it down. */
  listStatus = 200;
  private server?: Server;
  url = '';

  async start(): Promise<this> {
    const { server, url } = await startApiStandIn(this.calls, ({ method, path, headers, body }, answer) => {
      if (headers['private-token'] !== this.token) return answer(401, { message: '401 Unauthorized' });
      const url = new URL(path, 'http://stand-in');
      const list = /^\/api\/v4\/projects\/([^/]+)\/deployments$/.exec(url.pathname);
      if (method === 'GET' && list) {
        if (this.listStatus !== 200) return answer(this.listStatus, { message: 'unavailable' });
        if (url.searchParams.get('status') !== 'blocked') return answer(400, { message: 'status' });
        const all = this.blocked.get(decodeURIComponent(list[1]!)) ?? [];
        if (!Array.isArray(all)) return answer(200, all);
        const perPage = Number(url.searchParams.get('per_page') ?? 20);
        const page = Number(url.searchParams.get('page') ?? 1);
        return answer(200, all.slice((page - 1) * perPage, page * perPage));
      }
      const approval = /^\/api\/v4\/projects\/([^/]+)\/deployments\/(\d+)\/approval$/.exec(url.pathname);
      if (method === 'POST' && approval) {
        if (this.approvalStatus !== 201) return answer(this.approvalStatus, { message: 'unavailable' });
        const { status, comment } = JSON.parse(body);
        if (status !== 'approved' && status !== 'rejected')
          return answer(400, { message: 'status does not have a valid value' });
        const project = decodeURIComponent(approval[1]!);
        const deployments = this.blocked.get(project) ?? [];
        const index = deployments.findIndex((entry) => entry.id === Number(approval[2]));
        if (index < 0) return answer(404, { message: '404 Deployment Not Found' });
        deployments.splice(index, 1);
        return answer(201, {
          ...JSON.parse(fixture('deployment_approval.response.json')),
          status,
          comment,
        });
      }
      const comment = /^\/api\/v4\/projects\/([^/]+)\/repository\/commits\/([0-9a-f]+)\/comments$/.exec(
        url.pathname,
      );
      if (method === 'POST' && comment) {
        const { note } = JSON.parse(body);
        return answer(201, { note, author: { username: 'arbiter' } });
      }
      answer(404, { message: '404 Not Found' });
    });
    this.server = server;
    this.url = url;
    return this;
  }

  /** The approvals received, bodies parsed. */
  approvals(): { path: string; body: { status: string; comment: string }; raw: string }[] {
    return this.calls
      .filter((call) => call.method === 'POST' && call.path.endsWith('/approval'))
      .map((call) => ({ path: call.path, body: JSON.parse(call.body), raw: call.body }));
  }

  /** The commit comments received (status reports of pending decisions). */
  comments(): { path: string; note: string }[] {
    return this.calls
      .filter((call) => call.path.endsWith('/comments'))
      .map((call) => ({ path: call.path, note: JSON.parse(call.body).note }));
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

/** What GitLab sends with a signing token (Standard Webhooks): `v1,` and the base64 HMAC-SHA256 of `id.timestamp.body`. */
export function gitlabSignature(signingToken: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(signingToken.replace(/^whsec_/, ''), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

/** The System a GitLab project deploys as in these tests: `web-deployer`, for `acme/web` (id 30). */
export function webDeployerSystem(projects: string): string {
  return deployingAgent(
    '{ name: web-deployer, description: Deploys the web app from GitLab CI }',
    `gitlab: { projects: [${projects}], environments: [production, staging, frozen, review] }`,
  );
}
