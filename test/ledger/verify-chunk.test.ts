import { describe, expect, it } from 'vitest';
import { type AuditSource, auditLedger } from '../../src/ledger/audit.js';
import {
  encodeEntry,
  generateSigner,
  leafHash,
  parseSignerKey,
  parseVerifierKey,
  signCheckpoint,
} from '../../src/ledger/index.js';
import type { EntryBatch } from '../../src/ledger/storage.js';
import { entryBatches, verifyChunk } from '../../src/ledger/verify-chunk.js';
import { refLeaf, refMTH } from './reference.js';

/**
 * Verification in chunks must give exactly the report of checking entries one by one: the same
 * roots (cross-checked with the naive RFC computation in reference.ts), the same first bad entry,
 * wherever the chunk boundaries fall. Small chunks make every boundary case cheap to reach.
 */
const origin = 'test.example/chunks';
const { signerKey, verifierKey } = generateSigner(origin);
const signer = parseSignerKey(signerKey);
const verifiers = [parseVerifierKey(verifierKey)];

const entry = (seq: number) =>
  encodeEntry({
    v: 1,
    seq,
    time: '2026-01-01T00:00:00.000Z',
    type: 'note.added',
    actor: 'test',
    subject: `note-${seq}`,
    data: { n: seq },
  });

/** A source whose entries come in batches of `chunk` (as a store reads them), checkpointed at `sizes`. */
function source(
  entries: Uint8Array[],
  chunk: number,
  sizes: readonly number[],
  change: { leafHashes?: Uint8Array[]; roots?: Map<number, Uint8Array>; drop?: Set<number> } = {},
): AuditSource {
  const leafHashes = change.leafHashes ?? entries.map(leafHash);
  return {
    async *entries() {
      for (let i = 0; i < entries.length; i++)
        if (!change.drop?.has(i)) yield { bytes: entries[i]!, leafHash: leafHashes[i]! };
    },
    async *batches() {
      for (let start = 0; start < entries.length; start += chunk) {
        const kept = [];
        for (let seq = start; seq < Math.min(entries.length, start + chunk); seq++)
          if (!change.drop?.has(seq)) kept.push({ bytes: entries[seq]!, leafHash: leafHashes[seq]! });
        for await (const batch of entryBatches(toAsync(kept), chunk)) yield { ...batch, start };
        if (kept.length === 0) yield emptyBatch(start);
      }
    },
    async checkpoints() {
      return sizes.map((size) =>
        signCheckpoint(
          { origin, size, root: change.roots?.get(size) ?? refMTH(entries.slice(0, size)) },
          signer,
        ),
      );
    },
    async *personal() {},
  };
}

async function* toAsync<T>(items: readonly T[]): AsyncIterable<T> {
  yield* items;
}

const emptyBatch = (start: number): EntryBatch => ({
  start,
  bytes: new Uint8Array(0),
  ends: new Uint32Array(0),
  leafHashes: new Uint8Array(0),
});

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const log = (n: number) => Array.from({ length: n }, (_, seq) => entry(seq));

describe('verification in chunks', () => {
  it('reproduces the RFC root at every size, whatever the chunk size', async () => {
    for (const chunk of [1, 2, 4, 8]) {
      for (let n = 1; n <= 19; n++) {
        const entries = log(n);
        const sizes = Array.from({ length: n }, (_, i) => i + 1);
        const report = await auditLedger(source(entries, chunk, sizes), { verifiers, origin });
        expect(report, `chunk ${chunk}, ${n} entries`).toMatchObject({
          ok: true,
          entries: n,
          checkpoints: n,
          root: b64(refMTH(entries)),
        });
      }
    }
  });

  it('names an altered entry in a later chunk, with the root of the entries before it', async () => {
    const entries = log(19);
    const leafHashes = entries.map(leafHash);
    leafHashes[13] = refLeaf(entry(99));
    const report = await auditLedger(source(entries, 4, [19], { leafHashes }), { verifiers, origin });
    expect(report).toMatchObject({
      ok: false,
      entries: 13,
      root: b64(refMTH(entries.slice(0, 13))),
      problem: { code: 'entry-altered', seq: 13 },
    });
  });

  it('checks a checkpoint inside a chunk before the bad entry after it, as one by one would', async () => {
    const entries = log(19);
    const leafHashes = entries.map(leafHash);
    leafHashes[14] = refLeaf(entry(99));
    const roots = new Map([[13, refMTH(entries.slice(0, 12))]]);
    const report = await auditLedger(source(entries, 8, [13, 19], { leafHashes, roots }), {
      verifiers,
      origin,
    });
    expect(report).toMatchObject({
      entries: 13,
      root: b64(refMTH(entries.slice(0, 13))),
      problem: { code: 'checkpoint-root-mismatch', checkpointSize: 13 },
    });
  });

  it('names the first missing entry when a chunk ends early or is empty', async () => {
    const entries = log(19);
    for (const drop of [new Set([6, 7]), new Set([4, 5, 6, 7]), new Set([5])]) {
      const report = await auditLedger(source(entries, 4, [19], { drop }), { verifiers, origin });
      const first = Math.min(...drop);
      expect(report.problem).toMatchObject({ code: 'entry-out-of-order', seq: first });
      expect(report.problem?.message).toContain(`entry seq ${first} is missing`);
      expect(report.entries).toBe(first);
    }
  });

  it('refuses chunks that do not start at a multiple of their size', async () => {
    const entries = log(6);
    const misaligned: AuditSource = {
      ...source(entries, 4, [6]),
      async *batches() {
        yield* entryBatches(toAsync(entries.slice(0, 3).map((bytes) => ({ bytes }))), 3);
        for await (const rest of entryBatches(toAsync(entries.slice(3).map((bytes) => ({ bytes }))), 4))
          yield { ...rest, start: 3 };
      },
    };
    await expect(auditLedger(misaligned, { verifiers, origin })).rejects.toThrow(/misaligned/);
  });

  it('keeps the personal commitments of the entries it verified', () => {
    const bytes = encodeEntry({
      v: 1,
      seq: 0,
      time: '2026-01-01T00:00:00.000Z',
      type: 'approval',
      actor: 'x',
      subject: 'd1',
      data: { personal: { who: 'sha256:00' } },
    });
    const verdict = verifyChunk({
      start: 0,
      bytes,
      ends: Uint32Array.of(bytes.length),
      leafHashes: leafHash(bytes),
    });
    expect(verdict.personal).toEqual([{ seq: 0, commitments: { who: 'sha256:00' } }]);
  });
});
