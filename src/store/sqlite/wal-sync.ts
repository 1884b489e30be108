import { ArbiterError } from '../../core/errors.js';

/**
 * Makes the writer's commits durable off the event loop. The writer runs at synchronous=NORMAL, so
 * COMMIT appends the transaction's frames to the `-wal` file without an fsync; this then asks for
 * an fdatasync of that file on the thread pool, and the batch's writers are told "done" only when
 * a sync that began after their COMMIT returned has completed (fdatasync flushes every write made
 * to the file before it was called, through any descriptor).
 *
 * One sync runs at a time. Commits made while one runs share the next: it starts when the running
 * one ends and covers them all (group sync). Never two at once, because Linux reports a writeback
 * error to one fsync only: with two in flight, the later one could take an error that belongs to
 * the earlier one's frames, and the earlier one would then report success for data that is lost.
 *
 * What this sync does not cover, SQLite still syncs at NORMAL (only the commit's own sync is
 * skipped; the checkpoint flags stay): a checkpoint fsyncs the WAL before copying frames into the
 * database and fsyncs the database before recording the WAL as copied, and only then may a writer
 * restart the WAL, whose new header SQLite fsyncs before writing frames after it. The full argument
 * is in docs/deployment.md (Durability).
 *
 * Reads wait too (see readable): a read is answered only once what it saw is on disk, whichever
 * process committed it. The reader's `PRAGMA data_version` tells which commits a sync covers: the
 * value sampled right after our COMMIT, before its sync is asked for, is durable once that sync
 * completes; a value no sync of ours covers means another process committed, and gets a sync.
 *
 * A failed sync fails the store for good. After an fsync error the kernel may have dropped the
 * dirty pages and marked them clean, so a retry that succeeds proves nothing: every later commit
 * and read is refused. Restarting the process alone is not enough either: SQLite would read the
 * WAL back through the page cache, which may still hold frames the disk lost, so the message tells
 * the operator to reboot the machine or check the disk first (docs/deployment.md, Durability).
 */
export class WalSync {
  private running: CoveringSync | undefined;
  /** The sync that starts when the running one ends, shared by every commit made meanwhile. */
  private queued: CoveringSync | undefined;
  private failure: ArbiterError<'ARB_ERR_STORE_UNAVAILABLE'> | undefined;

  constructor(
    /** fdatasync of the `-wal` file; resolves when the file's data is on stable storage. */
    private readonly syncFile: () => Promise<void>,
    private readonly location: string,
    /**
     * The reader connection's `PRAGMA data_version`: it changes whenever another connection (our
     * writer, or another process) has committed since the reader last looked.
     */
    private readonly readVersion: () => number,
    /** The version the reader saw before the last sync that completed (the sync at open). */
    private durableVersion: number,
  ) {}

  /** Call right after a COMMIT returns: resolves once that commit is on disk, rejects if it may not be. */
  afterCommit(): Promise<void> {
    // Sampled in the same turn as COMMIT and before the sync is asked for, so the sync covers it.
    return this.cover(this.readVersion());
  }

  /**
   * Read barrier: call in the same turn as a read on the reader connection, right after it.
   * Resolves once everything the read could have seen is on disk, whoever committed it, so that
   * a read never shows a commit that a power failure could still take back; rejects once the store
   * has failed. Undefined when it is on disk already. A version that no sync of ours covers was
   * committed by another process (the CLI beside a server): it gets a sync of its own, since an
   * fdatasync covers every write made to the file before it was called, through any descriptor.
   */
  readable(): Promise<void> | undefined {
    if (this.failure) return Promise.reject(this.failure);
    const version = this.readVersion();
    // A sync not yet started covers whatever is in the file now: join it.
    if (this.queued) return this.cover(version);
    if (version === this.durableVersion) return undefined;
    if (this.running?.covers === version) return this.running.sync;
    return this.cover(version);
  }

  /** The sync that will cover what the reader saw at `version`: the queued one, or a new one. */
  private cover(version: number): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.queued) {
      this.queued.covers = version;
      return this.queued.sync;
    }
    const previous = this.running?.sync ?? Promise.resolve();
    const next: CoveringSync = { covers: version, sync: Promise.resolve() };
    next.sync = previous.then(() => {
      // From here on a new commit is not covered by this sync: it queues the next one.
      this.queued = undefined;
      this.running = next;
      return this.syncFile().then(
        () => {
          this.durableVersion = next.covers;
          if (this.running === next) this.running = undefined;
        },
        (error: unknown) => {
          const message = syncFailedMessage(this.location, error);
          this.failure ??= new ArbiterError('ARB_ERR_STORE_UNAVAILABLE', message, { cause: error });
          throw this.failure;
        },
      );
    });
    this.queued = next;
    // A rejection is the callers' to handle; this chain holds it only to pass it on.
    next.sync.catch(() => {});
    return next.sync;
  }

  /** The failure that stopped the store, if one did. */
  get failed(): ArbiterError<'ARB_ERR_STORE_UNAVAILABLE'> | undefined {
    return this.failure;
  }
}

/**
 * What the operator must do after a failed sync. Not "restart": a new process would read the WAL
 * back through the page cache and could serve frames the disk never got.
 */
function syncFailedMessage(location: string, error: unknown): string {
  const reason = error instanceof Error ? error.message : String(error);
  return (
    `cannot make the SQLite write-ahead log of ${location} durable (fdatasync failed: ${reason}); ` +
    'the disk may have lost recent writes. Reboot the machine (or check the disk) before restarting ' +
    'Arbiter: a restart alone can read them back from the page cache (docs/deployment.md, Durability)'
  );
}

/** A sync and the reader's data_version it makes durable (every commit the reader saw by then). */
interface CoveringSync {
  sync: Promise<void>;
  covers: number;
}
