// bench/server/pg-replicas.js: why two PostgreSQL replicas do less than one on a small machine
// (issue 22), by counts and CPU time rather than wall-clock rates. Long-lived replicas — A and B on
// one database, C on another (its own ledger lock) — each with bench/server/pg-probe.js loaded; the
// conditions run interleaved, round after round, each sending a fixed number of decisions:
//
//   one     A alone, 64 connections (the one-replica row of bench/server-postgres)
//   half    A alone, 32 connections (the load each replica sees in `two`)
//   two     A and B, same database, 32 connections each (the two-replica row)
//   apart   A and C, two databases, 32 connections each (two processes, no shared ledger lock)
//   slow    A alone, 32 connections, at the rate each replica reached in the last `two`
//   burner  A alone, 64 connections, beside a node process that burns CPU (DUTY of each 10 ms)
//
// For each: the replicas' CPU (/proc/PID/stat), context switches (/proc/PID/status), read and
// write system calls (/proc/PID/io), the probe's batches, statements and lock wait/hold, the CPU of
// PostgreSQL's processes serving these databases and of its WAL writer, the load generator's own CPU
// (autocannon, this process) and the machine's busy and steal time (/proc/stat).
//
//   node bench/server/pg-replicas.js [decisions=12000] [rounds=3] [conditions=one,half,two,apart,burner]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createDatabase, postgresBase, startArbiter, stopProcess } from '../processes.js';
import { postDecisions } from './decisions.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
// ARBITER_BIN: another checkout's bin/arbiter.js, to compare builds.
const bin = process.env.ARBITER_BIN ?? join(root, 'bin', 'arbiter.js');
const probe = join(root, 'bench', 'server', 'pg-probe.js');
const decisions = Number(process.argv[2] ?? 12_000);
const rounds = Number(process.argv[3] ?? 3);
const chosen = (process.argv[4] ?? 'one,half,two,slow,apart,burner').split(',');
const duty = Number(process.env.DUTY ?? 0.7);

function statFields(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** CPU µs (user + system, all threads) a process has used. */
function cpuUs(pid) {
  try {
    const fields = statFields(pid);
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return 0;
  }
}

function status(pid) {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(text)[1]);
  const io = readFileSync(`/proc/${pid}/io`, 'utf8');
  const ioField = (name) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(io)[1]);
  return {
    cpu: cpuUs(pid),
    voluntary: field('voluntary_ctxt_switches'),
    involuntary: field('nonvoluntary_ctxt_switches'),
    reads: ioField('syscr'),
    writes: ioField('syscw'),
  };
}

/** The machine's busy, idle and steal time in ticks (/proc/stat, all CPUs). */
function machineTicks() {
  const [, ...values] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = values.map(Number);
  return { busy: user + nice + system + irq + softirq, idle: idle + iowait, steal };
}

/** PostgreSQL processes serving `databases`, and its WAL writer. */
async function postgresPids(admin, databases) {
  const { rows } = await admin.query(
    `SELECT pid FROM pg_stat_activity WHERE datname = ANY($1) OR backend_type = 'walwriter'`,
    [databases],
  );
  return rows.map((r) => r.pid);
}

/** The probe's counts since its last report (and a fresh start). */
async function probeReport(replica) {
  const seen = replica.output().split('pg-probe ').length;
  replica.child.kill('SIGUSR2');
  for (;;) {
    const parts = replica.output().split('pg-probe ');
    if (parts.length > seen) return JSON.parse(parts[seen].split('\n')[0]);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function burn() {
  // Spins DUTY of every 10 ms, sleeps the rest.
  const code = `const d=${duty};const tick=()=>{const end=performance.now()+10*d;while(performance.now()<end);setTimeout(tick,10*(1-d));};tick();`;
  return spawn(process.execPath, ['-e', code], { stdio: 'ignore' });
}

/** Batches begun (BEGIN sent, with or without statements in its round trip). */
function beginsOf(probe) {
  return Object.entries(probe.kinds).reduce(
    (total, [kind, count]) => total + (kind.startsWith('BEGIN') ? count : 0),
    0,
  );
}

/** Statements per decision by kind, most frequent first. */
function mergeKinds(probes, ok) {
  const total = {};
  for (const probe of probes)
    for (const [kind, count] of Object.entries(probe.kinds)) total[kind] = (total[kind] ?? 0) + count;
  return Object.entries(total)
    .sort((x, y) => y[1] - x[1])
    .map(([kind, count]) => `${(count / ok).toFixed(3)} ${kind}`);
}

async function measure({ admin, databases, runs, burner }) {
  const replicas = runs.map((r) => r.replica);
  const sibling = burner ? burn() : undefined;
  const pgPids = await postgresPids(admin, databases);
  for (const replica of replicas) await probeReport(replica);
  const before = {
    replicas: replicas.map((r) => status(r.child.pid)),
    pg: new Map(pgPids.map((pid) => [pid, cpuUs(pid)])),
    sibling: sibling ? cpuUs(sibling.pid) : 0,
    own: process.cpuUsage(),
    machine: machineTicks(),
    at: performance.now(),
  };
  const results = await Promise.all(
    runs.map((r) =>
      postDecisions(r.replica.url, r.token, { amount: r.amount, connections: r.connections, rate: r.rate }),
    ),
  );
  const machine = machineTicks();
  const own = process.cpuUsage(before.own);
  const after = replicas.map((r) => status(r.child.pid));
  const siblingCpu = sibling ? cpuUs(sibling.pid) - before.sibling : 0;
  sibling?.kill('SIGTERM');
  const pgAfter = await postgresPids(admin, databases);
  let pgCpu = 0;
  for (const pid of pgAfter) pgCpu += cpuUs(pid) - (before.pg.get(pid) ?? 0);
  const probes = [];
  for (const replica of replicas) probes.push(await probeReport(replica));
  const ok = results.reduce((sum, r) => sum + r['2xx'], 0);
  const failed = results.reduce((sum, r) => sum + r.non2xx + r.errors + r.timeouts, 0);
  // To the last response, not to autocannon's end: an `amount` run ends at its next one-second tick.
  const seconds = (Math.max(...results.map((r) => r.lastResponseAt)) - before.at) / 1000;
  const delta = (key) => after.reduce((sum, s, i) => sum + s[key] - before.replicas[i][key], 0);
  const sum = (key) => probes.reduce((total, p) => total + p[key], 0);
  const ticks = {
    busy: machine.busy - before.machine.busy,
    idle: machine.idle - before.machine.idle,
    steal: machine.steal - before.machine.steal,
  };
  const allTicks = ticks.busy + ticks.idle + ticks.steal;
  return {
    ok,
    failed,
    rate: ok / seconds,
    replicaUs: delta('cpu') / ok,
    perReplicaUs: after.map((s, i) => (s.cpu - before.replicas[i].cpu) / results[i]['2xx']),
    voluntary: delta('voluntary') / ok,
    involuntary: delta('involuntary') / ok,
    readCalls: delta('reads') / ok,
    writeCalls: delta('writes') / ok,
    batches: sum('batches'),
    perBatch: sum('jobs') / sum('batches'),
    // Each BEGIN starts one (a batch run again after a refused deferred write counts twice).
    roundTrips: sum('batchRoundTrips') / probes.reduce((total, p) => total + beginsOf(p), 0),
    statements: sum('statements') / ok,
    waitMs: sum('waitMs') / sum('batches'),
    holdMs: sum('holdMs') / sum('batches'),
    // Share of the run's wall time some replica of the first database held the lock.
    lockShare:
      probes.reduce((total, p, i) => total + (runs[i].db === databases[0] ? p.holdMs : 0), 0) /
      (seconds * 1000),
    pgUs: pgCpu / ok,
    loaderUs: (own.user + own.system) / ok,
    siblingShare: siblingCpu / (seconds * 1e6),
    busy: ticks.busy / allTicks,
    steal: ticks.steal / allTicks,
    largest: Math.max(...probes.map((p) => p.largest)),
    kinds: mergeKinds(probes, ok),
  };
}

const columns = [
  ['rate', 0, '/s'],
  ['replicaUs', 0, 'replica µs/dec'],
  ['perReplicaUs', 0, 'each'],
  ['pgUs', 0, 'pg µs/dec'],
  ['loaderUs', 0, 'loader µs/dec'],
  ['voluntary', 2, 'vol cs/dec'],
  ['involuntary', 2, 'invol cs/dec'],
  ['readCalls', 2, 'read calls/dec'],
  ['writeCalls', 2, 'write calls/dec'],
  ['perBatch', 1, 'dec/batch'],
  ['roundTrips', 2, 'round trips/batch'],
  ['statements', 2, 'stmts/dec'],
  ['waitMs', 2, 'wait ms/batch'],
  ['holdMs', 2, 'hold ms/batch'],
  ['lockShare', 2, 'lock held share'],
  ['busy', 2, 'machine busy'],
  ['steal', 3, 'steal'],
  ['siblingShare', 2, 'burner cores'],
  ['largest', 0, 'largest batch'],
];

function format(result) {
  return columns
    .map(([key, digits, label]) => {
      const value = result[key];
      const text = Array.isArray(value)
        ? value.map((v) => v.toFixed(digits)).join('/')
        : value.toFixed(digits);
      return `${label} ${text}`;
    })
    .join(', ');
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'arbiter-bench-pg-replicas-'));
  const admin = new pg.Client({ connectionString: postgresBase });
  await admin.connect();
  const stamp = Date.now();
  const names = [`arbiter_replicas_${stamp}_a`, `arbiter_replicas_${stamp}_b`];
  const started = [];
  try {
    const ledgerKey = join(dir, 'ledger.key');
    const urls = [];
    for (const name of names) urls.push(await createDatabase(admin, name));
    const serve = (db, replica, system) =>
      startArbiter(dir, {
        db,
        ledgerKey,
        system,
        bin,
        nodeArgs: ['--import', probe],
        extraArgs: ['--replica-name', replica],
      });
    const a = await serve(urls[0], 'arbiter/replicas-a', 'deploy-bot');
    started.push(a);
    const { token } = a;
    const b = await serve(urls[0], 'arbiter/replicas-b');
    started.push(b);
    // C only when a condition needs it.
    const c = chosen.includes('apart') ? await serve(urls[1], 'arbiter/replicas-c', 'deploy-bot') : undefined;
    if (c) started.push(c);
    const tokenC = c?.token;
    const half = decisions / 2;
    const all = Object.fromEntries(chosen.map((name) => [name, []]));
    const conditions = {
      one: { runs: [{ replica: a, token, amount: decisions, connections: 64, db: names[0] }] },
      half: { runs: [{ replica: a, token, amount: half, connections: 32, db: names[0] }] },
      two: {
        runs: [
          { replica: a, token, amount: half, connections: 32, db: names[0] },
          { replica: b, token, amount: half, connections: 32, db: names[0] },
        ],
      },
      apart: {
        runs: [
          { replica: a, token, amount: half, connections: 32, db: names[0] },
          { replica: c, token: tokenC, amount: half, connections: 32, db: names[1] },
        ],
      },
      // A alone at the rate each replica reached in the last `two` run: per-process costs at that rate.
      slow: () => ({
        runs: [
          {
            replica: a,
            token,
            amount: half,
            connections: 32,
            db: names[0],
            rate: Math.max(50, Math.round((all.two?.at(-1)?.rate ?? 600) / 2)),
          },
        ],
      }),
      burner: {
        runs: [{ replica: a, token, amount: decisions, connections: 64, db: names[0] }],
        burner: true,
      },
    };
    // Warm-up: JIT, pools, caches of every replica.
    for (const [replica, t] of [
      [a, token],
      [b, token],
      [c, tokenC],
    ])
      if (replica)
        await postDecisions(replica.url, t, { amount: Math.min(decisions, 3_000), connections: 32 });

    for (let round = 0; round < rounds; round++) {
      for (const name of chosen) {
        const condition = conditions[name];
        const result = await measure({
          admin,
          databases: names,
          ...(typeof condition === 'function' ? condition() : condition),
        });
        all[name].push(result);
        console.log(
          `round ${round + 1} ${name}: ${format(result)}${result.failed ? `, FAILED ${result.failed}` : ''}`,
        );
        console.log(`  statements per decision: ${result.kinds.slice(0, 8).join(' | ')}`);
      }
    }
    console.log(`\nmedians over ${rounds} rounds, ${decisions} decisions per condition:`);
    for (const name of chosen) {
      const results = all[name];
      const mid = Object.fromEntries(
        columns.map(([key]) => [
          key,
          Array.isArray(results[0][key])
            ? results[0][key].map((_, i) => median(results.map((r) => r[key][i])))
            : median(results.map((r) => r[key])),
        ]),
      );
      console.log(`${name}: ${format(mid)}`);
    }
  } finally {
    for (const replica of started) await stopProcess(replica);
    for (const name of names)
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
