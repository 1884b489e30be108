/**
 * arbiter/monitor/parallel — `numericDrift` for many columns on worker threads, one column per
 * task. The statistics stay the pure single-threaded functions of arbiter/monitor; this module only
 * spreads columns over threads, so every result equals `numericDrift` on the same column.
 *
 * Samples are copied to the worker (a Float64Array copy is a memory copy; a plain array is
 * converted once), so the caller's arrays are never touched and may be reused at once.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { requireFinite, requireNonEmpty, type Sample, StatsInputError } from '../../monitor/stats/input.js';
import type { NumericDrift, NumericDriftOptions } from '../../monitor/stats/numeric-drift.js';
import type { DriftReply, DriftTask } from './drift-worker.js';

export type { Sample } from '../../monitor/stats/input.js';
export type { NumericDrift, NumericDriftOptions } from '../../monitor/stats/numeric-drift.js';

/** Options of `DriftPool` and `numericDriftInParallel`. */
export interface DriftPoolOptions {
  /** Worker threads (default: the machine's available parallelism). */
  threads?: number;
}

/** One numeric column's samples, for `numericDriftInParallel`. */
export interface NumericColumnSamples {
  reference: Sample;
  current: Sample;
  options?: NumericDriftOptions;
}

interface Pending {
  resolve: (result: NumericDrift) => void;
  reject: (error: Error) => void;
}

interface PoolWorker {
  worker: Worker;
  busy: boolean;
}

const workerUrl = new URL('./drift-worker.js', import.meta.url);

/**
 * The parent's Node options for the workers, minus --input-type: it is only allowed with --eval
 * or stdin, so a program started with `node --input-type=module -e …` would have workers that fail.
 */
function workerExecArgv(): string[] {
  const argv: string[] = [];
  for (let k = 0; k < process.execArgv.length; k++) {
    const option = process.execArgv[k]!;
    if (option === '--input-type') k++;
    else if (!option.startsWith('--input-type=')) argv.push(option);
  }
  return argv;
}

/** An owned Float64Array copy of a checked sample, whose buffer can be moved to a worker. */
function ownedCopy(values: Sample): Float64Array {
  return values instanceof Float64Array ? values.slice() : new Float64Array(values);
}

/**
 * A fixed set of worker threads computing `numericDrift` for one column at a time each. Threads
 * start on first use; idle threads do not keep the process alive, and `close()` ends them.
 */
export class DriftPool {
  readonly threads: number;
  private readonly workers: PoolWorker[] = [];
  private readonly queue: { task: DriftTask; transfer: ArrayBuffer[] }[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private closed = false;

  constructor(options: DriftPoolOptions = {}) {
    const threads = options.threads ?? availableParallelism();
    if (!(Number.isInteger(threads) && threads >= 1))
      throw new StatsInputError('out-of-range', 'threads', `is ${threads}, must be an integer >= 1`);
    this.threads = threads;
  }

  /**
   * `numericDrift(reference, current, options)` on a worker thread. Rejects with the same
   * `StatsInputError` numericDrift would throw; rejects every pending column if a worker dies.
   */
  numericDrift(reference: Sample, current: Sample, options: NumericDriftOptions = {}): Promise<NumericDrift> {
    if (this.closed) return Promise.reject(new Error('the drift pool is closed'));
    // Checked here, before the conversion to Float64Array could turn a stray string into a number.
    try {
      requireNonEmpty('reference', reference);
      requireNonEmpty('current', current);
      requireFinite('reference', reference);
      requireFinite('current', current);
    } catch (error) {
      return Promise.reject(error);
    }
    const id = this.nextId++;
    const task: DriftTask = { id, reference: ownedCopy(reference), current: ownedCopy(current), options };
    return new Promise<NumericDrift>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.queue.push({
        task,
        transfer: [task.reference.buffer as ArrayBuffer, task.current.buffer as ArrayBuffer],
      });
      this.dispatch();
    });
  }

  /** Ends the worker threads; columns not yet computed are rejected. */
  async close(): Promise<void> {
    this.closed = true;
    this.queue.length = 0;
    this.failAll(new Error('the drift pool was closed'));
    await Promise.all(this.workers.map(({ worker }) => worker.terminate()));
    this.workers.length = 0;
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      let idle = this.workers.find((candidate) => !candidate.busy);
      if (idle === undefined && this.workers.length < this.threads) idle = this.startWorker();
      if (idle === undefined) return;
      const { task, transfer } = this.queue.shift()!;
      idle.busy = true;
      idle.worker.ref();
      idle.worker.postMessage(task, transfer);
    }
  }

  private startWorker(): PoolWorker {
    const entry: PoolWorker = { worker: new Worker(workerUrl, { execArgv: workerExecArgv() }), busy: false };
    entry.worker.on('message', (reply: DriftReply) => {
      entry.busy = false;
      entry.worker.unref();
      this.settle(reply);
      this.dispatch();
    });
    entry.worker.on('error', (error) => this.failAll(error));
    entry.worker.on('exit', () => {
      const index = this.workers.indexOf(entry);
      if (index >= 0) this.workers.splice(index, 1);
      if (!this.closed && this.pending.size > 0) this.failAll(new Error('a drift worker thread exited'));
    });
    this.workers.push(entry);
    return entry;
  }

  private settle(reply: DriftReply): void {
    const pending = this.pending.get(reply.id);
    if (pending === undefined) return;
    this.pending.delete(reply.id);
    if ('result' in reply) pending.resolve(reply.result);
    else if ('refused' in reply) {
      const error = new StatsInputError(reply.refused.reason, reply.refused.argument, '');
      error.message = reply.refused.message;
      pending.reject(error);
    } else pending.reject(new Error(`drift worker failed: ${reply.failed}`));
  }

  private failAll(error: Error): void {
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const { reject } of pending) reject(error);
  }
}

/**
 * `numericDrift` for every column, spread over worker threads (default: one per available core,
 * at most one per column); results in column order. The pool lives for this call only.
 */
export async function numericDriftInParallel(
  columns: readonly NumericColumnSamples[],
  options: DriftPoolOptions = {},
): Promise<NumericDrift[]> {
  const pool = new DriftPool({
    threads: options.threads ?? Math.max(1, Math.min(availableParallelism(), columns.length)),
  });
  try {
    return await Promise.all(
      columns.map((column) => pool.numericDrift(column.reference, column.current, column.options)),
    );
  } finally {
    await pool.close();
  }
}
