import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const src = new URL('../src/', import.meta.url).pathname;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s*['"]([^'"]+)['"]/g)].map(
    (match) => match[1]!,
  );
}

// The domain libraries are usable on their own: they never reach into adapters.
const pureLayers = ['core', 'policy', 'ledger', 'monitor', 'supply', 'data'];
const adapters = ['server', 'store', 'cli', 'mcp', 'web'];

describe('layering', () => {
  for (const layer of pureLayers) {
    it(`${layer}/ imports nothing from ${adapters.join(', ')}`, () => {
      let dir: string;
      try {
        dir = join(src, layer);
        readdirSync(dir);
      } catch {
        return;
      }
      const offenders = sourceFiles(dir).flatMap((file) =>
        importsOf(file)
          .filter((specifier) =>
            adapters.some((adapter) => new RegExp(`(^|/)\\.\\./(\\.\\./)*${adapter}/`).test(specifier)),
          )
          .map((specifier) => `${file.slice(src.length)} imports ${specifier}`),
      );
      expect(offenders).toEqual([]);
    });
  }

  it('core/ depends on no other layer', () => {
    const offenders = sourceFiles(join(src, 'core')).flatMap((file) =>
      importsOf(file)
        .filter((specifier) => specifier.startsWith('../'))
        .map((specifier) => `${file.slice(src.length)} imports ${specifier}`),
    );
    expect(offenders).toEqual([]);
  });
});
