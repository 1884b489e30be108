import { beforeAll, describe, expect, it } from 'vitest';
import { type LedgerAppend, MerkleLog, rootHash } from '../../src/ledger/index.js';
import {
  holdLockWhileAppending,
  postgresAvailable,
  postgresTestDatabase,
  untilLockAwaited,
} from '../helpers/postgres.js';
import { deployBot } from '../helpers/system-row.js';
import { hex } from '../ledger/reference.js';

// Attack review of branch pgfront (issue 22): the tail and the frontier are trusted because they are
// read after the ledger lock is granted. That holds only if each statement takes its own snapshot
// (READ COMMITTED). A database whose default_transaction_isolation is repeatable read takes the
// transaction's snapshot at the lock statement, before the lock is granted: the tail and frontier
// then miss what the replica holding the lock committed.

const hasPostgres = await postgresAvailable();

const clock = () => new Date('2026-12-07T02:00:00Z');
const notes = (from: number, count: number): LedgerAppend[] =>
  Array.from({ length: count }, (_, i) => ({
    type: 'note.added',
    actor: 'test',
    subject: `note-${from + i}`,
    data: { n: from + i },
  }));

describe.skipIf(!hasPostgres)('a database whose default isolation is repeatable read', () => {
  const db = postgresTestDatabase();

  beforeAll(async () => {
    const { rows } = await db.client.query('SELECT current_database() AS name');
    await db.client.query(
      `ALTER DATABASE ${rows[0].name} SET default_transaction_isolation TO 'repeatable read'`,
    );
  });

  it('an append that waited for the lock builds on what the holder committed', async () => {
    const replicas = [];
    for (let i = 0; i < 2; i++)
      replicas.push({ store: await db.open(), log: new MerkleLog({ origin: 'test', clock }) });
    const [a, b] = replicas as [(typeof replicas)[0], (typeof replicas)[0]];
    await a.store.write((tx) => tx.upsertSystem(deployBot));
    await a.store.write((tx) => a.log.append(tx.ledger, notes(0, 1)), { systems: ['deploy-bot'] });
    await b.store.write((tx) => b.log.append(tx.ledger, notes(1, 1)), { systems: ['deploy-bot'] });
    // B appends and holds the lock while A's BEGIN waits for it.
    const bHolds = await holdLockWhileAppending(b, notes(10, 5));
    const aWrite = a.store
      .write((tx) => a.log.append(tx.ledger, notes(100, 3)), { systems: ['deploy-bot'] })
      .then(
        () => 'appended',
        (error: Error & { code?: string }) => `${error.code}: ${error.message}`,
      );
    await untilLockAwaited(db.client);
    await bHolds.release();
    expect(await aWrite).toBe('appended');
    const size = await a.store.ledger.size();
    expect(size).toBe(10);
    const leaves = (await a.store.ledger.entryBytes(0, size)).map((e) => e.leafHash);
    expect(hex((await a.log.root(a.store.ledger)).root)).toBe(hex(rootHash(leaves)));
  });
});
