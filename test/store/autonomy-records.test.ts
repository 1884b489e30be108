import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import type { AutonomyChangeRow, DecisionRow, OutcomeStatus } from '../../src/store/records.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { createTestDatabase, postgresAvailable } from '../helpers/postgres.js';
import { tempDir } from '../helpers/temp.js';

/** The autonomy part of the Store contract, against each backend. */
const hasPostgres = await postgresAvailable();
const dir = tempDir('arbiter-autonomy-records-');
let counter = 0;
const backends = [
  {
    name: 'sqlite',
    available: true,
    open: async () => openSqliteStore({ path: join(dir, `a-${counter++}.db`) }),
  },
  {
    name: 'postgres',
    available: hasPostgres,
    open: async () => PostgresStore.open({ url: await createTestDatabase() }),
  },
] as const;

const decision = (id: string, systemId: string, environment: string): DecisionRow => ({
  id,
  actorId: systemId,
  actorKind: 'agent',
  systemId,
  action: 'deploy',
  resourceType: 'service',
  resourceId: 'payments',
  environment,
  request: { action: 'deploy', resource: { type: 'service', id: 'payments', environment } },
  requestHash: `sha256:${id.padEnd(64, '0').slice(0, 64)}`,
  status: 'allowed',
  effect: 'allow',
  verdict: { reasons: [] },
  requirements: [],
  bundle: 'sha256:b',
  createdAt: '2026-11-01T00:00:00.000Z',
  updatedAt: '2026-11-01T00:00:00.000Z',
  ledgerIndex: 0,
});

const change = (seq: number, at: string, to: number): AutonomyChangeRow => ({
  systemId: 'bot',
  seq,
  at,
  from: to + 1,
  to,
  ceiling: 3,
  cause: 'budget',
  by: 'arbiter',
  reason: 'too many failures',
  decisions: [`dec_${seq}`],
  ledgerIndex: seq * 10,
});

for (const backend of backends) {
  describe.skipIf(!backend.available)(`autonomy records on ${backend.name}`, () => {
    let store: Store;
    afterEach(async () => {
      await store?.close();
    });

    it('keeps autonomy changes, newest first, optionally as of a time; a second change with the same seq fails', async () => {
      store = await backend.open();
      await store.write(async (tx) => {
        await tx.insertAutonomyChange(change(1, '2026-11-10T00:00:00.000Z', 2));
        await tx.insertAutonomyChange(change(2, '2026-11-12T00:00:00.000Z', 1));
      });
      expect(await store.autonomyChanges('bot', { limit: 5 })).toEqual([
        change(2, '2026-11-12T00:00:00.000Z', 1),
        change(1, '2026-11-10T00:00:00.000Z', 2),
      ]);
      expect(await store.autonomyChanges('bot', { limit: 1 })).toHaveLength(1);
      expect(
        (await store.autonomyChanges('bot', { limit: 5, atOrBefore: '2026-11-11T00:00:00.000Z' })).map(
          (c) => c.seq,
        ),
      ).toEqual([1]);
      expect(await store.autonomyChanges('other', { limit: 5 })).toEqual([]);
      await expect(
        store.write((tx) => tx.insertAutonomyChange(change(2, '2026-11-13T00:00:00.000Z', 0))),
      ).rejects.toThrow();
    });

    it("reads a System's outcomes by outcome time and environment", async () => {
      store = await backend.open();
      const outcomes: [string, string, string, OutcomeStatus, string][] = [
        ['d1', 'bot', 'prod', 'failed', '2026-11-10T00:00:00.000Z'],
        ['d2', 'bot', 'prod', 'rolled_back', '2026-11-11T00:00:00.000Z'],
        ['d3', 'bot', 'prod', 'succeeded', '2026-11-11T12:00:00.000Z'],
        ['d4', 'bot', 'staging', 'failed', '2026-11-11T13:00:00.000Z'],
        ['d5', 'other', 'prod', 'failed', '2026-11-11T14:00:00.000Z'],
        ['d6', 'bot', 'production', 'failed', '2026-11-12T00:00:00.000Z'],
      ];
      await store.write(async (tx) => {
        for (const [id, system, environment] of outcomes)
          await tx.insertDecision(decision(id, system, environment));
        await tx.insertDecision(decision('d7', 'bot', 'prod')); // no outcome
        for (const [id, , , status, at] of outcomes) await tx.setOutcome(id, { status, at, ledgerIndex: 1 });
      });
      const filter = { since: '2026-11-10T00:00:00.000Z', environments: ['prod', 'production'] };
      expect(await store.systemFailures('bot', { ...filter, limit: 10 })).toEqual([
        {
          decisionId: 'd1',
          action: 'deploy',
          environment: 'prod',
          status: 'failed',
          at: '2026-11-10T00:00:00.000Z',
        },
        {
          decisionId: 'd2',
          action: 'deploy',
          environment: 'prod',
          status: 'rolled_back',
          at: '2026-11-11T00:00:00.000Z',
        },
        {
          decisionId: 'd6',
          action: 'deploy',
          environment: 'production',
          status: 'failed',
          at: '2026-11-12T00:00:00.000Z',
        },
      ]);
      expect(
        (await store.systemFailures('bot', { ...filter, until: '2026-11-12T00:00:00.000Z', limit: 1 })).map(
          (f) => f.decisionId,
        ),
      ).toEqual(['d1']);
      expect(await store.systemOutcomeCounts('bot', filter)).toEqual({
        succeeded: 1,
        failed: 2,
        rolled_back: 1,
      });
      expect(
        await store.systemOutcomeCounts('bot', {
          ...filter,
          since: '2026-11-10T00:00:00.001Z',
          environments: ['prod'],
        }),
      ).toEqual({ succeeded: 1, failed: 0, rolled_back: 1 });
    });
  });
}
