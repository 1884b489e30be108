import type { JsonObject } from '../core/json.js';
import type { PolicyBundle } from '../policy/bundle.js';
import { type Effect, effects } from '../policy/documents.js';
import { type Actor, evaluateAction } from '../policy/evaluate-action.js';
import { factPath } from '../policy/facts.js';
import type { ActionRequest } from '../policy/request.js';
import type { DecisionRow } from './records.js';

/**
 * Replaying recorded decisions against a candidate bundle (`arbiter policy replay`), as pure
 * functions: re-evaluate one decision, and tally the transitions of effects.
 */

/** One recorded decision, re-evaluated with the candidate bundle. */
export interface ReplayedDecision {
  id: string;
  actor: string;
  action: string;
  resource: { type: string; id: string; environment?: string };
  createdAt: string;
  from: Effect;
  to: Effect;
  /** Rules (`policy/rule`) that fire with the candidate but did not then. */
  rulesAdded: string[];
  /** Rules that fired then but do not with the candidate. */
  rulesRemoved: string[];
  /** Rules that fire in both, with a different effect (the rule itself was edited). */
  rulesChanged: { rule: string; from: Effect; to: Effect }[];
}

const rank: Record<Effect, number> = { allow: 0, require_approval: 1, deny: 2 };

/** True when `to` grants more than `from`: deny→allow, deny→require_approval, require_approval→allow. */
export function loosens(from: Effect, to: Effect): boolean {
  return rank[to] < rank[from];
}

/** True when the kill switch denied the decision before any policy ran: replaying it means nothing. */
export function deniedByRegistry(decision: DecisionRow): boolean {
  const reasons = (decision.verdict.reasons as JsonObject[] | undefined) ?? [];
  return reasons.some((reason) => reason.policy === '(registry)');
}

// What changes over time about an actor; everything else comes from the System record.
const historyPaths = ['actor.autonomy', 'actor.recent.', 'actor.trackRecord.'];

/**
 * The actor with the history the original policies saw: every scalar fact under
 * `actor.autonomy`, `actor.recent` and `actor.trackRecord` recorded in the verdict (fired and
 * not-fired rules, shadow rules) is set on it. Facts the original policies did not read keep
 * the values `actor` already has.
 */
export function withRecordedHistory(actor: Actor, verdict: JsonObject): Actor {
  const out = structuredClone(actor) as Record<string, unknown>;
  const entries = ['reasons', 'notFired', 'shadow'].flatMap(
    (key) => (verdict[key] as JsonObject[] | undefined) ?? [],
  );
  for (const entry of entries) {
    for (const [path, value] of Object.entries((entry.facts as JsonObject | undefined) ?? {})) {
      if (!historyPaths.some((prefix) => path === prefix || path.startsWith(prefix))) continue;
      if (typeof value !== 'number' && typeof value !== 'boolean') continue;
      setPath(out, factPath(path).segments.slice(1), value);
    }
  }
  return out as Actor;
}

function setPath(target: Record<string, unknown>, segments: readonly (string | number)[], value: unknown) {
  let current = target;
  for (const segment of segments.slice(0, -1)) {
    const next = current[segment];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) current[segment] = {};
    current = current[segment] as Record<string, unknown>;
  }
  const last = segments.at(-1);
  if (last !== undefined) current[last] = value;
}

/** Fired rules (`policy/rule`) with their effects. */
const firedRules = (reasons: readonly { policy?: unknown; rule?: unknown; effect?: unknown }[] | undefined) =>
  new Map((reasons ?? []).map((reason) => [`${reason.policy}/${reason.rule}`, reason.effect as Effect]));

/** Re-evaluates one recorded decision: its request, at its time, with `actor` as rebuilt by the caller. */
export function replayDecision(bundle: PolicyBundle, decision: DecisionRow, actor: Actor): ReplayedDecision {
  const verdict = evaluateAction(bundle, {
    request: decision.request as unknown as ActionRequest,
    actor,
    now: new Date(decision.createdAt),
  });
  const before = firedRules(decision.verdict.reasons as JsonObject[] | undefined);
  const after = firedRules(verdict.reasons);
  return {
    id: decision.id,
    actor: decision.actorId,
    action: decision.action,
    resource: {
      type: decision.resourceType,
      id: decision.resourceId,
      ...(decision.environment ? { environment: decision.environment } : {}),
    },
    createdAt: decision.createdAt,
    from: decision.effect,
    to: verdict.effect,
    rulesAdded: [...after.keys()].filter((rule) => !before.has(rule)).sort(),
    rulesRemoved: [...before.keys()].filter((rule) => !after.has(rule)).sort(),
    rulesChanged: [...after]
      .filter(([rule, effect]) => before.has(rule) && before.get(rule) !== effect)
      .map(([rule, to]) => ({ rule, from: before.get(rule)!, to }))
      .sort((a, b) => a.rule.localeCompare(b.rule)),
  };
}

/** All decisions that moved from one effect to another. */
export interface ReplayTransition {
  from: Effect;
  to: Effect;
  count: number;
  loosens: boolean;
  /** Actors (System ids or user names) with how many of their decisions moved, most first. */
  actors: { id: string; count: number }[];
  /** The first decisions seen, at most the tally's `examples`. */
  examples: ReplayedDecision[];
}

export interface ReplayReport {
  /** Decisions re-evaluated. */
  replayed: number;
  /** Decisions denied by the kill switch before any policy ran: not re-evaluated. */
  skippedFrozen: number;
  /** matrix[from][to] = how many decisions had effect `from` then and get `to` now. */
  matrix: Record<Effect, Record<Effect, number>>;
  /** Only the changes (from ≠ to), loosening ones first, then by count. */
  transitions: ReplayTransition[];
  changed: number;
  loosened: number;
  tightened: number;
}

/** Adds replayed decisions up into a report, keeping only counts and a few examples. */
export class ReplayTally {
  private replayed = 0;
  private skippedFrozen = 0;
  private readonly matrix = Object.fromEntries(
    effects.map((from) => [from, Object.fromEntries(effects.map((to) => [to, 0]))]),
  ) as Record<Effect, Record<Effect, number>>;
  private readonly transitions = new Map<string, ReplayTransition & { byActor: Map<string, number> }>();

  /** Keeps at most `examples` example decisions per transition. */
  constructor(private readonly examples: number) {}

  add(result: ReplayedDecision): void {
    this.replayed++;
    this.matrix[result.from][result.to]++;
    if (result.from === result.to) return;
    const key = `${result.from}>${result.to}`;
    let transition = this.transitions.get(key);
    if (!transition) {
      transition = {
        from: result.from,
        to: result.to,
        count: 0,
        loosens: loosens(result.from, result.to),
        actors: [],
        examples: [],
        byActor: new Map(),
      };
      this.transitions.set(key, transition);
    }
    transition.count++;
    transition.byActor.set(result.actor, (transition.byActor.get(result.actor) ?? 0) + 1);
    if (transition.examples.length < this.examples) transition.examples.push(result);
  }

  skipFrozen(): void {
    this.skippedFrozen++;
  }

  report(): ReplayReport {
    const transitions = [...this.transitions.values()]
      .map(({ byActor, ...transition }) => ({
        ...transition,
        actors: [...byActor]
          .map(([id, count]) => ({ id, count }))
          .sort((a, b) => b.count - a.count || a.id.localeCompare(b.id)),
      }))
      .sort(
        (a, b) =>
          Number(b.loosens) - Number(a.loosens) ||
          b.count - a.count ||
          rank[a.from] - rank[b.from] ||
          rank[a.to] - rank[b.to],
      );
    const sum = (keep: (t: ReplayTransition) => boolean) =>
      transitions.filter(keep).reduce((total, t) => total + t.count, 0);
    return {
      replayed: this.replayed,
      skippedFrozen: this.skippedFrozen,
      matrix: this.matrix,
      transitions,
      changed: sum(() => true),
      loosened: sum((t) => t.loosens),
      tightened: sum((t) => !t.loosens),
    };
  }
}
