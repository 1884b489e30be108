// bench/policy/gc-tail.js: which of the 200-rule verdict's slow samples (≥ p99) follow a garbage
// collection (issue 22). Times 100,000 verdicts of the generated "all" bundle after 20,000 warm-up while a
// PerformanceObserver records every GC, then counts the slow samples by how many verdicts after the last
// GC start they began. Run it with V8 flags to compare, e.g.
// `node --no-incremental-marking bench/policy/gc-tail.js` or `node --max-semi-space-size=64 bench/policy/gc-tail.js`.
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { compileBundle, evaluateAction } from '../../dist/policy/index.js';
import { generatedBundleFiles, generatedRequests } from './generated.js';

const actor = { id: 'bench-bot', kind: 'agent', autonomy: 2 };
const now = new Date('2026-03-03T10:00:00Z');
const bundle = compileBundle(generatedBundleFiles('all'));
const requests = generatedRequests('all').map((request) => ({ request, actor, now }));
for (let i = 0; i < 20000; i++) evaluateAction(bundle, requests[i % 8]);
const gcs = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcs.push([e.startTime, e.duration, e.detail?.kind]);
}).observe({ entryTypes: ['gc'] });
const N = 100000;
const lat = new Float64Array(N);
const t0 = new Float64Array(N);
for (let i = 0; i < N; i++) {
  t0[i] = performance.now();
  const s = process.hrtime.bigint();
  evaluateAction(bundle, requests[i % 8]);
  lat[i] = Number(process.hrtime.bigint() - s) / 1000;
}
await new Promise((r) => setTimeout(r, 100));
const s = Float64Array.from(lat).sort();
const thr = s[Math.floor(0.99 * N)];
// For each slow sample: how many verdicts since the last GC start before it.
let g = 0;
const since = [];
const starts = gcs
  .map((x) => x[0])
  .filter((t) => t >= t0[0])
  .sort((a, b) => a - b);
for (let i = 0; i < N; i++) {
  if (lat[i] < thr) continue;
  while (g + 1 < starts.length && starts[g + 1] <= t0[i] + lat[i] / 1000) g++;
  if (starts[g] > t0[i] + lat[i] / 1000) {
    since.push(-1);
    continue;
  }
  let j = i;
  while (j > 0 && t0[j] > starts[g]) j--;
  since.push(i - j);
}
/** How many collections of each kind (perf_hooks' NODE_PERFORMANCE_GC_* flags) ran while timing. */
function countsByKind(entries) {
  const names = { 1: 'scavenge', 4: 'mark-compact', 8: 'incremental marking', 16: 'weak callbacks' };
  const counts = {};
  for (const [, , kind] of entries) counts[names[kind] ?? kind] = (counts[names[kind] ?? kind] ?? 0) + 1;
  return counts;
}
const hist = {};
for (const d of since) {
  const b =
    d < 0
      ? 'before first'
      : d === 0
        ? '0 (contains GC)'
        : d <= 5
          ? '1-5'
          : d <= 20
            ? '6-20'
            : d <= 100
              ? '21-100'
              : '>100';
  hist[b] = (hist[b] ?? 0) + 1;
}
console.log(
  'p50',
  s[N / 2].toFixed(1),
  'p99',
  thr.toFixed(1),
  'gcs',
  starts.length,
  'by kind',
  JSON.stringify(countsByKind(gcs.filter((x) => x[0] >= t0[0]))),
  'mean gc ms',
  (gcs.reduce((a, x) => a + x[1], 0) / gcs.length).toFixed(3),
);
console.log('slow samples by verdicts since the last GC start:', hist);
