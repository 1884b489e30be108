import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { clickResult, directoryEmail, slackClick, slackRequestValid } from '../../src/integrations/slack.js';
import { slackMessage } from '../../src/notify/formats.js';
import { approvalButtons, requiresStepUp } from '../../src/notify/slack-buttons.js';

const secret = '8f742231b10e8888abcd99yyyzzz85a5';
const sign = (timestamp: string, body: string, key = secret) =>
  `v0=${createHmac('sha256', key).update(`v0:${timestamp}:${body}`).digest('hex')}`;

describe('slackRequestValid (Slack request signing)', () => {
  const body = 'payload=%7B%7D';
  const now = 1_800_000_000;
  it("accepts Slack's signature within five minutes", () => {
    expect(
      slackRequestValid({
        signingSecret: secret,
        timestamp: String(now - 300),
        signature: sign(String(now - 300), body),
        body,
        nowSeconds: now,
      }),
    ).toEqual({ valid: true });
  });
  it('refuses, each for its own reason: missing, stale, future, mismatched, tampered', () => {
    const check = (timestamp: string | undefined, signature: string | undefined, text = body) =>
      slackRequestValid({ signingSecret: secret, timestamp, signature, body: text, nowSeconds: now });
    expect(check(undefined, sign(String(now), body))).toEqual({ valid: false, reason: 'missing' });
    expect(check(String(now), undefined)).toEqual({ valid: false, reason: 'missing' });
    expect(check(String(now - 301), sign(String(now - 301), body))).toEqual({
      valid: false,
      reason: 'stale',
    });
    expect(check(String(now + 301), sign(String(now + 301), body))).toEqual({
      valid: false,
      reason: 'stale',
    });
    expect(check('1e9', sign('1e9', body))).toEqual({ valid: false, reason: 'stale' });
    expect(check(String(now), sign(String(now), body, 'other'))).toEqual({
      valid: false,
      reason: 'mismatch',
    });
    expect(check(String(now), sign(String(now), body), `${body}&x=1`)).toEqual({
      valid: false,
      reason: 'mismatch',
    });
    expect(check(String(now), 'v0=short')).toEqual({ valid: false, reason: 'mismatch' });
  });
});

describe('requiresStepUp', () => {
  it('sees assurance and maxAuthAge on a stored requirement (the SSO fields)', () => {
    expect(requiresStepUp([{ count: 1, from: ['group:sre'], ttl: '1h' }])).toBe(false);
    expect(requiresStepUp([{ count: 1, from: ['group:sre'], ttl: '1h', assurance: 'mfa' }])).toBe(true);
    expect(
      requiresStepUp([
        { count: 1, from: [], ttl: '1h' },
        { count: 1, from: [], ttl: '1h', maxAuthAgeMs: 600_000 },
      ]),
    ).toBe(true);
  });
});

const pending = (requirements: object[]) => ({
  id: 'evt_1',
  type: 'decision.pending' as const,
  time: '2026-11-17T10:00:00.000Z',
  subject: 'dec_1',
  severity: 'info' as const,
  summary: 'user:carol asks to publish site:docs (prod): approval needed',
  link: 'https://arbiter.example.com/decisions/dec_1',
  data: {
    decision: { id: 'dec_1', requestHash: `sha256:${'a'.repeat(64)}` },
    reasons: [],
    approvalsRequired: requirements,
  } as never,
});

describe('the interactive Slack message', () => {
  it('carries Approve / Reject bound to the request hash, and the link', () => {
    const message = slackMessage(pending([{ count: 1, from: ['group:sre'], ttl: '1h' }]), {
      interactive: true,
    });
    const actions = (message.blocks as any[]).at(-1);
    expect(actions).toEqual(
      approvalButtons('dec_1', `sha256:${'a'.repeat(64)}`, 'https://arbiter.example.com/decisions/dec_1'),
    );
  });
  it('a requirement demanding step-up gets the dashboard link only, and says why', () => {
    const message = slackMessage(pending([{ count: 1, from: ['group:sre'], ttl: '1h', assurance: 'mfa' }]), {
      interactive: true,
    });
    const text = JSON.stringify(message.blocks);
    expect(text).not.toContain('arbiter_approve');
    expect(text).toContain('step-up sign-in');
    expect(text).toContain('https://arbiter.example.com/decisions/dec_1');
  });
  it('a notifier that is not interactive keeps the link button only', () => {
    expect(JSON.stringify(slackMessage(pending([]), {}).blocks)).not.toContain('arbiter_approve');
  });
});

describe('slackClick', () => {
  const base = {
    type: 'block_actions',
    team: { id: 'T1' },
    user: { id: 'U1', username: 'alice' },
    response_url: 'https://hooks.slack.com/actions/T1/1/x',
    actions: [
      {
        action_id: 'arbiter_approve',
        value: JSON.stringify({ decision: 'dec_1', requestHash: `sha256:${'b'.repeat(64)}` }),
      },
    ],
  };
  it('reads the click', () => {
    expect(slackClick(base, 'https://hooks.slack.com/')).toEqual({
      click: {
        teamId: 'T1',
        userId: 'U1',
        verdict: 'approve',
        decisionId: 'dec_1',
        requestHash: `sha256:${'b'.repeat(64)}`,
        responseUrl: base.response_url,
      },
    });
  });
  const refusals: [string, object][] = [
    ['view_submission', { type: 'view_submission' }],
    ['no user', { user: {} }],
    ['lower-case user id', { user: { id: 'u1' } }],
    ['two actions', { actions: [base.actions[0], base.actions[0]] }],
    ["another app's button", { actions: [{ action_id: 'other', value: base.actions[0]!.value }] }],
    ['value not JSON', { actions: [{ action_id: 'arbiter_approve', value: '{' }] }],
    ['response_url elsewhere', { response_url: 'https://hooks.slack.com.evil.example/x' }],
  ];
  for (const [name, change] of refusals)
    it(`refuses ${name}`, () => {
      expect('problem' in slackClick({ ...base, ...change }, 'https://hooks.slack.com/')).toBe(true);
    });
});

describe('clickResult', () => {
  it('escapes what it quotes: a refusal cannot add a link or a mention', () => {
    const result = clickResult({
      decisionId: 'dec_1',
      summary: 'publish <!channel>',
      outcome: { refused: '<https://evil|click>' },
    });
    const text = JSON.stringify(result);
    expect(text).not.toContain('<!channel>');
    expect(text).not.toContain('<https://evil');
    expect(result.replace_original).toBe(true);
  });
});

describe('docs/integrations.md', () => {
  it('shows the Block Kit JSON the code sends, for the example it describes', () => {
    const docs = readFileSync(new URL('../../docs/integrations.md', import.meta.url), 'utf8');
    const section = docs.slice(docs.indexOf('### The message (Block Kit JSON)'));
    const [message, result] = [...section.matchAll(/```json\n([\s\S]*?)\n```/g)].map((match) =>
      JSON.parse(match[1]!),
    );
    const hash = `sha256:${'3f'.repeat(32)}`;
    expect(message).toEqual(
      slackMessage(
        {
          id: 'evt_01JD8',
          type: 'decision.pending',
          time: '2026-11-17T10:00:00.000Z',
          subject: 'dec_01JD8Q',
          severity: 'info',
          team: 'web',
          systemId: 'site-deployer',
          summary: 'site-deployer asks to deploy repository:acme/site (production): approval needed',
          link: 'https://arbiter.example.com/decisions/dec_01JD8Q',
          data: {
            decision: { id: 'dec_01JD8Q', requestHash: hash },
            reasons: [
              {
                rule: 'site-deploys/web-approves',
                message: 'a web engineer approves each production deploy',
              },
            ],
            approvalsRequired: [{ count: 1, from: ['group:web'], ttl: '2h' }],
          },
        },
        { interactive: true },
      ),
    );
    expect(result).toEqual(
      clickResult({
        decisionId: 'dec_01JD8Q',
        summary: 'deploy repository:acme/site (production)',
        outcome: { recorded: 'Approved by user:alice@example.com', status: 'allowed' },
        link: 'https://arbiter.example.com/decisions/dec_01JD8Q',
      }),
    );
  });
});

describe('directoryEmail (users.info as an identity)', () => {
  const recorded = JSON.parse(
    readFileSync(new URL('../fixtures/slack/users.info.json', import.meta.url), 'utf8'),
  );
  const answer = (change: (user: any) => void = () => {}) => {
    const body = structuredClone(recorded);
    change(body.user);
    return body;
  };
  it("takes the recorded user's email when Slack says it is confirmed", () => {
    expect(directoryEmail(answer(), 'T012AB3C4', 'W012A3CDE')).toEqual({
      email: 'spengler@ghostbusters.example.com',
    });
  });
  it('refuses an unconfirmed or missing email, never falling back to a name', () => {
    expect(
      directoryEmail(
        answer((u) => delete u.is_email_confirmed),
        'T012AB3C4',
        'W012A3CDE',
      ),
    ).toHaveProperty('notFound');
    expect(
      directoryEmail(
        answer((u) => (u.is_email_confirmed = 'true')),
        'T012AB3C4',
        'W012A3CDE',
      ),
    ).toHaveProperty('notFound');
    expect(
      directoryEmail(
        answer((u) => delete u.profile.email),
        'T012AB3C4',
        'W012A3CDE',
      ),
    ).toMatchObject({
      notFound: expect.stringContaining('users:read.email'),
    });
  });
  it('refuses another account, another workspace, deactivated, bots, Slack Connect strangers and ok:false', () => {
    const refused = (body: unknown, team = 'T012AB3C4', user = 'W012A3CDE') =>
      'notFound' in directoryEmail(body, team, user);
    expect(refused(answer(), 'T012AB3C4', 'W999')).toBe(true);
    expect(refused(answer(), 'T0OTHER')).toBe(true);
    expect(refused(answer((u) => (u.deleted = true)))).toBe(true);
    expect(refused(answer((u) => (u.is_bot = true)))).toBe(true);
    expect(refused(answer((u) => (u.is_stranger = true)))).toBe(true);
    expect(refused({ ok: false, error: 'user_not_found' })).toBe(true);
    expect(refused(null)).toBe(true);
  });
});

describe('slackClick: the clicked message for chat.update', () => {
  const recorded = JSON.parse(
    readFileSync(new URL('../fixtures/slack/block_actions.json', import.meta.url), 'utf8'),
  );
  const value = JSON.stringify({ decision: 'dec_1', requestHash: `sha256:${'0'.repeat(64)}` });
  it("reads the container's channel and ts, and drops malformed ones", () => {
    const body = structuredClone(recorded);
    body.actions[0].value = value;
    const parsed = slackClick(body, 'https://hooks.slack.com/');
    expect('click' in parsed && parsed.click.message).toEqual({
      channel: 'C0APPROVE',
      ts: '1548261231.000200',
    });
    body.container.message_ts = '1548261231.000200&channel=C0EVIL';
    const hostile = slackClick(body, 'https://hooks.slack.com/');
    expect('click' in hostile && hostile.click.message).toBeUndefined();
  });
});
