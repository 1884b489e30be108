import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openLedger } from '../../src/app/ledger/ledger.js';
import { LedgerProver } from '../../src/app/ledger/proofs.js';
import { generateSigner, parseSignerKey, signCheckpoint } from '../../src/ledger/index.js';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { tempDir } from '../helpers/temp.js';

const dir = tempDir('arbiter-proofs-');
let count = 0;
let open: SqliteStore | undefined;
afterEach(async () => {
  await open?.close();
  open = undefined;
});

/** A ledger of `size` entries with a checkpoint after `checkpointAt` of them. */
async function ledgerOf(size: number, checkpointAt: number | undefined) {
  const path = join(dir, `proofs-${count++}.db`);
  const keyPath = join(dir, `proofs-${count}.key`);
  const store = openSqliteStore({ path });
  open = store;
  const ledger = await openLedger(store, { keyPath });
  for (let i = 0; i < size; i++) {
    await store.write((tx) =>
      ledger.log.append(tx.ledger, [
        { type: 'note.added', actor: 'test', subject: `note-${i}`, data: { i } },
      ]),
    );
    if (i + 1 === checkpointAt) await store.write((tx) => ledger.log.checkpoint(tx.ledger));
  }
  return { store, ledger, path, keyPath };
}

describe('proving ledger entries for a trace', () => {
  it('proves every entry up to the checkpoint; later ones wait for the next checkpoint', async () => {
    const { ledger } = await ledgerOf(7, 5);
    const prover = await LedgerProver.latest(ledger);
    expect(prover.checkpoint).toMatchObject({ size: 5, signatureValid: true, origin: ledger.origin });
    for (let i = 0; i < 5; i++) {
      const { proof } = await prover.prove(i);
      expect(proof).toMatchObject({
        index: i,
        type: 'note.added',
        treeSize: 5,
        verified: true,
        status: 'verified',
      });
    }
    expect((await prover.prove(5)).proof).toMatchObject({ status: 'after-checkpoint', verified: false });
    expect((await prover.prove(99)).proof).toMatchObject({ status: 'missing', verified: false });
  });

  it('without a checkpoint nothing is proven', async () => {
    const { ledger } = await ledgerOf(2, undefined);
    const prover = await LedgerProver.latest(ledger);
    expect(prover.checkpoint).toBeNull();
    expect((await prover.prove(0)).proof.status).toBe('no-checkpoint');
  });

  it('an entry that is not what the record claims fails its claim', async () => {
    const { ledger } = await ledgerOf(3, 3);
    const prover = await LedgerProver.latest(ledger);
    expect(await prover.proveClaim(1, { type: 'note.added', subject: 'note-1' })).toMatchObject({
      verified: true,
    });
    const wrong = await prover.proveClaim(1, { type: 'decision.created', subject: 'dec_x' });
    expect(wrong).toMatchObject({ verified: false, status: 'failed' });
    expect(wrong.problem).toContain('is note.added about note-1, not decision.created about dec_x');
  });

  it('an altered entry fails: its leaf hash is recomputed from its bytes, not read from the database', async () => {
    const { path, keyPath } = await ledgerOf(4, 4);
    await open!.close();
    const db = new Database(path);
    const [row] = db.prepare('SELECT entry FROM ledger_entries WHERE seq = 2').all() as { entry: Buffer }[];
    const altered = Buffer.from(row!.entry.toString('utf8').replace('"i":2', '"i":7'));
    db.prepare('UPDATE ledger_entries SET entry = ? WHERE seq = 2').run(altered);
    db.close();
    const store = openSqliteStore({ path });
    open = store;
    const prover = await LedgerProver.latest(await openLedger(store, { keyPath }));
    expect((await prover.prove(1)).proof.verified).toBe(true);
    expect((await prover.prove(2)).proof).toMatchObject({ verified: false, status: 'failed' });
  });

  it('a checkpoint signed by another key proves nothing', async () => {
    const { store, ledger } = await ledgerOf(2, undefined);
    const stranger = parseSignerKey(generateSigner(ledger.origin).signerKey);
    const { root } = await ledger.log.root(store.ledger);
    await store.write((tx) =>
      tx.ledger.insertCheckpoint({
        size: 2,
        root,
        note: signCheckpoint({ origin: ledger.origin, size: 2, root }, stranger),
        createdAt: new Date().toISOString(),
      }),
    );
    const prover = await LedgerProver.latest(ledger);
    expect(prover.checkpoint?.signatureValid).toBe(false);
    expect((await prover.prove(0)).proof).toMatchObject({ verified: false, status: 'failed' });
  });
});
