import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { ArbiterError } from '../../src/core/errors.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { WalSync } from '../../src/store/sqlite/wal-sync.js';
import { manualDisk } from '../helpers/manual-disk.js';
import { tempDir } from '../helpers/temp.js';

// Durable SQLite commits are synced after COMMIT, off the event loop (src/store/sqlite/wal-sync.ts):
// nothing may be answered, announced or read before the sync that covers it has completed, and a
// failed sync stops the store. The disk here is a function the test resolves or fails by hand.

/** Whether a promise has settled, without waiting for it. */
function watch<T>(promise: Promise<T>): { settled: () => boolean } {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  return { settled: () => settled };
}

/** Lets every queued callback and I/O completion run (several turns of the event loop). */
async function drainEventLoop(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
}

/**
 * A WalSync over a file whose reader's data_version the test moves: `commit` is a COMMIT of ours
 * (the version moves, then afterCommit), `otherCommit` one by another process (only the version).
 */
function walOver(disk: { sync: () => Promise<void> }) {
  let version = 1;
  const wal = new WalSync(disk.sync, 'test.db', () => version, version);
  return {
    wal,
    commit: () => {
      version++;
      return wal.afterCommit();
    },
    otherCommit: () => version++,
  };
}

describe('WalSync', () => {
  it('resolves a commit only once a sync that began after it has completed', async () => {
    const disk = manualDisk();
    const { commit: afterCommit } = walOver(disk);
    const commit = watch(afterCommit());
    await drainEventLoop();
    expect(disk.calls).toBe(1);
    expect(commit.settled()).toBe(false);
    disk.finish(0);
    await drainEventLoop();
    expect(commit.settled()).toBe(true);
  });

  it('runs one sync at a time; commits made during one share the next', async () => {
    const disk = manualDisk();
    const { commit } = walOver(disk);
    const first = watch(commit());
    await drainEventLoop();
    const second = commit();
    const third = commit();
    expect(third).toBe(second);
    await drainEventLoop();
    expect(disk.calls).toBe(1);
    disk.finish(0);
    await drainEventLoop();
    expect(first.settled()).toBe(true);
    expect(disk.calls).toBe(2);
    expect(watch(second).settled()).toBe(false);
    disk.finish(1);
    await second;
    expect(disk.mostAtOnce).toBe(1);
  });

  it('has the read barrier wait for the sync that covers the last commit, not only the running one', async () => {
    const disk = manualDisk();
    const { wal, commit } = walOver(disk);
    expect(wal.readable()).toBeUndefined();
    void commit();
    await drainEventLoop();
    void commit(); // committed while the first sync runs
    const read = watch(wal.readable()!);
    disk.finish(0);
    await drainEventLoop();
    expect(read.settled()).toBe(false);
    disk.finish(1);
    await drainEventLoop();
    expect(read.settled()).toBe(true);
    expect(wal.readable()).toBeUndefined();
    expect(disk.calls).toBe(2);
  });

  it('syncs for a read that saw another process commit, once, and joins a sync not yet started', async () => {
    const disk = manualDisk();
    const { wal, commit, otherCommit } = walOver(disk);
    otherCommit();
    const read = watch(wal.readable()!);
    await drainEventLoop();
    expect(disk.calls).toBe(1);
    expect(read.settled()).toBe(false);
    // Our commit and another read of the same version share syncs instead of adding any.
    const ours = commit();
    otherCommit();
    const later = wal.readable();
    expect(later).toBe(ours);
    disk.finish(0);
    await drainEventLoop();
    expect(read.settled()).toBe(true);
    expect(disk.calls).toBe(2);
    disk.finish(1);
    await ours;
    expect(wal.readable()).toBeUndefined();
    expect(disk.calls).toBe(2);
  });

  it('waits for the running sync when it covers what the read saw, without another', async () => {
    const disk = manualDisk();
    const { wal, commit, otherCommit } = walOver(disk);
    const ours = commit();
    await drainEventLoop(); // the sync runs
    const read = wal.readable();
    expect(read).toBe(ours);
    otherCommit(); // after the running sync began: it does not cover this
    const next = watch(wal.readable()!);
    disk.finish(0);
    await drainEventLoop();
    expect(disk.calls).toBe(2);
    expect(next.settled()).toBe(false);
    disk.finish(1);
    await drainEventLoop();
    expect(next.settled()).toBe(true);
  });

  it('fails the commits of a failed sync, and every later commit and read, without syncing again', async () => {
    const disk = manualDisk();
    const { wal, commit } = walOver(disk);
    const first = commit();
    await drainEventLoop();
    const second = commit(); // waits for the next sync, which the failure must also fail
    disk.fail(0);
    // The operator's instructions, as docs/deployment.md (Durability) gives them: a restart alone
    // is not enough, since SQLite would read the WAL back through the page cache.
    const refused = {
      code: 'ARB_ERR_STORE_UNAVAILABLE',
      message:
        'cannot make the SQLite write-ahead log of test.db durable (fdatasync failed: EIO: i/o error, fdatasync); ' +
        'the disk may have lost recent writes. Reboot the machine (or check the disk) before restarting Arbiter: ' +
        'a restart alone can read them back from the page cache (docs/deployment.md, Durability)',
    };
    await expect(first).rejects.toMatchObject(refused);
    await expect(second).rejects.toMatchObject(refused);
    await expect(commit()).rejects.toMatchObject(refused);
    await expect(wal.readable()).rejects.toMatchObject(refused);
    expect(wal.failed).toBeInstanceOf(ArbiterError);
    await drainEventLoop();
    expect(disk.calls).toBe(1);
  });
});

describe('the durable SQLite store', () => {
  const open = (syncWal: () => Promise<void>, durable = true) =>
    openSqliteStore({ path: join(tempDir('arbiter-walsync-'), 'a.db'), durable, syncWal });

  it('answers a write and announces its decision only after the sync of its commit', async () => {
    const disk = manualDisk();
    const store = open(disk.sync);
    const announced: string[] = [];
    store.onDecisionChanged((id) => announced.push(id));
    const write = store.write(async (tx) => {
      await tx.setMeta('walsync.test', 'written');
      await tx.decisionChanged('dec_1');
      return 'done';
    });
    const answered = watch(write);
    await vi.waitFor(() => expect(disk.calls).toBe(1)); // committed, sync under way
    await drainEventLoop();
    expect(answered.settled()).toBe(false);
    expect(announced).toEqual([]);
    disk.finish(0);
    expect(await write).toBe('done');
    expect(announced).toEqual(['dec_1']);
    await store.close();
  });

  it('makes a read that starts before the sync of a commit wait for it', async () => {
    const disk = manualDisk();
    const store = open(disk.sync);
    const write = store.write((tx) => tx.setMeta('walsync.test', 'written'));
    await vi.waitFor(() => expect(disk.calls).toBe(1));
    const read = store.getMeta('walsync.test');
    const ledgerRead = store.ledger.entries(0, 1);
    const readWatch = watch(read);
    const ledgerWatch = watch(ledgerRead);
    await drainEventLoop();
    expect(readWatch.settled()).toBe(false);
    expect(ledgerWatch.settled()).toBe(false);
    disk.finish(0);
    await write;
    expect(await read).toBe('written');
    await ledgerRead;
    await store.close();
  });

  it('fails the writers of a failed sync, announces nothing, and refuses later writes and reads', async () => {
    const disk = manualDisk();
    const store = open(disk.sync);
    const announced: string[] = [];
    store.onDecisionChanged((id) => announced.push(id));
    const write = store.write(async (tx) => {
      await tx.setMeta('walsync.test', 'written');
      await tx.decisionChanged('dec_1');
    });
    await vi.waitFor(() => expect(disk.calls).toBe(1));
    const queued = store.write((tx) => tx.setMeta('walsync.later', 'x')); // waits behind the failed batch
    disk.fail(0);
    const refused = {
      code: 'ARB_ERR_STORE_UNAVAILABLE',
      message: expect.stringContaining('Reboot the machine'),
    };
    await expect(write).rejects.toMatchObject(refused);
    await expect(queued).rejects.toMatchObject(refused);
    await expect(store.write((tx) => tx.setMeta('walsync.after', 'x'))).rejects.toMatchObject(refused);
    await expect(store.getMeta('walsync.test')).rejects.toMatchObject(refused);
    expect(announced).toEqual([]);
    expect(disk.calls).toBe(1);
    await store.close();
  });

  it('never syncs when not durable', async () => {
    const disk = manualDisk();
    const store = open(disk.sync, false);
    await store.write((tx) => tx.setMeta('walsync.test', 'written'));
    expect(await store.getMeta('walsync.test')).toBe('written');
    expect(disk.calls).toBe(0);
    await store.close();
  });

  it('syncs the -wal file for real by default, and the data is there after reopening', async () => {
    const path = join(tempDir('arbiter-walsync-'), 'a.db');
    const store = openSqliteStore({ path });
    await Promise.all([1, 2, 3].map((n) => store.write((tx) => tx.setMeta(`walsync.${n}`, `${n}`))));
    expect(await store.getMeta('walsync.3')).toBe('3');
    await store.close();
    const reopened = openSqliteStore({ path });
    expect(await reopened.getMeta('walsync.2')).toBe('2');
    await reopened.close();
  });
});
