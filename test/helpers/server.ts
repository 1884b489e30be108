import { cpSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { type Arbiter, type ArbiterOptions, startArbiter } from '../../src/app/arbiter.js';
import type { GitHubAppOptions } from '../../src/app/integrations/github/reviews.js';
import type { GitLabOptions } from '../../src/app/integrations/gitlab/approvals.js';
import type { SlackOptions } from '../../src/app/integrations/slack/interactions.js';
import type { WitnessSubmitterOptions } from '../../src/app/ledger/witness-submitter.js';
import type { NotificationOptions } from '../../src/app/notifications/notifications.js';
import { buildServer } from '../../src/server/app.js';
import type { ServerLimits } from '../../src/server/limits.js';
import { repoRoot } from './cli.js';
import { createTestDatabase } from './postgres.js';
import { tempDir } from './temp.js';

/** A controllable clock: tests move time forward instead of sleeping. */
export class TestClock {
  constructor(public time = new Date('2026-11-17T10:00:00Z')) {}
  now = () => new Date(this.time);
  advance(ms: number): void {
    this.time = new Date(this.time.getTime() + ms);
  }
}

export interface TestServer {
  arbiter: Arbiter;
  app: FastifyInstance;
  url: string;
  clock: TestClock;
  dir: string;
  policyDir: string;
  databaseUrl: string;
  ledgerKeyPath: string;
  tokens: Record<string, string>;
  call(
    token: string | undefined,
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: any; text: string }>;
  close(): Promise<void>;
}

const identities = {
  deployBot: { role: 'agent', systemId: 'deploy-bot' },
  migrateBot: { role: 'agent', systemId: 'migrate-bot' },
  triageBot: { role: 'agent', systemId: 'triage-bot' },
  creditScoring: { role: 'agent', systemId: 'credit-scoring' },
  alice: { role: 'approver', user: 'alice', groups: ['sre'] },
  bob: { role: 'approver', user: 'bob', groups: ['sre', 'platform'] },
  carol: { role: 'approver', user: 'carol', groups: ['dba', 'data-platform'] },
  paul: { role: 'approver', user: 'paul', groups: ['platform'] },
  erin: { role: 'auditor', user: 'erin' },
  root: { role: 'admin', user: 'root' },
} as const;

/** A real Arbiter on an SQLite file, listening on a loopback port, with a token per identity. */
export async function startTestServer(
  options: {
    checkpointIntervalMs?: number;
    backend?: 'sqlite' | 'postgres';
    /** More governance documents, by file name. */
    extraPolicies?: Record<string, string>;
    notifications?: NotificationOptions;
    /** Answer GitHub deployment protection rules as this App. */
    github?: GitHubAppOptions;
    /** GitLab deployment approvals (tests poll themselves: `pollIntervalMs: 0` unless given). */
    gitlab?: GitLabOptions;
    /** Slack approval buttons. */
    slack?: SlackOptions;
    /** Serve this built dashboard (default: none, so API tests never depend on a build). */
    webRoot?: string;
    /** Server limits other than the defaults (e.g. a low rate limit). */
    limits?: Partial<ServerLimits>;
    /** Listen on this port (default: any free one), e.g. to give notifications a known dashboard URL. */
    port?: number;
    /**
     * How `call` reaches the server: through Fastify's `inject` (default: no socket, so a loaded
     * machine's connection handling cannot fail a test about answers), or over the loopback socket,
     * for tests about connections, budgets per address and streaming. `url` listens either way.
     */
    transport?: 'inject' | 'socket';
    /** Single sign-on: the provider's HTTP and the environment its client secret is read from. */
    identity?: ArbiterOptions['identity'];
    /** `--human-tokens off` when false. */
    humanTokens?: boolean;
    /** Witness submission options (backoff, fetch). */
    witnesses?: WitnessSubmitterOptions;
  } = {},
): Promise<TestServer> {
  const dir = tempDir('arbiter-server-');
  const policyDir = join(dir, 'policies');
  cpSync(join(repoRoot, 'examples', 'policies'), policyDir, { recursive: true });
  for (const [name, text] of Object.entries(options.extraPolicies ?? {}))
    writeFileSync(join(policyDir, name), text);
  const clock = new TestClock();
  const databaseUrl =
    options.backend === 'postgres' ? await createTestDatabase() : `sqlite:${join(dir, 'arbiter.db')}`;
  const ledgerKeyPath = join(dir, 'ledger.key');
  const arbiter = await startArbiter({
    databaseUrl,
    ledgerKeyPath,
    policyDir,
    clock: clock.now,
    expiryIntervalMs: 60_000,
    notificationIntervalMs: 3_600_000,
    // Tests move the clock and evaluate monitoring windows themselves.
    monitorIntervalMs: 3_600_000,
    ...(options.notifications ? { notifications: options.notifications } : {}),
    ...(options.identity ? { identity: options.identity } : {}),
    ...(options.github ? { github: options.github } : {}),
    ...(options.gitlab ? { gitlab: { pollIntervalMs: 0, ...options.gitlab } } : {}),
    ...(options.slack ? { slack: options.slack } : {}),
    checkpointIntervalMs: options.checkpointIntervalMs ?? 3_600_000,
    // Tests submit checkpoints to witnesses themselves (`arbiter.witnesses.submitDue()`).
    witnessIntervalMs: 3_600_000,
    ...(options.witnesses ? { witnesses: options.witnesses } : {}),
  });
  // Every answer of every test is checked against what its handler returned: a response schema
  // that drops or changes a field fails the request's test (in `call`) or the file (in `close`).
  const drift: string[] = [];
  const driftError = (problems: string[]) =>
    new Error(`response schemas changed answers:\n${problems.join('\n')}`);
  const { app } = await buildServer(arbiter, {
    webRoot: options.webRoot ?? false,
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.humanTokens !== undefined ? { humanTokens: options.humanTokens } : {}),
    onResponseDrift: (problem) => drift.push(problem),
  });
  const url = await app.listen({ host: '127.0.0.1', port: options.port ?? 0 });
  const tokens: Record<string, string> = {};
  for (const [name, identity] of Object.entries(identities)) {
    tokens[name] = (
      await arbiter.tokens.create(
        { ...identity, groups: 'groups' in identity ? [...identity.groups] : [] } as never,
        'test',
      )
    ).token;
  }
  return {
    arbiter,
    app,
    url,
    clock,
    dir,
    policyDir,
    databaseUrl,
    ledgerKeyPath,
    tokens,
    async call(token, method, path, body, headers = {}) {
      const driftBefore = drift.length;
      const request = {
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        payload: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      };
      const { status, text } =
        options.transport === 'socket'
          ? await fetch(`${url}${path}`, {
              method,
              headers: request.headers,
              ...(request.payload === undefined ? {} : { body: request.payload }),
            }).then(async (response) => ({ status: response.status, text: await response.text() }))
          : await app
              .inject({
                method: method as 'GET',
                url: path,
                headers: request.headers,
                ...(request.payload === undefined ? {} : { payload: request.payload }),
              })
              .then((response) => ({ status: response.statusCode, text: response.body }));
      if (drift.length > driftBefore) throw driftError(drift.slice(driftBefore));
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // text responses stay text
      }
      return { status, body: parsed, text };
    },
    async close() {
      await app.close();
      await arbiter.close();
      if (drift.length > 0) throw driftError(drift);
    },
  };
}

/** A production deploy request; override any field. */
export function deploy(overrides: Record<string, unknown> = {}) {
  return {
    action: 'deploy',
    resource: { type: 'service', id: 'payments', environment: 'prod' },
    change: { linesChanged: 40 },
    rationale: 'Roll out the fix for the checkout timeout',
    confidence: 0.97,
    ...overrides,
  };
}

/** Polls until a pending decision matching `query` (a /v1/decisions query string) exists, and returns it. */
export async function waitForPending(
  server: TestServer,
  query = '',
): Promise<{ id: string; [field: string]: unknown }> {
  for (let i = 0; i < 200; i++) {
    const [pending] = (
      await server.call(server.tokens.erin, 'GET', `/v1/decisions?status=pending${query ? `&${query}` : ''}`)
    ).body.decisions;
    if (pending) return pending;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no pending decision matching ${query || 'anything'} appeared`);
}

/** A loopback port that was free a moment ago, for a server whose URL must be known before it starts. */
export async function freePort(): Promise<number> {
  const probe = createNetServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}
