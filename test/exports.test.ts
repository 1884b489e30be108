import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './helpers/cli.js';

const exportsMap = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  .exports as Record<string, unknown>;

/** Runs an ES module script with Node in the repository, as a user's code would import the package. */
function node(script: string, args: string[] = []) {
  return spawnSync(process.execPath, [...args, '--input-type=module', '-e', script], {
    cwd: repoRoot,
    encoding: 'utf8',
  });
}

// A module hook that refuses Node's I/O modules, so an entry that reaches for one (directly or
// through anything it imports) fails to load.
const refuseNodeIo = `data:text/javascript,${encodeURIComponent(
  `export async function resolve(specifier, context, next) {
    if (/^(node:)?(fs|fs\\/promises|net|http|https|child_process|worker_threads|os)$/.test(specifier))
      throw new Error('imports ' + specifier + ' from ' + context.parentURL);
    return next(specifier, context);
  }`,
)}`;

describe('package entry points', () => {
  for (const entry of Object.keys(exportsMap).filter((key) => key !== './package.json')) {
    it(`arbiter${entry.slice(1)} loads through the package's own exports map`, () => {
      // Self-reference: the built package imported by name, as a user's code would.
      const result = node(
        `const m = await import('arbiter${entry.slice(1)}'); console.log(Object.keys(m).length)`,
      );
      expect(result.stderr).toBe('');
      expect(Number(result.stdout.trim())).toBeGreaterThan(0);
    });
  }

  // The pure libraries run wherever JavaScript runs; what reads the disk is behind a /node subpath.
  for (const entry of [
    'arbiter/policy',
    'arbiter/ledger',
    'arbiter/monitor',
    'arbiter/supply',
    'arbiter/data',
  ]) {
    it(`${entry} loads with Node's I/O modules refused`, () => {
      const result = node(
        `import { register } from 'node:module';
         register(${JSON.stringify(refuseNodeIo)});
         const m = await import('${entry}');
         console.log(Object.keys(m).length);`,
      );
      expect(result.stderr).toBe('');
      expect(Number(result.stdout.trim())).toBeGreaterThan(0);
    });
  }

  it('the refusing hook does refuse: arbiter/policy/node reads directories and fails to load under it', () => {
    const result = node(
      `import { register } from 'node:module';
       register(${JSON.stringify(refuseNodeIo)});
       await import('arbiter/policy/node');`,
    );
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/imports (node:)?fs from .*\/app\/policies\/load-dir\.js/);
  });

  it('arbiter/policy/node loads a governance directory that arbiter/policy evaluates', () => {
    const result = node(
      `const { loadPolicyDirectory } = await import('arbiter/policy/node');
       const { evaluateAction, actorFromSystem } = await import('arbiter/policy');
       const bundle = loadPolicyDirectory('examples/policies');
       const verdict = evaluateAction(bundle, {
         request: { action: 'deploy', resource: { type: 'service', id: 'payments', environment: 'prod' },
                    change: { linesChanged: 40 }, rationale: 'fix', confidence: 0.97 },
         actor: actorFromSystem(bundle.system('deploy-bot')),
         now: new Date('2026-11-17T10:00:00Z'),
       });
       console.log(bundle.digest.startsWith('sha256:'), verdict.effect);`,
    );
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toMatch(/^true (allow|require_approval|deny)$/);
  });
});
