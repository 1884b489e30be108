import { describe, expect, it } from 'vitest';
import { isArbiterError } from '../../src/core/errors.js';
import type { JsonObject } from '../../src/core/json.js';
import {
  baseActor,
  createdActivity,
  createdEntry,
  executionDeadline,
  expiryTransition,
  isExpired,
  isLapsed,
  lapseTransition,
  type NewDecision,
  newDecisionRow,
  outcomeActivity,
  revokeTransition,
  startTransition,
  transitionActivity,
  transitionEntryType,
  voteTransition,
  withdrawTransition,
} from '../../src/decisions/lifecycle.js';
import {
  assertMayVote,
  assertOutcomeReportable,
  assertRecordedRequest,
  assertRequester,
  assertRequesterOf,
  assertSameRequest,
  assertStartable,
  assertVotable,
  assertWithdrawable,
  maySeeDecision,
} from '../../src/decisions/preconditions.js';
import { elide, recordedFacts, requestDigest } from '../../src/decisions/recorded-request.js';
import type { DecisionRow } from '../../src/decisions/records.js';
import { requestHash } from '../../src/decisions/request-hash.js';
import {
  frozenReason,
  frozenVerdict,
  noPoliciesReason,
  noPoliciesVerdict,
  requirementsOf,
  statusOfEffect,
} from '../../src/decisions/verdicts.js';
import type { Principal } from '../../src/identity/principal.js';
import { evaluateAction, type Verdict } from '../../src/policy/index.js';
import type { ActionRequest } from '../../src/policy/request.js';
import type { SystemRow } from '../../src/registry/records.js';
import { actionPolicy, bundleOf } from '../helpers/bundle.js';
import { systemRow } from '../helpers/system-row.js';

// The decision lifecycle without a store or a server: verdicts from a real compiled bundle, rows
// and ledger data built from them, and the checks that guard each step.

const bundle = bundleOf({
  'prod.yaml': actionPolicy(
    'prod',
    `  match: { environments: [prod] }
  rules:
    - name: big
      when: request.change.linesChanged > 500
      effect: require_approval
      approval: { count: 1, from: ["owner"], ttl: 1h }
    - name: wide
      when: request.change.linesChanged > 200
      effect: require_approval
      approval: { count: 2, from: ["group:sre"], ttl: 30m }
    - name: dropping
      when: request.action == "db.drop"
      effect: deny
      message: never drop
    - name: otherwise
      when: "true"
      effect: allow
`,
  ),
});

const now = new Date('2026-03-04T10:00:00.000Z');

const system: SystemRow = {
  id: 'deploy-bot',
  kind: 'agent',
  spec: { owner: { team: 'platform', person: 'dana@example.com' }, autonomy: 2, riskTier: 'high' },
  source: 'bundle',
  status: 'active',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};

function request(linesChanged: number, action = 'deploy'): ActionRequest {
  return {
    action,
    resource: { type: 'service', id: 'payments', environment: 'prod' },
    rationale: 'ship the fix',
    change: { linesChanged },
  } as ActionRequest;
}

function decide(req: ActionRequest): Verdict {
  return evaluateAction(bundle, { request: req, actor: baseActor(system, { name: 'x', groups: [] }), now });
}

function newDecision(
  req: ActionRequest,
  verdict = decide(req),
  extra: Partial<NewDecision> = {},
): NewDecision {
  return {
    id: 'dec_1',
    actor: 'system:deploy-bot',
    system,
    request: req,
    requestHash: requestHash('system:deploy-bot', req as never),
    verdict,
    statusReason: undefined,
    now,
    ...extra,
  };
}

const agent: Principal = { tokenId: 'tok_a', role: 'agent', systemId: 'deploy-bot', groups: [] };
const approver: Principal = { tokenId: 'tok_b', role: 'approver', user: 'sam', groups: ['platform'] };

function errorCode(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (isArbiterError(error)) return error.code;
    throw error;
  }
  return undefined;
}

describe('verdicts the lifecycle reads', () => {
  it('maps each effect to the status a new decision takes', () => {
    expect(statusOfEffect).toEqual({ allow: 'allowed', require_approval: 'pending', deny: 'denied' });
  });

  it('keeps every approval requirement with the rules that asked for it, without the parsed ttl', () => {
    const verdict = decide(request(600));
    expect(verdict.effect).toBe('require_approval');
    expect(requirementsOf(verdict)).toEqual(
      verdict.approvals.map(({ count, from, ttl, rules }) => ({ count, from, ttl, rules })),
    );
    expect(requirementsOf(verdict).map((r) => r.rules)).toEqual([['prod/big'], ['prod/wide']]);
  });

  it('denies a frozen System before any policy runs, naming the freeze', () => {
    const frozen = { ...system, status: 'frozen' as const, statusReason: 'incident 42' };
    const verdict = frozenVerdict(frozen, bundle.digest);
    expect(verdict).toMatchObject({
      effect: 'deny',
      reasons: [
        {
          policy: '(registry)',
          rule: 'frozen',
          effect: 'deny',
          message: 'System deploy-bot is frozen: incident 42',
          facts: { 'actor.status': 'frozen' },
        },
      ],
      approvals: [],
      defaulted: false,
      bundle: bundle.digest,
    });
    expect(frozenReason(frozen)).toBe('frozen: incident 42');
    expect(frozenReason({ ...frozen, statusReason: undefined })).toBe('frozen: kill switch');
    expect(frozenVerdict({ id: 'x' }, 'b').reasons[0]!.message).toBe('System x is frozen');
  });

  it('denies every request of a server without policies, saying how to start it', () => {
    const verdict = noPoliciesVerdict('sha256:empty');
    expect(verdict.effect).toBe('deny');
    expect(verdict.reasons[0]).toMatchObject({ policy: '(server)', rule: 'no-policies' });
    expect(verdict.reasons[0]!.message).toBe(`${noPoliciesReason}; start arbiter serve with --policies DIR`);
  });
});

describe('a new decision', () => {
  it('is pending until the shortest approval ttl runs out, with its requirements', () => {
    const decision = newDecision(request(600));
    const row = newDecisionRow(decision, 7);
    expect(row).toMatchObject({
      id: 'dec_1',
      actorId: 'system:deploy-bot',
      actorKind: 'agent',
      systemId: 'deploy-bot',
      action: 'deploy',
      resourceType: 'service',
      resourceId: 'payments',
      environment: 'prod',
      status: 'pending',
      effect: 'require_approval',
      bundle: bundle.digest,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      // 30m is shorter than 1h: the window closes when the first requirement would expire.
      expiresAt: '2026-03-04T10:30:00.000Z',
      ledgerIndex: 7,
    });
    expect(row.requirements).toEqual(requirementsOf(decision.verdict));
    expect(row.verdict).toEqual(JSON.parse(JSON.stringify(decision.verdict)));
    expect(row).not.toHaveProperty('statusReason');
    expect(row).not.toHaveProperty('idempotencyKey');
  });

  it('expires when allowed (its execution window, 15 minutes by default) or pending, never when denied, and keeps the idempotency key and status reason it was given', () => {
    const allowed = newDecisionRow(newDecision(request(10), undefined, { idempotencyKey: 'k1' }), 1);
    expect(allowed.status).toBe('allowed');
    expect(allowed.expiresAt).toBe('2026-03-04T10:15:00.000Z');
    expect(allowed.idempotencyKey).toBe('k1');
    const frozen = newDecisionRow(
      newDecision(request(10), frozenVerdict(system, bundle.digest), { statusReason: 'frozen: x' }),
      2,
    );
    expect(frozen).toMatchObject({ status: 'denied', statusReason: 'frozen: x' });
    expect(frozen).not.toHaveProperty('expiresAt');
  });

  it('is a human decision when there is no System, without an environment when the request names none', () => {
    const req = { action: 'deploy', resource: { type: 'service', id: 'web' } } as ActionRequest;
    const row = newDecisionRow(newDecision(req, undefined, { system: undefined, actor: 'user:sam' }), 3);
    expect(row.actorKind).toBe('human');
    expect(row).not.toHaveProperty('systemId');
    expect(row).not.toHaveProperty('environment');
    // No policy matches outside prod, so the bundle's default denies it.
    expect(createdActivity(row, now)).toEqual({
      actorId: 'user:sam',
      action: 'deploy',
      environment: '',
      at: now,
      decisions: 1,
      denied: 1,
    });
  });

  it('records in the ledger the request digest, the facts read, the reasons and the requirements; the verbatim request is personal', () => {
    const decision = newDecision(request(700, 'db.drop'));
    const { data, personal } = createdEntry(decision);
    expect(data).toEqual({
      request: {
        action: 'db.drop',
        resource: decision.request.resource,
        confidence: decision.request.confidence,
      },
      requestDigest: requestDigest(decision.request),
      withheld: {
        rationale: elide(decision.request.rationale!).size,
        change: elide(decision.request.change as JsonObject).size,
      },
      facts: recordedFacts(
        Object.assign({}, ...[...decision.verdict.reasons, ...decision.verdict.notFired].map((r) => r.facts)),
      ),
      requestHash: decision.requestHash,
      status: 'denied',
      effect: 'deny',
      reasons: decision.verdict.reasons.map(({ facts: _facts, ...reason }) =>
        JSON.parse(JSON.stringify(reason)),
      ),
      approvalsRequired: [],
      bundle: bundle.digest,
    });
    expect(personal).toEqual({ request: decision.request });
    expect(createdEntry({ ...decision, statusReason: 'frozen: x' }).data.statusReason).toBe('frozen: x');
  });

  it('counts one decision, and one denial when denied', () => {
    const row = newDecisionRow(newDecision(request(1, 'db.drop')), 1);
    expect(createdActivity(row, now)).toEqual({
      actorId: 'system:deploy-bot',
      action: 'db.drop',
      environment: 'prod',
      at: now,
      decisions: 1,
      denied: 1,
    });
    const pending = newDecisionRow(newDecision(request(600)), 1);
    expect(createdActivity(pending, now)).toEqual({
      actorId: 'system:deploy-bot',
      action: 'deploy',
      environment: 'prod',
      at: now,
      decisions: 1,
    });
  });

  it('shows policies the System spec as actor, or a human with their groups', () => {
    expect(baseActor(system, { name: 'ignored', groups: ['x'] })).toEqual({
      ...system.spec,
      id: 'deploy-bot',
      ref: 'system:deploy-bot',
      kind: 'agent',
      status: 'active',
    });
    expect(baseActor(undefined, { name: 'sam', groups: ['sre'] })).toEqual({
      id: 'sam',
      ref: 'user:sam',
      kind: 'human',
      groups: ['sre'],
    });
  });
});

describe('transitions', () => {
  const pending = newDecisionRow(newDecision(request(600)), 1);
  const requirements = pending.requirements as never;
  const context = (ownerTeam: string | undefined) => ({
    ownerTeam,
    verdict: { executionWindow: { window: '10m', windowMs: 600_000 } },
    now,
  });

  it('a rejection denies at once', () => {
    const t = voteTransition(
      requirements,
      [{ approver: 'sam', groups: ['platform'], verdict: 'reject' }],
      { approver: 'sam', verdict: 'reject' },
      context('platform'),
    );
    expect(t).toEqual({
      status: 'denied',
      reason: 'rejected by sam',
      by: 'sam',
      data: { reason: 'rejected', by: 'sam' },
    });
  });

  it('an approval allows only once every requirement is met', () => {
    const owner = { approver: 'sam', groups: ['platform'], verdict: 'approve' as const };
    const sre1 = { approver: 'ann', groups: ['sre'], verdict: 'approve' as const };
    const sre2 = { approver: 'bob', groups: ['sre'], verdict: 'approve' as const };
    expect(voteTransition(requirements, [owner], owner, context('platform'))).toBeUndefined();
    expect(voteTransition(requirements, [owner, sre1], sre1, context('platform'))).toBeUndefined();
    expect(voteTransition(requirements, [owner, sre1, sre2], sre2, context('platform'))).toEqual({
      status: 'allowed',
      reason: 'approved',
      by: 'bob',
      // The execution window (here the verdict's 10 minutes) opens at the approval; the entry
      // records its end, so the state checks can hold the table to it.
      data: { reason: 'approved', approvers: ['sam', 'ann', 'bob'], expiresAt: '2026-03-04T10:10:00.000Z' },
      expiresAt: '2026-03-04T10:10:00.000Z',
    });
    // The owner selector needs the owner team: without one, the first requirement is never met.
    expect(voteTransition(requirements, [owner, sre1, sre2], sre2, context(undefined))).toBeUndefined();
  });

  it('expires when the approval window has closed, not a millisecond before', () => {
    expect(isExpired(pending, new Date('2026-03-04T10:29:59.999Z'))).toBe(false);
    expect(isExpired(pending, new Date('2026-03-04T10:30:00.000Z'))).toBe(true);
    expect(isExpired({ expiresAt: undefined }, new Date('2100-01-01T00:00:00Z'))).toBe(false);
    expect(expiryTransition(pending)).toEqual({
      status: 'denied',
      reason: 'expired',
      by: 'arbiter',
      data: { reason: 'expired', expiresAt: '2026-03-04T10:30:00.000Z' },
    });
  });

  it('names the ledger entry and counts one allowed or one denied', () => {
    expect(transitionEntryType('allowed')).toBe('decision.allowed');
    expect(transitionEntryType('denied')).toBe('decision.denied');
    expect(transitionActivity(pending, 'allowed', now)).toEqual({
      actorId: 'system:deploy-bot',
      action: 'deploy',
      environment: 'prod',
      at: now,
      allowed: 1,
    });
    expect(transitionActivity({ ...pending, environment: undefined }, 'denied', now)).toMatchObject({
      environment: '',
      denied: 1,
    });
  });

  it('counts each outcome under its own counter', () => {
    const counters = (['succeeded', 'failed', 'rolled_back'] as const).map((status) => {
      const { actorId, action, environment, at, ...rest } = outcomeActivity(pending, status, now);
      expect({ actorId, action, environment, at }).toEqual({
        actorId: 'system:deploy-bot',
        action: 'deploy',
        environment: 'prod',
        at: now,
      });
      return rest;
    });
    expect(counters).toEqual([{ succeeded: 1 }, { failed: 1 }, { rolledBack: 1 }]);
  });
});

describe('preconditions', () => {
  const pending: DecisionRow = newDecisionRow(newDecision(request(600)), 5);

  it('agents must be registered and say why; humans need neither', () => {
    expect(errorCode(() => assertRequester(agent, undefined, { rationale: 'x' }))).toBe(
      'ARB_ERR_SYSTEM_UNKNOWN',
    );
    expect(errorCode(() => assertRequester(agent, system, { rationale: '  ' }))).toBe(
      'ARB_ERR_RATIONALE_REQUIRED',
    );
    expect(errorCode(() => assertRequester(agent, system, {}))).toBe('ARB_ERR_RATIONALE_REQUIRED');
    expect(errorCode(() => assertRequester(agent, system, { rationale: 'fix' }))).toBeUndefined();
    expect(errorCode(() => assertRequester(approver, undefined, {}))).toBeUndefined();
  });

  it('a repeated idempotency key must carry the same request', () => {
    expect(assertSameRequest(pending, pending.requestHash, 'k')).toBe(pending);
    expect(errorCode(() => assertSameRequest(pending, 'sha256:other', 'k'))).toBe(
      'ARB_ERR_IDEMPOTENCY_CONFLICT',
    );
  });

  it('agents see only their own decisions', () => {
    expect(maySeeDecision(agent, pending)).toBe(true);
    expect(maySeeDecision({ ...agent, systemId: 'other-bot' }, pending)).toBe(false);
    expect(maySeeDecision({ ...approver, role: 'auditor' }, pending)).toBe(true);
  });

  it('votes are on pending decisions and on exactly the request the approver saw', () => {
    expect(errorCode(() => assertVotable(pending, undefined))).toBeUndefined();
    expect(errorCode(() => assertVotable(pending, pending.requestHash))).toBeUndefined();
    expect(errorCode(() => assertVotable(pending, 'sha256:seen-something-else'))).toBe(
      'ARB_ERR_APPROVAL_HASH_MISMATCH',
    );
    expect(errorCode(() => assertVotable({ ...pending, status: 'denied' }, undefined))).toBe(
      'ARB_ERR_DECISION_NOT_PENDING',
    );
  });

  it('refuses a stored request that differs from the one the ledger recorded', () => {
    const entry = (data: object) => new TextEncoder().encode(JSON.stringify(data));
    const recorded = entry({
      actor: pending.actorId,
      subject: pending.id,
      data: { requestHash: pending.requestHash },
    });
    expect(errorCode(() => assertRecordedRequest(pending, recorded))).toBeUndefined();
    // A decision from before typed identities: the entry names the bare name, the hash covers it.
    const legacy = { ...pending, requestHash: requestHash('deploy-bot', pending.request) };
    const legacyEntry = entry({
      actor: 'deploy-bot',
      subject: pending.id,
      data: { requestHash: legacy.requestHash },
    });
    expect(errorCode(() => assertRecordedRequest(legacy, legacyEntry))).toBeUndefined();
    // The entry names someone else — a person who took the System's name — so the row is not its.
    const impostor = {
      ...pending,
      actorId: 'user:deploy-bot',
      requestHash: requestHash('user:deploy-bot', pending.request),
    };
    expect(errorCode(() => assertRecordedRequest(impostor, recorded))).toBe('ARB_ERR_APPROVAL_HASH_MISMATCH');
    // The row was edited after the fact: its request no longer hashes to its request hash.
    const edited = { ...pending, request: { ...pending.request, rationale: 'something else' } };
    expect(errorCode(() => assertRecordedRequest(edited, recorded))).toBe('ARB_ERR_APPROVAL_HASH_MISMATCH');
    // The ledger entry is about another decision, holds another hash, or cannot be read.
    for (const other of [
      entry({ actor: pending.actorId, subject: 'dec_other', data: { requestHash: pending.requestHash } }),
      entry({ actor: pending.actorId, subject: pending.id, data: { requestHash: 'sha256:0' } }),
      entry({ subject: pending.id, data: { requestHash: pending.requestHash } }),
      undefined,
    ])
      expect(errorCode(() => assertRecordedRequest(pending, other))).toBe('ARB_ERR_APPROVAL_HASH_MISMATCH');
  });

  it('maps each separation-of-duties refusal to its own error', () => {
    const context = {
      requester: 'deploy-bot',
      requirements: pending.requirements as never,
      previousVoters: ['ann'],
      ownerTeam: 'platform',
    };
    expect(errorCode(() => assertMayVote({ approver: 'deploy-bot', groups: [] }, context))).toBe(
      'ARB_ERR_APPROVAL_SELF',
    );
    expect(errorCode(() => assertMayVote({ approver: 'ann', groups: ['sre'] }, context))).toBe(
      'ARB_ERR_APPROVAL_DUPLICATE',
    );
    expect(errorCode(() => assertMayVote({ approver: 'eve', groups: ['finance'] }, context))).toBe(
      'ARB_ERR_APPROVAL_NOT_ELIGIBLE',
    );
    expect(
      errorCode(() => assertMayVote({ approver: 'sam', groups: ['platform'] }, context)),
    ).toBeUndefined();
  });

  it('only the requester reports an outcome, once, of an allowed decision', () => {
    const allowed: DecisionRow = { ...pending, status: 'allowed' };
    expect(assertOutcomeReportable(agent, allowed.id, allowed)).toBe(allowed);
    expect(errorCode(() => assertOutcomeReportable(agent, 'dec_x', undefined))).toBe('ARB_ERR_NOT_FOUND');
    // Another agent does not learn the decision exists; a human who did not ask is forbidden.
    expect(errorCode(() => assertOutcomeReportable({ ...agent, systemId: 'b' }, allowed.id, allowed))).toBe(
      'ARB_ERR_NOT_FOUND',
    );
    expect(errorCode(() => assertOutcomeReportable(approver, allowed.id, allowed))).toBe('ARB_ERR_FORBIDDEN');
    expect(errorCode(() => assertOutcomeReportable(agent, pending.id, pending))).toBe(
      'ARB_ERR_OUTCOME_NOT_ALLOWED',
    );
    const reported: DecisionRow = {
      ...allowed,
      outcome: { status: 'failed', at: now.toISOString(), ledgerIndex: 9 },
    };
    expect(errorCode(() => assertOutcomeReportable(agent, reported.id, reported))).toBe(
      'ARB_ERR_OUTCOME_NOT_ALLOWED',
    );
  });
});

describe('execution: single use, within its window, stopped by a freeze', () => {
  const allowed = newDecisionRow(newDecision(request(10)), 1);
  const refusal = (run: () => unknown) => {
    try {
      run();
    } catch (error) {
      if (isArbiterError(error)) return { code: error.code, details: error.details };
      throw error;
    }
    return undefined;
  };

  it('refuses a second claim, and a claim after the outcome was reported', () => {
    const started: DecisionRow = { ...allowed, status: 'started', statusReason: 'started by deploy-bot' };
    expect(refusal(() => assertStartable(started, false))).toEqual({
      code: 'ARB_ERR_DECISION_ALREADY_STARTED',
      details: { status: 'started' },
    });
    // A row recorded before claims existed: allowed, with an outcome. It ran; it never runs again.
    const ran: DecisionRow = {
      ...allowed,
      outcome: { status: 'succeeded', at: now.toISOString(), ledgerIndex: 4 },
    };
    expect(refusal(() => assertStartable(ran, false))).toEqual({
      code: 'ARB_ERR_DECISION_ALREADY_STARTED',
      details: { status: 'allowed', outcome: 'succeeded' },
    });
  });

  it('refuses to start anything but an allowed decision inside its window', () => {
    for (const status of ['pending', 'denied', 'revoked', 'withdrawn', 'expired'] as const) {
      expect(
        refusal(() => assertStartable({ ...allowed, status }, false)),
        status,
      ).toEqual({
        code: 'ARB_ERR_DECISION_NOT_STARTABLE',
        details: { status },
      });
    }
    expect(refusal(() => assertStartable(allowed, true))).toEqual({
      code: 'ARB_ERR_DECISION_NOT_STARTABLE',
      details: { status: 'expired' },
    });
    expect(refusal(() => assertStartable(allowed, false))).toBeUndefined();
  });

  it('lets only the requester start or withdraw: another System and a person who did not ask are forbidden', () => {
    expect(errorCode(() => assertRequesterOf({ ...agent, systemId: 'other-bot' }, allowed.id, allowed))).toBe(
      'ARB_ERR_FORBIDDEN',
    );
    expect(errorCode(() => assertRequesterOf(approver, allowed.id, allowed))).toBe('ARB_ERR_FORBIDDEN');
    expect(errorCode(() => assertRequesterOf(agent, 'dec_x', undefined))).toBe('ARB_ERR_NOT_FOUND');
    expect(assertRequesterOf(agent, allowed.id, allowed)).toBe(allowed);
  });

  it('lapses when the execution window closes, not a millisecond before, and only while allowed and not run', () => {
    expect(allowed.expiresAt).toBe(executionDeadline({}, now));
    expect(isLapsed(allowed, new Date('2026-03-04T10:14:59.999Z'))).toBe(false);
    expect(isLapsed(allowed, new Date('2026-03-04T10:15:00.000Z'))).toBe(true);
    const later = new Date('2026-03-05T00:00:00.000Z');
    expect(isLapsed({ ...allowed, status: 'started' }, later)).toBe(false);
    expect(
      isLapsed(
        { ...allowed, outcome: { status: 'succeeded', at: now.toISOString(), ledgerIndex: 2 } },
        later,
      ),
    ).toBe(false);
    expect(lapseTransition(allowed)).toEqual({
      status: 'expired',
      reason: 'not started within its execution window',
      by: 'arbiter',
      data: { reason: 'execution-window', expiresAt: '2026-03-04T10:15:00.000Z' },
    });
  });

  it('takes the window from the verdict', () => {
    expect(executionDeadline({ executionWindow: { window: '2m', windowMs: 120_000 } }, now)).toBe(
      '2026-03-04T10:02:00.000Z',
    );
  });

  it('withdraws only what has not started', () => {
    expect(errorCode(() => assertWithdrawable(allowed))).toBeUndefined();
    expect(errorCode(() => assertWithdrawable({ ...allowed, status: 'pending' }))).toBeUndefined();
    for (const status of ['started', 'denied', 'revoked', 'withdrawn', 'expired'] as const)
      expect(
        errorCode(() => assertWithdrawable({ ...allowed, status })),
        status,
      ).toBe('ARB_ERR_DECISION_NOT_WITHDRAWABLE');
  });

  it('records each new status under its own entry type, and counts none of them as allowed or denied', () => {
    expect(startTransition('deploy-bot')).toMatchObject({ status: 'started', data: { reason: 'claimed' } });
    expect(startTransition('deploy-bot', { implicit: 'outcome' }).data).toEqual({
      reason: 'outcome-reported',
    });
    expect(revokeTransition('incident 7', 'sam')).toEqual({
      status: 'revoked',
      reason: 'revoked: frozen: incident 7',
      by: 'sam',
      data: { reason: 'frozen', detail: 'incident 7' },
    });
    expect(withdrawTransition('deploy-bot', 'client went away').status).toBe('withdrawn');
    // The agent's reason is erasable personal data; the permanent entry keeps only its size.
    expect(withdrawTransition('deploy-bot', 'token=hunter2')).toMatchObject({
      data: { reason: 'withdrawn', detailSize: 13 },
      personal: { detail: 'token=hunter2' },
    });
    expect(JSON.stringify(withdrawTransition('deploy-bot', 'token=hunter2').data)).not.toContain('hunter2');
    for (const status of ['started', 'revoked', 'withdrawn', 'expired'] as const) {
      expect(transitionEntryType(status)).toBe(`decision.${status}`);
      expect(transitionActivity(allowed, status, now)).not.toHaveProperty('allowed');
      expect(transitionActivity(allowed, status, now)).not.toHaveProperty('denied');
    }
  });
});

describe('baseActor', () => {
  // What it must equal: the literal it replaced, key for key and in the same order (explanations
  // that record the whole actor are JSON of it).
  const literal = (system: SystemRow) => ({
    ...system.spec,
    id: system.id,
    ref: `system:${system.id}`,
    kind: system.kind,
    status: system.status,
  });

  it.each([
    ['an empty spec', {}],
    ['a spec naming kind', { kind: 'agent', owner: { team: 'platform' }, autonomy: 3 }],
    ['a spec naming id, ref and status', { status: 'x', owner: { team: 'a' }, ref: 'y', id: 'z' }],
    // Parsed JSON keeps `__proto__` as an own key: the copy must too, not take it as its prototype.
    [
      'a spec with an own __proto__ key',
      JSON.parse('{"__proto__":{"polluted":true},"constructor":1,"kind":"x"}'),
    ],
  ] as [string, JsonObject][])('copies %s as the spread did', (_name, spec) => {
    const actor = baseActor(systemRow(spec), { name: 'unused', groups: [] });
    expect(JSON.stringify(actor)).toBe(JSON.stringify(literal(systemRow(spec))));
    expect(Object.getPrototypeOf(actor)).toBe(Object.prototype);
    expect((actor as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('newDecisionRow', () => {
  // What it must equal: the literal it replaced, key for key and in the same order, with the keys
  // that do not apply absent (not undefined).
  const literal = (decision: NewDecision, ledgerIndex: number): DecisionRow => {
    const { request, verdict, statusReason, system, idempotencyKey, now } = decision;
    const status = statusOfEffect[verdict.effect];
    const ttl = Math.min(...verdict.approvals.map((approval) => approval.ttlMs));
    return {
      id: decision.id,
      actorId: decision.actor,
      actorKind: system ? system.kind : 'human',
      ...(system ? { systemId: system.id } : {}),
      action: request.action,
      resourceType: request.resource.type,
      resourceId: request.resource.id,
      ...(request.resource.environment ? { environment: request.resource.environment } : {}),
      request: request as unknown as JsonObject,
      requestHash: decision.requestHash,
      ...(idempotencyKey ? { idempotencyKey } : {}),
      status,
      effect: verdict.effect,
      verdict: JSON.parse(JSON.stringify(verdict)),
      requirements: requirementsOf(verdict),
      bundle: verdict.bundle,
      ...(statusReason ? { statusReason } : {}),
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      ...(status === 'pending' ? { expiresAt: new Date(now.getTime() + ttl).toISOString() } : {}),
      ...(status === 'allowed' ? { expiresAt: executionDeadline(verdict, now) } : {}),
      ledgerIndex,
    } as DecisionRow;
  };
  const human = { action: 'deploy', resource: { type: 'service', id: 'web' } } as ActionRequest;

  it.each([
    ['pending, of a System', newDecision(request(600))],
    ['allowed, with an idempotency key', newDecision(request(10), undefined, { idempotencyKey: 'k1' })],
    [
      'denied, with a status reason',
      newDecision(request(10), frozenVerdict(system, bundle.digest), { statusReason: 'frozen: x' }),
    ],
    [
      'of a human, without an environment',
      newDecision(human, undefined, { system: undefined, actor: 'user:sam' }),
    ],
  ] as [string, NewDecision][])('makes the row the literal made: %s', (_name, decision) => {
    const row = newDecisionRow(decision, 9);
    expect(JSON.stringify(row)).toBe(JSON.stringify(literal(decision, 9)));
    expect(Object.keys(row)).toEqual(Object.keys(literal(decision, 9)));
  });
});

describe('createdActivity', () => {
  // What it must equal: the literal it replaced, key for key and in the same order.
  const literal = (row: DecisionRow, at: Date) => ({
    actorId: row.actorId,
    action: row.action,
    environment: row.environment ?? '',
    at,
    decisions: 1,
    ...(row.status === 'allowed' ? { allowed: 1 } : {}),
    ...(row.status === 'denied' ? { denied: 1 } : {}),
  });

  it.each([
    ['pending', newDecisionRow(newDecision(request(600)), 1)],
    ['allowed', newDecisionRow(newDecision(request(10)), 2)],
    ['denied', newDecisionRow(newDecision(request(10), frozenVerdict(system, bundle.digest)), 3)],
  ] as [string, DecisionRow][])('counts a %s decision as the literal did', (_name, row) => {
    expect(JSON.stringify(createdActivity(row, now))).toBe(JSON.stringify(literal(row, now)));
    expect(Object.keys(createdActivity(row, now))).toEqual(Object.keys(literal(row, now)));
  });
});
