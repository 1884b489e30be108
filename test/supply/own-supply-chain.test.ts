import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bomSchemaErrors } from '../../src/app/supply/bom-schema-files.js';
import { repoRoot } from '../helpers/cli.js';

interface LockEntry {
  version?: string;
  integrity?: string;
  link?: boolean;
  dev?: boolean;
  hasInstallScript?: boolean;
}

const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  allowScripts?: Record<string, boolean>;
};
const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as {
  lockfileVersion: number;
  packages: Record<string, LockEntry>;
};
const installed = Object.entries(lock.packages).filter(([path]) => path.startsWith('node_modules/'));
const nameOf = (path: string) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);

describe("Arbiter's own supply chain", () => {
  it('npm run sbom writes a CycloneDX 1.6 SBOM of Arbiter that validates and lists every locked package', () => {
    // dist/ exists here: `npm test` builds before it runs the tests.
    const run = spawnSync('npm', ['run', '--silent', 'sbom'], {
      cwd: repoRoot,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status, run.stderr).toBe(0);
    const bom = JSON.parse(readFileSync(join(repoRoot, 'dist', 'arbiter.cdx.json'), 'utf8'));
    expect(bomSchemaErrors(bom)).toEqual([]);
    expect(bom.specVersion).toBe('1.6');
    expect(bom.metadata.component).toMatchObject({ name: manifest.name, version: manifest.version });
    const purls = new Set((bom.components as { purl?: string }[]).map((c) => c.purl));
    for (const name of [...Object.keys(manifest.dependencies), ...Object.keys(manifest.devDependencies)]) {
      const version = lock.packages[`node_modules/${name}`]?.version;
      const purl = `pkg:npm/${name.replace('@', '%40')}@${version}`;
      expect(purls.has(purl), purl).toBe(true);
    }
    // Only the lockfile counts: the example releases' requirements.txt and test fixtures stay out.
    expect([...purls].every((purl) => purl?.startsWith('pkg:npm/'))).toBe(true);
    const locked = new Set(
      installed.filter(([, e]) => !e.link).map(([path, e]) => `${nameOf(path)}@${e.version}`),
    );
    expect(purls.size).toBe(locked.size);
  }, 90_000);

  it('pins every package in the lockfile to a version and a SHA-512 integrity hash', () => {
    expect(lock.lockfileVersion).toBeGreaterThanOrEqual(3);
    // No `resolved` URLs are kept (the registry is the user's configured one); integrity pins the bytes.
    const unpinned = installed
      .filter(([, entry]) => !entry.link)
      .filter(([, entry]) => !entry.version || !/^sha512-/.test(entry.integrity ?? ''))
      .map(([path]) => path);
    expect(unpinned).toEqual([]);
  });

  it('runs install scripts only for packages that build native code (better-sqlite3)', () => {
    const withScripts = installed.filter(([, entry]) => entry.hasInstallScript).map(([path]) => nameOf(path));
    expect(withScripts.sort()).toEqual(['better-sqlite3']);
    expect(Object.keys(manifest.allowScripts ?? {}).sort()).toEqual(withScripts.sort());
  });
});
