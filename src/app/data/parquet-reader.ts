import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import {
  asyncBufferFromFile,
  type FileMetaData,
  parquetMetadataAsync,
  parquetReadObjects,
  parquetSchema,
} from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { ArbiterError } from '../../core/errors.js';
import { checkedHeader } from './header.js';
import { ChunkBuilder, fileSize, type Progress, type ReadStats, type Row, type RowChunk } from './source.js';

/**
 * Parquet through hyparquet (pure JavaScript; snappy built in, gzip, zstd, brotli and LZ4 from
 * hyparquet-compressors), one row group at a time, so memory follows the row group size the
 * writer chose, not the file size. Values become what the other formats give: INT64 as numbers
 * (as text beyond 2⁵³), timestamps as ISO 8601 text, byte arrays as UTF-8 text.
 */
export async function* parquetChunks(
  path: string,
  stats: ReadStats,
  options: { progress?: Progress },
): AsyncGenerator<RowChunk> {
  stats.bytes = fileSize(path);
  const file = await asyncBufferFromFile(path);
  let metadata: FileMetaData;
  try {
    metadata = await parquetMetadataAsync(file);
  } catch {
    throw new ArbiterError('ARB_ERR_DATA_FILE_UNREADABLE', `${path}: not a Parquet file (no valid footer)`, {
      details: { path },
    });
  }
  const total = Number(metadata.num_rows);
  checkedHeader(
    path,
    parquetSchema(metadata).children.map((field) => field.element.name),
  );
  const chunks = new ChunkBuilder(stats);
  let rowStart = 0;
  for (const group of metadata.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows);
    let rows: Record<string, unknown>[];
    try {
      rows = (await parquetReadObjects({ file, metadata, rowStart, rowEnd, compressors })) as Record<
        string,
        unknown
      >[];
    } catch (error) {
      throw new ArbiterError(
        'ARB_ERR_DATA_FILE_UNREADABLE',
        `${path}: rows ${rowStart + 1}–${rowEnd} cannot be decoded (${(error as Error).name})`,
        { details: { path } },
      );
    }
    for (let i = 0; i < rows.length; i++) {
      const chunk = chunks.add(plainRow(rows[i]!), rowStart + i + 1);
      if (chunk) yield chunk;
    }
    rowStart = rowEnd;
    options.progress?.(rowStart, total);
  }
  const last = chunks.flush();
  if (last) yield last;
  stats.sha256 = await fileSha256(path);
}

const decoder = new TextDecoder('utf-8');

function plainValue(value: unknown): unknown {
  if (typeof value === 'bigint')
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (value instanceof Uint8Array) return decoder.decode(value);
  if (Array.isArray(value)) return value.map(plainValue);
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([key, child]) => [key, plainValue(child)]));
  return value;
}

function plainRow(row: Row): Row {
  const out: Row = {};
  for (const key in row) out[key] = plainValue(row[key]);
  return out;
}

async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
