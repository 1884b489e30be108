import { builtinModules } from 'node:module';
import { posix } from 'node:path';
import ts from 'typescript';

/**
 * The architecture rules of docs/architecture.md as a checker over source files: which folders
 * are the pure domain and which are adapters, what domain code may import and which globals it
 * may touch. It reads the TypeScript syntax tree (not regular expressions), so comments and
 * strings never count and every form of import does: static, type-only, re-exports, dynamic
 * `import()` and `require()`.
 */

/** The pure domain: no I/O, no globals, injected clock and randomness. */
export const domainFolders = [
  'core',
  'policy',
  'ledger',
  'registry',
  'decisions',
  'identity',
  'gate',
  'supply',
  'monitor',
  'incidents',
  'notify',
  'integrations',
  'compliance',
  'data',
  'hooks',
  'witness',
] as const;

/** The imperative shell around it. The domain imports none of them. */
export const adapterFolders = [
  'app',
  'server',
  'store',
  'cli',
  'mcp',
  'redteam',
  'client',
  'web',
  'demo',
] as const;

/** Ambient type declarations for untyped npm packages: neither layer, nothing runs. */
export const declarationFolders = ['types'] as const;

/**
 * The base of the domain: core imports no other folder, ledger only core, policy core and ledger
 * (a `kind: Witness` document's key is checked by the ledger's own parser). (The rest of the domain
 * may build on any domain folder.)
 */
export const foundations: Readonly<Record<string, readonly string[]>> = {
  core: [],
  policy: ['core', 'ledger'],
  ledger: ['core'],
};

/**
 * Single files above a foundation that it may import all the same, each a leaf that imports no
 * other file of src/ (checked), so nothing else comes along: the session lifetime limit is
 * identity's, and policy/ refuses an IdentityProvider's `sessionTtl` above it.
 */
export const foundationFiles: Readonly<Record<string, readonly string[]>> = {
  policy: ['identity/session-lifetime.ts'],
};

const leafFiles = new Set(Object.values(foundationFiles).flat());

/** The Node modules the domain may use: hashing and signatures, compression, POSIX path strings. */
export const allowedNodeModules = ['crypto', 'zlib', 'path/posix'] as const;

/**
 * The only domain files that read a clock or draw randomness by themselves, each as the default of
 * something injectable: the id generator and the CEL time bound.
 */
export const clockAllowList: Readonly<Record<string, readonly string[]>> = {
  'core/ids.ts': ['Date.now()', 'randomBytes()'],
  'policy/cel-guard.ts': ['performance.now()'],
};

/** What the package calls itself: a domain module importing `arbiter/…` reaches the adapters by name. */
const packageName = 'arbiter';

export interface SourceFile {
  /** Relative to src/, with forward slashes: `gate/run.ts`. */
  path: string;
  text: string;
}

/** One broken rule: `gate/run.ts:1: imports node:fs`. */
export interface Violation {
  file: string;
  line: number;
  what: string;
}

export const formatViolation = (v: Violation) => `${v.file}:${v.line}: ${v.what}`;

const nodeModules = new Set(builtinModules.filter((name) => !name.startsWith('_')));

function nodeModuleOf(specifier: string): string | undefined {
  const name = specifier.startsWith('node:') ? specifier.slice('node:'.length) : specifier;
  return specifier.startsWith('node:') || nodeModules.has(name) ? name : undefined;
}

/** Every module specifier a file names, with its line: imports, re-exports, `import()`, `require()`. */
function specifiersOf(source: ts.SourceFile): { specifier: string; line: number }[] {
  const found: { specifier: string; line: number }[] = [];
  const add = (node: ts.Node, literal: ts.Expression | undefined) => {
    if (literal && ts.isStringLiteralLike(literal))
      found.push({ specifier: literal.text, line: lineOf(source, node) });
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) add(node, node.moduleSpecifier);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference))
      add(node, node.moduleReference.expression);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument))
      add(node, node.argument.literal as ts.Expression);
    else if (
      ts.isCallExpression(node) &&
      (node.expression.kind === ts.SyntaxKind.ImportKeyword ||
        (ts.isIdentifier(node.expression) && node.expression.text === 'require'))
    )
      add(node, node.arguments[0]);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const lineOf = (source: ts.SourceFile, node: ts.Node) =>
  source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;

/** `Date.now` for `Date.now()`; `randomUUID` for `crypto.randomUUID()` or `randomUUID()`. */
function calleeName(expression: ts.Expression): string | undefined {
  if (ts.isIdentifier(expression)) return expression.text;
  if (ts.isPropertyAccessExpression(expression)) {
    const owner = calleeName(expression.expression);
    return owner === undefined ? expression.name.text : `${owner}.${expression.name.text}`;
  }
  return undefined;
}

const randomness = new Set(['randomUUID', 'randomBytes', 'randomInt', 'getRandomValues']);

/**
 * What a file reaches for by itself besides imports: the clock and randomness (`Date.now()`,
 * zero-argument `new Date()`, …), the network (`fetch()`) and its own location (`import.meta`).
 */
function ambientReads(source: ts.SourceFile): { what: string; line: number }[] {
  const found: { what: string; line: number }[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isNewExpression(node) && calleeName(node.expression) === 'Date' && !node.arguments?.length)
      found.push({ what: 'new Date()', line: lineOf(source, node) });
    if (ts.isCallExpression(node)) {
      const name = calleeName(node.expression)?.replace(/^globalThis\./, '');
      const last = name?.split('.').pop();
      if (name === 'fetch') found.push({ what: 'fetch()', line: lineOf(source, node) });
      else if (name === 'Date.now' || name === 'performance.now' || name === 'Math.random')
        found.push({ what: `${name}()`, line: lineOf(source, node) });
      else if (name === 'Date' && node.arguments.length === 0)
        found.push({ what: 'Date()', line: lineOf(source, node) });
      else if (last && randomness.has(last)) found.push({ what: `${last}()`, line: lineOf(source, node) });
    }
    if (ts.isMetaProperty(node) && node.keywordToken === ts.SyntaxKind.ImportKeyword)
      found.push({ what: 'import.meta', line: lineOf(source, node) });
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** Uses of the `process` global (not a property or a key that happens to be called process). */
function processUses(source: ts.SourceFile): number[] {
  const lines: number[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isIdentifier(node) && node.text === 'process') {
      const parent = node.parent;
      const isName =
        (ts.isPropertyAccessExpression(parent) &&
          parent.name === node &&
          !['globalThis', 'global'].includes(calleeName(parent.expression) ?? '')) ||
        ((ts.isPropertyAssignment(parent) ||
          ts.isPropertyDeclaration(parent) ||
          ts.isPropertySignature(parent) ||
          ts.isMethodDeclaration(parent)) &&
          parent.name === node);
      if (!isName) lines.push(lineOf(source, node));
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return lines;
}

/** The src/ file a relative specifier names (`.js` read as `.ts`), or undefined when it leaves src/. */
function targetOf(file: string, specifier: string): string | undefined {
  const target = posix.normalize(posix.join(posix.dirname(file), specifier));
  if (target.startsWith('..') || posix.isAbsolute(target)) return undefined;
  return target.replace(/\.js$/, '.ts');
}

// Parsing is most of the work: a file checked once is not parsed again (the tests check the same
// tree many times, each with one probe file added).
const checked = new Map<string, Violation[]>();

/** The rules a domain file breaks. */
function domainViolations(file: SourceFile, folder: string): Violation[] {
  const key = `${file.path}\0${file.text}`;
  let violations = checked.get(key);
  if (!violations) {
    violations = uncachedDomainViolations(file, folder);
    checked.set(key, violations);
  }
  return violations;
}

function uncachedDomainViolations(file: SourceFile, folder: string): Violation[] {
  const source = ts.createSourceFile(file.path, file.text, ts.ScriptTarget.Latest, true);
  const violations: Violation[] = [];
  const add = (line: number, what: string) => violations.push({ file: file.path, line, what });
  for (const { specifier, line } of specifiersOf(source)) {
    const nodeModule = nodeModuleOf(specifier);
    if (nodeModule !== undefined) {
      if (!(allowedNodeModules as readonly string[]).includes(nodeModule)) add(line, `imports ${specifier}`);
      continue;
    }
    if (specifier === packageName || specifier.startsWith(`${packageName}/`) || specifier.startsWith('#')) {
      add(line, `imports ${specifier} (the package itself, adapters included)`);
      continue;
    }
    if (specifier.startsWith('/')) {
      add(line, `imports ${specifier} (an absolute path)`);
      continue;
    }
    if (!specifier.startsWith('.')) continue; // an npm package
    const targetFile = targetOf(file.path, specifier);
    const target = targetFile?.split('/')[0];
    const allowed = [...(foundations[folder] ?? []), ...(foundationFiles[folder] ?? [])];
    if (target === undefined) add(line, `imports ${specifier}, outside src/`);
    else if ((adapterFolders as readonly string[]).includes(target))
      add(line, `imports ${specifier}, in the adapter ${target}/`);
    else if (leafFiles.has(file.path))
      add(line, `imports ${specifier}: a foundation's leaf file imports nothing from src/`);
    else if (
      target !== folder &&
      foundations[folder] &&
      !allowed.includes(target) &&
      !allowed.includes(targetFile!)
    )
      add(line, `imports ${specifier}: ${folder}/ builds on ${allowed.join(', ') || 'nothing'} only`);
  }
  for (const line of processUses(source)) add(line, 'uses process');
  const allowed = clockAllowList[file.path] ?? [];
  for (const { what, line } of ambientReads(source))
    if (!allowed.includes(what)) add(line, what === 'import.meta' ? 'uses import.meta' : `calls ${what}`);
  return violations;
}

/**
 * Every rule broken by `files` (all of src/): domain files that import adapters, Node I/O modules
 * or the package itself, use `process`, or read the clock or randomness outside the allow-list;
 * listed folders that are missing; folders on no list.
 */
export function layeringViolations(files: readonly SourceFile[]): Violation[] {
  const violations: Violation[] = [];
  const present = new Set<string>();
  for (const file of files) {
    const parts = file.path.split('/');
    if (parts.length === 1) {
      violations.push({
        file: file.path,
        line: 1,
        what: 'lies directly in src/: put it in a domain or adapter folder',
      });
      continue;
    }
    const folder = parts[0]!;
    present.add(folder);
    if ((domainFolders as readonly string[]).includes(folder))
      violations.push(...domainViolations(file, folder));
    else if (
      !(adapterFolders as readonly string[]).includes(folder) &&
      !(declarationFolders as readonly string[]).includes(folder)
    )
      violations.push({
        file: `${folder}/`,
        line: 0,
        what: 'is on no list: add it to the domain or the adapter folders (test/helpers/layering.ts)',
      });
  }
  for (const leaf of leafFiles)
    if (!files.some((file) => file.path === leaf))
      violations.push({
        file: leaf,
        line: 0,
        what: 'is a listed foundation file, but src/ has no such file',
      });
  for (const folder of domainFolders)
    if (!present.has(folder))
      violations.push({
        file: `${folder}/`,
        line: 0,
        what: 'is a listed domain folder, but src/ has no such folder',
      });
  // A folder reported once is enough.
  return violations.filter(
    (v, i) => v.line !== 0 || violations.findIndex((w) => w.file === v.file && w.what === v.what) === i,
  );
}
