import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open.js';
import { createTestDatabase, postgresAvailable } from '../helpers/postgres.js';
import { tempDir } from '../helpers/temp.js';

// One submitter: with replicas, only the holder of the checkpoint lock signs checkpoints and
// submits them to witnesses (docs/ledger.md#the-server-submits-to-witnesses).

const hasPostgres = await postgresAvailable();

describe.skipIf(!hasPostgres)('the checkpoint lock on PostgreSQL', () => {
  it('is held by one store at a time, and passes on when its holder closes', async () => {
    const url = await createTestDatabase();
    const a = await openStore(url);
    const b = await openStore(url);
    try {
      const [heldA, heldB] = await Promise.all([a.holdsCheckpointLock(), b.holdsCheckpointLock()]);
      expect([heldA, heldB].filter(Boolean)).toHaveLength(1);
      const [holder, other] = heldA ? [a, b] : [b, a];
      // Asking again changes nothing, however often.
      for (let i = 0; i < 3; i++) {
        expect(await holder.holdsCheckpointLock()).toBe(true);
        expect(await other.holdsCheckpointLock()).toBe(false);
      }
      await holder.close();
      expect(await other.holdsCheckpointLock()).toBe(true);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('the checkpoint lock on SQLite', () => {
  it('is always held by the one writer process, and not after close', async () => {
    const store = await openStore(`sqlite:${tempDir('arbiter-lock-')}/a.db`);
    expect(await store.holdsCheckpointLock()).toBe(true);
    await store.close();
    expect(await store.holdsCheckpointLock()).toBe(false);
  });
});
