import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { createTestDatabase, postgresAvailable, postgresBaseUrl } from '../helpers/postgres.js';
import { eventually } from '../helpers/raw-http.js';

/**
 * The PostgreSQL store's LISTEN connection is what wakes this replica's long polls when another
 * replica changes a decision. It must come back after it is lost, however long the database
 * refuses new connections.
 */
const hasPostgres = await postgresAvailable();

async function query(url: string, sql: string, params: unknown[] = []) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows;
  } finally {
    await client.end();
  }
}

describe.skipIf(!hasPostgres)('PostgreSQL store: LISTEN connection', () => {
  let allowConnections: (() => Promise<unknown>) | undefined;
  afterAll(async () => {
    await allowConnections?.();
  });

  it('keeps retrying while reconnects fail, then listens again and wakes waiters', async () => {
    const url = await createTestDatabase();
    const database = new URL(url).pathname.slice(1);
    const listeners = async () =>
      (
        await query(
          postgresBaseUrl,
          'SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = $2',
          [database, 'listen-test/listen'],
        )
      ).map((row) => row.pid as number);
    const store = await PostgresStore.open({ url, applicationName: 'listen-test' });
    try {
      const changed: string[] = [];
      store.onDecisionChanged((id) => changed.push(id));
      const announce = (id: string) => query(url, "SELECT pg_notify('arbiter_events', $1)", [id]);

      await announce('dec_before');
      await eventually(async () => changed.includes('dec_before'), 'the first wake-up', 5_000);
      expect(await listeners()).toHaveLength(1);

      // The database refuses every new connection (superusers too), then the listener is cut off:
      // the reconnect 1 s later fails, and so does the next one, 2 s after that.
      allowConnections = () =>
        query(postgresBaseUrl, `ALTER DATABASE ${database} ALLOW_CONNECTIONS true`).catch(() => {});
      await query(postgresBaseUrl, `ALTER DATABASE ${database} ALLOW_CONNECTIONS false`);
      const [terminated] = await query(postgresBaseUrl, 'SELECT pg_terminate_backend($1) AS ok', [
        (await listeners())[0],
      ]);
      expect(terminated?.ok).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 3_500));
      expect(await listeners()).toEqual([]);

      await allowConnections();
      // The third attempt (4 s after the second) connects and LISTENs again.
      await eventually(async () => (await listeners()).length === 1, 'the listener to reconnect');
      await eventually(
        async () => {
          await announce('dec_after');
          return changed.includes('dec_after');
        },
        'a wake-up after the reconnect',
        5_000,
      );
    } finally {
      await store.close();
    }
    await eventually(
      async () => (await listeners()).length === 0,
      'the listener to end with the store',
      5_000,
    );
  }, 40_000);
});
