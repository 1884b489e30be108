import { fstatSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { tempDir } from '../helpers/temp.js';

// Attacks on the durable SQLite store (src/store/sqlite/wal-sync.ts): no read may see a commit
// before the sync that covers it, and the descriptor synced must stay the live -wal file.

/** A disk whose syncs complete only when the test says so. */
function manualDisk() {
  const pending: (() => void)[] = [];
  return {
    sync: () => new Promise<void>((resolve) => pending.push(resolve)),
    get calls() {
      return pending.length;
    },
    finish: (call: number) => pending[call]!(),
  };
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

describe('the read barrier', () => {
  it('lets no read see a commit whose sync has not completed, whichever microtask it starts in', async () => {
    const disk = manualDisk();
    const store = openSqliteStore({ path: join(tempDir('arbiter-walreview-'), 'a.db'), syncWal: disk.sync });
    const first = store.write((tx) => tx.setMeta('review.first', '1'));
    await until(() => disk.calls === 1);
    // Queued while the first batch's sync runs: the next batch, which commits as soon as the first is answered.
    const second = store.write((tx) => tx.setMeta('review.second', '2'));
    const reads: Promise<string | undefined>[] = [];
    const seenBeforeSync: (string | undefined)[] = [];
    let secondSynced = false;
    const readEachMicrotask = (left: number) => {
      const read = store.getMeta('review.second');
      reads.push(read);
      void read.then((value) => {
        if (!secondSynced) seenBeforeSync.push(value);
      });
      if (left > 0) queueMicrotask(() => readEachMicrotask(left - 1));
    };
    // A client answered for the first write reads at once, as the second batch commits.
    void first.then(() => readEachMicrotask(200));
    disk.finish(0);
    await first;
    await until(() => disk.calls === 2); // the second batch committed; its sync has not completed
    await until(() => seenBeforeSync.length > 0 || reads.length > 200);
    expect(seenBeforeSync.filter((value) => value !== undefined)).toEqual([]);
    secondSynced = true;
    disk.finish(1);
    await second;
    await Promise.all(reads);
    await store.close();
  });

  // OPEN HOLE: the barrier is per process. A second store on the file (the CLI beside a running
  // server) reads the server's commits before the server's sync. `it.fails` until it is closed.
  it.fails('keeps another store on the same file (the CLI) from reading a commit before its sync', async () => {
    const path = join(tempDir('arbiter-walreview-'), 'a.db');
    const disk = manualDisk();
    const server = openSqliteStore({ path, syncWal: disk.sync });
    const cli = openSqliteStore({ path });
    const write = server.write((tx) => tx.setMeta('review.cli', 'committed'));
    await until(() => disk.calls === 1); // committed; not yet on disk
    const seen = await cli.getMeta('review.cli');
    disk.finish(0);
    await write;
    await cli.close();
    await server.close();
    expect(seen).toBeUndefined();
  });
});

describe('the -wal descriptor', () => {
  it('stays the live -wal file under writes, checkpoints and another connection closing', async () => {
    const path = join(tempDir('arbiter-walreview-'), 'a.db');
    let syncedInode: number | undefined;
    let deadSyncs = 0;
    const store = openSqliteStore({
      path,
      syncWal: async (fd) => {
        const synced = fstatSync(fd);
        syncedInode ??= synced.ino;
        if (synced.nlink === 0 || synced.ino !== statSync(`${path}-wal`).ino) deadSyncs++;
      },
    });
    const before = statSync(`${path}-wal`).ino;
    const big = 'x'.repeat(64 * 1024);
    for (let round = 0; round < 5; round++) {
      // Enough pages for SQLite's automatic checkpoint (1,000 pages) and WAL restarts.
      await Promise.all(
        Array.from({ length: 40 }, (_, n) => store.write((tx) => tx.setMeta(`review.${round}.${n}`, big))),
      );
      const other = openSqliteStore({ path });
      await other.write((tx) => tx.setMeta(`review.other.${round}`, 'x'));
      await other.close();
    }
    expect(statSync(`${path}-wal`).ino).toBe(before);
    expect(syncedInode).toBe(before);
    expect(deadSyncs).toBe(0);
    await store.close();
  });
});
