import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MerkleLog } from '../../src/ledger/index.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import type { IncidentLinkRow, IncidentRow } from '../../src/store/records.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { createTestDatabase, postgresAvailable } from '../helpers/postgres.js';
import { tempDir } from '../helpers/temp.js';

/** The incident part of the Store contract, against each backend. */
const hasPostgres = await postgresAvailable();
const dir = tempDir('arbiter-incident-records-');
let counter = 0;
const backends = [
  {
    name: 'sqlite',
    available: true,
    open: async () => openSqliteStore({ path: join(dir, `i-${counter++}.db`) }),
  },
  {
    name: 'postgres',
    available: hasPostgres,
    open: async () => PostgresStore.open({ url: await createTestDatabase() }),
  },
] as const;

const incident = (id: string, openedAt: string, overrides: Partial<IncidentRow> = {}): IncidentRow => ({
  id,
  title: `incident ${id}`,
  severity: 'sev2',
  status: 'open',
  systemId: 'deploy-bot',
  trigger: 'manual',
  openedBy: 'alice',
  openedAt,
  paged: { team: 'platform-oncall', person: 'dana@example.com' },
  ledgerIndex: 1,
  updatedAt: openedAt,
  ...overrides,
});

const link = (
  incidentId: string,
  kind: IncidentLinkRow['kind'],
  ref: string,
  ledgerIndex: number,
): IncidentLinkRow => ({
  incidentId,
  kind,
  ref,
  linkedBy: 'alice',
  linkedAt: '2026-11-23T12:00:00.000Z',
  ledgerIndex,
  ...(kind === 'deployment' ? {} : { targetLedgerIndex: 0 }),
});

for (const backend of backends) {
  describe.skipIf(!backend.available)(`incident records: ${backend.name}`, () => {
    let store: Store;
    afterEach(async () => {
      await store?.close();
    });

    it('stores an incident with every field and reads it back; optional fields stay absent', async () => {
      store = await backend.open();
      const full = incident('inc_a', '2026-11-23T12:00:00.000Z', {
        description: 'pods crash-looping',
        dedupKey: 'decision:dec_1',
        trigger: 'outcome',
      });
      await store.write((tx) => tx.insertIncident(full));
      expect(await store.getIncident('inc_a')).toEqual(full);
      await store.write((tx) => tx.insertIncident(incident('inc_b', '2026-11-23T12:00:01.000Z')));
      expect(await store.getIncident('inc_b')).toEqual(incident('inc_b', '2026-11-23T12:00:01.000Z'));
      expect(await store.getIncident('inc_nope')).toBeUndefined();
    });

    it('lists newest first with filters and keyset paging', async () => {
      store = await backend.open();
      await store.write(async (tx) => {
        await tx.insertIncident(incident('inc_1', '2026-11-23T10:00:00.000Z'));
        await tx.insertIncident(
          incident('inc_2', '2026-11-23T11:00:00.000Z', { severity: 'sev1', systemId: 'migrate-bot' }),
        );
        await tx.insertIncident(incident('inc_3', '2026-11-23T11:00:00.000Z'));
      });
      const ids = async (filter: Parameters<Store['listIncidents']>[0]) =>
        (await store.listIncidents(filter)).map((row) => row.id);
      expect(await ids({ limit: 10 })).toEqual(['inc_3', 'inc_2', 'inc_1']);
      expect(await ids({ limit: 10, severity: 'sev1' })).toEqual(['inc_2']);
      expect(await ids({ limit: 10, systemId: 'deploy-bot' })).toEqual(['inc_3', 'inc_1']);
      expect(await ids({ limit: 10, since: '2026-11-23T10:30:00.000Z' })).toEqual(['inc_3', 'inc_2']);
      expect(await ids({ limit: 10, before: { openedAt: '2026-11-23T11:00:00.000Z', id: 'inc_3' } })).toEqual(
        ['inc_2', 'inc_1'],
      );
      await store.write((tx) =>
        tx.resolveIncident('inc_1', {
          by: 'carol',
          at: '2026-11-23T12:00:00.000Z',
          summary: 'fixed',
          ledgerIndex: 9,
        }),
      );
      expect(await ids({ limit: 10, status: 'resolved' })).toEqual(['inc_1']);
      expect(await store.getIncident('inc_1')).toMatchObject({
        status: 'resolved',
        resolvedBy: 'carol',
        resolvedAt: '2026-11-23T12:00:00.000Z',
        resolution: 'fixed',
        resolvedLedgerIndex: 9,
        updatedAt: '2026-11-23T12:00:00.000Z',
      });
    });

    it('one open incident per dedup key; a resolved one frees the key', async () => {
      store = await backend.open();
      const keyed = (id: string) =>
        incident(id, '2026-11-23T12:00:00.000Z', { dedupKey: 'alert:a/b/c', trigger: 'alert' });
      await store.write((tx) => tx.insertIncident(keyed('inc_1')));
      expect((await store.openIncidentByDedupKey('alert:a/b/c'))?.id).toBe('inc_1');
      await expect(store.write((tx) => tx.insertIncident(keyed('inc_2')))).rejects.toThrow();
      await store.write((tx) =>
        tx.resolveIncident('inc_1', {
          by: 'x',
          at: '2026-11-23T13:00:00.000Z',
          summary: 's',
          ledgerIndex: 2,
        }),
      );
      expect(await store.openIncidentByDedupKey('alert:a/b/c')).toBeUndefined();
      await store.write((tx) => tx.insertIncident(keyed('inc_2')));
      expect((await store.openIncidentByDedupKey('alert:a/b/c'))?.id).toBe('inc_2');
    });

    it('keeps links per incident, finds incidents by what they link, refuses a second identical link', async () => {
      store = await backend.open();
      await store.write(async (tx) => {
        await tx.insertIncident(incident('inc_1', '2026-11-23T10:00:00.000Z'));
        await tx.insertIncident(incident('inc_2', '2026-11-23T11:00:00.000Z'));
        await tx.insertIncidentLink(link('inc_1', 'decision', 'dec_1', 1));
        await tx.insertIncidentLink({ ...link('inc_1', 'deployment', 'argo:rev-1', 5), note: 'the rollout' });
        await tx.insertIncidentLink(link('inc_2', 'decision', 'dec_1', 7));
      });
      expect(await store.incidentLinks('inc_1')).toEqual([
        link('inc_1', 'decision', 'dec_1', 1),
        { ...link('inc_1', 'deployment', 'argo:rev-1', 5), note: 'the rollout' },
      ]);
      expect((await store.incidentsLinking('decision', 'dec_1')).map((row) => row.incidentId)).toEqual([
        'inc_1',
        'inc_2',
      ]);
      expect(await store.incidentsLinking('gate_run', 'dec_1')).toEqual([]);
      await expect(
        store.write((tx) => tx.insertIncidentLink(link('inc_1', 'decision', 'dec_1', 9))),
      ).rejects.toThrow();
    });

    it('reads ledger entries about a subject by type and time, oldest or newest first', async () => {
      store = await backend.open();
      let time = Date.parse('2026-11-23T10:00:00.000Z');
      const log = new MerkleLog({ origin: 'test', clock: () => new Date(time) });
      const append = (type: string, subject: string) =>
        store.write(async (tx) => {
          time += 60_000;
          return (await log.append(tx.ledger, [{ type, actor: 'arbiter', subject, data: {} }]))[0]!.seq;
        });
      await append('alert.firing', 'model');
      await append('gate.run', 'model');
      await append('alert.firing', 'other');
      await append('alert.resolved', 'model');
      const seqs = async (filter: Parameters<Store['ledgerEntriesAbout']>[0]) =>
        (await store.ledgerEntriesAbout(filter)).map((entry) => [entry.seq, entry.type]);
      expect(await seqs({ subject: 'model', limit: 10 })).toEqual([
        [0, 'alert.firing'],
        [1, 'gate.run'],
        [3, 'alert.resolved'],
      ]);
      expect(
        await seqs({
          subject: 'model',
          types: ['alert.firing', 'alert.resolved'],
          newestFirst: true,
          limit: 10,
        }),
      ).toEqual([
        [3, 'alert.resolved'],
        [0, 'alert.firing'],
      ]);
      expect(
        await seqs({
          subject: 'model',
          from: '2026-11-23T10:02:00.000Z',
          to: '2026-11-23T10:03:00.000Z',
          limit: 10,
        }),
      ).toEqual([[1, 'gate.run']]);
      const [entry] = await store.ledgerEntriesAbout({ subject: 'other', limit: 1 });
      expect(JSON.parse(Buffer.from(entry!.bytes).toString('utf8'))).toMatchObject({
        seq: 2,
        type: 'alert.firing',
      });
    });
  });
}
