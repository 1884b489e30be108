import type { ErrorCode } from '../core/errors.js';
import { ArbiterError } from '../core/errors.js';

/** One thing wrong with a policy bundle, located in its source file (1-based line and column). */
export interface LoadProblem {
  file: string;
  line: number;
  col: number;
  code: ErrorCode;
  message: string;
}

/** `path/to/file.yaml:LINE:COL: message`, the form editors and CI logs link to. */
export function formatProblem(problem: LoadProblem): string {
  return `${problem.file}:${problem.line}:${problem.col}: ${problem.message}`;
}

export type BundleLoadError = ArbiterError<'ARB_ERR_POLICY_BUNDLE_INVALID', { problems: LoadProblem[] }>;

/** The error a rejected bundle raises: every problem, sorted by file and position. */
export function bundleLoadError(problems: LoadProblem[]): BundleLoadError {
  const sorted = [...problems].sort(
    (a, b) =>
      a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col || a.message.localeCompare(b.message),
  );
  const shown = sorted.slice(0, 20).map(formatProblem).join('\n');
  const more = sorted.length > 20 ? `\n… and ${sorted.length - 20} more` : '';
  return new ArbiterError(
    'ARB_ERR_POLICY_BUNDLE_INVALID',
    `policy bundle rejected (${sorted.length} problem${sorted.length === 1 ? '' : 's'}):\n${shown}${more}`,
    {
      details: { problems: sorted },
    },
  );
}
