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
 * A failed sync fails the store for good. After an fsync error the kernel may have dropped the
 * dirty pages and marked them clean, so a retry that succeeds proves nothing: every later commit
 * and read is refused, and the process must restart (SQLite recovers the WAL from what is on disk).
 */
export class WalSync {
  private running: Promise<void> | undefined;
  /** The sync that starts when the running one ends, shared by every commit made meanwhile. */
  private queued: Promise<void> | undefined;
  private failure: ArbiterError<'ARB_ERR_STORE_UNAVAILABLE'> | undefined;

  constructor(
    /** fdatasync of the `-wal` file; resolves when the file's data is on stable storage. */
    private readonly syncFile: () => Promise<void>,
    private readonly location: string,
  ) {}

  /** Call right after a COMMIT returns: resolves once that commit is on disk, rejects if it may not be. */
  afterCommit(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.queued) return this.queued;
    const previous = this.running ?? Promise.resolve();
    const sync: Promise<void> = previous.then(() => {
      // From here on a new commit is not covered by this sync: it queues the next one.
      this.queued = undefined;
      this.running = sync;
      return this.syncFile().then(
        () => {
          if (this.running === sync) this.running = undefined;
        },
        (error: unknown) => {
          this.failure ??= new ArbiterError(
            'ARB_ERR_STORE_UNAVAILABLE',
            `cannot make the SQLite write-ahead log of ${this.location} durable (fdatasync failed: ${(error as Error)?.message ?? error}); restart Arbiter`,
            { cause: error },
          );
          throw this.failure;
        },
      );
    });
    this.queued = sync;
    // A rejection is the callers' to handle; this chain holds it only to pass it on.
    sync.catch(() => {});
    return sync;
  }

  /**
   * Read barrier: resolves once everything committed so far is on disk, so that a read never sees
   * a commit that a power failure could still take back. Rejects once the store has failed.
   */
  durable(): Promise<void> | undefined {
    if (this.failure) return Promise.reject(this.failure);
    return this.queued ?? this.running;
  }

  /** The failure that stopped the store, if one did. */
  get failed(): ArbiterError<'ARB_ERR_STORE_UNAVAILABLE'> | undefined {
    return this.failure;
  }
}
