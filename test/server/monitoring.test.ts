import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Arbiter, startArbiter } from '../../src/app/arbiter.js';
import { storeAuditSource } from '../../src/app/ledger/export.js';
import { loadMonitorProfiles } from '../../src/app/monitoring/profiles.js';
import { ArbiterClient } from '../../src/client/index.js';
import { sha256Hex } from '../../src/core/digest.js';
import { auditLedger, parseVerifierKey } from '../../src/ledger/index.js';
import { buildProfile, type Profile } from '../../src/monitor/profile.js';
import type { MonitorSchema } from '../../src/monitor/schema.js';
import { addEvent, emptyWindow } from '../../src/monitor/window.js';
import { bundleOf } from '../helpers/bundle.js';
import { postgresAvailable } from '../helpers/postgres.js';
import { startReceiver } from '../helpers/receiver.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const hourMs = 3_600_000;
const day = Date.parse('2026-11-17T00:00:00Z');
const at = (hour: number, minute = 0) => day + hour * hourMs + minute * 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** mulberry32: the same synthetic data on every run. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A synthetic applicant; drifted ones earn more and come mostly from the east. */
function applicant(next: () => number, drifted: boolean) {
  const income = 50 + (next() - 0.5) * 40 + (drifted ? 30 : 0);
  const u = next();
  const region = drifted ? (u < 0.8 ? 'east' : 'north') : u < 0.5 ? 'north' : u < 0.75 ? 'south' : 'east';
  const tenure = Math.floor(next() * 10);
  const gender = next() < 0.5 ? 'f' : 'm';
  const score = Math.min(0.99, Math.max(0.01, (income - 30) / 40));
  const prediction = score > 0.5 ? 1 : 0;
  const label = next() < 0.85 ? prediction : 1 - prediction;
  return { income, region, tenure, gender, score, prediction, label };
}

const schema: MonitorSchema = {
  system: 'credit-scoring',
  id: 'id',
  prediction: 'prediction',
  score: 'score',
  label: 'label',
  window: '1h',
  features: { income: 'numeric', region: 'categorical', tenure: 'numeric' },
  sensitive: { gender: {} },
  minGroupSize: 20,
};

function referenceProfile(bins?: number): Profile {
  const next = random(7);
  const rows = Array.from({ length: 600 }, (_, i) => ({ id: `ref-${i}`, ...applicant(next, false) }));
  return buildProfile(
    bins ? { ...schema, bins } : schema,
    { name: 'synthetic', sha256: 'ab'.repeat(32), rows, rejected: 0 },
    new Date('2026-11-01T00:00:00Z'),
  );
}

/** A window's worth of events in hour `hour` (times as RFC 3339 and epoch ms), and their true labels. */
function batch(
  hour: number,
  options: { prefix: string; seed: number; drifted?: boolean; count?: number; labeled?: boolean },
) {
  const next = random(options.seed);
  const labels: { id: string; label: number }[] = [];
  const events = Array.from({ length: options.count ?? 200 }, (_, i) => {
    const a = applicant(next, options.drifted ?? false);
    const id = `${options.prefix}-${i}`;
    labels.push({ id, label: a.label });
    const time = at(hour, i % 45);
    return {
      id,
      time: i % 2 === 0 ? iso(time) : time,
      features: { income: a.income, region: a.region, tenure: a.tenure },
      prediction: a.prediction,
      score: a.score,
      sensitive: { gender: a.gender },
      ...(options.labeled ? { label: a.label } : {}),
    };
  });
  return { events, labels };
}

const ndjson = (items: unknown[]) => `${items.map((item) => JSON.stringify(item)).join('\n')}\n`;

const monitorPolicy = (profileFile: string) => `apiVersion: arbiter/v1
kind: MonitorPolicy
metadata:
  name: credit-scoring-monitoring
spec:
  match:
    systems: [credit-scoring]
  profile: ${profileFile}
  alerts:
    - name: dataset-drift
      when: metrics.datasetDrift.share > 0.5
      severity: critical
      for: 2
      messageExpression: "string(int(metrics.datasetDrift.share * 100.0)) + '% of features drifted'"
`;

const secret = 'monitoring-webhook-secret';
const hasPostgres = await postgresAvailable();

describe('monitoring profiles in the policy bundle', () => {
  const policy = (name: string, systems: string, profile: string) =>
    `apiVersion: arbiter/v1\nkind: MonitorPolicy\nmetadata: {name: ${name}}\nspec:\n  match: {systems: [${systems}]}\n  profile: ${profile}\n  alerts:\n    - {name: drift, when: "metrics.datasetDrift.share > 0.5", severity: warning}\n`;
  const profile = referenceProfile();
  const files: Record<string, Buffer> = {
    'policies/good.json': Buffer.from(JSON.stringify(profile)),
    'policies/other.json': Buffer.from(JSON.stringify({ ...profile, createdAt: 'another' })),
    'policies/wrong-format.json': Buffer.from(JSON.stringify({ ...profile, format: 'something/v9' })),
    'policies/broken-counts.json': Buffer.from(
      JSON.stringify({ ...profile, reference: { ...profile.reference, features: {} } }),
    ),
    'policies/not-json.json': Buffer.from('{'),
  };
  const read = (path: string) => {
    const bytes = files[path];
    if (!bytes) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    return bytes;
  };
  const load = (documents: Record<string, string>) => loadMonitorProfiles(bundleOf(documents), read);

  it('monitors a System named by one profile, whatever number of policies name that file', () => {
    const loaded = load({
      'policies/a.yaml': policy('a', 'credit-scoring', 'good.json'),
      'policies/b.yaml': policy('b', 'credit-*', 'good.json'),
    });
    expect(loaded.problems).toEqual([]);
    expect(loaded.systems.get('credit-scoring')).toMatchObject({
      file: 'policies/good.json',
      sha256: sha256Hex(files['policies/good.json']!),
      policies: ['a', 'b'],
    });
  });

  it('reports a missing, unreadable or malformed profile, naming the System, which is then not monitored', () => {
    for (const [file, message] of [
      ['missing.json', 'does not exist'],
      ['not-json.json', 'cannot be read'],
      ['wrong-format.json', 'has format "something/v9", not arbiter.monitor.profile/v1'],
      ['broken-counts.json', 'the reference counts of income do not match'],
    ] as const) {
      const loaded = load({ 'policies/a.yaml': policy('a', 'credit-scoring', file) });
      expect(loaded.systems.size, file).toBe(0);
      expect(loaded.problems, file).toEqual([
        {
          policy: 'a',
          file: `policies/${file}`,
          system: 'credit-scoring',
          message: expect.stringContaining(message),
        },
      ]);
    }
  });

  it('refuses a profile for a System its policy does not match, and two different profiles for one System', () => {
    expect(load({ 'policies/a.yaml': policy('a', 'fraud-model', 'good.json') }).problems).toEqual([
      expect.objectContaining({
        system: 'credit-scoring',
        message: expect.stringContaining('does not match'),
      }),
    ]);
    const conflict = load({
      'policies/a.yaml': policy('a', 'credit-scoring', 'good.json'),
      'policies/b.yaml': policy('b', 'credit-scoring', 'other.json'),
    });
    expect(conflict.systems.size).toBe(0);
    expect(conflict.problems[0]?.message).toContain('name different profiles for credit-scoring');
  });
});

for (const backend of ['sqlite', 'postgres'] as const) {
  describe.skipIf(backend === 'postgres' && !hasPostgres)(`monitoring on ${backend}`, () => {
    let server: TestServer;
    let receiver: Awaited<ReturnType<typeof startReceiver>>;
    let t: Record<string, string>;
    const profile = referenceProfile();
    const profileText = JSON.stringify(profile);
    const stable1 = batch(10, { prefix: 's1', seed: 101 });
    const systemPath = '/v1/monitor/credit-scoring';

    beforeAll(async () => {
      receiver = await startReceiver();
      server = await startTestServer({
        backend,
        extraPolicies: {
          // Replaces the example monitors.yaml: this test's policy names this test's profile.
          'monitors.yaml': monitorPolicy('credit-scoring.profile.json'),
          'credit-scoring.profile.json': profileText,
          'notifiers.yaml': `apiVersion: arbiter/v1
kind: Notifier
metadata: {name: risk-webhook}
spec:
  type: webhook
  url: ${receiver.url}/alerts
  secretEnv: TEST_WEBHOOK_SECRET
  events: [alert.firing, alert.resolved]
  teams: [risk-ml]
`,
        },
        notifications: { env: { TEST_WEBHOOK_SECRET: secret } },
      });
      t = server.tokens;
      server.clock.time = new Date(at(10, 50));
    });
    afterAll(async () => {
      await server?.close();
    });

    const post = (
      token: string | undefined,
      path: string,
      body: unknown,
      headers: Record<string, string> = {},
    ) => server.call(token, 'POST', path, body, headers);
    const get = (token: string | undefined, path: string) => server.call(token, 'GET', path);
    const windows = async (query = '') => (await get(t.erin, `${systemPath}/windows${query}`)).body.windows;
    const windowAt = async (hour: number) =>
      (await windows(`?from=${iso(at(0))}`)).find((w: { start: string }) => w.start === iso(at(hour)));
    const ledgerEntries = async () => {
      const size = await server.arbiter.store.ledger.size();
      return (await server.arbiter.store.ledger.entries(0, size)).map((stored) =>
        JSON.parse(Buffer.from(stored.bytes).toString('utf8')),
      );
    };
    const alertEntries = async (type: string) =>
      (await ledgerEntries()).filter((entry) => entry.type === type);
    /** Moves to minute 50 of `hour` and sends a window of events there. */
    const sendHour = async (hour: number, options: Parameters<typeof batch>[1]) => {
      server.clock.time = new Date(at(hour, 50));
      const response = await post(t.creditScoring, `${systemPath}/events`, batch(hour, options).events);
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ accepted: options.count ?? 200, rejected: 0 });
    };

    describe('setup and access', () => {
      it('lists the monitored System with its profile and alert rules', async () => {
        const listed = (await get(t.erin, '/v1/monitor')).body;
        expect(listed.problems).toEqual([]);
        expect(listed.systems).toEqual([
          expect.objectContaining({
            system: 'credit-scoring',
            profile: expect.objectContaining({
              sha256: sha256Hex(profileText),
              window: '1h',
              windowMs: hourMs,
              task: 'classification',
              features: {
                income: expect.objectContaining({ kind: 'numeric', drift: 'ks' }),
                region: expect.objectContaining({ kind: 'categorical', drift: 'chisquare' }),
                tenure: expect.objectContaining({ kind: 'numeric' }),
              },
              sensitive: ['gender'],
            }),
            alerts: [
              expect.objectContaining({
                policy: 'credit-scoring-monitoring',
                alert: 'dataset-drift',
                for: 2,
              }),
            ],
            firing: 0,
          }),
        ]);
        // An agent sees its own System only.
        expect((await get(t.deployBot, '/v1/monitor')).body.systems).toEqual([]);
        expect((await get(t.creditScoring, '/v1/monitor')).body.systems).toHaveLength(1);
        const openapi = (await get(undefined, '/openapi.json')).body;
        expect(openapi.paths['/v1/monitor/{system}/events'].post.tags).toEqual(['monitoring']);
      });

      it('refuses senders and readers who may not, unknown and unmonitored Systems, and bodies that are not batches', async () => {
        const one = [stable1.events[0]];
        const code = (response: { status: number; body: { error?: { code: string } } }) => [
          response.status,
          response.body.error?.code,
        ];
        expect(code(await post(undefined, `${systemPath}/events`, one))).toEqual([
          401,
          'ARB_ERR_AUTH_REQUIRED',
        ]);
        expect(code(await post(t.erin, `${systemPath}/events`, one))).toEqual([403, 'ARB_ERR_FORBIDDEN']);
        expect(code(await post(t.alice, `${systemPath}/labels`, []))).toEqual([403, 'ARB_ERR_FORBIDDEN']);
        // An agent sends for its own System only.
        const other = await post(t.deployBot, `${systemPath}/events`, one);
        expect(code(other)).toEqual([403, 'ARB_ERR_FORBIDDEN']);
        expect(other.body.error.message).toContain('only for its own System (deploy-bot)');
        expect(code(await post(t.root, '/v1/monitor/nobody/events', one))).toEqual([
          404,
          'ARB_ERR_NOT_FOUND',
        ]);
        const unmonitored = await post(t.root, '/v1/monitor/deploy-bot/events', one);
        expect(code(unmonitored)).toEqual([422, 'ARB_ERR_MONITOR_NOT_CONFIGURED']);
        expect(unmonitored.body.error.message).toContain('no MonitorPolicy matching it names a profile');
        expect(code(await post(t.creditScoring, `${systemPath}/events`, { events: one }))).toEqual([
          400,
          'ARB_ERR_MONITOR_BATCH_INVALID',
        ]);
        expect(
          code(await post(t.creditScoring, `${systemPath}/events`, 'x', { 'content-type': 'text/csv' })),
        ).toEqual([415, 'ARB_ERR_UNSUPPORTED_MEDIA_TYPE']);
        const tooMany = await post(t.creditScoring, `${systemPath}/events`, new Array(10_001).fill({}));
        expect(code(tooMany)).toEqual([413, 'ARB_ERR_MONITOR_BATCH_TOO_LARGE']);
        // Readers: humans of every role, an agent for its own System only.
        expect((await get(t.deployBot, `${systemPath}/windows`)).status).toBe(403);
        expect((await get(t.creditScoring, `${systemPath}/alerts`)).status).toBe(200);
        expect((await get(t.alice, '/v1/monitor/nobody/windows')).status).toBe(404);
        expect(await windows()).toEqual([]);
      });
    });

    describe('ingestion', () => {
      it('counts a window sent as a JSON array; bad events are counted and reported, never fatal', async () => {
        const feature = stable1.events[1]!;
        const bad = [
          'not an object',
          { features: feature.features },
          { ...feature, id: 'future', time: iso(at(12)) },
          { ...feature, id: 'no-time', time: 'yesterday' },
          { ...feature, id: 'seconds', time: 1_763_373_600 },
          { ...feature, id: 'bad-score', score: 2 },
          { ...feature, id: { nested: true } },
          { ...feature, id: 'object-prediction', prediction: { class: 1 } },
        ];
        const body = [...stable1.events.slice(0, 100), ...bad, ...stable1.events.slice(100)];
        const response = await post(t.creditScoring, `${systemPath}/events`, body);
        expect(response.status).toBe(200);
        expect(response.body).toMatchObject({ accepted: 200, rejected: 8, duplicates: 0 });
        expect(response.body.problems).toEqual([
          { index: 100, message: 'an event must be a JSON object' },
          { index: 101, message: 'prediction is missing' },
          { index: 102, message: expect.stringContaining('more than 5 minutes ahead of the server clock') },
          { index: 103, message: 'time must be an RFC 3339 timestamp or epoch milliseconds' },
          { index: 104, message: expect.stringContaining('send epoch milliseconds (not seconds)') },
          { index: 105, message: 'score must be a number between 0 and 1' },
          { index: 106, message: expect.stringContaining('id must be a string') },
          { index: 107, message: 'prediction must be a string, number or boolean' },
        ]);
        const [window] = await windows();
        expect(window).toMatchObject({
          start: iso(at(10)),
          end: iso(at(11)),
          open: true,
          evaluatedAt: null,
          profile: sha256Hex(profileText),
          metrics: { window: { rows: 200, rejected: 8, labeled: 0 }, datasetDrift: { total: 3 } },
        });
        expect(window.metrics.performance).toBeUndefined();
      });

      it('counts NDJSON; a line that is not JSON is one rejected event, reported with its line', async () => {
        server.clock.time = new Date(at(11, 50));
        const { events } = batch(11, { prefix: 's2', seed: 102 });
        const text = `${ndjson(events.slice(0, 10))}\n{"features": \n${ndjson(events.slice(10))}`;
        const response = await post(t.creditScoring, `${systemPath}/events`, text, {
          'content-type': 'application/x-ndjson',
        });
        expect(response.status).toBe(200);
        expect(response.body).toMatchObject({ accepted: 200, rejected: 1 });
        // Line 11 is blank (skipped, but counted as a line); the broken line is 12, the 11th item.
        expect(response.body.problems).toEqual([
          { index: 10, line: 12, message: expect.stringContaining('line 12 is not JSON') },
        ]);
        // A later window has events: the 10:00 window is closed and evaluated, its metrics stored.
        const [first, second] = await windows();
        expect(first).toMatchObject({
          open: false,
          evaluatedAt: iso(at(11, 50)),
          metrics: { window: { rows: 200 } },
        });
        expect(second).toMatchObject({
          start: iso(at(11)),
          open: true,
          metrics: { window: { rows: 200, rejected: 1 } },
        });
        const alerts = (await get(t.erin, `${systemPath}/alerts`)).body.alerts;
        expect(alerts).toEqual([
          expect.objectContaining({
            system: 'credit-scoring',
            policy: 'credit-scoring-monitoring',
            alert: 'dataset-drift',
            status: 'ok',
            consecutive: 0,
            lastWindow: at(10),
          }),
        ]);
      });

      it('refuses a repeated id, in a later batch or the same one, without counting it twice', async () => {
        const { events } = batch(11, { prefix: 's2', seed: 102 });
        const fresh = { ...events[0]!, id: 'fresh-1' };
        const response = await post(t.creditScoring, `${systemPath}/events`, [
          ...events.slice(0, 50),
          fresh,
          fresh,
        ]);
        expect(response.body).toMatchObject({ accepted: 1, rejected: 51, duplicates: 51 });
        expect(response.body.problems[0]).toEqual({
          index: 0,
          message: 'duplicate id s2-0: an event with this id was already counted',
        });
        // Every rejection is counted; the first 50 are listed.
        expect(response.body.problems).toHaveLength(50);
        expect(response.body.problems.at(-1)).toMatchObject({ index: 49 });
        // Duplicates are retries, not bad data: the window's rejected count is unchanged.
        expect((await windowAt(11)).metrics.window).toMatchObject({ rows: 201, rejected: 1 });
      });

      it('stamps an event without a time with the server clock', async () => {
        const { events } = batch(11, { prefix: 'untimed', seed: 103, count: 1 });
        const { time: _, ...untimed } = events[0]!;
        expect((await post(t.root, `${systemPath}/events`, [untimed])).body).toMatchObject({ accepted: 1 });
        expect((await windowAt(11)).metrics.window.rows).toBe(202);
      });
    });

    describe('alerts', () => {
      it('fires the dataset-drift alert after two drifted windows, once, with a ledger entry and a notification to the owner team', async () => {
        await sendHour(12, { prefix: 'd1', seed: 201, drifted: true });
        // 11:00 evaluated (stable). Then 12:00 is evaluated when 13:00 gets events: one drifted window.
        await sendHour(13, { prefix: 'd2', seed: 202, drifted: true });
        const pending = (await get(t.erin, `${systemPath}/alerts`)).body.alerts[0];
        expect(pending).toMatchObject({ status: 'pending', consecutive: 1, lastWindow: at(12) });
        expect(await alertEntries('alert.firing')).toEqual([]);
        expect((await windowAt(12)).metrics.datasetDrift).toMatchObject({ drifted: 2, total: 3 });

        await sendHour(14, { prefix: 'd3', seed: 203, drifted: true });
        const firing = await alertEntries('alert.firing');
        expect(firing).toHaveLength(1);
        expect(firing[0]).toMatchObject({
          type: 'alert.firing',
          actor: 'arbiter',
          subject: 'credit-scoring',
          data: {
            system: 'credit-scoring',
            policy: 'credit-scoring-monitoring',
            alert: 'dataset-drift',
            severity: 'critical',
            message: '66% of features drifted',
            facts: { 'metrics.datasetDrift.share': 0.666667 },
            window: { start: iso(at(13)), end: iso(at(14)) },
            firingSince: iso(at(14)),
            consecutive: 2,
            profile: sha256Hex(profileText),
          },
        });
        const outbox = (await server.arbiter.store.notifications({ limit: 100 })).filter(
          (row) => row.eventType === 'alert.firing',
        );
        expect(outbox.map((row) => row.notifier)).toEqual(['risk-webhook']);
        expect(outbox[0]!.payload).toMatchObject({
          subject: 'credit-scoring/credit-scoring-monitoring/dataset-drift',
          team: 'risk-ml',
          severity: 'critical',
          data: { ledgerIndex: firing[0].seq },
        });
        await server.arbiter.notifications.deliverDue();
        const delivered = receiver.received.map((request) => JSON.parse(request.body));
        expect(delivered).toEqual([
          expect.objectContaining({
            type: 'dev.arbiter.alert.firing',
            subject: 'credit-scoring/credit-scoring-monitoring/dataset-drift',
            team: 'risk-ml',
            data: expect.objectContaining({
              summary: 'credit-scoring: dataset-drift is firing: 66% of features drifted',
            }),
          }),
        ]);
        const metrics = (await get(undefined, '/metrics')).text;
        expect(metrics).toContain('arbiter_monitor_alerts_firing{system="credit-scoring"} 1');

        // Still drifted: one alert, not one per window.
        await sendHour(15, { prefix: 's3', seed: 104 });
        expect(await alertEntries('alert.firing')).toHaveLength(1);
        expect((await get(t.erin, `${systemPath}/alerts`)).body.alerts[0]).toMatchObject({
          status: 'firing',
          consecutive: 3,
          firingSince: iso(at(14)),
        });
        expect((await get(t.erin, '/v1/monitor')).body.systems[0].firing).toBe(1);
      });

      it('resolves once the data is back to normal, with a ledger entry and a notification', async () => {
        await sendHour(16, { prefix: 's4', seed: 105, labeled: true });
        const resolved = await alertEntries('alert.resolved');
        expect(resolved).toHaveLength(1);
        expect(resolved[0].data).toMatchObject({
          alert: 'dataset-drift',
          window: { start: iso(at(15)), end: iso(at(16)) },
          firingSince: iso(at(14)),
          consecutive: 0,
        });
        expect((await get(t.erin, `${systemPath}/alerts`)).body.alerts[0]).toMatchObject({ status: 'ok' });
        expect(
          (await server.arbiter.store.notifications({ limit: 100 })).filter(
            (row) => row.eventType === 'alert.resolved',
          ),
        ).toHaveLength(1);
      });

      it('closes a window by the clock (end plus one minute) when no later events come', async () => {
        server.clock.time = new Date(at(17) + 30_000);
        expect(await server.arbiter.monitoring.evaluateDue()).toBe(0);
        server.clock.time = new Date(at(17, 1));
        expect(await server.arbiter.monitoring.evaluateDue()).toBe(1);
        expect(await server.arbiter.monitoring.evaluateDue()).toBe(0);
        expect((await windowAt(16)).open).toBe(false);
        expect(await alertEntries('alert.firing')).toHaveLength(1);
        expect(await alertEntries('alert.resolved')).toHaveLength(1);
      });
    });

    describe('late labels', () => {
      it('joins labels by id into the window of their event, updating its stored performance', async () => {
        const ledgerSize = await server.arbiter.store.ledger.size();
        const labels = stable1.labels.slice(0, 100);
        const response = await post(t.creditScoring, `${systemPath}/labels`, [
          ...labels,
          { id: 'nope', label: 1 },
          labels[0],
          { id: 's1-150' },
        ]);
        expect(response.status).toBe(200);
        expect(response.body).toMatchObject({ accepted: 100, rejected: 3, unknown: 1, duplicates: 1 });
        expect(response.body.problems).toEqual([
          { index: 100, message: expect.stringContaining('no event with id nope') },
          { index: 101, message: 'event s1-0 already has a label' },
          { index: 102, message: 'label must be a string, number or boolean' },
        ]);
        const window = await windowAt(10);
        expect(window.open).toBe(false);
        expect(window.metrics.window.labeled).toBe(100);
        expect(window.metrics.performance).toMatchObject({ count: 100 });
        expect(window.metrics.performance.accuracy).toBeGreaterThan(0.7);
        // Past windows never re-fire: labels change no alert and write no ledger entry.
        expect(await server.arbiter.store.ledger.size()).toBe(ledgerSize);
      });

      it('takes labels as NDJSON, and refuses a label for an event that came with one', async () => {
        const more = stable1.labels.slice(100, 110);
        const response = await post(
          t.creditScoring,
          `${systemPath}/labels`,
          ndjson([...more, { id: 's4-0', label: 1 }]),
          {
            'content-type': 'application/x-ndjson',
          },
        );
        expect(response.body).toMatchObject({ accepted: 10, duplicates: 1 });
        expect(response.body.problems).toEqual([
          { index: 10, line: 11, message: 'event s4-0 already has a label' },
        ]);
        expect((await windowAt(10)).metrics.performance.count).toBe(110);
      });
    });

    describe('reading', () => {
      it('filters windows by start, and merges them into days', async () => {
        const some = await windows(`?from=${iso(at(12))}&to=${at(14)}`);
        expect(some.map((w: { start: string }) => w.start)).toEqual([iso(at(12)), iso(at(13))]);
        const days = await windows(`?from=${iso(at(0))}&merge=day`);
        expect(days).toHaveLength(1);
        expect(days[0]).toMatchObject({
          start: iso(day),
          end: iso(day + 24 * hourMs),
          windows: 7,
          open: false,
          metrics: { window: { rows: 200 + 202 + 200 * 5, labeled: 110 + 200 } },
        });
        const bad = await get(t.erin, `${systemPath}/windows?from=yesterday`);
        expect([bad.status, bad.body.error.code]).toEqual([400, 'ARB_ERR_REQUEST_INVALID']);
        expect((await get(t.erin, `${systemPath}/windows?from=${at(14)}&to=${at(12)}`)).status).toBe(400);
      });

      it('the client sends and reads', async () => {
        const client = new ArbiterClient({ url: server.url, token: t.creditScoring! });
        server.clock.time = new Date(at(17, 30));
        const { events, labels } = batch(17, { prefix: 'c1', seed: 106, count: 20 });
        expect(await client.sendMonitorEvents('credit-scoring', events)).toMatchObject({ accepted: 20 });
        expect(await client.sendMonitorLabels('credit-scoring', labels)).toMatchObject({ accepted: 20 });
        const read = await client.monitorWindows('credit-scoring', { from: iso(at(17)) });
        expect(read.windows).toEqual([
          expect.objectContaining({
            open: true,
            metrics: expect.objectContaining({ performance: expect.objectContaining({ count: 20 }) }),
          }),
        ]);
        expect((await client.monitorAlerts('credit-scoring')).alerts[0]).toMatchObject({
          alert: 'dataset-drift',
          status: 'ok',
        });
      });

      it('exposes the latest evaluated window as Prometheus gauges, and ingestion as counters', async () => {
        const metrics = (await get(undefined, '/metrics')).text;
        const value = (pattern: RegExp) => Number(pattern.exec(metrics)?.[1]);
        expect(
          value(/arbiter_monitor_dataset_drift_share\{system="credit-scoring"\} (\S+)/),
        ).toBeLessThanOrEqual(0.34);
        expect(
          value(/arbiter_monitor_drift_score\{system="credit-scoring",feature="income",method="ks"\} (\S+)/),
        ).toBeGreaterThan(0);
        expect(metrics).toMatch(
          /arbiter_monitor_feature_drifted\{system="credit-scoring",feature="region"\} [01]/,
        );
        expect(metrics).toMatch(
          /arbiter_monitor_prediction_drift_score\{system="credit-scoring",method="\w+"\} /,
        );
        expect(
          value(
            /arbiter_monitor_fairness\{system="credit-scoring",attribute="gender",metric="demographicParityRatio"\} (\S+)/,
          ),
        ).toBeGreaterThan(0);
        expect(
          value(/arbiter_monitor_performance\{system="credit-scoring",metric="accuracy"\} (\S+)/),
        ).toBeGreaterThan(0.7);
        expect(value(/arbiter_monitor_window_end_seconds\{system="credit-scoring"\} (\S+)/)).toBe(
          at(17) / 1000,
        );
        expect(metrics).toContain('arbiter_monitor_alerts_firing{system="credit-scoring"} 0');
        expect(value(/arbiter_monitor_events_total\{system="credit-scoring",result="accepted"\} (\S+)/)).toBe(
          200 * 7 + 2 + 20,
        );
        expect(value(/arbiter_monitor_events_total\{system="credit-scoring",result="rejected"\} (\S+)/)).toBe(
          8 + 1 + 51,
        );
        expect(value(/arbiter_monitor_labels_total\{system="credit-scoring",result="joined"\} (\S+)/)).toBe(
          130,
        );
        expect(value(/arbiter_monitor_labels_total\{system="credit-scoring",result="unknown"\} (\S+)/)).toBe(
          1,
        );
        expect(metrics).toContain('arbiter_monitor_profile_problems 0');
      });
    });

    describe('profiles on reload', () => {
      it('a profile that fails to load is reported, not fatal; a new profile applies to new windows only', async () => {
        const file = join(server.policyDir, 'credit-scoring.profile.json');
        writeFileSync(file, '{"format": "something-else"}');
        const failed = await post(t.root, '/v1/policies/reload', undefined);
        expect(failed.status).toBe(200);
        expect(failed.body.monitoring).toEqual({
          systems: [],
          problems: [
            expect.objectContaining({
              system: 'credit-scoring',
              message: expect.stringContaining('has format'),
            }),
          ],
        });
        const refused = await post(t.creditScoring, `${systemPath}/events`, []);
        expect([refused.status, refused.body.error.code]).toEqual([422, 'ARB_ERR_MONITOR_NOT_CONFIGURED']);
        expect(refused.body.error.details.problems).toHaveLength(1);
        expect((await get(t.erin, '/v1/monitor')).body).toMatchObject({
          systems: [],
          problems: [{ system: 'credit-scoring' }],
        });
        expect((await get(undefined, '/metrics')).text).toContain('arbiter_monitor_profile_problems 1');
        // History stays readable while the System is not monitored.
        expect((await windowAt(10)).metrics.performance.count).toBe(110);

        const rebinned = JSON.stringify(referenceProfile(5));
        writeFileSync(file, rebinned);
        const reloaded = (await post(t.root, '/v1/policies/reload', undefined)).body;
        expect(reloaded.monitoring.systems).toEqual([
          expect.objectContaining({ system: 'credit-scoring', profile: sha256Hex(rebinned) }),
        ]);
        const reloadEntry = (await ledgerEntries())
          .filter((entry) => entry.type === 'policy.reloaded')
          .at(-1);
        expect(reloadEntry.data).toMatchObject({
          profiles: { 'credit-scoring': sha256Hex(rebinned) },
          profileProblems: 0,
        });
        // The open 17:00 window keeps the profile it was opened with; 18:00 opens with the new one.
        const { events } = batch(17, { prefix: 'c2', seed: 107, count: 5 });
        expect((await post(t.creditScoring, `${systemPath}/events`, events)).body.accepted).toBe(5);
        server.clock.time = new Date(at(18, 5));
        const later = batch(18, { prefix: 'c3', seed: 108, count: 5 });
        expect((await post(t.creditScoring, `${systemPath}/events`, later.events)).body.accepted).toBe(5);
        const [w17, w18] = await windows(`?from=${iso(at(17))}`);
        expect([w17.profile, w17.metrics.window.rows, w17.open]).toEqual([sha256Hex(profileText), 25, false]);
        expect([w18.profile, w18.metrics.window.rows]).toEqual([sha256Hex(rebinned), 5]);
        const days = await windows(`?from=${iso(at(0))}&merge=day`);
        expect(days.map((d: { profile: string; windows: number }) => [d.profile, d.windows])).toEqual([
          [sha256Hex(profileText), 8],
          [sha256Hex(rebinned), 1],
        ]);
        writeFileSync(file, profileText);
        expect((await post(t.root, '/v1/policies/reload', undefined)).body.monitoring.problems).toEqual([]);
      });
    });

    // Replicas share one PostgreSQL database; an SQLite file has a single server, so the block is
    // declared only for PostgreSQL rather than reported as skipped.
    if (backend === 'postgres')
      describe('replicas', () => {
        let replica: Arbiter;
        afterAll(async () => {
          await replica?.close();
        });

        it('two replicas evaluating the same closed windows fire the alert once', async () => {
          replica = await startArbiter({
            databaseUrl: server.databaseUrl,
            ledgerKeyPath: server.ledgerKeyPath,
            policyDir: server.policyDir,
            clock: server.clock.now,
            monitorIntervalMs: 3_600_000,
            notificationIntervalMs: 3_600_000,
          });
          server.clock.time = new Date(at(22, 50));
          // Three drifted windows, stored as any replica's ingestion would store them, not evaluated yet.
          await server.arbiter.store.write(async (tx) => {
            for (const hour of [19, 20, 21]) {
              const state = emptyWindow(profile, at(hour), at(hour + 1));
              for (const event of batch(hour, { prefix: `r${hour}`, seed: hour, drifted: true }).events)
                addEvent(state, profile, event);
              await tx.putMonitorWindow({
                systemId: 'credit-scoring',
                start: at(hour),
                end: at(hour + 1),
                profile: sha256Hex(profileText),
                state: state as never,
                updatedAt: iso(at(22, 50)),
              });
            }
          });
          const firingBefore = (await alertEntries('alert.firing')).length;
          // Both replicas evaluate the same closed windows (18:00, from the reload test, and these) at
          // the same time: each window is evaluated by one of them, never by both.
          const evaluated = await Promise.all([
            server.arbiter.monitoring.evaluateDue(),
            replica.monitoring.evaluateDue(),
          ]);
          expect(evaluated[0] + evaluated[1]).toBe(4);
          expect((await alertEntries('alert.firing')).length).toBe(firingBefore + 1);
          expect((await get(t.erin, `${systemPath}/alerts`)).body.alerts[0]).toMatchObject({
            status: 'firing',
            consecutive: 3,
            lastWindow: at(21),
          });
        });
      });

    describe('a full batch', () => {
      it('takes 10 000 events with ids in one request, as NDJSON', async () => {
        server.clock.time = new Date(at(23, 50));
        const { events } = batch(23, { prefix: 'big', seed: 301, count: 10_000 });
        // How fast is bench/monitor's question; this test asks only that all of it is taken.
        const response = await post(t.creditScoring, `${systemPath}/events`, ndjson(events), {
          'content-type': 'application/x-ndjson',
        });
        expect(response.body).toMatchObject({ accepted: 10_000, rejected: 0 });
        expect((await windowAt(23)).metrics.window.rows).toBe(10_000);
        // Every id is stored for label joins.
        const sample = events.slice(0, 3).map((event) => ({ id: event.id, label: 1 }));
        expect((await post(t.creditScoring, `${systemPath}/labels`, sample)).body.accepted).toBe(3);
      });
    });

    describe('an alert rule removed from the bundle', () => {
      it('resolves the alert at the next window instead of leaving it firing', async () => {
        for (const hour of [24, 25, 26])
          await sendHour(hour, { prefix: `x${hour}`, seed: hour, drifted: true });
        expect((await get(t.erin, `${systemPath}/alerts`)).body.alerts[0]).toMatchObject({
          status: 'firing',
        });
        const policyFile = join(server.policyDir, 'monitors.yaml');
        writeFileSync(
          policyFile,
          monitorPolicy('credit-scoring.profile.json').replace('name: dataset-drift', 'name: input-drift'),
        );
        expect((await post(t.root, '/v1/policies/reload', undefined)).status).toBe(200);
        await sendHour(27, { prefix: 'x27', seed: 27, drifted: true });
        const resolved = (await alertEntries('alert.resolved')).at(-1);
        expect(resolved.data).toMatchObject({
          alert: 'dataset-drift',
          message: 'dataset-drift is no longer in the policy bundle',
          window: { start: iso(at(26)) },
        });
        const alerts = (await get(t.erin, `${systemPath}/alerts`)).body.alerts;
        expect(alerts.map((a: { alert: string; status: string }) => [a.alert, a.status])).toEqual([
          ['dataset-drift', 'ok'],
          ['input-drift', 'pending'],
        ]);
        writeFileSync(policyFile, monitorPolicy('credit-scoring.profile.json'));
        expect((await post(t.root, '/v1/policies/reload', undefined)).status).toBe(200);
      });
    });

    describe('the ledger', () => {
      it('verifies with every alert entry', async () => {
        await server.arbiter.checkpointIfGrown();
        const report = await auditLedger(storeAuditSource(server.arbiter.ledger), {
          verifiers: [parseVerifierKey(server.arbiter.ledger.verifierKey)],
          origin: server.arbiter.ledger.origin,
        });
        expect(report.problem).toBeUndefined();
        expect(report).toMatchObject({ ok: true, uncheckpointed: 0 });
        expect((await alertEntries('alert.firing')).length).toBeGreaterThanOrEqual(1);
      });
    });
  });
}
