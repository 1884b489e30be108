// bench/server: decisions per second and latency over HTTP on loopback, SQLite store durable
// (fsync per commit, group commit), against a bare Fastify route as the ceiling. The server runs
// in its own process; autocannon drives it from this one.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt } from '../measure.js';
import { createDatabase, createToken, postgresBase, startArbiter, startProcess } from '../processes.js';
import { measureCpuPerDecision } from './cpu-per-decision.js';
import { decisionBody, postDecisions } from './decisions.js';
import { openLoop } from './open-loop.js';
import { measureStateChecks } from './state-checks.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'bin', 'arbiter.js');
const seconds = Number(process.env.BENCH_SERVER_SECONDS ?? 10);

export const body = decisionBody;

export function load(url, token, body, rate, duration = seconds, connections = 64) {
  return postDecisions(url, token, { body, rate, duration, connections });
}

export function row(label, target, result) {
  const ok = result['2xx'];
  const errors = result.non2xx + result.errors + result.timeouts;
  return `| ${label} | ${target} | ${fmt.rate(ok / result.duration)} | ${result.latency.p50} | ${result.latency.p99} | ${errors} |`;
}

/** A table row for an open-loop run (evenly spaced arrivals, latency from when each was due). */
export function openRow(label, target, result) {
  return `| ${label} | ${target}, evenly spaced | ${fmt.rate(result.ok / seconds)} | ${result.p50.toFixed(1)} | ${result.p99.toFixed(1)} | ${result.errors} |`;
}

/** Runs an open-loop step, logs it and returns its row. */
async function openStep(label, url, token, rate, log, expectStatus = 201) {
  const options = { url: `${url}/v1/decisions`, token, body, rate, expectStatus };
  await openLoop({ ...options, seconds: 1 }); // warm the sockets and the JIT at this rate; not counted
  const result = await openLoop({ ...options, seconds });
  log(
    `${label} at ${rate}/s evenly spaced: p50 ${result.p50.toFixed(1)} ms, p99 ${result.p99.toFixed(1)} ms`,
  );
  return openRow(label, `${rate.toLocaleString('en-US')}/s`, result);
}

export async function run({ log }) {
  const dir = mkdtempSync(join(tmpdir(), 'arbiter-bench-server-'));
  const rows = [];
  let wakeups = '';
  let stateChecks = '';
  let cpu;
  try {
    const arbiter = await startArbiter(dir, { system: 'deploy-bot' });
    const { db, token } = arbiter;
    const probe = await fetch(`${arbiter.url}/v1/decisions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });
    if (probe.status !== 201) throw new Error(`probe failed: ${probe.status} ${await probe.text()}`);
    // Warm up (JIT, page cache) before anything is measured.
    await load(arbiter.url, token, body, undefined, 3);
    for (const rate of [1000, 2500, 5000]) {
      const result = await load(arbiter.url, token, body, rate);
      rows.push(row('Arbiter, SQLite durable', `${rate.toLocaleString('en-US')}/s`, result));
      log(
        `arbiter at ${rate}/s: ${fmt.rate(result['2xx'] / result.duration)}/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms`,
      );
    }
    rows.push(await openStep('Arbiter, SQLite durable', arbiter.url, token, 1000, log));
    const max = await load(arbiter.url, token, body);
    rows.push(row('Arbiter, SQLite durable', 'as fast as it goes', max));
    log(`arbiter max: ${fmt.rate(max['2xx'] / max.duration)}/s, p99 ${max.latency.p99} ms`);
    arbiter.child.kill('SIGTERM');
    await new Promise((resolve) => arbiter.child.on('exit', resolve));
    const verify = execFileSync(process.execPath, [bin, 'ledger', 'verify', '--db', db], {
      encoding: 'utf8',
    });
    log(verify.split('\n')[0]);

    const postgres = await postgresRows(dir, body, log);
    rows.push(...postgres.rows);
    wakeups = postgres.wakeups;

    const bare = await startProcess(
      [join(root, 'bench', 'server', 'bare.js')],
      /listening on (http:\/\/\S+)/,
    );
    const ceiling = await load(bare.url, undefined, body);
    rows.push(row('bare Fastify route (ceiling)', 'as fast as it goes', ceiling));
    rows.push(await openStep('bare Fastify route', bare.url, undefined, 1000, log, 200));
    log(`bare: ${fmt.rate(ceiling['2xx'] / ceiling.duration)}/s`);
    bare.child.kill('SIGTERM');
    stateChecks = await measureStateChecks({ log });
    cpu = await measureCpuPerDecision({ log });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return `## Server (\`bench/server\`)

\`arbiter serve\` in its own process on loopback with the example bundle (which reads the actor's recent
activity, so every decision also queries and updates activity counters), SQLite durable (WAL, \`synchronous=NORMAL\` plus an
fdatasync of the \`-wal\` file off the event loop before any answer: deployment.md, Durability):
each decision is evaluated, written with its ledger entry in a group-committed transaction, and synced
before the response. autocannon (64 connections, ${seconds} s per step) posts allowed staging deploys
from one agent token; the last rows are a bare Fastify route returning a constant, driven the same way.
autocannon's fixed rate lets each connection send back to back until its share of the second is spent, so
"1,000/s" arrives as a burst at the top of each second; rows marked *evenly spaced* come from an open-loop
generator (\`bench/server/open-loop.js\`) that starts each request on its own schedule and counts latency
from when it was due — the arrival pattern the p99 targets mean. After the run, \`arbiter ledger verify --db\` checks the whole ledger.

| server | offered load | decisions/s | p50 ms | p99 ms | errors |
| --- | --- | ---: | ---: | ---: | ---: |
${rows.join('\n')}

Targets (issue 4): ≥ 5,000 decisions/s on this 2-core machine; p99 under 20 ms at 1,000 decisions/s.

PostgreSQL rows: PostgreSQL 15 on the same machine (so it competes with the replicas and the load generator
for the two cores), \`synchronous_commit\` on. Every write batch takes the ledger's advisory transaction lock, so
replicas serialise their batches. A batch costs two round trips whatever its size, with one replica or two
(issue 22, counted by \`test/store/postgres-round-trips.test.ts\` and \`test/store/postgres-frontier.test.ts\`;
before, 4 + about 4.5 per decision): BEGIN with the lock, the ledger's tail (and its frontier when the other
replica appended since) and the Systems and idempotency keys its decisions re-check, read ahead, in one;
every decision's ledger entries, tree nodes, row, activity, notifications and NOTIFY in one
statement from arrays, sent with COMMIT. A batch chooses its decisions once it holds the lock, so those that arrive
while another replica holds it join the waiting batch; and a write to another table in the batch (the
notification loop's claim, twice a second) keeps the read-ahead, where it used to cost every later decision
of that batch two more round trips. The lock is held for two round trips and the batch's CPU, so what is
left to bound the rate is CPU — policy evaluation, HTTP, hashing — and on this box the replicas,
PostgreSQL and the load generator share the same two cores. One replica and two are compared in alternating
rounds after replica B has been warmed as A was (B measured cold made two replicas look slower than one until
issue 22's tenth round); two processes use the two cores better than one event loop (the model is in
[deployment.md](deployment.md#throughput-and-replicas)).

${wakeups}

### CPU per decision (\`bench/server/cpu-per-decision.js\`)

Wall-clock rates move 2× between runs on a shared machine; the server's CPU time per request moves
less, though it still rises with the machine's load (smaller group commits, caches shared). ${cpu.amount.toLocaleString('en-US')} requests after as many to warm up, ${cpu.connections} connections, the server's user +
system time over all its threads from \`/proc/PID/stat\` (so the fsync's kernel work counts; the time it
waits for the disk does not):

| server | CPU µs per request | × bare |
| --- | ---: | ---: |
| Arbiter, SQLite durable, POST /v1/decisions | ${cpu.arbiterUs.toFixed(0)} | ${(cpu.arbiterUs / cpu.bareUs).toFixed(1)} |
| bare Fastify route | ${cpu.bareUs.toFixed(0)} | 1.0 |

${stateChecks}`;
}

const pgRounds = Number(process.env.BENCH_PG_ROUNDS ?? 3);

const rateOf = (result) => result['2xx'] / result.duration;

function median(values) {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)];
}

/** The run whose rate is the median of `runs` (an odd number of rounds gives a real run). */
function medianRun(runs) {
  const rate = median(runs.map(rateOf));
  return runs.find((run) => rateOf(run) === rate);
}

/** Both replicas loaded at once, 32 connections each (64 in all, as one replica gets). */
async function twoReplicas(urlA, urlB, token, body) {
  const [ra, rb] = await Promise.all([
    load(urlA, token, body, undefined, seconds, 32),
    load(urlB, token, body, undefined, seconds, 32),
  ]);
  return {
    '2xx': ra['2xx'] + rb['2xx'],
    duration: Math.max(ra.duration, rb.duration),
    non2xx: ra.non2xx + rb.non2xx,
    errors: ra.errors + rb.errors,
    timeouts: ra.timeouts + rb.timeouts,
    latency: {
      p50: Math.max(ra.latency.p50, rb.latency.p50),
      p99: Math.max(ra.latency.p99, rb.latency.p99),
    },
  };
}

/** PostgreSQL: one replica, then two, at full speed; and how fast an approval on A wakes a waiter on B. */
export async function postgresRows(dir, body, log) {
  const { default: pg } = await import('pg');
  const admin = new pg.Client({ connectionString: postgresBase });
  try {
    await admin.connect();
  } catch {
    log('PostgreSQL not reachable: skipping its rows');
    return { rows: [], wakeups: '' };
  }
  const name = `arbiter_bench_${Date.now()}`;
  const db = await createDatabase(admin, name);
  const rows = [];
  let wakeups = '';
  let replicaRatios = '';
  const ledgerKey = join(dir, 'pg.ledger.key');
  const replica = (replicaName, system) =>
    startArbiter(dir, { db, ledgerKey, system, extraArgs: ['--replica-name', replicaName] });
  try {
    const a = await replica('arbiter/bench-a', 'deploy-bot');
    const tokenFor = (extra) => createToken({ db, ledgerKey }, extra);
    const { token } = a;
    await load(a.url, token, body, undefined, 3);
    // Issue 22's target: p99 ≤ 50 ms at 500/s on one replica.
    const steady = await load(a.url, token, body, 500);
    rows.push(row('Arbiter, PostgreSQL, 1 replica', '500/s', steady));
    log(
      `postgres 1 replica at 500/s: ${fmt.rate(steady['2xx'] / steady.duration)}/s, p99 ${steady.latency.p99} ms`,
    );
    rows.push(await openStep('Arbiter, PostgreSQL, 1 replica', a.url, token, 500, log));
    // One replica against two, fairly: B starts cold while A has run for ~25 s, so B is warmed the
    // same way first (its JIT, pool and caches), and the two conditions alternate round after round
    // (one, two / two, one / …) so that the machine's drift falls on both. Medians are reported.
    const b = await replica('arbiter/bench-b');
    await load(b.url, token, body, undefined, 3);
    await load(b.url, token, body, 500);
    const ones = [];
    const twos = [];
    for (let round = 0; round < pgRounds; round++) {
      const order = round % 2 === 0 ? ['one', 'two'] : ['two', 'one'];
      for (const condition of order) {
        if (condition === 'one') ones.push(await load(a.url, token, body));
        else twos.push(await twoReplicas(a.url, b.url, token, body));
      }
      const [one, two] = [ones[round], twos[round]];
      log(
        `postgres round ${round + 1}: 1 replica ${fmt.rate(rateOf(one))}/s (p99 ${one.latency.p99} ms), 2 replicas ${fmt.rate(rateOf(two))}/s → ${(rateOf(two) / rateOf(one)).toFixed(2)}×`,
      );
    }
    const one = medianRun(ones);
    const two = medianRun(twos);
    rows.push(row('Arbiter, PostgreSQL, 1 replica', 'as fast as it goes', one));
    rows.push(row("Arbiter, PostgreSQL, 2 replicas (worse replica's latency)", 'as fast as it goes', two));
    const ratios = ones.map((o, i) => rateOf(twos[i]) / rateOf(o));
    replicaRatios = `Two replicas ÷ one replica, per round (${pgRounds} round${pgRounds === 1 ? '' : 's'} of ${seconds} s each, alternated, B warmed first; the rows above are the median rounds): ${ratios.map((r) => `${r.toFixed(2)}×`).join(', ')} — median ${median(ratios).toFixed(2)}×.`;
    log(replicaRatios);

    // Cross-replica wake-up: waiter on B, the deciding approval on A. A production migration needs
    // one DBA; migrations have no rate limit, so every probe starts pending.
    const migrator = tokenFor(['--role', 'agent', '--system', 'migrate-bot']);
    const carol = tokenFor(['--role', 'approver', '--user', 'carol', '--groups', 'dba']);
    const headers = (t) => ({ authorization: `Bearer ${t}`, 'content-type': 'application/json' });
    const latencies = [];
    for (let i = 0; i < 20; i++) {
      const created = await (
        await fetch(`${a.url}/v1/decisions`, {
          method: 'POST',
          headers: headers(migrator),
          body: JSON.stringify({
            action: 'db.migrate',
            resource: { type: 'database', id: `db-${i}`, environment: 'prod' },
            change: { destructive: false },
            rationale: 'wake-up latency probe',
          }),
        })
      ).json();
      if (created.status !== 'pending') throw new Error(`probe decision is ${created.status}`);
      const waiting = fetch(`${b.url}/v1/decisions/${created.id}/wait?timeoutMs=30000`, {
        headers: headers(migrator),
      }).then(() => performance.now());
      await new Promise((resolve) => setTimeout(resolve, 50));
      const sent = performance.now();
      await fetch(`${a.url}/v1/decisions/${created.id}/approvals`, {
        method: 'POST',
        headers: headers(carol),
        body: JSON.stringify({ verdict: 'approve', reason: 'probe' }),
      });
      // From sending the deciding approval to A until B's waiter has its answer: an upper bound
      // that includes A processing and committing the approval.
      latencies.push((await waiting) - sent);
    }
    latencies.sort((x, y) => x - y);
    wakeups = `Cross-replica wake-up (PostgreSQL LISTEN/NOTIFY): a waiter long-polling on replica B has its answer ${latencies[10].toFixed(1)} ms (median) / ${latencies[19].toFixed(1)} ms (worst of 20) after the deciding approval is sent to replica A — this includes A processing and committing the approval (target: within 100 ms).`;
    log(wakeups);
    a.child.kill('SIGTERM');
    b.child.kill('SIGTERM');
    await Promise.all([new Promise((r) => a.child.on('exit', r)), new Promise((r) => b.child.on('exit', r))]);
    const verify = execFileSync(
      process.execPath,
      [bin, 'ledger', 'verify', '--db', db, '--ledger-key', ledgerKey],
      { encoding: 'utf8' },
    );
    log(verify.split('\n')[0]);
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
    await admin.end();
  }
  return { rows, wakeups: replicaRatios ? `${replicaRatios}\n\n${wakeups}` : wakeups };
}
