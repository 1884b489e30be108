import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { exportAuditSource, exportLedger, storeAuditSource } from '../../src/app/ledger/export.js';
import { openLedger } from '../../src/app/ledger/ledger.js';
import {
  auditLedger,
  generateSigner,
  leafHash,
  parseSignerKey,
  parseVerifierKey,
  signCheckpoint,
} from '../../src/ledger/index.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { tempDir } from '../helpers/temp.js';

/**
 * The tamper cases of the ledger issue, against a live database and against an export:
 * each is detected, and the report names the entry or checkpoint.
 */
const dir = tempDir('arbiter-tamper-');
let pristine = '';
let verifierKey = '';
let origin = '';
let keyPath = '';

beforeAll(async () => {
  pristine = join(dir, 'pristine.db');
  keyPath = join(dir, 'ledger.key');
  const store = openSqliteStore({ path: pristine });
  const ledger = await openLedger(store, { keyPath });
  for (let i = 0; i < 10; i++) {
    await store.write((tx) =>
      ledger.log.append(tx.ledger, [
        { type: 'note.added', actor: 'test', subject: `note-${i}`, data: { n: i } },
      ]),
    );
    if (i === 4 || i === 9) await store.write((tx) => ledger.log.checkpoint(tx.ledger));
  }
  verifierKey = ledger.verifierKey;
  origin = ledger.origin;
  await store.close();
});

let copies = 0;
/** A copy of the pristine database, tampered with by `sql`, then audited. */
async function auditTamperedDatabase(tamper: (db: Database.Database) => void) {
  const path = join(dir, `copy-${copies++}.db`);
  const source = new Database(pristine, { readonly: true });
  await source.backup(path);
  source.close();
  const db = new Database(path);
  tamper(db);
  db.close();
  const store = openSqliteStore({ path });
  try {
    const ledger = await openLedger(store, { keyPath });
    return await auditLedger(storeAuditSource(ledger), {
      verifiers: [parseVerifierKey(verifierKey)],
      origin,
    });
  } finally {
    await store.close();
  }
}

let exports = 0;
/** An export of the pristine database, tampered with by `edit`, then audited offline. */
async function auditTamperedExport(edit: (exportDir: string) => void) {
  const exportDir = join(dir, `export-${exports++}`);
  const store = openSqliteStore({ path: pristine });
  const ledger = await openLedger(store, { keyPath });
  await exportLedger(ledger, exportDir);
  await store.close();
  edit(exportDir);
  const { source, manifest } = exportAuditSource(exportDir);
  return auditLedger(source, { verifiers: [parseVerifierKey(verifierKey)], origin: manifest.origin });
}

const editLines = (path: string, change: (lines: string[]) => string[]) => {
  const lines = readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line !== '');
  writeFileSync(path, `${change(lines).join('\n')}\n`);
};

describe('untampered', () => {
  it('the database and its export verify', async () => {
    expect(await auditTamperedDatabase(() => {})).toMatchObject({ ok: true, entries: 10, checkpoints: 2 });
    expect(await auditTamperedExport(() => {})).toMatchObject({ ok: true, entries: 10, checkpoints: 2 });
  });
});

describe('tampering with the live database is detected and named', () => {
  it('one byte of one stored entry changed', async () => {
    const report = await auditTamperedDatabase((db) => {
      const row = db.prepare('SELECT entry FROM ledger_entries WHERE seq = 3').get() as { entry: Buffer };
      const bytes = Buffer.from(row.entry);
      bytes[bytes.indexOf('note-3') + 5] = '8'.charCodeAt(0);
      db.prepare('UPDATE ledger_entries SET entry = ? WHERE seq = 3').run(bytes);
    });
    expect(report.problem).toMatchObject({ code: 'entry-altered', seq: 3 });
  });

  it('an entry and its leaf hash changed together: the signed root exposes it', async () => {
    const report = await auditTamperedDatabase((db) => {
      const row = db.prepare('SELECT entry FROM ledger_entries WHERE seq = 6').get() as { entry: Buffer };
      const bytes = Buffer.from(Buffer.from(row.entry).toString().replace('note-6', 'note-X'));
      db.prepare('UPDATE ledger_entries SET entry = ?, leaf_hash = ? WHERE seq = 6').run(
        bytes,
        leafHash(bytes),
      );
    });
    expect(report.problem).toMatchObject({ code: 'checkpoint-root-mismatch', checkpointSize: 10 });
  });

  it('an entry deleted', async () => {
    const report = await auditTamperedDatabase((db) =>
      db.prepare('DELETE FROM ledger_entries WHERE seq = 3').run(),
    );
    expect(report.problem).toMatchObject({ code: 'entry-out-of-order', seq: 3 });
    expect(report.problem?.message).toContain('entry seq 3 is missing');
  });

  it('two entries reordered', async () => {
    const report = await auditTamperedDatabase((db) => {
      const rows = db
        .prepare('SELECT seq, entry, leaf_hash FROM ledger_entries WHERE seq IN (3, 4) ORDER BY seq')
        .all() as {
        entry: Buffer;
        leaf_hash: Buffer;
      }[];
      const update = db.prepare('UPDATE ledger_entries SET entry = ?, leaf_hash = ? WHERE seq = ?');
      update.run(rows[1]!.entry, rows[1]!.leaf_hash, 3);
      update.run(rows[0]!.entry, rows[0]!.leaf_hash, 4);
    });
    expect(report.problem).toMatchObject({ code: 'entry-out-of-order', seq: 3 });
  });

  it('the log truncated', async () => {
    const report = await auditTamperedDatabase((db) =>
      db.prepare('DELETE FROM ledger_entries WHERE seq >= 7').run(),
    );
    expect(report.problem).toMatchObject({ code: 'checkpoint-beyond-log', checkpointSize: 10 });
    expect(report.problem?.message).toContain('truncated');
  });

  it('a checkpoint re-signed with another key', async () => {
    const forger = parseSignerKey(generateSigner(origin).signerKey);
    const report = await auditTamperedDatabase((db) => {
      const row = db.prepare('SELECT root FROM ledger_checkpoints WHERE size = 10').get() as { root: Buffer };
      db.prepare('UPDATE ledger_checkpoints SET note = ? WHERE size = 10').run(
        signCheckpoint({ origin, size: 10, root: row.root }, forger),
      );
    });
    expect(report.problem).toMatchObject({ code: 'checkpoint-signature', checkpointSize: 10 });
  });

  it('a personal value swapped', async () => {
    const path = join(dir, 'personal.db');
    const store = openSqliteStore({ path });
    const ledger = await openLedger(store, { keyPath: join(dir, 'personal.key') });
    await store.write((tx) =>
      ledger.log.append(tx.ledger, [
        { type: 'approval', actor: 'x', subject: 'd1', data: {}, personal: { who: 'alice' } },
      ]),
    );
    await store.write((tx) => ledger.log.checkpoint(tx.ledger));
    await store.close();
    const db = new Database(path);
    db.prepare(`UPDATE ledger_personal SET value = '"mallory"'`).run();
    db.close();
    const reopened = openSqliteStore({ path });
    const again = await openLedger(reopened, { keyPath: join(dir, 'personal.key') });
    const report = await auditLedger(storeAuditSource(again), {
      verifiers: [parseVerifierKey(again.verifierKey)],
    });
    await reopened.close();
    expect(report.problem).toMatchObject({ code: 'personal-mismatch', seq: 0 });
  });
});

describe('tampering with an export is detected and named', () => {
  it('one byte of one entry changed', async () => {
    const report = await auditTamperedExport((d) =>
      editLines(join(d, 'entries.jsonl'), (lines) =>
        lines.map((l, i) => (i === 3 ? l.replace('note-3', 'note-8') : l)),
      ),
    );
    expect(report.problem).toMatchObject({ code: 'entry-altered', seq: 3 });
  });

  it('an entry deleted (with its leaf hash)', async () => {
    const report = await auditTamperedExport((d) => {
      editLines(join(d, 'entries.jsonl'), (lines) => lines.filter((_, i) => i !== 3));
      editLines(join(d, 'leaf-hashes.txt'), (lines) => lines.filter((_, i) => i !== 3));
    });
    expect(report.problem).toMatchObject({ code: 'entry-out-of-order', seq: 3 });
  });

  it('two entries reordered (with their leaf hashes)', async () => {
    const swap = (lines: string[]) => lines.map((l, i) => (i === 3 ? lines[4]! : i === 4 ? lines[3]! : l));
    const report = await auditTamperedExport((d) => {
      editLines(join(d, 'entries.jsonl'), swap);
      editLines(join(d, 'leaf-hashes.txt'), swap);
    });
    expect(report.problem).toMatchObject({ code: 'entry-out-of-order', seq: 3 });
  });

  it('the log truncated', async () => {
    const report = await auditTamperedExport((d) => {
      editLines(join(d, 'entries.jsonl'), (lines) => lines.slice(0, 8));
      editLines(join(d, 'leaf-hashes.txt'), (lines) => lines.slice(0, 8));
    });
    expect(report.problem).toMatchObject({ code: 'checkpoint-beyond-log', checkpointSize: 10 });
  });

  it('checkpoints re-signed with another key', async () => {
    const forger = parseSignerKey(generateSigner(origin).signerKey);
    const report = await auditTamperedExport((d) => {
      const folder = join(d, 'checkpoints');
      for (const name of readdirSync(folder)) {
        const [text] = readFileSync(join(folder, name), 'utf8').split('\n\n');
        const [, size, root] = text!.split('\n');
        writeFileSync(
          join(folder, name),
          signCheckpoint({ origin, size: Number(size), root: Buffer.from(root!, 'base64') }, forger),
        );
      }
    });
    expect(report.problem).toMatchObject({ code: 'checkpoint-signature', checkpointSize: 5 });
  });

  it('a consistency proof altered', async () => {
    const report = await auditTamperedExport((d) => {
      const path = join(d, 'consistency.json');
      const proofs = JSON.parse(readFileSync(path, 'utf8'));
      proofs[0].proof[0] = Buffer.alloc(32).toString('base64');
      writeFileSync(path, JSON.stringify(proofs));
    });
    expect(report.problem).toMatchObject({ code: 'checkpoint-inconsistent', checkpointSize: 10 });
  });
});
