import { createHash, type Hash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { ArbiterError } from '../../core/errors.js';

/**
 * What every data file reader shares: rows come in chunks numbered from the file's first data row,
 * unreadable rows are counted with their number and a reason that never quotes the row, and the
 * file's SHA-256 is computed from the same bytes that are parsed.
 */

export type Row = Record<string, unknown>;

export interface RowChunk {
  rows: Row[];
  /** 1-based number of the chunk's first row among the file's data rows. */
  firstRow: number;
}

export interface ReadProblem {
  /** 1-based line (text formats) or row (Parquet). */
  at: number;
  reason: string;
}

/** Progress: how much of the file has been read, in bytes (text) or rows (Parquet). */
export type Progress = (done: number, total: number) => void;

/** Bookkeeping a reader fills in while its chunks are consumed. */
export class ReadStats {
  rows = 0;
  unreadable = 0;
  readonly problems: ReadProblem[] = [];
  sha256 = '';
  bytes = 0;

  /** Counts an unreadable row; the first few are kept to print. */
  reject(at: number, reason: string): void {
    this.unreadable++;
    if (this.problems.length < 10) this.problems.push({ at, reason });
  }
}

/** Rows per chunk handed to the checks. */
export const chunkRows = 10_000;
/** The longest line or record accepted; longer ones are unreadable rows, not a reason to buffer without end. */
export const maxRecordBytes = 1 << 20;

/** The size of a file, or an ARB_ERR_INPUT_NOT_FOUND naming it. */
export function fileSize(path: string): number {
  try {
    const stat = statSync(path);
    if (!stat.isFile()) throw new ArbiterError('ARB_ERR_INPUT_NOT_FOUND', `${path}: not a file`);
    return stat.size;
  } catch (error) {
    if (error instanceof ArbiterError) throw error;
    throw new ArbiterError('ARB_ERR_INPUT_NOT_FOUND', `${path}: no such file`, { details: { path } });
  }
}

/** The file's bytes as a stream, hashed and counted as they pass. */
export async function* hashedBytes(
  path: string,
  stats: ReadStats,
  progress?: Progress,
): AsyncGenerator<Buffer> {
  const total = fileSize(path);
  const hash: Hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    const bytes = chunk as Buffer;
    hash.update(bytes);
    stats.bytes += bytes.length;
    progress?.(stats.bytes, total);
    yield bytes;
  }
  stats.sha256 = hash.digest('hex');
}

/**
 * Lines of text from byte chunks (LF or CRLF; UTF-8, split safely across chunks). A line longer
 * than `maxRecordBytes` is yielded as `undefined` (with its number) and the rest of it skipped.
 */
export async function* textLines(
  bytes: AsyncIterable<Buffer>,
): AsyncGenerator<{ line: number; text: string | undefined }> {
  const decoder = new TextDecoder('utf-8');
  let pending = '';
  let skipping = false;
  let line = 0;
  for await (const chunk of bytes) {
    let text = pending + decoder.decode(chunk, { stream: true });
    pending = '';
    let start = 0;
    for (;;) {
      const newline = text.indexOf('\n', start);
      if (newline < 0) break;
      line++;
      if (skipping || newline - start > maxRecordBytes) {
        skipping = false;
        yield { line, text: undefined };
      } else {
        const end = newline > start && text.charCodeAt(newline - 1) === 13 ? newline - 1 : newline;
        yield { line, text: text.slice(start, end) };
      }
      start = newline + 1;
    }
    text = text.slice(start);
    if (skipping) continue;
    if (text.length > maxRecordBytes) skipping = true;
    else pending = text;
  }
  pending += decoder.decode();
  if (skipping) yield { line: line + 1, text: undefined };
  else if (pending !== '') yield { line: line + 1, text: pending.replace(/\r$/, '') };
}

/**
 * Collects rows into chunks of consecutive row numbers: a gap (an unreadable row) closes the
 * chunk, so each chunk's `firstRow` numbers its rows exactly.
 */
export class ChunkBuilder {
  #rows: Row[] = [];
  #firstRow = 1;
  #next = 1;

  constructor(private readonly stats: ReadStats) {}

  /** Adds row number `number` (1-based); returns a finished chunk when one is complete. */
  add(row: Row, number: number): RowChunk | undefined {
    const finished = number !== this.#next ? this.flush() : undefined;
    if (this.#rows.length === 0) this.#firstRow = number;
    this.#rows.push(row);
    this.#next = number + 1;
    if (finished) return finished;
    return this.#rows.length >= chunkRows ? this.flush() : undefined;
  }

  /** The rows collected so far, if any. */
  flush(): RowChunk | undefined {
    if (this.#rows.length === 0) return undefined;
    const chunk = { rows: this.#rows, firstRow: this.#firstRow };
    this.stats.rows += chunk.rows.length;
    this.#rows = [];
    return chunk;
  }
}
