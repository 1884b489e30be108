import { describe, expect, it } from 'vitest';
import { assertValidBom, bomSchemaErrors } from '../../src/app/supply/bom-schema-files.js';
import {
  type BomInput,
  type BomModel,
  type BomPackage,
  bomProperty,
  buildBom,
} from '../../src/supply/bom.js';
import { diffBoms } from '../../src/supply/bom-diff.js';
import { cycloneLicense, judgeLicense } from '../../src/supply/licenses.js';

const model: BomModel = {
  name: 'credit-scoring',
  path: 'model/model.safetensors',
  sha256: 'ab'.repeat(32),
  sizeBytes: 1024,
  format: 'safetensors',
  framework: 'pytorch',
  license: 'Apache-2.0',
  modelCard: {
    task: 'binary classification',
    intendedUse: 'Rank applications for human review',
    limitations: ['Trained on 1970s data'],
    fairnessAssessments: [{ groupAtRisk: 'applicants under 25', harms: 'lower approval rates' }],
    owner: 'risk-team',
  },
};

const input = (overrides: Partial<BomInput> = {}): BomInput => ({
  subject: { name: 'credit-scoring', version: '1.1.0' },
  packages: [
    {
      ecosystem: 'npm',
      name: '@fastify/swagger',
      version: '9.9.3',
      purl: 'pkg:npm/%40fastify/swagger@9.9.3',
      license: 'MIT',
      scope: 'required',
      hashes: [{ alg: 'SHA-512', content: 'cd'.repeat(64) }],
      source: 'package-lock.json',
    },
    {
      ecosystem: 'PyPI',
      name: 'numpy',
      version: '1.26.4',
      purl: 'pkg:pypi/numpy@1.26.4',
      license: 'BSD 3-clause-ish',
      scope: 'required',
      hashes: [],
      source: 'requirements.txt',
    },
    {
      ecosystem: 'npm',
      name: 'dual',
      version: '1.0.0',
      purl: 'pkg:npm/dual@1.0.0',
      license: '(MIT OR GPL-3.0-only)',
      scope: 'optional',
      hashes: [],
      source: 'package-lock.json',
    },
  ],
  models: [model],
  datasets: [
    {
      name: 'german-credit',
      url: 'https://archive.ics.uci.edu/dataset/144',
      license: 'CC-BY-4.0',
      role: 'training',
    },
  ],
  vulnerabilities: [
    {
      id: 'GHSA-x',
      aliases: ['CVE-2024-1'],
      summary: 'bad',
      severity: 'high',
      affects: 'pkg:npm/dual@1.0.0',
      fixedIn: '1.0.1',
    },
  ],
  metrics: { accuracy: 0.772 },
  slices: { 'age<25': { accuracy: 0.74 } },
  timestamp: new Date('2026-11-23T12:00:00Z'),
  tool: { name: 'arbiter', version: '0.1.0' },
  serialNumber: 'urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79',
  ...overrides,
});

type Component = Record<string, unknown> & { type: string; name: string; 'bom-ref': string };

describe('CycloneDX AI-BOM', () => {
  it('validates against the official CycloneDX 1.6 schema', () => {
    const bom = buildBom(input());
    expect(bomSchemaErrors(bom)).toEqual([]);
    expect(bom).toMatchObject({ bomFormat: 'CycloneDX', specVersion: '1.6', version: 1 });
    expect(bom.serialNumber).toBe('urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79');
  });

  it('describes a model with its hash, format, licence and model card', () => {
    const bom = buildBom(input());
    const component = (bom.components as Component[]).find((c) => c.type === 'machine-learning-model')!;
    expect(component.hashes).toEqual([{ alg: 'SHA-256', content: 'ab'.repeat(32) }]);
    expect(component.licenses).toEqual([{ license: { id: 'Apache-2.0' } }]);
    expect(component.properties).toEqual(
      expect.arrayContaining([
        { name: bomProperty.format, value: 'safetensors' },
        { name: bomProperty.framework, value: 'pytorch' },
      ]),
    );
    expect(component.modelCard).toMatchObject({
      modelParameters: { task: 'binary classification', datasets: [{ ref: 'data:german-credit' }] },
      quantitativeAnalysis: {
        performanceMetrics: [
          { type: 'accuracy', value: '0.772' },
          { type: 'accuracy', value: '0.74', slice: 'age<25' },
        ],
      },
      considerations: {
        useCases: ['Rank applications for human review'],
        technicalLimitations: ['Trained on 1970s data'],
        fairnessAssessments: [{ groupAtRisk: 'applicants under 25', harms: 'lower approval rates' }],
      },
      properties: [{ name: 'arbiter:modelCard:owner', value: 'risk-team' }],
    });
  });

  it('never writes an invalid SPDX id: unknown licences become names, expressions stay expressions', () => {
    const bom = buildBom(input());
    const byName = Object.fromEntries((bom.components as Component[]).map((c) => [c.name, c]));
    expect(byName.numpy?.licenses).toEqual([{ license: { name: 'BSD 3-clause-ish' } }]);
    expect(byName.dual?.licenses).toEqual([{ expression: '(MIT OR GPL-3.0-only)' }]);
    expect(byName.swagger).toMatchObject({ group: '@fastify', purl: 'pkg:npm/%40fastify/swagger@9.9.3' });
    expect(byName['german-credit']).toMatchObject({
      type: 'data',
      licenses: [{ license: { id: 'CC-BY-4.0' } }],
    });
    expect(bom.vulnerabilities).toEqual([
      expect.objectContaining({
        id: 'GHSA-x',
        affects: [{ ref: 'pkg:npm/dual@1.0.0' }],
        recommendation: 'Upgrade to 1.0.1 or later',
      }),
    ]);
  });

  it('reports schema violations readably', () => {
    const bad = {
      bomFormat: 'CycloneDX',
      specVersion: '1.6',
      components: [{ type: 'library', name: 'x', licenses: [{ license: { id: 'MIT-ish' } }] }],
    };
    expect(bomSchemaErrors(bad)[0]).toBe(
      '/components/0/licenses/0/license/id: must be equal to one of the allowed values (got "MIT-ish")',
    );
    expect(() => assertValidBom({ bomFormat: 'SPDX' }, 'old.json')).toThrowError(
      /old\.json is not a valid CycloneDX 1\.6 BOM/,
    );
  });

  it('deduplicates packages locked in several files, keeping required over optional', () => {
    const pkg = input().packages[2]!;
    const bom = buildBom(
      input({ packages: [pkg, { ...pkg, scope: 'required', source: 'other/package-lock.json' }] }),
    );
    const libraries = (bom.components as Component[]).filter((c) => c.type === 'library');
    expect(libraries).toHaveLength(1);
    expect(libraries[0]?.scope).toBe('required');
  });
});

describe('bom diff', () => {
  const signed = (sha: string, signature?: string): BomModel => ({
    ...model,
    sha256: sha,
    ...(signature ? { signature: { file: 'model.sig', sha256: signature, verified: true } } : {}),
  });

  it('reports added, removed and changed packages with licence and version changes', () => {
    const before = buildBom(input());
    const packages = input().packages;
    const after = buildBom(
      input({
        packages: [
          { ...packages[0]!, version: '9.10.0', purl: 'pkg:npm/%40fastify/swagger@9.10.0', hashes: [] },
          { ...packages[1]!, license: 'BSD-3-Clause' },
          { ...packages[2]!, name: 'newdep', purl: 'pkg:npm/newdep@2.0.0', version: '2.0.0' },
        ],
      }),
    );
    const diff = diffBoms(before, after);
    expect(diff.added.map((c) => c.key)).toEqual(['pkg:npm/newdep']);
    expect(diff.removed.map((c) => c.key)).toEqual(['pkg:npm/dual']);
    expect(diff.changed.map((c) => [c.key, c.changes])).toEqual([
      ['pkg:npm/%40fastify/swagger', ['version']],
      ['pkg:pypi/numpy', ['license']],
    ]);
    expect(diff.suspicious).toEqual([]);
  });

  it('flags a model whose bytes changed without a new signature, but not one that was re-signed', () => {
    const base = buildBom(input({ models: [signed('ab'.repeat(32), 'sig1')] }));
    const resigned = buildBom(input({ models: [signed('cd'.repeat(32), 'sig2')] }));
    const sameSignature = buildBom(input({ models: [signed('cd'.repeat(32), 'sig1')] }));
    const unsigned = buildBom(input({ models: [signed('cd'.repeat(32))] }));
    expect(diffBoms(base, resigned).suspicious).toEqual([]);
    expect(diffBoms(base, sameSignature).suspicious).toEqual([
      expect.objectContaining({
        key: 'model:model/model.safetensors',
        reason: expect.stringContaining('signature is the one the previous version had'),
      }),
    ]);
    expect(diffBoms(base, unsigned).suspicious[0]?.reason).toBe(
      'content hash changed and no signature covers the new content',
    );
  });

  it('flags a package whose bytes changed under the same version', () => {
    const before = buildBom(input());
    const packages = input().packages;
    const after = buildBom(
      input({
        packages: [
          { ...packages[0]!, hashes: [{ alg: 'SHA-512', content: 'ef'.repeat(64) }] },
          packages[1]!,
          packages[2]!,
        ],
      }),
    );
    expect(diffBoms(before, after).suspicious).toEqual([
      expect.objectContaining({
        name: '@fastify/swagger',
        reason: 'content hash changed under the same version 9.9.3',
      }),
    ]);
  });
});

describe('bom diff of a package locked at two versions', () => {
  const numpy = (version: string): BomPackage => ({
    ecosystem: 'PyPI',
    name: 'numpy',
    version,
    purl: `pkg:pypi/numpy@${version}`,
    scope: 'required',
    hashes: [],
    source: 'requirements.txt',
  });
  const withPackages = (...packages: BomPackage[]) => buildBom(input({ packages }));

  it('shows both versions, and removing one of them is a change', () => {
    const both = withPackages(numpy('1.26.4'), numpy('2.1.0'));
    const summaries = diffBoms(withPackages(), both).added.map((c) => `${c.key}@${c.version}`);
    expect(summaries).toEqual(['pkg:pypi/numpy@1.26.4', 'pkg:pypi/numpy@2.1.0']);
    const removed = diffBoms(both, withPackages(numpy('2.1.0')));
    expect(removed.removed.map((c) => c.version)).toEqual(['1.26.4']);
    expect([removed.added, removed.changed]).toEqual([[], []]);
  });

  it('does not count reordering as a change', () => {
    const forward = withPackages(numpy('1.26.4'), numpy('2.1.0'));
    const backward = {
      ...forward,
      components: [...(forward.components as unknown[])].reverse(),
    };
    expect(diffBoms(forward, backward)).toEqual({ added: [], removed: [], changed: [], suspicious: [] });
  });

  it('pairs a single version on each side as an upgrade, and keeps several versions apart', () => {
    expect(diffBoms(withPackages(numpy('1.26.4')), withPackages(numpy('2.1.0'))).changed).toEqual([
      expect.objectContaining({ key: 'pkg:pypi/numpy', changes: ['version'] }),
    ]);
    const many = diffBoms(
      withPackages(numpy('1.0.0'), numpy('1.26.4')),
      withPackages(numpy('1.26.4'), numpy('2.1.0')),
    );
    expect([many.added.map((c) => c.version), many.removed.map((c) => c.version), many.changed]).toEqual([
      ['2.1.0'],
      ['1.0.0'],
      [],
    ]);
  });
});

describe('licence policy', () => {
  const policy = { allow: ['MIT', 'Apache-2.0', 'BSD-3-Clause'], deny: ['GPL-1.0-or-later'] };
  it.each([
    ['MIT', 'allowed'],
    ['(MIT OR GPL-3.0-only)', 'allowed'],
    ['MIT AND GPL-3.0-only', 'denied'],
    ['GPL-2.0-only', 'denied'],
    ['GPL-3.0-only OR AGPL-3.0-only', 'not-allowed'],
    ['ISC', 'not-allowed'],
    ['Apache-2.0 WITH LLVM-exception', 'not-allowed'],
    ['LicenseRef-Internal', 'not-allowed'],
    ['Mit', 'unknown'],
  ] as const)('%s is %s', (expression, verdict) => {
    expect(judgeLicense(expression, policy)).toBe(verdict);
  });

  it('without an allow list, anything not denied passes; undeclared is unknown', () => {
    expect(judgeLicense('ISC', { deny: ['GPL-1.0-or-later'] })).toBe('allowed');
    expect(judgeLicense(undefined, {})).toBe('unknown');
    expect(judgeLicense('LicenseRef-Internal', { allow: ['LicenseRef-Internal'] })).toBe('allowed');
  });

  it('keeps SPDX ids, expressions and plain names apart', () => {
    expect(cycloneLicense('MIT')).toEqual({ license: { id: 'MIT' } });
    expect(cycloneLicense('GPL-2.0+')).toEqual({ expression: 'GPL-2.0+' });
    expect(cycloneLicense('Apache 2.0')).toEqual({ license: { name: 'Apache 2.0' } });
  });
});
