import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LedgerAppend, MerkleLog, rootHash } from '../../src/ledger/index.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { createTestDatabase, postgresAvailable } from '../helpers/postgres.js';
import { systemRow } from '../helpers/system-row.js';
import { hex } from '../ledger/reference.js';

// Attack review of branch pgfront (issue 22): the tail and the frontier are trusted because they are
// read after the ledger lock is granted. That holds only if each statement takes its own snapshot
// (READ COMMITTED). A database whose default_transaction_isolation is repeatable read takes the
// transaction's snapshot at the lock statement, before the lock is granted: the tail and frontier
// then miss what the replica holding the lock committed.

const hasPostgres = await postgresAvailable();

const system = systemRow({
  owner: { team: 'platform', person: 'dana' },
  onCall: { team: 'oncall' },
  autonomy: 2,
  riskTier: 'high',
});
const clock = () => new Date('2026-12-07T02:00:00Z');
const notes = (from: number, count: number): LedgerAppend[] =>
  Array.from({ length: count }, (_, i) => ({
    type: 'note.added',
    actor: 'test',
    subject: `note-${from + i}`,
    data: { n: from + i },
  }));

describe.skipIf(!hasPostgres)('a database whose default isolation is repeatable read', () => {
  let url: string;
  let client: pg.Client;
  const stores: PostgresStore[] = [];

  beforeAll(async () => {
    url = await createTestDatabase();
    client = new pg.Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query('SELECT current_database() AS name');
    await client.query(
      `ALTER DATABASE ${rows[0].name} SET default_transaction_isolation TO 'repeatable read'`,
    );
  });
  afterAll(async () => {
    for (const store of stores) await store.close();
    await client?.end();
  });

  it('an append that waited for the lock builds on what the holder committed', async () => {
    const replicas = [];
    for (let i = 0; i < 2; i++) {
      const store = await PostgresStore.open({ url, logger: { warn() {}, error() {} } });
      stores.push(store);
      replicas.push({ store, log: new MerkleLog({ origin: 'test', clock }) });
    }
    const [a, b] = replicas as [(typeof replicas)[0], (typeof replicas)[0]];
    await a.store.write((tx) => tx.upsertSystem(system));
    await a.store.write((tx) => a.log.append(tx.ledger, notes(0, 1)), { systems: ['deploy-bot'] });
    await b.store.write((tx) => b.log.append(tx.ledger, notes(1, 1)), { systems: ['deploy-bot'] });
    // B appends and holds the lock while A's BEGIN waits for it.
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    let appended: () => void = () => {};
    const bAppended = new Promise<void>((resolve) => (appended = resolve));
    const bWrite = b.store.write(
      async (tx) => {
        await b.log.append(tx.ledger, notes(10, 5));
        appended();
        await held;
      },
      { systems: ['deploy-bot'] },
    );
    await bAppended;
    const aWrite = a.store
      .write((tx) => a.log.append(tx.ledger, notes(100, 3)), { systems: ['deploy-bot'] })
      .then(
        () => 'appended',
        (error: Error & { code?: string }) => `${error.code}: ${error.message}`,
      );
    for (;;) {
      const { rows } = await client.query(
        "SELECT count(*)::int AS waiting FROM pg_locks WHERE locktype = 'advisory' AND NOT granted",
      );
      if (rows[0].waiting > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    release();
    await bWrite;
    expect(await aWrite).toBe('appended');
    const size = await a.store.ledger.size();
    expect(size).toBe(10);
    const leaves = (await a.store.ledger.entryBytes(0, size)).map((e) => e.leafHash);
    expect(hex((await a.log.root(a.store.ledger)).root)).toBe(hex(rootHash(leaves)));
  });
});
