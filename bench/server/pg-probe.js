// Loaded with `node --import` into an `arbiter serve` process by bench/server/pg-replicas.js: counts
// what a PostgreSQL replica's write batches do, without changing the server's code. On SIGUSR2 it
// prints one line, `pg-probe {json}`, with the counts since the last SIGUSR2, and starts over:
// batches and the jobs in them, statements sent by the process (all connections), the time from
// asking for the ledger lock to holding it (a pooled connection, then BEGIN + lock + tail, and the
// read-ahead where the build sends it with them), and the time from holding it to the COMMIT's
// answer (the lock hold, as this process sees it), and the round trips each batch's connection made from
// its BEGIN to its COMMIT (or ROLLBACK).
import { createRequire } from 'node:module';

// The server's own pg (another checkout's node_modules is another module instance): its Client is what
// sends the statements.
const pg = createRequire(process.argv[1])('pg');

// The build of the server this process runs (bin/arbiter.js → dist/), which may be another checkout's.
const { WriteQueue } = await import(
  new URL('../dist/store/write-queue.js', `file://${process.argv[1]}`).href
);

const fresh = () => ({
  batches: 0,
  jobs: 0,
  statements: 0,
  waitMs: 0,
  holdMs: 0,
  largest: 0,
  /** Round trips on batches' connections, BEGIN to COMMIT or ROLLBACK (each counted as it is sent). */
  batchRoundTrips: 0,
  /** Statements by their first words. */
  kinds: {},
});
let counts = fresh();

/** Connections with a write batch open: only write batches send BEGIN (Kysely opens no transactions). */
const inBatch = new WeakSet();
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function countedQuery(...args) {
  counts.statements++;
  const [config] = args;
  // A statement sent with others ahead of it in one round trip (BEGIN + lock + tail) names them first.
  const text =
    typeof config === 'string' ? config : [...(config?.leading ?? []), config?.text ?? 'other'].join('; ');
  const kind = text.replace(/\s+/g, ' ').trim().slice(0, 70);
  counts.kinds[kind] = (counts.kinds[kind] ?? 0) + 1;
  if (text.startsWith('BEGIN')) inBatch.add(this);
  if (inBatch.has(this)) {
    counts.batchRoundTrips++;
    // The deferred writes sent with COMMIT say so (thenCommit); COMMIT or ROLLBACK alone end it too.
    if (config?.thenCommit || text === 'COMMIT' || text === 'ROLLBACK') inBatch.delete(this);
  }
  return query.apply(this, args);
};

const runBatch = WriteQueue.prototype.runBatch;
WriteQueue.prototype.runBatch = function timedBatch() {
  const { runner } = this;
  if (runner.acquire && !runner.probed) {
    runner.probed = true;
    const { acquire, commit, rollback } = runner;
    let held = 0;
    runner.acquire = async (...args) => {
      const asked = performance.now();
      await acquire.apply(runner, args);
      held = performance.now();
      counts.waitMs += held - asked;
      // The queue takes its batch right after this: what is queued now is the batch.
      counts.largest = Math.max(counts.largest, Math.min(this.jobs.length, this.maxBatch));
    };
    const release = (end) => async () => {
      try {
        await end.call(runner);
      } finally {
        if (held) counts.holdMs += performance.now() - held;
        held = 0;
      }
    };
    runner.commit = release(commit);
    runner.rollback = release(rollback);
  }
  counts.batches++;
  return runBatch.call(this);
};

const submit = WriteQueue.prototype.submit;
WriteQueue.prototype.submit = function countedSubmit(...args) {
  counts.jobs++;
  return submit.apply(this, args);
};

process.on('SIGUSR2', () => {
  process.stderr.write(`pg-probe ${JSON.stringify(counts)}\n`);
  counts = fresh();
});
