import type { OutcomeStatus } from '../decisions/records.js';

/** Autonomy rows, shared by both stores (docs/policies.md#error-budget). Times are ISO 8601 UTC. */

/**
 * One change of a System's autonomy: a demotion by its error budget, or a person's decision.
 * The newest change of a System is its standing level; the rows before it are the history.
 */
export interface AutonomyChangeRow {
  systemId: string;
  /** 1, 2, … per System: two writers of the same number conflict, so changes never race. */
  seq: number;
  at: string;
  from: number;
  to: number;
  /** The System document's level when the change was made. */
  ceiling: number;
  /** `budget`: demoted by the error budget; `human`: set by a person, with a reason. */
  cause: 'budget' | 'human';
  /** `arbiter` for budget demotions, else the person's actor id. */
  by: string;
  reason: string;
  /** The failed or rolled-back decisions that spent the budget (budget demotions only). */
  decisions: string[];
  ledgerIndex: number;
}

/** A reported outcome of one of a System's decisions. */
export interface SystemOutcomeRow {
  decisionId: string;
  action: string;
  environment: string;
  status: OutcomeStatus;
  at: string;
}

/** How many outcomes of each status. */
export type OutcomeCounts = Record<OutcomeStatus, number>;

/** Outcomes reported in [since, until) for decisions in one of `environments`. */
export interface SystemOutcomeFilter {
  since: string;
  /** Exclusive; default: no upper bound. */
  until?: string;
  environments: readonly string[];
}

export interface AutonomyReads {
  /** Autonomy changes of a System, newest first; with `atOrBefore`, only those made by then. */
  autonomyChanges(
    systemId: string,
    options: { limit: number; atOrBefore?: string },
  ): Promise<AutonomyChangeRow[]>;
  /** Failed and rolled-back outcomes of a System's decisions, oldest first, at most `limit`. */
  systemFailures(
    systemId: string,
    filter: SystemOutcomeFilter & { limit: number },
  ): Promise<SystemOutcomeRow[]>;
  /** How many outcomes of each status a System's decisions had. */
  systemOutcomeCounts(systemId: string, filter: SystemOutcomeFilter): Promise<OutcomeCounts>;
}

export interface AutonomyWrites {
  /** Fails when the System already has a change with this `seq`. */
  insertAutonomyChange(row: AutonomyChangeRow): Promise<void>;
}
