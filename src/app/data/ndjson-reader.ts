import { safeKey } from './header.js';
import {
  ChunkBuilder,
  hashedBytes,
  type Progress,
  type ReadStats,
  type RowChunk,
  textLines,
} from './source.js';

/** Objects nested deeper than this are not rows of a data set. */
export const maxNesting = 32;

function depth(value: unknown, level = 0): number {
  if (level > maxNesting || typeof value !== 'object' || value === null) return level;
  let deepest = level;
  for (const child of Object.values(value)) deepest = Math.max(deepest, depth(child, level + 1));
  return deepest;
}

/**
 * NDJSON / JSON Lines: one JSON object per line, blank lines skipped. A line that is not a JSON
 * object, is nested too deeply, is too long, or has a key holding personal data is an unreadable
 * row; the JSON parser's message is not passed on, since it quotes the line.
 */
export async function* ndjsonChunks(
  path: string,
  stats: ReadStats,
  options: { progress?: Progress },
): AsyncGenerator<RowChunk> {
  const chunks = new ChunkBuilder(stats);
  let dataRows = 0;
  const checkedKeys = new Set<string>();
  for await (const { line, text } of textLines(hashedBytes(path, stats, options.progress))) {
    if (text !== undefined && text.trim() === '') continue;
    dataRows++;
    if (text === undefined) {
      stats.reject(line, 'line too long');
      continue;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      stats.reject(line, 'not valid JSON');
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      stats.reject(line, 'not a JSON object');
      continue;
    }
    if (depth(value) > maxNesting) {
      stats.reject(line, `nested more than ${maxNesting} levels`);
      continue;
    }
    const keys = Object.keys(value);
    if (
      !keys.every(
        (key) => checkedKeys.has(key) || (safeKey(key) && checkedKeys.size < 100_000 && checkedKeys.add(key)),
      )
    ) {
      stats.reject(line, 'a key holds personal data');
      continue;
    }
    const chunk = chunks.add(value as Record<string, unknown>, dataRows);
    if (chunk) yield chunk;
  }
  const last = chunks.flush();
  if (last) yield last;
}
