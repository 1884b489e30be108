// bench/monitor/drift.js: every drift metric on raw arrays, 1,000,000 reference + 1,000,000 current
// rows × 20 features (14 numeric: KS with its asymptotic p-value, normed Wasserstein, PSI and
// Jensen–Shannon over 20 quantile bins of the reference; 6 categorical: chi-square and
// Jensen–Shannon), computed by arbiter/monitor on one thread, by arbiter/monitor/parallel on worker
// threads, by the separate per-metric calls on plain arrays (how the library was used before), and
// by SciPy on the same arrays in a python3 subprocess in the same run. Run alone with
// `node bench/monitor/drift.js` (after `npm run build`); BENCH_MONITOR_ROWS changes the size.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { numericDriftInParallel } from '../../dist/app/monitoring/parallel-drift.js';
import {
  chiSquareTest,
  jensenShannon,
  ksTest,
  numericDrift,
  psi,
  wassersteinNormed,
} from '../../dist/monitor/index.js';
import { random } from '../measure.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const numericFeatures = 14;
const categoricalFeatures = 6;
const categories = 5;
const bins = 20;

const normal = (next) => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());

/** Wall-clock and CPU time (all threads of this process) since `start()`. */
function start() {
  const wall = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  return () => {
    const used = process.cpuUsage(cpu);
    return {
      seconds: Number(process.hrtime.bigint() - wall) / 1e9,
      cpuSeconds: (used.user + used.system) / 1e6,
    };
  };
}

function makeData(rows) {
  const next = random(11);
  const numeric = Array.from({ length: numericFeatures }, () => ({
    reference: Float64Array.from({ length: rows }, () => normal(next)),
    current: Float64Array.from({ length: rows }, () => normal(next) + 0.05),
  }));
  const counts = () => Array.from({ length: categories }, () => Math.floor(next() * rows));
  const categorical = {
    reference: Array.from({ length: categoricalFeatures }, counts),
    current: Array.from({ length: categoricalFeatures }, counts),
  };
  return { numeric, categorical };
}

function categoricalResults({ categorical }) {
  return categorical.reference.map((ref, f) => [
    chiSquareTest(ref, categorical.current[f]).pValue,
    jensenShannon(ref, categorical.current[f]).value,
  ]);
}

const numericRow = (d) => [d.ks.pValue, d.wassersteinNormed, d.psi.value, d.jensenShannon.value];

/** arbiter/monitor, one thread: numericDrift per feature (two sorts each). */
function sequential(data) {
  const stop = start();
  const results = data.numeric.map((f) => numericRow(numericDrift(f.reference, f.current, { bins })));
  results.push(...categoricalResults(data));
  return { ...stop(), results };
}

/** arbiter/monitor/parallel: the numeric features on worker threads (pool start-up included). */
async function parallel(data) {
  const stop = start();
  const drifts = await numericDriftInParallel(data.numeric.map((f) => ({ ...f, options: { bins } })));
  const results = drifts.map(numericRow);
  results.push(...categoricalResults(data));
  return { ...stop(), results };
}

/**
 * The calls the previous bench made: plain arrays, ksTest and wassersteinNormed separately (each
 * sorts on its own), PSI and JS over 20 fixed-width bins counted value by value.
 */
function separateCalls(data) {
  const fixedBins = (values) => {
    const counts = new Array(bins).fill(0);
    for (const v of values) counts[Math.max(0, Math.min(bins - 1, Math.floor((v + 4) * 2.5)))]++;
    return counts;
  };
  const stop = start();
  for (const f of data.numeric) {
    const ref = Array.from(f.reference);
    const cur = Array.from(f.current);
    ksTest(ref, cur);
    wassersteinNormed(ref, cur);
    const rc = fixedBins(ref);
    const cc = fixedBins(cur);
    psi(rc, cc);
    jensenShannon(rc, cc);
  }
  categoricalResults(data);
  return stop();
}

/** SciPy on the same arrays, written to a file the subprocess reads before its clock starts. */
function scipy(data, rows) {
  const dir = mkdtempSync(join(tmpdir(), 'arbiter-bench-drift-'));
  try {
    const arrays = join(dir, 'arrays.f64');
    const all = new Float64Array(numericFeatures * 2 * rows);
    data.numeric.forEach((f, k) => {
      all.set(f.reference, 2 * k * rows);
      all.set(f.current, (2 * k + 1) * rows);
    });
    writeFileSync(arrays, new Uint8Array(all.buffer)); // little-endian on every machine Node runs on here
    const counts = join(dir, 'categorical.json');
    writeFileSync(counts, JSON.stringify(data.categorical));
    const run = spawnSync(
      'python3',
      [join(here, 'scipy_drift.py'), arrays, String(numericFeatures), String(rows), counts, String(bins)],
      { encoding: 'utf8', maxBuffer: 1 << 24 },
    );
    if (run.error || run.status !== 0)
      return { missing: (run.error?.message ?? run.stderr.trim().split('\n').pop()) || 'python3 failed' };
    return JSON.parse(run.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The largest relative difference between two result tables (a check that both computed the same). */
function largestDifference(a, b) {
  let largest = 0;
  for (const [r, row] of a.entries())
    for (const [c, x] of row.entries()) {
      const y = b[r][c];
      largest = Math.max(largest, x === y ? 0 : Math.abs(x - y) / Math.max(Math.abs(y), 1e-300));
    }
  return largest;
}

const timing = (t) => `${t.seconds.toFixed(2)} s (CPU ${t.cpuSeconds.toFixed(2)} s)`;

export async function driftAtScale({ log, rows = Number(process.env.BENCH_MONITOR_ROWS ?? 1_000_000) }) {
  const data = makeData(rows);
  const one = sequential(data);
  log(`numericDrift, one thread: ${timing(one)}`);
  const many = await parallel(data);
  log(`arbiter/monitor/parallel: ${timing(many)}`);
  const before = separateCalls(data);
  log(`separate calls on plain arrays (as before): ${timing(before)}`);
  const reference = scipy(data, rows);
  if (reference.missing) log(`SciPy not run: ${reference.missing}`);
  else
    log(
      `SciPy ${reference.scipy}: ${timing(reference)}; largest relative difference ${largestDifference(many.results, reference.results).toExponential(1)}`,
    );
  return { rows, sequential: one, parallel: many, separateCalls: before, scipy: reference };
}

/** The markdown rows of docs/benchmarks.md for a driftAtScale result. */
export function driftRows(result) {
  const { rows, scipy } = result;
  const size = `${rows.toLocaleString('en-US')} reference + ${rows.toLocaleString('en-US')} current rows × 20 features`;
  const vsScipy = (t) =>
    scipy.missing
      ? ''
      : `; SciPy takes ${(scipy.seconds / t.seconds).toFixed(2)}× as long (CPU time: ${(scipy.cpuSeconds / t.cpuSeconds).toFixed(2)}×)`;
  const lines = [
    `| every drift metric, ${size}, \`arbiter/monitor/parallel\` | ${timing(result.parallel)} | worker threads across features${vsScipy(result.parallel)} |`,
    `| the same, \`numericDrift\` on one thread | ${timing(result.sequential)} | each sample sorted once, shared by KS, Wasserstein and the quantile bins${vsScipy(result.sequential)} |`,
    `| the same with separate calls on plain arrays | ${timing(result.separateCalls)} | \`ksTest\` and \`wassersteinNormed\` on \`number[]\` (each sorts), PSI/JS on 20 fixed-width bins: what this benchmark timed before (9.9 s on 2026-11-23) |`,
  ];
  lines.push(
    scipy.missing
      ? `| the same in SciPy | not run | ${scipy.missing} |`
      : `| the same in SciPy ${scipy.scipy} (NumPy ${scipy.numpy}), same arrays, same run | ${timing(scipy)} | \`ks_2samp(method='asymp')\`, \`wasserstein_distance\`, \`np.quantile\` bins, \`jensenshannon\`, \`chisquare\`; results agree to ${largestDifference(result.parallel.results, scipy.results).toExponential(0)} relative |`,
  );
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await driftAtScale({ log: (line) => console.error(line) });
  console.log(driftRows(result));
}
