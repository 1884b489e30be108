// bench/policy/tail.js: where the 200-rule verdict's p99 comes from (issue 22). Times 100,000 verdicts of
// the generated "all" bundle one by one, then two baselines timed the same way in the same process:
// pure CPU work calibrated to the verdict's median (no allocation: the machine's own tail) and
// allocation-only work (small objects: the allocator's and scavenger's tail). Also prints each
// request's p99 and how the slow samples cluster (the gaps, in verdicts, between samples at or above p99).
//
// `node bench/policy/tail.js` (after `npm run build`) runs all of it twice, each time in a child node:
// with the young generation `arbiter serve` runs with (its semi-space flag) and with V8's default.
// `node [FLAGS] bench/policy/tail.js --here` runs it once in this process, with this node's flags.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { compileBundle, evaluateAction } from '../../dist/policy/index.js';
import { generatedBundleFiles, generatedRequests } from './generated.js';
import { serverFlags } from './latency.js';

const self = fileURLToPath(import.meta.url);
if (!process.argv.includes('--here')) {
  const heaps = [
    [`heap as \`arbiter serve\` runs (\`${serverFlags.join(' ') || 'V8 default'}\`)`, serverFlags],
    ["V8's default heap", []],
  ];
  for (const [name, flags] of heaps) {
    console.log(`\n#### ${name}\n`);
    process.stdout.write(execFileSync(process.execPath, [...flags, self, '--here'], { encoding: 'utf8' }));
  }
  process.exit(0);
}

const samples = 100_000;
const sorted = (values) => Float64Array.from(values).sort();
const at = (values, q) => values[Math.min(values.length - 1, Math.floor(q * values.length))];
const quantiles = [0.5, 0.9, 0.98, 0.99, 0.995];

/** Latencies (µs) of `samples` calls of fn(i) after 20,000 warm-up calls. */
function time(fn) {
  for (let i = 0; i < 20_000; i++) fn(i);
  const latencies = new Float64Array(samples);
  for (let i = 0; i < samples; i++) {
    const start = process.hrtime.bigint();
    fn(i);
    latencies[i] = Number(process.hrtime.bigint() - start) / 1000;
  }
  return latencies;
}

function row(label, latencies) {
  const s = sorted(latencies);
  return `| ${label} | ${quantiles.map((q) => at(s, q).toFixed(1)).join(' | ')} |`;
}

const actor = { id: 'bench-bot', kind: 'agent', autonomy: 2 };
const now = new Date('2026-03-03T10:00:00Z');
const bundle = compileBundle(generatedBundleFiles('all'));
const requests = generatedRequests('all').map((request) => ({ request, actor, now }));
const verdicts = time((i) => evaluateAction(bundle, requests[i % requests.length]));
const median = at(sorted(verdicts), 0.5);

let sink = 0;
const spin = (n) => {
  let x = 0;
  for (let i = 0; i < n; i++) x = (x * 31 + i) | 0;
  return x;
};
// Calibrate the spin to the verdict's median.
let n = 1000;
for (let round = 0; round < 5; round++) {
  const s = sorted(time(() => (sink ^= spin(n))).subarray(0, 20_000));
  n = Math.max(1, Math.round((n * median) / at(s, 0.5)));
}
const cpuOnly = time(() => (sink ^= spin(n)));
const allocOnly = time(() => {
  const out = [];
  for (let i = 0; i < 300; i++) out.push({ a: i, b: 'x', c: [i] });
  sink ^= out.length;
});

console.log(
  `| work, ${samples.toLocaleString('en-US')} calls | ${quantiles.map((q) => `p${q * 100}`).join(' | ')} |`,
);
console.log(`| --- | ${quantiles.map(() => '---:').join(' | ')} |`);
console.log(row('200-rule verdict ("all")', verdicts));
console.log(row('pure CPU work, same median, no allocation', cpuOnly));
console.log(row('allocation only (300 small objects and arrays)', allocOnly));
const threshold = at(sorted(verdicts), 0.99);
const slow = [];
for (let i = 0; i < verdicts.length; i++) if (verdicts[i] >= threshold) slow.push(i);
const gaps = sorted(slow.slice(1).map((v, i) => v - slow[i]));
console.log(
  `\nslow verdicts (≥ p99): ${slow.length}; gaps between them, in verdicts: p10 ${at(gaps, 0.1)}, p50 ${at(gaps, 0.5)}, p90 ${at(gaps, 0.9)}`,
);
for (let r = 0; r < requests.length; r++) {
  const mine = sorted(verdicts.filter((_, i) => i % requests.length === r));
  console.log(`request ${r}: p50 ${at(mine, 0.5).toFixed(1)}, p99 ${at(mine, 0.99).toFixed(1)} µs`);
}
if (sink === 0.5) console.log(sink);
