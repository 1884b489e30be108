import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ArbiterError } from '../../core/errors.js';
import { MerkleLog } from '../../ledger/log.js';
import { generateSigner, type NoteSigner, parseSignerKey, verifierKeyOf } from '../../ledger/note.js';
import { parseDatabaseUrl } from '../../store/open.js';
import type { Store } from '../../store/store.js';

/** The ledger of one database: its log, its origin and its signing key. */
export interface Ledger {
  store: Store;
  log: MerkleLog;
  origin: string;
  signer: NoteSigner;
  verifierKey: string;
  keyPath: string;
}

/**
 * Where the signing key lives unless told: beside an SQLite database and named after it
 * (`arbiter.db` → `arbiter.ledger.key`), so two databases in one folder never share a key;
 * for PostgreSQL, ./.arbiter/ledger-signing.key.
 */
export function defaultLedgerKeyPath(databaseUrl: string): string {
  const parsed = parseDatabaseUrl(databaseUrl);
  if (parsed.kind === 'sqlite' && parsed.path !== ':memory:') {
    return join(dirname(parsed.path), `${basename(parsed.path).replace(/\.(db|sqlite3?)$/i, '')}.ledger.key`);
  }
  return join('.arbiter', 'ledger-signing.key');
}

function readKey(path: string): NoteSigner | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ArbiterError(
      'ARB_ERR_LEDGER_KEY',
      `cannot read ledger signing key ${path}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  try {
    return parseSignerKey(text);
  } catch (error) {
    throw new ArbiterError(
      'ARB_ERR_LEDGER_KEY',
      `ledger signing key ${path} is not valid: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/** Creates the key file readable only by its owner; an existing file is never overwritten. */
function createKey(path: string, origin: string): NoteSigner {
  const { signerKey } = generateSigner(origin);
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    writeFileSync(path, `${signerKey}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return readKey(path)!;
    throw new ArbiterError(
      'ARB_ERR_LEDGER_KEY',
      `cannot create ledger signing key ${path}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  return parseSignerKey(signerKey);
}

/**
 * Opens the ledger of a store. The origin (the log's name in checkpoints) is created once and
 * kept in the database; the signing key is created on first use with mode 0600 and named after
 * the origin. A key whose name differs from the origin is refused: its checkpoints would name
 * another log.
 */
export async function openLedger(
  store: Store,
  options: { keyPath: string; clock?: () => Date },
): Promise<Ledger> {
  let origin = await store.getMeta('ledger.origin');
  const existingKey = readKey(options.keyPath);
  if (origin === undefined) {
    const candidate = existingKey?.name ?? `arbiter.local/${randomBytes(4).toString('hex')}`;
    origin = await store.write(async (tx) => {
      const raced = await tx.getMeta('ledger.origin');
      if (raced !== undefined) return raced;
      await tx.setMeta('ledger.origin', candidate);
      return candidate;
    });
  }
  const recorded = await store.getMeta('ledger.verifierKey');
  if (!existingKey && recorded !== undefined) {
    throw new ArbiterError(
      'ARB_ERR_LEDGER_KEY',
      `the ledger signing key is missing at ${options.keyPath}; restore it (every replica needs the same key file) or point --ledger-key at it`,
    );
  }
  const signer = existingKey ?? createKey(options.keyPath, origin);
  if (signer.name !== origin) {
    throw new ArbiterError(
      'ARB_ERR_LEDGER_KEY',
      `ledger signing key ${options.keyPath} is for log "${signer.name}" but this database's ledger is "${origin}"`,
    );
  }
  if (recorded !== undefined && recorded !== verifierKeyOf(signer)) {
    throw new ArbiterError(
      'ARB_ERR_LEDGER_KEY',
      `ledger signing key ${options.keyPath} is not this ledger's key (its verifier key is ${recorded})`,
    );
  }
  if (recorded === undefined) {
    await store.write(async (tx) => {
      if ((await tx.getMeta('ledger.verifierKey')) === undefined)
        await tx.setMeta('ledger.verifierKey', verifierKeyOf(signer));
    });
  }
  const log = new MerkleLog({ origin, signer, clock: options.clock ?? (() => new Date()) });
  return { store, log, origin, signer, verifierKey: verifierKeyOf(signer), keyPath: options.keyPath };
}
