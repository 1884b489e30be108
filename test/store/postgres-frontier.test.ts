import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { type LedgerAppend, MerkleLog, rangeNodes, rootHash } from '../../src/ledger/index.js';
import { pgNodes, tailFrom, tailStatement } from '../../src/store/postgres/ledger.js';
import { ledgerLockKey, type PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { queryWith, roundTripsDuring } from '../helpers/pg-query.js';
import {
  holdLockWhileAppending,
  postgresAvailable,
  postgresTestDatabase,
  untilLockAwaited,
} from '../helpers/postgres.js';
import { deployBot } from '../helpers/system-row.js';
import { hex } from '../ledger/reference.js';

/**
 * Two replicas on one ledger (issue 22): a replica whose cached frontier is stale because the other
 * appended reads the frontier in BEGIN's round trip, after the ledger lock, with the tail — so its
 * batch takes two round trips like any other (before: four, the frontier's leaves and nodes each in
 * a round trip of their own under the lock). Counted, not timed.
 */
const hasPostgres = await postgresAvailable();

const clock = () => new Date('2026-12-07T02:00:00Z');
const note = (n: number): LedgerAppend => ({
  type: 'note.added',
  actor: 'test',
  subject: `note-${n}`,
  data: { n },
});
const notes = (from: number, count: number) => Array.from({ length: count }, (_, i) => note(from + i));

/** A replica: its store and its own log (each replica's log caches its own frontier). */
interface Replica {
  store: PostgresStore;
  log: MerkleLog;
}

/** Appends `items` through `replica` as a decision would: with a read-ahead, so BEGIN goes with it. */
function append({ store, log }: Replica, items: LedgerAppend[]) {
  return store.write((tx) => log.append(tx.ledger, items), { systems: ['deploy-bot'] });
}

async function expectRfcRoot(replica: Replica): Promise<void> {
  const { store, log } = replica;
  const size = await store.ledger.size();
  const leaves = (await store.ledger.entryBytes(0, size)).map((e) => e.leafHash);
  expect(hex((await log.root(store.ledger)).root), `root at ${size}`).toBe(hex(rootHash(leaves)));
}

describe.skipIf(!hasPostgres)('the ledger frontier read with BEGIN', () => {
  const db = postgresTestDatabase();

  async function replica(options: { pgQuery?: typeof pg.Query } = {}): Promise<Replica> {
    // The fallback's warning at open is tested in postgres-round-trips.test.ts.
    return { store: await db.open(options), log: new MerkleLog({ origin: 'test', clock }) };
  }

  it('equals the nodes read one by one at every size, through a tree growing levels; NULL when the tail is the one seen', async () => {
    const writer = await replica();
    await writer.store.write((tx) => tx.upsertSystem(deployBot));
    const nodes = pgNodes(db.client);
    const sizes: number[] = [];
    for (let size = 0; size <= 1100; size += size < 70 ? 1 : 37) sizes.push(size);
    let size = 0;
    for (const target of sizes) {
      if (target > size) await append(writer, notes(size, target - size));
      size = target;
      const { rows } = await db.client.query(tailStatement(undefined));
      const tail = tailFrom(rows[0]);
      expect(tail.size).toBe(size);
      const ids = rangeNodes(0, size);
      const oneByOne = size === 0 ? [] : await nodes(ids);
      expect(tail.frontier?.map(hex) ?? [], `size ${size}`).toEqual(oneByOne.map(hex));
      if (size === 0) continue;
      // The tail this replica saw: nothing more to read. The same size with another last leaf: read.
      const seen = { size, lastLeaf: tail.lastLeaf };
      expect((await db.client.query(tailStatement(seen))).rows[0].frontier).toBeNull();
      const other = { size, lastLeaf: new Uint8Array(32) };
      expect(tailFrom((await db.client.query(tailStatement(other))).rows[0]).frontier?.map(hex)).toEqual(
        oneByOne.map(hex),
      );
    }
  });

  it('a missing node fails only the append, as reading it alone did, not the batch it began', async () => {
    const a = await replica();
    const b = await replica();
    await append(a, notes(2000, 1));
    await append(b, notes(2001, 6));
    const size = await a.store.ledger.size();
    const inner = rangeNodes(0, size).find((id) => id.level > 0)!;
    const { rows: saved } = await db.client.query(
      'SELECT hash FROM ledger_nodes WHERE level = $1 AND idx = $2',
      [inner.level, inner.index],
    );
    await db.client.query('DELETE FROM ledger_nodes WHERE level = $1 AND idx = $2', [
      inner.level,
      inner.index,
    ]);
    try {
      const { rows } = await db.client.query(tailStatement(undefined));
      const tail = tailFrom(rows[0]);
      expect([tail.size, tail.frontier]).toEqual([size, undefined]);
      // A's log is stale (B appended): its append fails on the node, the other job of its batch commits.
      const [appended, other] = await Promise.allSettled([
        append(a, notes(3000, 1)),
        a.store.write((tx) => tx.setMeta('frontier.missing', 'committed')),
      ]);
      expect(appended).toMatchObject({
        status: 'rejected',
        reason: { message: `ledger node (${inner.level}, ${inner.index}) is missing` },
      });
      expect(other.status).toBe('fulfilled');
      expect(await a.store.getMeta('frontier.missing')).toBe('committed');
      expect(await a.store.ledger.size()).toBe(size);
    } finally {
      await db.client.query('INSERT INTO ledger_nodes (level, idx, hash) VALUES ($1, $2, $3)', [
        inner.level,
        inner.index,
        saved[0].hash,
      ]);
    }
    await append(a, notes(3000, 1));
    await expectRfcRoot(a);
  });

  for (const [label, pgQuery, roundTrips] of [
    ['pinned node-postgres', undefined, 2],
    // BEGIN's read-ahead and COMMIT's writes each in a round trip of their own; the frontier still with BEGIN.
    ['node-postgres without the internals the one-round-trip paths use', queryWith('_getRows', undefined), 4],
  ] as const) {
    it(`two replicas appending in turn: each batch after the other's appends takes ${roundTrips} round trips and builds the RFC 6962 tree (${label})`, async () => {
      const a = await replica({ pgQuery });
      const b = await replica({ pgQuery });
      let next = (await a.store.ledger.size()) + 1;
      // Each has appended once: what each log caches is the tail it saw.
      await append(a, [note(next++)]);
      await append(b, [note(next++)]);
      // Sizes that cross powers of two, one appending many entries at once (the tree grows levels).
      for (const [turn, count] of [
        [a, 1],
        [b, 3],
        [a, 2],
        [b, 100],
        [a, 5],
        [b, 1],
        [a, 300],
        [b, 1],
        [a, 1],
      ] as const) {
        const sent = await roundTripsDuring(() => append(turn, notes(next, count)));
        next += count;
        expect(sent, sent.join('\n')).toHaveLength(roundTrips);
        // The other replica appended since this one last did: the tail is not the one it saw.
        expect(sent[0]).toMatch(/CASE WHEN t\.seq = \d+ AND t\.leaf_hash = decode\('[0-9a-f]{64}', 'hex'\)/);
        expect(sent.some((text) => /ledger_nodes n JOIN unnest|seq = ANY/.test(text))).toBe(false);
        await expectRfcRoot(turn);
      }
      // The same replica again: BEGIN names the tail it left, so the frontier is not read (NULL, above).
      const size = await a.store.ledger.size();
      const [last] = await a.store.ledger.entries(size - 1, size);
      const again = await roundTripsDuring(() => append(a, notes(next++, 1)));
      expect(again).toHaveLength(roundTrips);
      expect(again[0]).toContain(
        `t.seq = ${size - 1} AND t.leaf_hash = decode('${hex(last!.leafHash)}', 'hex')`,
      );
      await expectRfcRoot(a);
    });
  }

  it('appends committed by the other replica while this one waits for the lock are read after it: no seq taken twice', async () => {
    const a = await replica();
    const b = await replica();
    await append(a, [note(0)]);
    await append(b, [note(1)]);
    await append(a, [note(2)]);
    // B appends and holds the lock (its batch open) while A's BEGIN is sent and waits for it.
    const bHolds = await holdLockWhileAppending(b, notes(10, 40));
    const aSent = roundTripsDuring(async () => {
      const aWrite = append(a, notes(100, 3));
      await untilLockAwaited(db.client);
      await bHolds.release();
      return aWrite;
    });
    const sent = await aSent;
    const aRoundTrips = sent.filter((text) => !text.includes('pg_locks'));
    // A's BEGIN (its frontier read then, under the lock) and its writes with COMMIT; B's COMMIT-with-writes.
    expect(aRoundTrips.filter((text) => text.startsWith('BEGIN'))).toHaveLength(1);
    expect(aRoundTrips.filter((text) => /seq = ANY|ledger_nodes n JOIN/.test(text))).toEqual([]);
    const size = await a.store.ledger.size();
    const entries = await a.store.ledger.entries(size - 3, size);
    expect(entries.map((e) => e.subject)).toEqual(['note-100', 'note-101', 'note-102']);
    expect((await a.store.ledger.entries(size - 43, size - 3)).map((e) => e.subject)).toEqual(
      notes(10, 40).map((n) => n.subject),
    );
    await expectRfcRoot(a);
    // Nothing is left waiting: the lock is free.
    const { rows } = await db.client.query(`SELECT pg_try_advisory_xact_lock(${ledgerLockKey}) AS free`);
    expect(rows[0].free).toBe(true);
  });
});
