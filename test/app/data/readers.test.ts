import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dataFileFormat, readDataFileRows } from '../../../src/app/data/data-file.js';
import { maxRecordBytes } from '../../../src/app/data/source.js';
import { sha256Hex } from '../../../src/core/digest.js';
import { isArbiterError } from '../../../src/core/errors.js';
import { plantedRows, writePlanted } from '../../helpers/planted-data.js';
import { tempDir } from '../../helpers/temp.js';

const dir = tempDir('arbiter-data-readers-');

async function readAll(path: string) {
  const read = readDataFileRows(path);
  const rows: { row: number; value: Record<string, unknown> }[] = [];
  for await (const chunk of read.chunks)
    chunk.rows.forEach((value, i) => {
      rows.push({ row: chunk.firstRow + i, value });
    });
  return { rows, stats: read.stats, format: read.format };
}

const file = (name: string, text: string | Buffer) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('data file readers', () => {
  it('number rows exactly across rejected ones, and hash exactly the bytes read', async () => {
    const path = file('gaps.csv', 'a,b\n1,2\n3\n"4,5\n6,7\n');
    const { rows, stats } = await readAll(path);
    // Row 2 has one field; row 3 opens a quote that never closes (it swallows the rest).
    expect(rows.map((r) => [r.row, r.value.a])).toEqual([[1, '1']]);
    expect(stats.unreadable).toBeGreaterThanOrEqual(2);
    expect(stats.sha256).toBe(sha256Hex(readFileSync(path)));

    const ndjson = file('gaps.ndjson', '{"a":1}\nnot json\n\n{"a":3}\n[1]\n{"a":5}\n');
    const read = await readAll(ndjson);
    expect(read.rows.map((r) => [r.row, r.value.a])).toEqual([
      [1, 1],
      [3, 3],
      [5, 5],
    ]);
    expect(read.stats.problems).toEqual([
      { at: 2, reason: 'not valid JSON' },
      { at: 5, reason: 'not a JSON object' },
    ]);
  });

  it('skip a line longer than 1 MiB as one unreadable row without buffering it, and go on', async () => {
    const huge = 'x'.repeat(maxRecordBytes + 10);
    const ndjson = file('long.ndjson', `{"a":1}\n{"a":"${huge}"}\n{"a":3}\n`);
    const read = await readAll(ndjson);
    expect(read.rows.map((r) => r.value.a)).toEqual([1, 3]);
    expect(read.stats.problems).toEqual([{ at: 2, reason: 'line too long' }]);

    const csv = file('long.csv', `a,b\n1,2\n3,${huge}\n5,6\n`);
    const fromCsv = await readAll(csv);
    expect(fromCsv.stats.unreadable).toBeGreaterThanOrEqual(1);
    expect(fromCsv.stats.problems[0]!.reason).toBe(`longer than ${maxRecordBytes} bytes`);
  });

  it('read CRLF, a byte-order mark, TSV and quoted fields', async () => {
    const csv = await readAll(file('crlf.csv', '\ufeffname,notes\r\n"Doe, J.","said ""hi"""\r\n'));
    expect(csv.rows[0]!.value).toEqual({ name: 'Doe, J.', notes: 'said "hi"' });
    const tsv = await readAll(file('t.tsv', 'a\tb\n1\t\n'));
    expect(tsv.format).toBe('tsv');
    expect(tsv.rows[0]!.value).toEqual({ a: '1', b: null });
  });

  it('read ARFF as parseArff does, a quote that does not close being one unreadable row', async () => {
    const arff = file(
      'q.arff',
      "@relation r\n@attribute name string\n@attribute n numeric\n@data\n'a b',1\n'open,2\n?,3\n",
    );
    const read = await readAll(arff);
    expect(read.rows).toEqual([
      { row: 1, value: { name: 'a b', n: 1 } },
      { row: 3, value: { name: null, n: 3 } },
    ]);
    expect(read.stats.problems).toEqual([{ at: 6, reason: 'a quote is not closed' }]);
  });

  it('refuse a truncated Parquet file, and one whose footer is missing, as unreadable files', async () => {
    const good = writePlanted(dir, 'whole', 'parquet', plantedRows(200));
    const bytes = readFileSync(good);
    for (const [name, content] of [
      ['cut.parquet', bytes.subarray(0, bytes.length - 20)],
      ['headless.parquet', bytes.subarray(4)],
    ] as const) {
      const error = await readAll(file(name, content)).catch((e: unknown) => e);
      expect(isArbiterError(error) && error.code, name).toBe('ARB_ERR_DATA_FILE_UNREADABLE');
    }
    const whole = await readAll(good);
    expect(whole.rows.length).toBe(200);
    expect(whole.rows[199]!.row).toBe(200);
    // INT64 ages arrive as numbers, like the other formats'.
    expect(typeof whole.rows[0]!.value.age).toBe('number');
    expect(whole.stats.sha256).toBe(sha256Hex(bytes));
  });

  it('tell the format by the first bytes when the extension says nothing', () => {
    expect(dataFileFormat(file('x.data', 'PAR1…'))).toBe('parquet');
    expect(dataFileFormat(file('y.data', '  {"a":1}\n'))).toBe('ndjson');
    expect(dataFileFormat(file('z.data', '% comment\n@relation r\n'))).toBe('arff');
    expect(dataFileFormat(file('w.data', 'a,b\n'))).toBe('csv');
  });
});
