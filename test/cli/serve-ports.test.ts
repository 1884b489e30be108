import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

// A test that runs `arbiter serve` without `--port` binds 8080, the quick start's port: it collides
// with a server someone is running, and a server that wrongly started would hold the port. Every
// `serve` argument list in the tests names a port (`0` picks a free one; the server prints where it
// listens, test/helpers/serve-process.ts reads it).

const testRoot = new URL('..', import.meta.url).pathname;

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? entry.name === 'fixtures'
        ? []
        : testFiles(join(dir, entry.name))
      : /\.tsx?$/.test(entry.name)
        ? [join(dir, entry.name)]
        : [],
  );
}

/** `file:line` of each argument list that runs `arbiter serve` (not `witness serve`, `mcp serve`) without `--port`. */
function serveWithoutPort(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isArrayLiteralExpression(node)) {
      const words = node.elements.map((element) =>
        ts.isStringLiteralLike(element) ? element.text : undefined,
      );
      const at = words.indexOf('serve');
      const subcommand = at > 0 && (words[at - 1] === 'witness' || words[at - 1] === 'mcp');
      if (at >= 0 && !subcommand && !words.includes('--port') && !words.includes('--help')) {
        const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
        found.push(`${file}:${line + 1}`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('tests that run arbiter serve', () => {
  it('all name a port', () => {
    const files = testFiles(testRoot);
    expect(files.length).toBeGreaterThan(100);
    const offenders = files.flatMap((file) =>
      serveWithoutPort(relative(testRoot, file), readFileSync(file, 'utf8')),
    );
    expect(offenders).toEqual([]);
  });

  it('the check finds a serve without a port, and only that (a test of the test)', () => {
    const probe = [
      "arbiter(['serve', '--db', db]);",
      "spawn(process.execPath, [bin, 'serve', ...args]);",
      "main(['node', 'arbiter', 'serve', '--policies', dir], output);",
      "arbiter(['serve', '--db', db, '--port', '0']);",
      "spawn(process.execPath, [bin, 'serve', '--port', port, ...args]);",
      "arbiter(['serve', '--help']);",
      "arbiter(['witness', 'serve', '--key', key]);",
      "spawn(process.execPath, [bin, 'mcp', 'serve']);",
      "const commands = ['policy', 'ledger'];",
    ].join('\n');
    expect(serveWithoutPort('probe.ts', probe)).toEqual(['probe.ts:1', 'probe.ts:2', 'probe.ts:3']);
  });
});
