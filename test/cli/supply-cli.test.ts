import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Log as SarifLog } from 'sarif';
import { describe, expect, it } from 'vitest';
import { bomSchemaErrors } from '../../src/app/supply/bom-schema-files.js';
import { arbiter, arbiterAsync } from '../helpers/cli.js';
import { startTestServer } from '../helpers/server.js';
import { tempDir } from '../helpers/temp.js';

const releases = 'examples/releases/credit-scoring';
const out = tempDir('arbiter-supply-cli-');

/** The example policies without the example waiver (it expires) and failing only on high vulnerabilities. */
function timelessPolicies(): string {
  const dir = join(tempDir('arbiter-policies-'), 'policies');
  cpSync('examples/policies', dir, { recursive: true });
  rmSync(join(dir, 'waivers.yaml'));
  const gates = join(dir, 'gates.yaml');
  writeFileSync(gates, readFileSync(gates, 'utf8').replace('failOn: medium', 'failOn: high'));
  return dir;
}

// Each test spawns the CLI several times; on a loaded machine one spawn can take seconds.
describe('arbiter gate', { timeout: 120_000 }, () => {
  it('exits 0 for a passing release and 1 for a failing one, writing SARIF, JUnit, Markdown and the BOM', () => {
    const policies = timelessPolicies();
    const pass = arbiter([
      'gate',
      '--policies',
      policies,
      '--release',
      `${releases}/1.1.0/release.yaml`,
      '--osv',
      'examples/osv',
    ]);
    expect(pass.stdout).toContain('gate: passed');
    expect(pass.code).toBe(0);

    const files = ['sarif', 'junit', 'markdown', 'bom'].map((kind) => join(out, `gate.${kind}`));
    const fail = arbiter([
      'gate',
      '--policies',
      policies,
      '--release',
      `${releases}/1.2.0/release.yaml`,
      '--baseline',
      `${releases}/1.1.0/release.yaml`,
      '--osv',
      'examples/osv',
      '--sarif',
      files[0]!,
      '--junit',
      files[1]!,
      '--markdown',
      files[2]!,
      '--bom',
      files[3]!,
    ]);
    expect(fail.code).toBe(1);
    expect(fail.stdout).toContain(
      'FAIL   credit-scoring-release/no-accuracy-regression: accuracy fell from 0.772 to 0.728',
    );

    const sarif = JSON.parse(readFileSync(files[0]!, 'utf8'));
    expect(sarif.version).toBe('2.1.0');
    const results = sarif.runs[0].results as {
      ruleId: string;
      level: string;
      locations: {
        physicalLocation: {
          artifactLocation: { uri: string };
          region: { startLine: number; byteOffset?: number };
        };
      }[];
    }[];
    const pickle = results.find((r) => r.ruleId === 'credit-scoring-release/model-scan')!;
    expect(pickle.level).toBe('error');
    expect(pickle.locations[0]!.physicalLocation.artifactLocation.uri).toBe(
      `${releases}/1.2.0/model/preprocess.pkl`,
    );
    expect(pickle.locations[0]!.physicalLocation.region).toEqual({ startLine: 1, byteOffset: 2 });
    const auc = results.find((r) => r.ruleId === 'credit-scoring-release/auc-floor')!;
    const releaseLines = readFileSync(`${releases}/1.2.0/release.yaml`, 'utf8').split('\n');
    expect(releaseLines[auc.locations[0]!.physicalLocation.region.startLine - 1]).toMatch(/^\s+metrics:/);
    const ruleIds = sarif.runs[0].tool.driver.rules.map((rule: { id: string }) => rule.id);
    for (const result of results) expect(ruleIds).toContain(result.ruleId);

    const junit = readFileSync(files[1]!, 'utf8');
    expect(junit).toMatch(/<testsuites tests="10" failures="5" skipped="0">/);
    expect(junit).toContain('<testcase name="auc-floor" classname="arbiter.gate.credit-scoring-release">');

    const markdown = readFileSync(files[2]!, 'utf8');
    expect(markdown).toContain('## ❌ Release gate failed: credit-scoring 1.2.0');
    expect(markdown).toContain(
      '| ❌ | `credit-scoring-release/licenses` | 1 licence problem: 1 denied, 0 not allowed, 0 unknown |',
    );

    expect(bomSchemaErrors(JSON.parse(readFileSync(files[3]!, 'utf8')))).toEqual([]);
  });

  it('prints the whole run as JSON', () => {
    const result = arbiter([
      'gate',
      '--policies',
      timelessPolicies(),
      '--release',
      `${releases}/1.2.0/release.yaml`,
      '--json',
    ]);
    expect(result.code).toBe(1);
    const run = JSON.parse(result.stdout);
    expect(run).toMatchObject({ passed: false, release: { system: 'credit-scoring', version: '1.2.0' } });
    expect(
      run.checks.find((c: { check: string }) => c.check === 'vulnerability-database').findings[0].message,
    ).toContain('no OSV database was given');
  });

  it('exits 2 with file:line:col for a bad release file, and for missing inputs', () => {
    const bad = join(out, 'bad-release.yaml');
    writeFileSync(
      bad,
      'apiVersion: arbiter/v1\nkind: Release\nmetadata: { name: x }\nspec:\n  system: s\n  versoin: 1\n',
    );
    const result = arbiter(['gate', '--policies', 'examples/policies', '--release', bad]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${bad}:6:3: unknown field "versoin" in spec`);
    expect(result.stderr).toContain(`${bad}:5:3: missing required field "version" in spec`);

    const missing = arbiter(['gate', '--policies', 'examples/policies', '--release', join(out, 'nope.yaml')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.yaml cannot be read');

    const osv = arbiter([
      'gate',
      '--policies',
      'examples/policies',
      '--release',
      `${releases}/1.1.0/release.yaml`,
      '--osv',
      join(out, 'no-osv'),
    ]);
    expect(osv.code).toBe(2);
    expect(osv.stderr).toMatch(/error: .*no-osv/);

    const noToken = arbiter(
      [
        'gate',
        '--policies',
        'examples/policies',
        '--release',
        `${releases}/1.1.0/release.yaml`,
        '--record',
        'http://127.0.0.1:9',
      ],
      { env: { ARBITER_TOKEN: '' } },
    );
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toContain('--record needs a token');
  });
});

describe('arbiter gate --record', () => {
  it('sends the run to the server, which stores it and pins it with a gate.run ledger entry', async () => {
    const server = await startTestServer();
    try {
      const result = await arbiterAsync(
        [
          'gate',
          '--policies',
          timelessPolicies(),
          '--release',
          `${releases}/1.2.0/release.yaml`,
          '--record',
          server.url,
          '--json',
        ],
        { env: { ARBITER_TOKEN: server.tokens.creditScoring! } },
      );
      expect(result.code).toBe(1);
      const run = JSON.parse(result.stdout);
      expect(run.recorded).toMatchObject({ id: expect.any(String), ledgerIndex: expect.any(Number) });
      const stored = await server.call(server.tokens.erin, 'GET', `/v1/gate-runs/${run.recorded.id}`);
      expect(stored.status).toBe(200);
      expect(stored.body).toMatchObject({ system: 'credit-scoring', version: '1.2.0', passed: false });
      const [entry] = await server.arbiter.store.ledger.entries(
        run.recorded.ledgerIndex,
        run.recorded.ledgerIndex + 1,
      );
      expect(JSON.parse(Buffer.from(entry!.bytes).toString('utf8'))).toMatchObject({
        type: 'gate.run',
        subject: 'credit-scoring',
        data: { version: '1.2.0', passed: false },
      });

      const wrongRole = await arbiterAsync(
        [
          'gate',
          '--policies',
          timelessPolicies(),
          '--release',
          `${releases}/1.2.0/release.yaml`,
          '--record',
          server.url,
        ],
        { env: { ARBITER_TOKEN: server.tokens.alice! } },
      );
      expect(wrongRole.code).toBe(2);
      expect(wrongRole.stderr).toContain('recording the gate run failed');
    } finally {
      await server.close();
    }
  });
});

describe('arbiter bom', { timeout: 120_000 }, () => {
  it('writes a valid CycloneDX BOM for a release and for this repository', () => {
    const file = join(out, 'release-bom.json');
    const result = arbiter(['bom', `${releases}/1.2.0/release.yaml`, '-o', file, '--osv', 'examples/osv']);
    expect(result.code).toBe(0);
    const bom = JSON.parse(readFileSync(file, 'utf8'));
    expect(bomSchemaErrors(bom)).toEqual([]);
    expect(bom.components.map((c: { type: string; name: string }) => `${c.type}:${c.name}`)).toEqual(
      expect.arrayContaining([
        'machine-learning-model:model/preprocess.pkl',
        'data:german-credit',
        'library:pyyaml',
      ]),
    );
    expect(bom.vulnerabilities.map((v: { id: string }) => v.id).sort()).toEqual([
      'GHSA-8q59-q68h-6hv4',
      'GHSA-9wx4-h78v-vm56',
    ]);

    const self = arbiter(['bom', '.']);
    expect(self.code).toBe(0);
    const repo = JSON.parse(self.stdout);
    expect(bomSchemaErrors(repo)).toEqual([]);
    expect(repo.metadata.component).toMatchObject({ name: 'arbiter' });
    const fastify = repo.components.find((c: { name: string }) => c.name === 'fastify');
    expect(fastify).toMatchObject({
      version: JSON.parse(readFileSync('node_modules/fastify/package.json', 'utf8')).version,
    });
    // The example model files are found by content.
    expect(
      repo.components.some(
        (c: { type: string; name: string }) =>
          c.type === 'machine-learning-model' && c.name.endsWith('preprocess.pkl'),
      ),
    ).toBe(true);
  });

  it('diffs two BOMs and exits 1 when a model changed without a new signature', () => {
    const before = join(out, 'b1.json');
    const after = join(out, 'b2.json');
    expect(arbiter(['bom', `${releases}/1.1.0/release.yaml`, '-o', before]).code).toBe(0);
    expect(arbiter(['bom', `${releases}/1.2.0/release.yaml`, '-o', after]).code).toBe(0);
    const diff = arbiter(['bom', 'diff', before, after]);
    expect(diff.code).toBe(1);
    expect(diff.stdout).toContain('+ library fuzzywuzzy@0.18.0  (GPL-2.0-only)');
    expect(diff.stdout).toContain('~ library pyyaml: version 6.0.1 → 5.3.1');
    expect(diff.stdout).toContain(
      '! machine-learning-model model/model.safetensors: content hash changed and no signature covers the new content',
    );
    expect(arbiter(['bom', 'diff', before, before]).code).toBe(0);

    const invalid = join(out, 'invalid.json');
    writeFileSync(
      invalid,
      JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.6', components: [{ name: 'x' }] }),
    );
    const rejected = arbiter(['bom', 'diff', before, invalid]);
    expect(rejected.code).toBe(2);
    expect(rejected.stderr).toContain(
      "is not a valid CycloneDX 1.6 BOM:\n  /components/0: must have required property 'type'",
    );
  });
});

describe('arbiter scan', { timeout: 120_000 }, () => {
  it('finds the pickled preprocessor and, with --osv, vulnerable locked packages', () => {
    const sarifFile = join(out, 'scan.sarif');
    const result = arbiter(['scan', `${releases}/1.2.0`, '--osv', 'examples/osv', '--sarif', sarifFile]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('critical pickle-global');
    expect(result.stdout).toContain('pyyaml@5.3.1: GHSA-8q59-q68h-6hv4');
    const sarif = JSON.parse(readFileSync(sarifFile, 'utf8'));
    expect(sarif.runs[0].results.map((r: { ruleId: string }) => r.ruleId).sort()).toEqual([
      'pickle-global',
      'vulnerable-package',
      'vulnerable-package',
    ]);
    const clean = arbiter(['scan', `${releases}/1.1.0/model`, '--json']);
    expect(clean.code).toBe(0);
    expect(JSON.parse(clean.stdout)).toMatchObject({
      failed: false,
      files: [{ format: 'safetensors', findings: [] }],
    });
    expect(arbiter(['scan', `${releases}/1.2.0/model`, '--fail-on', 'bogus']).code).toBe(2);
  });
});

describe('SARIF shape', () => {
  it('type-checks against the SARIF 2.1.0 object model (@types/sarif)', async () => {
    const { runGate } = await import('../../src/app/releases/run-gate.js');
    const { gateSarif } = await import('../../src/gate/report.js');
    const { scanSarif } = await import('../../src/cli/scan.js');
    const { run } = await runGate({
      policies: 'examples/policies',
      release: `${releases}/1.2.0/release.yaml`,
      now: new Date('2026-11-23T12:00:00Z'),
    });
    // The assignments are the test: tsc (npm test runs it) rejects a log that does not fit the SARIF types.
    const gate: SarifLog = gateSarif(run);
    const scan: SarifLog = scanSarif([]);
    expect(gate.runs[0]?.results?.length).toBeGreaterThan(0);
    expect(scan.runs[0]?.results).toEqual([]);
  });
});
