import { execFileSync } from 'node:child_process';
import { closeSync, copyFileSync, ftruncateSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { runGate } from '../../src/app/releases/run-gate.js';
import type { ExitCode } from '../../src/cli/exit-codes.js';
import { registerGateCommand } from '../../src/cli/gate.js';
import { progressThresholdBytes } from '../../src/cli/progress.js';
import { fraudModelSystem } from '../helpers/gate-fixtures.js';
import { tempDir } from '../helpers/temp.js';

/**
 * A model kept as a directory (config, tokenizer, weights — a Hugging Face snapshot) is gated as
 * one model: every file scanned, non-model data recorded as data, files nobody can identify a
 * finding, and one digest over all of it that `sha256sum` reproduces.
 */

const now = new Date('2026-12-06T12:00:00Z');
const fixtures = join(import.meta.dirname, '..', 'fixtures', 'models');

const systems = fraudModelSystem;

const gatePolicy = `apiVersion: arbiter/v1
kind: GatePolicy
metadata: { name: fraud-release }
spec:
  match: { systems: [fraud-*] }
  supplyChain:
    modelScan: { failOn: medium }
    provenance: { requireDigests: true }
`;

/** A project whose release names `model/` (a directory), with the files `fill` puts in it. */
function project(fill: (model: string) => void, pinned?: string) {
  const dir = tempDir('arbiter-model-dir-');
  const model = join(dir, 'model');
  mkdirSync(model);
  fill(model);
  const policies = join(dir, 'policies');
  mkdirSync(policies);
  writeFileSync(join(policies, 'systems.yaml'), systems);
  writeFileSync(join(policies, 'gate.yaml'), gatePolicy);
  writeFileSync(join(dir, 'requirements.txt'), '');
  const release = join(dir, 'release.yaml');
  writeFileSync(
    release,
    `apiVersion: arbiter/v1
kind: Release
metadata: { name: fraud-model-3 }
spec:
  system: fraud-model
  version: "3"
  models:
    - path: model
      ${pinned ? `sha256: ${pinned}` : ''}
`,
  );
  return { dir, model, policies, release };
}

/** A benign snapshot: the real ONNX model, its config and tokenizer JSON, a README. */
function benign(model: string) {
  copyFileSync(join(fixtures, 'tiny.onnx'), join(model, 'model.onnx'));
  writeFileSync(join(model, 'config.json'), '{"architectures": ["TinyNet"]}\n');
  mkdirSync(join(model, 'tokenizer'));
  writeFileSync(join(model, 'tokenizer', 'tokenizer.json'), '{"version": "1.0"}\n');
  writeFileSync(join(model, 'README.md'), '# tiny\n');
}

const check = (run: { checks: { check: string; status: string }[] }, name: string) =>
  run.checks.find((c) => c.check === name) as
    | { check: string; status: string; findings?: { message: string }[] }
    | undefined;

describe('arbiter gate: a model kept as a directory', () => {
  it('fails on a malicious pickle anywhere in the directory, naming the file inside it', async () => {
    const p = project((model) => {
      benign(model);
      mkdirSync(join(model, 'extra'));
      copyFileSync(join(fixtures, 'evil.joblib.gz'), join(model, 'extra', 'classifier.joblib'));
    });
    const { run } = await runGate({ policies: p.policies, release: p.release, now });
    expect(run.passed).toBe(false);
    const scan = check(run, 'model-scan');
    expect(scan?.status).toBe('failed');
    expect(scan?.findings?.some((finding) => finding.message.includes('extra/classifier.joblib'))).toBe(true);
  });

  it('an empty model directory is a missing model, not a clean scan', async () => {
    // Pinned to the digest an empty manifest would have: an empty directory must still fail.
    const emptyManifest = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
    const p = project(() => {}, emptyManifest);
    const { run } = await runGate({ policies: p.policies, release: p.release, now });
    expect(run.passed).toBe(false);
    expect(check(run, 'model-digests')?.status).toBe('failed');
  });

  it('passes a benign snapshot and records its known data as data, not as unknown', async () => {
    const p = project(benign);
    const { run, bom } = await runGate({ policies: p.policies, release: p.release, now });
    expect(check(run, 'model-scan')?.status).toBe('passed');
    const component = (bom.components as { name: string; hashes?: { content: string }[] }[]).find(
      (c) => c.name === 'model',
    );
    expect(component?.hashes?.[0]?.content).toMatch(/^[0-9a-f]{64}$/);
  });

  it('makes a file nobody can identify a finding, and fails closed on it', async () => {
    const p = project((model) => {
      benign(model);
      writeFileSync(join(model, 'weights.bin'), Buffer.from([0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5]));
    });
    const { run } = await runGate({ policies: p.policies, release: p.release, now });
    const scan = check(run, 'model-scan');
    expect(scan?.status).toBe('failed');
    expect(scan?.findings?.map((finding) => finding.message).join('\n')).toContain('weights.bin');
  });

  it('pins the directory by the digest of its sha256sum manifest; any changed file breaks the pin', async () => {
    const first = project(benign);
    // The digest docs/gate.md tells users to compute, computed by coreutils, not by Arbiter.
    const manifest = execFileSync(
      'sh',
      ['-c', "find . -type f ! -path '*/.*' | sed 's|^\\./||' | LC_ALL=C sort | xargs sha256sum | sha256sum"],
      { cwd: first.model, encoding: 'utf8' },
    ).split(' ')[0]!;
    const pinned = project(benign, manifest);
    const passed = await runGate({ policies: pinned.policies, release: pinned.release, now });
    expect(check(passed.run, 'model-digests')?.status).toBe('passed');

    const changed = project((model) => {
      benign(model);
      writeFileSync(join(model, 'README.md'), '# tiny, edited\n');
    }, manifest);
    const failed = await runGate({ policies: changed.policies, release: changed.release, now });
    expect(check(failed.run, 'model-digests')?.status).toBe('failed');

    const renamed = project((model) => {
      benign(model);
      execFileSync('mv', [join(model, 'README.md'), join(model, 'README.txt')]);
    }, manifest);
    const moved = await runGate({ policies: renamed.policies, release: renamed.release, now });
    expect(check(moved.run, 'model-digests')?.status).toBe('failed');
  });

  it('draws progress for a multi-gigabyte file on a terminal, and none with --json', async () => {
    const p = project((model) => {
      benign(model);
      // Sparse: the size of a real checkpoint shard without the disk.
      const fd = openSync(join(model, 'shard.safetensors'), 'w');
      ftruncateSync(fd, progressThresholdBytes);
      closeSync(fd);
    });
    const run = async (json: boolean) => {
      const writes: string[] = [];
      let code: ExitCode | undefined;
      const program = new Command().exitOverride();
      registerGateCommand(
        program,
        { out: () => {}, err: () => {} },
        async (action) => {
          code = await action();
        },
        { isTTY: true, write: (text: string) => writes.push(text) },
      );
      await program.parseAsync([
        'node',
        'arbiter',
        'gate',
        '--policies',
        p.policies,
        '--release',
        p.release,
        ...(json ? ['--json'] : []),
      ]);
      return { code, writes };
    };
    const terminal = await run(false);
    expect(terminal.writes.some((text) => /reading .*shard\.safetensors .*\(100%\)/.test(text))).toBe(true);
    expect(terminal.writes.at(-1)).toBe('\r\u001b[K');
    expect(terminal.code).toBe(1);
    expect((await run(true)).writes).toEqual([]);
  });
});
