import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open.js';
import type { Store } from '../../src/store/store.js';
import { createTestDatabase, postgresAvailable } from '../helpers/postgres.js';
import { tempDir } from '../helpers/temp.js';

// Witness cosignatures beside the checkpoints, on both databases (docs/ledger.md#witnesses).

const hasPostgres = await postgresAvailable();
const dir = tempDir('arbiter-cosignatures-');

const backends = [
  { name: 'sqlite', available: true, url: async () => `sqlite:${join(dir, `${Math.random()}.db`)}` },
  { name: 'postgres', available: hasPostgres, url: () => createTestDatabase() },
] as const;

for (const backend of backends) {
  describe.skipIf(!backend.available)(`cosignatures on ${backend.name}`, () => {
    it('stores one line per witness and checkpoint, finds the newest per witness and the newest checkpoint', async () => {
      const store: Store = await openStore(await backend.url());
      try {
        expect(await store.newestCheckpoint()).toBeUndefined();
        expect(await store.cosignatures()).toEqual([]);
        for (const size of [3, 10, 7])
          await store.write((tx) =>
            tx.ledger.insertCheckpoint({
              size,
              root: new Uint8Array(32).fill(size),
              note: `note ${size}\n`,
              createdAt: 'now',
            }),
          );
        expect(await store.newestCheckpoint()).toEqual({ size: 10, note: 'note 10\n' });
        const row = (size: number, witness: string, timestamp: number) => ({
          size,
          witness,
          line: `— ${witness} ${size}`,
          timestamp,
        });
        await store.write(async (tx) => {
          await tx.insertCosignature(row(3, 'w.example/b', 1));
          await tx.insertCosignature(row(3, 'w.example/a', 2));
          await tx.insertCosignature(row(10, 'w.example/a', 3_000_000_000));
          // A second line by the same witness for the same checkpoint is ignored.
          await tx.insertCosignature(row(10, 'w.example/a', 4));
        });
        expect(await store.cosignatures()).toEqual([
          row(3, 'w.example/a', 2),
          row(3, 'w.example/b', 1),
          row(10, 'w.example/a', 3_000_000_000),
        ]);
        expect(await store.cosignatures(3)).toHaveLength(2);
        expect(await store.cosignatures(7)).toEqual([]);
        expect(await store.newestCosignedSizes()).toEqual([
          { witness: 'w.example/a', size: 10 },
          { witness: 'w.example/b', size: 3 },
        ]);
      } finally {
        await store.close();
      }
    });
  });
}
