// bench/integrations: provider-delivery pruning on the embedded SQLite store. Seeds
// BENCH_DELIVERIES deliveries (default 100,000) received evenly over 100 days, then measures the
// replay check (deliveryMatching, what every webhook pays) before and after the first pruning
// pass at the default 40-day retention, the first pass itself, and a steady-state hourly pass.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pruneDeliveries } from '../../dist/app/integrations/deliveries.js';
import { openSqliteStore } from '../../dist/store/sqlite/sqlite-store.js';
import { fmt, percentile } from '../measure.js';

const total = Number(process.env.BENCH_DELIVERIES ?? 100_000);
const day = 24 * 60 * 60 * 1000;
const end = Date.parse('2026-11-17T10:00:00Z');
const start = end - 100 * day;

async function replayCheckMicros(store, count) {
  const samples = [];
  for (let i = 0; i < 2_000; i++) {
    const n = (i * 7919) % count;
    const t = process.hrtime.bigint();
    await store.deliveryMatching('github', `d-${n}`, `sha256:${n}`);
    samples.push(Number(process.hrtime.bigint() - t) / 1000);
  }
  return percentile(
    samples.sort((a, b) => a - b),
    0.5,
  );
}

export async function run({ log }) {
  const dir = mkdtempSync(join(tmpdir(), 'arbiter-bench-deliveries-'));
  const store = openSqliteStore({ path: join(dir, 'bench.db') });
  try {
    log(`seeding ${total.toLocaleString('en-US')} deliveries over 100 days`);
    for (let i = 0; i < total; i += 1_000) {
      await store.write(async (tx) => {
        for (let j = i; j < Math.min(total, i + 1_000); j++)
          await tx.rememberDelivery({
            provider: 'github',
            deliveryId: `d-${j}`,
            bodyDigest: `sha256:${j}`,
            event: 'deployment_protection_rule',
            receivedAt: new Date(start + Math.floor((j / total) * 100 * day)).toISOString(),
            runKey: `o/r#${j}#prod`,
            replays: 0,
          });
      });
    }
    const before = await replayCheckMicros(store, total);
    let now = end;
    const clock = () => new Date(now);
    let t = process.hrtime.bigint();
    const pruned = await pruneDeliveries({ store, clock, retentionDays: 40 });
    const firstMs = Number(process.hrtime.bigint() - t) / 1e6;
    const after = await replayCheckMicros(store, total);
    now += 60 * 60 * 1000;
    t = process.hrtime.bigint();
    const hourly = await pruneDeliveries({ store, clock, retentionDays: 40 });
    const hourlyMs = Number(process.hrtime.bigint() - t) / 1e6;
    return `
| measure | value |
| --- | --- |
| deliveries seeded (100 days) | ${total.toLocaleString('en-US')} |
| replay check, median, before pruning | ${fmt.us(before)} µs |
| first pruning pass (40-day retention) | ${pruned.toLocaleString('en-US')} rows in ${firstMs.toFixed(1)} ms |
| replay check, median, after | ${fmt.us(after)} µs |
| steady-state hourly pass | ${hourly.toLocaleString('en-US')} rows in ${hourlyMs.toFixed(1)} ms (one DELETE; received_at is not indexed, so it scans the ${(total - pruned).toLocaleString('en-US')} rows kept) |
`;
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
