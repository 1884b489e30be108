import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { startArbiter } from '../../src/app/arbiter.js';
import { openLedger } from '../../src/app/ledger/ledger.js';
import { TrustedCheckpoint } from '../../src/app/ledger/trusted-checkpoint.js';
import type { ArbiterError } from '../../src/core/errors.js';
import type { Logger } from '../../src/core/logger.js';
import { leafHash, nodeHash } from '../../src/ledger/index.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { arbiter as runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';

/**
 * Point 6 of the integrity issue: someone with write access to the database — and, in the
 * rewrite case, the signing key too — cannot make the server accept or sign a history that
 * contradicts the checkpoint it keeps outside the database.
 */

const quiet = { checkpointIntervalMs: 3_600_000, expiryIntervalMs: 3_600_000, monitorIntervalMs: 3_600_000 };

async function appendNotes(databaseUrl: string, keyPath: string, notes: string[]): Promise<void> {
  const store = openSqliteStore({ path: databaseUrl.slice('sqlite:'.length) });
  const ledger = await openLedger(store, { keyPath });
  for (const note of notes)
    await store.write((tx) =>
      ledger.log.append(tx.ledger, [{ type: 'note.added', actor: 'test', subject: note, data: { note } }]),
    );
  await store.close();
}

/** A server lifetime: start, sign a checkpoint of what is there, stop; returns the signed size. */
async function startSignStop(databaseUrl: string, keyPath: string): Promise<number> {
  const arbiter = await startArbiter({ databaseUrl, ledgerKeyPath: keyPath, ...quiet });
  await arbiter.checkpointIfGrown();
  await arbiter.close();
  return arbiter.trustedCheckpoint.trustedHead.size;
}

/** Rewrites entry `seq` of an SQLite ledger and recomputes its leaf hash and every stored node above it, as a careful forger would. */
function rewriteEntry(path: string, seq: number, edit: (text: string) => string): void {
  const db = new Database(path);
  const hashAt = (level: number, index: number) =>
    (level === 0
      ? db.prepare('SELECT leaf_hash AS hash FROM ledger_entries WHERE seq = ?').get(index)
      : db.prepare('SELECT hash FROM ledger_nodes WHERE level = ? AND idx = ?').get(level, index)) as
      | { hash: Buffer }
      | undefined;
  const row = db.prepare('SELECT entry FROM ledger_entries WHERE seq = ?').get(seq) as { entry: Buffer };
  const bytes = Buffer.from(edit(row.entry.toString('utf8')));
  let hash = Buffer.from(leafHash(bytes));
  db.prepare('UPDATE ledger_entries SET entry = ?, leaf_hash = ? WHERE seq = ?').run(bytes, hash, seq);
  let index = seq;
  for (let level = 1; ; level++) {
    const sibling = hashAt(level - 1, index ^ 1);
    if (!sibling || !hashAt(level, index >> 1)) break;
    hash = Buffer.from(index % 2 === 0 ? nodeHash(hash, sibling.hash) : nodeHash(sibling.hash, hash));
    index >>= 1;
    db.prepare('UPDATE ledger_nodes SET hash = ? WHERE level = ? AND idx = ?').run(hash, level, index);
  }
  db.close();
}

function errorOf(promise: Promise<unknown>): Promise<ArbiterError> {
  return promise.then(
    () => {
      throw new Error('expected a refusal');
    },
    (error: unknown) => error as ArbiterError,
  );
}

describe('the trusted checkpoint kept outside the database', () => {
  it('is written beside the key when the server signs, and holds the signed note', async () => {
    const dir = tempDir('arbiter-trust-');
    const databaseUrl = `sqlite:${join(dir, 'arbiter.db')}`;
    const keyPath = join(dir, 'arbiter.ledger.key');
    await appendNotes(databaseUrl, keyPath, ['a', 'b', 'c']);
    const signed = await startSignStop(databaseUrl, keyPath);
    const note = readFileSync(join(dir, 'arbiter.ledger.checkpoint'), 'utf8');
    expect(signed).toBeGreaterThanOrEqual(3);
    expect(note.split('\n')[1]).toBe(String(signed));
    const store = openSqliteStore({ path: join(dir, 'arbiter.db') });
    expect((await store.ledger.checkpoints()).at(-1)?.note).toBe(note);
    await store.close();
  });

  it('refuses to start on a history rewritten and re-signed with the real key (key holder + database writer)', async () => {
    const dir = tempDir('arbiter-trust-');
    const databaseUrl = `sqlite:${join(dir, 'arbiter.db')}`;
    const keyPath = join(dir, 'arbiter.ledger.key');
    await appendNotes(databaseUrl, keyPath, ['deploy approved by alice', 'deploy failed']);
    const trustedSize = await startSignStop(databaseUrl, keyPath);

    // The forger keeps the origin and key, and builds a different history with them: a database
    // whose every hash and checkpoint is internally consistent and correctly signed.
    const forged = join(dir, 'forged.db');
    const original = new Database(join(dir, 'arbiter.db'));
    await original.backup(forged);
    original.close();
    const db = new Database(forged);
    for (const table of ['ledger_entries', 'ledger_nodes', 'ledger_checkpoints', 'ledger_personal'])
      db.prepare(`DELETE FROM ${table}`).run();
    db.close();
    await appendNotes(
      `sqlite:${forged}`,
      keyPath,
      Array.from({ length: trustedSize + 2 }, (_, i) => `deploy approved by bob, step ${i}`),
    );
    const forgedStore = openSqliteStore({ path: forged });
    const forgedLedger = await openLedger(forgedStore, { keyPath });
    await forgedStore.write((tx) => forgedLedger.log.checkpoint(tx.ledger));
    await forgedStore.close();
    copyFileSync(forged, join(dir, 'arbiter.db'));
    for (const suffix of ['-wal', '-shm']) rmSync(join(dir, `arbiter.db${suffix}`), { force: true });

    const refused = await errorOf(startArbiter({ databaseUrl, ledgerKeyPath: keyPath, ...quiet }));
    expect(refused.code).toBe('ARB_ERR_LEDGER_UNTRUSTED');
    expect(refused.message).toContain(
      `not a consistent extension of the trusted checkpoint at size ${trustedSize}`,
    );

    // An auditor holding the trusted checkpoint finds it too, offline of the server.
    const verify = runCli([
      'ledger',
      'verify',
      '--db',
      databaseUrl,
      '--ledger-key',
      keyPath,
      '--checkpoint',
      join(dir, 'arbiter.ledger.checkpoint'),
      '--json',
    ]);
    expect(verify.code).toBe(1);
    expect(JSON.parse(verify.stdout).problem.code).toBe('checkpoint-root-mismatch');
  });

  it('refuses to sign while running when checkpointed history is edited under it, and keeps the file', async () => {
    const dir = tempDir('arbiter-trust-');
    const databaseUrl = `sqlite:${join(dir, 'arbiter.db')}`;
    const keyPath = join(dir, 'arbiter.ledger.key');
    const errors: string[] = [];
    const logger: Logger = { warn() {}, error: (_details, message) => errors.push(message) };
    await appendNotes(databaseUrl, keyPath, ['one', 'two', 'three', 'four']);
    const arbiter = await startArbiter({ databaseUrl, ledgerKeyPath: keyPath, logger, ...quiet });
    try {
      await arbiter.checkpointIfGrown();
      const before = readFileSync(join(dir, 'arbiter.ledger.checkpoint'), 'utf8');
      // A database writer rewrites entry 1 with every hash above it recomputed (no key needed).
      rewriteEntry(join(dir, 'arbiter.db'), 1, (text) => text.replace('"two"', '"TWO"'));
      await arbiter.store.write((tx) =>
        arbiter.ledger.log.append(tx.ledger, [
          { type: 'note.added', actor: 'test', subject: 'five', data: {} },
        ]),
      );
      const refused = await errorOf(arbiter.checkpointIfGrown());
      expect(refused.code).toBe('ARB_ERR_LEDGER_UNTRUSTED');
      expect(readFileSync(join(dir, 'arbiter.ledger.checkpoint'), 'utf8')).toBe(before);
      expect((await arbiter.store.ledger.checkpoints()).map((c) => c.size)).toEqual([
        arbiter.trustedCheckpoint.trustedHead.size,
      ]);
    } finally {
      await arbiter.close().catch(() => {});
    }
  });

  it('refuses a database restored from a backup older than the trusted checkpoint, until an admin adopts it (ledgered)', async () => {
    const dir = tempDir('arbiter-trust-');
    const path = join(dir, 'arbiter.db');
    const databaseUrl = `sqlite:${path}`;
    const keyPath = join(dir, 'arbiter.ledger.key');
    await appendNotes(databaseUrl, keyPath, ['a', 'b']);
    const backupSize = await startSignStop(databaseUrl, keyPath);
    const backup = new Database(path);
    await backup.backup(join(dir, 'backup.db'));
    backup.close();
    await appendNotes(databaseUrl, keyPath, ['c', 'd', 'e']);
    const trustedSize = await startSignStop(databaseUrl, keyPath);

    copyFileSync(join(dir, 'backup.db'), path);
    for (const suffix of ['-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
    const refused = await errorOf(startArbiter({ databaseUrl, ledgerKeyPath: keyPath, ...quiet }));
    expect(refused.code).toBe('ARB_ERR_LEDGER_BEHIND_TRUST');
    expect(refused.message).toContain('arbiter ledger adopt');

    const adopt = runCli([
      'ledger',
      'adopt',
      '--db',
      databaseUrl,
      '--ledger-key',
      keyPath,
      '--by',
      'dana',
      '--reason',
      'restored from the nightly backup after disk loss',
    ]);
    expect(adopt.code).toBe(0);
    expect(adopt.stdout).toContain(`replaces the trusted checkpoint at size ${trustedSize}`);

    const arbiter = await startArbiter({ databaseUrl, ledgerKeyPath: keyPath, ...quiet });
    try {
      const [entry] = await arbiter.store.ledger.entries(backupSize, backupSize + 1);
      expect(entry).toMatchObject({ type: 'ledger.adopted', actor: 'dana' });
      const data = JSON.parse(Buffer.from(entry!.bytes).toString('utf8')).data;
      expect(data).toMatchObject({ databaseSize: backupSize, previous: { size: trustedSize } });
      expect(arbiter.trustedCheckpoint.trustedHead.size).toBeGreaterThan(backupSize);
    } finally {
      await arbiter.close();
    }
  });

  it('trusts the newest stored checkpoint on first use when the file is missing, and says so', async () => {
    const dir = tempDir('arbiter-trust-');
    const databaseUrl = `sqlite:${join(dir, 'arbiter.db')}`;
    const keyPath = join(dir, 'arbiter.ledger.key');
    await appendNotes(databaseUrl, keyPath, ['a', 'b', 'c']);
    const store = openSqliteStore({ path: join(dir, 'arbiter.db') });
    const ledger = await openLedger(store, { keyPath });
    await store.write((tx) => ledger.log.checkpoint(tx.ledger));
    const warnings: string[] = [];
    const trusted = await TrustedCheckpoint.open(ledger, {
      logger: { warn: (_details, message) => warnings.push(message), error() {} },
    });
    await store.close();
    expect(trusted.trustedHead.size).toBe(3);
    expect(existsSync(join(dir, 'arbiter.ledger.checkpoint'))).toBe(true);
    expect(warnings.join('\n')).toContain('trusting the database');
  });

  it("removes at start a dead process's temporary checkpoint file, and keeps a running one's", async () => {
    const dir = tempDir('arbiter-trust-');
    const databaseUrl = `sqlite:${join(dir, 'arbiter.db')}`;
    const keyPath = join(dir, 'arbiter.ledger.key');
    await appendNotes(databaseUrl, keyPath, ['a']);
    await startSignStop(databaseUrl, keyPath);
    const checkpoint = join(dir, 'arbiter.ledger.checkpoint');
    const note = readFileSync(checkpoint, 'utf8');
    // What a crash between write and rename leaves; the pid is of a process that has exited.
    const crashed = spawnSync(process.execPath, ['-e', '0']).pid!;
    const stray = `${checkpoint}.${crashed}.tmp`;
    writeFileSync(stray, note.slice(0, 20));
    const running = `${checkpoint}.${process.ppid}.tmp`;
    writeFileSync(running, note.slice(0, 20));
    const store = openSqliteStore({ path: join(dir, 'arbiter.db') });
    const warnings: string[] = [];
    await TrustedCheckpoint.open(await openLedger(store, { keyPath }), {
      logger: { warn: (_details, message) => warnings.push(message), error() {} },
    });
    await store.close();
    expect(existsSync(stray)).toBe(false);
    expect(existsSync(running)).toBe(true);
    expect(readFileSync(checkpoint, 'utf8')).toBe(note);
    expect(warnings).toEqual([
      `removed ${stray}, left by a process that stopped while writing ${checkpoint}`,
    ]);
  });

  it('refuses a trusted checkpoint file that another key signed', async () => {
    const dir = tempDir('arbiter-trust-');
    const databaseUrl = `sqlite:${join(dir, 'arbiter.db')}`;
    const keyPath = join(dir, 'arbiter.ledger.key');
    const otherDir = tempDir('arbiter-trust-other-');
    await appendNotes(`sqlite:${join(otherDir, 'other.db')}`, join(otherDir, 'other.ledger.key'), ['x']);
    await startSignStop(`sqlite:${join(otherDir, 'other.db')}`, join(otherDir, 'other.ledger.key'));
    await appendNotes(databaseUrl, keyPath, ['a']);
    copyFileSync(join(otherDir, 'other.ledger.checkpoint'), join(dir, 'arbiter.ledger.checkpoint'));
    const refused = await errorOf(startArbiter({ databaseUrl, ledgerKeyPath: keyPath, ...quiet }));
    expect(refused.code).toBe('ARB_ERR_LEDGER_UNTRUSTED');
    expect(refused.message).toContain("does not verify with this ledger's key");
  });
  it('ends with the newest checkpoint when signs overlap (the signing loop and close)', async () => {
    const dir = tempDir('arbiter-trust-');
    const databaseUrl = `sqlite:${join(dir, 'arbiter.db')}`;
    const keyPath = join(dir, 'arbiter.ledger.key');
    await appendNotes(databaseUrl, keyPath, ['a', 'b']);
    const arbiter = await startArbiter({ databaseUrl, ledgerKeyPath: keyPath, ...quiet });
    try {
      const trusted = arbiter.trustedCheckpoint;
      // Called without waiting: the first sign, an append (its store write queued right behind the
      // first sign's, by promise-job order), and a second sign that must see the append.
      const first = trusted.sign();
      const append = Promise.resolve().then(() =>
        arbiter.store.write((tx) =>
          arbiter.ledger.log.append(tx.ledger, [
            { type: 'note.added', actor: 'test', subject: 'c', data: {} },
          ]),
        ),
      );
      const second = trusted.sign();
      const [a, , b] = await Promise.all([first, append, second]);
      expect(b.size).toBe(a.size + 1);
      expect(readFileSync(join(dir, 'arbiter.ledger.checkpoint'), 'utf8')).toBe(b.note);
      expect(trusted.trustedHead.size).toBe(b.size);
      expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    } finally {
      await arbiter.close();
    }
  });

  it('surfaces a checkpoint file that cannot be written, keeps the previous one, and recovers on the next sign', async () => {
    const dir = tempDir('arbiter-trust-');
    const databaseUrl = `sqlite:${join(dir, 'arbiter.db')}`;
    const keyPath = join(dir, 'arbiter.ledger.key');
    const path = join(dir, 'arbiter.ledger.checkpoint');
    await appendNotes(databaseUrl, keyPath, ['a', 'b']);
    const arbiter = await startArbiter({ databaseUrl, ledgerKeyPath: keyPath, ...quiet });
    try {
      await arbiter.checkpointIfGrown();
      const before = readFileSync(path, 'utf8');
      const trustedBefore = arbiter.trustedCheckpoint.trustedHead;
      await arbiter.store.write((tx) =>
        arbiter.ledger.log.append(tx.ledger, [{ type: 'note.added', actor: 'test', subject: 'c', data: {} }]),
      );
      // The temporary file's place is taken by a directory: the write fails after the database commit.
      const temporary = `${path}.${process.pid}.tmp`;
      mkdirSync(temporary);
      await expect(arbiter.checkpointIfGrown()).rejects.toMatchObject({ code: 'EISDIR' });
      expect(readFileSync(path, 'utf8')).toBe(before);
      expect(arbiter.trustedCheckpoint.trustedHead).toEqual(trustedBefore);
      // Still a consistent state: the file is one checkpoint behind the database, and the next sign catches up.
      rmdirSync(temporary);
      await arbiter.checkpointIfGrown();
      const stored = await arbiter.store.ledger.checkpoints();
      expect(readFileSync(path, 'utf8')).toBe(stored.at(-1)!.note);
      expect(arbiter.trustedCheckpoint.trustedHead.size).toBe(trustedBefore.size + 1);
    } finally {
      await arbiter.close();
    }
  });
});
