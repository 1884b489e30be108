import { canonicalJson } from '../core/canonical-json.js';
import { parseDuration } from '../core/duration.js';
import type { JsonObject, JsonValue } from '../core/json.js';
import { parseActorRef, userRef } from '../identity/actor-ref.js';
import type { LedgerEntry } from '../ledger/entry.js';
import type { ApprovalRow, DecisionRow, DecisionStatus, OutcomeStatus } from './records.js';

/**
 * A decision as its ledger entries say it is, and how a stored row differs from that. The
 * tables are a fast copy of what the ledger records; someone who can write to the database but
 * holds no signing key can change them. Every step that relies on a decision's state (a vote, an
 * outcome) and every audit (trace, `ledger verify --db`) compares the two with these functions.
 */

/** The entry types that make up a decision's history. */
export const decisionEntryTypes = [
  'decision.created',
  'approval.recorded',
  'decision.allowed',
  'decision.denied',
  'decision.started',
  'decision.revoked',
  'decision.withdrawn',
  'decision.expired',
  'decision.outcome',
] as const;

/** One vote as `approval.recorded` holds it. */
export interface RecordedVote {
  approver: string;
  verdict: 'approve' | 'reject';
  groups: string[];
  seq: number;
}

/** What the ledger records of one decision. */
export interface RecordedDecision {
  id: string;
  createdSeq: number;
  createdTime: string;
  requestHash: string;
  /** The status `decision.created` gave it, then each later `decision.<status>` entry in order. */
  status: DecisionStatus;
  effect: string;
  requirements: JsonObject[];
  /**
   * When the window closes: for a pending decision its approval window (the creation time plus the
   * shortest requirement ttl); for one allowed by approval, the execution window its
   * `decision.allowed` entry records. Unknown (undefined) for entries written before windows.
   */
  expiresAt?: string;
  votes: RecordedVote[];
  outcome?: { status: OutcomeStatus; seq: number };
}

const isObject = (value: JsonValue | undefined): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Replays the entries about one decision (any order; each must have `subject` = the decision) into
 * what the ledger records. Undefined when there is no `decision.created` entry among them.
 */
export function recordedDecision(entries: readonly LedgerEntry[]): RecordedDecision | undefined {
  const sorted = [...entries].sort((a, b) => a.seq - b.seq);
  const created = sorted.find((entry) => entry.type === 'decision.created');
  if (!created) return undefined;
  let recorded = startDecision(created);
  for (const entry of sorted) if (entry.seq > created.seq) recorded = applyDecisionEntry(recorded, entry);
  return recorded;
}

/** The state a `decision.created` entry records. */
export function startDecision(created: LedgerEntry): RecordedDecision {
  const data = created.data;
  const requirements = Array.isArray(data.approvalsRequired) ? data.approvalsRequired.filter(isObject) : [];
  const status = (data.status as DecisionStatus | undefined) ?? 'denied';
  const ttls = requirements.map((requirement) =>
    typeof requirement.ttl === 'string' ? parseDuration(requirement.ttl) : undefined,
  );
  const shortest = ttls.every((ttl) => ttl !== undefined) ? Math.min(...(ttls as number[])) : undefined;
  return {
    id: created.subject,
    createdSeq: created.seq,
    createdTime: created.time,
    requestHash: typeof data.requestHash === 'string' ? data.requestHash : '',
    status,
    effect: typeof data.effect === 'string' ? data.effect : '',
    requirements,
    ...(status === 'pending' && shortest !== undefined && Number.isFinite(shortest)
      ? { expiresAt: new Date(Date.parse(created.time) + shortest).toISOString() }
      : {}),
    votes: [],
  };
}

/** The state after one more entry about the decision (entries of other types change nothing). */
export function applyDecisionEntry(recorded: RecordedDecision, entry: LedgerEntry): RecordedDecision {
  switch (entry.type) {
    case 'approval.recorded': {
      const verdict = entry.data.verdict === 'reject' ? 'reject' : 'approve';
      const groups = Array.isArray(entry.data.groups)
        ? entry.data.groups.filter((group): group is string => typeof group === 'string')
        : [];
      return {
        ...recorded,
        // Votes are people's; an entry from before typed identities names the bare user name.
        votes: [...recorded.votes, { approver: typedVoter(entry.actor), verdict, groups, seq: entry.seq }],
      };
    }
    case 'decision.allowed': {
      if (recorded.status !== 'pending') return recorded;
      const { expiresAt: _approvalWindow, ...rest } = recorded;
      // The approval opens the execution window, which the entry records.
      const window = entry.data.expiresAt;
      return { ...rest, status: 'allowed', ...(typeof window === 'string' ? { expiresAt: window } : {}) };
    }
    // Execution (docs/server.md): claimed, stopped by a freeze, withdrawn, or its window passed.
    case 'decision.started':
    case 'decision.revoked':
    case 'decision.withdrawn':
    case 'decision.expired':
      return { ...recorded, status: entry.type.slice('decision.'.length) as DecisionStatus };
    case 'decision.denied':
      // A denial wins over anything before it (a freeze denies a pending decision).
      return { ...recorded, status: 'denied' };
    case 'decision.outcome': {
      const status = entry.data.status as OutcomeStatus;
      return recorded.outcome ? recorded : { ...recorded, outcome: { status, seq: entry.seq } };
    }
    default:
      return recorded;
  }
}

/** One way a stored decision differs from its ledger entries. */
export interface StateMismatch {
  /** What differs: `status`, `requirements`, `approvals`, … */
  field: string;
  /** What the table holds and what the ledger records, as short text. */
  table: string;
  ledger: string;
}

const show = (value: unknown) => (value === undefined ? 'none' : canonicalJson(value as JsonValue));

/**
 * Every way `row` (and its approval rows) differs from what the ledger records of it. An empty
 * list means the ledger supports the stored state. Pass `approvals` undefined to skip comparing
 * approval rows (the vote path reads votes from the ledger itself).
 */
export function decisionMismatches(
  row: DecisionRow,
  approvals: readonly ApprovalRow[] | undefined,
  recorded: RecordedDecision | undefined,
): StateMismatch[] {
  if (!recorded) return [{ field: 'decision.created', table: `entry ${row.ledgerIndex}`, ledger: 'none' }];
  const problems: StateMismatch[] = [];
  const differ = (field: string, table: unknown, ledger: unknown) => {
    if (show(table) !== show(ledger)) problems.push({ field, table: show(table), ledger: show(ledger) });
  };
  differ('ledgerIndex', row.ledgerIndex, recorded.createdSeq);
  differ('requestHash', row.requestHash, recorded.requestHash);
  differ('status', row.status, recorded.status);
  differ('effect', row.effect, recorded.effect);
  differ('requirements', row.requirements, recorded.requirements);
  // The row's expiry is computed a moment before the entry is appended: never later than the ledger's.
  if (recorded.expiresAt && (!row.expiresAt || row.expiresAt > recorded.expiresAt))
    problems.push({ field: 'expiresAt', table: show(row.expiresAt), ledger: show(recorded.expiresAt) });
  differ('outcome', row.outcome?.status, recorded.outcome?.status);
  if (approvals) {
    const key = (vote: { approver: string; verdict: string }) => `${vote.approver}:${vote.verdict}`;
    differ('approvals', approvals.map(key).sort(), recorded.votes.map(key).sort());
  }
  return problems;
}

/** The mismatches as one line: `status: table "allowed", ledger "denied"; …`. */
export function describeMismatches(problems: readonly StateMismatch[]): string {
  return problems.map((p) => `${p.field}: table ${p.table}, ledger ${p.ledger}`).join('; ');
}

/** A vote's approver as rows hold it: typed, also for an entry written before typed identities. */
function typedVoter(entryActor: string): string {
  return parseActorRef(entryActor) ? entryActor : userRef(entryActor);
}
