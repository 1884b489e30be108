import { describe, expect, it } from 'vitest';
import { type Requirement, voteRefusal } from '../../src/decisions/approvals.js';
import { decisionStatuses } from '../../src/decisions/records.js';
import type { AutonomyChange } from '../../web/src/api/types.js';
import { type Voter, voteEligibility } from '../../web/src/approvals/eligibility.js';
import { autonomyCap } from '../../web/src/autonomy.js';
import { statusTone } from '../../web/src/components/status-tone.js';
import { decisionStatusMeaning, missingOutcomeText } from '../../web/src/decision-status.js';
import { staleDataNotice } from '../../web/src/stale.js';
import { absoluteTime, relativeTime } from '../../web/src/time.js';

/**
 * The dashboard's pure helpers: who may vote (against the server's rule), how times read, why a
 * System acts below its document's level, and what a view says when a refresh fails.
 */

describe('vote eligibility in the dashboard', () => {
  const requirements: Requirement[] = [{ count: 2, from: ['group:sre', 'owner'], ttl: '1h' }];
  const decision = (received: string[] = []) => ({
    actor: { ref: 'system:deploy-bot' },
    approvals: {
      required: requirements.map((r) => ({ ...r, met: false })),
      received: received.map((approver) => ({ approver })),
    },
  });
  const people: Voter[] = [
    { id: 'alice', ref: 'user:alice', role: 'approver', groups: ['sre'] },
    { id: 'bob', ref: 'user:bob', role: 'approver', groups: ['platform'] },
    { id: 'carol', ref: 'user:carol', role: 'approver', groups: ['dba'] },
    // A person named like the System is not the System: typed identities keep them apart.
    { id: 'deploy-bot', ref: 'user:deploy-bot', role: 'approver', groups: ['sre'] },
    { id: 'root', ref: 'user:root', role: 'admin', groups: [] },
    { id: 'root2', ref: 'user:root2', role: 'admin', groups: ['sre'] },
  ];

  it('offers the vote exactly when the server would accept it', () => {
    for (const previous of [[], ['user:alice']]) {
      for (const person of people) {
        const server = voteRefusal(
          { approver: person.ref, groups: person.groups },
          { requester: 'system:deploy-bot', requirements, previousVoters: previous, ownerTeam: 'platform' },
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

  it('refuses the person a coding agent acts for, as the server does', () => {
    const bob = { id: 'bob', ref: 'user:bob', role: 'approver' as const, groups: ['sre'] };
    const onBehalf = { ...decision(), request: { context: { onBehalfOf: 'user:bob' } } };
    expect(voteEligibility(bob, onBehalf, 'platform')).toMatchObject({ canVote: false, reason: 'self' });
    expect(
      voteRefusal(
        { approver: 'user:bob', groups: ['sre'] },
        {
          requester: 'system:deploy-bot',
          requirements,
          previousVoters: [],
          ownerTeam: 'platform',
          onBehalfOf: 'user:bob',
        },
      ),
    ).toMatchObject({ code: 'self' });
    expect(voteEligibility(bob, decision(), 'platform').canVote).toBe(true);
  });

  it('never offers the vote to auditors or agents', () => {
    expect(
      voteEligibility(
        { id: 'erin', ref: 'user:erin', role: 'auditor', groups: ['sre'] },
        decision(),
        'platform',
      ),
    ).toMatchObject({
      canVote: false,
      reason: 'role',
    });
    expect(
      voteEligibility({ id: 'x', ref: 'system:x', role: 'agent', groups: ['sre'] }, decision(), 'platform')
        .canVote,
    ).toBe(false);
  });

  it('names the selectors the voter counts for', () => {
    const bob = { id: 'bob', ref: 'user:bob', role: 'approver' as const, groups: ['sre', 'platform'] };
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

describe('why a System acts below its document level', () => {
  const budgetDemotion: AutonomyChange = {
    at: '2026-11-25T13:00:00.000Z',
    from: 3,
    to: 2,
    ceiling: 3,
    cause: 'budget',
    by: 'arbiter',
    reason: '3 failed or rolled-back actions in prod within 7d (at most 2)',
    decisions: ['dec_1', 'dec_2', 'dec_3'],
    ledgerIndex: 212,
  };
  const lowered: AutonomyChange = {
    at: '2026-11-26T09:00:00.000Z',
    from: 2,
    to: 1,
    ceiling: 3,
    cause: 'human',
    by: 'bob',
    reason: 'INC-7: suggest only until the rollout tooling is fixed',
    decisions: [],
    ledgerIndex: 230,
  };
  const budget = { maxFailures: 2, window: '7d', environments: ['prod'] };

  it('names the error budget, with the failures that spent it and its window', () => {
    expect(
      autonomyCap({
        autonomy: 2,
        autonomyCeiling: 3,
        errorBudget: budget,
        autonomyChanges: [budgetDemotion],
      }),
    ).toEqual({
      cause: 'budget',
      change: budgetDemotion,
      text: 'demoted from 3 by its error budget (3 failures in 7d)',
    });
  });

  it('names the person and their reason when a person lowered it, never the budget', () => {
    // Newest first: the person's change stands, though the budget demoted it before.
    const cap = autonomyCap({
      autonomy: 1,
      autonomyCeiling: 3,
      errorBudget: budget,
      autonomyChanges: [lowered, budgetDemotion],
    });
    expect(cap).toEqual({
      cause: 'human',
      change: lowered,
      text: 'set to 1 by bob: INC-7: suggest only until the rollout tooling is fixed',
    });
  });

  it('says nothing at the document level, and no cause it does not know', () => {
    const promotedBack = { ...lowered, from: 1, to: 3, reason: 'tooling fixed' };
    expect(autonomyCap({ autonomy: 3, autonomyCeiling: 3, autonomyChanges: [promotedBack] })).toBeUndefined();
    expect(autonomyCap({ autonomy: 2 })).toBeUndefined();
    expect(autonomyCap({ autonomy: 1, autonomyCeiling: 2 })).toEqual({
      cause: 'unknown',
      text: 'lowered from 2',
    });
    expect(
      autonomyCap({
        autonomy: 2,
        autonomyCeiling: 3,
        autonomyChanges: [{ ...budgetDemotion, decisions: ['d'] }],
      })?.text,
    ).toBe('demoted from 3 by its error budget (1 failure)');
  });
});

describe('a refresh that failed after data was shown', () => {
  const now = new Date('2026-11-17T10:00:00Z');

  it("gives the server's message and the age of what is shown", () => {
    // The dashboard's ApiError is an Error; its message is the server's (its code shows beside it).
    const error = new Error('the store is unavailable');
    expect(staleDataNotice(error, now.getTime() - 3 * 60_000, now)).toBe(
      'Could not refresh: the store is unavailable — showing what was loaded 3 min. ago',
    );
    expect(staleDataNotice(new TypeError('Failed to fetch'), now.getTime() - 5_000, now)).toBe(
      'Could not refresh: Failed to fetch — showing what was loaded just now',
    );
  });

  it('does not invent a time it does not know', () => {
    expect(staleDataNotice('offline', 0, now)).toBe(
      'Could not refresh: offline — showing what was loaded earlier',
    );
  });
});

describe('decision statuses in the dashboard', () => {
  it('names every status the server has, and tells what ran from what did not', () => {
    expect(Object.keys(decisionStatusMeaning).sort()).toEqual([...decisionStatuses].sort());
    expect(statusTone('revoked')).toBe('bad');
    expect(statusTone('started')).toBe('info');
    expect(statusTone('withdrawn')).toBe('neutral');
    expect(statusTone('expired')).toBe('neutral');
    expect(missingOutcomeText('started')).toMatch(/^Started; the requester has not reported/);
    for (const status of ['revoked', 'withdrawn', 'expired', 'denied'] as const)
      expect(missingOutcomeText(status)).toBe('No outcome: it did not run.');
  });
});
