import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  adapterFolders,
  domainFolders,
  formatViolation,
  layeringViolations,
  type SourceFile,
} from './helpers/layering.js';

// The architecture of docs/architecture.md, checked: the domain folders are pure (no adapter, no
// Node I/O, no `process`, no clock or randomness of their own outside a named allow-list), and
// the checker itself is tested on files made to break each rule.

const src = new URL('../src/', import.meta.url).pathname;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(dir, entry.name))
      : /\.(ts|tsx|mts|cts|js|mjs)$/.test(entry.name)
        ? [join(dir, entry.name)]
        : [],
  );
}

const tree: SourceFile[] = sourceFiles(src).map((file) => ({
  path: relative(src, file).split(sep).join('/'),
  text: readFileSync(file, 'utf8'),
}));

/**
 * TEMPORARY, for the supply branch only (issue 16 step 1 makes everything but src/supply/ pure;
 * supply becomes pure with a random-access reader in parallel). The lead deletes this list when
 * merging the supply branch; nothing else may be added to it.
 */

/** `file: what`, without the line, so the known offenders survive unrelated edits. */
const offence = (v: { file: string; what: string }) => `${v.file}: ${v.what}`;

/** What `extra` files add to the tree's violations (added, or replacing files of the same path). */
function violationsWith(...extra: SourceFile[]): string[] {
  const before = new Set(layeringViolations(tree).map(formatViolation));
  const replaced = new Set(extra.map((file) => file.path));
  return layeringViolations([...tree.filter((file) => !replaced.has(file.path)), ...extra])
    .map(formatViolation)
    .filter((violation) => !before.has(violation));
}

describe('layering', () => {
  it('covers every domain folder, and each exists in src/', () => {
    const folders = new Set(tree.map((file) => file.path.split('/')[0]));
    for (const folder of domainFolders) expect(folders.has(folder), `src/${folder}/`).toBe(true);
    expect(tree.length).toBeGreaterThan(250);
  });

  it('the domain imports no adapter, no Node I/O, uses no process, clock or randomness of its own', () => {
    const offences = layeringViolations(tree).map(offence);
    expect(offences).toEqual([]);
  });
});

describe('the layering checker (a test of the test)', () => {
  const probe = (text: string, path = 'gate/probe.ts') => violationsWith({ path, text });

  it("fails on a deliberately added import 'node:fs' in src/gate", () => {
    expect(probe("import 'node:fs';\n")).toEqual(['gate/probe.ts:1: imports node:fs']);
  });

  it('fails on every way of reaching a Node I/O module', () => {
    const cases: [string, string][] = [
      ["import { readFileSync } from 'fs';", 'imports fs'],
      ["import type { Stats } from 'node:fs';", 'imports node:fs'],
      ["import { readFile } from 'node:fs/promises';", 'imports node:fs/promises'],
      ["export * from 'node:os';", 'imports node:os'],
      ["import { Socket } from 'node:net';", 'imports node:net'],
      ["import { request } from 'node:http';", 'imports node:http'],
      ["import https from 'https';", 'imports https'],
      ["import { Worker } from 'node:worker_threads';", 'imports node:worker_threads'],
      ["const cp = require('child_process');", 'imports child_process'],
      ["const fs = await import('node:fs/promises');", 'imports node:fs/promises'],
      ["type S = import('node:fs').Stats;", 'imports node:fs'],
      ["import { join } from 'node:path';", 'imports node:path'],
      ["import { createRequire } from 'node:module';", 'imports node:module'],
      ['const here = import.meta.url;', 'uses import.meta'],
      ["const page = await fetch('https://example.com');", 'calls fetch()'],
    ];
    for (const [text, what] of cases) expect(probe(text), text).toEqual([`gate/probe.ts:1: ${what}`]);
  });

  it('fails on a domain import of an adapter, by relative path or by package name', () => {
    const cases: [string, string][] = [
      ["import { startArbiter } from '../app/arbiter.js';", 'imports ../app/arbiter.js, in the adapter app/'],
      ["import type { Store } from '../store/store.js';", 'imports ../store/store.js, in the adapter store/'],
      ["export { main } from '../cli/main.js';", 'imports ../cli/main.js, in the adapter cli/'],
      ["import { x } from './../demo/story.js';", 'imports ./../demo/story.js, in the adapter demo/'],
      ["import { x } from '../redteam/index.js';", 'imports ../redteam/index.js, in the adapter redteam/'],
      ["import { x } from '../../web/src/main.js';", 'imports ../../web/src/main.js, outside src/'],
      [
        "import { ArbiterClient } from 'arbiter/client';",
        'imports arbiter/client (the package itself, adapters included)',
      ],
      ["import { x } from '#internal';", 'imports #internal (the package itself, adapters included)'],
    ];
    for (const [text, what] of cases) expect(probe(text), text).toEqual([`gate/probe.ts:1: ${what}`]);
    for (const adapter of adapterFolders)
      expect(probe(`import '../${adapter}/x.js';`)).toEqual([
        `gate/probe.ts:1: imports ../${adapter}/x.js, in the adapter ${adapter}/`,
      ]);
  });

  it('fails on process, the clock and randomness, wherever they are written', () => {
    const cases: [string, string][] = [
      ['const home = process.env.HOME;', 'uses process'],
      ['globalThis.process.exit(1);', 'uses process'],
      ['const started = Date.now();', 'calls Date.now()'],
      ['const now = new Date();', 'calls new Date()'],
      ['const now = new Date;', 'calls new Date()'],
      ['const text = Date();', 'calls Date()'],
      ['const t = performance.now();', 'calls performance.now()'],
      ['const t = globalThis.performance.now();', 'calls performance.now()'],
      ['const r = Math.random();', 'calls Math.random()'],
      ["import { randomUUID } from 'node:crypto'; const id = randomUUID();", 'calls randomUUID()'],
      ['const id = crypto.randomUUID();', 'calls randomUUID()'],
      ["import { randomBytes } from 'node:crypto'; const b = randomBytes(8);", 'calls randomBytes()'],
    ];
    for (const [text, what] of cases) expect(probe(text), text).toEqual([`gate/probe.ts:1: ${what}`]);
  });

  it('allows what the domain needs: hashing, compression, POSIX paths, dates it is given, npm packages', () => {
    const text = [
      "import { createHash } from 'node:crypto';",
      "import { gunzipSync } from 'zlib';",
      "import { join } from 'node:path/posix';",
      "import { Type } from '@sinclair/typebox';",
      "import { parseDuration } from '../core/duration.js';",
      "import type { SystemRow } from '../registry/records.js';",
      'const at = new Date(0); const parsed = Date.parse("2026-01-01"); const later = new Date(at.getTime() + 1);',
      "const options = { process: 'gate' }; const step = options.process;",
      "// process.env and Date.now() in a comment do not count, nor do 'Date.now()' or `process` in strings",
      'function pick(salt: (n: number) => Uint8Array) { return salt(32); }',
    ].join('\n');
    expect(probe(text)).toEqual([]);
  });

  it('keeps the foundations low: core imports no other folder, ledger only core, policy core and ledger', () => {
    expect(probe("import { judgeLicense } from '../supply/licenses.js';", 'policy/probe.ts')).toEqual([
      'policy/probe.ts:1: imports ../supply/licenses.js: policy/ builds on core, ledger, identity/session-lifetime.ts only',
    ]);
    expect(probe("import type { Verdict } from '../policy/evaluate-action.js';", 'core/probe.ts')).toEqual([
      'core/probe.ts:1: imports ../policy/evaluate-action.js: core/ builds on nothing only',
    ]);
    expect(probe("import type { PolicyBundle } from '../policy/bundle.js';", 'ledger/probe.ts')).toEqual([
      'ledger/probe.ts:1: imports ../policy/bundle.js: ledger/ builds on core only',
    ]);
    expect(probe("import { sha256Hex } from '../core/digest.js';", 'ledger/probe.ts')).toEqual([]);
    expect(
      probe("import { readCosignatureVerifierKey } from '../ledger/cosignature.js';", 'policy/probe.ts'),
    ).toEqual([]);
  });

  it('lets policy import the one leaf file of identity it is allowed, only while that file imports nothing', () => {
    expect(
      probe("import { maxSessionTtlMs } from '../identity/session-lifetime.js';", 'policy/probe.ts'),
    ).toEqual([]);
    expect(probe("import type { Principal } from '../identity/principal.js';", 'policy/probe.ts')).toEqual([
      'policy/probe.ts:1: imports ../identity/principal.js: policy/ builds on core, ledger, identity/session-lifetime.ts only',
    ]);
    const leaf = (text: string) => violationsWith({ path: 'identity/session-lifetime.ts', text });
    expect(
      leaf("import { ArbiterError } from '../core/errors.js';\nexport const maxSessionTtlMs = 1;"),
    ).toEqual([
      "identity/session-lifetime.ts:1: imports ../core/errors.js: a foundation's leaf file imports nothing from src/",
    ]);
    expect(leaf("export { principalOf } from './principal.js';\nexport const maxSessionTtlMs = 1;")).toEqual([
      "identity/session-lifetime.ts:1: imports ./principal.js: a foundation's leaf file imports nothing from src/",
    ]);
    const withoutLeaf = layeringViolations(
      tree.filter((file) => file.path !== 'identity/session-lifetime.ts'),
    );
    expect(withoutLeaf.map(formatViolation)).toContain(
      'identity/session-lifetime.ts:0: is a listed foundation file, but src/ has no such file',
    );
  });

  it('holds the allow-list to its files: Date.now() is the id generator’s, not its neighbour’s', () => {
    const ids = tree.find((file) => file.path === 'core/ids.ts')!;
    expect(ids.text).toContain('Date.now()');
    expect(violationsWith({ path: 'core/ids-copy.ts', text: ids.text })).toEqual([
      expect.stringMatching(/^core\/ids-copy\.ts:\d+: calls randomBytes\(\)$/),
      expect.stringMatching(/^core\/ids-copy\.ts:\d+: calls Date\.now\(\)$/),
    ]);
  });

  it('fails when a listed domain folder is missing, and when a folder is on no list', () => {
    const withoutNotify = layeringViolations(tree.filter((file) => !file.path.startsWith('notify/')));
    expect(withoutNotify.map(formatViolation)).toContain(
      'notify/:0: is a listed domain folder, but src/ has no such folder',
    );
    expect(layeringViolations(tree).map(formatViolation)).not.toContain(
      'notify/:0: is a listed domain folder, but src/ has no such folder',
    );
    expect(violationsWith({ path: 'helpers/misc.ts', text: 'export const x = 1;' })).toEqual([
      'helpers/:0: is on no list: add it to the domain or the adapter folders (test/helpers/layering.ts)',
    ]);
    expect(violationsWith({ path: 'loose.ts', text: 'export const x = 1;' })).toEqual([
      'loose.ts:1: lies directly in src/: put it in a domain or adapter folder',
    ]);
  });

  it('reports the line of the offence', () => {
    expect(probe("import { x } from '../core/json.js';\n\nconst t = Date.now();\n")).toEqual([
      'gate/probe.ts:3: calls Date.now()',
    ]);
  });
});
