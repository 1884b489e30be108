import { spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, ftruncateSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { arbiter, repoRoot } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';

const models = join(repoRoot, 'test/fixtures/models');

/** A 300 MiB sparse safetensors file: large enough for the progress line, cheap to make. */
function bigSafetensors(dir: string): string {
  const file = join(dir, 'big.safetensors');
  const size = 300 * 2 ** 20;
  const header = Buffer.from(
    JSON.stringify({ w: { dtype: 'U8', shape: [size - 8 - 128], data_offsets: [0, size - 8 - 128] } }).padEnd(
      128,
    ),
  );
  const fd = openSync(file, 'w');
  writeSync(fd, Buffer.concat([Buffer.from(new BigUint64Array([128n]).buffer), header]));
  ftruncateSync(fd, size);
  closeSync(fd);
  return file;
}

/** Runs the binary under `script`, which gives it a terminal, and returns what the terminal showed. */
function onTerminal(args: string[]): { code: number | null; screen: string } {
  const command = [process.execPath, join(repoRoot, 'bin/arbiter.js'), ...args]
    .map((a) => `'${a}'`)
    .join(' ');
  const result = spawnSync('script', ['-qec', command, '/dev/null'], {
    encoding: 'utf8',
    cwd: repoRoot,
    timeout: 120_000,
  });
  return { code: result.status, screen: result.stdout };
}

describe('arbiter scan', () => {
  it('shows progress for a large file on a terminal, and stays quiet with --json or without a terminal', () => {
    const file = bigSafetensors(tempDir('arbiter-progress-'));
    const shown = onTerminal(['scan', file]);
    expect(shown.code).toBe(0);
    expect(shown.screen).toMatch(/reading .*big\.safetensors {2}0\.\d\d GiB of 0\.29 GiB \(\d+%\)/);
    expect(shown.screen).toContain('(100%)');
    expect(shown.screen).toContain('(safetensors, 314572800 bytes');
    const json = onTerminal(['scan', file, '--json']);
    expect(json.code).toBe(0);
    expect(json.screen).not.toContain('reading');
    expect(JSON.parse(json.screen.slice(json.screen.indexOf('{')))).toMatchObject({ failed: false });
    const piped = arbiter(['scan', file]);
    expect(piped.stderr).toBe('');
  }, 300_000);

  it('reports files it cannot identify as unknown-format, medium unless --unknown says otherwise', () => {
    const dir = tempDir('arbiter-unknown-');
    copyFileSync(join(models, 'tiny.onnx'), join(dir, 'model.onnx'));
    writeFileSync(join(dir, 'config.json'), '{"hidden_size": 8}\n');
    writeFileSync(join(dir, 'modeling_tiny.py'), 'import torch\n');
    const medium = arbiter(['scan', dir, '--json']);
    expect(medium.code).toBe(0);
    const files = JSON.parse(medium.stdout).files as {
      file: string;
      format: string;
      findings: { rule: string; severity: string }[];
    }[];
    expect(
      files.map((f) => [
        f.file.slice(dir.length + 1),
        f.format,
        f.findings.map((x) => `${x.severity}:${x.rule}`),
      ]),
    ).toEqual([
      ['config.json', 'data', []],
      ['model.onnx', 'onnx', []],
      ['modeling_tiny.py', 'unknown', ['medium:unknown-format']],
    ]);
    expect(arbiter(['scan', dir, '--unknown', 'high']).code).toBe(1);
    const bad = arbiter(['scan', dir, '--unknown', 'bogus']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--unknown must be one of');
  }, 120_000);

  it('fails a joblib file compressed with xz that runs a command, naming the compressor', () => {
    const result = arbiter(['scan', join(models, 'evil.joblib.xz'), '--json']);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout).files[0]).toMatchObject({
      format: 'joblib',
      compression: 'xz',
      findings: [{ severity: 'critical', global: 'posix.system' }],
    });
  }, 60_000);
});

describe('arbiter bom of a model directory', () => {
  it('lists the files beside a model that the scanner cannot identify, with format unknown', () => {
    const dir = tempDir('arbiter-bom-models-');
    copyFileSync(join(models, 'torch-state.pt'), join(dir, 'model.pt'));
    writeFileSync(join(dir, 'modeling_tiny.py'), 'import torch\n');
    writeFileSync(join(dir, 'config.json'), '{"hidden_size": 8}\n');
    const result = arbiter(['bom', dir, '--name', 'tiny', '--subject-version', '1.0.0']);
    expect(result.code).toBe(0);
    const components = JSON.parse(result.stdout).components as {
      type: string;
      name: string;
      properties: { name: string; value: string }[];
    }[];
    const format = (c: (typeof components)[number]) =>
      c.properties.find((p) => p.name === 'arbiter:model:format')?.value;
    expect(components.map((c) => [c.type, c.name, format(c)])).toEqual([
      ['machine-learning-model', 'model.pt', 'pytorch-zip'],
      ['machine-learning-model', 'modeling_tiny.py', 'unknown'],
    ]);
  }, 60_000);
});
