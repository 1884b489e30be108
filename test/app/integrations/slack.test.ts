import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../helpers/raw-http.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';

/**
 * Slack approval buttons against a real HTTP server standing in for Slack: the interactive
 * notifier posts the Block Kit message to it (as to an incoming webhook), clicks are posted back
 * to Arbiter signed as Slack signs them, and the message is replaced through the response_url.
 */

const signingSecret = 'slack-signing-secret-for-tests';
const recordedClick = readFileSync(
  new URL('../../fixtures/slack/block_actions.json', import.meta.url),
  'utf8',
);

class SlackStandIn {
  readonly messages: { path: string; body: any }[] = [];
  private server?: Server;
  url = '';
  async start(): Promise<this> {
    this.server = createServer((request, response) => {
      let text = '';
      request.on('data', (chunk) => {
        text += chunk;
      });
      request.on('end', () => {
        this.messages.push({ path: request.url ?? '', body: JSON.parse(text) });
        response.writeHead(200, { 'content-type': 'text/plain' });
        response.end('ok');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
    return this;
  }
  posted(path: string) {
    return this.messages.filter((message) => message.path === path);
  }
  async close() {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

const governance = (slackUrl: string) => `
apiVersion: arbiter/v1
kind: ActionPolicy
metadata: { name: site-publishing }
spec:
  match: { actions: [publish] }
  rules:
    - name: step-up
      when: request.resource.environment == 'mfa-only'
      effect: require_approval
      approval: { count: 1, from: ['group:sre'], ttl: 1h, assurance: mfa }
      message: approvals here need a fresh MFA sign-in
    - name: sre-approves
      when: request.resource.environment != 'mfa-only'
      effect: require_approval
      approval: { count: 1, from: ['group:sre'], ttl: 1h }
      message: an SRE approves each publication
---
apiVersion: arbiter/v1
kind: Notifier
metadata: { name: approvals-channel }
spec:
  type: slack
  url: ${slackUrl}/incoming
  interactive: true
  maxAttempts: 1
`;

describe('Slack approval buttons', () => {
  let slack: SlackStandIn;
  let server: TestServer;
  let carol: string;

  beforeAll(async () => {
    slack = await new SlackStandIn().start();
    server = await startTestServer({
      extraPolicies: { 'slack.yaml': governance(slack.url) },
      notifications: { dashboardUrl: 'https://arbiter.example.com' },
      slack: {
        signingSecret,
        responseUrlPrefix: `${slack.url}/actions/`,
        users: [
          { team: 'T0ARBITER', user: 'U0ALICE01', email: 'Alice@Example.com', groups: ['sre'] },
          { team: 'T0ARBITER', user: 'U0CAROL01', email: 'carol@example.com', groups: ['sre'] },
        ],
      },
    });
    carol = (
      await server.arbiter.tokens.create(
        { role: 'approver', user: 'carol@example.com', groups: ['sre'] },
        'test',
      )
    ).token;
  });
  afterAll(async () => {
    await server?.close();
    await slack?.close();
  });

  /** Carol asks to publish; the pending decision's Slack message, with its buttons. */
  async function pendingWithMessage() {
    const asked = await server.call(carol, 'POST', '/v1/decisions', {
      action: 'publish',
      resource: { type: 'site', id: 'docs', environment: 'prod' },
      rationale: 'new release notes',
    });
    expect(asked.body.status).toBe('pending');
    await server.arbiter.notifications.deliverDue();
    const message = slack
      .posted('/incoming')
      .find((posted) => JSON.stringify(posted.body).includes(asked.body.id));
    return {
      id: asked.body.id as string,
      requestHash: asked.body.requestHash as string,
      message: message!.body,
    };
  }

  let responses = 0;
  function click(options: {
    value: string;
    user?: string;
    verdict?: 'approve' | 'reject';
    responseUrl?: string;
  }) {
    const payload = JSON.parse(recordedClick);
    payload.user.id = options.user ?? 'U0ALICE01';
    payload.actions[0].value = options.value;
    payload.actions[0].action_id = options.verdict === 'reject' ? 'arbiter_reject' : 'arbiter_approve';
    payload.response_url = options.responseUrl ?? `${slack.url}/actions/T0ARBITER/${++responses}/x`;
    return {
      body: `payload=${encodeURIComponent(JSON.stringify(payload))}`,
      responseUrl: payload.response_url,
    };
  }

  function send(body: string, options: { secret?: string; timestamp?: number } = {}) {
    const timestamp = String(options.timestamp ?? Math.floor(server.clock.now().getTime() / 1000));
    const signature = `v0=${createHmac('sha256', options.secret ?? signingSecret)
      .update(`v0:${timestamp}:${body}`)
      .digest('hex')}`;
    return server.call(undefined, 'POST', '/v1/integrations/slack/interactions', body, {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': timestamp,
      'x-slack-signature': signature,
    });
  }

  async function replacement(responseUrl: string) {
    const path = new URL(responseUrl).pathname;
    await eventually(() => slack.posted(path).length === 1, `Slack received the update at ${path}`);
    return slack.posted(path)[0]!.body;
  }

  it('a signed click holding U+0000 is a 400: escaped, naming the field; raw (%00), not JSON', async () => {
    const payload = JSON.parse(recordedClick);
    payload.user.name = 'al\u0000ice';
    const escaped = await send(`payload=${encodeURIComponent(JSON.stringify(payload))}`);
    expect(escaped.status).toBe(400);
    expect(escaped.body.error).toMatchObject({
      code: 'ARB_ERR_REQUEST_INVALID',
      details: { reason: 'text', path: 'body/user/name' },
    });
    const raw = encodeURIComponent(recordedClick.replace('"alice"', '"al\u0000ice"'));
    expect(raw).toContain('%00');
    const decoded = await send(`payload=${raw}`);
    expect(decoded.status).toBe(400);
    expect(decoded.body.error.details).toMatchObject({ reason: 'json-syntax' });
  });

  it('a pending decision reaches Slack with Approve / Reject buttons bound to its request hash', async () => {
    const { id, requestHash, message } = await pendingWithMessage();
    const actions = message.blocks.find((block: any) => block.type === 'actions');
    expect(actions.block_id).toBe('arbiter_vote');
    expect(actions.elements.map((element: any) => element.action_id ?? element.url)).toEqual([
      'arbiter_approve',
      'arbiter_reject',
      `https://arbiter.example.com/decisions/${id}`,
    ]);
    expect(JSON.parse(actions.elements[0].value)).toEqual({ decision: id, requestHash });
  });

  it('the requester clicking Approve on their own request is refused, in the message', async () => {
    const { id, message } = await pendingWithMessage();
    const value = message.blocks.find((block: any) => block.type === 'actions').elements[0].value;
    const { body, responseUrl } = click({ value, user: 'U0CAROL01' });
    const answer = await send(body);
    expect(answer.status).toBe(200);
    expect(answer.body.outcome).toBe('refused');
    const updated = await replacement(responseUrl);
    expect(updated.replace_original).toBe(true);
    expect(JSON.stringify(updated.blocks)).toContain('Not recorded');
    expect(JSON.stringify(updated.blocks)).toMatch(/own request|requester/);
    // Still waiting: the buttons stay for the others.
    expect(updated.blocks.some((block: any) => block.block_id === 'arbiter_vote')).toBe(true);
    expect((await server.arbiter.store.getDecision(id))?.status).toBe('pending');
  });

  it('an allowed approver approves by button: the decision is allowed and the message says so in place', async () => {
    const { id, message } = await pendingWithMessage();
    const value = message.blocks.find((block: any) => block.type === 'actions').elements[0].value;
    const { body, responseUrl } = click({ value });
    const answer = await send(body);
    expect(answer.body.outcome).toBe('recorded');
    const decision = await server.arbiter.store.getDecision(id);
    expect(decision?.status).toBe('allowed');
    const [approval] = await server.arbiter.store.approvalsOf(id);
    // The same person as SSO and tokens: user:<email, normalised>.
    expect(approval).toMatchObject({ approver: 'user:alice@example.com', verdict: 'approve' });
    const updated = await replacement(responseUrl);
    expect(JSON.stringify(updated.blocks)).toContain('Approved by user:alice@example.com');
    expect(JSON.stringify(updated.blocks)).toContain('*allowed*');
    expect(updated.blocks.some((block: any) => block.block_id === 'arbiter_vote')).toBe(false);
  });

  it('a click replayed within the 5 minutes its signature is good for changes nothing', async () => {
    const { id, message } = await pendingWithMessage();
    const value = message.blocks.find((block: any) => block.type === 'actions').elements[0].value;
    const { body, responseUrl } = click({ value });
    const timestamp = Math.floor(server.clock.now().getTime() / 1000);
    expect((await send(body, { timestamp })).body.outcome).toBe('recorded');
    await replacement(responseUrl);
    const ledgerSize = await server.arbiter.store.ledger.size();
    // The same signed bytes again, 4 minutes later (still inside Slack's tolerance): refused in
    // the message, no second approval, nothing appended to the ledger.
    server.clock.advance(4 * 60_000);
    const replayed = await send(body, { timestamp });
    expect([replayed.status, replayed.body.outcome]).toEqual([200, 'refused']);
    expect(await server.arbiter.store.approvalsOf(id)).toHaveLength(1);
    expect((await server.arbiter.store.getDecision(id))?.status).toBe('allowed');
    expect(await server.arbiter.store.ledger.size()).toBe(ledgerSize);
    const path = new URL(responseUrl).pathname;
    await eventually(() => slack.posted(path).length === 2, 'Slack received the refusal');
    expect(JSON.stringify(slack.posted(path)[1]!.body.blocks)).toContain('Not recorded');
  });

  it('Reject by button rejects', async () => {
    const { id, message } = await pendingWithMessage();
    const value = message.blocks.find((block: any) => block.type === 'actions').elements[1].value;
    await send(click({ value, verdict: 'reject' }).body);
    expect((await server.arbiter.store.getDecision(id))?.status).toBe('denied');
  });

  it('a Slack account nobody mapped is refused, never matched by its display name', async () => {
    const { id, message } = await pendingWithMessage();
    const value = message.blocks.find((block: any) => block.type === 'actions').elements[0].value;
    const payload = click({ value, user: 'U0MALLORY' });
    // The recorded payload's username and name say "alice": only the mapped id counts.
    expect(decodeURIComponent(payload.body)).toContain('"username":"alice"');
    const answer = await send(payload.body);
    expect(answer.body.outcome).toBe('refused');
    expect(JSON.stringify((await replacement(payload.responseUrl)).blocks)).toContain('not mapped');
    expect((await server.arbiter.store.getDecision(id))?.status).toBe('pending');
  });

  it('a requirement demanding step-up has no buttons, and a click on it is refused (Slack bypasses MFA)', async () => {
    const asked = await server.call(carol, 'POST', '/v1/decisions', {
      action: 'publish',
      resource: { type: 'site', id: 'docs', environment: 'mfa-only' },
      rationale: 'sensitive',
    });
    expect(asked.body.status).toBe('pending');
    await server.arbiter.notifications.deliverDue();
    const message = slack
      .posted('/incoming')
      .find((posted) => JSON.stringify(posted.body).includes(asked.body.id))!;
    const text = JSON.stringify(message.body.blocks);
    expect(text).not.toContain('arbiter_approve');
    expect(text).toContain('step-up sign-in');
    const value = JSON.stringify({ decision: asked.body.id, requestHash: asked.body.requestHash });
    const { body, responseUrl } = click({ value });
    expect((await send(body)).body.outcome).toBe('refused');
    expect(JSON.stringify((await replacement(responseUrl)).blocks)).toContain('step-up sign-in');
    expect((await server.arbiter.store.getDecision(asked.body.id))?.status).toBe('pending');
  });

  it('forged signature or stale timestamp: 401, nothing recorded', async () => {
    const { id, message } = await pendingWithMessage();
    const value = message.blocks.find((block: any) => block.type === 'actions').elements[0].value;
    const start = await server.arbiter.store.ledger.size();
    const forged = await send(click({ value }).body, { secret: 'not-the-secret' });
    expect(forged.status).toBe(401);
    expect(forged.body.error.code).toBe('ARB_ERR_INTEGRATION_SIGNATURE');
    const now = Math.floor(server.clock.now().getTime() / 1000);
    const stale = await send(click({ value }).body, { timestamp: now - 301 });
    expect(stale.status).toBe(401);
    expect(stale.body.error.details.reason).toBe('stale');
    const future = await send(click({ value }).body, { timestamp: now + 301 });
    expect(future.status).toBe(401);
    expect(await server.arbiter.store.ledger.size()).toBe(start);
    expect((await server.arbiter.store.getDecision(id))?.status).toBe('pending');
  });

  it('hostile clicks: a response_url elsewhere, a button of another app, a bad hash are 400', async () => {
    const { message } = await pendingWithMessage();
    const value = message.blocks.find((block: any) => block.type === 'actions').elements[0].value;
    expect((await send(click({ value, responseUrl: 'https://evil.example/x' }).body)).status).toBe(400);
    expect((await send(click({ value: '{"decision":"dec_x","requestHash":"sha256:zz"}' }).body)).status).toBe(
      400,
    );
    expect((await send('payload=%7Bnot-json')).status).toBe(400);
    expect((await send('nothing=here')).status).toBe(400);
  });
});

describe('Slack interactions without Slack configured', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => server?.close());
  it('answers 404 ARB_ERR_INTEGRATION_NOT_CONFIGURED: off by default', async () => {
    const answer = await server.call(
      undefined,
      'POST',
      '/v1/integrations/slack/interactions',
      'payload=%7B%7D',
      {
        'content-type': 'application/x-www-form-urlencoded',
      },
    );
    expect(answer.status).toBe(404);
    expect(answer.body.error.code).toBe('ARB_ERR_INTEGRATION_NOT_CONFIGURED');
  });
  it.each([
    ['/v1/integrations/github/webhook', '--github-app-id'],
    ['/v1/integrations/gitlab/webhook', '--gitlab-signing-token-env'],
  ])('%s answers 404 ARB_ERR_INTEGRATION_NOT_CONFIGURED, naming %s, when off', async (path, flag) => {
    const answer = await server.call(undefined, 'POST', path, '{}', { 'content-type': 'application/json' });
    expect(answer.status).toBe(404);
    expect(answer.body.error.code).toBe('ARB_ERR_INTEGRATION_NOT_CONFIGURED');
    expect(answer.body.error.message).toContain(flag);
  });
});
