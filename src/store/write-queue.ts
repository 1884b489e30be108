/**
 * Group commit: writes that arrive while a batch is being committed wait and go together into
 * the next transaction. One durable commit covers the whole batch; nobody is told "done" before
 * that commit returns.
 *
 * Batches are optimistic: the jobs of a batch run back to back without savepoints (each one
 * would cost a round trip per write on PostgreSQL). When a job throws, the whole transaction is
 * rolled back, that job is rejected with its error, and the others run again in a new batch —
 * jobs only touch the transaction, so running one again is safe.
 */

export interface TransactionRunner<Tx> {
  begin(): Promise<void>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
  transaction: Tx;
}

interface Job<Tx> {
  work: (tx: Tx) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export class WriteQueue<Tx> {
  private readonly jobs: Job<Tx>[] = [];
  private running = false;
  private closed = false;
  private idle: Promise<void> = Promise.resolve();
  private markIdle: () => void = () => {};

  constructor(
    private readonly runner: TransactionRunner<Tx>,
    private readonly maxBatch = 256,
  ) {}

  /** Queues work; resolves with its result after the transaction holding it commits. */
  submit<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    return new Promise<T>((resolve, reject) => {
      this.jobs.push({ work, resolve: resolve as (value: unknown) => void, reject });
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
    while (this.jobs.length > 0) await this.runBatch(this.jobs.splice(0, this.maxBatch));
    this.running = false;
    this.markIdle();
  }

  private async runBatch(batch: Job<Tx>[]): Promise<void> {
    const { runner } = this;
    let remaining = batch;
    while (remaining.length > 0) {
      const values: unknown[] = [];
      let failed: { index: number; error: unknown } | undefined;
      try {
        await runner.begin();
        for (let i = 0; i < remaining.length; i++) {
          try {
            values.push(await remaining[i]!.work(runner.transaction));
          } catch (error) {
            failed = { index: i, error };
            break;
          }
        }
        if (failed) {
          await runner.rollback();
        } else {
          await runner.commit();
        }
      } catch (error) {
        // The transaction itself failed (connection lost, commit refused): nothing is acknowledged.
        await runner.rollback().catch(() => {});
        for (const job of remaining) job.reject(error);
        return;
      }
      if (!failed) {
        for (const [i, job] of remaining.entries()) job.resolve(values[i]);
        return;
      }
      remaining[failed.index]!.reject(failed.error);
      remaining = remaining.filter((_, i) => i !== failed.index);
    }
  }
}
