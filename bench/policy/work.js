// bench/policy, work per verdict: bytes allocated, garbage collections and CPU time per
// `evaluateAction` verdict on the generated 200-rule bundles. Counts rather than wall-clock
// latencies, so they repeat on a loaded machine; the p99 of the latency table is mostly the
// collections these allocations cause.
//
// `node bench/policy/work.js [dist…]` compares builds (default: this checkout's dist/), each in
// its own child process started with `--expose-gc` and a young generation large enough that a
// measured batch of verdicts allocates without a collection in between.
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { fmt } from '../measure.js';
import { generatedBundleFiles, generatedRequests } from './generated.js';

const self = fileURLToPath(import.meta.url);
const defaultDist = fileURLToPath(new URL('../../dist', import.meta.url));
const tuesday = new Date('2026-11-17T10:00:00Z');
// Bytes are counted with a young generation large enough for a batch; CPU and collections are
// measured with V8's default heap, the one a library caller gets, comparable across builds and rounds
// (`arbiter serve` runs with a larger young generation: bench/policy/latency.js measures both).
const childFlags = { bytes: ['--expose-gc', '--max-semi-space-size=64'], cpu: ['--expose-gc'] };

/** Measures one build in this process (which must run with `childFlags[what]`). */
async function measureBuild(dist, what) {
  const { compileBundle, evaluateAction } = await import(
    pathToFileURL(resolve(dist, 'policy/index.js')).href
  );
  const actor = { id: 'bench-bot', kind: 'agent', autonomy: 2 };
  const collections = [];
  const observer = new PerformanceObserver((list) => collections.push(...list.getEntries()));
  observer.observe({ entryTypes: ['gc'] });
  const results = {};
  for (const layout of ['all', 'spread']) {
    const bundle = compileBundle(generatedBundleFiles(layout));
    const items = generatedRequests(layout).map((request) => ({ request, actor, now: tuesday }));
    const verdict = (i) => evaluateAction(bundle, items[i % items.length]);
    for (let i = 0; i < 10_000; i++) verdict(i);

    if (what === 'bytes') {
      results[layout] = { bytesPerVerdict: await bytesPerVerdict(verdict, collections) };
      continue;
    }
    // CPU and collections over many verdicts.
    globalThis.gc();
    const verdicts = 100_000;
    const start = performance.now();
    const cpu = process.cpuUsage();
    for (let i = 0; i < verdicts; i++) verdict(i);
    const used = process.cpuUsage(cpu);
    const end = performance.now();
    await new Promise((done) => setTimeout(done, 5));
    const during = collections.filter((entry) => entry.startTime >= start && entry.startTime < end);
    const gcMs = during.reduce((sum, entry) => sum + entry.duration, 0);
    results[layout] = {
      cpuUsPerVerdict: (used.user + used.system) / verdicts,
      collectionsPer100k: (during.length * 100_000) / verdicts,
      gcUsPerVerdict: (gcMs * 1000) / verdicts,
    };
  }
  observer.disconnect();
  return results;
}

/**
 * The heap's growth over a batch of verdicts small enough to fit the young generation (median of
 * nine batches); a batch during which a collection ran is measured again.
 */
export async function bytesPerVerdict(verdict, collections) {
  const batch = 200;
  const bytes = [];
  for (let attempt = 0; bytes.length < 9; attempt++) {
    if (attempt > 100) throw new Error('every batch saw a garbage collection');
    globalThis.gc();
    const start = performance.now();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < batch; i++) verdict(i);
    const after = process.memoryUsage().heapUsed;
    const end = performance.now();
    await new Promise((done) => setTimeout(done, 5));
    const collected = collections.some(
      (entry) => entry.startTime + entry.duration > start && entry.startTime < end,
    );
    if (!collected) bytes.push((after - before) / batch);
  }
  bytes.sort((a, b) => a - b);
  return bytes[4];
}

/** Runs `measureBuild` for each dist in its own child process; returns the results in order. */
export function measureWork(dists = [defaultDist]) {
  const child = (dist, what) =>
    JSON.parse(
      execFileSync(process.execPath, [...childFlags[what], self, '--child', what, dist], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      }),
    );
  return dists.map((dist) => {
    const bytes = child(dist, 'bytes');
    const cpu = child(dist, 'cpu');
    const result = { dist };
    for (const layout of Object.keys(cpu)) result[layout] = { ...bytes[layout], ...cpu[layout] };
    return result;
  });
}

/** Markdown rows for one build's results. */
export function workRows(label, result) {
  return ['all', 'spread'].map((layout) => {
    const r = result[layout];
    return `| ${label} | ${layout} | ${Math.round(r.bytesPerVerdict).toLocaleString('en-US')} | ${fmt.us(r.cpuUsPerVerdict)} | ${r.collectionsPer100k.toFixed(0)} | ${fmt.us(r.gcUsPerVerdict)} |`;
  });
}

export const workHeader =
  '| build | layout | bytes allocated / verdict | CPU µs / verdict | collections / 100k verdicts | GC µs / verdict |\n| --- | --- | ---: | ---: | ---: | ---: |';

if (process.argv[1] === self) {
  if (process.argv[2] === '--child') {
    process.stdout.write(JSON.stringify(await measureBuild(process.argv[4], process.argv[3])));
  } else {
    const dists = process.argv.length > 2 ? process.argv.slice(2) : [defaultDist];
    const results = measureWork(dists);
    console.log(workHeader);
    for (const result of results) for (const row of workRows(result.dist, result)) console.log(row);
  }
}
