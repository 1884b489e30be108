import { ArbiterError } from '../../core/errors.js';
import type { IdGenerator } from '../../core/ids.js';
import type { JsonObject } from '../../core/json.js';
import { approvalProgress, type Requirement, voteRefusal } from '../../decisions/approvals.js';
import { activityWindow, recentActivity } from '../../decisions/recent.js';
import { requestHash } from '../../decisions/request-hash.js';
import type { PolicyBundle } from '../../policy/bundle.js';
import type { Actor, Verdict } from '../../policy/evaluate-action.js';
import { evaluateAction, needsRecentActivity } from '../../policy/evaluate-action.js';
import type { ActionRequest } from '../../policy/request.js';
import type { DecisionFilter, DecisionRow, DecisionStatus, SystemRow } from '../../store/records.js';
import type { Store, StoreTransaction } from '../../store/store.js';
import { actorId, type Principal, requireRole } from '../access/principal.js';
import type { Ledger } from '../ledger/ledger.js';
import type { EventSink } from '../notifications/notifications.js';
import type { PolicyHolder } from '../policies/policies.js';
import { ownerTeamOf, type SystemService } from '../systems/systems.js';
import { decisionEvent } from './notification-events.js';
import type { DecisionRequest, OutcomeRequest, VoteRequest } from './requests.js';
import { type DecisionView, decisionView } from './view.js';
import type { DecisionEvents } from './wake-ups.js';

export type { DecisionRequest, OutcomeRequest, VoteRequest } from './requests.js';

const statusOf: Record<Verdict['effect'], DecisionStatus> = {
  allow: 'allowed',
  require_approval: 'pending',
  deny: 'denied',
};

/** Observers of decisions, for metrics. */
export interface DecisionObserver {
  created?(row: DecisionRow, seconds: number): void;
}

/**
 * The decision lifecycle: request → evaluate → allowed | pending | denied; pending → approvals →
 * allowed, or rejection/expiry → denied; allowed → outcome. Every transition is written together
 * with its ledger entry in one transaction.
 */
/** Something that follows from an outcome, run in the outcome's transaction (see `onOutcome`). */
export type OutcomeHook = (
  tx: StoreTransaction,
  decision: DecisionRow,
  system: SystemRow | undefined,
  at: Date,
) => Promise<void>;

/** Adds to what policies see of a System `actor` before a request is evaluated (see `onPolicyActor`). */
export type PolicyActorHook = (
  actor: Actor,
  context: { system: SystemRow; request: ActionRequest; now: Date; bundle: PolicyBundle },
) => Promise<Actor>;

export interface DecisionServiceDeps {
  store: Store;
  ledger: Ledger;
  policies: PolicyHolder;
  systems: SystemService;
  events: DecisionEvents;
  clock: () => Date;
  ids: IdGenerator;
  observer?: DecisionObserver;
  sink?: EventSink;
}

export class DecisionService {
  private readonly store: Store;
  private readonly ledger: Ledger;
  private readonly policies: PolicyHolder;
  private readonly systems: SystemService;
  private readonly events: DecisionEvents;
  private readonly clock: () => Date;
  private readonly ids: IdGenerator;
  private readonly observer: DecisionObserver;
  private readonly sink: EventSink;

  constructor({
    store,
    ledger,
    policies,
    systems,
    events,
    clock,
    ids,
    observer = {},
    sink = { emit: async () => {} },
  }: DecisionServiceDeps) {
    this.store = store;
    this.ledger = ledger;
    this.policies = policies;
    this.systems = systems;
    this.events = events;
    this.clock = clock;
    this.ids = ids;
    this.observer = observer;
    this.sink = sink;
  }

  /** Asks for a decision. Returns the existing decision for a repeated idempotency key. */
  async request(
    principal: Principal,
    body: DecisionRequest,
  ): Promise<{ decision: DecisionView; created: boolean }> {
    const started = process.hrtime.bigint();
    requireRole(principal, 'agent', 'approver', 'admin');
    const { idempotencyKey, ...request } = body;
    const { actor, system } = await this.requester(principal, request);
    const hash = requestHash(actor, request as unknown as JsonObject);
    if (idempotencyKey) {
      const existing = await this.store.decisionByIdempotencyKey(actor, idempotencyKey);
      if (existing)
        return {
          decision: await this.view(this.sameRequest(existing, hash, idempotencyKey)),
          created: false,
        };
    }

    const now = this.clock();
    const bundle = this.policies.bundle;
    const environment = request.resource.environment ?? '';
    let { verdict, statusReason } = await this.decide(principal, system, request, now);
    const id = this.ids('dec');

    const result = await this.store.write(async (tx) => {
      if (idempotencyKey) {
        const raced = await tx.decisionByIdempotencyKey(actor, idempotencyKey);
        if (raced) return { row: raced, created: false };
      }
      // The kill switch may have been pulled while the policy ran: it wins.
      if (system && system.status !== 'frozen') {
        const current = await tx.getSystem(system.id);
        if (current?.status === 'frozen') {
          statusReason = `frozen: ${current.statusReason ?? 'kill switch'}`;
          verdict = frozenVerdict(current, bundle.digest);
        }
      }
      const status = statusOf[verdict.effect];
      const ttl = Math.min(...verdict.approvals.map((approval) => approval.ttlMs));
      const [entry] = await this.ledger.log.append(tx.ledger, [
        {
          type: 'decision.created',
          actor,
          subject: id,
          data: {
            request: request as unknown as JsonObject,
            requestHash: hash,
            status,
            effect: verdict.effect,
            reasons: verdict.reasons.map((reason) => JSON.parse(JSON.stringify(reason))),
            approvalsRequired: requirementsOf(verdict),
            bundle: verdict.bundle,
            ...(statusReason ? { statusReason } : {}),
          },
        },
      ]);
      const row: DecisionRow = {
        id,
        actorId: actor,
        actorKind: system ? system.kind : 'human',
        ...(system ? { systemId: system.id } : {}),
        action: request.action,
        resourceType: request.resource.type,
        resourceId: request.resource.id,
        ...(request.resource.environment ? { environment: request.resource.environment } : {}),
        request: request as unknown as JsonObject,
        requestHash: hash,
        ...(idempotencyKey ? { idempotencyKey } : {}),
        status,
        effect: verdict.effect,
        verdict: JSON.parse(JSON.stringify(verdict)) as JsonObject,
        requirements: requirementsOf(verdict),
        bundle: verdict.bundle,
        ...(statusReason ? { statusReason } : {}),
        createdAt: now.toISOString(),
        updatedAt: now.toISOString(),
        ...(status === 'pending' ? { expiresAt: new Date(now.getTime() + ttl).toISOString() } : {}),
        ledgerIndex: entry!.seq,
      };
      await tx.insertDecision(row);
      await this.sink.emit(tx, decisionEvent(`decision.${status}`, row, system));
      await tx.addActivity({
        actorId: actor,
        action: request.action,
        environment,
        at: now,
        decisions: 1,
        ...(status === 'allowed' ? { allowed: 1 } : {}),
        ...(status === 'denied' ? { denied: 1 } : {}),
      });
      return { row, created: true };
    });
    if (!result.created) this.sameRequest(result.row, hash, idempotencyKey!);
    if (result.created) this.observer.created?.(result.row, Number(process.hrtime.bigint() - started) / 1e9);
    return { decision: await this.view(result.row), created: result.created };
  }

  /** The requester's identity and System; agents must be registered and must say why. */
  private async requester(
    principal: Principal,
    request: ActionRequest,
  ): Promise<{ actor: string; system: SystemRow | undefined }> {
    requireRole(principal, 'agent', 'approver', 'admin');
    const system = principal.role === 'agent' ? await this.systems.lookup(principal.systemId!) : undefined;
    if (principal.role === 'agent' && !system) {
      throw new ArbiterError(
        'ARB_ERR_SYSTEM_UNKNOWN',
        `this agent token is bound to System ${principal.systemId}, which is not registered`,
      );
    }
    if (principal.role === 'agent' && !request.rationale?.trim()) {
      throw new ArbiterError('ARB_ERR_RATIONALE_REQUIRED', 'agents must say why: give a rationale');
    }
    return { actor: actorId(principal), system };
  }

  /** The verdict for a request now: frozen Systems are denied before any policy runs. */
  private async decide(
    principal: Principal,
    system: SystemRow | undefined,
    request: ActionRequest,
    now: Date,
  ): Promise<{ verdict: Verdict; statusReason: string | undefined }> {
    const bundle = this.policies.bundle;
    if (system?.status === 'frozen') {
      return {
        verdict: frozenVerdict(system, bundle.digest),
        statusReason: `frozen: ${system.statusReason ?? 'kill switch'}`,
      };
    }
    if (this.policies.directory === undefined) {
      return { verdict: noPoliciesVerdict(bundle.digest), statusReason: noPoliciesReason };
    }
    const policyActor = await this.policyActor(
      principal,
      system,
      request,
      request.resource.environment ?? '',
      now,
    );
    return { verdict: evaluateAction(bundle, { request, actor: policyActor, now }), statusReason: undefined };
  }

  /** What would be decided for this request now, without recording anything (a dry run). */
  async explain(principal: Principal, request: ActionRequest): Promise<Verdict> {
    const { system } = await this.requester(principal, {
      ...request,
      rationale: request.rationale ?? 'explain',
    });
    return (await this.decide(principal, system, request, this.clock())).verdict;
  }

  /** What policies see as `actor`: the System (with its recent activity when the bundle reads it), or a human. */
  private async policyActor(
    principal: Principal,
    system: SystemRow | undefined,
    request: ActionRequest,
    environment: string,
    now: Date,
  ): Promise<Actor> {
    const id = actorId(principal);
    let actor: Actor = system
      ? { ...system.spec, id: system.id, kind: system.kind, status: system.status }
      : { id, kind: 'human', groups: principal.groups };
    if (system)
      for (const hook of this.policyActorHooks)
        actor = await hook(actor, { system, request, now, bundle: this.policies.bundle });
    if (!needsRecentActivity(this.policies.bundle, { request, actor })) return actor;
    const { sinceMinute, sinceHour } = activityWindow(now);
    const [activity, failures] = await Promise.all([
      this.store.activity(id, sinceMinute, sinceHour),
      this.store.failures(id),
    ]);
    return {
      ...actor,
      recent: recentActivity(activity, failures, { action: request.action, environment }, now),
    };
  }

  /** One decision, expired first if its approval window has closed. Agents see only their own. */
  async get(principal: Principal, id: string): Promise<DecisionView> {
    let row = await this.store.getDecision(id);
    if (!row || !this.maySee(principal, row))
      throw new ArbiterError('ARB_ERR_NOT_FOUND', `no decision ${id}`);
    if (row.status === 'pending' && row.expiresAt && row.expiresAt <= this.clock().toISOString()) {
      await this.expireDue();
      row = (await this.store.getDecision(id))!;
    }
    return this.view(row);
  }

  /** Decisions newest first; agents see only their own. */
  async list(principal: Principal, filter: DecisionFilter): Promise<DecisionView[]> {
    const scoped = principal.role === 'agent' ? { ...filter, actorId: actorId(principal) } : filter;
    const rows = await this.store.listDecisions(scoped);
    return Promise.all(rows.map((row) => this.view(row)));
  }

  /** Long poll: returns when the decision leaves `pending` or after `timeoutMs`, with its current state. */
  async wait(principal: Principal, id: string, timeoutMs: number): Promise<DecisionView> {
    const deadline = Date.now() + timeoutMs;
    let view = await this.get(principal, id);
    while (view.status === 'pending') {
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      const untilExpiry = view.expiresAt
        ? Date.parse(view.expiresAt) - this.clock().getTime() + 5
        : remaining;
      await this.events.waitFor(id, Math.max(1, Math.min(remaining, untilExpiry)));
      view = await this.get(principal, id);
      if (this.events.closing) break;
    }
    return view;
  }

  /** An approver's or admin's vote on a pending decision. */
  async vote(principal: Principal, id: string, vote: VoteRequest): Promise<DecisionView> {
    if (principal.role === 'agent')
      throw new ArbiterError('ARB_ERR_APPROVAL_AGENT', 'agents never approve or reject');
    requireRole(principal, 'approver', 'admin');
    await this.expireDue();
    const approver = actorId(principal);
    const result = await this.store.write(async (tx) => {
      const decision = await tx.getDecision(id);
      if (!decision) throw new ArbiterError('ARB_ERR_NOT_FOUND', `no decision ${id}`);
      if (decision.status !== 'pending') {
        throw new ArbiterError(
          'ARB_ERR_DECISION_NOT_PENDING',
          `decision ${id} is ${decision.status}${decision.statusReason ? ` (${decision.statusReason})` : ''}`,
          {
            details: { status: decision.status },
          },
        );
      }
      if (vote.requestHash !== undefined && vote.requestHash !== decision.requestHash) {
        throw new ArbiterError(
          'ARB_ERR_APPROVAL_HASH_MISMATCH',
          `the approval is for request ${vote.requestHash}, but decision ${id} is request ${decision.requestHash}`,
          { details: { reason: 'other-request' } },
        );
      }
      await this.requireRecordedRequest(decision);
      // Judged by the clock when the vote is recorded, not when it arrived: a vote that waited
      // behind other writes past the expiry is refused, and the decision expires now.
      const now = this.clock();
      if (decision.expiresAt && decision.expiresAt <= now.toISOString()) {
        await this.transition(tx, decision, 'denied', 'expired', 'arbiter', {
          reason: 'expired',
          expiresAt: decision.expiresAt,
        });
        await tx.decisionChanged(id);
        return { expired: true as const, decision: (await tx.getDecision(id))! };
      }
      const votes = await tx.approvalsOf(id);
      const system = decision.systemId ? await tx.getSystem(decision.systemId) : undefined;
      const ownerTeam = ownerTeamOf(system);
      const requirements = decision.requirements as unknown as Requirement[];
      const refusal = voteRefusal(
        { approver, groups: principal.groups },
        {
          requester: decision.actorId,
          requirements,
          previousVoters: votes.map((v) => v.approver),
          ownerTeam,
        },
      );
      if (refusal) {
        const code = {
          self: 'ARB_ERR_APPROVAL_SELF',
          duplicate: 'ARB_ERR_APPROVAL_DUPLICATE',
          'not-eligible': 'ARB_ERR_APPROVAL_NOT_ELIGIBLE',
        } as const;
        throw new ArbiterError(code[refusal.code], refusal.message);
      }
      const [entry] = await this.ledger.log.append(tx.ledger, [
        {
          type: 'approval.recorded',
          actor: approver,
          subject: id,
          data: { verdict: vote.verdict, requestHash: decision.requestHash, groups: principal.groups },
          personal: { reason: vote.reason },
        },
      ]);
      await tx.insertApproval({
        decisionId: id,
        approver,
        groups: principal.groups,
        verdict: vote.verdict,
        reason: vote.reason,
        requestHash: decision.requestHash,
        createdAt: now.toISOString(),
        ledgerIndex: entry!.seq,
      });
      await this.sink.emit(
        tx,
        decisionEvent('approval.recorded', decision, system, { approver, verdict: vote.verdict }),
      );
      const allVotes = [...votes, { approver, groups: principal.groups, verdict: vote.verdict }];
      if (vote.verdict === 'reject') {
        await this.transition(tx, decision, 'denied', `rejected by ${approver}`, approver, {
          reason: 'rejected',
          by: approver,
        });
      } else if (approvalProgress(requirements, allVotes, ownerTeam).met) {
        await this.transition(tx, decision, 'allowed', 'approved', approver, {
          reason: 'approved',
          approvers: allVotes.filter((v) => v.verdict === 'approve').map((v) => v.approver),
        });
      }
      await tx.decisionChanged(id);
      return { expired: false as const, decision: (await tx.getDecision(id))! };
    });
    if (result.expired) {
      throw new ArbiterError('ARB_ERR_DECISION_NOT_PENDING', `decision ${id} is denied (expired)`, {
        details: { status: 'denied' },
      });
    }
    return this.view(result.decision);
  }

  /**
   * Refuses a vote on a request that is not the one recorded: the stored request must still hash
   * to the decision's request hash, and that hash must be the one the ledger's `decision.created`
   * entry holds. A row altered in the database after the fact is never approved.
   */
  private async requireRecordedRequest(decision: DecisionRow): Promise<void> {
    const [created] = await this.store.ledger.entries(decision.ledgerIndex, decision.ledgerIndex + 1);
    const entry = created
      ? (JSON.parse(Buffer.from(created.bytes).toString('utf8')) as {
          subject?: string;
          data?: { requestHash?: unknown };
        })
      : undefined;
    const recorded = entry?.subject === decision.id ? entry.data?.requestHash : undefined;
    if (
      requestHash(decision.actorId, decision.request) !== decision.requestHash ||
      recorded !== decision.requestHash
    ) {
      throw new ArbiterError(
        'ARB_ERR_APPROVAL_HASH_MISMATCH',
        `decision ${decision.id}'s stored request does not match the request recorded in the ledger: it was altered after it was made, and cannot be approved`,
        { details: { reason: 'request-altered' } },
      );
    }
  }

  /** The requesting agent (or human) reports what happened after an allowed action. */
  async reportOutcome(principal: Principal, id: string, outcome: OutcomeRequest): Promise<DecisionView> {
    requireRole(principal, 'agent', 'approver', 'admin');
    const reporter = actorId(principal);
    const row = await this.store.write(async (tx) => {
      const decision = await tx.getDecision(id);
      if (!decision || (principal.role === 'agent' && decision.actorId !== reporter))
        throw new ArbiterError('ARB_ERR_NOT_FOUND', `no decision ${id}`);
      if (decision.actorId !== reporter)
        throw new ArbiterError('ARB_ERR_FORBIDDEN', 'only the requester reports the outcome of its decision');
      if (decision.status !== 'allowed' || decision.outcome) {
        throw new ArbiterError(
          'ARB_ERR_OUTCOME_NOT_ALLOWED',
          decision.outcome
            ? `the outcome of ${id} was already reported (${decision.outcome.status})`
            : `decision ${id} is ${decision.status}, not allowed`,
        );
      }
      const now = this.clock();
      const [entry] = await this.ledger.log.append(tx.ledger, [
        {
          type: 'decision.outcome',
          actor: reporter,
          subject: id,
          data: { status: outcome.status, ...(outcome.detail ? { detail: outcome.detail } : {}) },
        },
      ]);
      await tx.setOutcome(id, {
        status: outcome.status,
        ...(outcome.detail ? { detail: outcome.detail } : {}),
        at: now.toISOString(),
        ledgerIndex: entry!.seq,
      });
      const environment = decision.environment ?? '';
      await tx.addActivity({
        actorId: decision.actorId,
        action: decision.action,
        environment,
        at: now,
        ...(outcome.status === 'succeeded'
          ? { succeeded: 1 }
          : outcome.status === 'failed'
            ? { failed: 1 }
            : { rolledBack: 1 }),
      });
      if (outcome.status !== 'succeeded')
        await tx.recordFailure(decision.actorId, decision.action, environment, now.toISOString());
      await tx.decisionChanged(id);
      const updated = (await tx.getDecision(id))!;
      const system = updated.systemId ? await tx.getSystem(updated.systemId) : undefined;
      await this.sink.emit(tx, decisionEvent('decision.outcome', updated, system));
      // Consequences (error budgets, incidents) commit with the outcome or not at all.
      for (const hook of this.outcomeHooks) await hook(tx, updated, system, now);
      return updated;
    });
    return this.view(row);
  }

  private readonly outcomeHooks: OutcomeHook[] = [];
  private readonly policyActorHooks: PolicyActorHook[] = [];

  /** Lets `hook` add to what policies see of a System `actor` (its effective autonomy, its track record). */
  onPolicyActor(hook: PolicyActorHook): void {
    this.policyActorHooks.push(hook);
  }

  /** Runs `hook` inside the transaction of every reported outcome, after it is recorded. */
  onOutcome(hook: OutcomeHook): void {
    this.outcomeHooks.push(hook);
  }

  /** Denies every pending decision whose approval window has closed. Returns how many. */
  async expireDue(): Promise<number> {
    const now = this.clock().toISOString();
    if ((await this.store.expiredPending(now, 1)).length === 0) return 0;
    const expired = await this.store.write(async (tx) => {
      const due = await tx.expiredPending(now, 500);
      for (const decision of due) {
        await this.transition(tx, decision, 'denied', 'expired', 'arbiter', {
          reason: 'expired',
          expiresAt: decision.expiresAt!,
        });
        await tx.decisionChanged(decision.id);
      }
      return due.length;
    });
    return expired;
  }

  private async transition(
    tx: StoreTransaction,
    decision: DecisionRow,
    status: DecisionStatus,
    reason: string,
    by: string,
    data: JsonObject,
  ): Promise<void> {
    const now = this.clock();
    await tx.updateDecisionStatus(decision.id, status, reason, now.toISOString());
    await this.ledger.log.append(tx.ledger, [
      {
        type: status === 'allowed' ? 'decision.allowed' : 'decision.denied',
        actor: by,
        subject: decision.id,
        data,
      },
    ]);
    await tx.addActivity({
      actorId: decision.actorId,
      action: decision.action,
      environment: decision.environment ?? '',
      at: now,
      ...(status === 'allowed' ? { allowed: 1 } : { denied: 1 }),
    });
    const system = decision.systemId ? await tx.getSystem(decision.systemId) : undefined;
    const updated: DecisionRow = { ...decision, status, statusReason: reason, updatedAt: now.toISOString() };
    await this.sink.emit(
      tx,
      decisionEvent(status === 'allowed' ? 'decision.allowed' : 'decision.denied', updated, system),
    );
  }

  /** A repeated idempotency key must come with the same request. */
  private sameRequest(existing: DecisionRow, hash: string, key: string): DecisionRow {
    if (existing.requestHash !== hash) {
      throw new ArbiterError(
        'ARB_ERR_IDEMPOTENCY_CONFLICT',
        `idempotency key ${key} was used for a different request (decision ${existing.id})`,
        {
          details: { decision: existing.id },
        },
      );
    }
    return existing;
  }

  private maySee(principal: Principal, row: DecisionRow): boolean {
    return principal.role !== 'agent' || row.actorId === actorId(principal);
  }

  private async view(row: DecisionRow): Promise<DecisionView> {
    const [approvals, system] = await Promise.all([
      row.status === 'allowed' && row.effect === 'allow'
        ? Promise.resolve([])
        : this.store.approvalsOf(row.id),
      row.systemId && row.requirements.length > 0
        ? this.store.getSystem(row.systemId)
        : Promise.resolve(undefined),
    ]);
    return decisionView(row, approvals, system);
  }
}

/** The approval requirements a decision keeps: what must be met, and which rules asked. */
function requirementsOf(verdict: Verdict): JsonObject[] {
  return verdict.approvals.map(({ count, from, ttl, rules }) => ({ count, from, ttl, rules }));
}

const noPoliciesReason =
  'no policies: the server was started without a policy directory, so every request is denied';

/** A denial Arbiter itself makes before any policy runs: one reason, nothing else evaluated. */
function refusalVerdict(reason: Omit<Verdict['reasons'][number], 'effect'>, bundle: string): Verdict {
  return {
    effect: 'deny',
    reasons: [{ ...reason, effect: 'deny' }],
    notFired: [],
    approvals: [],
    shadow: [],
    shadowEffect: 'deny',
    defaulted: false,
    policies: [],
    bundle,
  };
}

/** The verdict when no governance directory is loaded: denied, and saying why. */
function noPoliciesVerdict(bundle: string): Verdict {
  return refusalVerdict(
    {
      policy: '(server)',
      rule: 'no-policies',
      message: `${noPoliciesReason}; start arbiter serve with --policies DIR`,
      facts: {},
    },
    bundle,
  );
}

/** The verdict for a frozen System: denied before any policy runs. */
function frozenVerdict(system: SystemRow, bundle: string): Verdict {
  return refusalVerdict(
    {
      policy: '(registry)',
      rule: 'frozen',
      message: `System ${system.id} is frozen${system.statusReason ? `: ${system.statusReason}` : ''}`,
      facts: { 'actor.status': 'frozen' },
    },
    bundle,
  );
}
