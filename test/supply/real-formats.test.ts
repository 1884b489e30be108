import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanFile } from '../../src/app/supply/model-files.js';
import { type Compression, decompressChunks } from '../../src/supply/decompress.js';
import type { ScanFinding } from '../../src/supply/findings.js';
import { defaultScanLimits } from '../../src/supply/limits.js';
import { bytesReader, readerChunks } from '../../src/supply/reader.js';

/**
 * Model files written by the real libraries (test/fixtures/models/make.py: numpy, scikit-learn,
 * joblib, torch, cloudpickle, onnx from the package mirror), read as their loaders read them.
 */
const dir = new URL('../fixtures/models/', import.meta.url).pathname;
const scan = (file: string) => scanFile(join(dir, file), file);
const summary = (findings: readonly ScanFinding[]) =>
  findings.map((f) => `${f.severity}:${f.rule}:${f.global ?? ''}`).sort();

describe('joblib containers, as joblib.load reads them', () => {
  const compressors: [string, Compression | undefined][] = [
    ['', undefined],
    ['.z', 'zlib'],
    ['.gz', 'gzip'],
    ['.bz2', 'bzip2'],
    ['.xz', 'xz'],
    ['.lzma', 'lzma'],
  ];
  for (const [suffix, compression] of compressors) {
    it(`finds os.system after the arrays of a joblib file${suffix ? ` compressed with ${compression}` : ''}`, async () => {
      const result = await scan(`evil.joblib${suffix}`);
      expect(result.format).toBe('joblib');
      expect(result.compression).toBe(compression);
      expect(summary(result.findings)).toEqual(['critical:pickle-global:posix.system']);
    });

    it(`reads a scikit-learn pipeline to its end${suffix ? ` (${compression})` : ''}: its classes are medium, nothing fails`, async () => {
      const result = await scan(`sklearn-pipeline.joblib${suffix}`);
      expect(result.format).toBe('joblib');
      expect(summary(result.findings)).toEqual([
        'medium:pickle-global:sklearn.linear_model._logistic.LogisticRegression',
        'medium:pickle-global:sklearn.pipeline.Pipeline',
        'medium:pickle-global:sklearn.preprocessing._data.StandardScaler',
      ]);
    });
  }

  it('scans the nested pickle joblib writes for object arrays', async () => {
    expect(summary((await scan('evil-object-array.joblib')).findings)).toEqual([
      'critical:pickle-global:posix.system',
    ]);
    expect((await scan('object-array.joblib')).findings).toEqual([]);
  });

  it('reads joblib files pickled with protocol 2', async () => {
    expect(await scan('protocol2.joblib')).toMatchObject({ format: 'joblib', findings: [] });
  });

  for (const [suffix, compression] of [
    ['.z', 'zlib'],
    ['.gz', 'gzip'],
    ['.bz2', 'bzip2'],
    ['.xz', 'xz'],
    ['.lzma', 'lzma'],
  ] as const) {
    it(`decodes ${compression} byte for byte as Python did (200 kB, several blocks) and finds what follows the array`, async () => {
      const expected = JSON.parse(readFileSync(join(dir, 'evil-large.decoded.json'), 'utf8'));
      const file = readFileSync(join(dir, `evil-large.joblib${suffix}`));
      const hash = createHash('sha256');
      let bytes = 0;
      for await (const chunk of decompressChunks(
        readerChunks(bytesReader(file), { chunkBytes: 999 }),
        compression,
        defaultScanLimits,
      )) {
        hash.update(chunk);
        bytes += chunk.length;
      }
      expect({ sha256: hash.digest('hex'), bytes }).toEqual(expected);
      expect(summary((await scan(`evil-large.joblib${suffix}`)).findings)).toEqual([
        'critical:pickle-global:posix.system',
      ]);
    });
  }
});

describe('NumPy, PyTorch and cloudpickle files', () => {
  it('accepts NumPy arrays, scalars, masked arrays, matrices and generators in protocols 2, 4 and 5', async () => {
    for (const file of [
      'numpy-protocol5.pkl',
      'numpy-values-p2.pkl',
      'numpy-values-p4.pkl',
      'numpy-values-p5.pkl',
    ])
      expect(await scan(file), file).toMatchObject({ format: 'pickle', findings: [] });
  });

  it('accepts torch.save state dicts of every dtype, in the zip and the legacy format', async () => {
    expect(await scan('torch-state.pt')).toMatchObject({ format: 'pytorch-zip', findings: [] });
    expect(await scan('torch-legacy.pt')).toMatchObject({ format: 'pytorch-legacy', findings: [] });
  });

  it('scans the bytes torch.storage._load_from_bytes loads instead of trusting it', async () => {
    for (const file of ['torch-tensor-plain.pkl', 'torch-tensor-plain-large.pkl']) {
      const plain = await scan(file);
      expect(summary(plain.findings), file).toEqual(['info:pickle-nested:torch.storage._load_from_bytes']);
    }
    const evil = await scan('torch-nested-evil.pkl');
    expect(summary(evil.findings)).toEqual([
      'critical:pickle-global:posix.system',
      'info:pickle-nested:torch.storage._load_from_bytes',
    ]);
    expect(evil.findings.find((f) => f.global === 'posix.system')?.file).toMatch(
      /^torch-nested-evil\.pkl!bytes@\d+$/,
    );
  });

  it('makes cloudpickle function builders critical', async () => {
    const result = await scan('cloudpickle-lambda.pkl');
    expect(result.findings.map((f) => f.severity)).not.toContain('high');
    expect(result.findings.filter((f) => f.severity === 'critical').map((f) => f.global)).toContain(
      'cloudpickle.cloudpickle._make_function',
    );
  });
});

describe('ONNX models', () => {
  it('recognises a plain model and finds nothing', async () => {
    expect(await scan('tiny.onnx')).toMatchObject({ format: 'onnx', findings: [] });
  });

  it('reports custom-op domains, external data, and external data outside the model directory', async () => {
    expect(summary((await scan('custom-op.onnx')).findings)).toEqual(['medium:onnx-custom-op:']);
    const external = await scan('external.onnx');
    expect(summary(external.findings)).toEqual(['info:onnx-external-data:']);
    expect(external.findings[0]?.message).toContain('"external.weights"');
    expect(summary((await scan('traversal.onnx')).findings)).toEqual(['high:onnx-external-data:']);
  });
});

describe('library versions the fixtures were made with', () => {
  it('are recorded beside them', () => {
    expect(JSON.parse(readFileSync(join(dir, 'versions.json'), 'utf8'))).toMatchObject({
      numpy: '2.4.6',
      torch: '2.13.0+cpu',
      joblib: '1.6.0',
    });
  });
});
