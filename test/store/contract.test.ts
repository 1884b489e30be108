import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { storeAuditSource } from '../../src/app/ledger/export.js';
import { openLedger } from '../../src/app/ledger/ledger.js';
import { isArbiterError } from '../../src/core/errors.js';
import {
  auditLedger,
  consistencyProof,
  inclusionProof,
  parseVerifierKey,
  rootHash,
} from '../../src/ledger/index.js';
import { openStore } from '../../src/store/open.js';
import { postgresMigrations } from '../../src/store/postgres/migrations.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import type {
  DecisionRow,
  GateRunRow,
  MonitorAlertRow,
  MonitorEventRow,
  MonitorWindowRow,
  SystemRow,
} from '../../src/store/records.js';
import { sqliteMigrations } from '../../src/store/sqlite/migrations.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { createTestDatabase, postgresAvailable } from '../helpers/postgres.js';
import { eventually } from '../helpers/raw-http.js';
import { tempDir } from '../helpers/temp.js';
import { hex } from '../ledger/reference.js';

/** The Store contract: every behaviour the rest of Arbiter relies on, run against each backend. */
const hasPostgres = await postgresAvailable();
const dir = tempDir('arbiter-contract-');
let counter = 0;

const backends: { name: string; available: boolean; open: () => Promise<{ store: Store; url: string }> }[] = [
  {
    name: 'sqlite',
    available: true,
    open: async () => {
      const path = join(dir, `contract-${counter++}.db`);
      return { store: openSqliteStore({ path }), url: `sqlite:${path}` };
    },
  },
  {
    name: 'postgres',
    available: hasPostgres,
    open: async () => {
      const url = await createTestDatabase();
      return { store: await PostgresStore.open({ url }), url };
    },
  },
];

const now = '2026-11-23T12:00:00.000Z';
const system = (id: string): SystemRow => ({
  id,
  kind: 'agent',
  spec: {
    owner: { team: 'platform', person: 'dana' },
    onCall: { team: 'oncall' },
    autonomy: 2,
    riskTier: 'high',
  },
  source: 'bundle',
  status: 'active',
  createdAt: now,
  updatedAt: now,
});
const decision = (id: string, overrides: Partial<DecisionRow> = {}): DecisionRow => ({
  id,
  actorId: 'deploy-bot',
  actorKind: 'agent',
  systemId: 'deploy-bot',
  action: 'deploy',
  resourceType: 'service',
  resourceId: 'payments',
  environment: 'prod',
  request: { action: 'deploy', resource: { type: 'service', id: 'payments', environment: 'prod' } },
  requestHash: `sha256:${id.padEnd(64, '0').slice(0, 64)}`,
  status: 'pending',
  effect: 'require_approval',
  verdict: { reasons: [] },
  requirements: [{ count: 1, from: ['group:sre'], ttl: '1h' }],
  bundle: 'sha256:b',
  createdAt: now,
  updatedAt: now,
  expiresAt: '2026-11-23T13:00:00.000Z',
  ledgerIndex: 0,
  ...overrides,
});

const gateRun = (id: string, overrides: Partial<GateRunRow> = {}): GateRunRow => ({
  id,
  systemId: 'credit-scoring',
  version: '1.0.0',
  releaseName: 'credit-scoring-1.0.0',
  passed: true,
  bundle: 'sha256:b',
  startedAt: now,
  recordedAt: now,
  recordedBy: 'ci-bot',
  reportSha256: 'ab'.repeat(32),
  ledgerIndex: 3,
  report: { release: { system: 'credit-scoring' }, checks: [{ check: 'accuracy', facts: { x: 0.8 } }] },
  ...overrides,
});

for (const backend of backends) {
  describe.skipIf(!backend.available)(`Store contract: ${backend.name}`, () => {
    let store: Store;
    let url: string;
    const open = async () => {
      ({ store, url } = await backend.open());
      return store;
    };
    afterEach(async () => {
      await store?.close();
    });

    it('keeps meta values', async () => {
      await open();
      expect(await store.getMeta('x')).toBeUndefined();
      await store.write((tx) => tx.setMeta('x', '1'));
      await store.write((tx) => tx.setMeta('x', '2'));
      expect(await store.getMeta('x')).toBe('2');
    });

    it('purges meta rows of one prefix whose time is before the cutoff, and nothing else', async () => {
      await open();
      await store.write(async (tx) => {
        await tx.setMeta('used:old', '2026-11-23T11:00:00.000Z');
        await tx.setMeta('used:edge', '2026-11-23T12:00:00.000Z');
        await tx.setMeta('used:new', '2026-11-23T13:00:00.000Z');
        // Same time, other prefixes: `_` and `%` are not wildcards, and case matters.
        await tx.setMeta('usedXold', '2026-11-23T11:00:00.000Z');
        await tx.setMeta('USED:old', '2026-11-23T11:00:00.000Z');
        await tx.setMeta('use_:old', '2026-11-23T11:00:00.000Z');
      });
      const purged = await store.write((tx) => tx.purgeMeta({ prefix: 'used:', before: now }));
      expect(purged).toBe(1);
      const left = await Promise.all(
        ['used:old', 'used:edge', 'used:new', 'usedXold', 'USED:old', 'use_:old'].map((key) =>
          store.getMeta(key),
        ),
      );
      expect(left.map((value) => value !== undefined)).toEqual([false, true, true, true, true, true]);
      expect(await store.write((tx) => tx.purgeMeta({ prefix: 'use_:', before: now }))).toBe(1);
    });

    it('upserts Systems and changes their status, keeping the status on upsert', async () => {
      await open();
      await store.write((tx) => tx.upsertSystem(system('a')));
      await store.write((tx) => tx.setSystemStatus('a', 'frozen', 'incident', 'bob', now));
      await store.write((tx) =>
        tx.upsertSystem({
          ...system('a'),
          spec: { ...system('a').spec, autonomy: 1 },
          updatedAt: '2026-11-23T12:01:00.000Z',
        }),
      );
      const row = await store.getSystem('a');
      expect(row).toMatchObject({
        id: 'a',
        status: 'frozen',
        statusReason: 'incident',
        statusBy: 'bob',
        spec: { autonomy: 1 },
      });
      await store.write((tx) => tx.upsertSystem(system('b')));
      expect((await store.listSystems()).map((s) => s.id)).toEqual(['a', 'b']);
      expect(await store.getSystem('zzz')).toBeUndefined();
    });

    it('read hints change no answer: rows read in a batch reflect the writes before them in it', async () => {
      await open();
      await store.write((tx) => tx.upsertSystem(system('a')));
      const key = { actorId: 'deploy-bot', key: 'k-hinted' };
      const reads = { systems: ['a', 'none'], idempotencyKeys: [key] };
      // One batch: look a key up, insert under it, find it; read a System, freeze it, read it again.
      const seen = await Promise.all([
        store.write(async (tx) => (await tx.decisionByIdempotencyKey(key.actorId, key.key))?.id, reads),
        store.write(async (tx) => {
          await tx.insertDecision(decision('dec_hinted', { idempotencyKey: key.key }));
        }, reads),
        store.write(async (tx) => (await tx.decisionByIdempotencyKey(key.actorId, key.key))?.id, reads),
        store.write(async (tx) => [(await tx.getSystem('a'))?.status, await tx.getSystem('none')], reads),
        store.write((tx) => tx.setSystemStatus('a', 'frozen', 'incident', 'bob', now)),
        store.write(async (tx) => (await tx.getSystem('a'))?.status, reads),
      ]);
      expect(seen).toEqual([undefined, undefined, 'dec_hinted', ['active', undefined], undefined, 'frozen']);
    });

    it('stores tokens by hash and revokes them once', async () => {
      await open();
      await store.write((tx) =>
        tx.insertToken({
          id: 'tok_1',
          hash: 'h1',
          role: 'approver',
          userName: 'ann',
          groups: ['sre'],
          createdAt: now,
        }),
      );
      expect(await store.tokenByHash('h1')).toEqual({
        id: 'tok_1',
        hash: 'h1',
        role: 'approver',
        userName: 'ann',
        groups: ['sre'],
        createdAt: now,
      });
      expect(await store.write((tx) => tx.revokeToken('tok_1', now))).toBe(true);
      expect(await store.write((tx) => tx.revokeToken('tok_1', now))).toBe(false);
      expect((await store.tokenByHash('h1'))?.revokedAt).toBe(now);
      await expect(
        store.write((tx) =>
          tx.insertToken({ id: 'tok_2', hash: 'h1', role: 'admin', groups: [], createdAt: now }),
        ),
      ).rejects.toThrow();
    });

    it('stores decisions, approvals and outcomes; lists with filters and keyset paging', async () => {
      await open();
      await store.write(async (tx) => {
        await tx.upsertSystem(system('deploy-bot'));
        for (let i = 0; i < 5; i++) {
          await tx.insertDecision(
            decision(`dec_${i}`, {
              createdAt: `2026-11-23T12:00:0${i}.000Z`,
              status: i % 2 === 0 ? 'pending' : 'allowed',
              ...(i === 3 ? { idempotencyKey: 'k3', environment: 'staging' } : {}),
            }),
          );
        }
      });
      expect(await store.getDecision('dec_0')).toEqual(
        decision('dec_0', { createdAt: '2026-11-23T12:00:00.000Z' }),
      );
      expect((await store.decisionByIdempotencyKey('deploy-bot', 'k3'))?.id).toBe('dec_3');
      expect((await store.listDecisions({ limit: 10 })).map((d) => d.id)).toEqual([
        'dec_4',
        'dec_3',
        'dec_2',
        'dec_1',
        'dec_0',
      ]);
      expect((await store.listDecisions({ limit: 10, status: 'pending' })).map((d) => d.id)).toEqual([
        'dec_4',
        'dec_2',
        'dec_0',
      ]);
      expect((await store.listDecisions({ limit: 10, environment: 'staging' })).map((d) => d.id)).toEqual([
        'dec_3',
      ]);
      expect(
        (await store.listDecisions({ limit: 10, since: '2026-11-23T12:00:03.000Z' })).map((d) => d.id),
      ).toEqual(['dec_4', 'dec_3']);
      const page = await store.listDecisions({
        limit: 2,
        before: { createdAt: '2026-11-23T12:00:03.000Z', id: 'dec_3' },
      });
      expect(page.map((d) => d.id)).toEqual(['dec_2', 'dec_1']);
      expect(await store.countPending()).toBe(3);
      expect((await store.expiredPending('2026-11-23T13:00:00.000Z', 10)).map((d) => d.id).sort()).toEqual([
        'dec_0',
        'dec_2',
        'dec_4',
      ]);
      expect((await store.pendingOfSystem('deploy-bot')).map((d) => d.id)).toEqual([
        'dec_0',
        'dec_2',
        'dec_4',
      ]);

      await store.write(async (tx) => {
        await tx.insertApproval({
          decisionId: 'dec_0',
          approver: 'ann',
          groups: ['sre'],
          verdict: 'approve',
          reason: 'ok',
          requestHash: 'h',
          createdAt: now,
          ledgerIndex: 7,
        });
        await tx.updateDecisionStatus('dec_0', 'allowed', 'approved', '2026-11-23T12:05:00.000Z');
        await tx.setOutcome('dec_0', {
          status: 'failed',
          detail: 'boom',
          at: '2026-11-23T12:06:00.000Z',
          ledgerIndex: 9,
        });
      });
      expect(await store.approvalsOf('dec_0')).toEqual([
        {
          decisionId: 'dec_0',
          approver: 'ann',
          groups: ['sre'],
          verdict: 'approve',
          reason: 'ok',
          requestHash: 'h',
          createdAt: now,
          ledgerIndex: 7,
        },
      ]);
      expect(await store.getDecision('dec_0')).toMatchObject({
        status: 'allowed',
        statusReason: 'approved',
        outcome: { status: 'failed', detail: 'boom', at: '2026-11-23T12:06:00.000Z', ledgerIndex: 9 },
      });
      await expect(
        store.write((tx) => tx.insertDecision(decision('dec_9', { idempotencyKey: 'k3' }))),
      ).rejects.toThrow();
    });

    it('finds allowed decisions not started, by System and by closed execution window; a status change may move the window', async () => {
      await open();
      const allowed = (id: string, expiresAt: string, overrides: Partial<DecisionRow> = {}) =>
        decision(id, { status: 'allowed', effect: 'allow', requirements: [], expiresAt, ...overrides });
      await store.write(async (tx) => {
        await tx.upsertSystem(system('deploy-bot'));
        await tx.insertDecision(allowed('dec_a', '2026-11-23T12:15:00.000Z'));
        await tx.insertDecision(allowed('dec_b', '2026-11-23T12:10:00.000Z'));
        await tx.insertDecision(allowed('dec_started', '2026-11-23T12:05:00.000Z', { status: 'started' }));
        await tx.insertDecision(allowed('dec_ran', '2026-11-23T12:05:00.000Z'));
        await tx.setOutcome('dec_ran', { status: 'succeeded', at: now, ledgerIndex: 3 });
        await tx.insertDecision(allowed('dec_other', '2026-11-23T12:05:00.000Z', { systemId: 'other-bot' }));
        await tx.insertDecision(decision('dec_pending'));
      });
      expect((await store.unstartedOfSystem('deploy-bot')).map((d) => d.id).sort()).toEqual([
        'dec_a',
        'dec_b',
      ]);
      expect((await store.lapsedAllowed('2026-11-23T12:10:00.000Z', 10)).map((d) => d.id)).toEqual([
        'dec_other',
        'dec_b',
      ]);
      expect((await store.lapsedAllowed('2026-11-23T12:09:59.999Z', 10)).map((d) => d.id)).toEqual([
        'dec_other',
      ]);
      await store.write(async (tx) => {
        // An approval opens a new window; a claim keeps the one it had.
        await tx.updateDecisionStatus('dec_pending', 'allowed', 'approved', now, '2026-11-23T12:30:00.000Z');
        await tx.updateDecisionStatus('dec_a', 'started', 'started by deploy-bot', now);
      });
      expect(await store.getDecision('dec_pending')).toMatchObject({
        status: 'allowed',
        expiresAt: '2026-11-23T12:30:00.000Z',
      });
      expect(await store.getDecision('dec_a')).toMatchObject({
        status: 'started',
        expiresAt: '2026-11-23T12:15:00.000Z',
      });
      expect((await store.unstartedOfSystem('deploy-bot')).map((d) => d.id).sort()).toEqual([
        'dec_b',
        'dec_pending',
      ]);
    });

    it('the execution-window migration gives an allowed decision recorded before windows 15 minutes from its last change', async () => {
      await open();
      await store.write(async (tx) => {
        await tx.insertDecision(
          decision('dec_old', {
            status: 'allowed',
            effect: 'allow',
            requirements: [],
            updatedAt: '2026-11-23T12:01:02.345Z',
          }),
        );
        await tx.insertDecision(
          decision('dec_old_ran', { status: 'allowed', effect: 'allow', requirements: [] }),
        );
        await tx.setOutcome('dec_old_ran', { status: 'succeeded', at: now, ledgerIndex: 1 });
      });
      await store.close();
      // Back to the schema before the migration, with rows as it wrote them: no window. The
      // migrations after it run again too (typed actors only re-types these test rows; the
      // cosignature and delivery tables are created if missing).
      const migrations = backend.name === 'sqlite' ? sqliteMigrations : postgresMigrations;
      const after =
        migrations.length - migrations.findIndex((m) => m.includes('Execution windows (issue 17)'));
      if (backend.name === 'sqlite') {
        const db = new Database(url.slice('sqlite:'.length));
        const version = db.pragma('user_version', { simple: true }) as number;
        db.exec("UPDATE decisions SET expires_at = NULL WHERE id IN ('dec_old', 'dec_old_ran')");
        db.pragma(`user_version = ${version - after}`);
        db.close();
      } else {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        await client.query("UPDATE decisions SET expires_at = NULL WHERE id IN ('dec_old', 'dec_old_ran')");
        await client.query(
          'DELETE FROM arbiter_migrations WHERE version > (SELECT MAX(version) FROM arbiter_migrations) - $1',
          [after],
        );
        await client.end();
      }
      store = await openStore(url);
      expect((await store.getDecision('dec_old'))?.expiresAt).toBe('2026-11-23T12:16:02.345Z');
      // One that ran keeps none: it is never started again either way.
      expect((await store.getDecision('dec_old_ran'))?.expiresAt).toBeUndefined();
    });

    it('stores gate runs: by id with the report, by idempotency key, newest first with filters and keyset paging', async () => {
      await open();
      const at = (second: number) => `2026-11-23T12:00:0${second}.000Z`;
      await store.write(async (tx) => {
        await tx.insertGateRun(gateRun('gate_0', { recordedAt: at(0), passed: false, idempotencyKey: 'k0' }));
        await tx.insertGateRun(gateRun('gate_1', { recordedAt: at(1), version: '1.1.0' }));
        await tx.insertGateRun(gateRun('gate_2', { recordedAt: at(2), systemId: 'fraud-model' }));
        await tx.insertGateRun(
          gateRun('gate_3', { recordedAt: at(2), version: '1.1.0', ledgerIndex: 2 ** 40 }),
        );
      });
      expect(await store.gateRun('gate_0')).toEqual(
        gateRun('gate_0', { recordedAt: at(0), passed: false, idempotencyKey: 'k0' }),
      );
      expect(await store.gateRun('gate_3')).toMatchObject({ passed: true, ledgerIndex: 2 ** 40 });
      expect(await store.gateRun('gate_9')).toBeUndefined();
      const { report: _, ...summary } = gateRun('gate_0', {
        recordedAt: at(0),
        passed: false,
        idempotencyKey: 'k0',
      });
      expect(await store.gateRunByIdempotencyKey('ci-bot', 'k0')).toEqual(summary);
      expect(await store.gateRunByIdempotencyKey('other-bot', 'k0')).toBeUndefined();
      const ids = (rows: { id: string }[]) => rows.map((row) => row.id);
      expect(ids(await store.gateRuns({ limit: 10 }))).toEqual(['gate_3', 'gate_2', 'gate_1', 'gate_0']);
      expect((await store.gateRuns({ limit: 10 }))[0]).not.toHaveProperty('report');
      expect(ids(await store.gateRuns({ limit: 10, systemId: 'credit-scoring' }))).toEqual([
        'gate_3',
        'gate_1',
        'gate_0',
      ]);
      expect(ids(await store.gateRuns({ limit: 10, systemId: 'credit-scoring', version: '1.1.0' }))).toEqual([
        'gate_3',
        'gate_1',
      ]);
      expect(ids(await store.gateRuns({ limit: 2, before: { recordedAt: at(2), id: 'gate_3' } }))).toEqual([
        'gate_2',
        'gate_1',
      ]);
      // The same key may be reused by another recorder, never by the same one.
      await store.write((tx) =>
        tx.insertGateRun(gateRun('gate_4', { recordedBy: 'other-bot', idempotencyKey: 'k0' })),
      );
      await expect(
        store.write((tx) => tx.insertGateRun(gateRun('gate_5', { idempotencyKey: 'k0' }))),
      ).rejects.toThrow();
      await store.write(async (tx) => {
        await tx.insertGateRun(gateRun('gate_6'));
        await tx.insertGateRun(gateRun('gate_7'));
      });
      expect(await store.gateRun('gate_7')).toBeDefined();
    });

    it('stores monitoring profiles, windows, events and alerts', async () => {
      await open();
      const hour = 3_600_000;
      const base = Date.parse('2026-11-23T10:00:00Z');
      const window = (start: number, overrides: Partial<MonitorWindowRow> = {}): MonitorWindowRow => ({
        systemId: 'credit-scoring',
        start,
        end: start + hour,
        profile: 'p1',
        state: { rows: start / hour, features: { income: { counts: [1, 2] } } },
        updatedAt: now,
        ...overrides,
      });
      await store.write(async (tx) => {
        await tx.putMonitorProfile({
          sha256: 'p1',
          systemId: 'credit-scoring',
          profile: { windowMs: hour },
          createdAt: now,
        });
        // Profiles are immutable by digest: a second put keeps the first.
        await tx.putMonitorProfile({
          sha256: 'p1',
          systemId: 'credit-scoring',
          profile: { windowMs: 1 },
          createdAt: now,
        });
        await tx.putMonitorWindow(
          window(base, { evaluatedAt: now, metrics: { datasetDrift: { share: 0.5 } } }),
        );
        await tx.putMonitorWindow(window(base + hour));
        await tx.putMonitorWindow(window(base + 2 * hour));
        await tx.putMonitorWindow(window(base, { systemId: 'fraud-model' }));
      });
      expect(await store.monitorProfile('p1')).toEqual({
        sha256: 'p1',
        systemId: 'credit-scoring',
        profile: { windowMs: hour },
        createdAt: now,
      });
      expect(await store.monitorProfile('p2')).toBeUndefined();
      const starts = (rows: { start: number }[]) => rows.map((row) => row.start);
      expect(
        await store.monitorWindows('credit-scoring', { from: base, to: base + 2 * hour, limit: 10 }),
      ).toEqual([
        window(base, { evaluatedAt: now, metrics: { datasetDrift: { share: 0.5 } } }),
        window(base + hour),
      ]);
      expect(
        starts(await store.monitorWindows('credit-scoring', { from: 0, to: base * 2, limit: 2 })),
      ).toEqual([base, base + hour]);
      expect(starts(await store.monitorWindowsAt('credit-scoring', [base + 2 * hour, base, 7]))).toEqual([
        base,
        base + 2 * hour,
      ]);
      expect(await store.monitorWindowsAt('credit-scoring', [])).toEqual([]);
      expect(await store.unevaluatedMonitorWindows('credit-scoring', 10)).toEqual([
        { start: base + hour, end: base + 2 * hour },
        { start: base + 2 * hour, end: base + 3 * hour },
      ]);
      expect(await store.unevaluatedMonitorWindows('credit-scoring', 1)).toHaveLength(1);
      expect(await store.latestMonitorWindowStart('credit-scoring')).toBe(base + 2 * hour);
      expect(await store.latestMonitorWindowStart('nobody')).toBeUndefined();
      expect((await store.latestEvaluatedMonitorWindow('credit-scoring'))?.start).toBe(base);
      expect(await store.latestEvaluatedMonitorWindow('nobody')).toBeUndefined();
      // Upsert replaces state, metrics and evaluation.
      await store.write((tx) =>
        tx.putMonitorWindow(
          window(base + hour, { state: { rows: 99 }, evaluatedAt: now, metrics: { x: 1 } }),
        ),
      );
      expect((await store.monitorWindowsAt('credit-scoring', [base + hour]))[0]).toMatchObject({
        state: { rows: 99 },
        evaluatedAt: now,
        metrics: { x: 1 },
      });
      expect((await store.latestEvaluatedMonitorWindow('credit-scoring'))?.start).toBe(base + hour);

      const event = (id: string, createdAt = now): MonitorEventRow => ({
        systemId: 'credit-scoring',
        id,
        windowStart: base,
        memo: { prediction: 1, score: 0.8, groups: { gender: 'f' } },
        createdAt,
      });
      await store.write((tx) =>
        tx.insertMonitorEvents([
          event('e1', '2026-10-01T00:00:00.000Z'),
          event('e2', '2026-10-02T00:00:00.000Z'),
          event('e3'),
          { ...event('e1'), systemId: 'fraud-model' },
        ]),
      );
      await expect(store.write((tx) => tx.insertMonitorEvents([event('e3')]))).rejects.toThrow();
      await store.write((tx) => tx.insertMonitorEvents([]));
      const found = await store.monitorEvents('credit-scoring', ['e1', 'e3', 'nope']);
      expect(found.map((row) => row.id).sort()).toEqual(['e1', 'e3']);
      expect(found.find((row) => row.id === 'e3')).toEqual(event('e3'));
      await store.write((tx) =>
        tx.markMonitorEventsLabeled('credit-scoring', ['e3'], '2026-11-23T12:30:00.000Z'),
      );
      expect((await store.monitorEvents('credit-scoring', ['e3']))[0]?.labeledAt).toBe(
        '2026-11-23T12:30:00.000Z',
      );
      expect((await store.monitorEvents('fraud-model', ['e1']))[0]?.labeledAt).toBeUndefined();
      // The purge deletes events stored before the cutoff, at most `limit` per call.
      expect(await store.write((tx) => tx.purgeMonitorEvents('2026-11-01T00:00:00.000Z', 1))).toBe(1);
      expect(await store.write((tx) => tx.purgeMonitorEvents('2026-11-01T00:00:00.000Z', 10))).toBe(1);
      expect((await store.monitorEvents('credit-scoring', ['e1', 'e2', 'e3'])).map((row) => row.id)).toEqual([
        'e3',
      ]);

      const alert = (
        policy: string,
        name: string,
        status: string,
        systemId = 'credit-scoring',
      ): MonitorAlertRow => ({
        systemId,
        policy,
        alert: name,
        state: { status, consecutive: 1 },
        updatedAt: now,
      });
      await store.write(async (tx) => {
        await tx.putMonitorAlert(alert('p', 'drift', 'pending'));
        await tx.putMonitorAlert(alert('p', 'drift', 'firing'));
        await tx.putMonitorAlert(alert('p', 'accuracy', 'ok'));
        await tx.putMonitorAlert(alert('p', 'drift', 'ok', 'fraud-model'));
      });
      expect(await store.monitorAlerts('credit-scoring')).toEqual([
        alert('p', 'accuracy', 'ok'),
        alert('p', 'drift', 'firing'),
      ]);
      expect((await store.monitorAlerts()).map((row) => row.systemId)).toEqual([
        'credit-scoring',
        'credit-scoring',
        'fraud-model',
      ]);
    });

    it('sums activity over minute and hour buckets and keeps the latest failure', async () => {
      await open();
      const at = new Date('2026-11-23T12:30:00Z');
      await store.write(async (tx) => {
        await tx.addActivity({
          actorId: 'a',
          action: 'deploy',
          environment: 'prod',
          at,
          decisions: 1,
          allowed: 1,
        });
        await tx.addActivity({
          actorId: 'a',
          action: 'deploy',
          environment: 'prod',
          at,
          decisions: 1,
          denied: 1,
        });
        await tx.addActivity({
          actorId: 'a',
          action: 'deploy',
          environment: 'prod',
          at: new Date('2026-11-23T10:00:00Z'),
          decisions: 1,
          failed: 1,
        });
        await tx.recordFailure('a', 'deploy', 'prod', '2026-11-23T10:00:00.000Z');
        await tx.recordFailure('a', 'deploy', 'prod', '2026-11-23T09:00:00.000Z');
      });
      const minute = Math.floor(at.getTime() / 60_000);
      const activity = await store.activity('a', minute - 59, Math.floor(minute / 60) - 23);
      expect(activity.lastHour).toEqual([
        {
          action: 'deploy',
          environment: 'prod',
          decisions: 2,
          allowed: 1,
          denied: 1,
          succeeded: 0,
          failed: 0,
          rolledBack: 0,
        },
      ]);
      expect(activity.lastDay).toEqual([
        {
          action: 'deploy',
          environment: 'prod',
          decisions: 3,
          allowed: 1,
          denied: 1,
          succeeded: 0,
          failed: 1,
          rolledBack: 0,
        },
      ]);
      expect(await store.failures('a')).toEqual([
        { action: 'deploy', environment: 'prod', lastFailedAt: '2026-11-23T10:00:00.000Z' },
      ]);
    });

    it('remembers provider deliveries once, by id and by body; counts replays', async () => {
      await open();
      const delivery = {
        provider: 'github' as const,
        deliveryId: 'd-1',
        bodyDigest: 'sha256:aa',
        event: 'deployment_protection_rule',
        receivedAt: now,
        target: { installation: 1, repository: 'o/r', runId: 7, environment: 'prod' },
        replays: 0,
      };
      expect(await store.write((tx) => tx.rememberDelivery(delivery))).toBe(true);
      // The same id, or the same body under another id: nothing written.
      expect(await store.write((tx) => tx.rememberDelivery({ ...delivery, bodyDigest: 'sha256:bb' }))).toBe(
        false,
      );
      expect(await store.write((tx) => tx.rememberDelivery({ ...delivery, deliveryId: 'd-2' }))).toBe(false);
      expect(await store.delivery('github', 'd-2')).toBeUndefined();
      expect(await store.delivery('github', 'd-1')).toEqual(delivery);
      expect((await store.deliveryMatching('github', 'd-9', 'sha256:aa'))?.deliveryId).toBe('d-1');
      expect((await store.deliveryMatching('github', 'd-1', 'sha256:zz'))?.deliveryId).toBe('d-1');
      expect(await store.deliveryMatching('github', 'd-9', 'sha256:zz')).toBeUndefined();
      expect(await store.write((tx) => tx.countReplay('github', 'd-1'))).toBe(1);
      expect(await store.write((tx) => tx.countReplay('github', 'd-1'))).toBe(2);
      const { target: _target, ...untargeted } = { ...delivery, deliveryId: 'd-3', bodyDigest: 'sha256:cc' };
      expect(await store.write((tx) => tx.rememberDelivery(untargeted))).toBe(true);
      expect(await store.delivery('github', 'd-3')).toEqual(untargeted);
      // A run asked about twice (a re-run): the later delivery answers for it.
      const run = { ...delivery, runKey: 'o/r#7#prod', replays: 0 };
      await store.write((tx) => tx.rememberDelivery({ ...run, deliveryId: 'r-1', bodyDigest: 'sha256:r1' }));
      await store.write((tx) =>
        tx.rememberDelivery({
          ...run,
          deliveryId: 'r-2',
          bodyDigest: 'sha256:r2',
          receivedAt: '2026-11-23T12:05:00.000Z',
        }),
      );
      expect((await store.deliveryForRun('github', 'o/r#7#prod'))?.deliveryId).toBe('r-2');
      expect(await store.deliveryForRun('github', 'o/r#8#prod')).toBeUndefined();
    });

    it('group-commits writes; a failing write rolls back alone and announces nothing', async () => {
      await open();
      const announced: string[] = [];
      store.onDecisionChanged((id) => announced.push(id));
      const results = await Promise.allSettled([
        store.write(async (tx) => {
          await tx.setMeta('a', '1');
          await tx.decisionChanged('dec_a');
        }),
        store.write(async (tx) => {
          await tx.setMeta('b', '1');
          await tx.decisionChanged('dec_b');
          throw new Error('no');
        }),
        store.write(async (tx) => {
          await tx.setMeta('c', '1');
          await tx.decisionChanged('dec_c');
        }),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect([await store.getMeta('a'), await store.getMeta('b'), await store.getMeta('c')]).toEqual([
        '1',
        undefined,
        '1',
      ]);
      await eventually(() => announced.length >= 2, 'both changes are announced');
      expect(announced.sort()).toEqual(['dec_a', 'dec_c']);
    });

    it('runs the Merkle log: roots and proofs match the RFC computation; personal data erases', async () => {
      await open();
      const ledger = await openLedger(store, { keyPath: join(dir, `key-${counter++}`) });
      for (let i = 0; i < 40; i += 7) {
        const batch = Array.from({ length: 7 }, (_, j) => ({
          type: 'note',
          actor: 't',
          subject: `n${i + j}`,
          data: { n: i + j },
          ...(j === 0 ? { personal: { who: `person-${i}` } } : {}),
        }));
        await store.write((tx) => ledger.log.append(tx.ledger, batch));
      }
      const size = await store.ledger.size();
      expect(size).toBe(42);
      const leaves = (await store.ledger.entries(0, size)).map((e) => e.leafHash);
      expect(hex((await ledger.log.root(store.ledger)).root)).toBe(hex(rootHash(leaves)));
      expect((await ledger.log.inclusionProof(store.ledger, 17, 40)).map(hex)).toEqual(
        inclusionProof(leaves.slice(0, 40), 17).map(hex),
      );
      expect((await ledger.log.consistencyProof(store.ledger, 13, 42)).map(hex)).toEqual(
        consistencyProof(leaves, 13).map(hex),
      );
      const checkpoint = await store.write((tx) => ledger.log.checkpoint(tx.ledger));
      expect((await store.ledger.checkpoints()).at(-1)?.note).toBe(checkpoint.note);
      expect(await store.ledger.personal(0, size)).toHaveLength(6);
      expect(await store.write((tx) => tx.erasePersonal({ value: 'person-7' }))).toBe(1);
      expect(await store.write((tx) => tx.erasePersonal({ seq: 0 }))).toBe(1);
      expect(await store.ledger.personal(0, size)).toHaveLength(4);
      expect((await store.ledger.entryBytes(3, 5)).map((e) => hex(e.leafHash))).toEqual(
        leaves.slice(3, 5).map(hex),
      );
    });

    it('reads entries packed for verification, byte for byte; a tampered row shifts no other', async () => {
      await open();
      const ledger = await openLedger(store, { keyPath: join(dir, `key-${counter++}`) });
      const items = Array.from({ length: 10 }, (_, i) => ({
        type: 'note',
        actor: 't',
        subject: `n${i}`,
        data: { text: i === 3 ? 'a \u0000 NUL and ünïcödé' : `n${i}` },
      }));
      await store.write((tx) => ledger.log.append(tx.ledger, items));
      const rows = await store.ledger.entryBytes(0, 10);
      const packed = async (start: number, end: number) => {
        const batch = await store.ledger.entryBatch(start, end);
        const entries = [...batch.ends].map((end, i) =>
          hex(batch.bytes.subarray(batch.ends[i - 1] ?? 0, end)),
        );
        const leaves = [...batch.ends].map((_, i) => hex(batch.leafHashes.subarray(32 * i, 32 * i + 32)));
        return { start: batch.start, entries, leaves };
      };
      expect(await packed(2, 8)).toEqual({
        start: 2,
        entries: rows.slice(2, 8).map((row) => hex(row.bytes)),
        leaves: rows.slice(2, 8).map((row) => hex(row.leafHash)),
      });
      expect(await packed(100, 200)).toEqual({ start: 100, entries: [], leaves: [] });
      const audit = () =>
        auditLedger(storeAuditSource(ledger), {
          verifiers: [parseVerifierKey(ledger.verifierKey)],
          requireCheckpoint: false,
        });
      expect(await audit()).toMatchObject({ ok: true, entries: 10 });
      const tamper = [
        'UPDATE ledger_entries SET leaf_hash = $1 WHERE seq = 4',
        'DELETE FROM ledger_entries WHERE seq = 6',
      ];
      if (backend.name === 'sqlite') {
        const db = new Database(url.slice('sqlite:'.length));
        db.prepare(tamper[0]!.replace('$1', '?')).run(Buffer.from('abc'));
        db.prepare(tamper[1]!).run();
        db.close();
      } else {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        await client.query(tamper[0]!, [Buffer.from('abc')]);
        await client.query(tamper[1]!);
        await client.end();
      }
      expect((await audit()).problem).toMatchObject({ code: 'entry-altered', seq: 4 });
      const kept = rows.filter((_, seq) => seq !== 6);
      expect(await packed(0, 10)).toEqual({
        start: 0,
        entries: kept.map((row) => hex(row.bytes)),
        leaves: kept.map((row, i) => (i === 4 ? '00'.repeat(32) : hex(row.leafHash))),
      });
    });

    it('refuses a database whose schema is newer than this binary', async () => {
      await open();
      await store.close();
      if (backend.name === 'sqlite') {
        const db = new Database(url.slice('sqlite:'.length));
        db.pragma('user_version = 999');
        db.close();
      } else {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        await client.query('INSERT INTO arbiter_migrations (version) VALUES (999)');
        await client.end();
      }
      try {
        store = await openStore(url);
        expect.unreachable('the store opened');
      } catch (error) {
        expect(isArbiterError(error, 'ARB_ERR_STORE_SCHEMA_NEWER')).toBe(true);
        expect((error as Error).message).toContain('upgrade Arbiter');
      }
      store = undefined as never;
    });
  });
}

describe('unreachable databases', () => {
  it('PostgreSQL that does not answer is a clear ARB_ERR_STORE_UNAVAILABLE, without the password', async () => {
    try {
      await openStore('postgres://arbiter:s3cret@127.0.0.1:1/arbiter', { connectTimeoutMs: 1_000 });
      expect.unreachable();
    } catch (error) {
      expect(isArbiterError(error, 'ARB_ERR_STORE_UNAVAILABLE')).toBe(true);
      expect((error as Error).message).toContain('postgres://arbiter:***@127.0.0.1:1/arbiter');
      expect((error as Error).message).not.toContain('s3cret');
    }
  });
});
