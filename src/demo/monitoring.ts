import { readFileSync } from 'node:fs';
import type { Arbiter } from '../app/arbiter.js';
import type { Principal } from '../identity/principal.js';
import { parseNdjson } from '../monitor/data.js';
import { rowToEvent } from '../monitor/profile.js';

const demoSystem = 'credit-scoring';
const productionFile = new URL('../../examples/monitoring/production.ndjson', import.meta.url);
const dayMs = 86_400_000;

/** What the demo's monitoring did, for the start-up banner. */
export interface MonitoringDemo {
  system: string;
  ingested: number;
  windows: number;
  firing: { alert: string; severity: string; message: string }[];
}

/**
 * Streams the example production day of the credit-scoring model into the demo server, dated
 * yesterday (UTC) so every window is closed and evaluated at once, and reports the alerts that
 * fired. Runs only on a fresh demo database: on later starts the day is already there.
 */
export async function seedMonitoringDemo(arbiter: Arbiter, now: Date): Promise<MonitoringDemo | undefined> {
  const profile = arbiter.policies.monitorProfiles.systems.get(demoSystem)?.profile;
  if (!profile) return undefined;
  const admin: Principal = { tokenId: 'demo', role: 'admin', user: 'demo', groups: [] };
  let ingested = 0;
  const existing = await arbiter.monitoring.windows(admin, demoSystem, {
    from: new Date(now.getTime() - 7 * dayMs).toISOString(),
    to: now.toISOString(),
  });
  if (existing.length === 0) {
    const rows = parseNdjson(readFileSync(productionFile, 'utf8')).rows;
    const first = Date.parse(String(rows[0]?.time));
    const yesterday = Math.floor(now.getTime() / dayMs) * dayMs - dayMs;
    const events = rows.map((row) => {
      const event = rowToEvent(profile.schema, row);
      return { ...event, time: new Date(Date.parse(String(row.time)) - first + yesterday).toISOString() };
    });
    const result = await arbiter.monitoring.ingest(
      admin,
      demoSystem,
      events.map((value) => ({ value })),
    );
    ingested = result.accepted;
    await arbiter.monitoring.tick();
  }
  const windows = await arbiter.monitoring.windows(admin, demoSystem, {
    from: new Date(now.getTime() - 7 * dayMs).toISOString(),
    to: now.toISOString(),
  });
  const alerts = await arbiter.monitoring.alerts(admin, demoSystem);
  return {
    system: demoSystem,
    ingested,
    windows: windows.length,
    firing: alerts
      .filter((alert) => alert.status === 'firing')
      .map((alert) => ({
        alert: `${alert.policy}/${alert.alert}`,
        severity: alert.severity,
        message: alert.message,
      })),
  };
}
