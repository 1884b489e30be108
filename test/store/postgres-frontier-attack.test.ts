import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { storeAuditSource } from '../../src/app/ledger/export.js';
import { openLedger } from '../../src/app/ledger/ledger.js';
import { auditLedger } from '../../src/ledger/audit.js';
import { type LedgerAppend, parseVerifierKey, rangeNodes, rootHash } from '../../src/ledger/index.js';
import { pgNodes, tailFrom, tailStatement } from '../../src/store/postgres/ledger.js';
import { queryWith } from '../helpers/pg-query.js';
import { postgresAvailable, postgresTestDatabase } from '../helpers/postgres.js';
import { seeded } from '../helpers/seeded.js';
import { deployBot } from '../helpers/system-row.js';
import { hex } from '../ledger/reference.js';

// Attack review of branch pgfront (issue 22): the frontier read in BEGIN's round trip must name the
// same nodes as the log reading them itself at every size, not only those a log reaches in a test,
// and replicas appending at once must leave a ledger that verifies, checkpoints included.

const hasPostgres = await postgresAvailable();

/** A hash naming its node, so a node read at a wrong place shows as the wrong name, not as NULL. */
const nodeHash = (level: number, index: number) => createHash('sha256').update(`${level}/${index}`).digest();

describe.skipIf(!hasPostgres)('the frontier read with BEGIN, attacked', () => {
  const db = postgresTestDatabase();
  // Create the schema.
  beforeAll(async () => {
    await db.open();
  });

  it('names the nodes rangeNodes names at 2^k - 1, 2^k and 2^k + 1 for every k up to 2^53, among decoys', async () => {
    const sizes = new Set<number>([1, 2, 3, Number.MAX_SAFE_INTEGER]);
    for (let k = 1; k <= 52; k++) for (const d of [-1, 0, 1]) sizes.add(2 ** k + d);
    const random = seeded(22);
    for (let i = 0; i < 40; i++) sizes.add(1 + Math.floor(random() * 2 ** (1 + Math.floor(random() * 52))));
    const nodes = pgNodes(db.client);
    for (const size of [...sizes].sort((a, b) => a - b)) {
      await db.client.query('DELETE FROM ledger_nodes');
      await db.client.query('DELETE FROM ledger_entries');
      const ids = rangeNodes(0, size);
      const inner = ids.filter((id) => id.level > 0);
      // Neighbours of every frontier node at its level and the levels beside it, with other hashes.
      const rows = new Map<string, [number, number]>();
      for (const { level, index } of inner)
        for (const [l, i] of [
          [level, index],
          [level, index + 1],
          [level, index - 1],
          [level + 1, Math.floor(index / 2)],
          [level - 1, index * 2 + 1],
          [level - 1, index * 2 + 2],
        ] as const)
          if (l > 0 && i >= 0) rows.set(`${l}/${i}`, [l, i]);
      const all = [...rows.values()];
      await db.client.query(
        'INSERT INTO ledger_nodes (level, idx, hash) SELECT * FROM unnest($1::int[], $2::bigint[], $3::bytea[])',
        [all.map(([l]) => l), all.map(([, i]) => i), all.map(([l, i]) => nodeHash(l, i))],
      );
      await db.client.query(
        "INSERT INTO ledger_entries (seq, time, type, actor, subject, entry, leaf_hash) VALUES ($1, 't', 't', 'a', 's', '\\x00', $2)",
        [size - 1, nodeHash(0, size - 1)],
      );
      const tail = tailFrom((await db.client.query(tailStatement(undefined))).rows[0]);
      expect(tail.size, `size ${size}`).toBe(size);
      const expected = ids.map(({ level, index }) => hex(nodeHash(level, index)));
      expect(tail.frontier?.map(hex), `size ${size}`).toEqual(expected);
      expect((await nodes(ids)).map(hex), `size ${size}`).toEqual(expected);
      // A tail seen at this size with this leaf: nothing read.
      const seen = { size, lastLeaf: nodeHash(0, size - 1) };
      expect((await db.client.query(tailStatement(seen))).rows[0].frontier).toBeNull();
    }
    await db.client.query('DELETE FROM ledger_nodes');
    await db.client.query('DELETE FROM ledger_entries');
  });

  it('three replicas appending and checkpointing at once, one without the node-postgres internals, leave a ledger that verifies', async () => {
    const keyPath = join(mkdtempSync(join(tmpdir(), 'arbiter-attack5-')), 'ledger.key');
    const replicas = [];
    for (const pgQuery of [undefined, undefined, queryWith('_getRows', undefined)]) {
      replicas.push(await openLedger(await db.open({ pgQuery }), { keyPath }));
    }
    await replicas[0]!.store.write((tx) => tx.upsertSystem(deployBot));
    const random = seeded(5);
    let n = 0;
    const items = (count: number): LedgerAppend[] =>
      Array.from({ length: count }, () => ({
        type: 'note.added',
        actor: 'test',
        subject: `note-${n}`,
        data: { n: n++ },
      }));
    const jobs: Promise<unknown>[] = [];
    const refused: Promise<string | undefined>[] = [];
    for (let round = 0; round < 40; round++) {
      for (const { store, log } of replicas) {
        // Several jobs per batch: with read-ahead, without, one whose read-ahead PostgreSQL refuses
        // (the batch runs again without read-ahead), and checkpoints.
        const roll = random();
        const appended = items(1 + Math.floor(random() * (round % 7 === 0 ? 70 : 5)));
        jobs.push(
          roll < 0.5
            ? store.write((tx) => log.append(tx.ledger, appended), { systems: ['deploy-bot'] })
            : store.write((tx) => log.append(tx.ledger, appended)),
        );
        if (random() < 0.15) jobs.push(store.write((tx) => log.checkpoint(tx.ledger)));
        if (random() < 0.1)
          refused.push(
            store
              .write(async (tx) => tx.getSystem('nul\u0000bot'), { systems: ['nul\u0000bot'] })
              .then(
                () => 'answered',
                (error: { code?: string }) => error.code,
              ),
          );
      }
      if (round % 5 === 4) await Promise.all(jobs);
    }
    await Promise.all(jobs);
    for (const outcome of await Promise.all(refused)) expect(outcome).toBe('22021');
    expect(refused.length).toBeGreaterThan(0);
    const [{ store, log }] = replicas as [(typeof replicas)[0]];
    await store.write((tx) => log.checkpoint(tx.ledger));
    const size = await store.ledger.size();
    expect(size).toBe(n);
    const entries = await store.ledger.entries(0, size);
    expect(new Set(entries.map((e) => e.subject)).size).toBe(n);
    const leaves = (await store.ledger.entryBytes(0, size)).map((e) => e.leafHash);
    for (const replica of replicas)
      expect(hex((await replica.log.root(replica.store.ledger)).root)).toBe(hex(rootHash(leaves)));
    const checkpoints = await store.ledger.checkpoints();
    expect(checkpoints.length).toBeGreaterThan(3);
    for (const checkpoint of checkpoints)
      expect(hex(checkpoint.root), `checkpoint at ${checkpoint.size}`).toBe(
        hex(rootHash(leaves.slice(0, checkpoint.size))),
      );
    const report = await auditLedger(storeAuditSource(replicas[1]!), {
      verifiers: [parseVerifierKey(replicas[1]!.verifierKey)],
      origin: replicas[1]!.origin,
    });
    expect(report.problem).toBeUndefined();
    expect(report).toMatchObject({ ok: true, entries: size, uncheckpointed: 0 });
  });
});
