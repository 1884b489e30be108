import { describe, expect, it } from 'vitest';
import { assertValidBom } from '../../src/app/supply/bom-schema-files.js';
import { isArbiterError } from '../../src/core/errors.js';
import type { JsonObject } from '../../src/core/json.js';
import { collectRelease, type ReleaseFiles } from '../../src/gate/collect.js';
import { emptyEvidence } from '../../src/gate/external-evidence.js';
import { parseRelease } from '../../src/gate/release.js';
import { releaseLineFinder } from '../../src/gate/release-lines.js';
import { gateSarif } from '../../src/gate/report.js';
import { evaluateRelease } from '../../src/gate/run.js';
import type { OsvDatabase } from '../../src/supply/osv.js';
import { scanBytes } from '../../src/supply/scan.js';
import { bundleOf } from '../helpers/bundle.js';

// The gate's evaluation over in-memory release inputs: no file is read, no path resolved against
// the working directory. The edge (app/releases/) reads the same things from disk.

const releaseText = `apiVersion: arbiter/v1
kind: Release
metadata: { name: credit-scoring-2.0.0 }
spec:
  system: credit-scoring
  version: 2.0.0
  metrics:
    accuracy: 0.64
  models:
    - path: model/preprocess.pkl
    - path: model/missing.safetensors
  datasets:
    - { name: applications, path: data/applications.csv }
`;

const bundle = bundleOf({
  'gates.yaml': `apiVersion: arbiter/v1
kind: GatePolicy
metadata: { name: release }
spec:
  match: { systems: [credit-scoring] }
  checks:
    - name: accuracy-floor
      assert: release.metrics.accuracy >= 0.70
      message: Accuracy must be at least 0.70
  supplyChain:
    modelScan: { failOn: high }
    vulnerabilities: { failOn: high }
`,
});

// A pickle whose first opcode imports os.system, as scanned at load time.
const pickle = Buffer.concat([Buffer.from([0x80, 2]), Buffer.from('cos\nsystem\nq\x00.', 'latin1')]);

const osv: OsvDatabase = {
  source: 'osv',
  records: 1,
  withdrawn: 0,
  newestModified: '2026-11-20T00:00:00Z',
  sha256: 'a'.repeat(64),
  match: (pkg) =>
    pkg.name === 'pyyaml' && pkg.version === '5.3.1'
      ? [
          {
            id: 'GHSA-8q59-q68h-6hv4',
            aliases: ['CVE-2020-14343'],
            summary: 'arbitrary code execution in full_load',
            severity: 'critical',
            package: pkg,
            fixedIn: '5.4',
            reason: '5.3.1 is in [introduced 0, fixed 5.4)',
          },
        ]
      : [],
};

const now = new Date('2026-11-23T12:00:00Z');

async function files(): Promise<ReleaseFiles> {
  const release = parseRelease('releases/2.0.0/release.yaml', releaseText);
  const scan = await scanBytes('releases/2.0.0/model/preprocess.pkl', pickle);
  return {
    release,
    releaseFile: 'releases/2.0.0/release.yaml',
    models: [
      { file: scan.file, scan, signed: false },
      { file: 'releases/2.0.0/model/missing.safetensors', signed: false },
    ],
    datasetDigests: ['b'.repeat(64)],
    packages: [
      {
        ecosystem: 'PyPI',
        name: 'pyyaml',
        version: '5.3.1',
        purl: 'pkg:pypi/pyyaml@5.3.1',
        license: 'MIT',
        scope: 'required',
        hashes: [],
        source: 'releases/2.0.0/requirements.txt',
      },
    ],
    packageWarnings: [
      'releases/2.0.0/requirements.txt: numpy is not pinned to one version and is left out of the BOM',
    ],
    external: emptyEvidence(),
    osv,
    inputs: [
      { kind: 'release', path: 'releases/2.0.0/release.yaml', sha256: 'c'.repeat(64) },
      { kind: 'model', path: scan.file, sha256: scan.sha256 },
      { kind: 'lockfile', path: 'releases/2.0.0/requirements.txt', sha256: 'd'.repeat(64) },
      { kind: 'lockfile', path: 'releases/2.0.0/requirements.txt', sha256: 'd'.repeat(64) },
    ],
  };
}

const tool = { name: 'arbiter', version: '9.9.9' };
const serialNumber = 'urn:uuid:00000000-0000-4000-8000-000000000000';

async function judge(validated: string[] = []) {
  const input = await files();
  const collected = collectRelease(input, {
    now,
    tool,
    serialNumber,
    validateBom: (bom, what) => {
      validated.push(what);
      assertValidBom(bom, what);
    },
  });
  return evaluateRelease({
    bundle,
    release: input.release,
    releaseFile: input.releaseFile,
    collected,
    signatures: new Map(),
    now,
  });
}

describe('the gate over in-memory release inputs', () => {
  it('fails the metric, the pickle and the critical vulnerability, naming each', async () => {
    const { run } = await judge();
    expect(run.passed).toBe(false);
    const failed = run.checks
      .filter((check) => check.status === 'failed')
      .map((c) => `${c.policy}/${c.check}`);
    expect(failed.sort()).toEqual([
      'release/accuracy-floor',
      'release/model-scan',
      'release/vulnerabilities',
    ]);
    expect(run.release).toEqual({
      file: 'releases/2.0.0/release.yaml',
      name: 'credit-scoring-2.0.0',
      system: 'credit-scoring',
      version: '2.0.0',
    });
    expect(run.startedAt).toBe(now.toISOString());
    // Timing is the caller's: the pure evaluation neither reads a clock nor reports a duration.
    expect(run).not.toHaveProperty('durationMs');
  });

  it('summarises what it was handed: models present and missing, packages, the pinned inputs once each', async () => {
    const { run } = await judge();
    expect(run.summary.models).toEqual([
      expect.objectContaining({ path: 'model/preprocess.pkl', format: 'pickle', sizeBytes: pickle.length }),
      { path: 'model/missing.safetensors' },
    ]);
    expect(run.summary).toMatchObject({ packages: 1, vulnerabilities: 1, scanFindings: 1 });
    expect(run.summary.database).toEqual({
      source: 'osv',
      records: 1,
      newestModified: '2026-11-20T00:00:00Z',
      ageDays: 3.5,
    });
    expect(run.summary.inputs?.map((input) => input.kind)).toEqual(['release', 'model', 'lockfile']);
    expect(run.warnings).toEqual([
      'releases/2.0.0/requirements.txt: numpy is not pinned to one version and is left out of the BOM',
    ]);
  });

  it('builds and validates the AI-BOM with the tool, time and serial number it is given', async () => {
    const validated: string[] = [];
    const { bom } = await judge(validated);
    expect(validated).toEqual(['the generated BOM']);
    expect(bom.serialNumber).toBe(serialNumber);
    const metadata = bom.metadata as JsonObject;
    expect(metadata.timestamp).toBe(now.toISOString());
    expect(JSON.stringify(metadata.tools)).toContain('9.9.9');
    const data = (bom.components as JsonObject[]).find((c) => c.type === 'data');
    expect(JSON.stringify(data)).toContain('b'.repeat(64));
    // Same inputs, same answer: nothing in the evaluation depends on anything but its arguments.
    expect(await judge()).toEqual(await judge());
  });

  it('refuses what the BOM validator refuses', async () => {
    const input = await files();
    const refuse = () => {
      throw Object.assign(new Error('not CycloneDX'), { code: 'ARB_ERR_BOM_INVALID' });
    };
    expect(() => collectRelease(input, { now, tool, serialNumber, validateBom: refuse })).toThrow(
      'not CycloneDX',
    );
  });

  it('takes a BOM the release names as it was read, and builds none', async () => {
    const input = await files();
    const named = { bomFormat: 'CycloneDX', specVersion: '1.6', version: 1, components: [] };
    const validated: string[] = [];
    const collected = collectRelease(
      { ...input, bom: { value: named, file: 'releases/2.0.0/bom.json' } },
      { now, tool, serialNumber, validateBom: (_, what) => validated.push(what) },
    );
    expect(collected.bom).toBe(named);
    expect(collected.bomSource).toBe('releases/2.0.0/bom.json');
    expect(validated).toEqual([]);
  });
});

describe('SARIF line numbers from the release text read at load time', () => {
  it('point at the fact a failed check read, and at line 1 without a finder', async () => {
    const lineOf = releaseLineFinder('release.yaml', releaseText);
    const accuracyLine = releaseText.split('\n').findIndex((line) => line.includes('accuracy: 0.64')) + 1;
    expect(lineOf('release.metrics.accuracy')).toBe(accuracyLine);
    // A fact that is not the release's own points at the release spec (its first line).
    expect(lineOf('something.else')).toBe(releaseText.split('\n').indexOf('spec:') + 2);
    const { run } = await judge();
    const located = gateSarif(run, { version: '9.9.9', releaseLine: lineOf });
    const accuracy = located.runs[0]!.results.find((r) => r.ruleId === 'release/accuracy-floor')!;
    expect(accuracy.locations[0]!.physicalLocation.region).toMatchObject({ startLine: accuracyLine });
    expect(located.runs[0]!.tool.driver).toMatchObject({ name: 'arbiter-gate', version: '9.9.9' });
    const unlocated = gateSarif(run);
    const fallback = unlocated.runs[0]!.results.find((r) => r.ruleId === 'release/accuracy-floor')!;
    expect(fallback.locations[0]!.physicalLocation.region).toMatchObject({ startLine: 1 });
    expect(unlocated.runs[0]!.tool.driver).not.toHaveProperty('version');
  });

  it('are line 1 for text that does not parse', async () => {
    expect(releaseLineFinder('broken.yaml', 'spec: [unclosed')('release.metrics.accuracy')).toBe(1);
  });
});

describe('errors', () => {
  it('a release that is not valid is refused with file:line:col before anything is judged', async () => {
    try {
      parseRelease(
        'r.yaml',
        'apiVersion: arbiter/v1\nkind: Release\nmetadata: { name: x }\nspec: { system: s }\n',
      );
      expect.unreachable();
    } catch (error) {
      expect(isArbiterError(error, 'ARB_ERR_RELEASE_INVALID')).toBe(true);
      expect((error as Error).message).toMatch(/^Release file rejected:\nr\.yaml:4:\d+: /);
    }
  });
});
