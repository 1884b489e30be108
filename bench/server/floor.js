// bench/server/floor.js: the floor under a durable SQLite decision — the CPU per decision of the work
// no durable decision can skip, each part measured alone and all in the same run as the bare Fastify
// route, autocannon's own CPU per request and the real server — and from it the most decisions a
// second this machine's cores could answer, against half the bare route's maximum (issue 22's row).
//
// The parts: HTTP with the real body schema and response schema (schema-route.js, a process of its
// own); one token check (one SHA-256 and a map lookup); one policy verdict on the example bundle; the
// records (decision-records.js: the actor, the request's hash, the ledger entry's bytes, the
// `decisions` row); the ledger's hashing (the leaf, and a tree node per leaf on average); and the
// SQLite statements one decision runs, captured from the real service and replayed through
// better-sqlite3 alone, batched as the group commit batches them, at synchronous=NORMAL with an
// fdatasync of the `-wal` per commit (what the server does) and at synchronous=FULL.
// Also measured: the real decision service in this process (no HTTP), and each server's maximum.
//
// `node bench/server/floor.js [--seconds S] [--warmup S] [--rounds R] [--connections C]` (after
// `npm run build`).
import { closeSync, cpSync, fdatasyncSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startArbiter as startArbiterProcess, startProcess, stopProcess } from '../processes.js';
import { cpuSeconds } from './cpu-per-decision.js';
import { load } from './decision-records.js';
import { decisionBody, postDecisions } from './decisions.js';
import { statementCounts } from './profile.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dist = join(root, 'dist');
const Database = createRequire(import.meta.url)('better-sqlite3');
const { values: options } = parseArgs({
  options: {
    seconds: { type: 'string', default: '8' },
    // Long enough for TurboFan: after a 2-s warm-up `arbiter serve`'s compiler threads still used
    // ~50 µs per decision each (4 threads), after 15 s ~8.
    warmup: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '64' },
  },
});
const seconds = Number(options.seconds);
const warmup = Number(options.warmup);
const rounds = Number(options.rounds);
const connections = Number(options.connections);
const batchSizes = [1, 2, 4, 8, 16, 32, 64];

const cpuUs = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Every better-sqlite3 statement run while `capturing` is set, and a count of COMMITs. */
const capture = { on: false, statements: [], commits: 0 };
{
  const probe = new Database(':memory:');
  const Statement = Object.getPrototypeOf(probe.prepare('SELECT 1'));
  probe.close();
  for (const method of ['run', 'get', 'all']) {
    const original = Statement[method];
    Statement[method] = function (...args) {
      if (this.source === 'COMMIT') capture.commits++;
      if (capture.on) capture.statements.push({ source: this.source, method, args });
      return original.apply(this, args);
    };
  }
}

/** CPU µs per call of each of `parts` (name → function of the call's number), medians of interleaved rounds. */
function perCall(parts, calls = 20_000, partRounds = 11) {
  const samples = new Map(Object.keys(parts).map((name) => [name, []]));
  for (const part of Object.values(parts)) for (let i = 0; i < calls; i++) part(i); // warm-up
  for (let round = 0; round < partRounds; round++)
    for (const [name, part] of Object.entries(parts)) {
      const before = cpuUs();
      for (let i = 0; i < calls; i++) part(i);
      samples.get(name).push((cpuUs() - before) / calls);
    }
  return Object.fromEntries([...samples].map(([name, values]) => [name, median(values)]));
}

/** `amount` decisions through the service, `concurrency` in flight: CPU µs each and decisions per commit. */
async function serviceRun(arbiter, principal, amount, concurrency) {
  const commits = capture.commits;
  const before = cpuUs();
  let next = 0;
  const worker = async () => {
    while (next++ < amount) await arbiter.decisions.request(principal, decisionBody);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { cpuUs: (cpuUs() - before) / amount, batch: amount / (capture.commits - commits) };
}

// Part 1, in this process: the real Arbiter (SQLite durable, example bundle) for the service's own
// cost and the statements of one decision; then the parts alone.
const dir = mkdtempSync(join(tmpdir(), 'arbiter-bench-floor-'));
const dbPath = join(dir, 'arbiter.db');
cpSync(join(root, 'examples', 'policies'), join(dir, 'policies'), { recursive: true });
const { startArbiter } = await import(`${dist}/app/arbiter.js`);
const { baseActor } = await import(`${dist}/decisions/lifecycle.js`);
const { evaluateAction } = await import(`${dist}/policy/evaluate-action.js`);
const { sha256Hex } = await import(`${dist}/core/digest.js`);
const { leafHash, nodeHash } = await import(`${dist}/ledger/rfc6962.js`);
const arbiter = await startArbiter({
  databaseUrl: `sqlite:${dbPath}`,
  policyDir: join(dir, 'policies'),
  ledgerKeyPath: join(dir, 'ledger.key'),
  adminTokenPath: join(dir, 'admin.token'),
});
const { token } = await arbiter.tokens.create({ role: 'agent', systemId: 'deploy-bot' }, 'bench');
const principal = await arbiter.tokens.authenticate(token);
const service = [];
await serviceRun(arbiter, principal, 4_000, connections); // warm-up
for (let round = 0; round < rounds; round++)
  service.push(await serviceRun(arbiter, principal, 8_000, connections));
// One decision alone: its statements between BEGIN and COMMIT, and its view (the response body).
capture.on = true;
capture.statements = [];
const { decision: view } = await arbiter.decisions.request(principal, decisionBody);
capture.on = false;
const begin = capture.statements.findIndex((s) => s.source === 'BEGIN IMMEDIATE');
const commit = capture.statements.findIndex((s) => s.source === 'COMMIT');
const written = capture.statements.slice(begin + 1, commit).filter((s) => !s.source.startsWith('PRAGMA'));
const system = await arbiter.systems.lookup('deploy-bot');
const now = new Date();
const bundle = arbiter.policies.bundle;
const actor = await arbiter.autonomy.policyActor(baseActor(system, { name: 'unused', groups: [] }), {
  system,
  request: decisionBody,
  now,
  bundle,
});
// The entry's seq: the first value the ledger_entries insert binds.
const decidedSeq = written.find((s) => /^INSERT INTO ledger_entries/.test(s.source)).args[0];
await arbiter.close();

const records = await load('this build', dist);
const tokens = new Map([[sha256Hex(token), principal]]);
const leaf = leafHash(new Uint8Array(300));
const entryBytes = records.records(0).bytes;
const parts = perCall({
  token: () => tokens.get(sha256Hex(token)),
  policy: () => evaluateAction(bundle, { request: decisionBody, actor, now }),
  records: (i) => records.records(i),
  // One leaf, and one tree node per leaf on average (a node completes at every other leaf, one
  // level up at every fourth, …).
  hashing: () => nodeHash(leafHash(entryBytes), leaf),
});

// The SQLite statements of a decision, replayed on the same database (same schema and data) with
// a fresh decision id and ledger seq each; tree nodes as the append completes them. The ledger's
// tail read runs once per batch (the server reads it when a batch starts after another writer).
const decisionId = view.id;
const sqlite = new Database(dbPath);
const prepared = written.map((s) => ({ ...s, statement: sqlite.prepare(s.source) }));
const isTailRead = (s) => /from "ledger_entries" order by "seq" desc/.test(s.source);
const isNodeInsert = (s) => /^INSERT INTO ledger_nodes/.test(s.source);
const perBatch = prepared.filter(isTailRead);
const perDecision = prepared.filter((s) => !isTailRead(s) && !isNodeInsert(s));
const nodeInsert = sqlite.prepare('INSERT INTO ledger_nodes (level, idx, hash) VALUES (?, ?, ?)');
let seq = sqlite.prepare('SELECT max(seq) FROM ledger_entries').pluck().get() + 1;
/** One decision's statements (only the one whose SQL is `only`, when given). */
const replayOne = (only) => {
  const id = `${decisionId}_${seq}`;
  for (const s of perDecision) {
    if (only && s.source !== only) continue;
    s.statement[s.method](...s.args.map((a) => (a === decisionId ? id : a === decidedSeq ? seq : a)));
  }
  // Appending leaf `seq` completes the node over [seq + 1 - 2^level, seq + 1) at each level it fills.
  if (!only || only === nodeInsert.source)
    for (let level = 1; (seq + 1) % 2 ** level === 0; level++)
      nodeInsert.run(level, (seq + 1) / 2 ** level - 1, leaf);
  seq++;
};
const beginStatement = sqlite.prepare('BEGIN IMMEDIATE');
const commitStatement = sqlite.prepare('COMMIT');
const walFd = openSync(`${dbPath}-wal`, 'r');
/**
 * CPU and wall µs per decision over about `decisions` decisions in commits of `size`: at
 * synchronous NORMAL followed by an fdatasync of the `-wal` (the server), FULL (SQLite syncs in
 * COMMIT), or NORMAL without a sync (`unsynced`, the statements' own cost); `only` one statement.
 */
const replay = ({ mode, size, decisions = 1_024, only }) => {
  sqlite.pragma(`synchronous = ${mode === 'FULL' ? 'FULL' : 'NORMAL'}`);
  const batches = Math.max(4, Math.round(decisions / size));
  const cpuBefore = cpuUs();
  const wallBefore = performance.now();
  for (let b = 0; b < batches; b++) {
    beginStatement.run();
    if (!only || perBatch.some((s) => s.source === only))
      for (const s of perBatch) s.statement[s.method](...s.args);
    for (let i = 0; i < size; i++) replayOne(only);
    commitStatement.run();
    if (mode === 'NORMAL') fdatasyncSync(walFd);
  }
  const count = batches * size;
  return { cpu: (cpuUs() - cpuBefore) / count, wall: ((performance.now() - wallBefore) * 1e3) / count };
};
const sqliteRows = new Map();
for (const mode of ['NORMAL', 'FULL', 'unsynced'])
  for (const size of batchSizes) sqliteRows.set(`${mode} ${size}`, { mode, size });
const statementRows = new Map(
  [...new Set([...prepared.map((s) => s.source), nodeInsert.source])].map((only) => [
    only,
    { mode: 'unsynced', size: 64, only },
  ]),
);
const samplesOf = new Map([...sqliteRows.values(), ...statementRows.values()].map((config) => [config, []]));
for (const config of samplesOf.keys()) replay({ ...config, decisions: 256 }); // warm-up
for (let round = 0; round < rounds; round++)
  for (const [config, samples] of samplesOf) samples.push(replay(config));
closeSync(walFd);
sqlite.close();
rmSync(dir, { recursive: true, force: true });

// Part 2, processes one after another, each at full speed for `seconds`: the bare route, the
// schema route and `arbiter serve`; server CPU from /proc, autocannon's from this process.
async function loadRun(server, token) {
  await postDecisions(server.url, token, { duration: warmup, connections });
  const serverBefore = cpuSeconds(server.child.pid);
  const clientBefore = cpuUs();
  const result = await postDecisions(server.url, token, { duration: seconds, connections });
  const ok = result['2xx'];
  if (result.non2xx + result.errors + result.timeouts > 0)
    throw new Error(`failed requests: ${JSON.stringify(result.statusCodeStats)}`);
  return {
    perSecond: ok / result.duration,
    serverUs: ((cpuSeconds(server.child.pid) - serverBefore) * 1e6) / ok,
    clientUs: (cpuUs() - clientBefore) / ok,
  };
}
const servers = {
  bare: () => startProcess([join(root, 'bench', 'server', 'bare.js')], /listening on (http:\/\/\S+)/),
  validation: () =>
    startProcess([join(root, 'bench', 'server', 'schema-route.js')], /listening on (http:\/\/\S+)/),
  schema: () =>
    startProcess([join(root, 'bench', 'server', 'schema-route.js')], /listening on (http:\/\/\S+)/, {
      ARBITER_BENCH_VIEW: JSON.stringify(view),
    }),
  arbiter: async () => {
    const serverDir = mkdtempSync(join(tmpdir(), 'arbiter-bench-floor-serve-'));
    const started = await startArbiterProcess(serverDir, { system: 'deploy-bot' });
    return { ...started, dir: serverDir };
  },
};
const runs = new Map(Object.keys(servers).map((name) => [name, []]));
for (let round = 0; round < rounds; round++)
  for (const [name, start] of Object.entries(servers)) {
    const server = await start();
    try {
      runs.get(name).push(await loadRun(server, server.token));
    } finally {
      await stopProcess(server);
      if (server.dir) rmSync(server.dir, { recursive: true, force: true });
    }
  }
// The group commit's batch in `arbiter serve` at full speed: a run of its own under
// statement-count.js (whose counting would add to the CPU measured above).
const probeDir = mkdtempSync(join(tmpdir(), 'arbiter-bench-floor-batch-'));
let serverBatch;
{
  const counter = fileURLToPath(new URL('./statement-count.js', import.meta.url));
  const probed = await startArbiterProcess(probeDir, {
    system: 'deploy-bot',
    env: { NODE_OPTIONS: `--import=${counter}` },
  });
  try {
    await postDecisions(probed.url, probed.token, { duration: warmup, connections });
    const before = await statementCounts(probed);
    const result = await postDecisions(probed.url, probed.token, { duration: seconds, connections });
    const after = await statementCounts(probed);
    serverBatch = result['2xx'] / (after.COMMIT - before.COMMIT);
  } finally {
    await stopProcess(probed);
    rmSync(probeDir, { recursive: true, force: true });
  }
}
const of = (name, field) => median(runs.get(name).map((r) => r[field]));
const serviceUs = median(service.map((s) => s.cpuUs));
const serviceBatch = median(service.map((s) => s.batch));
const sqliteOf = (mode, size, field = 'cpu') =>
  median(samplesOf.get(sqliteRows.get(`${mode} ${size}`)).map((r) => r[field]));
const nearest = (batch) => batchSizes.reduce((a, b) => (Math.abs(b - batch) < Math.abs(a - batch) ? b : a));
const nearestBatch = nearest(serverBatch);

const f = (value, digits = 1) => value.toFixed(digits);
const cores = 2;
const schemaUs = of('schema', 'serverUs');
// autocannon's CPU per request for the decision's response (the schema route answers the same view).
const clientUs = of('schema', 'clientUs');
const bareUs = of('bare', 'serverUs') + of('bare', 'clientUs');
const notHttp = [
  ['token check (SHA-256 + map lookup)', parts.token],
  ['policy verdict (example bundle)', parts.policy],
  ['records (actor, request hash, entry bytes, `decisions` row)', parts.records],
  ['ledger hashing (leaf + one node)', parts.hashing],
];
const notHttpUs = notHttp.reduce((sum, [, us]) => sum + us, 0);
const floorAt = (size) => schemaUs + notHttpUs + sqliteOf('NORMAL', size);
const floorUs = floorAt(nearestBatch);
const bestUs = floorAt(64);
console.log(
  `Floor of a durable SQLite decision: ${rounds} rounds, ${connections} connections, ${seconds} s loads after ${warmup} s, load average ${loadavg()[0].toFixed(1)}`,
);
console.log('');
console.log('| CPU µs per decision (per request for the routes) | measured |');
console.log('| --- | ---: |');
console.log(`| bare Fastify route, constant answer (server process) | ${f(of('bare', 'serverUs'))} |`);
console.log(`| + body schema (schema route, constant answer) | ${f(of('validation', 'serverUs'))} |`);
console.log(`| + the decision's view through its response schema: **HTTP floor** | **${f(schemaUs)}** |`);
for (const [name, us] of notHttp) console.log(`| ${name} | ${f(us)} |`);
console.log(
  `| SQLite statements (${perDecision.length} per decision, the tail read per batch, tree nodes), NORMAL + fdatasync, batch ${nearestBatch} (serve's: ${f(serverBatch)}) | ${f(sqliteOf('NORMAL', nearestBatch))} |`,
);
console.log(`| **floor (sum)** at batch ${nearestBatch} / at batch 64 | **${f(floorUs)}** / ${f(bestUs)} |`);
console.log(`| decision service in process, no HTTP (batch ${f(serviceBatch)}) | ${f(serviceUs)} |`);
console.log(
  `| \`arbiter serve\` (server process, batch ${f(serverBatch)}) | ${f(of('arbiter', 'serverUs'))} |`,
);
console.log(
  `| autocannon per request: bare / schema / view / serve | ${f(of('bare', 'clientUs'))} / ${f(of('validation', 'clientUs'))} / ${f(clientUs)} / ${f(of('arbiter', 'clientUs'))} |`,
);
console.log('');
console.log(
  '| SQLite statements of one decision, batch of | CPU µs NORMAL + fdatasync | wall µs | CPU µs FULL | wall µs | CPU µs without a sync |',
);
console.log('| ---: | ---: | ---: | ---: | ---: | ---: |');
for (const size of batchSizes)
  console.log(
    `| ${size} | ${f(sqliteOf('NORMAL', size))} | ${f(sqliteOf('NORMAL', size, 'wall'))} | ${f(sqliteOf('FULL', size))} | ${f(sqliteOf('FULL', size, 'wall'))} | ${f(sqliteOf('unsynced', size))} |`,
  );
console.log('');
console.log(
  '| statement, alone in commits of 64 without a sync (its COMMIT included) | CPU µs per decision |',
);
console.log('| --- | ---: |');
for (const [source, config] of statementRows)
  console.log(
    `| \`${source.replace(/\s+/g, ' ').slice(0, 80)}\` | ${f(median(samplesOf.get(config).map((r) => r.cpu)))} |`,
  );
console.log('');
const bareMax = of('bare', 'perSecond');
const target = bareMax / 2;
const ratio = (us) => bareUs / (us + clientUs);
console.log('| decisions/s | measured or bound |');
console.log('| --- | ---: |');
for (const name of ['bare', 'validation', 'schema'])
  console.log(`| ${name} route, max | ${f(of(name, 'perSecond'), 0)} |`);
console.log(
  `| \`arbiter serve\`, max | ${f(of('arbiter', 'perSecond'), 0)} (${f(of('arbiter', 'perSecond') / bareMax, 2)} of bare) |`,
);
console.log(`| target: 0.5 × bare | ${f(target, 0)} |`);
for (const [label, us] of [
  [`floor at batch ${nearestBatch}`, floorUs],
  ['floor at batch 64', bestUs],
])
  console.log(
    `| bound, ${label}: ${cores} cores / (${f(us)} + autocannon's ${f(clientUs)} µs) | ${f((cores * 1e6) / (us + clientUs), 0)} (${f(ratio(us), 2)} of bare by CPU) |`,
  );
console.log(
  `| server CPU per decision at 0.5 of bare by CPU: 2 × (bare ${f(bareUs)} µs with autocannon) − autocannon's ${f(clientUs)} µs | ${f(2 * bareUs - clientUs)} µs |`,
);
