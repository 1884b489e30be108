import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ArbiterError } from '../../core/errors.js';
import type { PolicyBundle } from '../../policy/bundle.js';
import { defaultYamlLimits } from '../../policy/limits.js';
import { compileBundle, type PolicyLoadOptions } from '../../policy/load.js';
import type { SourceFile } from '../../policy/yaml-source.js';

/**
 * Reading a governance directory from disk, at the edge: the policy engine itself (`policy/`)
 * compiles files it is handed and never touches the file system.
 */

const yamlFile = /\.ya?ml$/i;
const testFile = /\.test\.ya?ml$/i;

/**
 * The YAML files of a governance directory, split into bundle documents and `*.test.yaml` files.
 * A file larger than the size limit is not read: it comes back empty with its `byteLength`, and
 * parsing reports it.
 */
export function readPolicyDirectory(
  dir: string,
  options: PolicyLoadOptions = {},
): { bundleFiles: SourceFile[]; testFiles: SourceFile[] } {
  const maxFileBytes = options.yaml?.maxFileBytes ?? defaultYamlLimits.maxFileBytes;
  let stat: ReturnType<typeof statSync> | undefined;
  try {
    stat = statSync(dir);
  } catch {
    stat = undefined;
  }
  if (!stat?.isDirectory()) {
    throw new ArbiterError(
      'ARB_ERR_POLICY_DIR_NOT_FOUND',
      `policy directory ${dir} does not exist or is not a directory`,
      {
        details: { dir },
      },
    );
  }
  const bundleFiles: SourceFile[] = [];
  const testFiles: SourceFile[] = [];
  for (const path of listYaml(dir)) {
    const shown = join(dir, relative(dir, path));
    const size = statSync(path).size;
    const file: SourceFile =
      size > maxFileBytes
        ? { path: shown, text: '', byteLength: size }
        : { path: shown, text: readFileSync(path, 'utf8') };
    (testFile.test(path) ? testFiles : bundleFiles).push(file);
  }
  return { bundleFiles, testFiles };
}

function listYaml(dir: string): string[] {
  const out: string[] = [];
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listYaml(path));
    else if (entry.isFile() && yamlFile.test(entry.name)) out.push(path);
  }
  return out;
}

/** Loads and compiles the bundle in `dir` (recursively; `*.test.yaml` and dot-directories are skipped). */
export function loadPolicyDirectory(dir: string, options: PolicyLoadOptions = {}): PolicyBundle {
  const { bundleFiles } = readPolicyDirectory(dir, options);
  if (bundleFiles.length === 0) {
    throw new ArbiterError(
      'ARB_ERR_POLICY_NO_DOCUMENTS',
      `policy directory ${dir} holds no .yaml or .yml files`,
      {
        details: { dir },
      },
    );
  }
  return compileBundle(bundleFiles, options);
}
