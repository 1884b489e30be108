// bench/server/ab.js: interleaved A/B runs of `arbiter serve` builds on SQLite (durable), for a change
// whose effect is smaller than the noise of a shared machine. Each round starts every variant in
// turn on a fresh database and measures, after a warm-up: the most decisions a second it answers
// (autocannon, as fast as it goes) with its CPU µs per decision over that run (user + system of the
// server process, from /proc), then the p50/p99 of an open-loop load (evenly spaced arrivals) and the
// CPU µs per decision over it: at a fixed rate every variant commits in batches of about the same
// size, so this one holds still when a loaded machine slows the servers (the rate a variant reaches
// sets its batch size, and fewer decisions per commit and per sync cost more CPU each).
//
// `node bench/server/ab.js ROUNDS LABEL=BIN[,NAME=VALUE...] ...`, e.g.
// `node bench/server/ab.js 3 main=/tmp/base/bin/arbiter.js branch=bin/arbiter.js`; a variant's
// NAME=VALUE pairs are added to its server's environment. BENCH_AB_SECONDS (default 10) sets the
// length of each load, BENCH_AB_RATE (default 1000) the open-loop rate, BENCH_AB_WARMUP (default 10)
// the warm-up: after 3 s the server's V8 compiler threads still cost ≈ 150 µs per decision on a
// loaded 2-core box (docs/benchmarks.md, "SQLite: the floor under a durable decision").
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startArbiter, stopProcess } from '../processes.js';
import { cpuSeconds } from './cpu-per-decision.js';
import { decisionBody, postDecisions } from './decisions.js';
import { openLoop } from './open-loop.js';

const probe = fileURLToPath(new URL('./loop-probe.js', import.meta.url));
const seconds = Number(process.env.BENCH_AB_SECONDS ?? 10);
const rate = Number(process.env.BENCH_AB_RATE ?? 1000);
const warmup = Number(process.env.BENCH_AB_WARMUP ?? 10);

function parseVariant(argument) {
  const [label, rest] = argument.split(/=(.*)/s);
  const [bin, ...pairs] = rest.split(',');
  return { label, bin: resolve(bin), env: Object.fromEntries(pairs.map((pair) => pair.split(/=(.*)/s))) };
}

/** The server's event-loop busy time so far (ms), from loop-probe.js. */
async function loopBusyMs(arbiter) {
  const seen = arbiter.output().length;
  arbiter.child.kill('SIGUSR2');
  for (;;) {
    const match = /loop-busy-ms (\S+)\n/.exec(arbiter.output().slice(seen));
    if (match) return Number(match[1]);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function measure(variant) {
  const dir = mkdtempSync(join(tmpdir(), 'arbiter-bench-ab-'));
  let arbiter;
  try {
    arbiter = await startArbiter(dir, {
      system: 'deploy-bot',
      bin: variant.bin,
      env: { ...variant.env, NODE_OPTIONS: `--import=${probe}` },
    });
    const { url, token } = arbiter;
    await postDecisions(url, token, { duration: warmup });
    const before = cpuSeconds(arbiter.child.pid);
    const busyBefore = await loopBusyMs(arbiter);
    const max = await postDecisions(url, token, { duration: seconds });
    const cpuUs = ((cpuSeconds(arbiter.child.pid) - before) * 1e6) / max['2xx'];
    const busyUs = (((await loopBusyMs(arbiter)) - busyBefore) * 1e3) / max['2xx'];
    const options = { url: `${url}/v1/decisions`, token, body: decisionBody, rate };
    await openLoop({ ...options, seconds: 1 });
    const openBefore = cpuSeconds(arbiter.child.pid);
    const open = await openLoop({ ...options, seconds });
    const openCpuUs = ((cpuSeconds(arbiter.child.pid) - openBefore) * 1e6) / open.ok;
    return {
      perSecond: max['2xx'] / max.duration,
      errors: max.non2xx + max.errors + max.timeouts + open.errors,
      cpuUs,
      busyUs,
      p50: open.p50,
      p99: open.p99,
      openCpuUs,
    };
  } finally {
    await stopProcess(arbiter);
    rmSync(dir, { recursive: true, force: true });
  }
}

const rounds = Number(process.argv[2]);
const variants = process.argv.slice(3).map(parseVariant);
if (!(rounds > 0) || variants.length === 0) {
  console.error('usage: node bench/server/ab.js ROUNDS LABEL=BIN[,NAME=VALUE...] ...');
  process.exit(2);
}
console.log(
  `| round | variant | max decisions/s | CPU µs/decision | loop busy µs/decision | p50 ms at ${rate}/s | p99 ms at ${rate}/s | CPU µs/decision at ${rate}/s | errors |`,
);
console.log('|---|---|---|---|---|---|---|---|---|');
for (let round = 1; round <= rounds; round++) {
  for (const variant of variants) {
    const r = await measure(variant);
    console.log(
      `| ${round} | ${variant.label} | ${r.perSecond.toFixed(0)} | ${r.cpuUs.toFixed(0)} | ${r.busyUs.toFixed(0)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.openCpuUs.toFixed(0)} | ${r.errors} |`,
    );
  }
}
