import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { tempDir } from '../helpers/temp.js';

// A process can die between its COMMIT and the fdatasync of the -wal file (src/store/sqlite/wal-sync.ts).
// The next process reads those frames from the page cache; it must sync them before reading them.

const syncedInodes: number[] = [];
vi.mock('node:fs', async (original) => {
  const actual = await original<typeof import('node:fs')>();
  return {
    ...actual,
    fdatasyncSync: (fd: number) => {
      syncedInodes.push(actual.fstatSync(fd).ino);
      actual.fdatasyncSync(fd);
    },
  };
});

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

describe('opening a durable SQLite store', () => {
  it('syncs the -wal file that a crashed process committed to but never synced, before any read', async () => {
    const path = join(tempDir('arbiter-walopen-'), 'a.db');
    let crashedSyncs = 0;
    // Its syncs never complete: the process "dies" after COMMIT, before its fdatasync.
    const crashed = openSqliteStore({ path, syncWal: () => new Promise(() => crashedSyncs++) });
    void crashed.write((tx) => tx.setMeta('review.crashed', 'committed'));
    await until(() => crashedSyncs === 1);
    syncedInodes.length = 0;
    const restarted = openSqliteStore({ path, syncWal: async () => {} });
    const syncedAtOpen = [...syncedInodes];
    expect(await restarted.getMeta('review.crashed')).toBe('committed');
    expect(syncedAtOpen).toEqual([fs.statSync(`${path}-wal`).ino]);
    await restarted.close();
  });
});
