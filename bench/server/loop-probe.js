// Loaded into a benchmarked server with `node --import`: on SIGUSR2 it prints how long the event loop
// has been busy so far (ELU active time, ms), which counts time blocked in a synchronous fsync as
// busy, unlike CPU time. bench/server/ab.js reads it around a load to get busy µs per decision.
import { performance } from 'node:perf_hooks';

process.on('SIGUSR2', () => {
  process.stdout.write(`loop-busy-ms ${performance.eventLoopUtilization().active.toFixed(3)}\n`);
});
