import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { leafHash, verifyConsistency, verifyInclusion } from '../../src/ledger/index.js';
import { arbiter } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';

const dir = tempDir('arbiter-ledger-cli-');
const db = `sqlite:${join(dir, 'ledger.db')}`;
const bytes = (b64: string) => new Uint8Array(Buffer.from(b64, 'base64'));

describe('arbiter ledger', () => {
  it('append, checkpoint, proof, export and offline verify round-trip', () => {
    for (let i = 0; i < 6; i++) {
      const appended = arbiter([
        'ledger',
        'append',
        '--db',
        db,
        '--type',
        'note.added',
        '--data',
        JSON.stringify({ n: i }),
        '--personal',
        '{"email":"ann@example.com"}',
      ]);
      expect(appended.code, appended.stderr).toBe(0);
      const parsed = JSON.parse(appended.stdout);
      expect(parsed.seq).toBe(i);
      if (i === 2) expect(arbiter(['ledger', 'checkpoint', '--db', db]).code).toBe(0);
    }
    const checkpoint = arbiter(['ledger', 'checkpoint', '--db', db]);
    expect(checkpoint.stdout).toMatch(
      /^arbiter\.local\/[0-9a-f]{8}\n6\n[A-Za-z0-9+/]{43}=\n\n— arbiter\.local\/[0-9a-f]{8} \S+\n$/,
    );

    const proof = JSON.parse(arbiter(['ledger', 'proof', '--db', db, '--index', '4']).stdout);
    expect(proof.treeSize).toBe(6);
    expect(verifyInclusion(bytes(proof.leafHash), 4, 6, proof.proof.map(bytes), bytes(proof.root))).toBe(
      true,
    );
    const consistency = JSON.parse(
      arbiter(['ledger', 'proof', '--db', db, '--consistency', '3', '6']).stdout,
    );
    expect(
      verifyConsistency(
        3,
        6,
        consistency.proof.map(bytes),
        bytes(consistency.firstRoot),
        bytes(consistency.secondRoot),
      ),
    ).toBe(true);

    const key = arbiter(['ledger', 'key', '--db', db]).stdout.trim();
    writeFileSync(join(dir, 'vkey'), key);
    const out = join(dir, 'export');
    const exported = arbiter(['ledger', 'export', '--db', db, '--out', out]);
    expect(exported.code, exported.stderr).toBe(0);
    const firstLine = readFileSync(join(out, 'entries.jsonl'), 'utf8').split('\n')[0]!;
    const firstHash = readFileSync(join(out, 'leaf-hashes.txt'), 'utf8').split('\n')[0]!;
    expect(Buffer.from(leafHash(new TextEncoder().encode(firstLine))).toString('hex')).toBe(firstHash);

    const verified = arbiter(['ledger', 'verify', out, '--key', join(dir, 'vkey')]);
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(/^ok: 6 entries, size 6, root [A-Za-z0-9+/]{43}=\n/);
    expect(arbiter(['ledger', 'verify', out, '--key', key]).code).toBe(0);
    expect(arbiter(['ledger', 'verify', '--db', db]).code).toBe(0);

    // Tampering with the export: exit 1 and the entry named.
    const entries = join(out, 'entries.jsonl');
    writeFileSync(entries, readFileSync(entries, 'utf8').replace('"n":2', '"n":7'));
    const failed = arbiter(['ledger', 'verify', out, '--key', key, '--json']);
    expect(failed.code).toBe(1);
    expect(JSON.parse(failed.stdout).problem).toMatchObject({ code: 'entry-altered', seq: 2 });

    // Erasure keeps the database verifiable.
    expect(arbiter(['ledger', 'erase', '--db', db, '--value', 'ann@example.com']).stdout).toContain(
      'erased 6 personal values',
    );
    expect(arbiter(['ledger', 'verify', '--db', db]).code).toBe(0);
  });

  it('a wrong verifier key fails verification, exit 1', () => {
    const other = `sqlite:${join(dir, 'other.db')}`;
    arbiter(['ledger', 'append', '--db', other, '--type', 't']);
    const otherKey = arbiter(['ledger', 'key', '--db', other]).stdout.trim();
    const out = join(dir, 'export-2');
    arbiter(['ledger', 'export', '--db', db, '--out', out]);
    const result = arbiter(['ledger', 'verify', out, '--key', otherKey]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('no signature by a trusted key');
  });

  it.each([
    [['ledger', 'proof', '--db', db, '--index', '999'], /index 999 is not in a tree of size/],
    [['ledger', 'proof', '--db', db], /give either --index/],
    [['ledger', 'proof', '--db', db, '--index', 'abc'], /must be a non-negative integer/],
    [['ledger', 'append', '--db', db, '--type', 't', '--data', '[1]'], /must be a JSON object/],
    [['ledger', 'verify', join(dir, 'nope'), '--key', 'k'], /--key/],
    [['ledger', 'verify', join(dir, 'nope'), '--key', 'a+00000000+AAAA'], /verifier key/],
    [['ledger', 'export', '--db', db, '--out', dir], /not empty/],
    [['ledger', 'erase', '--db', db], /give either --value/],
    [['ledger', 'append', '--db', 'mysql://x', '--type', 't'], /use sqlite:PATH or postgres/],
  ])('bad input is a usage error with a clear message, exit 2: %j', (args, message) => {
    const result = arbiter(args as string[]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });
});
