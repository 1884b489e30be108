/**
 * Group commit: writes that arrive while a batch is being committed wait and go together into
 * the next transaction. One durable commit covers the whole batch; nobody is told "done" before
 * that commit returns (and, where the runner makes commits durable afterwards, before it has).
 *
 * Batches are optimistic: the jobs of a batch run back to back without savepoints (each one
 * would cost a round trip per write on PostgreSQL). When a job throws, the whole transaction is
 * rolled back, that job is rejected with its error, and the others run again in a new batch —
 * jobs only touch the transaction, so running one again is safe.
 *
 * A store may also defer a batch's writes and send them together (PostgreSQL does, to keep a
 * batch's round trips constant). A deferred write that fails cannot name the job that made it,
 * so the runner says so with a DeferredWriteError and the batch runs again with each write sent
 * as it is made: the failure then reaches its own job, and only that job is refused. A read-ahead
 * that fails when the batch begins (a hint holding text the database refuses) is told the same way.
 *
 * A job may catch a statement's failure and go on. Where the database aborts the transaction on any
 * refused statement (PostgreSQL), that job must not be acknowledged nor the next job blamed: the
 * runner reports the refusal after the job (`refused`), and the queue treats it as that job's error.
 */

/** What the runner is told when a batch begins. */
export interface BatchStart<Reads> {
  /** The read hints of the batch's jobs (see Store.write), for the runner to read at once. */
  reads: readonly Reads[];
  /** Whether writes may be deferred to the commit (false on the run after a DeferredWriteError). */
  deferWrites: boolean;
}

export interface TransactionRunner<Tx, Reads = never> {
  /**
   * Optional: opens the transaction and takes the lock that orders writers (PostgreSQL's ledger lock)
   * before the batch's jobs are chosen, so that jobs arriving while it waits for the lock join the
   * batch. Where replicas contend for the lock, each replica's batches then grow with the wait
   * instead of queueing behind it one lock cycle later. `queued` holds the read hints of the jobs
   * queued now, for the runner to read in the same round trip as the lock (PostgreSQL does); the
   * batch's jobs are those and any that arrive until the lock is held. `begin` follows on the same
   * transaction.
   */
  acquire?(queued: BatchStart<Reads>): Promise<void>;
  begin(batch: BatchStart<Reads>): Promise<void>;
  commit(): Promise<void>;
  /**
   * Optional: called right after `commit` returns, for a store whose COMMIT does not itself wait
   * for the disk (SQLite's WAL synced off the event loop). The batch's jobs are resolved only once
   * the promise it returns resolves, and rejected with its error if it rejects; the next batch
   * begins after that.
   */
  durable?(): Promise<void>;
  rollback(): Promise<void>;
  /**
   * Optional: a statement of the transaction failed since the batch began (or since the last call)
   * — the error, else undefined. Asked after each job: jobs run one at a time, so a failure the job
   * caught and did not rethrow is that job's, and the transaction cannot commit after it.
   */
  refused?(): unknown;
  transaction: Tx;
}

/** Deferred writes of the batch failed: which job made the failing write is unknown. */
export class DeferredWriteError extends Error {
  constructor(cause: unknown) {
    super(`a deferred write of the batch failed: ${(cause as Error)?.message ?? cause}`, { cause });
    this.name = 'DeferredWriteError';
  }
}

interface Job<Tx, Reads> {
  work: (tx: Tx) => Promise<unknown>;
  reads: Reads | undefined;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

const readsOf = <Reads>(jobs: readonly { reads: Reads | undefined }[]): Reads[] =>
  jobs.flatMap((job) => (job.reads === undefined ? [] : [job.reads]));

export class WriteQueue<Tx, Reads = never> {
  private readonly jobs: Job<Tx, Reads>[] = [];
  private running = false;
  private closed = false;
  private idle: Promise<void> = Promise.resolve();
  private markIdle: () => void = () => {};

  constructor(
    private readonly runner: TransactionRunner<Tx, Reads>,
    private readonly maxBatch = 256,
  ) {}

  /**
   * Queues work; resolves with its result after the transaction holding it commits. `reads` hints
   * at what the work will read, for the runner to read for the whole batch at once.
   */
  submit<T>(work: (tx: Tx) => Promise<T>, reads?: Reads): Promise<T> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    return new Promise<T>((resolve, reject) => {
      this.jobs.push({ work, reads, resolve: resolve as (value: unknown) => void, reject });
      if (!this.running) {
        this.running = true;
        this.idle = new Promise((done) => {
          this.markIdle = done;
        });
        setImmediate(() => void this.drain());
      }
    });
  }

  /** Stops accepting work and waits for what is queued to finish. */
  async close(): Promise<void> {
    this.closed = true;
    await this.idle;
  }

  private async drain(): Promise<void> {
    while (this.jobs.length > 0) await this.runBatch();
    this.running = false;
    this.markIdle();
  }

  private async runBatch(): Promise<void> {
    const { runner } = this;
    let acquired = false;
    let deferWrites = true;
    if (runner.acquire) {
      try {
        await runner.acquire({ reads: readsOf(this.jobs.slice(0, this.maxBatch)), deferWrites: true });
        acquired = true;
      } catch (error) {
        await runner.rollback().catch(() => {});
        // A deferred read or write the store refused cannot name its job: run the batch again
        // without deferring, each job on its own statements, so only the one that caused it fails.
        if (!(error instanceof DeferredWriteError)) {
          for (const job of this.jobs.splice(0, this.maxBatch)) job.reject(error);
          return;
        }
        deferWrites = false;
      }
    }
    // Chosen after the lock: whatever arrived while the runner waited for it is in this batch.
    let remaining = this.jobs.splice(0, this.maxBatch);
    while (remaining.length > 0) {
      const values: unknown[] = [];
      let failed: { index: number; error: unknown } | undefined;
      try {
        // A batch run again (after a rollback) takes the lock again.
        const start = { reads: readsOf(remaining), deferWrites };
        if (runner.acquire && !acquired) await runner.acquire(start);
        acquired = false;
        await runner.begin(start);
        for (let i = 0; i < remaining.length; i++) {
          try {
            values.push(await remaining[i]!.work(runner.transaction));
          } catch (error) {
            runner.refused?.();
            failed = { index: i, error };
            break;
          }
          const refused = runner.refused?.();
          if (refused !== undefined) {
            failed = { index: i, error: refused };
            break;
          }
        }
        if (failed) {
          await runner.rollback();
        } else {
          await runner.commit();
        }
      } catch (error) {
        await runner.rollback().catch(() => {});
        if (error instanceof DeferredWriteError && deferWrites) {
          deferWrites = false;
          continue;
        }
        // The transaction itself failed (connection lost, commit refused): nothing is acknowledged.
        for (const job of remaining) job.reject(error);
        return;
      }
      if (!failed) {
        if (runner.durable) {
          // The next batch begins after this one is acknowledged: one batch in flight at a time.
          await runner.durable().then(
            () => {
              for (const [i, job] of remaining.entries()) job.resolve(values[i]);
            },
            (error: unknown) => {
              for (const job of remaining) job.reject(error);
            },
          );
        } else {
          for (const [i, job] of remaining.entries()) job.resolve(values[i]);
        }
        return;
      }
      if (failed.error instanceof DeferredWriteError && deferWrites) {
        deferWrites = false;
        continue;
      }
      remaining[failed.index]!.reject(failed.error);
      remaining = remaining.filter((_, i) => i !== failed.index);
    }
  }
}
