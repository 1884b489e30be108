import { ArbiterError } from '../../core/errors.js';
import { parseArff } from '../../monitor/data.js';
import { checkedHeader } from './header.js';
import {
  ChunkBuilder,
  chunkRows,
  hashedBytes,
  type Progress,
  type ReadStats,
  type RowChunk,
  textLines,
} from './source.js';

/**
 * ARFF (Weka), streaming: the header (`@attribute` lines up to `@data`) is kept, and each batch of
 * data lines is parsed by `arbiter/monitor`'s `parseArff` behind that header, so both read ARFF
 * the same way. `?` is missing; numeric attributes become numbers.
 */
export async function* arffChunks(
  path: string,
  stats: ReadStats,
  options: { progress?: Progress },
): AsyncGenerator<RowChunk> {
  let header = '';
  let headerLines = 0;
  let inData = false;
  /** Data lines waiting to be parsed, with their line and row numbers. */
  let batch: { line: number; row: number; text: string }[] = [];
  let dataRows = 0;
  const chunks = new ChunkBuilder(stats);
  function* parseBatch(): Generator<RowChunk> {
    if (batch.length === 0) return;
    const parsed = parseArff(`${header}@data\n${batch.map((entry) => entry.text).join('\n')}`);
    // parseArff numbers lines from the header: the batch starts after the attributes and "@data".
    const rejected = new Set(parsed.problems.map((problem) => problem.line - headerLines - 2));
    for (const index of rejected) {
      const entry = batch[index];
      const problem = parsed.problems.find((p) => p.line - headerLines - 2 === index)!;
      stats.reject(
        entry?.line ?? 0,
        problem.message.startsWith('unterminated') ? 'a quote is not closed' : problem.message,
      );
    }
    let next = 0;
    for (let index = 0; index < batch.length; index++) {
      if (rejected.has(index)) continue;
      const chunk = chunks.add(parsed.rows[next++]!, batch[index]!.row);
      if (chunk) yield chunk;
    }
    batch = [];
  }
  for await (const { line, text } of textLines(hashedBytes(path, stats, options.progress))) {
    if (text === undefined) {
      if (!inData)
        throw new ArbiterError('ARB_ERR_DATA_FILE_UNREADABLE', `${path}:${line}: header line too long`);
      dataRows++;
      stats.reject(line, 'line too long');
      continue;
    }
    const trimmed = text.trim();
    if (!inData) {
      if (/^@data\b/i.test(trimmed)) {
        inData = true;
        const columns = parseArff(`${header}@data\n`).columns.map((column) => column.name);
        if (columns.length === 0)
          throw new ArbiterError(
            'ARB_ERR_DATA_FILE_UNREADABLE',
            `${path}: no @attribute lines before @data`,
            {
              details: { path },
            },
          );
        checkedHeader(path, columns);
      } else if (/^@attribute\b/i.test(trimmed)) {
        header += `${trimmed}\n`;
        headerLines++;
      }
      continue;
    }
    if (trimmed === '' || trimmed.startsWith('%')) continue;
    dataRows++;
    batch.push({ line, row: dataRows, text: trimmed });
    if (batch.length === chunkRows) yield* parseBatch();
  }
  if (!inData)
    throw new ArbiterError('ARB_ERR_DATA_FILE_UNREADABLE', `${path}: no @data section`, {
      details: { path },
    });
  yield* parseBatch();
  const last = chunks.flush();
  if (last) yield last;
}
