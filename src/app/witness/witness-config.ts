import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ArbiterError } from '../../core/errors.js';
import { cosignatureVerifierKeyOf } from '../../ledger/cosignature.js';
import { generateSigner, type NoteSigner, parseSignerKey, parseVerifierKey } from '../../ledger/note.js';
import type { WitnessedLog } from '../../witness/add-checkpoint.js';

/**
 * The witness's configuration: its own key (an ordinary signed-note signer key, mode 0600) and
 * the logs it witnesses (origin and log verifier key). Errors name the file and line, never the key.
 */

/** Creates a witness key file (never overwriting one) and returns its cosignature/v1 verifier key. */
export function createWitnessKey(path: string, name: string): string {
  let keys: { signerKey: string };
  try {
    keys = generateSigner(name);
  } catch (error) {
    throw new ArbiterError('ARB_ERR_USAGE', `--name: ${(error as Error).message}`);
  }
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    writeFileSync(path, `${keys.signerKey}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ArbiterError(
      'ARB_ERR_WITNESS_KEY',
      code === 'EEXIST'
        ? `${path} already exists; a witness key is never overwritten (remove it first to rotate)`
        : `cannot write witness key ${path}: ${(error as Error).message}`,
    );
  }
  return cosignatureVerifierKeyOf(parseSignerKey(keys.signerKey));
}

/** Reads the witness's signer key; the message never contains the key. */
export function readWitnessKey(path: string): NoteSigner {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ArbiterError(
      'ARB_ERR_WITNESS_KEY',
      `cannot read witness key ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
  try {
    return parseSignerKey(text);
  } catch (error) {
    throw new ArbiterError(
      'ARB_ERR_WITNESS_KEY',
      `witness key ${path} is not valid: ${(error as Error).message}`,
    );
  }
}

/**
 * One log: `VKEY` (the origin is the key's name, as Arbiter names its key after its origin) or
 * `ORIGIN VKEY`. Several entries for one origin are several trusted keys (a key rotation).
 */
function parseLogLine(line: string, where: string): { origin: string; verifierKey: string } {
  const parts = line.trim().split(/\s+/);
  if (parts.length < 1 || parts.length > 2 || parts[0] === '')
    throw new ArbiterError(
      'ARB_ERR_WITNESS_CONFIG',
      `${where}: expected "VERIFIER_KEY" or "ORIGIN VERIFIER_KEY"`,
    );
  const verifierKey = parts.at(-1)!;
  try {
    const verifier = parseVerifierKey(verifierKey);
    return { origin: parts.length === 2 ? parts[0]! : verifier.name, verifierKey };
  } catch (error) {
    throw new ArbiterError('ARB_ERR_WITNESS_CONFIG', `${where}: ${(error as Error).message}`);
  }
}

/** The logs from `--log` values and `--logs-file` files (blank lines and `#` comments skipped). */
export function witnessedLogs(options: {
  logs?: readonly string[];
  files?: readonly string[];
}): WitnessedLog[] {
  const entries: { origin: string; verifierKey: string }[] = [];
  for (const [i, value] of (options.logs ?? []).entries())
    entries.push(parseLogLine(value, `--log #${i + 1}`));
  for (const file of options.files ?? []) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new ArbiterError('ARB_ERR_WITNESS_CONFIG', `cannot read ${file}: ${(error as Error).message}`);
    }
    for (const [i, line] of text.split('\n').entries()) {
      if (line.trim() === '' || line.trim().startsWith('#')) continue;
      entries.push(parseLogLine(line, `${file}:${i + 1}`));
    }
  }
  if (entries.length === 0)
    throw new ArbiterError(
      'ARB_ERR_WITNESS_CONFIG',
      'no logs to witness: give --log VKEY or --logs-file FILE',
    );
  const byOrigin = new Map<string, WitnessedLog>();
  for (const entry of entries) {
    const log = byOrigin.get(entry.origin) ?? { origin: entry.origin, verifiers: [] };
    log.verifiers.push(parseVerifierKey(entry.verifierKey));
    byOrigin.set(entry.origin, log);
  }
  return [...byOrigin.values()];
}
