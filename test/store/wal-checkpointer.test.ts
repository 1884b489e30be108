import { statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { type CheckpointPass, startWalCheckpointer } from '../../src/store/sqlite/wal-checkpointer.js';
import { eventually } from '../helpers/raw-http.js';
import { tempDir } from '../helpers/temp.js';

/** A writer as the store opens it, with SQLite's automatic checkpoints off. */
function writerWithoutAutocheckpoint(path: string) {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('wal_autocheckpoint = 0');
  db.exec('CREATE TABLE IF NOT EXISTS rows (id INTEGER PRIMARY KEY, body BLOB NOT NULL)');
  const insert = db.prepare('INSERT INTO rows (body) VALUES (?)');
  const writeMany = db.transaction((count: number) => {
    for (let i = 0; i < count; i++) insert.run(Buffer.alloc(4096, i % 251));
  });
  return { db, writeMany };
}

describe('the SQLite checkpoint thread', () => {
  it('copies the whole log into the database file, and the writer then reuses the log from its start', async () => {
    const path = join(tempDir(), 'wal.db');
    const { db, writeMany } = writerWithoutAutocheckpoint(path);
    const passes: CheckpointPass[] = [];
    const errors: Error[] = [];
    const checkpointer = startWalCheckpointer(path, {
      everyMs: 20,
      onFailure: (error) => errors.push(error),
      onPass: (pass) => passes.push(pass),
    });
    try {
      writeMany(2_000);
      const walAfterFirst = statSync(`${path}-wal`).size;
      expect(walAfterFirst).toBeGreaterThan(2_000 * 4096);
      await eventually(
        () => passes.some((pass) => pass.log > 2_000 && pass.checkpointed === pass.log),
        'a pass that copied the whole log',
      );
      // With the log fully copied, SQLite starts it again at the next commit instead of growing it.
      for (let round = 0; round < 3; round++) {
        const seen = passes.length;
        writeMany(500);
        await eventually(
          () => passes.slice(seen).some((pass) => pass.checkpointed === pass.log),
          `the log is copied again after round ${round}`,
        );
      }
      expect(statSync(`${path}-wal`).size).toBe(walAfterFirst);
      expect(errors).toEqual([]);
    } finally {
      await checkpointer.stop();
      db.close();
    }
    const reopened = new Database(path, { readonly: true });
    expect(reopened.prepare('SELECT count(*) AS n FROM rows').get()).toEqual({ n: 3_500 });
    reopened.close();
  });

  it('says when its thread fails, so the caller can turn automatic checkpoints back on', async () => {
    const errors: Error[] = [];
    const checkpointer = startWalCheckpointer(join(tempDir(), 'no', 'such', 'dir', 'x.db'), {
      onFailure: (error) => errors.push(error),
    });
    await eventually(() => errors.length === 1, 'the failure is reported');
    expect(errors[0]!.message).toMatch(/unable to open database file|directory does not exist/);
    await checkpointer.stop();
  });

  it('a store with the thread keeps what it acknowledged across close and reopen', async () => {
    const path = join(tempDir(), 'store.db');
    const warnings: string[] = [];
    const store = openSqliteStore({ path, checkpointThread: { warn: (message) => warnings.push(message) } });
    for (let i = 0; i < 200; i++) await store.write((tx) => tx.setMeta(`probe-${i}`, 'x'.repeat(8_000)));
    await store.close();
    expect(warnings).toEqual([]);
    // Closing stopped the thread: nothing keeps the log open, and another connection reads it all.
    const again = openSqliteStore({ path });
    expect(await again.getMeta('probe-199')).toBe('x'.repeat(8_000));
    await again.close();
  });
});
