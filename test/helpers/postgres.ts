import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll } from 'vitest';

/** The server PostgreSQL tests use: $ARBITER_TEST_PG, else the local one (trust auth, as CI sets it up). */
export const postgresBaseUrl = process.env.ARBITER_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** True when a PostgreSQL server answers; PostgreSQL tests are skipped (loudly) otherwise. */
export async function postgresAvailable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: postgresBaseUrl, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch (error) {
    if (process.env.ARBITER_TEST_PG)
      throw new Error(
        `ARBITER_TEST_PG is set but ${postgresBaseUrl} does not answer: ${(error as Error).message}`,
      );
    console.warn(`PostgreSQL tests skipped: no server at ${postgresBaseUrl} (${(error as Error).message})`);
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** A fresh database for one test (or file), dropped after the file. */
export async function createTestDatabase(): Promise<string> {
  const name = `arbiter_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: postgresBaseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  afterAll(async () => {
    const dropper = new pg.Client({ connectionString: postgresBaseUrl });
    await dropper.connect();
    await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await dropper.end();
  });
  return withDatabase(postgresBaseUrl, name);
}
