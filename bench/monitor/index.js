// bench/monitor: ingestion rate over HTTP (events with 20 features, NDJSON batches of 1,000, SQLite
// durable), the time to compute every drift metric for 1,000,000 reference and 1,000,000 current rows
// × 20 features beside SciPy on the same arrays (bench/monitor/drift.js), and the memory a window takes.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildProfile, emptyWindow } from '../../dist/monitor/index.js';
import { fmt, random } from '../measure.js';
import { startArbiter, stopProcess } from '../processes.js';
import { driftAtScale, driftRows } from './drift.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const ingestEvents = Number(process.env.BENCH_MONITOR_EVENTS ?? 200_000);

const normal = (next) => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());

const numericFeatures = Array.from({ length: 14 }, (_, i) => `x${i}`);
const categoricalFeatures = Array.from({ length: 6 }, (_, i) => `c${i}`);
const categories = ['a', 'b', 'c', 'd', 'e'];

function eventRow(next, shift = 0) {
  const row = {};
  for (const name of numericFeatures) row[name] = Math.round((normal(next) + shift) * 1000) / 1000;
  for (const name of categoricalFeatures) row[name] = categories[Math.floor(next() * categories.length)];
  row.age = 18 + Math.floor(next() * 60);
  row.score = Math.round(next() * 1000) / 1000;
  row.prediction = row.score >= 0.5 ? 1 : 0;
  row.label = next() < 0.5 ? 1 : 0;
  return row;
}

const schema = {
  system: 'bench-model',
  task: 'classification',
  id: 'id',
  prediction: 'prediction',
  score: 'score',
  label: 'label',
  window: '1h',
  features: Object.fromEntries([
    ...numericFeatures.map((name) => [name, 'numeric']),
    ...categoricalFeatures.map((name) => [name, 'categorical']),
  ]),
  sensitive: { age: { bins: [25, 60] } },
};

async function ingestion(log) {
  const dir = mkdtempSync(join(tmpdir(), 'arbiter-bench-monitor-'));
  try {
    const policies = join(dir, 'policies');
    cpSync(join(root, 'examples', 'policies'), policies, { recursive: true });
    const next = random(7);
    const reference = Array.from({ length: 5000 }, () => eventRow(next));
    writeFileSync(
      join(policies, 'profiles', 'bench-model.json'),
      JSON.stringify(
        buildProfile(schema, { name: 'bench', sha256: '-', rows: reference, rejected: 0 }, new Date()),
      ),
    );
    writeFileSync(
      join(policies, 'bench-model.yaml'),
      `apiVersion: arbiter/v1
kind: System
metadata: { name: bench-model }
spec: { kind: model, owner: { team: ml, person: bench@example.com }, onCall: { team: ml }, autonomy: 1, riskTier: limited }
---
apiVersion: arbiter/v1
kind: MonitorPolicy
metadata: { name: bench-model-monitoring }
spec:
  match: { systems: [bench-model] }
  profile: profiles/bench-model.json
  alerts:
    - { name: drift, when: "metrics.datasetDrift.share > 0.5", severity: warning }
`,
    );
    // startArbiter keeps the policies written above (it copies the examples only into an empty dir).
    const server = await startArbiter(dir, { system: 'bench-model' });
    const { token } = server;
    const start = Date.now() - 3_600_000 * 6;
    const batches = [];
    for (let b = 0; b < ingestEvents / 1000; b++) {
      const lines = [];
      for (let i = 0; i < 1000; i++) {
        const row = eventRow(next);
        const n = b * 1000 + i;
        lines.push(
          JSON.stringify({
            id: `e${n}`,
            time: new Date(start + Math.floor((n / ingestEvents) * 6 * 3_600_000)).toISOString(),
            features: Object.fromEntries(Object.keys(schema.features).map((name) => [name, row[name]])),
            prediction: row.prediction,
            score: row.score,
            sensitive: { age: row.age },
          }),
        );
      }
      batches.push(lines.join('\n'));
    }
    const send = (body) =>
      fetch(`${server.url}/v1/monitor/bench-model/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${token}` },
        body,
      }).then(async (response) => {
        if (!response.ok) throw new Error(`${response.status} ${await response.text()}`);
        return response.json();
      });
    await send(batches[0]); // warm-up, not counted
    const began = process.hrtime.bigint();
    let accepted = 0;
    const concurrency = 4;
    let cursor = 1;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (cursor < batches.length) {
          const body = batches[cursor++];
          const result = await send(body);
          accepted += result.accepted;
          if (result.rejected > 0)
            log(`rejected ${result.rejected}: ${JSON.stringify(result.problems?.slice(0, 2))}`);
        }
      }),
    );
    const seconds = Number(process.hrtime.bigint() - began) / 1e9;
    log(`ingested ${accepted} events in ${seconds.toFixed(1)} s`);
    await stopProcess(server);
    return { rate: accepted / seconds, accepted, seconds };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function windowMemory() {
  const next = random(3);
  const profile = buildProfile(
    { ...schema, intersections: undefined },
    { name: 'm', sha256: '-', rows: Array.from({ length: 5000 }, () => eventRow(next)), rejected: 0 },
    new Date(),
  );
  const window = emptyWindow(profile, 0, 3_600_000);
  window.groups = {
    age: Object.fromEntries(
      ['<25', '25-60', '>=60'].map((g) => [g, { rows: 1, selected: 1, tp: 0, fp: 0, tn: 0, fn: 0 }]),
    ),
  };
  return Buffer.byteLength(JSON.stringify(window));
}

export async function run({ log }) {
  const ingest = await ingestion(log);
  const drift = await driftAtScale({ log });
  const windowBytes = windowMemory();
  return `
## Monitoring (\`bench/monitor\`)

| what | result | notes |
| --- | ---: | --- |
| ingestion over HTTP, 20 features per event | ${fmt.rate(ingest.rate)} events/s | ${fmt.rate(ingest.accepted)} events in NDJSON batches of 1,000, 4 concurrent senders, \`arbiter serve\` on SQLite durable; each batch is one transaction (windows updated, ids kept for label joins) |
${driftRows(drift)}
| one window's state (20 features, 3 groups) | ${(windowBytes / 1024).toFixed(1)} KiB | JSON as stored; counts over the profile's bins, so it does not grow with the number of events |

Windows never hold events: the server computes drift from bin counts, which takes microseconds per
window. The raw-array rows above are what the library costs when used directly (\`arbiter/monitor\`,
\`arbiter/monitor/parallel\`); \`node bench/monitor/drift.js\` runs them alone. SciPy's time is measured
inside its python3 process (reading the arrays excluded), on the same machine in the same run.
`;
}
