import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { postgresAvailable } from '../helpers/postgres.js';
import { deploy, startTestServer, type TestServer } from '../helpers/server.js';
import { tempDir } from '../helpers/temp.js';

const hasPostgres = await postgresAvailable();

async function arbiter(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['node', 'arbiter', ...args], {
    out: (text) => out.push(text),
    err: (text) => err.push(text),
  });
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

/** A copy of the server's policies with `edits` applied: file → [search, replacement]. */
function candidate(server: TestServer, edits: Record<string, [string | RegExp, string][]>): string {
  const dir = join(tempDir('arbiter-candidate-'), 'policies');
  cpSync(server.policyDir, dir, { recursive: true });
  for (const [file, replacements] of Object.entries(edits)) {
    let text = readFileSync(join(dir, file), 'utf8');
    for (const [search, replacement] of replacements) {
      const next = text.replace(search, replacement);
      expect(next, `${file}: ${search}`).not.toBe(text);
      text = next;
    }
    writeFileSync(join(dir, file), text);
  }
  return dir;
}

const effects = ['allow', 'require_approval', 'deny'] as const;
type Matrix = Record<(typeof effects)[number], Record<(typeof effects)[number], number>>;
/** A matrix from its non-zero cells, e.g. {'allow>deny': 1}. */
function matrix(cells: Record<string, number>): Matrix {
  const out = Object.fromEntries(
    effects.map((from) => [from, Object.fromEntries(effects.map((to) => [to, 0]))]),
  );
  for (const [key, count] of Object.entries(cells)) {
    const [from, to] = key.split('>') as [keyof Matrix, keyof Matrix];
    out[from]![to] = count;
  }
  return out as Matrix;
}

for (const backend of ['sqlite', 'postgres'] as const) {
  describe.skipIf(backend === 'postgres' && !hasPostgres)(`arbiter policy replay on ${backend}`, () => {
    let server: TestServer;
    const ids: Record<string, string> = {};

    beforeAll(async () => {
      server = await startTestServer({ backend });
      const t = server.tokens;
      const ask = async (name: string, token: string, body: unknown, expected: string) => {
        server.clock.advance(60_000);
        const response = await server.call(token, 'POST', '/v1/decisions', body);
        expect(response.body.effect, name).toBe(expected);
        ids[name] = response.body.id;
      };
      const staging = { resource: { type: 'service', id: 'payments', environment: 'staging' } };
      await ask('small prod deploy', t.deployBot!, deploy(), 'allow');
      await ask(
        'big prod deploy',
        t.deployBot!,
        deploy({ change: { linesChanged: 900 } }),
        'require_approval',
      );
      await ask('no real rationale', t.deployBot!, deploy({ rationale: 'short' }), 'deny');
      await ask('staging deploy', t.deployBot!, deploy(staging), 'allow');
      await ask('observe-only deploy', t.triageBot!, deploy(staging), 'deny');
      await ask(
        'prod migration',
        t.migrateBot!,
        {
          action: 'db.migrate',
          resource: { type: 'database', id: 'orders', environment: 'prod' },
          change: { destructive: false },
          rationale: 'Add an index on orders.created_at',
        },
        'require_approval',
      );
      await ask('human prod deploy', t.alice!, deploy(), 'allow');
      await server.call(t.root, 'POST', '/v1/systems/triage-bot/freeze', { reason: 'replay test' });
      await ask('frozen', t.triageBot!, deploy(staging), 'deny');
      await server.call(t.root, 'POST', '/v1/systems/triage-bot/unfreeze', { reason: 'replay test' });
    });
    afterAll(async () => {
      await server?.close();
    });

    const replay = (policies: string, ...extra: string[]) =>
      arbiter([
        'policy',
        'replay',
        '--policies',
        policies,
        '--db',
        server.databaseUrl,
        '--since',
        '2026-11-01T00:00:00Z',
        ...extra,
      ]);

    it('the bundle that decided changes nothing; kill-switch denials are not replayed', async () => {
      const result = await replay(server.policyDir, '--json', '--fail-on-loosen');
      expect(result.code, result.stderr).toBe(0);
      const report = JSON.parse(result.stdout);
      expect(report).toMatchObject({
        replayed: 7,
        skippedFrozen: 1,
        changed: 0,
        loosened: 0,
        tightened: 0,
        transitions: [],
        since: '2026-11-01T00:00:00.000Z',
      });
      expect(report.matrix).toEqual(
        matrix({ 'allow>allow': 3, 'require_approval>require_approval': 2, 'deny>deny': 2 }),
      );
    });

    it('a loosening candidate: the matrix, the actors, the rules that changed, and exit 1 with --fail-on-loosen', async () => {
      const loose = candidate(server, {
        'deploys.yaml': [['orValue(0) > 500', 'orValue(0) > 1000']],
        'autonomy.yaml': [
          [
            'when: actor.autonomy == 0',
            "when: actor.autonomy == 0 && request.resource.?environment.orValue('') == 'prod'",
          ],
        ],
      });
      const result = await replay(loose, '--json', '--fail-on-loosen', '--limit', '1');
      expect(result.code, result.stderr).toBe(1);
      const report = JSON.parse(result.stdout);
      expect(report.matrix).toEqual(
        matrix({
          'allow>allow': 3,
          'require_approval>allow': 1,
          'require_approval>require_approval': 1,
          'deny>allow': 1,
          'deny>deny': 1,
        }),
      );
      expect(report).toMatchObject({ replayed: 7, changed: 2, loosened: 2, tightened: 0 });
      expect(report.transitions).toEqual([
        {
          from: 'require_approval',
          to: 'allow',
          count: 1,
          loosens: true,
          actors: [{ id: 'system:deploy-bot', count: 1 }],
          examples: [
            expect.objectContaining({
              id: ids['big prod deploy'],
              rulesAdded: [],
              rulesRemoved: ['prod-deploys/needs-sre'],
              rulesChanged: [],
            }),
          ],
        },
        {
          from: 'deny',
          to: 'allow',
          count: 1,
          loosens: true,
          actors: [{ id: 'system:triage-bot', count: 1 }],
          examples: [
            expect.objectContaining({
              id: ids['observe-only deploy'],
              action: 'deploy',
              resource: { type: 'service', id: 'payments', environment: 'staging' },
              rulesRemoved: ['autonomy-levels/observe-only'],
            }),
          ],
        },
      ]);
      expect((await replay(loose)).code).toBe(0);
    });

    it('a tightening candidate passes --fail-on-loosen; the text report shows the matrix and examples', async () => {
      const tight = candidate(server, {
        'deploys.yaml': [
          [
            /- name: allowed\n {6}when: "true"\n {6}effect: allow/,
            '- name: allowed\n      when: "true"\n      effect: require_approval',
          ],
          [
            '    - name: small-confident-change',
            "    - name: humans-use-the-pipeline\n      when: actor.kind == 'human'\n      effect: deny\n    - name: small-confident-change",
          ],
        ],
      });
      const result = await replay(tight, '--fail-on-loosen');
      expect(result.code, result.stderr).toBe(0);
      const lines = result.stdout.split('\n');
      expect(lines[0]).toMatch(
        /^replayed 7 decisions since 2026-11-01T00:00:00.000Z against .* \(sha256:[0-9a-f]{64}\); 1 denied by the kill switch were not replayed$/,
      );
      const table = lines.slice(2, 6);
      expect(table.map((line) => line.split(/ {2,}/))).toEqual([
        ['then \\ now', 'allow', 'require_approval', 'deny'],
        ['allow', '1', '1', '1'],
        ['require_approval', '0', '2', '0'],
        ['deny', '0', '0', '2'],
      ]);
      // Columns line up: every row is as long as the header.
      expect(new Set(table.map((line) => line.length)).size).toBe(1);
      expect(result.stdout).toContain('2 would change: 0 loosened, 2 tightened');
      expect(result.stdout).toContain('allow → deny: 1  [user:alice 1]');
      expect(result.stdout).toContain(
        `  ${ids['human prod deploy']}  2026-11-17T10:07:00.000Z  deploy service:payments (prod) by user:alice  rules +prod-deploys/humans-use-the-pipeline`,
      );
      expect(result.stdout).toContain('allow → require_approval: 1  [system:deploy-bot 1]');
      expect(result.stdout).toContain(
        `  ${ids['staging deploy']}  2026-11-17T10:04:00.000Z  deploy service:payments (staging) by system:deploy-bot  rules ~non-prod-deploys/allowed (allow → require_approval)`,
      );
    });

    it('bad input exits 2', async () => {
      expect((await replay(server.policyDir, '--since', 'yesterday')).code).toBe(2);
      expect((await replay(server.policyDir, '--limit', 'many')).code).toBe(2);
      expect((await replay(join(server.dir, 'no-such-policies'))).code).toBe(2);
      const missing = await arbiter([
        'policy',
        'replay',
        '--policies',
        server.policyDir,
        '--db',
        `sqlite:${join(server.dir, 'missing.db')}`,
      ]);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain('no such database file');
    });
  });
}
