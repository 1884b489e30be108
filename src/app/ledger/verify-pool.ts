import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { type ChunkVerifier, verifyChunksInThread } from '../../ledger/audit.js';
import { compiledSha256Lanes } from '../../ledger/chunk-tree.js';
import type { EntryBatch } from '../../ledger/storage.js';
import {
  type ChunkOptions,
  type ChunkVerdict,
  verificationChunkSize,
  verifyChunk,
} from '../../ledger/verify-chunk.js';
import type { VerifyRequest } from './verify-worker.js';

/**
 * Ledger verification on worker threads: the calling thread reads the next batches while the
 * workers hash the previous ones, and the verdicts come back in log order, so the report still
 * names the first bad entry. (Workers reading their own SQLite chunks was tried: with hashing in
 * bulk, reading on this thread is faster and costs less CPU — docs/benchmarks.md.)
 */

const workerScript = new URL('./verify-worker.js', import.meta.url);

/** At most this many workers: each holds two chunks (about 15 MB) in flight. */
export const maxVerifyWorkers = 16;

/** One worker per core, up to 8: hashing is the work; reading and combining verdicts is light beside it. */
export function defaultVerifyWorkers(): number {
  return Math.min(8, availableParallelism());
}

/**
 * A chunk verifier on `workers` worker threads, or on this thread when `workers` is 0 or the
 * worker script is not built (running from the TypeScript sources, as the unit tests do).
 */
export function chunkVerifier(workers: number = defaultVerifyWorkers()): ChunkVerifier {
  if (!Number.isSafeInteger(workers) || workers < 0 || workers > maxVerifyWorkers)
    throw new RangeError(`workers must be an integer from 0 to ${maxVerifyWorkers}, got ${workers}`);
  if (workers < 1 || !existsSync(fileURLToPath(workerScript))) return verifyChunksInThread;
  return (batches, options) => verifyInWorkers(batches, options, workers);
}

async function* verifyInWorkers(
  batches: AsyncIterable<EntryBatch>,
  options: ChunkOptions,
  workers: number,
): AsyncIterable<ChunkVerdict> {
  const iterator = batches[Symbol.asyncIterator]();
  let next = await iterator.next();
  // A ledger of less than one chunk is verified before a worker would have started.
  if (!next.done && next.value.ends.length < verificationChunkSize) {
    yield verifyChunk(next.value, options);
    next = await iterator.next();
    if (next.done) return;
  }
  const pool = new WorkerPool(workers);
  try {
    // Two chunks in flight per worker: one being hashed, one waiting, while this thread reads.
    const pending: Promise<ChunkVerdict>[] = [];
    while (!next.done) {
      pending.push(pool.verify(next.value, options));
      if (pending.length >= workers * 2) yield await pending.shift()!;
      next = await iterator.next();
    }
    while (pending.length > 0) yield await pending.shift()!;
  } finally {
    await pool.close();
    await iterator.return?.();
  }
}

/** Worker threads taking chunks round-robin (chunks are the same size, so this balances them). */
class WorkerPool {
  private readonly workers: Worker[] = [];
  private readonly waiting = new Map<
    number,
    { resolve: (v: ChunkVerdict) => void; reject: (e: Error) => void }
  >();
  private nextId = 0;
  private failure: Error | undefined;

  constructor(count: number) {
    for (let i = 0; i < count; i++) {
      // Not the parent's flags: some (e.g. --input-type with -e) would stop the script loading.
      // The hasher compiled once here and shared: each worker would otherwise generate and compile it.
      const worker = new Worker(workerScript, {
        execArgv: [],
        workerData: { sha256Lanes: compiledSha256Lanes() },
      });
      worker.on('message', (message: { id: number; verdict?: ChunkVerdict; error?: string }) => {
        const waiter = this.waiting.get(message.id);
        this.waiting.delete(message.id);
        if (message.verdict) waiter?.resolve(message.verdict);
        else waiter?.reject(new Error(`ledger verification worker: ${message.error}`));
      });
      worker.on('error', (error) => this.fail(error));
      worker.on('exit', (code) => {
        if (code !== 0) this.fail(new Error(`ledger verification worker exited with code ${code}`));
      });
      this.workers.push(worker);
    }
  }

  verify(batch: EntryBatch, options: ChunkOptions): Promise<ChunkVerdict> {
    const owned = {
      start: batch.start,
      bytes: ownBuffer(batch.bytes),
      ends: new Uint32Array(batch.ends),
      leafHashes: ownBuffer(batch.leafHashes),
    };
    return this.send({ batch: owned, options }, [
      owned.bytes.buffer as ArrayBuffer,
      owned.ends.buffer as ArrayBuffer,
      owned.leafHashes.buffer as ArrayBuffer,
    ]);
  }

  private send(message: Omit<VerifyRequest, 'id'>, transfer: ArrayBuffer[] = []): Promise<ChunkVerdict> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    const verdict = new Promise<ChunkVerdict>((resolve, reject) => this.waiting.set(id, { resolve, reject }));
    // Awaited in order later; until then a failure must not count as unhandled.
    verdict.catch(() => {});
    this.workers[id % this.workers.length]!.postMessage({ id, ...message }, transfer);
    return verdict;
  }

  /** A worker that fails fails every chunk still waiting: nothing is reported as verified. */
  private fail(error: Error): void {
    this.failure ??= error;
    for (const waiter of this.waiting.values()) waiter.reject(error);
    this.waiting.clear();
  }

  async close(): Promise<void> {
    this.failure ??= new Error('ledger verification pool closed');
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
}

/** The bytes in an ArrayBuffer of their own, which can be transferred (moved, not copied). */
function ownBuffer(view: Uint8Array): Uint8Array {
  const whole =
    view.byteOffset === 0 && view.byteLength === view.buffer.byteLength && view.buffer instanceof ArrayBuffer;
  return whole ? view : new Uint8Array(view);
}
