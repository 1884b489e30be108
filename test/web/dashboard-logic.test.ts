import { describe, expect, it } from 'vitest';
import { type Requirement, voteRefusal } from '../../src/decisions/approvals.js';
import { type Voter, voteEligibility } from '../../web/src/approvals/eligibility.js';
import { absoluteTime, relativeTime } from '../../web/src/time.js';

/** The dashboard's pure helpers: who may vote (against the server's rule) and how times read. */

describe('vote eligibility in the dashboard', () => {
  const requirements: Requirement[] = [{ count: 2, from: ['group:sre', 'owner'], ttl: '1h' }];
  const decision = (received: string[] = []) => ({
    actor: { id: 'deploy-bot' },
    approvals: {
      required: requirements.map((r) => ({ ...r, met: false })),
      received: received.map((approver) => ({ approver })),
    },
  });
  const people: Voter[] = [
    { id: 'alice', role: 'approver', groups: ['sre'] },
    { id: 'bob', role: 'approver', groups: ['platform'] },
    { id: 'carol', role: 'approver', groups: ['dba'] },
    { id: 'deploy-bot', role: 'approver', groups: ['sre'] },
    { id: 'root', role: 'admin', groups: [] },
    { id: 'root2', role: 'admin', groups: ['sre'] },
  ];

  it('offers the vote exactly when the server would accept it', () => {
    for (const previous of [[], ['alice']]) {
      for (const person of people) {
        const server = voteRefusal(
          { approver: person.id, groups: person.groups },
          { requester: 'deploy-bot', requirements, previousVoters: previous, ownerTeam: 'platform' },
        );
        const web = voteEligibility(person, decision(previous), 'platform');
        expect({ who: person.id, previous, canVote: web.canVote }).toEqual({
          who: person.id,
          previous,
          canVote: server === undefined,
        });
        if (server && !web.canVote) expect(web.reason).toBe(server.code);
      }
    }
  });

  it('never offers the vote to auditors or agents', () => {
    expect(
      voteEligibility({ id: 'erin', role: 'auditor', groups: ['sre'] }, decision(), 'platform'),
    ).toMatchObject({
      canVote: false,
      reason: 'role',
    });
    expect(voteEligibility({ id: 'x', role: 'agent', groups: ['sre'] }, decision(), 'platform').canVote).toBe(
      false,
    );
  });

  it('names the selectors the voter counts for', () => {
    const bob = { id: 'bob', role: 'approver' as const, groups: ['sre', 'platform'] };
    expect(voteEligibility(bob, decision(), 'platform')).toEqual({
      canVote: true,
      selectors: ['group:sre', 'owner'],
    });
  });
});

describe('times in the dashboard', () => {
  const now = new Date('2026-11-17T10:00:00Z');
  const ago = (ms: number) => new Date(now.getTime() - ms);

  it('reads relative to now, in both directions', () => {
    expect(relativeTime(ago(10_000), now)).toBe('just now');
    expect(relativeTime(ago(3 * 60_000), now)).toBe('3 min. ago');
    expect(relativeTime(ago(2 * 3_600_000), now)).toBe('2 hr. ago');
    expect(relativeTime(ago(86_400_000), now)).toBe('yesterday');
    expect(relativeTime(new Date(now.getTime() + 5 * 60_000), now)).toBe('in 5 min.');
  });

  it('shows a date for times more than a month away', () => {
    expect(relativeTime(ago(40 * 86_400_000), now)).toMatch(/2026/);
  });

  it('shows absolute times in the requested time zone, naming it', () => {
    expect(absoluteTime(now, { locale: 'en-US', timeZone: 'UTC' })).toBe('Nov 17, 2026, 10:00:00 AM UTC');
    expect(absoluteTime(now, { locale: 'en-US', timeZone: 'Asia/Tokyo' })).toBe(
      'Nov 17, 2026, 7:00:00 PM GMT+9',
    );
  });
});
