import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { ArbiterError } from '../core/errors.js';
import { isPlainObject, type JsonObject } from '../core/json.js';

export { type Output, processOutput } from './output.js';

// yaml (about 70 modules) loads when a file is not JSON, so the commands that never read YAML
// (ledger, tokens, request, …) start without it. Its Node entry point is CommonJS: require is sync.
const yaml = () => createRequire(import.meta.url)('yaml') as typeof import('yaml');

/** Reads a file (or standard input for `-`), with an error that names the file. */
export function readInputText(path: string): string {
  try {
    return readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw new ArbiterError('ARB_ERR_INPUT_NOT_FOUND', `${path}: no such file`, { details: { path } });
    throw new ArbiterError('ARB_ERR_INPUT_INVALID', `${path}: cannot read (${code ?? String(error)})`, {
      details: { path },
      cause: error,
    });
  }
}

/** Reads a JSON or YAML document from a file; a parse error names the file, line and column. */
export function readDataFile(path: string): unknown {
  const text = readInputText(path);
  if (/\.json$/i.test(path) || path === '-') {
    try {
      return JSON.parse(text);
    } catch (error) {
      if (path !== '-') throw invalidJson(path, text, error);
    }
  }
  try {
    return yaml().parse(text, { maxAliasCount: 100 });
  } catch (error) {
    const linePos = (error as { linePos?: { line: number; col: number }[] }).linePos?.[0];
    const where = linePos ? `${path}:${linePos.line}:${linePos.col}` : path;
    throw new ArbiterError(
      'ARB_ERR_INPUT_INVALID',
      `${where}: not valid JSON or YAML: ${(error as Error).message.split('\n')[0]}`,
      {
        details: { path },
      },
    );
  }
}

/** Parses JSON text read from `path`; a syntax error names the file, line and column. */
export function parseJsonText(path: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw invalidJson(path, text, error);
  }
}

function invalidJson(path: string, text: string, error: unknown): ArbiterError {
  const message = error instanceof Error ? error.message : String(error);
  return new ArbiterError(
    'ARB_ERR_INPUT_INVALID',
    `${path}${jsonErrorPosition(text, message)}: not valid JSON: ${message}`,
    {
      details: { path },
    },
  );
}

/**
 * `:line:col` of a JSON syntax error. Node 20's messages carry no position, so find the shortest
 * prefix that is already wrong (not merely unfinished) by binary search.
 */
function jsonErrorPosition(text: string, message: string): string {
  let offset = Number(/position (\d+)/.exec(message)?.[1] ?? Number.NaN);
  if (Number.isNaN(offset)) {
    const consistent = (length: number) => {
      try {
        JSON.parse(text.slice(0, length));
        return true;
      } catch (error) {
        return (
          /end of JSON input|Unterminated|Expected/.test((error as Error).message) &&
          !/Unexpected token/.test((error as Error).message)
        );
      }
    };
    let good = 0;
    let bad = text.length;
    while (bad - good > 1) {
      const middle = Math.floor((good + bad) / 2);
      if (consistent(middle)) good = middle;
      else bad = middle;
    }
    offset = bad - 1;
  }
  const before = text.slice(0, offset);
  return `:${before.split('\n').length}:${offset - before.lastIndexOf('\n')}`;
}

/** A command-line option holding a JSON object (`--change '{"linesChanged": 40}'`). */
export function jsonObjectOption(name: string, text: string): JsonObject;
export function jsonObjectOption(name: string, text: string | undefined): JsonObject | undefined;
export function jsonObjectOption(name: string, text: string | undefined): JsonObject | undefined {
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ArbiterError('ARB_ERR_INPUT_INVALID', `${name} is not valid JSON: ${(error as Error).message}`);
  }
  if (!isPlainObject(value)) throw new ArbiterError('ARB_ERR_INPUT_INVALID', `${name} must be a JSON object`);
  return value as JsonObject;
}
