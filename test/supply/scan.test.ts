import { describe, expect, it } from 'vitest';
import { ByteCursor, readerSource } from '../../src/supply/byte-cursor.js';
import { parsePickle } from '../../src/supply/pickle.js';
import { bytesReader } from '../../src/supply/reader.js';
import { detectFormat as detectReaderFormat, scanBytes } from '../../src/supply/scan.js';
import { hasPython, pythonBytes } from '../helpers/python.js';
import { writeZip } from '../helpers/zip-writer.js';

/** A class whose unpickling calls os.system — the classic malicious checkpoint. */
const evil = (protocol: number, call = "os.system, ('echo pwned',)") =>
  pythonBytes(`
import os, sys, pickle, builtins
class Evil:
    def __reduce__(self):
        return (${call})
sys.stdout.buffer.write(pickle.dumps({'weights': [1.0, 2.0], 'payload': Evil()}, protocol=${protocol}))
`);
const benign = (protocol: number) =>
  pythonBytes(`
import sys, pickle, collections
sys.stdout.buffer.write(pickle.dumps(collections.OrderedDict([('layer.weight', [0.1, 0.2]), ('layer.bias', (1, 2, {3}))]), protocol=${protocol}))
`);

/** Findings of a file holding just these bytes. */
const scanPickles = async (file: string, data: Uint8Array) => (await scanBytes(file, data)).findings;
const detectFormat = (data: Uint8Array) => detectReaderFormat(bytesReader(data));

const globals = (findings: { global?: string; severity: string }[]) =>
  findings.map((f) => `${f.severity}:${f.global}`);

describe.skipIf(!hasPython)('pickle scanning (samples made by Python at test time)', () => {
  for (const protocol of [0, 1, 2, 3, 4, 5]) {
    it(`protocol ${protocol}: os.system is critical, OrderedDict is fine`, async () => {
      const findings = await scanPickles('m.pkl', evil(protocol));
      expect(globals(findings)).toEqual([`critical:${process.platform === 'win32' ? 'nt' : 'posix'}.system`]);
      expect(findings[0]!.message).toContain('the pickle calls it');
      expect(await scanPickles('ok.pkl', benign(protocol))).toEqual([]);
    });
  }

  it('resolves STACK_GLOBAL through the memo (protocol 4 with repeated globals)', async () => {
    const data = pythonBytes(`
import sys, pickle, builtins
class E:
    def __reduce__(self): return (builtins.eval, ('1+1',))
sys.stdout.buffer.write(pickle.dumps([E(), E(), E()], protocol=4))
`);
    const parsed = await parsePickle(new ByteCursor(readerSource(bytesReader(data))));
    expect(parsed.imports.map((i) => `${i.opcode}:${i.global}`)).toEqual(['STACK_GLOBAL:builtins.eval']);
    expect(parsed.calls.map((c) => c.global)).toEqual(['builtins.eval', 'builtins.eval', 'builtins.eval']);
    expect(globals(await scanPickles('e.pkl', data))).toEqual(['critical:builtins.eval']);
  });

  it('flags unknown globals as high and subprocess as critical', async () => {
    expect(globals(await scanPickles('s.pkl', evil(4, "__import__('subprocess').Popen, (['id'],)")))).toEqual(
      ['critical:subprocess.Popen'],
    );
    // Protocol 2 pickles name it as Python 2 did; still critical.
    expect(
      globals(await scanPickles('s2.pkl', evil(2, "__import__('subprocess').Popen, (['id'],)"))),
    ).toEqual(['critical:commands.Popen']);
    const unknown = pythonBytes(`
import sys, pickle, fractions
sys.stdout.buffer.write(pickle.dumps(fractions.Fraction(1, 3), protocol=2))
`);
    expect(globals(await scanPickles('f.pkl', unknown))).toEqual(['high:fractions.Fraction']);
  });

  it('reports a truncated pickle instead of passing it', async () => {
    const data = benign(4);
    const findings = await scanPickles('t.pkl', data.subarray(0, data.length - 5));
    expect(findings).toMatchObject([{ rule: 'pickle-unparseable', severity: 'high' }]);
  });

  it('scans every pickle of a file, and the legacy PyTorch layout', async () => {
    const two = new Uint8Array([...benign(2), ...evil(2)]);
    expect(globals(await scanPickles('two.pkl', two))).toEqual(['critical:posix.system']);
    const legacy = pythonBytes(`
import sys, pickle, os
class Evil:
    def __reduce__(self): return (os.system, ('id',))
out = sys.stdout.buffer
out.write(pickle.dumps(0x1950a86a20f9469cfc6c, protocol=2))
out.write(pickle.dumps(1001, protocol=2))
out.write(pickle.dumps({'protocol_version': 1001, 'little_endian': True}, protocol=2))
out.write(pickle.dumps({'state': Evil()}, protocol=2))
out.write(pickle.dumps(['0', '1'], protocol=2))
out.write(b'\\x80' + bytes(range(200)))  # raw storage bytes that merely start like a pickle
`);
    expect(await detectFormat(legacy)).toBe('pytorch-legacy');
    const scan = await scanBytes('legacy.pt', legacy);
    expect(globals(scan.findings)).toEqual(['critical:posix.system']);
  });

  it('opens PyTorch zip checkpoints, including members written with data descriptors', async () => {
    for (const dataDescriptor of [false, true]) {
      const zip = writeZip(
        {
          'archive/data.pkl': evil(2),
          'archive/data/0': new Uint8Array(64),
          'archive/version': new TextEncoder().encode('3\n'),
        },
        { dataDescriptor },
      );
      const scan = await scanBytes('model.pt', zip);
      expect(scan.format).toBe('pytorch-zip');
      expect(scan.findings).toMatchObject([
        { file: 'model.pt!archive/data.pkl', severity: 'critical', global: 'posix.system' },
      ]);
    }
  });

  it('finds the pickle inside a NumPy object array, alone and in an .npz', async () => {
    const payload = evil(2);
    const header = "{'descr': '|O', 'fortran_order': False, 'shape': (2,), }";
    const padded = `${header.padEnd(Math.ceil((header.length + 11) / 64) * 64 - 11, ' ')}\n`;
    const npy = new Uint8Array([
      0x93,
      ...new TextEncoder().encode('NUMPY'),
      1,
      0,
      padded.length & 0xff,
      padded.length >> 8,
      ...new TextEncoder().encode(padded),
      ...payload,
    ]);
    const scan = await scanBytes('array.npy', npy);
    expect(scan.format).toBe('numpy');
    expect(scan.findings.map((f) => f.rule)).toEqual(['npy-object-array', 'pickle-global']);
    expect(scan.findings[0]!.severity).toBe('critical');
    const npz = await scanBytes('arrays.npz', writeZip({ 'a.npy': npy }));
    expect(npz.format).toBe('numpy-npz');
    expect(npz.findings.some((f) => f.file === 'arrays.npz!a.npy' && f.global === 'posix.system')).toBe(true);
  });
});

describe('header validation of non-pickle formats', () => {
  function safetensors(header: Record<string, unknown>, dataBytes: number): Uint8Array {
    const json = new TextEncoder().encode(JSON.stringify(header));
    const out = new Uint8Array(8 + json.length + dataBytes);
    new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
    out.set(json, 8);
    return out;
  }

  it('accepts a well-formed safetensors file', async () => {
    const file = safetensors(
      {
        __metadata__: { format: 'pt' },
        w: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] },
        b: { dtype: 'F32', shape: [2], data_offsets: [16, 24] },
      },
      24,
    );
    expect(await scanBytes('m.safetensors', file)).toMatchObject({ format: 'safetensors', findings: [] });
  });

  it.each([
    [
      'offsets past the data',
      { w: { dtype: 'F32', shape: [4], data_offsets: [0, 64] } },
      16,
      /outside the 16-byte data section/,
    ],
    [
      'overlapping tensors',
      {
        a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
        b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
      },
      16,
      /overlap/,
    ],
    ['size not matching shape', { w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, 16, /need 12/],
    ['unknown dtype', { w: { dtype: 'X9', shape: [1], data_offsets: [0, 1] } }, 16, /unknown dtype/],
  ])('rejects safetensors with %s', async (_name, header, size, message) => {
    const [finding] = (
      await scanBytes('bad.safetensors', safetensors(header as Record<string, unknown>, size))
    ).findings;
    expect(finding?.rule).toBe('safetensors-malformed');
    expect(finding?.message).toMatch(message);
  });

  function gguf(options: { tensorCount?: bigint; offset?: bigint } = {}): Uint8Array {
    const parts: number[] = [];
    const u32 = (v: number) => parts.push(...new Uint8Array(new Uint32Array([v]).buffer));
    const u64 = (v: bigint) => parts.push(...new Uint8Array(new BigUint64Array([v]).buffer));
    const str = (s: string) => {
      u64(BigInt(s.length));
      parts.push(...new TextEncoder().encode(s));
    };
    parts.push(0x47, 0x47, 0x55, 0x46);
    u32(3);
    u64(options.tensorCount ?? 1n);
    u64(1n);
    str('general.name');
    u32(8);
    str('tiny');
    str('tok_embd.weight');
    u32(1);
    u64(4n);
    u32(0);
    u64(options.offset ?? 0n);
    while (parts.length % 32 !== 0) parts.push(0);
    parts.push(...new Array(16).fill(0));
    return new Uint8Array(parts);
  }

  it('accepts a well-formed GGUF file and rejects lying counts and offsets', async () => {
    expect(await scanBytes('m.gguf', gguf())).toMatchObject({ format: 'gguf', findings: [] });
    expect((await scanBytes('m.gguf', gguf({ tensorCount: 1n << 40n }))).findings[0]?.message).toMatch(
      /cannot fit/,
    );
    expect((await scanBytes('m.gguf', gguf({ offset: 1n << 20n }))).findings[0]?.message).toMatch(
      /outside the file/,
    );
  });

  it('flags Keras Lambda layers in .keras archives and .h5 files', async () => {
    const config = new TextEncoder().encode(
      JSON.stringify({
        class_name: 'Sequential',
        config: {
          layers: [{ class_name: 'Dense' }, { class_name: 'Lambda', config: { function: '4wEAAAAAAAAA' } }],
        },
      }),
    );
    const keras = await scanBytes(
      'model.keras',
      writeZip({
        'config.json': config,
        'metadata.json': new TextEncoder().encode('{}'),
        'model.weights.h5': new Uint8Array(8),
      }),
    );
    expect(keras).toMatchObject({
      format: 'keras',
      findings: [{ rule: 'keras-lambda', severity: 'high', file: 'model.keras!config.json' }],
    });
    const h5 = new Uint8Array([
      0x89,
      0x48,
      0x44,
      0x46,
      0x0d,
      0x0a,
      0x1a,
      0x0a,
      ...new Uint8Array(100),
      ...config,
    ]);
    expect(await scanBytes('model.h5', h5)).toMatchObject({
      format: 'keras-h5',
      findings: [{ rule: 'keras-lambda' }],
    });
  });

  it('detects formats from content, not names', async () => {
    expect(await detectFormat(new TextEncoder().encode('hello world'))).toBe('unknown');
    expect(await detectFormat(new Uint8Array([0x80, 0x04, 0x95]))).toBe('pickle');
  });

  it('reports a damaged archive', async () => {
    const zip = writeZip({ 'archive/data.pkl': new Uint8Array([0x80, 2, 0x4e, 0x2e]) });
    expect((await scanBytes('cut.pt', zip.subarray(0, zip.length - 30))).findings[0]?.rule).toBe(
      'zip-malformed',
    );
  });
});
