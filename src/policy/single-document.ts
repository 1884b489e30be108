import type { TSchema } from '@sinclair/typebox';
import { ArbiterError, type ErrorCode } from '../core/errors.js';
import { formatProblem, type LoadProblem } from './problems.js';
import { validateDocument } from './schema-problems.js';
import { parseYamlFile } from './yaml-source.js';

/**
 * Parses a file that holds exactly one document of one kind (a Release, a MonitorSchema),
 * validated strictly; every problem is reported as `file:line:col: message` under `code`.
 */
export function parseSingleDocument<T>(
  file: string,
  text: string,
  kind: string,
  schema: TSchema,
  code: ErrorCode,
): T {
  const parsed = parseYamlFile({ path: file, text });
  const problems: LoadProblem[] = [...parsed.problems];
  const documents = parsed.documents.filter((document) => document.value !== null);
  if (problems.length === 0 && documents.length !== 1)
    problems.push({
      file,
      line: 1,
      col: 1,
      code,
      message: `the file must hold exactly one ${kind} document (found ${documents.length})`,
    });
  const source = documents[0];
  if (problems.length === 0 && source) {
    const result = validateDocument(source, { [kind]: schema });
    problems.push(...result.problems);
    if (result.document) return result.document.value as T;
  }
  throw new ArbiterError(code, `${kind} file rejected:\n${problems.map(formatProblem).join('\n')}`, {
    details: { problems },
  });
}
