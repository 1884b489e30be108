// bench/server/profile.js: where `arbiter serve` (SQLite, durable) spends its main thread per decision.
//
// `node bench/server/profile.js [BIN] [--amount N] [--connections N] [--keep DIR]` starts BIN (default
// bin/arbiter.js) with `node --cpu-prof`, warms it up, sends N decisions (default 8,000) at N
// connections (default 32), stops it, and prints the self time of the main thread during that load,
// grouped by category, in µs per decision; then, from a second run under statement-count.js, the
// better-sqlite3 statements run per decision, by SQL text.
// `node bench/server/profile.js FILE.cpuprofile [--decisions N]` only prints the breakdown of a profile
// (of the window in FILE.window.json when present: what the first form writes beside its profile).
//
// Self time is counted in samples × the sampling interval rather than in the profile's time deltas: on
// a shared machine a descheduled thread's next sample carries the whole wait in its delta, which would
// charge it to whatever ran just before (often a syscall). The category of a sample is that of the
// first frame from the leaf up that a rule below recognises: a native call shows as the self time of
// the JavaScript function that made it (a statement's run() is charged to its caller in src/store/sqlite),
// and a generic frame (events, promises) defers to its caller.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { arbiterBin, startArbiter, stopProcess } from '../processes.js';
import { cpuSeconds } from './cpu-per-decision.js';
import { postDecisions } from './decisions.js';

const counter = fileURLToPath(new URL('./statement-count.js', import.meta.url));
const samplingUs = 100;

/**
 * Categories, tried in order on each frame (`functionName url`, url as the profile gives it). A frame
 * none of them names is skipped for its caller; a sample no frame of which is named counts as
 * `unclassified` (printed with its leaf).
 */
const categories = [
  ['GC', /^\(garbage collector\) /],
  ['idle', /^\(idle\) /],
  ['V8/native, no JS frame ((program))', /^\(program\) /],
  ['SQLite COMMIT (WAL frames written)', /^commit .*\/store\/sqlite\/sqlite-store\.js$/],
  ['SQLite BEGIN/ROLLBACK', /^(begin|rollback) .*\/store\/sqlite\/sqlite-store\.js$/],
  ['WAL fdatasync (dispatch to the thread pool)', /^fdatasync node:fs$|fdatasyncFile /],
  ['WAL sync bookkeeping, data_version reads', /\/store\/sqlite\/wal-sync\.js$|readVersion /],
  ['SQLite ledger statements (nodes, entries)', /\/store\/sqlite\/ledger\.js$/],
  [
    'SQLite statements via Kysely (records, reads)',
    /\/store\/sqlite\/kysely-connection\.js$|statement-count\.js$/,
  ],
  ['better-sqlite3 JS', /node_modules\/better-sqlite3\//],
  ['write queue, store promises', /\/store\/write-queue\.js$|\/store\/sqlite\/sqlite-store\.js$/],
  [
    'Kysely query building, row mapping',
    /node_modules\/kysely\/|\/store\/(sql\/|row-mapping|records|autonomy-|open)/,
  ],
  ['canonical JSON', /\/core\/canonical-json\.js$/],
  [
    'SHA-256 (createHash, digest)',
    /node:internal\/crypto\/hash$|^createHash node:crypto$|\/core\/digest\.js$|\/ledger\/rfc6962\.js$/,
  ],
  ['ledger append (entries, tree)', /\/ledger\//],
  ['decision record building', /\/decisions\//],
  ['policy evaluation (CEL, rules)', /\/policy\/|node_modules\/@marcbachmann\/cel-js\//],
  [
    'auth, token cache, rate limit key',
    /\/server\/auth\.js$|\/app\/access\/|\/identity\/|\/core\/ttl-cache\.js$|rateLimitKey /,
  ],
  ['response serialise (fast-json-stringify)', /node_modules\/fast-json-stringify\/|\/server\/response-/],
  ['schema validation (ajv)', /node_modules\/ajv\/|\/core\/json-schema\.js$|^validate\d* |^anonymous\d* /],
  [
    'JSON parse and body checks',
    /^parse (native )?JSON|^parse $|parseJsonBody |\/core\/json\.js$|ndjson-body/,
  ],
  ['logging (pino)', /node_modules\/(pino|sonic-boom|thread-stream)\//],
  ['metrics (prom-client)', /node_modules\/prom-client\/|\/app\/observability\//],
  ['Arbiter app services', /\/dist\/app\//],
  [
    'Fastify, routing, hooks',
    /node_modules\/(fastify|find-my-way|avvio|@fastify|light-my-request)\/|\/dist\/server\//,
  ],
  [
    'Node HTTP, sockets, timers',
    /node:(_http|net|internal\/(stream|streams|http|timers|js_stream)|timers|stream)|^(writev|writeUtf8String|writeBuffer|getLibuvNow|close|shutdown) /,
  ],
  [
    'promises, microtasks, events',
    /^(processTicksAndRejections|runMicrotasks|processPromiseRejections) |^emit node:events$/,
  ],
  ['Node modules, startup', /node:internal\/(modules|bootstrap|deps\/cjs)/],
];

export function breakdown(profile, { from = -Infinity, to = Infinity } = {}) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const label = (node) => `${node.callFrame.functionName || '(anonymous)'} ${node.callFrame.url}`;
  const categoryOf = new Map();
  const classify = (id) => {
    let cached = categoryOf.get(id);
    if (cached) return cached;
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const name = label(byId.get(at));
      const found = categories.find(([, pattern]) => pattern.test(name));
      if (found) {
        cached = found[0];
        break;
      }
    }
    cached ??= `unclassified: ${label(byId.get(id))}`;
    categoryOf.set(id, cached);
    return cached;
  };
  const samples = new Map();
  const functions = new Map();
  let time = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    time += profile.timeDeltas[i];
    if (time < from || time > to) continue;
    const category = classify(profile.samples[i]);
    samples.set(category, (samples.get(category) ?? 0) + 1);
    const { functionName, url, lineNumber } = byId.get(profile.samples[i]).callFrame;
    const where = `${functionName || '(anonymous)'} ${url.replace(/^.*\/(node_modules|dist)\//, '')}:${lineNumber + 1}`;
    const inCategory = functions.get(category) ?? new Map();
    inCategory.set(where, (inCategory.get(where) ?? 0) + 1);
    functions.set(category, inCategory);
  }
  return { samples, functions };
}

function printBreakdown({ samples, functions }, decisions) {
  const busy = [...samples].filter(([category]) => category !== 'idle');
  const total = busy.reduce((sum, [, n]) => sum + n, 0);
  const perDecision = (n) => (decisions ? ((n * samplingUs) / decisions).toFixed(1) : '');
  console.log(`| category | share of busy main thread | µs/decision (${samplingUs} µs samples) |`);
  console.log('|---|---|---|');
  const named = busy.filter(([category]) => !category.startsWith('unclassified: '));
  const unclassified = busy.filter(([category]) => category.startsWith('unclassified: '));
  const others = unclassified.reduce((sum, [, n]) => sum + n, 0);
  for (const [category, n] of [...named, ['unclassified', others]].sort((a, b) => b[1] - a[1])) {
    console.log(`| ${category} | ${((100 * n) / total).toFixed(1)} % | ${perDecision(n)} |`);
  }
  console.log(`| **busy total** | 100 % | ${perDecision(total)} |`);
  console.log(`(idle: ${perDecision(samples.get('idle') ?? 0)} µs/decision)`);
  const top = unclassified.sort((a, b) => b[1] - a[1]).slice(0, 8);
  if (top.length)
    console.log(`top unclassified leaves: ${top.map(([c, n]) => `${c.slice(14)} (${n})`).join('; ')}`);
  console.log('\nTop functions by self time in each category (µs/decision):');
  for (const [category] of named.sort((a, b) => b[1] - a[1])) {
    const top = [...functions.get(category)].sort((a, b) => b[1] - a[1]).slice(0, 6);
    console.log(`- ${category}: ${top.map(([where, n]) => `${where} ${perDecision(n)}`).join('; ')}`);
  }
}

/** The better-sqlite3 statements the server has run so far, from statement-count.js. */
/** The statements a server started under statement-count.js has run so far, by SQL text. */
export async function statementCounts(arbiter) {
  const seen = arbiter.output().length;
  arbiter.child.kill('SIGUSR2');
  for (;;) {
    const match = /statement-counts (.*)\n/.exec(arbiter.output().slice(seen));
    if (match) return JSON.parse(match[1]);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function profileRun({ bin, amount, connections, keep }) {
  const dir = mkdtempSync(join(tmpdir(), 'arbiter-bench-profile-'));
  const profileDir = keep ?? join(dir, 'profile');
  let arbiter;
  try {
    arbiter = await startArbiter(dir, {
      system: 'deploy-bot',
      bin,
      nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-interval=${samplingUs}`],
    });
    await postDecisions(arbiter.url, arbiter.token, { amount: 2_000, connections });
    // The profile's timestamps are CLOCK_MONOTONIC µs, like hrtime: the window is the measured load.
    const from = Number(process.hrtime.bigint() / 1000n);
    const cpuBefore = cpuSeconds(arbiter.child.pid);
    const result = await postDecisions(arbiter.url, arbiter.token, { amount, connections });
    const cpuUs = ((cpuSeconds(arbiter.child.pid) - cpuBefore) * 1e6) / result['2xx'];
    const to = Number(process.hrtime.bigint() / 1000n);
    await stopProcess(arbiter);
    arbiter = undefined;
    const file = join(
      profileDir,
      readdirSync(profileDir).find((name) => name.endsWith('.cpuprofile')),
    );
    const window = { from, to, decisions: result['2xx'], errors: result.non2xx + result.errors };
    writeFileSync(`${file}.window.json`, JSON.stringify(window));
    console.log(
      `${window.decisions} decisions (${window.errors} errors) at ${connections} connections; server CPU (all threads, /proc) ${cpuUs.toFixed(0)} µs/decision; profile ${file}\n`,
    );
    printBreakdown(breakdown(JSON.parse(readFileSync(file, 'utf8')), window), window.decisions);
  } finally {
    await stopProcess(arbiter);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function countRun({ bin, connections }) {
  const dir = mkdtempSync(join(tmpdir(), 'arbiter-bench-profile-'));
  let arbiter;
  try {
    arbiter = await startArbiter(dir, {
      system: 'deploy-bot',
      bin,
      env: { NODE_OPTIONS: `--import=${counter}`, ARBITER_BENCH_BIN: bin },
    });
    await postDecisions(arbiter.url, arbiter.token, { amount: 500, connections });
    const before = await statementCounts(arbiter);
    const amount = 2_000;
    const result = await postDecisions(arbiter.url, arbiter.token, { amount, connections });
    const after = await statementCounts(arbiter);
    const decisions = result['2xx'];
    const rows = Object.entries(after)
      .map(([sql, n]) => [sql, (n - (before[sql] ?? 0)) / decisions])
      .filter(([, n]) => n > 0)
      .sort((a, b) => b[1] - a[1]);
    console.log(`\n| statement (better-sqlite3, per decision over ${decisions}) | runs/decision |`);
    console.log('|---|---|');
    for (const [sql, n] of rows)
      console.log(`| \`${sql.slice(0, 110).replaceAll('|', '\\|')}\` | ${n.toFixed(2)} |`);
    console.log(`| **total** | ${rows.reduce((sum, [, n]) => sum + n, 0).toFixed(2)} |`);
  } finally {
    await stopProcess(arbiter);
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      amount: { type: 'string', default: '8000' },
      connections: { type: 'string', default: '32' },
      decisions: { type: 'string' },
      keep: { type: 'string' },
    },
  });
  const target = positionals[0];
  if (target?.endsWith('.cpuprofile')) {
    let window = {};
    try {
      window = JSON.parse(readFileSync(`${target}.window.json`, 'utf8'));
    } catch {}
    const decisions = Number(values.decisions ?? window.decisions ?? 0);
    printBreakdown(breakdown(JSON.parse(readFileSync(target, 'utf8')), window), decisions);
  } else {
    const options = {
      bin: resolve(target ?? arbiterBin),
      amount: Number(values.amount),
      connections: Number(values.connections),
      keep: values.keep && resolve(values.keep),
    };
    await profileRun(options);
    await countRun(options);
  }
}
