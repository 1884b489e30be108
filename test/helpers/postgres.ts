import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import type { LedgerAppend, MerkleLog } from '../../src/ledger/index.js';
import { PostgresStore, type PostgresStoreOptions } from '../../src/store/postgres/postgres-store.js';

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

/**
 * Databases this test file created. Dropped by a hook registered when the file imports this module: an
 * afterAll registered while a hook or test runs (where createTestDatabase is called) is never run, and
 * left every test database behind.
 */
const created: string[] = [];
afterAll(async () => {
  if (created.length === 0) return;
  const dropper = new pg.Client({ connectionString: postgresBaseUrl });
  await dropper.connect();
  try {
    for (const name of created.splice(0)) await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await dropper.end();
  }
});

/** A fresh database for one test (or file), dropped after the file. */
export async function createTestDatabase(): Promise<string> {
  const name = `arbiter_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: postgresBaseUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  created.push(name);
  return withDatabase(postgresBaseUrl, name);
}

/** A test file's database: its URL, an admin client on it, and stores opened on it (closed after the file). */
export interface PostgresTestDatabase {
  readonly url: string;
  /** Connected for the file's tests, to look at or change the database behind the stores' backs. */
  readonly client: pg.Client;
  /** A store on the database (warnings at open dropped unless `options.logger` is given). */
  open(options?: Partial<PostgresStoreOptions>): Promise<PostgresStore>;
}

const quiet = { warn() {}, error() {} };

/**
 * Registers, in the describe block it is called in, a fresh database created before its tests, with an
 * admin client on it; the stores `open` gives and the client are closed after them (the database is
 * dropped by createTestDatabase). Read `url` and `client` in tests and hooks, not while collecting.
 */
export function postgresTestDatabase(): PostgresTestDatabase {
  let url: string | undefined;
  let client: pg.Client | undefined;
  const stores: PostgresStore[] = [];
  beforeAll(async () => {
    url = await createTestDatabase();
    client = new pg.Client({ connectionString: url });
    await client.connect();
  });
  afterAll(async () => {
    for (const store of stores) await store.close();
    await client?.end();
  });
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined)
      throw new Error('the test database is created in beforeAll: read it in a test or hook');
    return value;
  };
  return {
    get url() {
      return ready(url);
    },
    get client() {
      return ready(client);
    },
    async open(options = {}) {
      const store = await PostgresStore.open({ url: ready(url), logger: quiet, ...options });
      stores.push(store);
      return store;
    },
  };
}

/** Resolves once a connection waits for an advisory lock (the ledger lock) that another holds. */
export async function untilLockAwaited(client: pg.Client): Promise<void> {
  for (;;) {
    const { rows } = await client.query(
      "SELECT count(*)::int AS waiting FROM pg_locks WHERE locktype = 'advisory' AND NOT granted",
    );
    if (rows[0].waiting > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * `replica` appends `items` in a batch it keeps open, so holding the ledger lock, until `release` is
 * called; resolves once the items are appended. `release` resolves when that batch has committed.
 */
export async function holdLockWhileAppending(
  { store, log }: { store: PostgresStore; log: MerkleLog },
  items: LedgerAppend[],
): Promise<{ release: () => Promise<void> }> {
  let letGo: () => void = () => {};
  const held = new Promise<void>((resolve) => (letGo = resolve));
  let appended: () => void = () => {};
  const hasAppended = new Promise<void>((resolve) => (appended = resolve));
  const write = store.write(
    async (tx) => {
      await log.append(tx.ledger, items);
      appended();
      await held;
    },
    { systems: ['deploy-bot'] },
  );
  // A write that fails before appending must not leave the caller waiting.
  await Promise.race([hasAppended, write]);
  return {
    release: async () => {
      letGo();
      await write;
    },
  };
}
