import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../helpers/server.js';

/**
 * Slack with a bot token: who clicked is found through Slack's directory (`users.info`, a
 * confirmed email only) when the explicit mapping does not name the account, and the message is
 * replaced with `chat.update`, the click's response_url being the fallback. A real HTTP server
 * stands in for slack.com/api, answering with the documented shapes (test/fixtures/slack).
 */

const signingSecret = 'slack-signing-secret-for-tests';
const botToken = 'xoxb-test-not-a-real-token';
const fixture = (name: string) =>
  readFileSync(new URL(`../../fixtures/slack/${name}`, import.meta.url), 'utf8');
const recordedClick = fixture('block_actions.json');
const recordedUser = fixture('users.info.json');
const recordedUpdate = fixture('chat.update.json');

type Answer = { status: number; headers?: Record<string, string>; body: unknown };

/** slack.com/api, the incoming webhook and the response URLs on one loopback server. */
class SlackStandIn {
  readonly posted: { path: string; body: any }[] = [];
  readonly lookups: string[] = [];
  readonly updates: any[] = [];
  /** The directory: Slack user id → changes to the recorded user object, or an answer to give instead. */
  directory = new Map<string, ((user: any) => void) | Answer>();
  /** Answers chat.update gives, in turn; then the recorded success. */
  updateAnswers: Answer[] = [];
  private server?: Server;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((request, response) => {
      let text = '';
      request.on('data', (chunk) => {
        text += chunk;
      });
      request.on('end', () => {
        const url = new URL(request.url ?? '/', 'http://stand-in');
        const answer = ({ status, headers = {}, body }: Answer) => {
          response.writeHead(status, { 'content-type': 'application/json', ...headers });
          response.end(JSON.stringify(body));
        };
        if (url.pathname.startsWith('/api/')) {
          // Every Web API call carries the bot token, as Slack requires.
          if (request.headers.authorization !== `Bearer ${botToken}`)
            return answer({ status: 200, body: { ok: false, error: 'invalid_auth' } });
          if (url.pathname === '/api/users.info' && request.method === 'GET') {
            const id = url.searchParams.get('user') ?? '';
            this.lookups.push(id);
            const entry = this.directory.get(id);
            if (entry === undefined)
              return answer({ status: 200, body: { ok: false, error: 'user_not_found' } });
            if (typeof entry !== 'function') return answer(entry);
            const body = JSON.parse(recordedUser);
            body.user.id = id;
            body.user.team_id = 'T0ARBITER';
            entry(body.user);
            return answer({ status: 200, body });
          }
          if (url.pathname === '/api/chat.update' && request.method === 'POST') {
            this.updates.push(JSON.parse(text));
            const next = this.updateAnswers.shift();
            if (next) return answer(next);
            const body = JSON.parse(recordedUpdate);
            Object.assign(body, { channel: this.updates.at(-1).channel, ts: this.updates.at(-1).ts });
            return answer({ status: 200, body });
          }
          return answer({ status: 200, body: { ok: false, error: 'unknown_method' } });
        }
        this.posted.push({ path: url.pathname, body: JSON.parse(text) });
        response.writeHead(200, { 'content-type': 'text/plain' });
        response.end('ok');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
    return this;
  }
  at(path: string) {
    return this.posted.filter((message) => message.path === path);
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
    - name: sre-approves
      when: 'true'
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

describe('Slack with a bot token: directory lookup and chat.update', () => {
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
        botToken,
        apiUrl: `${slack.url}/api`,
        users: [{ team: 'T0ARBITER', user: 'U0ALICE01', email: 'alice@example.com', groups: ['sre'] }],
        directoryGroups: [{ email: 'Dana@Example.com', groups: ['sre'] }],
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

  async function pending() {
    const asked = await server.call(carol, 'POST', '/v1/decisions', {
      action: 'publish',
      resource: { type: 'site', id: 'docs', environment: 'prod' },
      rationale: 'new release notes',
    });
    expect(asked.body.status).toBe('pending');
    return {
      id: asked.body.id as string,
      value: JSON.stringify({ decision: asked.body.id, requestHash: asked.body.requestHash }),
    };
  }

  let responses = 0;
  /** A signed click by `user` on the recorded message (channel C0APPROVE, ts 1548261231.000200). */
  async function click(value: string, user: string) {
    const payload = JSON.parse(recordedClick);
    payload.user.id = user;
    payload.actions[0].value = value;
    payload.response_url = `${slack.url}/actions/T0ARBITER/${++responses}/x`;
    const body = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
    const timestamp = String(Math.floor(server.clock.now().getTime() / 1000));
    const signature = `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
    const answer = await server.call(undefined, 'POST', '/v1/integrations/slack/interactions', body, {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': timestamp,
      'x-slack-signature': signature,
    });
    await Promise.all([...server.arbiter.slack!.updates]);
    return { answer, responsePath: new URL(payload.response_url).pathname };
  }

  const status = async (id: string) => (await server.arbiter.store.getDecision(id))?.status;

  it('an account the file does not map is found by its confirmed email; the message is updated with chat.update', async () => {
    slack.directory.set('U0DANA001', (user) => {
      user.profile.email = 'Dana@Example.com';
      // The display name says alice: only the confirmed email counts.
      user.profile.display_name = 'alice';
    });
    const { id, value } = await pending();
    const updatesBefore = slack.updates.length;
    const { answer, responsePath } = await click(value, 'U0DANA001');
    expect(answer.status).toBe(200);
    expect(answer.body.outcome).toBe('recorded');
    expect(await status(id)).toBe('allowed');
    const [approval] = await server.arbiter.store.approvalsOf(id);
    // The same id as SSO: user:<email>, NFKC, case-folded; the groups of its {email, groups} entry.
    expect(approval).toMatchObject({ approver: 'user:dana@example.com', verdict: 'approve' });
    const update = slack.updates[updatesBefore];
    expect(update).toMatchObject({ channel: 'C0APPROVE', ts: '1548261231.000200' });
    expect(JSON.stringify(update.blocks)).toContain('Approved by user:dana@example.com');
    expect(slack.at(responsePath)).toEqual([]);
  });

  it('an email Slack has not confirmed is no identity: refused in the message, nothing recorded', async () => {
    slack.directory.set('U0UNCONF1', (user) => {
      user.profile.email = 'dana@example.com';
      user.is_email_confirmed = false;
    });
    const { id, value } = await pending();
    const { answer } = await click(value, 'U0UNCONF1');
    expect(answer.body.outcome).toBe('refused');
    expect(await status(id)).toBe('pending');
    const text = JSON.stringify(slack.updates.at(-1).blocks);
    expect(text).toContain('not mapped');
    expect(text).toContain('confirmed');
    // Still waiting: the buttons stay.
    expect(text).toContain('arbiter_approve');
  });

  it('another workspace, a deactivated account, a bot or an unknown id are refused', async () => {
    slack.directory.set('U0OTHERWS', (user) => {
      user.team_id = 'T0ELSEWHERE';
      user.profile.email = 'dana@example.com';
    });
    slack.directory.set('U0GONE001', (user) => {
      user.deleted = true;
      user.profile.email = 'dana@example.com';
    });
    slack.directory.set('U0ROBOT01', (user) => {
      user.is_bot = true;
      user.profile.email = 'dana@example.com';
    });
    const { id, value } = await pending();
    for (const [user, why] of [
      ['U0OTHERWS', 'another Slack workspace'],
      ['U0GONE001', 'deactivated'],
      ['U0ROBOT01', 'bot'],
      ['U0NOBODY1', 'user_not_found'],
    ] as const) {
      expect((await click(value, user)).answer.body.outcome).toBe('refused');
      expect(JSON.stringify(slack.updates.at(-1).blocks)).toContain(why);
    }
    expect(await status(id)).toBe('pending');
  });

  it('Slack down or rate-limiting the lookup: the click is refused (never approved), and not remembered', async () => {
    slack.directory.set('U0FLAKY01', { status: 503, body: { ok: false } });
    const { id, value } = await pending();
    const down = await click(value, 'U0FLAKY01');
    expect(down.answer.body.outcome).toBe('refused');
    expect(JSON.stringify(slack.updates.at(-1).blocks)).toContain("Slack's directory did not answer");
    slack.directory.set('U0FLAKY01', { status: 429, headers: { 'retry-after': '30' }, body: { ok: false } });
    expect((await click(value, 'U0FLAKY01')).answer.body.outcome).toBe('refused');
    expect(await status(id)).toBe('pending');
    // Slack is back: the next click asks again (a failure is never cached) and counts.
    slack.directory.set('U0FLAKY01', (user) => {
      user.profile.email = 'dana@example.com';
    });
    expect((await click(value, 'U0FLAKY01')).answer.body.outcome).toBe('recorded');
    expect(await status(id)).toBe('allowed');
  });

  it('the explicit mapping wins over the directory, which is not even asked', async () => {
    // Were the directory asked, it would say U0ALICE01 is mallory.
    slack.directory.set('U0ALICE01', (user) => {
      user.profile.email = 'mallory@example.com';
    });
    const { id, value } = await pending();
    expect((await click(value, 'U0ALICE01')).answer.body.outcome).toBe('recorded');
    expect((await server.arbiter.store.approvalsOf(id))[0]?.approver).toBe('user:alice@example.com');
    expect(slack.lookups).not.toContain('U0ALICE01');
  });

  it('directory answers are remembered for 5 minutes: one lookup for a burst of clicks, a fresh one after', async () => {
    slack.directory.set('U0CACHED1', (user) => {
      user.profile.email = 'erin@example.com';
    });
    const first = await pending();
    const second = await pending();
    const lookups = () => slack.lookups.filter((user) => user === 'U0CACHED1').length;
    // Erin has no groups (no {email, groups} entry): found, but not eligible for group:sre.
    await click(first.value, 'U0CACHED1');
    await click(second.value, 'U0CACHED1');
    expect(lookups()).toBe(1);
    expect(JSON.stringify(slack.updates.at(-1).blocks)).toContain('Not recorded');
    server.clock.advance(5 * 60_000 + 1);
    await click(first.value, 'U0CACHED1');
    expect(lookups()).toBe(2);
    expect(await status(first.id)).toBe('pending');
  });

  it('chat.update refused (ok:false): the message is replaced through the response_url instead', async () => {
    slack.updateAnswers.push({ status: 200, body: { ok: false, error: 'cant_update_message' } });
    const { id, value } = await pending();
    const { responsePath } = await click(value, 'U0ALICE01');
    expect(await status(id)).toBe('allowed');
    const [replaced] = slack.at(responsePath);
    expect(replaced?.body.replace_original).toBe(true);
    expect(JSON.stringify(replaced?.body.blocks)).toContain('Approved by user:alice@example.com');
  });

  it('chat.update rate-limited: a short Retry-After is waited out once; a long one falls back at once', async () => {
    slack.updateAnswers.push({
      status: 429,
      headers: { 'retry-after': '1' },
      body: { ok: false, error: 'ratelimited' },
    });
    const short = await pending();
    const before = slack.updates.length;
    const first = await click(short.value, 'U0ALICE01');
    expect(slack.updates.length - before).toBe(2);
    expect(slack.at(first.responsePath)).toEqual([]);

    slack.updateAnswers.push({
      status: 429,
      headers: { 'retry-after': '120' },
      body: { ok: false, error: 'ratelimited' },
    });
    const long = await pending();
    const again = slack.updates.length;
    const second = await click(long.value, 'U0ALICE01');
    expect(slack.updates.length - again).toBe(1);
    expect(slack.at(second.responsePath)).toHaveLength(1);
    expect(await status(long.id)).toBe('allowed');
  });
});
