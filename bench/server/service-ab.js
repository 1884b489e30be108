// bench/server/service-ab.js: interleaved A/B of the decision service itself, in this process —
// `decisions.request` of each build's real Arbiter (SQLite durable, example bundle, fresh database),
// 64 in flight, no HTTP and no load generator — for changes on the write path (the store's query
// plumbing, the records) that decision-records.js does not reach, with less noise than ab.js: no
// sockets, and the group commit's batches stay near 64 whatever the machine's load. Reports CPU µs
// per decision (this process, all threads) as the median of the rounds.
//
// `node bench/server/service-ab.js ROUNDS LABEL=DIST ...`, e.g.
// `node bench/server/service-ab.js 7 main=/work/wt/base-main/dist branch=dist`.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decisionBody } from './decisions.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const perRound = 8_000;
const inFlight = 64;

const cpuUs = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function start(label, dist) {
  const dir = mkdtempSync(join(tmpdir(), 'arbiter-bench-service-'));
  cpSync(join(root, 'examples', 'policies'), join(dir, 'policies'), { recursive: true });
  const { startArbiter } = await import(`${resolve(dist)}/app/arbiter.js`);
  const arbiter = await startArbiter({
    databaseUrl: `sqlite:${join(dir, 'arbiter.db')}`,
    policyDir: join(dir, 'policies'),
    ledgerKeyPath: join(dir, 'ledger.key'),
    adminTokenPath: join(dir, 'admin.token'),
  });
  const { token } = await arbiter.tokens.create({ role: 'agent', systemId: 'deploy-bot' }, 'bench');
  const principal = await arbiter.tokens.authenticate(token);
  /** `amount` decisions, `inFlight` at a time: CPU µs per decision. */
  const run = async (amount) => {
    const before = cpuUs();
    let next = 0;
    const worker = async () => {
      while (next++ < amount) await arbiter.decisions.request(principal, decisionBody);
    };
    await Promise.all(Array.from({ length: inFlight }, worker));
    return (cpuUs() - before) / amount;
  };
  const close = async () => {
    await arbiter.close();
    rmSync(dir, { recursive: true, force: true });
  };
  return { label, run, close };
}

const rounds = Number(process.argv[2]);
const variants = [];
for (const argument of process.argv.slice(3))
  variants.push(await start(...argument.split(/=(.*)/s).slice(0, 2)));
if (!(rounds > 0) || variants.length === 0) {
  console.error('usage: node bench/server/service-ab.js ROUNDS LABEL=DIST ...');
  process.exit(2);
}
try {
  for (const v of variants) await v.run(perRound); // warm-up
  const samples = new Map(variants.map((v) => [v, []]));
  for (let round = 0; round < rounds; round++)
    for (const v of variants) samples.get(v).push(await v.run(perRound));
  console.log(
    `| variant | CPU µs per decision, service in process (median of ${rounds} rounds × ${perRound}) | rounds |`,
  );
  console.log('|---|---|---|');
  for (const [v, values] of samples)
    console.log(
      `| ${v.label} | ${median(values).toFixed(1)} | ${values.map((us) => us.toFixed(0)).join(' ')} |`,
    );
} finally {
  for (const v of variants) await v.close();
}
