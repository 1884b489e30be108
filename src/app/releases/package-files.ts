import { readFileSync } from 'node:fs';
import { sha256Hex } from '../../core/digest.js';
import { ArbiterError } from '../../core/errors.js';
import type { GateInput } from '../../gate/inputs.js';
import type { BomPackage } from '../../supply/bom.js';
import {
  LockfileError,
  normalizePypiName,
  parseLockfile,
  unpinnedRequirements,
} from '../../supply/lockfiles.js';
import { type OsvDatabase, OsvError } from '../../supply/osv.js';
import { loadOsvDatabase } from '../supply/osv-files.js';
import { shownPath as shown } from './input-files.js';

/** Reading lockfiles and the OSV database for the gate, `arbiter scan` and `arbiter bom`, with their errors as CLI errors. */

/** An OSV database, with its errors as CLI errors. */
export async function openOsvDatabase(path: string): Promise<OsvDatabase> {
  try {
    return await loadOsvDatabase(path);
  } catch (error) {
    if (error instanceof OsvError) throw new ArbiterError('ARB_ERR_OSV_DATABASE', error.message);
    throw error;
  }
}

/** Packages from lockfiles, with licences the release declares for those whose lockfile records none. */
export function readPackages(
  files: readonly string[],
  declaredLicenses: Readonly<Record<string, string>> = {},
): { packages: BomPackage[]; warnings: string[]; inputs: GateInput[] } {
  const packages: BomPackage[] = [];
  const warnings: string[] = [];
  const inputs: GateInput[] = [];
  const declared = new Map(
    Object.entries(declaredLicenses).map(([name, license]) => [name.toLowerCase(), license]),
  );
  for (const file of files) {
    let text: string;
    try {
      const bytes = readFileSync(file);
      inputs.push({ kind: 'lockfile', path: shown(file), sha256: sha256Hex(bytes) });
      text = bytes.toString('utf8');
    } catch {
      throw new ArbiterError('ARB_ERR_INPUT_NOT_FOUND', `dependency file ${shown(file)} cannot be read`);
    }
    try {
      for (const pkg of parseLockfile(shown(file), text)) {
        const license =
          pkg.license ??
          declared.get(pkg.name.toLowerCase()) ??
          (pkg.ecosystem === 'PyPI' ? declared.get(normalizePypiName(pkg.name)) : undefined);
        packages.push({ ...pkg, ...(license ? { license } : {}) });
      }
      for (const name of unpinnedRequirements(shown(file), text))
        warnings.push(`${shown(file)}: ${name} is not pinned to one version and is left out of the BOM`);
    } catch (error) {
      if (error instanceof LockfileError) throw new ArbiterError('ARB_ERR_INPUT_INVALID', error.message);
      throw error;
    }
  }
  return { packages, warnings, inputs };
}
