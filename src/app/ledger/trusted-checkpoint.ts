import { readFileSync } from 'node:fs';
import { ArbiterError } from '../../core/errors.js';
import { type Logger, silentLogger } from '../../core/logger.js';
import { openCheckpoint } from '../../ledger/checkpoint.js';
import { parseVerifierKey } from '../../ledger/note.js';
import { emptyRoot } from '../../ledger/rfc6962.js';
import type { LedgerReader, StoredCheckpoint } from '../../ledger/storage.js';
import { verifyConsistency } from '../../ledger/verify.js';
import { removeStaleTemporaryFiles, replaceFileDurably } from './durable-file.js';
import type { Ledger } from './ledger.js';

/** A tree the process knows: how many leaves, which root. */
export interface TreeHead {
  size: number;
  root: Uint8Array;
}

/** Where the trusted checkpoint lives unless told: beside the signing key (`x.ledger.key` → `x.ledger.checkpoint`). */
export function defaultTrustedCheckpointPath(keyPath: string): string {
  return `${keyPath.replace(/\.key$/i, '')}.checkpoint`;
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/**
 * The newest signed checkpoint, kept in a file outside the database, and the check that the
 * database's tree still extends it (RFC 6962 consistency). Someone who can write to the database
 * but not to this file cannot rewrite checkpointed history without the server refusing to start
 * and to sign: it never signs a tree that is not a consistent extension of the one it trusts.
 */
export class TrustedCheckpoint {
  /** The sign() in progress: signs run one at a time, so the file always ends with the newest. */
  private signing: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly ledger: Ledger,
    /** The file holding the trusted checkpoint note. */
    readonly path: string,
    private trusted: TreeHead,
    /** The newest tree proven to extend `trusted` (what inclusion proofs are checked against). */
    private verified: TreeHead,
  ) {}

  /**
   * Reads the trusted checkpoint and checks the database extends it. Without a file (a new ledger,
   * or a database from before trusted checkpoints), the database's newest checkpoint is trusted on
   * first use and written out — the warning says so.
   */
  static async open(
    ledger: Ledger,
    options: { path?: string; logger?: Logger } = {},
  ): Promise<TrustedCheckpoint> {
    const path = options.path ?? defaultTrustedCheckpointPath(ledger.keyPath);
    const logger = options.logger ?? silentLogger;
    // A crash between writing and renaming leaves `<file>.<pid>.tmp`: harmless, but it would stay.
    await removeStaleTemporaryFiles(path).then(
      (removed) => {
        for (const temporary of removed)
          logger.warn(
            { path: temporary },
            `removed ${temporary}, left by a process that stopped while writing ${path}`,
          );
      },
      (error: Error) =>
        logger.warn(
          { path, err: error },
          `could not remove stale temporary files beside ${path}: ${error.message}`,
        ),
    );
    let trusted: TreeHead;
    const note = readNote(path);
    if (note === undefined) {
      const newest = (await ledger.store.ledger.checkpoints()).at(-1);
      trusted = newest ? openTrusted(ledger, newest.note, `the database's newest checkpoint`) : empty();
      if (newest) {
        await replaceFileDurably(path, newest.note);
        logger.warn(
          { path, size: newest.size },
          `no trusted checkpoint at ${path}: trusting the database's newest checkpoint (size ${newest.size}) from now on`,
        );
      }
    } else {
      trusted = openTrusted(ledger, note, `trusted checkpoint ${path}`);
    }
    const anchor = new TrustedCheckpoint(ledger, path, trusted, trusted);
    await anchor.verifyExtension();
    return anchor;
  }

  /** The checkpoint held outside the database. */
  get trustedHead(): TreeHead {
    return this.trusted;
  }

  /** The newest tree proven consistent with the trusted checkpoint. */
  get verifiedHead(): TreeHead {
    return this.verified;
  }

  /**
   * The database's tree as `reader` sees it, proven to extend the trusted checkpoint. Throws
   * ARB_ERR_LEDGER_BEHIND_TRUST when it is shorter, ARB_ERR_LEDGER_UNTRUSTED when it differs.
   */
  async verifyExtension(
    reader: Pick<LedgerReader, 'size' | 'nodes'> = this.ledger.store.ledger,
  ): Promise<TreeHead> {
    const trusted = this.trusted;
    const size = await reader.size();
    if (size < trusted.size) {
      throw new ArbiterError(
        'ARB_ERR_LEDGER_BEHIND_TRUST',
        `the database's ledger has ${size} entries but the trusted checkpoint (${this.path}) covers ${trusted.size}: was it restored from an older backup? Review it, then accept it with \`arbiter ledger adopt\``,
        { details: { databaseSize: size, trustedSize: trusted.size, path: this.path } },
      );
    }
    const { root } = await this.ledger.log.root(reader, size);
    const proof = await this.ledger.log.consistencyProof(reader, trusted.size, size);
    if (!verifyConsistency(trusted.size, size, proof, trusted.root, root)) {
      throw new ArbiterError(
        'ARB_ERR_LEDGER_UNTRUSTED',
        `the database's ledger (size ${size}) is not a consistent extension of the trusted checkpoint at size ${trusted.size} (${this.path}): entries before ${trusted.size} were rewritten. Refusing to sign; run \`arbiter ledger verify --db … --checkpoint ${this.path}\` to find the first changed entry`,
        {
          details: {
            databaseSize: size,
            trustedSize: trusted.size,
            trustedRoot: b64(trusted.root),
            path: this.path,
          },
        },
      );
    }
    if (size >= this.verified.size) this.verified = { size, root };
    return { size, root };
  }

  /**
   * Signs a checkpoint of the database's tree — only if it extends the trusted one — and trusts it
   * from then on. Overlapping calls (the signing loop and `close()`) run one after another.
   */
  sign(): Promise<StoredCheckpoint> {
    const signing = this.signing.then(() => this.signNow());
    this.signing = signing.catch(() => {});
    return signing;
  }

  private async signNow(): Promise<StoredCheckpoint> {
    const signed = await this.ledger.store.write(async (tx) => {
      await this.verifyExtension(tx.ledger);
      return this.ledger.log.checkpoint(tx.ledger);
    });
    // After the commit: a crash (or a failed write) before the file is replaced leaves it one
    // checkpoint behind, still consistent; the next sign() replaces it.
    await replaceFileDurably(this.path, signed.note);
    this.trusted = { size: signed.size, root: signed.root };
    if (signed.size >= this.verified.size) this.verified = { size: signed.size, root: signed.root };
    return signed;
  }
}

/** What `adoptDatabaseTree` did: the tree trusted before, and the one trusted now. */
export interface Adoption {
  path: string;
  previous: { size: number; root: string } | null;
  adopted: { size: number; root: string };
  seq: number;
}

/**
 * Trusts the database's tree as it is now, whatever the trusted checkpoint says — for a restore
 * that a person reviewed. Records a `ledger.adopted` entry naming them, the reason and both
 * sizes, signs a checkpoint over it and replaces the trusted file.
 */
export async function adoptDatabaseTree(
  ledger: Ledger,
  options: { path?: string; by: string; reason: string },
): Promise<Adoption> {
  const path = options.path ?? defaultTrustedCheckpointPath(ledger.keyPath);
  const note = readNote(path);
  const previous = note === undefined ? undefined : openTrusted(ledger, note, `trusted checkpoint ${path}`);
  const { seq, signed } = await ledger.store.write(async (tx) => {
    const size = await tx.ledger.size();
    const [entry] = await ledger.log.append(tx.ledger, [
      {
        type: 'ledger.adopted',
        actor: options.by,
        subject: ledger.origin,
        // The reason is a person's free text: kept beside the log, erasable.
        personal: { reason: options.reason },
        data: {
          databaseSize: size,
          previous: previous ? { size: previous.size, root: b64(previous.root) } : null,
        },
      },
    ]);
    return { seq: entry!.seq, signed: await ledger.log.checkpoint(tx.ledger) };
  });
  await replaceFileDurably(path, signed.note);
  return {
    path,
    previous: previous ? { size: previous.size, root: b64(previous.root) } : null,
    adopted: { size: signed.size, root: b64(signed.root) },
    seq,
  };
}

function empty(): TreeHead {
  return { size: 0, root: emptyRoot };
}

function openTrusted(ledger: Ledger, note: string, what: string): TreeHead {
  const opened = openCheckpoint(note, [parseVerifierKey(ledger.verifierKey)]);
  if (!opened.ok)
    throw new ArbiterError(
      'ARB_ERR_LEDGER_UNTRUSTED',
      `${what} does not verify with this ledger's key: ${opened.message}`,
    );
  if (opened.checkpoint.origin !== ledger.origin)
    throw new ArbiterError(
      'ARB_ERR_LEDGER_UNTRUSTED',
      `${what} is for log "${opened.checkpoint.origin}", not this ledger's "${ledger.origin}"`,
    );
  return { size: opened.checkpoint.size, root: opened.checkpoint.root };
}

function readNote(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ArbiterError(
      'ARB_ERR_LEDGER_UNTRUSTED',
      `cannot read the trusted checkpoint ${path}: ${(error as Error).message}`,
      { cause: error },
    );
  }
}
