import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { GateRunReport } from '../../src/app/gate-runs/report.js';
import { storeAuditSource } from '../../src/app/ledger/export.js';
import { ArbiterClient, type GateRunReport as ClientGateRunReport } from '../../src/client/index.js';
import { canonicalJson } from '../../src/core/canonical-json.js';
import { sha256Hex } from '../../src/core/digest.js';
import type { GateRun } from '../../src/gate/run.js';
import { auditLedger, parseVerifierKey } from '../../src/ledger/index.js';
import { buildServer } from '../../src/server/app.js';
import { postgresAvailable } from '../helpers/postgres.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

// What `arbiter gate` produces must be what the server and the client accept: same top-level fields, assignable.
type SameKeys<A, B> = [keyof A] extends [keyof B] ? ([keyof B] extends [keyof A] ? true : false) : false;
const serverKeysMatch: SameKeys<GateRun, GateRunReport> = true;
const clientKeysMatch: SameKeys<GateRun, ClientGateRunReport> = true;
const serverAccepts = (run: GateRun): GateRunReport => run;
const clientAccepts = (run: GateRun): ClientGateRunReport => run;

/** A gate run as `arbiter gate` reports it; typed as the producer's type so drift fails the type check. */
function gateRun(overrides: Partial<GateRun> & { system?: string; version?: string } = {}): GateRun {
  const { system = 'credit-scoring', version = '1.4.0', ...rest } = overrides;
  return {
    release: { file: 'release.yaml', name: `${system}-${version}`, system, version },
    baseline: { file: 'baseline.yaml', name: `${system}-1.3.0`, version: '1.3.0' },
    bundle: `sha256:${'b'.repeat(64)}`,
    passed: false,
    checks: [
      {
        policy: 'credit-scoring-release',
        check: 'accuracy-floor',
        severity: 'error',
        status: 'passed',
        message: 'accuracy-floor holds',
        facts: { 'release.metrics.accuracy': 0.74 },
        expected: 'release.metrics.accuracy >= 0.70',
      },
      {
        policy: 'credit-scoring-release',
        check: 'vulnerabilities',
        severity: 'error',
        status: 'failed',
        message: '1 vulnerable package',
        facts: { count: 1 },
        expected: 'no vulnerability of severity medium or higher',
        findings: [
          {
            id: 'GHSA-xxxx-yyyy-zzzz',
            aliases: ['CVE-2026-0001'],
            message: 'numpy 1.21.0: buffer overflow',
            failing: true,
            location: { file: 'requirements.txt', line: 3 },
          },
        ],
        expiredWaivers: [{ name: 'old-numpy', expired: '2026-10-01' }],
      },
      {
        policy: 'credit-scoring-release',
        check: 'model-card-present',
        severity: 'warning',
        status: 'waived',
        message: 'waived',
        facts: {},
        expected: 'has(release.modelCard)',
        waiver: { name: 'card-later', owner: 'risk-ml', reason: 'card in review', expires: '2026-12-31' },
      },
    ],
    summary: {
      models: [
        { path: 'model/model.safetensors', sha256: 'c'.repeat(64), format: 'safetensors', sizeBytes: 1024 },
        { path: 'model/missing.bin' },
      ],
      packages: 12,
      vulnerabilities: 1,
      scanFindings: 0,
      database: { source: 'examples/osv', records: 2, ageDays: 3 },
      bom: {
        source: 'generated',
        serialNumber: 'urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79',
        components: 14,
      },
    },
    warnings: ['no model card'],
    startedAt: '2026-11-17T09:59:58.000Z',
    durationMs: 812,
    ...rest,
  };
}

const hasPostgres = await postgresAvailable();

for (const backend of ['sqlite', 'postgres'] as const) {
  describe.skipIf(backend === 'postgres' && !hasPostgres)(`gate runs on ${backend}`, () => {
    let server: TestServer;
    let t: Record<string, string>;

    beforeAll(async () => {
      server = await startTestServer({
        backend,
        extraPolicies: {
          'fraud-model.yaml': `apiVersion: arbiter/v1
kind: System
metadata: { name: fraud-model }
spec:
  kind: model
  owner: { team: risk-ml, person: sam@example.com }
  onCall: { team: risk-ml-oncall }
  autonomy: 1
  riskTier: high
`,
        },
      });
      t = server.tokens;
    });
    afterAll(async () => {
      await server?.close();
    });
    // Each run is recorded a second later than the one before, so "newest first" is unambiguous.
    beforeEach(() => {
      server.clock.advance(1000);
    });

    const post = (token: string | undefined, body: unknown) =>
      server.call(token, 'POST', '/v1/gate-runs', body);
    const get = (token: string | undefined, path: string) => server.call(token, 'GET', path);
    const ledgerSize = () => server.arbiter.store.ledger.size();
    const entryAt = async (seq: number) => {
      const [stored] = await server.arbiter.store.ledger.entries(seq, seq + 1);
      return JSON.parse(Buffer.from(stored!.bytes).toString('utf8'));
    };
    const reportHash = (run: GateRun) => sha256Hex(canonicalJson(run as never));

    it('the producer type, the server schema and the client type agree', () => {
      expect([serverKeysMatch, clientKeysMatch]).toEqual([true, true]);
      expect(serverAccepts(gateRun())).toEqual(clientAccepts(gateRun()));
    });

    describe('recording', () => {
      it('records a run: 201, a gate.run ledger entry about the System that pins the report', async () => {
        const run = gateRun();
        const before = await ledgerSize();
        const response = await post(t.creditScoring, { ...run, idempotencyKey: 'ci-4711' });
        expect(response.status).toBe(201);
        expect(response.body).toEqual({
          id: expect.stringMatching(/^gate_[0-9a-z]{22}$/),
          system: 'credit-scoring',
          version: '1.4.0',
          release: 'credit-scoring-1.4.0',
          passed: false,
          bundle: run.bundle,
          startedAt: run.startedAt,
          recordedAt: server.clock.now().toISOString(),
          recordedBy: 'system:credit-scoring',
          reportSha256: reportHash(run),
          ledgerIndex: before,
        });
        expect(await ledgerSize()).toBe(before + 1);
        const entry = await entryAt(response.body.ledgerIndex);
        expect(entry).toMatchObject({
          type: 'gate.run',
          actor: 'system:credit-scoring',
          subject: 'credit-scoring',
          data: {
            gateRun: response.body.id,
            system: 'credit-scoring',
            version: '1.4.0',
            release: 'credit-scoring-1.4.0',
            passed: false,
            bundle: run.bundle,
            checks: [
              {
                policy: 'credit-scoring-release',
                check: 'accuracy-floor',
                status: 'passed',
                severity: 'error',
              },
              {
                policy: 'credit-scoring-release',
                check: 'vulnerabilities',
                status: 'failed',
                severity: 'error',
              },
              {
                policy: 'credit-scoring-release',
                check: 'model-card-present',
                status: 'waived',
                severity: 'warning',
              },
            ],
            models: [
              { path: 'model/model.safetensors', sha256: 'c'.repeat(64) },
              { path: 'model/missing.bin', sha256: null },
            ],
            bomSerialNumber: 'urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79',
            reportSha256: reportHash(run),
          },
        });
        // The stored report is exactly what was sent, and hashes to what the ledger pins.
        const stored = await get(t.erin, `/v1/gate-runs/${response.body.id}`);
        expect(stored.status).toBe(200);
        expect(stored.body.report).toEqual(run);
        expect(sha256Hex(canonicalJson(stored.body.report))).toBe(entry.data.reportSha256);
      });

      it('admins record too; a run without a BOM serial number or idempotency key is pinned with null', async () => {
        const run = gateRun({ system: 'fraud-model', version: '0.9.0', passed: true });
        run.checks = run.checks.filter((check) => check.status !== 'failed');
        delete run.summary.bom.serialNumber;
        delete run.baseline;
        const response = await post(t.root, run);
        expect(response.status).toBe(201);
        expect(response.body).toMatchObject({ recordedBy: 'user:root', system: 'fraud-model', passed: true });
        expect((await entryAt(response.body.ledgerIndex)).data.bomSerialNumber).toBeNull();
      });

      it('a repeated idempotency key returns the first record, with no second ledger entry', async () => {
        const run = gateRun({ version: '1.5.0' });
        const first = await post(t.creditScoring, { ...run, idempotencyKey: 'ci-5000' });
        expect(first.status).toBe(201);
        const size = await ledgerSize();
        server.clock.advance(60_000);
        const again = await post(t.creditScoring, { ...run, idempotencyKey: 'ci-5000' });
        expect(again.status).toBe(200);
        expect(again.body).toEqual(first.body);
        expect(await ledgerSize()).toBe(size);
        // The key belongs to its recorder: another token using it records its own run.
        const other = await post(t.root, { ...run, idempotencyKey: 'ci-5000' });
        expect(other.status).toBe(201);
        expect(other.body.id).not.toBe(first.body.id);
      });

      it('concurrent retries with one idempotency key record once', async () => {
        const run = { ...gateRun({ version: '1.5.1' }), idempotencyKey: 'ci-5001' };
        const size = await ledgerSize();
        const responses = await Promise.all(Array.from({ length: 8 }, () => post(t.creditScoring, run)));
        expect(responses.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 201]);
        expect(new Set(responses.map((r) => r.body.id)).size).toBe(1);
        expect(await ledgerSize()).toBe(size + 1);
      });

      it('the same idempotency key with a different report is a 409, recording nothing', async () => {
        const run = gateRun({ version: '1.6.0' });
        expect((await post(t.creditScoring, { ...run, idempotencyKey: 'ci-6000' })).status).toBe(201);
        const size = await ledgerSize();
        const changed = await post(t.creditScoring, {
          ...run,
          bundle: `sha256:${'c'.repeat(64)}`,
          idempotencyKey: 'ci-6000',
        });
        expect(changed.status).toBe(409);
        expect(changed.body.error.code).toBe('ARB_ERR_IDEMPOTENCY_CONFLICT');
        expect(await ledgerSize()).toBe(size);
      });

      it('a pass its own checks contradict (or that rests on no check) is a 422, recording nothing', async () => {
        const size = await ledgerSize();
        const forged = await post(t.deployBot, { ...gateRun({ version: '1.7.0' }), passed: true });
        expect(forged.status).toBe(422);
        expect(forged.body.error).toMatchObject({
          code: 'ARB_ERR_GATE_RESULT_INCONSISTENT',
          details: { passed: true, implied: false, failed: ['credit-scoring-release/vulnerabilities'] },
        });
        const empty = await post(t.deployBot, { ...gateRun({ version: '1.7.1' }), passed: true, checks: [] });
        expect([empty.status, empty.body.error.message]).toEqual([
          422,
          'the gate run has no checks, so it cannot pass',
        ]);
        expect(await ledgerSize()).toBe(size);
      });

      it('a System the policy bundle does not register is a 422 naming it, recording nothing', async () => {
        const size = await ledgerSize();
        const response = await post(t.creditScoring, gateRun({ system: 'ghost-model' }));
        expect(response.status).toBe(422);
        expect(response.body.error).toMatchObject({
          code: 'ARB_ERR_GATE_SYSTEM_UNKNOWN',
          message: expect.stringContaining('"ghost-model"'),
          details: { system: 'ghost-model', bundle: server.arbiter.policies.bundle.digest },
        });
        expect(await ledgerSize()).toBe(size);
      });

      it('approvers and auditors may not record (403); agents may not read (403); no token is a 401', async () => {
        for (const token of [t.alice, t.erin]) {
          const response = await post(token, gateRun());
          expect(response.status).toBe(403);
          expect(response.body.error.code).toBe('ARB_ERR_FORBIDDEN');
        }
        expect((await get(t.creditScoring, '/v1/gate-runs')).status).toBe(403);
        expect((await post(undefined, gateRun())).body.error.code).toBe('ARB_ERR_AUTH_REQUIRED');
      });

      it('the client records with a generated idempotency key', async () => {
        const client = new ArbiterClient({ url: server.url, token: t.creditScoring! });
        const run = gateRun({ version: '1.7.0' });
        const recorded = await client.recordGateRun(run);
        expect(recorded).toMatchObject({ system: 'credit-scoring', version: '1.7.0' });
        expect(typeof recorded.ledgerIndex).toBe('number');
        const again = await client.recordGateRun(run, 'fixed-key');
        expect(again.id).not.toBe(recorded.id);
        expect((await client.recordGateRun(run, 'fixed-key')).id).toBe(again.id);
        const reader = new ArbiterClient({ url: server.url, token: t.erin! });
        expect((await reader.getGateRun(recorded.id)).report).toEqual(run);
        expect((await reader.listGateRuns({ version: '1.7.0' })).gateRuns.map((r) => r.id)).toEqual([
          again.id,
          recorded.id,
        ]);
      });
    });

    describe('malformed gate runs', () => {
      const valid = gateRun();
      it.each([
        ['malformed JSON', '{"release": '],
        ['not an object', [valid]],
        ['no release', { ...valid, release: undefined }],
        ['a release without its System', { ...valid, release: { ...valid.release, system: undefined } }],
        ['an empty version', { ...valid, release: { ...valid.release, version: '' } }],
        ['a bundle that is not a digest', { ...valid, bundle: 'latest' }],
        ['passed as a string', { ...valid, passed: 'yes' }],
        ['checks not an array', { ...valid, checks: {} }],
        ['a check with an unknown status', { ...valid, checks: [{ ...valid.checks[0], status: 'skipped' }] }],
        ['a check without facts', { ...valid, checks: [{ ...valid.checks[0], facts: undefined }] }],
        ['a negative package count', { ...valid, summary: { ...valid.summary, packages: -1 } }],
        [
          'a model digest that is not hex',
          { ...valid, summary: { ...valid.summary, models: [{ path: 'm', sha256: 'x' }] } },
        ],
        ['a start time that is not a time', { ...valid, startedAt: 'yesterday' }],
        ['a fractional duration', { ...valid, durationMs: 1.5 }],
        ['an unknown top-level field', { ...valid, recordedBy: 'someone-else' }],
        ['an empty idempotency key', { ...valid, idempotencyKey: '' }],
        [
          'facts nested 100 deep',
          { ...valid, checks: [{ ...valid.checks[0], facts: { deep: nested(100) } }] },
        ],
      ])('%s → 400 ARB_ERR_REQUEST_INVALID', async (_name, body) => {
        const size = await ledgerSize();
        const response = await post(
          t.creditScoring,
          typeof body === 'string' ? body : JSON.parse(JSON.stringify(body)),
        );
        expect(response.status).toBe(400);
        expect(response.body.error.code).toBe('ARB_ERR_REQUEST_INVALID');
        expect(response.body.error.message.length).toBeGreaterThan(5);
        expect(await ledgerSize()).toBe(size);
      });

      it('facts nested 100 000 deep are refused without exhausting the stack', async () => {
        const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
        const text = JSON.stringify({
          ...valid,
          checks: [{ ...valid.checks[0], facts: { deep: 0 } }],
        }).replace('"deep":0', `"deep":${deep}`);
        const response = await post(t.creditScoring, text);
        expect(response.status).toBe(400);
        expect(response.body.error.code).toBe('ARB_ERR_REQUEST_INVALID');
      });

      it('a body over the route limit (8 MiB) is a 413', async () => {
        const response = await post(t.creditScoring, { ...valid, warnings: ['x'.repeat(9 * 1024 * 1024)] });
        expect(response.status).toBe(413);
        expect(response.body.error.code).toBe('ARB_ERR_PAYLOAD_TOO_LARGE');
      });

      it('at most 5000 checks, even where the body limit would allow more', async () => {
        const { app } = await buildServer(server.arbiter, { bodyLimit: 8 * 1024 * 1024 });
        try {
          const check = { ...valid.checks[0]! };
          const send = (count: number) =>
            app.inject({
              method: 'POST',
              url: '/v1/gate-runs',
              headers: { authorization: `Bearer ${t.creditScoring}` },
              payload: { ...valid, passed: true, checks: Array.from({ length: count }, () => check) },
            });
          const tooMany = await send(5001);
          expect(tooMany.statusCode).toBe(400);
          expect(tooMany.json().error.code).toBe('ARB_ERR_REQUEST_INVALID');
          expect((await send(5000)).statusCode).toBe(201);
        } finally {
          await app.close();
        }
      });
    });

    describe('reading', () => {
      let ids: Record<string, string>;
      beforeAll(async () => {
        ids = {};
        for (const [name, system, version] of [
          ['a1', 'credit-scoring', '2.0.0'],
          ['b1', 'fraud-model', '2.0.0'],
          ['a2', 'credit-scoring', '2.1.0'],
          ['a3', 'credit-scoring', '2.0.0'],
        ] as const) {
          server.clock.advance(1000);
          const response = await post(t.creditScoring, gateRun({ system, version }));
          expect(response.status).toBe(201);
          ids[name] = response.body.id;
        }
      });

      it('lists newest first, filtered by System and version, without reports', async () => {
        const all = await get(t.erin, '/v1/gate-runs?limit=4');
        expect(all.status).toBe(200);
        expect(all.body.gateRuns.map((r: { id: string }) => r.id)).toEqual([ids.a3, ids.a2, ids.b1, ids.a1]);
        expect(all.body.gateRuns[0]).not.toHaveProperty('report');
        const system = await get(t.alice, '/v1/gate-runs?system=fraud-model');
        expect(system.body.gateRuns.every((r: { system: string }) => r.system === 'fraud-model')).toBe(true);
        expect(system.body.gateRuns.map((r: { id: string }) => r.id)).toContain(ids.b1);
        const version = await get(t.root, '/v1/gate-runs?system=credit-scoring&version=2.0.0');
        expect(version.body).toEqual({
          gateRuns: [expect.objectContaining({ id: ids.a3 }), expect.objectContaining({ id: ids.a1 })],
          nextCursor: null,
        });
      });

      it('pages with nextCursor', async () => {
        const seen: string[] = [];
        let cursor: string | null = null;
        do {
          const page: { body: { gateRuns: { id: string }[]; nextCursor: string | null } } = await get(
            t.erin,
            `/v1/gate-runs?system=credit-scoring&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
          );
          expect(page.body.gateRuns.length).toBeLessThanOrEqual(2);
          seen.push(...page.body.gateRuns.map((r) => r.id));
          cursor = page.body.nextCursor;
        } while (cursor);
        expect(seen.slice(0, 3)).toEqual([ids.a3, ids.a2, ids.a1]);
        expect(new Set(seen).size).toBe(seen.length);
        const everything = await get(t.erin, '/v1/gate-runs?system=credit-scoring&limit=500');
        expect(seen).toEqual(everything.body.gateRuns.map((r: { id: string }) => r.id));
      });

      it('gets one run with its report; unknown ids are a 404; bad queries a 400', async () => {
        const one = await get(t.alice, `/v1/gate-runs/${ids.b1}`);
        expect(one.status).toBe(200);
        expect(one.body).toMatchObject({
          id: ids.b1,
          system: 'fraud-model',
          report: gateRun({ system: 'fraud-model', version: '2.0.0' }),
        });
        const missing = await get(t.erin, '/v1/gate-runs/gate_nope');
        expect(missing.status).toBe(404);
        expect(missing.body).toEqual({
          error: { code: 'ARB_ERR_NOT_FOUND', message: 'no gate run gate_nope' },
        });
        expect((await get(t.erin, '/v1/gate-runs?limit=abc')).status).toBe(400);
        expect((await get(t.erin, '/v1/gate-runs?cursor=garbage')).body.error.code).toBe(
          'ARB_ERR_REQUEST_INVALID',
        );
        expect((await get(t.erin, '/v1/gate-runs?owner=x')).status).toBe(400);
      });
    });

    describe('operations', () => {
      it('counts recorded runs in /metrics and describes the routes in /openapi.json', async () => {
        const metrics = (await get(undefined, '/metrics')).text;
        expect(metrics).toMatch(/arbiter_gate_runs_total\{result="failed"\} [1-9]/);
        expect(metrics).toMatch(/arbiter_gate_runs_total\{result="passed"\} [1-9]/);
        const openapi = (await get(undefined, '/openapi.json')).body;
        expect(openapi.paths['/v1/gate-runs'].post.tags).toEqual(['gate runs']);
        expect(Object.keys(openapi.paths['/v1/gate-runs/{id}'])).toEqual(['get']);
      });

      it('the ledger with every gate run verifies against its checkpoint', async () => {
        await server.arbiter.checkpointIfGrown();
        const report = await auditLedger(storeAuditSource(server.arbiter.ledger), {
          verifiers: [parseVerifierKey(server.arbiter.ledger.verifierKey)],
          origin: server.arbiter.ledger.origin,
        });
        expect(report.problem).toBeUndefined();
        expect(report).toMatchObject({ ok: true, uncheckpointed: 0 });
        const types = (await server.arbiter.store.ledger.entries(0, report.entries)).map((e) => e.type);
        expect(types.filter((type) => type === 'gate.run').length).toBeGreaterThanOrEqual(10);
      });
    });
  });
}

function nested(depth: number): unknown {
  let value: unknown = 0;
  for (let i = 0; i < depth; i++) value = { v: value };
  return value;
}
