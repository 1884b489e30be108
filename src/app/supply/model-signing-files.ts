import { lstat, readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import {
  type ModelSignaturePolicy,
  type ModelSignatureResult,
  ModelSigningError,
  type ModelTree,
  verifySignedModel,
} from '../../supply/model-signing.js';
import { sha256Of } from '../../supply/reader.js';
import { withFileReader } from './file-reader.js';

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Every non-directory entry under `root` as a POSIX path relative to it (files, symbolic links and
 * special files alike, so callers decide what is acceptable), sorted. `skip` prunes a relative path
 * before it is visited, which also stops descent into a skipped directory.
 */
async function listFiles(root: string, skip: (relative: string) => boolean): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string, prefix: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const relativePath = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (skip(relativePath)) continue;
      if (entry.isDirectory()) await walk(join(dir, entry.name), relativePath);
      else found.push(relativePath);
    }
  };
  await walk(root, '');
  return found.sort();
}

/** The model at `modelPath` (a directory or a single file) as the verifier's port over the file system. */
export async function modelTreeAt(modelPath: string, signaturePath: string): Promise<ModelTree> {
  const isDirectory = await stat(modelPath).then(
    (s) => s.isDirectory(),
    (error: unknown) => {
      throw new ModelSigningError(`cannot read model ${modelPath}: ${message(error)}`, { cause: error });
    },
  );
  const pathOf = (name: string) => (name === '.' ? modelPath : join(modelPath, ...name.split('/')));
  return {
    isDirectory,
    ...(isDirectory
      ? { signatureName: relative(resolve(modelPath), resolve(signaturePath)).split(sep).join('/') }
      : {}),
    async stat(name) {
      const entry = await lstat(pathOf(name)).catch(() => undefined);
      if (!entry) return undefined;
      const target = await stat(pathOf(name)).catch(() => undefined);
      return { symlink: entry.isSymbolicLink(), regularFile: target?.isFile() ?? false };
    },
    sha256: (name) => withFileReader(pathOf(name), (reader) => sha256Of(reader)),
    list: (skip) => listFiles(modelPath, skip),
  };
}

/** Verifies the signature file at `signaturePath` over the model at `modelPath`, offline (see verifySignedModel). */
export async function verifyModelSignature(
  signaturePath: string,
  modelPath: string,
  policy: ModelSignaturePolicy,
): Promise<ModelSignatureResult> {
  let text: string;
  try {
    text = await readFile(signaturePath, 'utf8');
  } catch (error) {
    throw new ModelSigningError(`cannot read signature ${signaturePath}: ${message(error)}`, {
      cause: error,
    });
  }
  const model = await modelTreeAt(modelPath, signaturePath).catch((error: unknown) => error);
  if (model instanceof ModelSigningError) {
    // A malformed policy or signature is reported before a missing model, as it always was.
    await verifySignedModel({ name: signaturePath, text }, emptyTree, policy);
    throw model;
  }
  return verifySignedModel({ name: signaturePath, text }, model as ModelTree, policy);
}

/** Stands in for a model that cannot be opened while the signature and policy are checked first. */
const emptyTree: ModelTree = {
  isDirectory: false,
  stat: async () => undefined,
  sha256: async () => '',
  list: async () => [],
};
