import { describe, expect, it } from 'vitest';
import type { OutcomeStatus } from '../../src/decisions/records.js';
import type {
  AutonomyChangeRow,
  AutonomyReads,
  OutcomeCounts,
  SystemOutcomeFilter,
  SystemOutcomeRow,
} from '../../src/registry/autonomy-records.js';
import { autonomyState, budgetSpend, stateOf, trackRecordOf } from '../../src/registry/autonomy-state.js';
import type { SystemRow } from '../../src/registry/records.js';

// A System's autonomy state and track record read through the registry's port, here an in-memory
// one that keeps the port's documented semantics ([since, until), environments, newest change first).

class MemoryAutonomy implements AutonomyReads {
  readonly queries: string[] = [];
  constructor(
    readonly changes: AutonomyChangeRow[],
    readonly outcomes: (SystemOutcomeRow & { systemId: string })[],
  ) {}

  private within(systemId: string, filter: SystemOutcomeFilter) {
    return this.outcomes.filter(
      (o) =>
        o.systemId === systemId &&
        o.at >= filter.since &&
        (filter.until === undefined || o.at < filter.until) &&
        filter.environments.includes(o.environment),
    );
  }

  async autonomyChanges(systemId: string, options: { limit: number; atOrBefore?: string }) {
    this.queries.push(`changes ${systemId} ${options.limit} ${options.atOrBefore ?? '-'}`);
    return this.changes
      .filter(
        (c) => c.systemId === systemId && (options.atOrBefore === undefined || c.at <= options.atOrBefore),
      )
      .sort((a, b) => b.seq - a.seq)
      .slice(0, options.limit);
  }

  async systemFailures(systemId: string, filter: SystemOutcomeFilter & { limit: number }) {
    this.queries.push(`failures ${systemId} ${filter.since} ${filter.until ?? '-'}`);
    return this.within(systemId, filter)
      .filter((o) => o.status !== 'succeeded')
      .sort((a, b) => (a.at < b.at ? -1 : 1))
      .slice(0, filter.limit)
      .map(({ systemId: _, ...row }) => row);
  }

  async systemOutcomeCounts(systemId: string, filter: SystemOutcomeFilter): Promise<OutcomeCounts> {
    this.queries.push(`counts ${systemId} ${filter.since} ${filter.until ?? '-'}`);
    const counts: OutcomeCounts = { succeeded: 0, failed: 0, rolled_back: 0 };
    for (const o of this.within(systemId, filter)) counts[o.status]++;
    return counts;
  }
}

const system: SystemRow = {
  id: 'deploy-bot',
  kind: 'agent',
  spec: {
    owner: { team: 'platform' },
    autonomy: 3,
    errorBudget: { maxFailures: 1, window: '1d', environments: ['prod'] },
  },
  source: 'bundle',
  status: 'active',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};

const outcome = (id: string, at: string, status: OutcomeStatus, environment = 'prod') => ({
  systemId: 'deploy-bot',
  decisionId: id,
  action: 'deploy',
  environment,
  status,
  at,
});

const demotion: AutonomyChangeRow = {
  systemId: 'deploy-bot',
  seq: 1,
  at: '2026-03-04T06:00:00.000Z',
  from: 3,
  to: 2,
  ceiling: 3,
  cause: 'budget',
  by: 'arbiter',
  reason: 'budget spent',
  decisions: ['dec_a', 'dec_b'],
  ledgerIndex: 40,
};

const now = new Date('2026-03-04T12:00:00.000Z');

describe('autonomy state', () => {
  it('is the document level without changes, and the standing demotion once there is one', async () => {
    expect(stateOf(system, undefined)).toEqual({ ceiling: 3, effective: 3 });
    expect(stateOf(system, demotion)).toEqual({ ceiling: 3, effective: 2, standing: demotion });
    const reads = new MemoryAutonomy([demotion], []);
    expect(await autonomyState(reads, system)).toEqual({ ceiling: 3, effective: 2, standing: demotion });
    // As of a time before the demotion, the System acted at its document level.
    expect(await autonomyState(reads, system, new Date('2026-03-04T05:00:00.000Z'))).toEqual({
      ceiling: 3,
      effective: 3,
    });
    expect(reads.queries).toEqual([
      'changes deploy-bot 1 -',
      'changes deploy-bot 1 2026-03-04T05:00:00.000Z',
    ]);
  });
});

describe('budget spend and track record through the port', () => {
  const reads = new MemoryAutonomy(
    [demotion],
    [
      outcome('dec_old', '2026-03-02T12:00:00.000Z', 'failed'), // outside the 1d window
      outcome('dec_a', '2026-03-04T05:00:00.000Z', 'failed'), // before the demotion
      outcome('dec_c', '2026-03-04T07:00:00.000Z', 'rolled_back'),
      outcome('dec_d', '2026-03-04T08:00:00.000Z', 'succeeded'),
      outcome('dec_e', '2026-03-04T09:00:00.000Z', 'failed', 'staging'), // not a budgeted environment
      outcome('dec_f', '2026-03-04T12:00:00.000Z', 'failed'), // at `now` exactly
    ],
  );
  const budget = { maxFailures: 1, window: '1d', windowMs: 86_400_000, environments: ['prod'] };

  it('counts only failures after the standing change within the window', async () => {
    const spend = await budgetSpend(reads, system, budget, { now, standing: demotion });
    expect(spend).toEqual({ counted: ['dec_c', 'dec_f'], remaining: 0, exceeded: true });
    // A replay of a decision made at `now` counts only outcomes reported before it.
    const before = await budgetSpend(reads, system, budget, { now, standing: demotion, before: true });
    expect(before).toEqual({ counted: ['dec_c'], remaining: 0, exceeded: false });
    // Without a standing change, the window's start bounds the read.
    const fresh = await budgetSpend(reads, system, budget, { now, standing: undefined });
    expect(fresh.counted).toEqual(['dec_a', 'dec_c', 'dec_f']);
  });

  it('builds actor.trackRecord from the budget window and its spend', async () => {
    expect(await trackRecordOf(reads, system, { now, standing: demotion })).toEqual({
      window: '1d',
      environments: ['prod'],
      actions: 4,
      succeeded: 1,
      failed: 2,
      rolledBack: 1,
      failureRate: 0.75,
      budget: { maxFailures: 1, failures: 2, remaining: 0 },
    });
  });

  it('uses the default window (7 days in production) for a System without a budget', async () => {
    const unbudgeted = { ...system, spec: { owner: { team: 'platform' }, autonomy: 2 } };
    const record = await trackRecordOf(reads, unbudgeted, { now, standing: undefined });
    expect(record).toMatchObject({ window: '7d', actions: 5, failed: 3 });
    expect(record).not.toHaveProperty('budget');
  });
});
