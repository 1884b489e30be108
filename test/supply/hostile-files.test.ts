import { spawnSync } from 'node:child_process';
import { closeSync, ftruncateSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { constants, deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { type ScanOptions, scanBytes } from '../../src/supply/scan.js';
import { repoRoot } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';
import { writeZip } from '../helpers/zip-writer.js';

const u16 = (n: number) => Buffer.from([n & 0xff, n >>> 8]);
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
};

/**
 * A deflate stream inflating to a pickle of `inflated` bytes (PROTO, a BINBYTES8 of zeros, STOP),
 * built from one sync-flushed megabyte of zeros repeated: 1.5 GB inflates from about 1.5 MB.
 */
function deflateBomb(inflated: number): Buffer {
  const header = Buffer.concat([Buffer.from([0x80, 0x02, 0x8e]), Buffer.alloc(8)]);
  header.writeBigUInt64LE(BigInt(inflated - 12), 3);
  const sync = { finishFlush: constants.Z_SYNC_FLUSH };
  const megabyte = deflateRawSync(Buffer.alloc(2 ** 20), sync);
  const whole = Math.floor((inflated - 12) / 2 ** 20);
  const rest = inflated - 12 - whole * 2 ** 20;
  return Buffer.concat([
    deflateRawSync(header, sync),
    ...Array.from({ length: whole }, () => megabyte),
    deflateRawSync(Buffer.alloc(rest), sync),
    deflateRawSync(Buffer.from('.')),
  ]);
}

/** A PyTorch-style zip whose data.pkl is deflated; `declared` is the size the directory claims. */
function zipWithDeflated(name: string, compressed: Buffer, declared: number): Buffer {
  const nameBytes = Buffer.from(name);
  // Shared by both headers: flags 0, method 8, time, date, CRC 0 (not checked for large members), sizes, name length.
  const fields = Buffer.concat([
    u16(0),
    u16(8),
    u16(0),
    u16(0),
    u32(0),
    u32(compressed.length),
    u32(declared),
    u16(nameBytes.length),
  ]);
  const local = Buffer.concat([u32(0x04034b50), u16(20), fields, u16(0), nameBytes]);
  const central = Buffer.concat([
    u32(0x02014b50),
    u16(20),
    u16(20),
    fields,
    u16(0),
    u16(0),
    u16(0),
    u16(0),
    u32(0),
    u32(0),
    nameBytes,
  ]);
  const end = Buffer.concat([
    u32(0x06054b50),
    u16(0),
    u16(0),
    u16(1),
    u16(1),
    u32(central.length),
    u32(local.length + compressed.length),
    u16(0),
  ]);
  return Buffer.concat([local, compressed, central, end]);
}

const bombBytes = 1.5 * 2 ** 30;
const rules = (scan: Awaited<ReturnType<typeof scanBytes>>) =>
  scan.findings.map((f) => `${f.severity}:${f.rule}:${f.file}`);

describe('decompression bombs and nesting', () => {
  it('stops a 1.5 GB data.pkl at the ratio limit with an archive-limit finding', async () => {
    const bomb = zipWithDeflated('archive/data.pkl', deflateBomb(bombBytes), bombBytes);
    expect(bomb.length).toBeLessThan(4 * 2 ** 20);
    const scan = await scanBytes('bomb.pt', bomb);
    expect(scan.format).toBe('pytorch-zip');
    expect(rules(scan)).toEqual(['high:archive-limit:bomb.pt!archive/data.pkl']);
    expect(scan.findings[0]?.message).toMatch(/inflates more than 200:1 .*decompression bomb/);
  });

  it('stops at the output limit when the ratio allows it, and when a member inflates past its declared size', async () => {
    const bomb = zipWithDeflated('archive/data.pkl', deflateBomb(bombBytes), bombBytes);
    const options: ScanOptions = {
      limits: { maxCompressionRatio: Number.POSITIVE_INFINITY, maxInflatedBytes: 32 * 2 ** 20 },
    };
    const capped = await scanBytes('bomb.pt', bomb, options);
    expect(rules(capped)).toEqual(['high:archive-limit:bomb.pt!archive/data.pkl']);
    expect(capped.findings[0]?.message).toContain('inflates past the 33554432-byte limit');
    const lying = zipWithDeflated('archive/data.pkl', deflateBomb(4 * 2 ** 20), 100);
    const scan = await scanBytes('lying.pt', lying, {
      limits: { maxCompressionRatio: Number.POSITIVE_INFINITY },
    });
    expect(scan.findings[0]).toMatchObject({ rule: 'archive-limit', severity: 'high' });
    expect(scan.findings[0]?.message).toContain('inflates past the 100-byte limit');
  });

  it('reports archives nested deeper than the limit instead of recursing', async () => {
    let inner: Uint8Array = Buffer.from([0x80, 0x02, 0x4e, 0x2e]);
    let name = 'data.pkl';
    for (let level = 0; level < 6; level++) {
      inner = writeZip({ [name]: inner });
      name = `level${level}.zip`;
    }
    const scan = await scanBytes('nested.zip', inner);
    expect(scan.findings).toHaveLength(1);
    expect(scan.findings[0]).toMatchObject({ rule: 'archive-limit', severity: 'high' });
    expect(scan.findings[0]?.message).toContain('nest deeper than 4');
  });

  it('reports a member the directory lists with an unreadable compression method', async () => {
    const zip = Buffer.from(writeZip({ 'archive/data.pkl': Buffer.from([0x80, 0x02, 0x4e, 0x2e]) }));
    // Central directory method field → 93 (Zstandard).
    zip.writeUInt16LE(93, zip.length - 22 - (46 + 'archive/data.pkl'.length) + 10);
    const scan = await scanBytes('zstd.pt', zip);
    expect(rules(scan)).toEqual(['high:zip-malformed:zstd.pt!archive/data.pkl']);
    expect(scan.findings[0]?.message).toContain('compression method 93');
  });

  it('fails closed on a truncated compressed joblib container', async () => {
    const pickle = Buffer.concat([Buffer.from([0x80, 0x04]), Buffer.from('cos\nsystem\n(Vid\ntR.')]);
    const { deflateSync } = await import('node:zlib');
    const zlib = deflateSync(
      Buffer.concat([pickle.subarray(0, 2), Buffer.from(']'), Buffer.alloc(4096, 0x4e), pickle.subarray(2)]),
    );
    const scan = await scanBytes('cut.joblib', zlib.subarray(0, zlib.length - 6));
    expect(scan.format).toBe('joblib');
    expect(scan.findings.map((f) => f.rule)).toContain('compressed-corrupt');
  });
});

describe('files of any size (sparse files made at test time)', () => {
  it('hashes and checks a 4.06 GiB safetensors and a 1.5 GB zip bomb with less than 256 MiB of memory', () => {
    const dir = tempDir('arbiter-sparse-');
    const big = join(dir, 'big.safetensors');
    const size = 2 ** 32 + 2 ** 26; // past 4 GiB: 32-bit offsets and sizes would wrap
    const headerFor = (dataBytes: number) =>
      Buffer.from(
        JSON.stringify({ w: { dtype: 'U8', shape: [dataBytes], data_offsets: [0, dataBytes] } }).padEnd(128),
      );
    const header = headerFor(size - 8 - 128);
    const fd = openSync(big, 'w');
    writeSync(fd, Buffer.concat([Buffer.from(new BigUint64Array([BigInt(header.length)]).buffer), header]));
    ftruncateSync(fd, size);
    closeSync(fd);
    const bomb = join(dir, 'bomb.pt');
    writeFileSync(bomb, zipWithDeflated('archive/data.pkl', deflateBomb(bombBytes), bombBytes));
    const script = `
      const { scanFile } = await import(${JSON.stringify(join(repoRoot, 'dist/app/supply/node.js'))});
      const big = await scanFile(${JSON.stringify(big)}, 'big.safetensors');
      const bomb = await scanFile(${JSON.stringify(bomb)}, 'bomb.pt');
      console.log(JSON.stringify({ big, bomb, maxRssKiB: process.resourceUsage().maxRSS }));
    `;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(child.stderr).toBe('');
    const result = JSON.parse(child.stdout);
    expect(result.big).toMatchObject({ format: 'safetensors', sizeBytes: size, findings: [] });
    expect(result.big.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(result.bomb.findings.map((f: { rule: string }) => f.rule)).toEqual(['archive-limit']);
    expect(result.maxRssKiB * 1024).toBeLessThan(256 * 2 ** 20);
    // Hashing 4.5 GiB takes seconds on an idle machine and minutes on a loaded one: a budget, not a threshold.
  }, 300_000);
});

describe('hostile pickles and corrupt containers', () => {
  it('reports a pickle whose stack grows past the limit instead of exhausting memory', async () => {
    const marks = Buffer.concat([Buffer.from([0x80, 0x02]), Buffer.alloc(1_100_000, 0x28), Buffer.from('.')]);
    const scan = await scanBytes('marks.pkl', marks);
    expect(rules(scan)).toEqual(['high:scan-limit:marks.pkl']);
    expect(scan.findings[0]?.message).toContain('stack grows past 1000000 entries');
  });

  it('lists at most 10,000 findings of one file and says how many more there were', async () => {
    const parts = [Buffer.from([0x80, 0x02])];
    for (let i = 0; i < 10_050; i++) parts.push(Buffer.from(`cunknown_module_${i}\nthing\n0`));
    parts.push(Buffer.from('N.'));
    const scan = await scanBytes('many.pkl', Buffer.concat(parts));
    expect(scan.findings).toHaveLength(10_001);
    expect(scan.findings.at(-1)).toMatchObject({ rule: 'scan-limit', severity: 'high' });
    expect(scan.findings.at(-1)?.message).toContain('50 more findings');
  });

  it('fails closed when a compressed joblib container is corrupt (bzip2 CRC, xz and lzma cut short)', async () => {
    const models = new URL('../fixtures/models/', import.meta.url).pathname;
    const { readFileSync } = await import('node:fs');
    const bz2 = Buffer.from(readFileSync(join(models, 'evil-large.joblib.bz2')));
    bz2.writeUInt8(bz2.readUInt8(bz2.length - 200) ^ 0xff, bz2.length - 200);
    for (const [name, bytes] of [
      ['flipped.bz2', bz2],
      ['cut.xz', readFileSync(join(models, 'evil-large.joblib.xz')).subarray(0, 30_000)],
      ['cut.lzma', readFileSync(join(models, 'evil-large.joblib.lzma')).subarray(0, 30_000)],
    ] as const) {
      const scan = await scanBytes(name, bytes);
      expect(scan.format, name).toBe('joblib');
      expect(
        scan.findings.some((f) => f.rule === 'compressed-corrupt' && f.severity === 'high'),
        `${name}: ${JSON.stringify(scan.findings)}`,
      ).toBe(true);
    }
  });
});
