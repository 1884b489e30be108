import { ArbiterError } from '../../core/errors.js';
import type { JsonObject } from '../../core/json.js';
import { ownCopy } from '../../core/own-copy.js';
import { TtlCache } from '../../core/ttl-cache.js';
import { actorRef, type Principal, withAuthentication } from '../../identity/principal.js';
import type { NotificationEvent } from '../../notify/event.js';
import { needsTrackRecord } from '../../policy/evaluate-action.js';
import { errorBudgetOf } from '../../registry/autonomy.js';
import type { AutonomyChangeRow } from '../../registry/autonomy-records.js';
import { type AutonomyState, budgetSpend, stateOf, trackRecordOf } from '../../registry/autonomy-state.js';
import type { SystemRow } from '../../registry/records.js';
import { mayGovern, ownerTeamOf } from '../../registry/systems.js';
import type { RecordReads } from '../../store/records.js';
import type { Store, StoreTransaction } from '../../store/store.js';
import type { OutcomeHook, PolicyActorHook } from '../decisions/decisions.js';
import type { Ledger } from '../ledger/ledger.js';
import type { EventSink } from '../notifications/notifications.js';
import type { AutonomyView } from './view.js';

/** How many autonomy changes a System view shows. */
const recentChanges = 5;

export interface AutonomyServiceDeps {
  store: Store;
  ledger: Ledger;
  clock: () => Date;
  sink?: EventSink;
}

/**
 * Autonomy that follows the track record: an error budget demotes a System one level when it is
 * exceeded (in the transaction of the outcome that exceeded it), people promote it back with a
 * reason, and policies see the effective level and the track record.
 */
export class AutonomyService {
  /** The newest change per System for the decision hot path; other replicas see a change within a second. */
  private readonly cache = new TtlCache<string, AutonomyChangeRow | null>(1_000);

  private readonly store: Store;
  private readonly ledger: Ledger;
  private readonly clock: () => Date;
  private readonly sink: EventSink;

  constructor({ store, ledger, clock, sink = { emit: async () => {} } }: AutonomyServiceDeps) {
    this.store = store;
    this.ledger = ledger;
    this.clock = clock;
    this.sink = sink;
  }

  private async standing(systemId: string): Promise<AutonomyChangeRow | undefined> {
    const latest = await this.cache.load(systemId, async () => {
      const [newest] = await this.store.autonomyChanges(systemId, { limit: 1 });
      return newest ?? null;
    });
    return latest ?? undefined;
  }

  /** `actor.autonomy` is the effective level; `actor.trackRecord` is added when a matching policy reads it. */
  readonly policyActor: PolicyActorHook = async (actor, { system, request, now, bundle }) => {
    const standing = await this.standing(system.id);
    // `{ ...actor, autonomy }`, built as a copy plus a key (see ownCopy).
    const withLevel = ownCopy(actor);
    withLevel.autonomy = stateOf(system, standing).effective;
    if (!needsTrackRecord(bundle, { request, actor: withLevel })) return withLevel;
    return { ...withLevel, trackRecord: await trackRecordOf(this.store, system, { now, standing }) };
  };

  /**
   * After a failed or rolled-back outcome in a budgeted environment: when the System's failures
   * since its last autonomy change, within the budget's window, exceed `maxFailures`, it is demoted
   * one level (never below 0), with a ledger entry and a notification to its owner team.
   */
  readonly afterOutcome: OutcomeHook = async (tx, decision, system, at) => {
    if (!system || !decision.outcome || decision.outcome.status === 'succeeded') return;
    const budget = errorBudgetOf(system.spec);
    if (!budget?.environments.includes(decision.environment ?? '')) return;
    const [standing] = await tx.autonomyChanges(system.id, { limit: 1 });
    const state = stateOf(system, standing);
    if (state.effective === 0) return;
    const spend = await budgetSpend(tx, system, budget, { now: at, standing });
    if (!spend.exceeded) return;
    const to = state.effective - 1;
    const data = {
      from: state.effective,
      to,
      ceiling: state.ceiling,
      failures: spend.counted.length,
      maxFailures: budget.maxFailures,
      window: budget.window,
      environments: [...budget.environments],
      decisions: spend.counted,
    };
    const reason = `${data.failures} failed or rolled-back actions in ${data.environments.join(', ')} within ${budget.window} (at most ${budget.maxFailures})`;
    await this.record(tx, system, state, {
      to,
      cause: 'budget',
      by: 'arbiter',
      reason,
      decisions: spend.counted,
      entry: { type: 'system.autonomy_demoted', data },
      at,
    });
  };

  /**
   * A person sets a System's autonomy, with a reason: admins, and approvers of the owner team (as
   * for the kill switch). Never above the document's level; a change to that level lifts any cap.
   */
  async setLevel(principal: Principal, id: string, level: number, reason: string): Promise<SystemRow> {
    const at = this.clock();
    return this.store.write(async (tx) => {
      const system = await tx.getSystem(id);
      if (!system) throw new ArbiterError('ARB_ERR_NOT_FOUND', `no System ${id}`);
      if (!mayGovern(principal, system)) {
        throw new ArbiterError(
          'ARB_ERR_FORBIDDEN',
          `only admins and approvers of the owner team (${ownerTeamOf(system) ?? 'none'}) may change the autonomy of ${id}`,
        );
      }
      const [standing] = await tx.autonomyChanges(id, { limit: 1 });
      const state = stateOf(system, standing);
      if (level > state.ceiling) {
        throw new ArbiterError(
          'ARB_ERR_AUTONOMY_ABOVE_CEILING',
          `${id} may act at autonomy ${state.ceiling} at most (its System document); raise it there first`,
          { details: { level, ceiling: state.ceiling } },
        );
      }
      if (level === state.effective)
        throw new ArbiterError('ARB_ERR_AUTONOMY_UNCHANGED', `${id} already acts at autonomy ${level}`);
      const by = actorRef(principal);
      await this.record(tx, system, state, {
        to: level,
        cause: 'human',
        by,
        reason,
        decisions: [],
        entry: {
          type: 'system.autonomy_changed',
          data: { from: state.effective, to: level, ceiling: state.ceiling, reason },
        },
        at,
        principal,
      });
      return system;
    });
  }

  /** What the API shows of a System's autonomy, error budget and track record. */
  async view(system: SystemRow, reads: RecordReads = this.store): Promise<AutonomyView> {
    const changes = await reads.autonomyChanges(system.id, { limit: recentChanges });
    const state = stateOf(system, changes[0]);
    const trackRecord = await trackRecordOf(reads, system, { now: this.clock(), standing: changes[0] });
    return {
      autonomy: state.effective,
      autonomyCeiling: state.ceiling,
      errorBudget: (system.spec.errorBudget as AutonomyView['errorBudget'] | undefined) ?? null,
      trackRecord,
      autonomyChanges: changes.map(({ systemId: _id, seq: _seq, ...change }) => change),
    };
  }

  private async record(
    tx: StoreTransaction,
    system: SystemRow,
    state: AutonomyState,
    change: Pick<AutonomyChangeRow, 'to' | 'cause' | 'by' | 'reason' | 'decisions'> & {
      entry: { type: 'system.autonomy_demoted' | 'system.autonomy_changed'; data: JsonObject };
      at: Date;
      /** The person who changed it by hand (a promotion), whose sign-in the entry records. */
      principal?: Principal;
    },
  ): Promise<void> {
    const { entry: ledgerEntry, at, principal, ...rest } = change;
    const [entry] = await this.ledger.log.append(tx.ledger, [
      withAuthentication(principal, {
        type: ledgerEntry.type,
        actor: change.by,
        subject: system.id,
        data: ledgerEntry.data,
      }),
    ]);
    const row: AutonomyChangeRow = {
      ...rest,
      systemId: system.id,
      seq: (state.standing?.seq ?? 0) + 1,
      at: at.toISOString(),
      from: state.effective,
      ceiling: state.ceiling,
      ledgerIndex: entry!.seq,
    };
    await tx.insertAutonomyChange(row);
    this.cache.delete(system.id);
    await this.sink.emit(tx, autonomyEvent(system, row));
  }
}

/** The notification for a change of autonomy; a demotion is an error, like a freeze. */
function autonomyEvent(system: SystemRow, change: AutonomyChangeRow): Omit<NotificationEvent, 'id' | 'time'> {
  const team = ownerTeamOf(system);
  const direction = change.to < change.from ? 'demoted' : 'promoted';
  const summary =
    change.cause === 'budget'
      ? `${system.id} was demoted from autonomy ${change.from} to ${change.to}: ${change.reason}`
      : `${system.id}'s autonomy was ${direction === 'demoted' ? 'lowered' : 'raised'} from ${change.from} to ${change.to} by ${change.by}: ${change.reason}`;
  return {
    type: 'system.autonomy_changed',
    subject: system.id,
    severity: direction === 'demoted' ? 'error' : 'info',
    ...(team ? { team } : {}),
    systemId: system.id,
    summary,
    data: {
      system: system.id,
      direction,
      cause: change.cause,
      from: change.from,
      to: change.to,
      ceiling: change.ceiling,
      by: change.by,
      reason: change.reason,
      decisions: change.decisions,
      ledgerIndex: change.ledgerIndex,
      owner: (system.spec.owner ?? null) as JsonObject,
    },
  };
}
