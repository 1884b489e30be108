/**
 * The worker thread of the drift pool (parallel-drift.ts): computes `numericDrift` for one column
 * per message. A refused input travels back as its reason and argument, so the caller rethrows the
 * same `StatsInputError`.
 */
import { parentPort } from 'node:worker_threads';
import { StatsInputError } from '../../monitor/stats/input.js';
import { type NumericDriftOptions, numericDriftSorted } from '../../monitor/stats/numeric-drift.js';
import { sortFloat64 } from '../../monitor/stats/radix-sort.js';
import { populationStd } from '../../monitor/stats/wasserstein.js';

/**
 * A column to compute, as posted by the pool: the samples are the worker's own copies (already
 * checked non-empty and finite by the pool), so they are sorted in place.
 */
export interface DriftTask {
  id: number;
  reference: Float64Array;
  current: Float64Array;
  options: NumericDriftOptions;
}

/** The answer to a task: its result, or why it failed. */
export type DriftReply =
  | { id: number; result: ReturnType<typeof numericDriftSorted> }
  | { id: number; refused: { reason: StatsInputError['reason']; argument: string; message: string } }
  | { id: number; failed: string };

const port = parentPort;
if (port === null) throw new Error('drift-worker.js runs as a worker thread of arbiter/monitor/parallel');

port.on('message', (task: DriftTask) => {
  let reply: DriftReply;
  try {
    // The standard deviation is summed before sorting, in the caller's order, as numericDrift does.
    const referenceStd = populationStd(task.reference);
    const result = numericDriftSorted(
      sortFloat64(task.reference),
      sortFloat64(task.current),
      referenceStd,
      task.options,
    );
    reply = { id: task.id, result };
  } catch (error) {
    reply =
      error instanceof StatsInputError
        ? { id: task.id, refused: { reason: error.reason, argument: error.argument, message: error.message } }
        : { id: task.id, failed: error instanceof Error ? (error.stack ?? error.message) : String(error) };
  }
  port.postMessage(reply);
});
