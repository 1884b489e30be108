// bench/server/cpu-per-decision.js: the server's CPU time per decision, which (unlike wall-clock
// rates) holds still on a shared, loaded machine. The server runs in its own process; a client in
// this one sends a fixed number of decisions at a fixed concurrency, and the server's user + system
// time (all its threads, from /proc/PID/stat) is read before and after. The bare Fastify route is
// measured the same way, as the floor HTTP alone costs.
//
// Alone: `node bench/server/cpu-per-decision.js [decisions] [concurrency]`.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startArbiter, startProcess, stopProcess } from '../processes.js';
import { postDecisions } from './decisions.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** CPU seconds (user + system, every thread) the process has used so far. */
export function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces), counted from field 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime (14), stime (15)
  return ticks / 100; // USER_HZ is 100 on Linux
}

function send(url, token, amount, connections) {
  return postDecisions(url, token, { amount, connections });
}

/** Server CPU µs per request over `amount` requests after a warm-up of the same size. */
async function measureServer(started, token, amount, connections) {
  await send(started.url, token, amount, connections);
  const before = cpuSeconds(started.child.pid);
  const result = await send(started.url, token, amount, connections);
  const after = cpuSeconds(started.child.pid);
  const ok = result['2xx'];
  if (ok !== amount) throw new Error(`${amount - ok} of ${amount} requests failed`);
  return ((after - before) * 1e6) / amount;
}

/** CPU µs per decision of Arbiter (SQLite durable) alone. */
export async function measureArbiterCpu({ amount = 10_000, connections = 32 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'arbiter-bench-cpu-'));
  let arbiter;
  try {
    arbiter = await startArbiter(dir, { system: 'deploy-bot' });
    return await measureServer(arbiter, arbiter.token, amount, connections);
  } finally {
    await stopProcess(arbiter);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** CPU µs per decision for Arbiter (SQLite durable) and per request for the bare route. */
export async function measureCpuPerDecision({ log, amount = 10_000, connections = 32 }) {
  const dir = mkdtempSync(join(tmpdir(), 'arbiter-bench-cpu-'));
  let arbiter;
  let bare;
  try {
    arbiter = await startArbiter(dir, { system: 'deploy-bot' });
    const arbiterUs = await measureServer(arbiter, arbiter.token, amount, connections);
    await stopProcess(arbiter);
    arbiter = undefined;
    bare = await startProcess([join(root, 'bench', 'server', 'bare.js')], /listening on (http:\/\/\S+)/);
    const bareUs = await measureServer(bare, undefined, amount, connections);
    log(
      `CPU per decision: Arbiter ${arbiterUs.toFixed(0)} µs, bare ${bareUs.toFixed(0)} µs (${amount} requests, ${connections} connections)`,
    );
    return { arbiterUs, bareUs, amount, connections };
  } finally {
    await stopProcess(arbiter);
    await stopProcess(bare);
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const amount = Number(process.argv[2] ?? 10_000);
  const connections = Number(process.argv[3] ?? 32);
  await measureCpuPerDecision({ log: console.log, amount, connections });
}
