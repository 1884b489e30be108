import { Readable } from 'node:stream';
import { type CsvError, type Options, parse } from 'csv-parse';
import { ArbiterError } from '../../core/errors.js';
import { checkedHeader } from './header.js';
import {
  ChunkBuilder,
  hashedBytes,
  maxRecordBytes,
  type Progress,
  type ReadStats,
  type RowChunk,
} from './source.js';

/**
 * CSV (RFC 4180; TSV with `delimiter: '\t'`) through csv-parse, streaming: the first record is the
 * header, empty cells are missing. A record that does not parse or has the wrong number of fields
 * is an unreadable row; csv-parse's own message is not passed on, since it can quote the field.
 */
export async function* csvChunks(
  path: string,
  stats: ReadStats,
  options: { delimiter: ',' | '\t'; progress?: Progress },
): AsyncGenerator<RowChunk> {
  let header: string[] | undefined;
  // Records in file order, the header included: a skipped record still takes its number. Both
  // callbacks run synchronously while parsing, in file order (the iterator below runs later).
  let records = 0;
  const parser = parse({
    delimiter: options.delimiter,
    bom: true,
    trim: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    max_record_size: maxRecordBytes,
    // A record whose field count differs from the header's is skipped through the "skip" event.
    relax_column_count: false,
    // Each record carries its number through the stream (csv-parse's types only allow arrays here).
    on_record: ((record: string[]) => ({ record, number: ++records })) as unknown as Options['on_record'],
  });
  parser.on('skip', (error: CsvError) => {
    records++;
    stats.reject(Number((error as CsvError & { lines?: number }).lines ?? 0), csvReason(error.code));
  });
  const input = Readable.from(hashedBytes(path, stats, options.progress));
  input.on('error', (error) => parser.destroy(error));
  input.pipe(parser);
  const chunks = new ChunkBuilder(stats);
  try {
    for await (const { record, number } of parser as AsyncIterable<{ record: string[]; number: number }>) {
      if (!header) {
        header = checkedHeader(path, record);
        continue;
      }
      const row: Record<string, unknown> = {};
      for (let i = 0; i < header.length; i++) row[header[i]!] = record[i] === '' ? null : record[i];
      const chunk = chunks.add(row, number - 1);
      if (chunk) yield chunk;
    }
  } catch (error) {
    if (error instanceof ArbiterError) throw error;
    const code = (error as { code?: string }).code;
    throw new ArbiterError(
      'ARB_ERR_DATA_FILE_UNREADABLE',
      `${path}: not readable as CSV (${code ?? 'read error'})`,
      {
        details: { path },
      },
    );
  }
  if (!header)
    throw new ArbiterError('ARB_ERR_DATA_FILE_UNREADABLE', `${path}: empty, no header line`, {
      details: { path },
    });
  const last = chunks.flush();
  if (last) yield last;
}

/** A reason from csv-parse's error code alone. */
function csvReason(code: string | undefined): string {
  switch (code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'a quoted field is not closed';
    case 'CSV_MAX_RECORD_SIZE':
      return `longer than ${maxRecordBytes} bytes`;
    case 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH':
      return 'a different number of fields than the header';
    case 'CSV_INVALID_CLOSING_QUOTE':
    case 'INVALID_OPENING_QUOTE':
      return 'a quote inside an unquoted field';
    default:
      return `not valid CSV (${code ?? 'unknown error'})`;
  }
}
