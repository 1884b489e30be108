import { closeSync, openSync, readSync } from 'node:fs';
import { extname } from 'node:path';
import { arffChunks } from './arff-reader.js';
import { csvChunks } from './csv-reader.js';
import { ndjsonChunks } from './ndjson-reader.js';
import { parquetChunks } from './parquet-reader.js';
import { fileSize, type Progress, ReadStats, type RowChunk } from './source.js';

/** The formats `arbiter data check` reads. */
export const dataFileFormats = ['csv', 'tsv', 'ndjson', 'arff', 'parquet'] as const;
export type DataFileFormat = (typeof dataFileFormats)[number];

/** The format from the extension, else from the first bytes (`PAR1`, `{`, `@relation` or `%`). */
export function dataFileFormat(path: string): DataFileFormat {
  switch (extname(path).toLowerCase()) {
    case '.parquet':
    case '.pq':
      return 'parquet';
    case '.arff':
      return 'arff';
    case '.ndjson':
    case '.jsonl':
    case '.json':
      return 'ndjson';
    case '.tsv':
    case '.tab':
      return 'tsv';
    case '.csv':
      return 'csv';
  }
  fileSize(path);
  const head = Buffer.alloc(64);
  const fd = openSync(path, 'r');
  const length = readSync(fd, head, 0, head.length, 0);
  closeSync(fd);
  const text = head.subarray(0, length).toString('utf8');
  if (text.startsWith('PAR1')) return 'parquet';
  const first = text.trimStart();
  if (first.startsWith('{')) return 'ndjson';
  if (/^(%|@relation)/i.test(first)) return 'arff';
  return 'csv';
}

/** A data file being read: its chunks (consume once) and what reading it found. */
export interface DataFileRead {
  path: string;
  format: DataFileFormat;
  stats: ReadStats;
  chunks: AsyncGenerator<RowChunk>;
}

/** Opens a data file for streaming in its format. */
export function readDataFileRows(path: string, progress?: Progress): DataFileRead {
  const format = dataFileFormat(path);
  const stats = new ReadStats();
  const options = progress ? { progress } : {};
  const chunks =
    format === 'parquet'
      ? parquetChunks(path, stats, options)
      : format === 'arff'
        ? arffChunks(path, stats, options)
        : format === 'ndjson'
          ? ndjsonChunks(path, stats, options)
          : csvChunks(path, stats, { ...options, delimiter: format === 'tsv' ? '\t' : ',' });
  return { path, format, stats, chunks };
}
