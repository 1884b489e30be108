import { canonicalJson } from '../../core/canonical-json.js';
import { ArbiterError } from '../../core/errors.js';
import type { IdGenerator } from '../../core/ids.js';
import type { JsonObject } from '../../core/json.js';
import type { Requirement } from '../../decisions/approvals.js';
import {
  baseActor,
  createdActivity,
  createdEntry,
  expiryTransition,
  isExpired,
  isLapsed,
  lapseTransition,
  type NewDecision,
  newDecisionRow,
  outcomeActivity,
  revokeTransition,
  startTransition,
  type Transition,
  transitionActivity,
  transitionEntryType,
  voteTransition,
  withdrawTransition,
} from '../../decisions/lifecycle.js';
import {
  assertMayVote,
  assertOutcomeReportable,
  assertRecordedRequest,
  assertRequester,
  assertRequesterOf,
  assertSameRequest,
  assertStartable,
  assertStepUp,
  assertVotable,
  assertWithdrawable,
  maySeeDecision,
} from '../../decisions/preconditions.js';
import { activityWindow, recentActivity } from '../../decisions/recent.js';
import type { ApprovalRow, DecisionFilter, DecisionRow } from '../../decisions/records.js';
import { requestHash, requestHashOf } from '../../decisions/request-hash.js';
import {
  frozenReason,
  frozenVerdict,
  noPoliciesReason,
  noPoliciesVerdict,
} from '../../decisions/verdicts.js';
import { actorName } from '../../identity/actor-ref.js';
import {
  actorRef,
  authenticationRecord,
  type Principal,
  principalName,
  requireRole,
} from '../../identity/principal.js';
import type { PolicyBundle } from '../../policy/bundle.js';
import type { Actor, Verdict } from '../../policy/evaluate-action.js';
import { evaluateAction, needsRecentActivity } from '../../policy/evaluate-action.js';
import type { ActionRequest } from '../../policy/request.js';
import type { SystemRow } from '../../registry/records.js';
import type { Store, StoreTransaction, WriteReads } from '../../store/store.js';
import type { Ledger } from '../ledger/ledger.js';
import type { StateChecks } from '../ledger/state-checks.js';
import type { EventSink } from '../notifications/notifications.js';
import type { PolicyHolder } from '../policies/policies.js';
import { ownerTeamOf, type SystemService } from '../systems/systems.js';
import { decisionEvent } from './notification-events.js';
import type { DecisionRequest, OutcomeRequest, VoteRequest } from './requests.js';
import { type DecisionView, decisionView } from './view.js';
import type { DecisionEvents } from './wake-ups.js';

export type { DecisionRequest, OutcomeRequest, VoteRequest } from './requests.js';

/** `request.context.onBehalfOf` when it is a person's reference (`user:…`). */
function onBehalfOfOf(request: JsonObject): string | undefined {
  const context = request.context;
  const value =
    context && typeof context === 'object' && !Array.isArray(context) ? context.onBehalfOf : undefined;
  return typeof value === 'string' && value.startsWith('user:') ? value : undefined;
}

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
  /** Proves the stored facts each step relies on against their ledger entries. */
  checks: StateChecks;
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
  private readonly checks: StateChecks;
  /** Due decisions whose state the ledger does not support: left alone (and alerted once) by expiry. */
  private readonly expiryRefused = new Set<string>();

  constructor({
    store,
    ledger,
    policies,
    systems,
    events,
    clock,
    ids,
    observer = {},
    sink = { emit: async () => {}, listening: () => false },
    checks,
  }: DecisionServiceDeps) {
    this.checks = checks;
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
    // A System unfrozen in the database while the ledger records it frozen is refused.
    if (system) await this.checks.system(system);
    // Serialised once: the request's hash and the digest its ledger entry keeps both hash this text.
    const requestJson = canonicalJson(request as unknown as JsonObject);
    const hash = requestHashOf(actor, requestJson);
    // A decision made before typed identities hashed the bare name: the same request repeated
    // under its key must still find it.
    // Hashed only when a decision is found under the key (a new decision never needs it).
    const hashFor = (existing: DecisionRow) => {
      const legacyHash = requestHash(actorName(actor), request as unknown as JsonObject);
      return existing.requestHash === legacyHash ? legacyHash : hash;
    };
    if (idempotencyKey) {
      const existing = await this.store.decisionByIdempotencyKey(actor, idempotencyKey);
      if (existing)
        // Its status now — started, revoked, expired — never the `allowed` it was first given.
        return {
          decision: await this.view(
            await this.current(assertSameRequest(existing, hashFor(existing), idempotencyKey)),
          ),
          created: false,
        };
    }

    const now = this.clock();
    const bundle = this.policies.bundle;
    let { verdict, statusReason } = await this.decide(principal, system, request, now);
    const id = this.ids('dec');

    // What the write reads, named so PostgreSQL reads it for the whole batch in one round trip.
    const readsOfRequest: WriteReads = {
      ...(system && system.status !== 'frozen' ? { systems: [system.id] } : {}),
      ...(idempotencyKey ? { idempotencyKeys: [{ actorId: actor, key: idempotencyKey }] } : {}),
    };
    const result = await this.store.write(async (tx) => {
      if (idempotencyKey) {
        const raced = await tx.decisionByIdempotencyKey(actor, idempotencyKey);
        if (raced) return { row: raced, created: false };
      }
      // The kill switch may have been pulled while the policy ran: it wins.
      if (system && system.status !== 'frozen') {
        const current = await tx.getSystem(system.id);
        if (current?.status === 'frozen') {
          statusReason = frozenReason(current);
          verdict = frozenVerdict(current, bundle.digest);
        }
      }
      const decision: NewDecision = {
        id,
        actor,
        system,
        request,
        requestHash: hash,
        requestJson,
        ...(idempotencyKey ? { idempotencyKey } : {}),
        verdict,
        statusReason,
        now,
      };
      const [entry] = await this.ledger.log.append(tx.ledger, [
        { type: 'decision.created', actor, subject: id, ...createdEntry(decision) },
      ]);
      const row = newDecisionRow(decision, entry!.seq);
      await tx.insertDecision(row);
      // A new decision is allowed, pending or denied; the other statuses come by transitions.
      if (this.sink.listening?.() !== false)
        await this.sink.emit(
          tx,
          decisionEvent(`decision.${row.status as 'allowed' | 'pending' | 'denied'}`, row, system),
        );
      await tx.addActivity(createdActivity(row, now));
      return { row, created: true };
    }, readsOfRequest);
    if (!result.created) assertSameRequest(result.row, hashFor(result.row), idempotencyKey!);
    if (result.created) this.observer.created?.(result.row, Number(process.hrtime.bigint() - started) / 1e9);
    if (result.created)
      // Just created: no approval can be recorded before it was, so none is read.
      return { decision: await this.view(result.row, []), created: true };
    return { decision: await this.view(await this.current(result.row)), created: false };
  }

  /** The requester's identity and System; agents must be registered and must say why. */
  private async requester(
    principal: Principal,
    request: ActionRequest,
  ): Promise<{ actor: string; system: SystemRow | undefined }> {
    requireRole(principal, 'agent', 'approver', 'admin');
    const system = principal.role === 'agent' ? await this.systems.lookup(principal.systemId!) : undefined;
    assertRequester(principal, system, request);
    return { actor: actorRef(principal), system };
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
      return { verdict: frozenVerdict(system, bundle.digest), statusReason: frozenReason(system) };
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
    const id = actorRef(principal);
    let actor = baseActor(system, { name: principalName(principal), groups: principal.groups });
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

  /** One decision, expired first if its approval or execution window has closed. Agents see only their own. */
  async get(principal: Principal, id: string): Promise<DecisionView> {
    const row = await this.store.getDecision(id);
    if (!row || !maySeeDecision(principal, row))
      throw new ArbiterError('ARB_ERR_NOT_FOUND', `no decision ${id}`);
    return this.view(await this.current(row));
  }

  /** The decision as it stands now: expired first when its approval or execution window has closed. */
  private async current(row: DecisionRow): Promise<DecisionRow> {
    const now = this.clock();
    if ((row.status === 'pending' && isExpired(row, now)) || isLapsed(row, now)) {
      await this.expireDue();
      return (await this.store.getDecision(row.id))!;
    }
    return row;
  }

  /**
   * The requester claims its allowed decision as it starts acting: once, within the execution
   * window, and never for a frozen System. A refusal still records what the clock and the kill
   * switch decided (expired, revoked) before it is thrown.
   */
  async start(principal: Principal, id: string): Promise<DecisionView> {
    requireRole(principal, 'agent', 'approver', 'admin');
    const by = actorRef(principal);
    const result = await this.store.write(async (tx) => {
      const decision = await this.settled(tx, assertRequesterOf(principal, id, await tx.getDecision(id)));
      try {
        assertStartable(decision, false);
      } catch (refusal) {
        return { refusal, decision };
      }
      // Allowed and unstarted by the ledger's account, not only the table's (a flipped status or a
      // widened window in the table is refused here, before anything runs).
      await this.checks.decision(decision);
      await this.transition(tx, decision, startTransition(by));
      await tx.decisionChanged(id);
      return { decision: (await tx.getDecision(id))! };
    });
    if ('refusal' in result) throw result.refusal;
    return this.view(result.decision);
  }

  /**
   * The requester gives up on a pending decision, or an allowed one it has not started (an
   * abandoned proxied call): it is withdrawn, so nobody can approve or start it later.
   */
  async withdraw(principal: Principal, id: string, why: string): Promise<DecisionView> {
    requireRole(principal, 'agent', 'approver', 'admin');
    const by = actorRef(principal);
    const result = await this.store.write(async (tx) => {
      const decision = await this.settled(tx, assertRequesterOf(principal, id, await tx.getDecision(id)));
      try {
        assertWithdrawable(decision);
      } catch (refusal) {
        return { refusal, decision };
      }
      await this.checks.decision(decision);
      await this.transition(tx, decision, withdrawTransition(by, why));
      await tx.decisionChanged(id);
      return { decision: (await tx.getDecision(id))! };
    });
    if ('refusal' in result) throw result.refusal;
    return this.view(result.decision);
  }

  /**
   * Inside `tx`: the decision after what the clock and the kill switch decide about it now — a
   * pending decision past its approval window is denied, an allowed one past its execution window
   * expires, an allowed one of a frozen System is revoked (a freeze revokes them all; this closes
   * the race with one in flight).
   */
  private async settled(tx: StoreTransaction, decision: DecisionRow): Promise<DecisionRow> {
    const now = this.clock();
    let transition: Transition | undefined;
    if (decision.status === 'pending' && isExpired(decision, now)) transition = expiryTransition(decision);
    else if (isLapsed(decision, now)) transition = lapseTransition(decision);
    else if (decision.status === 'allowed' && !decision.outcome && decision.systemId) {
      const system = await tx.getSystem(decision.systemId);
      if (system?.status === 'frozen')
        transition = revokeTransition(system.statusReason ?? 'kill switch', system.statusBy ?? 'arbiter');
    }
    if (!transition) return decision;
    await this.transition(tx, decision, transition);
    await tx.decisionChanged(decision.id);
    return (await tx.getDecision(decision.id))!;
  }

  /** Decisions newest first; agents see only their own. */
  async list(principal: Principal, filter: DecisionFilter): Promise<DecisionView[]> {
    const scoped = principal.role === 'agent' ? { ...filter, actorId: actorRef(principal) } : filter;
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
    const approver = actorRef(principal);
    const result = await this.store.write(async (tx) => {
      const decision = await tx.getDecision(id);
      if (!decision) throw new ArbiterError('ARB_ERR_NOT_FOUND', `no decision ${id}`);
      assertVotable(decision, vote.requestHash);
      const [created] = await this.store.ledger.entries(decision.ledgerIndex, decision.ledgerIndex + 1);
      assertRecordedRequest(decision, created?.bytes);
      // Judged by the clock when the vote is recorded, not when it arrived: a vote that waited
      // behind other writes past the expiry is refused, and the decision expires now.
      const now = this.clock();
      if (isExpired(decision, now)) {
        await this.transition(tx, decision, expiryTransition(decision));
        await tx.decisionChanged(id);
        return { expired: true as const, decision: (await tx.getDecision(id))! };
      }
      const votes = await tx.approvalsOf(id);
      // Requirements, request hash, votes and expiry as the ledger records them, proven against the
      // trusted tree; a row or approval edited in the database is refused before anything counts.
      const recorded = await this.checks.decision(decision, votes);
      const system = decision.systemId ? await tx.getSystem(decision.systemId) : undefined;
      const ownerTeam = ownerTeamOf(system);
      const requirements = recorded.requirements as unknown as Requirement[];
      assertMayVote(
        { approver, groups: principal.groups },
        {
          requester: decision.actorId,
          requirements,
          previousVoters: votes.map((v) => v.approver),
          ownerTeam,
          // Recorded in the request (hashed, in the ledger): the person a coding agent acts for.
          onBehalfOf: onBehalfOfOf(decision.request),
        },
      );
      assertStepUp(
        { approver, groups: principal.groups, ...(principal.auth ? { auth: principal.auth } : {}) },
        {
          decisionId: id,
          requirements,
          ownerTeam,
          nowMs: now.getTime(),
          mfaAcrValues: this.policies.bundle.identityProvider?.mfaAcrValues ?? [],
        },
      );
      const authentication = authenticationRecord(principal);
      const [entry] = await this.ledger.log.append(tx.ledger, [
        {
          type: 'approval.recorded',
          actor: approver,
          subject: id,
          data: {
            verdict: vote.verdict,
            requestHash: decision.requestHash,
            groups: principal.groups,
            ...authentication.data,
          },
          personal: { reason: vote.reason, ...authentication.personal },
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
      const transition = voteTransition(
        requirements,
        allVotes,
        { approver, verdict: vote.verdict },
        { ownerTeam, verdict: decision.verdict as Pick<Verdict, 'executionWindow'>, now },
      );
      if (transition) await this.transition(tx, decision, transition);
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

  /** The requesting agent (or human) reports what happened after an allowed action. */
  async reportOutcome(principal: Principal, id: string, outcome: OutcomeRequest): Promise<DecisionView> {
    requireRole(principal, 'agent', 'approver', 'admin');
    const reporter = actorRef(principal);
    const result = await this.store.write(async (tx) => {
      const found = await tx.getDecision(id);
      let decision: DecisionRow;
      try {
        decision = assertOutcomeReportable(principal, id, found && (await this.settled(tx, found)));
      } catch (refusal) {
        return { refusal };
      }
      // Allowed (and without an outcome) by the ledger's account, not only the table's.
      await this.checks.decision(decision);
      const now = this.clock();
      // An outcome of a decision nobody claimed claims it: it ran, and never runs again.
      if (decision.status === 'allowed')
        await this.transition(tx, decision, startTransition(reporter, { implicit: 'outcome' }));
      const [entry] = await this.ledger.log.append(tx.ledger, [
        {
          type: 'decision.outcome',
          actor: reporter,
          subject: id,
          // The agent's free text is personal (erasable); the entry keeps its size.
          data: {
            status: outcome.status,
            ...(outcome.detail ? { detailSize: Buffer.byteLength(outcome.detail, 'utf8') } : {}),
          },
          ...(outcome.detail ? { personal: { detail: outcome.detail } } : {}),
        },
      ]);
      await tx.setOutcome(id, {
        status: outcome.status,
        ...(outcome.detail ? { detail: outcome.detail } : {}),
        at: now.toISOString(),
        ledgerIndex: entry!.seq,
      });
      const environment = decision.environment ?? '';
      await tx.addActivity(outcomeActivity(decision, outcome.status, now));
      if (outcome.status !== 'succeeded')
        await tx.recordFailure(decision.actorId, decision.action, environment, now.toISOString());
      await tx.decisionChanged(id);
      const updated = (await tx.getDecision(id))!;
      const system = updated.systemId ? await tx.getSystem(updated.systemId) : undefined;
      await this.sink.emit(tx, decisionEvent('decision.outcome', updated, system));
      // Consequences (error budgets, incidents) commit with the outcome or not at all.
      for (const hook of this.outcomeHooks) await hook(tx, updated, system, now);
      return { updated };
    });
    if ('refusal' in result) throw result.refusal;
    return this.view(result.updated);
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

  /**
   * Denies every pending decision whose approval window has closed, and expires every allowed
   * decision not started within its execution window. Returns how many.
   */
  async expireDue(): Promise<number> {
    const now = this.clock().toISOString();
    const [pending, allowed] = await Promise.all([
      this.store.expiredPending(now, 1),
      this.store.lapsedAllowed(now, 1),
    ]);
    if (pending.length === 0 && allowed.length === 0) return 0;
    const expired = await this.store.write(async (tx) => {
      // Approval windows closed (pending → denied), then execution windows closed (allowed → expired).
      const sweeps = [
        [await tx.expiredPending(now, 500), expiryTransition],
        [await tx.lapsedAllowed(now, 500), lapseTransition],
      ] as const;
      let count = 0;
      for (const [due, transitionOf] of sweeps)
        for (const decision of due) {
          if (this.expiryRefused.has(decision.id) || !(await this.supportedForExpiry(decision))) continue;
          await this.transition(tx, decision, transitionOf(decision));
          await tx.decisionChanged(decision.id);
          count++;
        }
      return count;
    });
    return expired;
  }

  /**
   * Whether the ledger supports the state an expiry relies on. A decision it does not support is
   * alerted by the check and never moved on by a step that relies on it (remembered, so the sweep
   * does not alert every second).
   */
  private async supportedForExpiry(decision: DecisionRow): Promise<boolean> {
    try {
      await this.checks.decision(decision);
      return true;
    } catch (error) {
      if (!(error instanceof ArbiterError && error.code === 'ARB_ERR_STATE_UNSUPPORTED')) throw error;
      this.expiryRefused.add(decision.id);
      return false;
    }
  }

  private async transition(
    tx: StoreTransaction,
    decision: DecisionRow,
    transition: Transition,
  ): Promise<void> {
    const { status, reason, by, data, personal, expiresAt } = transition;
    const now = this.clock();
    await tx.updateDecisionStatus(decision.id, status, reason, now.toISOString(), expiresAt);
    await this.ledger.log.append(tx.ledger, [
      {
        type: transitionEntryType(status),
        actor: by,
        subject: decision.id,
        data,
        ...(personal ? { personal } : {}),
      },
    ]);
    // Started, revoked, withdrawn and expired are recorded, not counted or announced.
    if (status !== 'allowed' && status !== 'denied') return;
    await tx.addActivity(transitionActivity(decision, status, now));
    const system = decision.systemId ? await tx.getSystem(decision.systemId) : undefined;
    const updated: DecisionRow = { ...decision, status, statusReason: reason, updatedAt: now.toISOString() };
    await this.sink.emit(tx, decisionEvent(`decision.${status}`, updated, system));
  }

  /** `approvals` when the caller knows them (a decision it just created has none). */
  private async view(row: DecisionRow, approvals?: readonly ApprovalRow[]): Promise<DecisionView> {
    const [approvalRows, system] = await Promise.all([
      approvals ??
        (row.status === 'allowed' && row.effect === 'allow'
          ? Promise.resolve([])
          : this.store.approvalsOf(row.id)),
      row.systemId && row.requirements.length > 0
        ? this.store.getSystem(row.systemId)
        : Promise.resolve(undefined),
    ]);
    return decisionView(row, approvalRows, system);
  }
}
