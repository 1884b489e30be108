import { mkdirSync, readdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { replaceFileDurably } from '../../src/app/ledger/durable-file.js';
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
});
