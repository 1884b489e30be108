import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { adoptSha256Lanes } from '../../ledger/chunk-tree.js';
import type { EntryBatch } from '../../ledger/storage.js';
import { type ChunkOptions, type ChunkVerdict, verifyChunk } from '../../ledger/verify-chunk.js';
import type { EntryBatchReader } from '../../store/sql/ledger.js';
import { sqliteEntryBatch } from '../../store/sqlite/ledger.js';

/** Entries start <= seq < end of the SQLite database file at `path`. */
export interface ChunkRange {
  path: string;
  start: number;
  end: number;
}

/** What the pool (verify-pool.ts) sends: a chunk to verify, or a range to read and verify. */
export type VerifyRequest = { id: number; options: ChunkOptions } & (
  | { batch: EntryBatch; range?: undefined }
  | { range: ChunkRange; batch?: undefined }
);

const shared = (workerData as { sha256Lanes?: object } | null)?.sha256Lanes;
if (shared) adoptSha256Lanes(shared);

/** This worker's read-only connection per database file, opened at its first range. */
const readers = new Map<string, EntryBatchReader>();

function readerOf(path: string): EntryBatchReader {
  let reader = readers.get(path);
  if (!reader) {
    // Read-only and never created: verification must not change, or invent, what it verifies.
    const db = new Database(path, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    reader = sqliteEntryBatch(db);
    readers.set(path, reader);
  }
  return reader;
}

async function verdictFor(request: VerifyRequest): Promise<ChunkVerdict> {
  const batch = request.range
    ? await readerOf(request.range.path)(request.range.start, request.range.end)
    : request.batch;
  return verifyChunk(batch, request.options);
}

/** A worker of the verification pool: verifies the chunks it is sent, reading them first if asked. */
parentPort?.on('message', (request: VerifyRequest) => {
  verdictFor(request).then(
    (verdict) => parentPort!.postMessage({ id: request.id, verdict }),
    (error: Error) => parentPort!.postMessage({ id: request.id, error: error.message }),
  );
});
