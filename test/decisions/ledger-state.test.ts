import { describe, expect, it } from 'vitest';
import { decisionMismatches, recordedDecision } from '../../src/decisions/ledger-state.js';
import type { ApprovalRow, DecisionRow } from '../../src/decisions/records.js';
import type { LedgerEntry } from '../../src/ledger/entry.js';
import { recordedSystemStatus } from '../../src/registry/ledger-state.js';

/** Replaying a decision's entries, and each kind of row edit named after the edit. */
const requirements = [{ count: 2, from: ['group:sre', 'owner'], ttl: '1h' }];
const entry = (seq: number, type: string, data: LedgerEntry['data'], actor = 'deploy-bot'): LedgerEntry => ({
  v: 1,
  seq,
  time: `2026-01-05T10:00:0${seq}.000Z`,
  type,
  actor,
  subject: 'dec_1',
  data,
});
const created = entry(3, 'decision.created', {
  requestHash: 'sha256:aa',
  status: 'pending',
  effect: 'require_approval',
  approvalsRequired: requirements,
});
const row: DecisionRow = {
  id: 'dec_1',
  actorId: 'deploy-bot',
  actorKind: 'agent',
  systemId: 'deploy-bot',
  action: 'deploy',
  resourceType: 'service',
  resourceId: 'payments',
  request: {},
  requestHash: 'sha256:aa',
  status: 'pending',
  effect: 'require_approval',
  verdict: {},
  requirements,
  bundle: 'b',
  createdAt: '2026-01-05T10:00:02.990Z',
  updatedAt: '2026-01-05T10:00:02.990Z',
  expiresAt: '2026-01-05T11:00:02.990Z',
  ledgerIndex: 3,
};
const vote = (approver: string, seq: number): ApprovalRow => ({
  decisionId: 'dec_1',
  approver,
  groups: ['sre'],
  verdict: 'approve',
  requestHash: 'sha256:aa',
  createdAt: 'x',
  ledgerIndex: seq,
});
const approvalEntry = (approver: string, seq: number) =>
  entry(
    seq,
    'approval.recorded',
    { verdict: 'approve', requestHash: 'sha256:aa', groups: ['sre'] },
    approver,
  );

describe('recordedDecision', () => {
  it('replays created, votes, allowed and outcome in seq order, whatever order they come in', () => {
    const recorded = recordedDecision([
      entry(9, 'decision.outcome', { status: 'succeeded' }),
      entry(7, 'decision.allowed', { reason: 'approved' }),
      approvalEntry('user:alice', 5),
      created,
      approvalEntry('user:paul', 6),
    ]);
    expect(recorded).toMatchObject({
      status: 'allowed',
      requirements,
      votes: [{ approver: 'user:alice' }, { approver: 'user:paul' }],
      outcome: { status: 'succeeded' },
    });
    // An allowance written before execution windows records none: the approval window is over,
    // and no window is known.
    expect(recorded?.expiresAt).toBeUndefined();
    expect(recordedDecision([created])?.expiresAt).toBe('2026-01-05T11:00:03.000Z');
  });
  it('an approval opens the execution window its decision.allowed entry records', () => {
    const window = '2026-01-05T10:15:07.000Z';
    const recorded = recordedDecision([
      created,
      approvalEntry('user:alice', 5),
      approvalEntry('user:paul', 6),
      entry(7, 'decision.allowed', { reason: 'approved', expiresAt: window }),
    ])!;
    expect(recorded).toMatchObject({ status: 'allowed', expiresAt: window });
    const allowed = { ...row, status: 'allowed' as const, expiresAt: window };
    const votes = [vote('user:alice', 5), vote('user:paul', 6)];
    expect(decisionMismatches(allowed, votes, recorded)).toEqual([]);
    // A window widened in the table is a mismatch: the claim that relies on it is refused.
    expect(
      decisionMismatches({ ...allowed, expiresAt: '2026-01-06T00:00:00.000Z' }, votes, recorded).map(
        (p) => p.field,
      ),
    ).toEqual(['expiresAt']);
  });
  it.each(['started', 'revoked', 'withdrawn', 'expired'] as const)(
    'decision.%s moves the status, and a row that undoes it is a mismatch',
    (status) => {
      const allowedCreated = { ...created, data: { ...created.data, status: 'allowed', effect: 'allow' } };
      const recorded = recordedDecision([allowedCreated, entry(4, `decision.${status}`, {})])!;
      expect(recorded.status).toBe(status);
      const stored = { ...row, status, effect: 'allow', expiresAt: undefined } as DecisionRow;
      expect(decisionMismatches(stored, [], recorded)).toEqual([]);
      expect(decisionMismatches({ ...stored, status: 'allowed' }, [], recorded).map((p) => p.field)).toEqual([
        'status',
      ]);
    },
  );
  it('a denial wins over an earlier allowance; without decision.created there is nothing', () => {
    expect(recordedDecision([created, entry(4, 'decision.denied', {})])?.status).toBe('denied');
    expect(recordedDecision([entry(4, 'decision.allowed', {})])).toBeUndefined();
  });
});

describe('decisionMismatches', () => {
  const recorded = recordedDecision([created, approvalEntry('user:alice', 5)])!;
  const approvals = [vote('user:alice', 5)];
  it('an unedited row has none', () => {
    expect(decisionMismatches(row, approvals, recorded)).toEqual([]);
  });
  it.each([
    [
      'weakened-requirements',
      { requirements: [{ count: 1, from: ['group:sre'], ttl: '1h' }] },
      ['requirements'],
    ],
    ['denied-flipped-to-allowed', { status: 'allowed', effect: 'allow' }, ['status', 'effect']],
    ['request-hash-swapped', { requestHash: 'sha256:bb' }, ['requestHash']],
    ['expiry-extended', { expiresAt: '2026-01-06T00:00:00.000Z' }, ['expiresAt']],
    ['ledger-index-redirected', { ledgerIndex: 4 }, ['ledgerIndex']],
    ['outcome-inserted', { outcome: { status: 'succeeded', at: 'x', ledgerIndex: 9 } }, ['outcome']],
  ] as const)('%s', (_name, edit, fields) => {
    const problems = decisionMismatches({ ...row, ...edit } as DecisionRow, approvals, recorded);
    expect(problems.map((p) => p.field)).toEqual(fields);
  });
  it('approval-row-inserted and approval-row-deleted', () => {
    expect(
      decisionMismatches(row, [...approvals, vote('user:paul', 6)], recorded).map((p) => p.field),
    ).toEqual(['approvals']);
    expect(decisionMismatches(row, [], recorded).map((p) => p.field)).toEqual(['approvals']);
  });
  it('an earlier expiry is no mismatch (the row is computed a moment before the entry)', () => {
    expect(
      decisionMismatches({ ...row, expiresAt: '2026-01-05T10:30:00.000Z' }, approvals, recorded),
    ).toEqual([]);
  });
  it('no decision.created entry at all', () => {
    expect(decisionMismatches(row, approvals, undefined).map((p) => p.field)).toEqual(['decision.created']);
  });
});

describe('recordedSystemStatus', () => {
  const systemEntry = (seq: number, type: string) => ({ ...entry(seq, type, {}), subject: 'deploy-bot' });
  it('is the newest freeze or unfreeze, active when there is none', () => {
    expect(recordedSystemStatus([])).toBe('active');
    expect(recordedSystemStatus([systemEntry(2, 'system.frozen'), systemEntry(1, 'system.unfrozen')])).toBe(
      'frozen',
    );
    expect(recordedSystemStatus([systemEntry(1, 'system.frozen'), systemEntry(2, 'system.unfrozen')])).toBe(
      'active',
    );
    expect(recordedSystemStatus([systemEntry(1, 'system.registered')])).toBe('active');
  });
});

describe('votes recorded before typed identities', () => {
  it('compare as the typed rows the upgrade wrote: a bare entry actor is a user', () => {
    const recorded = recordedDecision([created, approvalEntry('alice', 5)])!;
    expect(recorded.votes.map((v) => v.approver)).toEqual(['user:alice']);
    expect(decisionMismatches(row, [vote('user:alice', 5)], recorded)).toEqual([]);
  });
});
