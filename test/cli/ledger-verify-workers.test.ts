import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { storeAuditSource } from '../../src/app/ledger/export.js';
import { openLedger } from '../../src/app/ledger/ledger.js';
import type * as VerifyPool from '../../src/app/ledger/verify-pool.js';
import { auditLedger, leafHash, parseVerifierKey } from '../../src/ledger/index.js';
import { verificationChunkSize } from '../../src/ledger/verify-chunk.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { arbiter, repoRoot } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';

// The pool runs its workers from the built verify-worker.js (from the sources it verifies in-thread).
const pool = (await import(
  new URL('../../dist/app/ledger/verify-pool.js', import.meta.url).href
)) as typeof VerifyPool;

/**
 * `arbiter ledger verify --db` on worker threads (the built binary: the workers run the compiled
 * verify-worker.js) reports exactly what verification on the main thread reports, with the bad
 * entry in a later chunk, i.e. hashed by a worker while the main thread read on.
 */
const dir = tempDir('arbiter-verify-workers-');
const pristine = join(dir, 'pristine.db');
const size = 2 * verificationChunkSize + 500;

beforeAll(async () => {
  const store = openSqliteStore({ path: pristine });
  const ledger = await openLedger(store, { keyPath: join(dir, 'pristine.key') });
  for (let start = 0; start < size; start += 1_000) {
    const items = Array.from({ length: Math.min(1_000, size - start) }, (_, j) => ({
      type: 'note.added',
      actor: 'test',
      subject: `note-${start + j}`,
      data: { n: start + j },
    }));
    await store.write((tx) => ledger.log.append(tx.ledger, items));
    if (start === 20_000) await store.write((tx) => ledger.log.checkpoint(tx.ledger));
  }
  await store.write((tx) => ledger.log.checkpoint(tx.ledger));
  await store.close();
}, 180_000);

let copies = 0;
/** `ledger verify --json` of a tampered copy, on `workers` threads. */
async function verifyCopy(tamper: (db: Database.Database) => void, workers: number) {
  const path = join(dir, `copy-${copies++}.db`);
  const source = new Database(pristine, { readonly: true });
  await source.backup(path);
  source.close();
  const db = new Database(path);
  tamper(db);
  db.close();
  const result = arbiter([
    'ledger',
    'verify',
    '--db',
    `sqlite:${path}`,
    '--ledger-key',
    join(dir, 'pristine.key'),
    '--no-state',
    '--json',
    '--workers',
    String(workers),
  ]);
  return { code: result.code, report: JSON.parse(result.stdout), stderr: result.stderr };
}

const cases: { name: string; tamper: (db: Database.Database) => void; problem?: object; entries: number }[] =
  [
    { name: 'untampered', tamper: () => {}, entries: size },
    {
      name: 'one byte of an entry in the second chunk changed',
      tamper: (db) => {
        const seq = verificationChunkSize + 3_000;
        const row = db.prepare('SELECT entry FROM ledger_entries WHERE seq = ?').get(seq) as {
          entry: Buffer;
        };
        db.prepare('UPDATE ledger_entries SET entry = ? WHERE seq = ?').run(
          Buffer.from(row.entry.toString().replace(`note-${seq}`, `note-X${String(seq).slice(1)}`)),
          seq,
        );
      },
      problem: { code: 'entry-altered', seq: verificationChunkSize + 3_000 },
      entries: verificationChunkSize + 3_000,
    },
    {
      name: 'the last entries of the first chunk deleted',
      tamper: (db) =>
        db
          .prepare('DELETE FROM ledger_entries WHERE seq >= ? AND seq < ?')
          .run(verificationChunkSize - 4, verificationChunkSize),
      problem: { code: 'entry-out-of-order', seq: verificationChunkSize - 4 },
      entries: verificationChunkSize - 4,
    },
    {
      name: 'an entry of the third chunk rewritten with its leaf hash',
      tamper: (db) => {
        const seq = 2 * verificationChunkSize + 7;
        const row = db.prepare('SELECT entry FROM ledger_entries WHERE seq = ?').get(seq) as {
          entry: Buffer;
        };
        const bytes = Buffer.from(
          row.entry.toString().replace(`note-${seq}`, `note-X${String(seq).slice(1)}`),
        );
        db.prepare('UPDATE ledger_entries SET entry = ?, leaf_hash = ? WHERE seq = ?').run(
          bytes,
          leafHash(bytes),
          seq,
        );
      },
      problem: { code: 'checkpoint-root-mismatch', checkpointSize: size },
      entries: size,
    },
  ];

describe('ledger verify on worker threads', () => {
  it('runs the compiled worker (the build is current)', () => {
    expect(existsSync(join(repoRoot, 'dist/app/ledger/verify-worker.js'))).toBe(true);
  });

  it('refuses a --workers that is not a small non-negative integer, before reading anything', () => {
    for (const workers of ['17', '-1', 'two', '1.5']) {
      const result = arbiter(['ledger', 'verify', '--db', `sqlite:${pristine}`, '--workers', workers]);
      expect(result.code, workers).toBe(2);
      expect(result.stderr).toContain('--workers');
    }
  });

  for (const { name, tamper, problem, entries } of cases) {
    it(`${name}: the same report on 2 workers as on the main thread`, async () => {
      const onWorkers = await verifyCopy(tamper, 2);
      const onMain = await verifyCopy(tamper, 0);
      expect(onWorkers.stderr).toBe('');
      expect(onWorkers.report).toEqual(onMain.report);
      expect(onWorkers.report.entries).toBe(entries);
      if (problem) {
        expect(onWorkers.code).toBe(1);
        expect(onWorkers.report.problem).toMatchObject(problem);
      } else expect(onWorkers.report).toMatchObject({ ok: true, checkpoints: 2 });
    });
  }
});

describe('ledger verification reading in the workers (SQLite)', () => {
  /** A fresh copy of the pristine ledger, opened as `ledger verify --db` opens it. */
  async function openCopy() {
    const path = join(dir, `copy-${copies++}.db`);
    const source = new Database(pristine, { readonly: true });
    await source.backup(path);
    source.close();
    const store = openSqliteStore({ path });
    const ledger = await openLedger(store, { keyPath: join(dir, 'pristine.key') });
    return { path, store, ledger, verifiers: [parseVerifierKey(ledger.verifierKey)] };
  }

  it('an append and checkpoint after the first chunk do not fail verification', async () => {
    const { store, ledger, verifiers } = await openCopy();
    try {
      const source = storeAuditSource(ledger);
      async function* appendingAfterFirst() {
        let first = true;
        for await (const batch of source.batches!()) {
          yield batch;
          if (!first) continue;
          first = false;
          const items = [{ type: 'note.added', actor: 'test', subject: 'late', data: { n: 0 } }];
          await store.write((tx) => ledger.log.append(tx.ledger, items));
          await store.write((tx) => ledger.log.checkpoint(tx.ledger));
        }
      }
      const report = await auditLedger(
        { ...source, batches: appendingAfterFirst },
        { verifiers, origin: ledger.origin, verifyChunks: pool.chunkVerifier(0) },
      );
      expect(report.problem).toBeUndefined();
      expect(report).toMatchObject({ ok: true, entries: size, checkpoints: 2 });
    } finally {
      await store.close();
    }
  });

  it('a read that fails part-way fails verification; nothing is reported as verified', async () => {
    const { store, ledger, verifiers } = await openCopy();
    try {
      const source = storeAuditSource(ledger);
      async function* failingAfterFirst() {
        for await (const batch of source.batches!()) {
          yield batch;
          throw new Error('disk read failed');
        }
      }
      await expect(
        auditLedger(
          { ...source, batches: failingAfterFirst },
          { verifiers, origin: ledger.origin, verifyChunks: pool.chunkVerifier(2) },
        ),
      ).rejects.toThrow(/disk read failed/);
    } finally {
      await store.close();
    }
  });
});
