/**
 * A disk for the durable SQLite store (`syncWal`) whose syncs complete only when the test says so:
 * call number `n` (from 0) waits until `finish(n)` or `fail(n)`. It counts the calls made and the
 * most that were in flight at once (the store must never run two).
 */
export function manualDisk() {
  const pending: { resolve: () => void; reject: (error: Error) => void }[] = [];
  let running = 0;
  let mostAtOnce = 0;
  return {
    sync: () =>
      new Promise<void>((resolve, reject) => {
        running++;
        mostAtOnce = Math.max(mostAtOnce, running);
        const done = () => running--;
        pending.push({
          resolve: () => {
            done();
            resolve();
          },
          reject: (error) => {
            done();
            reject(error);
          },
        });
      }),
    get calls() {
      return pending.length;
    },
    get mostAtOnce() {
      return mostAtOnce;
    },
    finish: (call: number) => pending[call]!.resolve(),
    fail: (call: number, error = new Error('EIO: i/o error, fdatasync')) => pending[call]!.reject(error),
  };
}
