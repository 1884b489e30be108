// Shared timing helpers for the benchmarks: per-call latency samples and a tight-loop rate.
import { cpus, totalmem } from 'node:os';

/** Calls fn over the inputs round-robin; returns latency percentiles (µs) and calls per second. */
export function measure(fn, inputs, { warmup = 20_000, samples = 200_000 } = {}) {
  for (let i = 0; i < warmup; i++) fn(inputs[i % inputs.length]);
  const latencies = new Float64Array(samples);
  for (let i = 0; i < samples; i++) {
    const input = inputs[i % inputs.length];
    const start = process.hrtime.bigint();
    fn(input);
    latencies[i] = Number(process.hrtime.bigint() - start) / 1000;
  }
  latencies.sort();
  const loops = Math.max(inputs.length, Math.floor(samples / 2));
  const start = process.hrtime.bigint();
  for (let i = 0; i < loops; i++) fn(inputs[i % inputs.length]);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return {
    median: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    perSecond: loops / seconds,
  };
}

export function percentile(sorted, q) {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** One line naming the machine, for the results table. */
export function machine() {
  const cpu = cpus();
  const model = cpu[0]?.model ?? 'unknown CPU';
  return `${cpu.length} × ${model}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${process.platform}`;
}

export const fmt = {
  us: (value) => (value < 10 ? value.toFixed(2) : value.toFixed(1)),
  rate: (value) => Math.round(value).toLocaleString('en-US'),
};

/** A deterministic pseudo-random generator (xorshift32), so runs are comparable. */
export function random(seed) {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}
