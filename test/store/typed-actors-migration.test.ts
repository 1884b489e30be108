import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open.js';
import { postgresMigrations } from '../../src/store/postgres/migrations.js';
import { sqliteMigrations } from '../../src/store/sqlite/migrations.js';
import type { Store } from '../../src/store/store.js';
import { createTestDatabase, postgresAvailable } from '../helpers/postgres.js';
import { tempDir } from '../helpers/temp.js';

const hasPostgres = await postgresAvailable();

/**
 * A database from before typed identities is upgraded in place: every decision, vote, activity
 * bucket and failure names `system:ID` or `user:NAME`. A person who shared a System's bare name
 * keeps their own rows: the System's rows are told apart by its decisions.
 */
const legacyRows = [
  `INSERT INTO systems (id, kind, spec, source, status, created_at, updated_at)
     VALUES ('deploy-bot', 'agent', '{}', 'bundle', 'active', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')`,
  ...[
    ['dec_bot', 'deploy-bot', 'agent', "'deploy-bot'", 'bot-key'],
    ['dec_alice', 'alice', 'human', 'NULL', 'bot-key'],
  ].map(
    ([id, actor, kind, system, key]) =>
      `INSERT INTO decisions (id, actor_id, actor_kind, system_id, action, resource_type, resource_id, request,
         request_hash, idempotency_key, status, effect, verdict, requirements, bundle, created_at, updated_at, ledger_index)
       VALUES ('${id}', '${actor}', '${kind}', ${system}, 'deploy', 'service', 'payments', '{"action":"deploy"}',
         'sha256:0', '${key}', 'allowed', 'allow', '{}', '[]', 'sha256:b', '2026-01-01T00:00:00.000Z',
         '2026-01-01T00:00:00.000Z', 0)`,
  ),
  `INSERT INTO approvals (decision_id, approver, groups, verdict, request_hash, created_at, ledger_index)
     VALUES ('dec_bot', 'alice', '[]', 'approve', 'sha256:0', '2026-01-01T00:00:00.000Z', 1)`,
  `INSERT INTO activity (actor_id, granularity, bucket, action, environment, decisions, failed)
     VALUES ('deploy-bot', 'h', 1, 'deploy', 'prod', 3, 1), ('alice', 'h', 1, 'deploy', 'prod', 1, 0)`,
  `INSERT INTO failures (actor_id, action, environment, last_failed_at)
     VALUES ('deploy-bot', 'deploy', 'prod', '2026-01-01T00:00:00.000Z'), ('carol', 'deploy', 'prod', '2026-01-01T00:00:00.000Z')`,
];

/** The position of the typed-identities migration (later migrations follow it). */
function typedActorsIndex(migrations: readonly string[]): number {
  const index = migrations.findIndex((migration) => migration.includes('One identity namespace'));
  if (index < 0) throw new Error('the typed-identities migration is missing');
  return index;
}

/** Creates a database at the schema version before typed identities, holding `legacyRows`. */
async function legacyDatabase(dialect: 'sqlite' | 'postgres'): Promise<string> {
  if (dialect === 'sqlite') {
    const path = join(tempDir('arbiter-typed-'), 'old.db');
    const db = new Database(path);
    const before = typedActorsIndex(sqliteMigrations);
    for (const migration of sqliteMigrations.slice(0, before)) db.exec(migration);
    db.pragma(`user_version = ${before}`);
    for (const row of legacyRows) db.exec(row);
    db.close();
    return `sqlite:${path}`;
  }
  const url = await createTestDatabase();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(
    'CREATE TABLE arbiter_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())',
  );
  const before = typedActorsIndex(postgresMigrations);
  for (const [index, migration] of postgresMigrations.slice(0, before).entries()) {
    await client.query(migration);
    await client.query('INSERT INTO arbiter_migrations (version) VALUES ($1)', [index + 1]);
  }
  for (const row of legacyRows) await client.query(row);
  await client.end();
  return url;
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe.skipIf(dialect === 'postgres' && !hasPostgres)(`typed identities migration on ${dialect}`, () => {
    let store: Store | undefined;
    afterEach(async () => {
      await store?.close();
      store = undefined;
    });

    it('types every actor of an existing database, keeping a person and a System apart', async () => {
      store = await openStore(await legacyDatabase(dialect));
      expect((await store.getDecision('dec_bot'))?.actorId).toBe('system:deploy-bot');
      expect((await store.getDecision('dec_alice'))?.actorId).toBe('user:alice');
      // The idempotency key is per typed actor: the System's and the person's stay apart.
      expect((await store.decisionByIdempotencyKey('system:deploy-bot', 'bot-key'))?.id).toBe('dec_bot');
      expect((await store.decisionByIdempotencyKey('user:alice', 'bot-key'))?.id).toBe('dec_alice');
      expect(await store.decisionByIdempotencyKey('deploy-bot', 'bot-key')).toBeUndefined();
      expect((await store.approvalsOf('dec_bot')).map((vote) => vote.approver)).toEqual(['user:alice']);
      const bot = await store.activity('system:deploy-bot', 0, 0);
      expect(bot.lastDay.map((row) => [row.decisions, row.failed])).toEqual([[3, 1]]);
      expect((await store.activity('user:alice', 0, 0)).lastDay.map((row) => row.decisions)).toEqual([1]);
      expect((await store.activity('deploy-bot', 0, 0)).lastDay).toEqual([]);
      expect(await store.failures('system:deploy-bot')).toHaveLength(1);
      // A failure of someone with no System and no decisions is a person's.
      expect(await store.failures('user:carol')).toHaveLength(1);
    });
  });
}
