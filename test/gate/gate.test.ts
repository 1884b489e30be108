import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runGate } from '../../src/app/releases/run-gate.js';
import { isArbiterError } from '../../src/core/errors.js';
import { parseRelease } from '../../src/gate/release.js';
import { fraudModelSystem } from '../helpers/gate-fixtures.js';
import {
  ecKeyPair,
  keyBundle,
  modelStatement,
  publicPem,
  resourcesOf,
  signEnvelope,
} from '../helpers/sigstore-fixtures.js';
import { tempDir } from '../helpers/temp.js';

const now = new Date('2026-11-23T12:00:00Z');
const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/** A safetensors file: header length, JSON header, one F32 tensor. */
function safetensors(values: number[]): Buffer {
  const data = Buffer.from(new Float32Array(values).buffer);
  let header = JSON.stringify({
    w: { dtype: 'F32', shape: [values.length], data_offsets: [0, data.length] },
  });
  header += ' '.repeat((8 - (header.length % 8)) % 8);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(header.length));
  return Buffer.concat([length, Buffer.from(header), data]);
}

const systems = fraudModelSystem;

function gatePolicy(supplyChain: string, checks = ''): string {
  return `apiVersion: arbiter/v1
kind: GatePolicy
metadata: { name: fraud-release }
spec:
  match: { systems: [fraud-*] }
${checks}
  supplyChain:
${supplyChain}
`;
}

interface Project {
  dir: string;
  policies: string;
  release: string;
  model: Buffer;
}

/** A project directory: a model, a requirements file, a release, and a policy directory. */
function project(options: {
  supplyChain: string;
  checks?: string;
  releaseExtra?: string;
  pinned?: string;
  requirements?: string;
  extraPolicies?: Record<string, string>;
}): Project {
  const dir = tempDir('arbiter-gate-');
  const model = safetensors([0.5, -1.25, 2]);
  mkdirSync(join(dir, 'model'));
  writeFileSync(join(dir, 'model', 'weights.safetensors'), model);
  writeFileSync(join(dir, 'requirements.txt'), options.requirements ?? 'numpy==1.26.4\n');
  const policies = join(dir, 'policies');
  mkdirSync(policies);
  writeFileSync(join(policies, 'systems.yaml'), systems);
  writeFileSync(join(policies, 'gate.yaml'), gatePolicy(options.supplyChain, options.checks));
  for (const [name, text] of Object.entries(options.extraPolicies ?? {}))
    writeFileSync(join(policies, name), text);
  const release = join(dir, 'release.yaml');
  writeFileSync(
    release,
    `apiVersion: arbiter/v1
kind: Release
metadata: { name: fraud-model-2.0.0 }
spec:
  system: fraud-model
  version: 2.0.0
  models:
    - path: model/weights.safetensors
      sha256: ${options.pinned ?? sha256(model)}
      license: Apache-2.0
  metrics: { recall: 0.81 }
  packageLicenses: { numpy: BSD-3-Clause }
${options.releaseExtra ?? ''}`,
  );
  return { dir, policies, release, model };
}

const check = (run: { checks: { check: string }[] }, name: string) => {
  const found = run.checks.find((c) => c.check === name);
  if (!found) throw new Error(`no check ${name} in ${run.checks.map((c) => c.check).join(', ')}`);
  return found as Awaited<ReturnType<typeof runGate>>['run']['checks'][number];
};

describe('arbiter gate: provenance', () => {
  it('passes when every model file matches its pinned digest, and fails naming the mismatch', async () => {
    const good = project({ supplyChain: '    provenance: { requireDigests: true }' });
    const passed = await runGate({ policies: good.policies, release: good.release, now });
    expect(check(passed.run, 'model-digests').status).toBe('passed');
    expect(passed.run.passed).toBe(true);

    const wrong = project({
      supplyChain: '    provenance: { requireDigests: true }',
      pinned: 'a'.repeat(64),
    });
    const failed = await runGate({ policies: wrong.policies, release: wrong.release, now });
    expect(failed.run.passed).toBe(false);
    expect(check(failed.run, 'model-digests').findings?.[0]?.message).toBe(
      `model/weights.safetensors: sha256 is ${sha256(wrong.model)}, the release pins ${'a'.repeat(64)}`,
    );
  });

  it('fails a model file that is missing or not pinned', async () => {
    const p = project({
      supplyChain: '    provenance: { requireDigests: true }',
      releaseExtra: '  datasets: []\n',
    });
    writeFileSync(
      p.release,
      `apiVersion: arbiter/v1
kind: Release
metadata: { name: x }
spec:
  system: fraud-model
  version: 2.0.1
  models:
    - path: model/weights.safetensors
    - path: model/missing.bin
      sha256: ${'b'.repeat(64)}
`,
    );
    const { run } = await runGate({ policies: p.policies, release: p.release, now });
    expect(check(run, 'model-digests').findings?.map((f) => f.message)).toEqual([
      'model/weights.safetensors: no pinned sha256 in the release file',
      'model/missing.bin: the model file does not exist',
    ]);
  });

  it('verifies an OpenSSF model signature against the policy key, and rejects another key or a changed file', async () => {
    const signer = ecKeyPair();
    const supplyChain = '    provenance:\n      signers: [{ publicKeyFile: keys/release.pub }]';
    const p = project({
      supplyChain,
      releaseExtra: '  provenance: { signature: model/model.sig }\n',
    });
    mkdirSync(join(p.policies, 'keys'));
    writeFileSync(join(p.policies, 'keys', 'release.pub'), publicPem(signer.publicKey));
    const sign = (key = signer) => {
      const statement = modelStatement('model', resourcesOf(join(p.dir, 'model'), ['weights.safetensors']));
      writeFileSync(
        join(p.dir, 'model', 'model.sig'),
        JSON.stringify(keyBundle(signEnvelope(statement, key.privateKey), key.publicKey)),
      );
    };
    sign();
    const ok = await runGate({ policies: p.policies, release: p.release, now });
    expect(check(ok.run, 'model-signature')).toMatchObject({ status: 'passed' });
    expect(check(ok.run, 'model-signature').facts['signature.signer']).toMatch(/^key:[0-9a-f]{64}$/);
    expect(ok.run.passed).toBe(true);
    // The BOM names the signature over the model, so `bom diff` can tell re-signed from unsigned changes.
    const component = (
      ok.bom.components as { type: string; properties: { name: string; value: string }[] }[]
    ).find((c) => c.type === 'machine-learning-model');
    expect(component?.properties).toContainEqual({
      name: 'arbiter:signature:sha256',
      value: sha256(readFileSync(join(p.dir, 'model', 'model.sig'))),
    });

    sign(ecKeyPair());
    const otherKey = await runGate({ policies: p.policies, release: p.release, now });
    expect(check(otherKey.run, 'model-signature').status).toBe('failed');

    sign();
    writeFileSync(join(p.dir, 'model', 'weights.safetensors'), safetensors([9, 9, 9]));
    const tampered = await runGate({ policies: p.policies, release: p.release, now });
    const failed = check(tampered.run, 'model-signature');
    expect(failed.status).toBe('failed');
    expect(failed.findings?.map((f) => f.message).join('\n')).toContain('weights.safetensors');
  });

  it('fails when a signature is required and the release has none', async () => {
    const p = project({
      supplyChain:
        '    provenance:\n      signers: [{ identity: ml@example.com, issuer: https://accounts.example.com }]',
    });
    const { run } = await runGate({ policies: p.policies, release: p.release, now });
    expect(check(run, 'model-signature').findings?.[0]?.message).toBe(
      'the release has no model signature (provenance.signature)',
    );
  });
});

describe('arbiter gate: licences and vulnerabilities', () => {
  const osvRecord = (
    id: string,
    name: string,
    fixed: string,
    severity: string,
    modified = '2026-11-20T00:00:00Z',
  ) =>
    JSON.stringify({
      id,
      modified,
      summary: `${name} is vulnerable`,
      affected: [
        {
          package: { ecosystem: 'PyPI', name },
          ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }],
        },
      ],
      database_specific: { severity },
    });

  it('reports unknown, not-allowed and denied licences as findings', async () => {
    const p = project({
      supplyChain: '    licenses: { allow: [MIT, BSD-3-Clause, Apache-2.0], deny: [GPL-1.0-or-later] }',
      requirements: 'numpy==1.26.4\nmystery==1.0\nleftpad==2.0\ngplthing==3.0\n',
    });
    writeFileSync(
      p.release,
      `${readFileSync(p.release, 'utf8').replace('packageLicenses: { numpy: BSD-3-Clause }', 'packageLicenses: { numpy: BSD-3-Clause, leftpad: ISC, gplthing: GPL-3.0-only }')}`,
    );
    const { run } = await runGate({ policies: p.policies, release: p.release, now });
    const licenses = check(run, 'licenses');
    expect(licenses.status).toBe('failed');
    expect(licenses.findings?.map((f) => f.message)).toEqual([
      'PyPI package gplthing@3.0: licence "GPL-3.0-only" is denied',
      'PyPI package leftpad@2.0: licence "ISC" is not on the allow list',
      'PyPI package mystery@1.0: no licence declared',
    ]);
  });

  it('can treat unknown licences as warnings', async () => {
    const p = project({
      supplyChain: '    licenses: { allow: [BSD-3-Clause, Apache-2.0], unknown: warning }',
      requirements: 'numpy==1.26.4\nmystery==1.0\n',
    });
    const { run } = await runGate({ policies: p.policies, release: p.release, now });
    expect(check(run, 'licenses')).toMatchObject({ status: 'passed' });
    expect(check(run, 'licenses').findings?.[0]).toMatchObject({ id: 'mystery', failing: false });
  });

  it('fails on a vulnerability at or above failOn and reports the database age', async () => {
    const p = project({
      supplyChain: '    vulnerabilities: { failOn: high, maxDatabaseAge: 7d }',
      requirements: 'numpy==1.26.4\nrequests==2.31.0\n',
    });
    const osv = join(p.dir, 'osv');
    mkdirSync(osv);
    writeFileSync(join(osv, 'a.json'), osvRecord('GHSA-aaaa', 'numpy', '2.0.0', 'HIGH'));
    writeFileSync(join(osv, 'b.json'), osvRecord('GHSA-bbbb', 'requests', '2.32.0', 'MODERATE'));
    const { run } = await runGate({ policies: p.policies, release: p.release, osv, now });
    const vulnerabilities = check(run, 'vulnerabilities');
    expect(vulnerabilities.status).toBe('failed');
    expect(vulnerabilities.findings?.map((f) => [f.id, f.failing])).toEqual([
      ['GHSA-aaaa', true],
      ['GHSA-bbbb', false],
    ]);
    expect(check(run, 'vulnerability-database')).toMatchObject({
      status: 'passed',
      facts: { 'database.ageDays': 3.5 },
    });
  });

  it('fails on a stale database and on a missing one', async () => {
    const p = project({ supplyChain: '    vulnerabilities: { maxDatabaseAge: 2d }' });
    const osv = join(p.dir, 'osv');
    mkdirSync(osv);
    writeFileSync(join(osv, 'a.json'), osvRecord('GHSA-cccc', 'other', '1.0', 'LOW', '2026-11-01T00:00:00Z'));
    const stale = await runGate({ policies: p.policies, release: p.release, osv, now });
    expect(check(stale.run, 'vulnerability-database').findings?.[0]?.message).toBe(
      'the OSV database is 22.5 days old (newest record 2026-11-01T00:00:00Z); at most 2d is allowed',
    );
    const missing = await runGate({ policies: p.policies, release: p.release, now });
    expect(check(missing.run, 'vulnerability-database').findings?.[0]?.message).toContain(
      'no OSV database was given',
    );
    expect(missing.run.passed).toBe(false);
  });
});

describe('arbiter gate: waivers', () => {
  const waiver = (name: string, expires: string, scope: string) => `apiVersion: arbiter/v1
kind: Waiver
metadata: { name: ${name} }
spec:
  owner: risk (dana@example.com)
  reason: accepted until the retraining lands
  expires: ${expires}
  scope:
${scope}
`;

  it('waives a failed check for the named systems until it expires', async () => {
    const p = project({
      supplyChain: '    provenance: { requireDigests: true }',
      pinned: 'c'.repeat(64),
      extraPolicies: {
        'waiver.yaml': waiver(
          'digest-exception',
          '2026-11-30',
          '    check: model-digests\n    systems: [fraud-*]',
        ),
      },
    });
    const live = await runGate({ policies: p.policies, release: p.release, now });
    expect(live.run.passed).toBe(true);
    expect(check(live.run, 'model-digests')).toMatchObject({
      status: 'waived',
      waiver: {
        name: 'digest-exception',
        owner: 'risk (dana@example.com)',
        expires: '2026-12-01T00:00:00.000Z',
      },
    });
    const later = await runGate({
      policies: p.policies,
      release: p.release,
      now: new Date('2026-12-01T00:00:01Z'),
    });
    expect(later.run.passed).toBe(false);
    expect(check(later.run, 'model-digests').expiredWaivers).toEqual([
      { name: 'digest-exception', expired: '2026-12-01T00:00:00.000Z' },
    ]);
  });

  it('does not waive for other systems or other policies', async () => {
    const p = project({
      supplyChain: '    provenance: { requireDigests: true }',
      pinned: 'c'.repeat(64),
      extraPolicies: {
        'w1.yaml': waiver('other-system', '2027-01-01', '    check: model-digests\n    systems: [chatbot]'),
        'w2.yaml': waiver(
          'other-policy',
          '2027-01-01',
          '    check: model-digests\n    policy: another\n    systems: [fraud-model]',
        ),
      },
    });
    const { run } = await runGate({ policies: p.policies, release: p.release, now });
    expect(check(run, 'model-digests').status).toBe('failed');
  });

  it('a findings-scoped waiver covers only the findings it names', async () => {
    const p = project({
      supplyChain: '    licenses: { allow: [BSD-3-Clause, Apache-2.0] }',
      requirements: 'numpy==1.26.4\nmystery==1.0\nunknown-too==2.0\n',
      extraPolicies: {
        'waiver.yaml': waiver(
          'mystery-ok',
          '2027-01-01',
          '    check: licenses\n    systems: [fraud-model]\n    findings: [mystery]',
        ),
      },
    });
    const partial = await runGate({ policies: p.policies, release: p.release, now });
    const licenses = check(partial.run, 'licenses');
    expect(licenses.status).toBe('failed');
    // The message and facts of the check count before waivers; what the waiver left is said after them.
    expect(licenses.message).toMatch(/^2 licence problems: .*; 1 waived, 1 still failing$/);
    expect(licenses.facts).toMatchObject({ waived: 1, stillFailing: 1 });
    expect(licenses.findings?.map((f) => [f.id, f.waivedBy])).toEqual([
      ['mystery', 'mystery-ok'],
      ['unknown-too', undefined],
    ]);
    writeFileSync(join(p.dir, 'requirements.txt'), 'numpy==1.26.4\nmystery==1.0\n');
    const covered = await runGate({ policies: p.policies, release: p.release, now });
    expect(check(covered.run, 'licenses').status).toBe('waived');
  });

  it('rejects a waiver naming a check no policy has, or a date that is not one', async () => {
    const p = project({
      supplyChain: '    modelScan: {}',
      extraPolicies: {
        'waiver.yaml': `${waiver('typo', '2027-13-45', '    check: model-scans\n    systems: [fraud-model]')}`,
      },
    });
    const error = await runGate({ policies: p.policies, release: p.release, now }).catch((e: unknown) => e);
    expect(isArbiterError(error, 'ARB_ERR_POLICY_BUNDLE_INVALID')).toBe(true);
    const message = (error as Error).message;
    expect(message).toMatch(/waiver\.yaml:7:\d+: expires "2027-13-45" is not a date/);
    expect(message).toContain('waiver "typo" names check "model-scans", which no GatePolicy defines');
  });
});

describe('arbiter gate: inputs', () => {
  it('fails when no GatePolicy matches the release system', async () => {
    const p = project({ supplyChain: '    modelScan: {}' });
    writeFileSync(
      join(p.policies, 'gate.yaml'),
      gatePolicy('    modelScan: {}').replace('fraud-*', 'chatbot'),
    );
    const { run } = await runGate({ policies: p.policies, release: p.release, now });
    expect(run.passed).toBe(false);
    expect(run.checks).toEqual([expect.objectContaining({ check: 'gate-policy', status: 'failed' })]);
  });

  it('rejects a bad release file with file:line:col', () => {
    const attempt = () =>
      parseRelease(
        'rel.yaml',
        'apiVersion: arbiter/v1\nkind: Release\nmetadata: { name: r }\nspec:\n  system: s\n  version: "1"\n  models:\n    - path: m.bin\n      sha256: ABC\n  metric: {}\n',
      );
    expect(attempt).toThrowError(
      /rel\.yaml:9:15: spec\.models\[0\]\.sha256 "ABC" is not valid: use a lowercase hex SHA-256 digest/,
    );
    expect(attempt).toThrowError(/rel\.yaml:10:3: unknown field "metric" in spec/);
  });

  it('rejects policy lists that are not single SPDX licences, and bad durations', async () => {
    const p = project({
      supplyChain:
        '    licenses: { allow: [MIT OR Apache-2.0, Not-A-Licence] }\n    vulnerabilities: { maxDatabaseAge: soon }',
    });
    const error = await runGate({ policies: p.policies, release: p.release, now }).catch((e: unknown) => e);
    const message = (error as Error).message;
    expect(message).toContain('MIT OR Apache-2.0: use single licences in allow and deny lists');
    expect(message).toContain('Not-A-Licence: not an SPDX licence id');
    expect(message).toContain('maxDatabaseAge "soon" is not a duration');
  });

  it('builds a schema-valid BOM with the model, its pinned hash and the packages', async () => {
    const p = project({ supplyChain: '    modelScan: {}' });
    const { bom } = await runGate({ policies: p.policies, release: p.release, now });
    const components = bom.components as {
      type: string;
      name: string;
      hashes?: { content: string }[];
      purl?: string;
    }[];
    expect(components.find((c) => c.type === 'machine-learning-model')?.hashes?.[0]?.content).toBe(
      sha256(p.model),
    );
    expect(components.find((c) => c.type === 'library')?.purl).toBe('pkg:pypi/numpy@1.26.4');
  });
});
