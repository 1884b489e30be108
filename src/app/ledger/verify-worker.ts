import { parentPort, workerData } from 'node:worker_threads';
import { adoptSha256Lanes } from '../../ledger/chunk-tree.js';
import type { EntryBatch } from '../../ledger/storage.js';
import { type ChunkOptions, verifyChunk } from '../../ledger/verify-chunk.js';

/** What the pool (verify-pool.ts) sends: a chunk to verify. */
export interface VerifyRequest {
  id: number;
  options: ChunkOptions;
  batch: EntryBatch;
}

const shared = (workerData as { sha256Lanes?: object } | null)?.sha256Lanes;
if (shared) adoptSha256Lanes(shared);

/** A worker of the verification pool: verifies the chunks it is sent. */
parentPort?.on('message', (request: VerifyRequest) => {
  try {
    parentPort!.postMessage({ id: request.id, verdict: verifyChunk(request.batch, request.options) });
  } catch (error) {
    parentPort!.postMessage({ id: request.id, error: (error as Error).message });
  }
});
