/**
 * Group commit: writes that arrive while a batch is being committed wait and go together into
 * the next transaction, each in its own savepoint. One durable commit covers the whole batch;
 * nobody is told "done" before that commit returns.
 */

export interface TransactionRunner<Tx> {
  begin(): Promise<void>;
  savepoint(): Promise<void>;
  release(): Promise<void>;
  rollbackToSavepoint(): Promise<void>;
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
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    try {
      await runner.begin();
      for (const job of batch) {
        await runner.savepoint();
        try {
          const value = await job.work(runner.transaction);
          await runner.release();
          outcomes.push({ ok: true, value });
        } catch (error) {
          await runner.rollbackToSavepoint();
          outcomes.push({ ok: false, error });
        }
      }
      await runner.commit();
    } catch (error) {
      // The commit (or the transaction itself) failed: none of the batch is acknowledged.
      await runner.rollback().catch(() => {});
      for (const job of batch) job.reject(error);
      return;
    }
    batch.forEach((job, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) job.resolve(outcome.value);
      else job.reject(outcome.error);
    });
  }
}
