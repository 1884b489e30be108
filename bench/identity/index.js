// bench/identity: what purging used sign-in states adds to a sign-in's write transaction, on the
// embedded SQLite store with many other meta rows (session revocations accumulate: one per logout).
// Same-run ratio: the sign-in's write (mark the state used) with and without the purge, interleaved.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../../dist/store/sqlite/sqlite-store.js';
import { fmt, percentile } from '../measure.js';

const revocations = Number(process.env.BENCH_IDENTITY_REVOCATIONS ?? 100_000);
const signIns = Number(process.env.BENCH_IDENTITY_SIGN_INS ?? 2_000);
const prefix = 'sso.state-used:';

export async function run({ log }) {
  const dir = mkdtempSync(join(tmpdir(), 'arbiter-bench-identity-'));
  const store = openSqliteStore({ path: join(dir, 'bench.db') });
  try {
    const old = '2026-01-01T00:00:00.000Z';
    for (let start = 0; start < revocations; start += 10_000)
      await store.write(async (tx) => {
        for (let i = start; i < Math.min(revocations, start + 10_000); i++)
          await tx.setMeta(`session.revoked:${i.toString(36).padStart(8, '0')}`, old);
      });
    log(`${revocations} revocations written`);
    const samples = { with: [], without: [] };
    let time = Date.parse('2026-06-01T00:00:00.000Z');
    for (let i = 0; i < signIns; i++) {
      for (const variant of i % 2 === 0 ? ['with', 'without'] : ['without', 'with']) {
        time += 60_000;
        const now = new Date(time).toISOString();
        const key = `${prefix}${variant}-${i.toString(36).padStart(8, '0')}`;
        const begin = process.hrtime.bigint();
        await store.write(async (tx) => {
          if (variant === 'with')
            await tx.purgeMeta({ prefix, before: new Date(time - 11 * 60_000).toISOString() });
          if (await tx.getMeta(key)) return false;
          await tx.setMeta(key, now);
          return true;
        });
        samples[variant].push(Number(process.hrtime.bigint() - begin) / 1000);
      }
    }
    const median = (values) => percentile(Float64Array.from(values).sort(), 0.5);
    const withPurge = median(samples.with);
    const withoutPurge = median(samples.without);
    return `## Sign-in state purge (\`bench/identity\`)

A sign-in's write transaction (is the state used? mark it) on the embedded SQLite store with
${revocations.toLocaleString('en-US')} other meta rows (session revocations), with and without the purge of used states
older than their lifetime, interleaved (${signIns.toLocaleString('en-US')} sign-ins each, one a minute on the injected
clock, so about ten marks are alive at any time). The purge seeks the primary key from its prefix
(\`SEARCH meta USING PRIMARY KEY (key>?)\`), so the revocations before it are not read.

| what | median | notes |
| --- | ---: | --- |
| sign-in write with the purge | ${fmt.us(withPurge)} µs | one more statement in the same transaction |
| sign-in write without it | ${fmt.us(withoutPurge)} µs | |
| ratio | ${(withPurge / withoutPurge).toFixed(2)} × | same run |
`;
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
