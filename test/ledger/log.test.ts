import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { storeAuditSource } from '../../src/app/ledger/export.js';
import { type Ledger, openLedger } from '../../src/app/ledger/ledger.js';
import {
  auditLedger,
  consistencyProof,
  inclusionProof,
  type LedgerAppend,
  type LedgerWriter,
  MerkleLog,
  openCheckpoint,
  parseVerifierKey,
  rangeNodes,
  rootHash,
  verifyConsistency,
  verifyInclusion,
} from '../../src/ledger/index.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { tempDir } from '../helpers/temp.js';
import { hex } from './reference.js';

const dir = tempDir('arbiter-log-');
let counter = 0;
let store: Store;
let ledger: Ledger;
const fixedClock = () => new Date('2026-11-23T12:00:00Z');

const note = (n: number): LedgerAppend => ({
  type: 'note.added',
  actor: 'test',
  subject: `note-${n}`,
  data: { n },
});

beforeEach(async () => {
  counter++;
  store = openSqliteStore({ path: join(dir, `log-${counter}.db`) });
  ledger = await openLedger(store, { keyPath: join(dir, `key-${counter}`), clock: fixedClock });
});
afterEach(async () => {
  await store.close();
});

async function append(items: LedgerAppend[]) {
  return store.write((tx) => ledger.log.append(tx.ledger, items));
}

async function allLeafHashes() {
  const size = await store.ledger.size();
  return (await store.ledger.entries(0, size)).map((entry) => entry.leafHash);
}

describe('MerkleLog on SQLite', () => {
  it('numbers entries densely from 0 and stores the exact hashed bytes', async () => {
    const first = await append([note(0), note(1)]);
    const second = await append([note(2)]);
    expect([...first, ...second].map((entry) => entry.seq)).toEqual([0, 1, 2]);
    const [stored] = await store.ledger.entries(0, 1);
    expect(JSON.parse(Buffer.from(stored!.bytes).toString())).toEqual({
      v: 1,
      seq: 0,
      time: '2026-11-23T12:00:00.000Z',
      type: 'note.added',
      actor: 'test',
      subject: 'note-0',
      data: { n: 0 },
    });
  });

  it('keeps the root and every proof equal to the RFC computation as it grows, at every size', async () => {
    for (let size = 1; size <= 70; size++) {
      await append([note(size)]);
      const leaves = await allLeafHashes();
      const { root } = await ledger.log.root(store.ledger);
      expect(hex(root)).toBe(hex(rootHash(leaves)));
    }
    const leaves = await allLeafHashes();
    for (const treeSize of [1, 2, 7, 32, 33, 64, 70]) {
      const { root } = await ledger.log.root(store.ledger, treeSize);
      for (const index of [0, Math.floor(treeSize / 2), treeSize - 1]) {
        const proof = await ledger.log.inclusionProof(store.ledger, index, treeSize);
        expect(proof.map(hex)).toEqual(inclusionProof(leaves.slice(0, treeSize), index).map(hex));
        expect(verifyInclusion(leaves[index]!, index, treeSize, proof, root)).toBe(true);
      }
      for (const oldSize of [0, 1, Math.floor(treeSize / 3), treeSize]) {
        const proof = await ledger.log.consistencyProof(store.ledger, oldSize, treeSize);
        expect(proof.map(hex)).toEqual(consistencyProof(leaves.slice(0, treeSize), oldSize).map(hex));
        const oldRoot = (await ledger.log.root(store.ledger, oldSize)).root;
        expect(verifyConsistency(oldSize, treeSize, proof, oldRoot, root)).toBe(true);
      }
    }
  });

  it('refuses proofs outside the log', async () => {
    await append([note(0), note(1)]);
    await expect(ledger.log.inclusionProof(store.ledger, 2, 2)).rejects.toThrow(RangeError);
    await expect(ledger.log.inclusionProof(store.ledger, 0, 3)).rejects.toThrow(RangeError);
    await expect(ledger.log.consistencyProof(store.ledger, 3, 2)).rejects.toThrow(RangeError);
  });

  it('group-commits concurrent writers into distinct, dense seqs', async () => {
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => append([note(i)])));
    expect(results.map((r) => r[0]!.seq).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 50 }, (_, i) => i),
    );
    expect(hex((await ledger.log.root(store.ledger)).root)).toBe(hex(rootHash(await allLeafHashes())));
  });

  it('a failing write rolls back alone, entries included, and the log continues correctly', async () => {
    const outcomes = await Promise.allSettled([
      append([note(0)]),
      store.write(async (tx) => {
        await ledger.log.append(tx.ledger, [note(99)]);
        throw new Error('state change failed');
      }),
      append([note(1)]),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    await append([note(2)]);
    const entries = await store.ledger.entries(0, 10);
    expect(entries.map((e) => JSON.parse(Buffer.from(e.bytes).toString()).data.n)).toEqual([0, 1, 2]);
    expect(hex((await ledger.log.root(store.ledger)).root)).toBe(hex(rootHash(await allLeafHashes())));
  });

  it('notices entries appended by another writer (a second replica) and builds on them', async () => {
    const other = new MerkleLog({ origin: ledger.origin, clock: fixedClock });
    await append([note(0), note(1), note(2)]);
    await store.write((tx) => other.append(tx.ledger, [note(3), note(4)]));
    await append([note(5)]);
    expect(await store.ledger.size()).toBe(6);
    expect(hex((await ledger.log.root(store.ledger)).root)).toBe(hex(rootHash(await allLeafHashes())));
  });

  it('builds on a frontier the store read with its tail, reading no nodes; refuses one of the wrong length', async () => {
    await append([note(0), note(1), note(2), note(3), note(4)]);
    // Another replica's log: its cache is stale, as after the first log's appends.
    const other = new MerkleLog({ origin: ledger.origin, clock: fixedClock });
    const withFrontier = (writer: LedgerWriter, cut: number) =>
      Object.assign(Object.create(writer) as LedgerWriter, {
        async tail() {
          const tail = await writer.tail();
          const frontier = await writer.nodes(rangeNodes(0, tail.size));
          return { ...tail, frontier: frontier.slice(cut) };
        },
        async nodes(): Promise<Uint8Array[]> {
          throw new Error('the log read nodes the store had sent');
        },
      });
    await expect(store.write((tx) => other.append(withFrontier(tx.ledger, 1), [note(5)]))).rejects.toThrow(
      'the frontier read with the tail of a log of size 5 has 1 nodes, not 2',
    );
    await store.write((tx) => other.append(withFrontier(tx.ledger, 0), [note(5), note(6), note(7)]));
    expect(await store.ledger.size()).toBe(8);
    expect(hex((await ledger.log.root(store.ledger)).root)).toBe(hex(rootHash(await allLeafHashes())));
  });

  it('signs checkpoints that verify with the verifier key', async () => {
    await append([note(0), note(1), note(2)]);
    const checkpoint = await store.write((tx) => ledger.log.checkpoint(tx.ledger));
    const opened = openCheckpoint(checkpoint.note, [parseVerifierKey(ledger.verifierKey)]);
    expect(opened.ok && opened.checkpoint.size).toBe(3);
    expect(opened.ok && hex(opened.checkpoint.root)).toBe(hex(rootHash(await allLeafHashes())));
  });

  it('keeps personal data beside the log; erasure leaves every proof valid', async () => {
    await append([{ ...note(0), personal: { approver: 'alice@example.com', reason: 'looks fine' } }]);
    await append([note(1)]);
    const [entry] = await store.ledger.entries(0, 1);
    const text = Buffer.from(entry!.bytes).toString();
    expect(text).not.toContain('alice');
    expect(JSON.parse(text).data.personal.approver).toMatch(/^sha256:[0-9a-f]{64}$/);
    await store.write((tx) => ledger.log.checkpoint(tx.ledger));
    const before = await auditLedger(storeAuditSource(ledger), {
      verifiers: [parseVerifierKey(ledger.verifierKey)],
    });
    expect(before).toMatchObject({ ok: true, personalVerified: 2 });
    const erased = await store.write((tx) => tx.erasePersonal({ value: 'alice@example.com' }));
    expect(erased).toBe(1);
    expect(await store.ledger.personal(0, 10)).toHaveLength(1);
    const after = await auditLedger(storeAuditSource(ledger), {
      verifiers: [parseVerifierKey(ledger.verifierKey)],
    });
    expect(after).toMatchObject({ ok: true, personalVerified: 1, root: before.root });
  });

  it('refuses a reserved data key', async () => {
    await expect(append([{ ...note(0), data: { personal: 'x' } }])).rejects.toThrow(
      /reserved key "personal"/,
    );
  });

  it('keeps the signing key file private and refuses a key of another log', async () => {
    const { statSync } = await import('node:fs');
    expect(statSync(ledger.keyPath).mode & 0o777).toBe(0o600);
    const otherStore = openSqliteStore({ path: join(dir, `other-${counter}.db`) });
    await otherStore.write((tx) => tx.setMeta('ledger.origin', 'arbiter.local/someone-else'));
    await expect(openLedger(otherStore, { keyPath: ledger.keyPath })).rejects.toThrow(/is for log/);
    await otherStore.close();
  });
});
