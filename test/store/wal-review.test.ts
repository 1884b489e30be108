import { fstatSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { manualDisk } from '../helpers/manual-disk.js';
import { tempDir } from '../helpers/temp.js';

// Attacks on the durable SQLite store (src/store/sqlite/wal-sync.ts): no read may see a commit
// before the sync that covers it, and the descriptor synced must stay the live -wal file.

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

  // The barrier was per process: a second store on the file (the CLI beside a running server) read
  // the server's commits before the server's sync. It now sees the commit only once a sync of its
  // own, asked for after it saw the commit, has completed.
  it('keeps another store on the same file (the CLI) from reading a commit before its sync', async () => {
    const path = join(tempDir('arbiter-walreview-'), 'a.db');
    const serverDisk = manualDisk();
    const cliDisk = manualDisk();
    const server = openSqliteStore({ path, syncWal: serverDisk.sync });
    const cli = openSqliteStore({ path, syncWal: cliDisk.sync });
    const write = server.write((tx) => tx.setMeta('review.cli', 'committed'));
    await until(() => serverDisk.calls === 1); // committed; not yet on disk
    let seen: string | undefined;
    let cliSynced = false;
    const read = cli.getMeta('review.cli').then((value) => {
      if (!cliSynced) seen = `before the sync: ${value}`;
      else seen = value;
    });
    await until(() => cliDisk.calls === 1);
    for (let turn = 0; turn < 10; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toBeUndefined();
    cliSynced = true;
    cliDisk.finish(0);
    await read;
    expect(seen).toBe('committed');
    serverDisk.finish(0);
    await write;
    await cli.close();
    await server.close();
  });

  it('syncs each commit of the store once, however often it reads', async () => {
    let syncs = 0;
    const store = openSqliteStore({
      path: join(tempDir('arbiter-walreview-'), 'a.db'),
      syncWal: async () => {
        syncs++;
      },
    });
    for (let n = 0; n < 20; n++) {
      await store.write((tx) => tx.setMeta(`review.own.${n}`, `${n}`));
      expect(await store.getMeta(`review.own.${n}`)).toBe(`${n}`);
      await store.getMeta('review.own.0');
    }
    await Promise.all([
      store.write((tx) => tx.setMeta('review.own.a', 'a')),
      store.getMeta('review.own.a'),
      store.getMeta('review.own.b'),
    ]);
    expect(syncs).toBe(21);
    await store.close();
  });

  it('syncs once for what another store committed, and not again while nothing more is written', async () => {
    const path = join(tempDir('arbiter-walreview-'), 'a.db');
    let serverSyncs = 0;
    const server = openSqliteStore({
      path,
      syncWal: async () => {
        serverSyncs++;
      },
    });
    const cli = openSqliteStore({ path });
    await cli.write((tx) => tx.setMeta('review.from-cli', 'x'));
    expect(await server.getMeta('review.from-cli')).toBe('x');
    expect(serverSyncs).toBe(1);
    expect(await server.getMeta('review.from-cli')).toBe('x');
    await server.ledger.size();
    expect(serverSyncs).toBe(1);
    await cli.close();
    await server.close();
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
