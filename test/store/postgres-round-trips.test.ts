import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoreTransaction, WriteReads } from '../../src/store/store.js';
import { postgresAvailable } from '../helpers/postgres.js';
import { deploy, startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Round trips of a PostgreSQL write batch: an operation count, not a timing. N decisions are held
 * back behind one write until all N wait in the queue, so they go into one batch together; every
 * statement any pg client sends is recorded, and the batch's statements are those its connection
 * sent from BEGIN to COMMIT.
 */
const hasPostgres = await postgresAvailable();

interface Sent {
  client: pg.Client;
  text: string;
}

describe.skipIf(!hasPostgres)('PostgreSQL write batch round trips', () => {
  let server: TestServer;
  const sent: Sent[] = [];
  const originalQuery = pg.Client.prototype.query;

  beforeAll(async () => {
    server = await startTestServer({ backend: 'postgres' });
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      const config = args[0] as string | { text: string };
      sent.push({ client: this, text: typeof config === 'string' ? config : config.text });
      return (originalQuery as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof pg.Client.prototype.query;
  });
  afterAll(async () => {
    pg.Client.prototype.query = originalQuery;
    await server?.close();
  });

  /** The statements of the batch holding `decisions` new decisions (half with idempotency keys). */
  async function batchOf(decisions: number, round: number): Promise<string[]> {
    const { store } = server.arbiter;
    const write = store.write.bind(store);
    let queued = 0;
    let allQueued: () => void = () => {};
    const everyoneQueued = new Promise<void>((resolve) => {
      allQueued = resolve;
    });
    store.write = <T>(work: (tx: StoreTransaction) => Promise<T>, reads?: WriteReads) => {
      if (++queued === decisions) allQueued();
      return write(work, reads);
    };
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const blocker = write(() => held);
    try {
      const answers = Array.from({ length: decisions }, (_, i) =>
        server.call(
          server.tokens.deployBot!,
          'POST',
          '/v1/decisions',
          deploy(i % 2 === 0 ? { idempotencyKey: `round-${round}-${i}` } : {}),
        ),
      );
      await everyoneQueued;
      const start = sent.length;
      release();
      await blocker;
      for (const answer of await Promise.all(answers)) expect(answer.status).toBe(201);
      const after = sent.slice(start);
      // The batch after the blocker's: its connection's statements from BEGIN to COMMIT.
      const begin = after.findIndex((s) => s.text.startsWith('BEGIN') && after.some((t) => t.client === s.client));
      const client = after[begin]!.client;
      const ofClient = after.slice(begin).filter((s) => s.client === client);
      const end = ofClient.findIndex((s) => s.text === 'COMMIT');
      return ofClient.slice(0, end + 1).map((s) => s.text);
    } finally {
      store.write = write;
    }
  }

  it('counts the statements of batches of 1, 8 and 32 decisions', async () => {
    const counts: Record<number, number> = {};
    let round = 0;
    for (const n of [1, 8, 32]) {
      const statements = await batchOf(n, round++);
      counts[n] = statements.length;
      console.log(`batch of ${n}: ${statements.length} statements`);
      if (n === 8) console.log(statements.map((s) => s.slice(0, 100)).join('\n'));
    }
    expect(counts[1]).toBeGreaterThan(0);
  });
});
