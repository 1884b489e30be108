import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pruneDeliveries } from '../../src/app/integrations/deliveries.js';
import type { DeliveryRow } from '../../src/integrations/records.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { createTestDatabase, postgresAvailable } from '../helpers/postgres.js';
import { TestClock } from '../helpers/server.js';
import { tempDir } from '../helpers/temp.js';

/** Provider deliveries are forgotten after the retention window, on each backend, by an injected clock. */
const hasPostgres = await postgresAvailable();
const dir = tempDir('arbiter-delivery-pruning-');
let counter = 0;

const backends = [
  {
    name: 'sqlite',
    available: true,
    open: async (): Promise<Store> => openSqliteStore({ path: join(dir, `p-${counter++}.db`) }),
  },
  {
    name: 'postgres',
    available: hasPostgres,
    open: async (): Promise<Store> => PostgresStore.open({ url: await createTestDatabase() }),
  },
];

const day = 24 * 60 * 60 * 1000;

function delivery(id: string, receivedAt: Date): DeliveryRow {
  return {
    provider: 'github',
    deliveryId: id,
    bodyDigest: `sha256:${id}`,
    event: 'deployment_protection_rule',
    receivedAt: receivedAt.toISOString(),
    runKey: `o/r#${id}#prod`,
    replays: 0,
  };
}

for (const backend of backends)
  describe.skipIf(!backend.available)(`delivery pruning (${backend.name})`, () => {
    let store: Store | undefined;
    afterEach(async () => {
      await store?.close();
      store = undefined;
    });

    it('forgets deliveries older than the window and keeps the rest; a replay inside the window is still known', async () => {
      store = await backend.open();
      const clock = new TestClock();
      const start = clock.now();
      await store.write((tx) => tx.rememberDelivery(delivery('old', start)));
      clock.advance(10 * day);
      await store.write((tx) => tx.rememberDelivery(delivery('recent', clock.now())));
      const prune = () => pruneDeliveries({ store: store!, clock: clock.now, retentionDays: 40 });

      // 39 days after the first: nothing is old enough.
      clock.advance(29 * day);
      expect(await prune()).toBe(0);
      expect((await store.deliveryMatching('github', 'other-id', 'sha256:old'))?.deliveryId).toBe('old');

      // Just past 40 days: the first goes, the second (30 days old) stays and still matches a replay.
      clock.advance(day + 1);
      expect(await prune()).toBe(1);
      expect(await store.delivery('github', 'old')).toBeUndefined();
      expect(await store.deliveryMatching('github', 'other-id', 'sha256:old')).toBeUndefined();
      expect((await store.deliveryMatching('github', 'recent', 'sha256:zz'))?.deliveryId).toBe('recent');
      expect((await store.deliveryForRun('github', 'o/r#recent#prod'))?.deliveryId).toBe('recent');
      // Pruning again changes nothing; the boundary is exclusive (a delivery exactly 40 days old stays).
      expect(await prune()).toBe(0);
      clock.time = new Date(start.getTime() + 50 * day);
      expect(await prune()).toBe(0);
      clock.advance(1);
      expect(await prune()).toBe(1);
      expect(await store.delivery('github', 'recent')).toBeUndefined();
    });
  });
