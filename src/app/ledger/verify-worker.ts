import { parentPort } from 'node:worker_threads';
import type { EntryBatch } from '../../ledger/storage.js';
import { type ChunkOptions, verifyChunk } from '../../ledger/verify-chunk.js';

/** A worker of the verification pool (verify-pool.ts): verifies the chunks it is sent. */
parentPort?.on('message', (message: { id: number; batch: EntryBatch; options: ChunkOptions }) => {
  try {
    parentPort!.postMessage({ id: message.id, verdict: verifyChunk(message.batch, message.options) });
  } catch (error) {
    parentPort!.postMessage({ id: message.id, error: (error as Error).message });
  }
});
