import { activityWindow, recentActivity } from '../../decisions/recent.js';
import type { DecisionRow } from '../../decisions/records.js';
import {
  deniedByRegistry,
  type ReplayReport,
  ReplayTally,
  replayDecision,
  withRecordedHistory,
} from '../../decisions/replay.js';
import { actorName, systemRef, userRef } from '../../identity/actor-ref.js';
import { foldUserName } from '../../identity/names.js';
import type { PolicyBundle } from '../../policy/bundle.js';
import { type Actor, needsRecentActivity, needsTrackRecord } from '../../policy/evaluate-action.js';
import type { ActionRequest } from '../../policy/request.js';
import type { AutonomyChangeRow } from '../../registry/autonomy-records.js';
import { stateOf, trackRecordOf } from '../../registry/autonomy-state.js';
import type { SystemRow } from '../../registry/records.js';
import type { RecordReads } from '../../store/records.js';

export interface ReplayOptions {
  /** The candidate bundle. */
  bundle: PolicyBundle;
  /** Decisions created at or after this time are replayed. */
  since: Date;
  /** Example decisions kept per transition. */
  examples: number;
  /** The present, for `actor.recent` (see `replayRecordedDecisions`). */
  now: Date;
}

const pageSize = 500;

/**
 * Re-evaluates every decision recorded since `since` with the candidate bundle, rebuilding each
 * actor as it was as far as the database knows:
 * - a System: its stored record now, its effective autonomy at the decision's time (from the
 *   autonomy history), and `actor.trackRecord` over the outcomes reported before the decision;
 * - a human: their groups are those of their unrevoked tokens now;
 * - `actor.recent` is looked up as of now (activity counters keep no history);
 * - then every `actor.autonomy`, `actor.recent.*` and `actor.trackRecord.*` value recorded in the
 *   original verdict overrides the rebuilt one, so what the old policies read is exact.
 */
export async function replayRecordedDecisions(
  reads: RecordReads,
  options: ReplayOptions,
): Promise<ReplayReport> {
  const tally = new ReplayTally(options.examples);
  const actors = new ActorHistory(reads, options);
  let before: { createdAt: string; id: string } | undefined;
  for (;;) {
    const page = await reads.listDecisions({
      since: options.since.toISOString(),
      limit: pageSize,
      ...(before ? { before } : {}),
    });
    for (const decision of page) {
      if (deniedByRegistry(decision)) {
        tally.skipFrozen();
        continue;
      }
      const actor = withRecordedHistory(await actors.actorOf(decision), decision.verdict);
      tally.add(replayDecision(options.bundle, decision, actor));
    }
    if (page.length < pageSize) break;
    const last = page.at(-1)!;
    before = { createdAt: last.createdAt, id: last.id };
  }
  return tally.report();
}

/** Rebuilds actors, reading each System, its autonomy history and the tokens once. */
class ActorHistory {
  private readonly systems = new Map<string, Promise<SystemRow | undefined>>();
  private readonly changes = new Map<string, Promise<AutonomyChangeRow[]>>();
  private groups: Promise<Map<string, string[]>> | undefined;

  constructor(
    private readonly reads: RecordReads,
    private readonly options: ReplayOptions,
  ) {}

  async actorOf(decision: DecisionRow): Promise<Actor> {
    const request = decision.request as unknown as ActionRequest;
    const system = decision.systemId ? await this.system(decision.systemId) : undefined;
    let actor: Actor;
    if (system) {
      const at = new Date(decision.createdAt);
      // Newest first: the standing change is the first one made by the decision's time.
      const standing = (await this.changesOf(system.id)).find((change) => change.at <= decision.createdAt);
      actor = {
        ...system.spec,
        id: system.id,
        ref: systemRef(system.id),
        kind: system.kind,
        status: 'active',
        autonomy: stateOf(system, standing).effective,
      };
      if (needsTrackRecord(this.options.bundle, { request, actor }))
        actor.trackRecord = await trackRecordOf(this.reads, system, { now: at, standing, before: true });
    } else if (decision.actorKind === 'human') {
      const name = actorName(decision.actorId);
      actor = {
        id: name,
        ref: userRef(name),
        kind: 'human',
        groups: (await this.humanGroups()).get(name) ?? [],
      };
    } else {
      actor = { id: actorName(decision.actorId), ref: decision.actorId, kind: decision.actorKind };
    }
    if (needsRecentActivity(this.options.bundle, { request, actor })) {
      const { sinceMinute, sinceHour } = activityWindow(this.options.now);
      const [activity, failures] = await Promise.all([
        this.reads.activity(decision.actorId, sinceMinute, sinceHour),
        this.reads.failures(decision.actorId),
      ]);
      actor.recent = recentActivity(
        activity,
        failures,
        { action: decision.action, environment: decision.environment ?? '' },
        this.options.now,
      );
    }
    return actor;
  }

  private system(id: string): Promise<SystemRow | undefined> {
    let row = this.systems.get(id);
    if (!row) {
      row = this.reads.getSystem(id);
      this.systems.set(id, row);
    }
    return row;
  }

  private changesOf(id: string): Promise<AutonomyChangeRow[]> {
    let rows = this.changes.get(id);
    if (!rows) {
      rows = this.reads.autonomyChanges(id, { limit: 10_000 });
      this.changes.set(id, rows);
    }
    return rows;
  }

  private humanGroups(): Promise<Map<string, string[]>> {
    this.groups ??= this.reads.listTokens().then((tokens) => {
      const byUser = new Map<string, Set<string>>();
      for (const token of tokens) {
        if (!token.userName || token.revokedAt) continue;
        const name = foldUserName(token.userName);
        const groups = byUser.get(name) ?? new Set<string>();
        for (const group of token.groups) groups.add(group);
        byUser.set(name, groups);
      }
      return new Map([...byUser].map(([user, groups]) => [user, [...groups].sort()]));
    });
    return this.groups;
  }
}
