// bench/ledger/verify-modes.js: full verification of a 1,000,000-entry SQLite ledger two ways,
// by CPU seconds (all threads, getrusage) and wall seconds, with the load average: on the main
// thread alone, and on worker threads hashing while the main thread reads (the default). CPU time
// is the comparison on a loaded machine; wall time the result on a quiet one.
//   npm run build && node bench/ledger/verify-modes.js [DB]   (DB is built once and then reused)

import { existsSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { storeAuditSource } from '../../dist/app/ledger/export.js';
import { openLedger } from '../../dist/app/ledger/ledger.js';
import { chunkVerifier, defaultVerifyWorkers } from '../../dist/app/ledger/verify-pool.js';
import { auditLedger, parseVerifierKey } from '../../dist/ledger/index.js';
import { openSqliteStore } from '../../dist/store/sqlite/sqlite-store.js';

const total = Number(process.env.BENCH_LEDGER_ENTRIES ?? 1_000_000);
const path = process.argv[2] ?? join(tmpdir(), `arbiter-verify-modes-${total}.db`);
const runs = Number(process.env.BENCH_RUNS ?? 3);

const fresh = !existsSync(path);
const store = openSqliteStore({ path, durable: false });
const ledger = await openLedger(store, { keyPath: `${path}.key` });
if (fresh) {
  for (let start = 0; start < total; start += 1_000) {
    const items = Array.from({ length: Math.min(1_000, total - start) }, (_, j) => ({
      type: 'decision.created',
      actor: `agent-${(start + j) % 17}`,
      subject: `dec_${(start + j).toString(36).padStart(10, '0')}`,
      data: { action: 'deploy', resource: { type: 'service', id: `svc-${(start + j) % 97}` }, n: start + j },
    }));
    await store.write((tx) => ledger.log.append(tx.ledger, items));
  }
  await store.write((tx) => ledger.log.checkpoint(tx.ledger));
}
const verifiers = [parseVerifierKey(ledger.verifierKey)];
const workers = defaultVerifyWorkers();

const modes = {
  'main thread only (--workers 0)': () => storeAuditSource(ledger),
  [`${workers} workers hash, main thread reads`]: () => storeAuditSource(ledger),
};

console.log(
  `${total.toLocaleString('en-US')} entries, ${runs} runs per mode; load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
console.log('| mode | CPU s (all threads) | wall s | entries/s (wall) | entries/CPU s | load (1 min) |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
for (let run = 0; run < runs; run++)
  for (const [name, source] of Object.entries(modes)) {
    const cpu = process.cpuUsage();
    const start = process.hrtime.bigint();
    const report = await auditLedger(source(), {
      verifiers,
      origin: ledger.origin,
      verifyChunks: chunkVerifier(name.startsWith('main') ? 0 : workers),
    });
    const wall = Number(process.hrtime.bigint() - start) / 1e9;
    const used = process.cpuUsage(cpu);
    const cpuSeconds = (used.user + used.system) / 1e6;
    if (!report.ok || report.entries !== total)
      throw new Error(`verification failed: ${report.problem?.message}`);
    console.log(
      `| ${name} | ${cpuSeconds.toFixed(2)} | ${wall.toFixed(2)} | ${Math.round(total / wall).toLocaleString('en-US')} | ${Math.round(total / cpuSeconds).toLocaleString('en-US')} | ${loadavg()[0].toFixed(2)} |`,
    );
  }
await store.close();
