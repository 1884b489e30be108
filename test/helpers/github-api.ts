import { createHmac, createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { type ReceivedCall, startApiStandIn } from './api-stand-in.js';
import { deployingAgent } from './bundle.js';

/** A workflow run as GitHub describes it (test/fixtures/github/README.md). */
const recordedRun = readFileSync(new URL('../fixtures/github/workflow_run.json', import.meta.url), 'utf8');

/**
 * A real HTTP server on loopback standing in for api.github.com, answering the two endpoints a
 * GitHub App protection rule uses, with GitHub's documented shapes (docs.github.com, REST "Apps ›
 * Create an installation access token for an app" and "Actions › Workflow runs › Review custom
 * deployment protection rules for a workflow run"): it checks the App JWT (RS256, `iss` = the
 * App id) before issuing a token, and the token before taking a review.
 */
export class GitHubApiStandIn {
  readonly appId = '424242';
  readonly privateKey: string;
  private readonly publicKey: string;
  readonly calls: ReceivedCall[] = [];
  /** Installations that exist; a token for another is 404 as on GitHub. */
  installations = new Set<number>([1]);
  /** Status the review endpoint answers (204 is GitHub's success); set 503 to take it down. */
  reviewStatus = 204;
  /** Workflow files of runs, for "Get a workflow run"; a run not here is 404. */
  runWorkflows = new Map<number, string>();
  /** Status "Get a workflow run" answers when not 200; set 503 to take it down. */
  runStatus = 200;
  private readonly issued = new Map<string, number>();
  private server?: Server;
  url = '';

  constructor() {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.privateKey = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    this.publicKey = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  }

  async start(): Promise<this> {
    const { server, url } = await startApiStandIn(this.calls, ({ method, path, headers }, answer) => {
      const token = /^\/app\/installations\/(\d+)\/access_tokens$/.exec(path);
      if (method === 'POST' && token) {
        if (!this.validJwt(headers.authorization)) return answer(401, { message: 'Bad credentials' });
        const installation = Number(token[1]);
        if (!this.installations.has(installation)) return answer(404, { message: 'Not Found' });
        const issued = `ghs_standin${this.issued.size + 1}`;
        this.issued.set(issued, installation);
        return answer(201, {
          token: issued,
          expires_at: new Date(Date.now() + 3_600_000).toISOString(),
          permissions: { actions: 'read', deployments: 'write' },
          repository_selection: 'all',
        });
      }
      const review = /^\/repos\/([^/]+)\/([^/]+)\/actions\/runs\/(\d+)\/deployment_protection_rule$/.exec(
        path,
      );
      if (method === 'POST' && review) {
        const presented = /^token (\S+)$/.exec(headers.authorization ?? '')?.[1];
        if (!presented || !this.issued.has(presented)) return answer(401, { message: 'Bad credentials' });
        if (this.reviewStatus !== 204) return answer(this.reviewStatus, { message: 'unavailable' });
        return answer(204);
      }
      const run = /^\/repos\/([^/]+)\/([^/]+)\/actions\/runs\/(\d+)$/.exec(path);
      if (method === 'GET' && run) {
        const presented = /^token (\S+)$/.exec(headers.authorization ?? '')?.[1];
        if (!presented || !this.issued.has(presented)) return answer(401, { message: 'Bad credentials' });
        if (this.runStatus !== 200) return answer(this.runStatus, { message: 'unavailable' });
        const workflow = this.runWorkflows.get(Number(run[3]));
        if (workflow === undefined) return answer(404, { message: 'Not Found' });
        // The recorded workflow-run object, made this run of this workflow.
        return answer(200, { ...JSON.parse(recordedRun), id: Number(run[3]), path: workflow });
      }
      answer(404, { message: 'Not Found' });
    });
    this.server = server;
    this.url = url;
    return this;
  }

  /** The reviews received (calls to the review endpoint), bodies parsed. */
  reviews(): {
    path: string;
    body: { environment_name: string; state?: string; comment: string };
    raw: string;
  }[] {
    return this.calls
      .filter((call) => call.path.endsWith('/deployment_protection_rule'))
      .map((call) => ({ path: call.path, body: JSON.parse(call.body), raw: call.body }));
  }

  tokenExchanges(): ReceivedCall[] {
    return this.calls.filter((call) => call.path.endsWith('/access_tokens'));
  }

  private validJwt(authorization: string | undefined): boolean {
    const jwt = /^bearer (\S+)$/i.exec(authorization ?? '')?.[1];
    if (!jwt) return false;
    const [header, payload, signature] = jwt.split('.');
    if (!header || !payload || !signature) return false;
    if (JSON.parse(Buffer.from(header, 'base64url').toString()).alg !== 'RS256') return false;
    const ok = verify(
      'RSA-SHA256',
      Buffer.from(`${header}.${payload}`),
      createPublicKey(this.publicKey),
      Buffer.from(signature, 'base64url'),
    );
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    return ok && String(claims.iss) === this.appId;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

/** What GitHub sends: `sha256=` and the hex HMAC-SHA256 of the exact body under the webhook secret. */
export function githubSignature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** The System a GitHub App installation deploys as in these tests: `pages-deployer`, installation 1. */
export function pagesDeployerSystem(repository: string): string {
  return deployingAgent(
    '{ name: pages-deployer, description: Publishes the site from GitHub Actions }',
    `github: { installation: 1, repositories: [${repository}] }`,
  );
}
