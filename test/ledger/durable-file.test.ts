import { spawnSync } from 'node:child_process';
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  processIsRunning,
  removeStaleTemporaryFiles,
  replaceFileDurably,
} from '../../src/app/ledger/durable-file.js';
import { tempDir } from '../helpers/temp.js';

describe('replacing a file durably (the trusted checkpoint note)', () => {
  it('creates the directory and the file, readable by the owner only', async () => {
    const path = join(tempDir('arbiter-durable-'), 'nested', 'x.checkpoint');
    await replaceFileDurably(path, 'first note\n');
    expect(readFileSync(path, 'utf8')).toBe('first note\n');
    expect(readdirSync(join(path, '..'))).toEqual(['x.checkpoint']);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('ends with the later text when two writes overlap, and leaves no temporary file', async () => {
    const dir = tempDir('arbiter-durable-');
    const path = join(dir, 'x.checkpoint');
    writeFileSync(path, 'old');
    // Not awaited in between: unserialised, both would write and rename the same temporary file.
    const writes = Array.from({ length: 8 }, (_, i) => replaceFileDurably(path, `note ${i}`));
    await Promise.all(writes);
    expect(readFileSync(path, 'utf8')).toBe('note 7');
    expect(readdirSync(dir)).toEqual(['x.checkpoint']);
  });

  it('surfaces a write that fails half-way and keeps the previous file whole', async () => {
    const dir = tempDir('arbiter-durable-');
    const path = join(dir, 'x.checkpoint');
    await replaceFileDurably(path, 'previous note');
    // A directory where this process's temporary file goes: opening it for writing fails.
    mkdirSync(`${path}.${process.pid}.tmp`);
    await expect(replaceFileDurably(path, 'next note')).rejects.toMatchObject({ code: 'EISDIR' });
    expect(readFileSync(path, 'utf8')).toBe('previous note');
  });

  it('runs a write queued behind a failed one: each caller sees its own outcome', async () => {
    const dir = tempDir('arbiter-durable-');
    const path = join(dir, 'x.checkpoint');
    await replaceFileDurably(path, 'previous note');
    const temporary = `${path}.${process.pid}.tmp`;
    mkdirSync(temporary);
    const failing = replaceFileDurably(path, 'lost');
    const queued = replaceFileDurably(path, 'next note');
    // Clears the obstacle as soon as the first write fails, before the queued one starts.
    const cleared = failing.catch((error: NodeJS.ErrnoException) => {
      rmdirSync(temporary);
      return error.code;
    });
    expect(await cleared).toBe('EISDIR');
    await queued;
    expect(readFileSync(path, 'utf8')).toBe('next note');
    expect(readdirSync(dir)).toEqual(['x.checkpoint']);
  });

  describe('stale temporary files left by a crash', () => {
    /** The pid of a process that has run and exited: a real dead pid. */
    const deadPid = () => {
      const child = spawnSync(process.execPath, ['-e', '0']);
      expect(child.status).toBe(0);
      expect(processIsRunning(child.pid!)).toBe(false);
      return child.pid!;
    };

    it('removes the temporary file of a dead process and leaves everything else beside it', async () => {
      const dir = tempDir('arbiter-durable-');
      const path = join(dir, 'x.checkpoint');
      writeFileSync(path, 'the note');
      const dead = deadPid();
      const live = process.ppid; // the test runner's parent: running while this test runs
      const stray = `x.checkpoint.${dead}.tmp`;
      const kept = [
        `x.checkpoint.${live}.tmp`, // a running process may be writing it
        `y.checkpoint.${dead}.tmp`, // another file's
        'x.checkpoint.tmp',
        `x.checkpoint.${dead}.tmp.bak`,
        `x.checkpoint.0${dead}.tmp`,
        'x.checkpoint.12a.tmp',
        'x.checkpoint..tmp',
        'x.checkpoint.99999999999.tmp', // not a pid
        `xx.checkpoint.${dead}.tmp`,
        `prefix-x.checkpoint.${dead}.tmp`,
      ];
      for (const name of [stray, ...kept]) writeFileSync(join(dir, name), 'partial note');
      // The right name and a dead pid, but not a regular file: a directory, a link (even to the note).
      const [deadDirectory, deadLink] = [`x.checkpoint.${deadPid()}.tmp`, `x.checkpoint.${deadPid()}.tmp`];
      mkdirSync(join(dir, deadDirectory));
      symlinkSync(path, join(dir, deadLink));
      kept.push(deadDirectory, deadLink);

      expect(await removeStaleTemporaryFiles(path)).toEqual([join(dir, stray)]);
      expect(readdirSync(dir).sort()).toEqual(['x.checkpoint', ...kept].sort());
      expect(readFileSync(path, 'utf8')).toBe('the note');
      expect(await removeStaleTemporaryFiles(path)).toEqual([]);
    });

    it("removes this process's own when no write of the file is in progress (a restarted container's pid)", async () => {
      const dir = tempDir('arbiter-durable-');
      const path = join(dir, 'x.checkpoint');
      writeFileSync(`${path}.${process.pid}.tmp`, 'partial note');
      expect(await removeStaleTemporaryFiles(path, () => true)).toEqual([`${path}.${process.pid}.tmp`]);
      await replaceFileDurably(path, 'next note');
      expect(readdirSync(dir)).toEqual(['x.checkpoint']);
    });

    it('asks about each pid, and a missing directory has nothing to remove', async () => {
      const dir = tempDir('arbiter-durable-');
      const path = join(dir, 'x.checkpoint');
      for (const pid of [101, 102]) writeFileSync(`${path}.${pid}.tmp`, '');
      const asked: number[] = [];
      const removed = await removeStaleTemporaryFiles(path, (pid) => {
        asked.push(pid);
        return pid === 102;
      });
      expect(asked.sort()).toEqual([101, 102]);
      expect(removed).toEqual([`${path}.101.tmp`]);
      expect(await removeStaleTemporaryFiles(join(dir, 'absent', 'x.checkpoint'))).toEqual([]);
    });
  });
});
