import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * Copies the write-ahead log back into the database file from a thread of its own.
 *
 * SQLite's automatic checkpoint runs inside the commit that crosses 1,000 WAL pages, on the
 * connection that commits — here the writer, on the event loop — and with `synchronous=FULL` it
 * ends in an fsync of the database file: every request waiting behind that commit stalls for it
 * (the p99 spikes of bench/server). With automatic checkpoints off on the writer, this thread
 * opens its own connection to the same file and runs a PASSIVE checkpoint on a schedule: it never
 * waits for the writer and never blocks it, and once a pass has copied the whole log SQLite starts
 * the log from the beginning at the writer's next commit. Durability is unchanged: a commit is
 * acknowledged after its WAL frames are fsynced, whoever copies them later.
 *
 * The worker is evaluated from source (it is a few lines), so it runs the same from dist/ and
 * under the test runner; it loads the very better-sqlite3 module this package resolved.
 */
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma('busy_timeout = 0');
db.pragma('synchronous = FULL');
const pass = () => {
  try {
    const [result] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ type: 'pass', result });
  } catch (error) {
    // SQLITE_BUSY (another checkpoint, a schema change) is retried on the next tick.
    if (error && error.code !== 'SQLITE_BUSY') parentPort.postMessage({ type: 'error', message: String(error.message) });
  }
};
const timer = setInterval(pass, workerData.everyMs);
parentPort.on('message', (message) => {
  if (message === 'stop') {
    clearInterval(timer);
    pass();
    db.close();
    parentPort.postMessage({ type: 'stopped' });
  }
});
`;

export interface WalCheckpointer {
  /** Runs a last pass, closes the thread's connection and ends the thread. */
  stop(): Promise<void>;
}

/** What a pass reports: `wal_checkpoint`'s busy flag, frames in the log, frames copied. */
export interface CheckpointPass {
  busy: number;
  log: number;
  checkpointed: number;
}

/**
 * Starts the checkpoint thread for the database at `path`. `onFailure` hears of a thread that
 * failed: the caller then turns automatic checkpoints back on so the log cannot grow unbounded.
 */
export function startWalCheckpointer(
  path: string,
  options: { everyMs?: number; onFailure: (error: Error) => void; onPass?: (pass: CheckpointPass) => void },
): WalCheckpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(workerSource, {
    eval: true,
    workerData: { path, driver, everyMs: options.everyMs ?? 200 },
  });
  // The thread must not keep a process alive that has nothing else to do.
  worker.unref();
  let failed = false;
  const fail = (error: Error) => {
    if (failed) return;
    failed = true;
    options.onFailure(error);
  };
  let stopped: (() => void) | undefined;
  worker.on('message', (message: { type: string; result?: CheckpointPass; message?: string }) => {
    if (message.type === 'pass' && message.result) options.onPass?.(message.result);
    else if (message.type === 'error') fail(new Error(`WAL checkpoint thread: ${message.message}`));
    else if (message.type === 'stopped') stopped?.();
  });
  worker.on('error', fail);
  worker.on('exit', (code) => {
    stopped?.();
    if (code !== 0 && stopped === undefined)
      fail(new Error(`WAL checkpoint thread exited with code ${code}`));
  });
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        if (failed) {
          void worker.terminate().then(() => resolve());
          return;
        }
        stopped = () => {
          stopped = () => {};
          void worker.terminate().then(() => resolve());
        };
        worker.postMessage('stop');
      }),
  };
}
