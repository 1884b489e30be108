import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { type ValueError, ValueErrorType } from '@sinclair/typebox/errors';
import { Value } from '@sinclair/typebox/value';
import { ArbiterError } from '../core/errors.js';
import { severities } from '../supply/findings.js';

/**
 * The evaluation / red-team result format `arbiter gate` reads (docs/gate.md#evaluation-results):
 * one suite per file, one entry per case. Any harness (promptfoo, garak, PyRIT, a pytest plugin,
 * a robustness script) can write it with a few lines of glue. Validated strictly: a result file
 * that is half right must not turn into a release decision.
 */

export const evaluationFormat = 'arbiter.evaluation/v1';
const strict = { additionalProperties: false } as const;
const Text = Type.String({ minLength: 1 });
const Rate = Type.Number({ minimum: 0, maximum: 1 });
const Count = Type.Integer({ minimum: 0 });

export const EvaluationCase = Type.Object(
  {
    /** The case's id, unique in the file. */
    case: Text,
    /** What kind of attack or check it is: `jailbreak`, `prompt-leak`, `feature-perturbation`… */
    category: Text,
    /** For red-team suites: true when the system resisted (the attack failed). */
    passed: Type.Boolean(),
    score: Type.Optional(Type.Number()),
    /** The data slice or group it belongs to: `age<25`, `lang=de`. */
    slice: Type.Optional(Text),
    severity: Type.Optional(Type.Union(severities.map((s) => Type.Literal(s)))),
    /** What happened, shown for failing cases. */
    message: Type.Optional(Type.String()),
  },
  strict,
);

export const EvaluationResultFile = Type.Object(
  {
    format: Type.Literal(evaluationFormat),
    suite: Text,
    /** `red-team`: failed cases are successful attacks (attackSuccessRate); `evaluation` (default): failed checks. */
    kind: Type.Optional(Type.Union([Type.Literal('red-team'), Type.Literal('evaluation')])),
    tool: Text,
    toolVersion: Type.Optional(Text),
    model: Type.Optional(Text),
    /** An RFC 3339 timestamp. */
    startedAt: Type.Optional(
      Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?(Z|[+-]\\d{2}:\\d{2})$' }),
    ),
    cases: Type.Array(EvaluationCase, { minItems: 1 }),
    /** The harness's own totals; checked against the cases so a truncated file is caught. */
    summary: Type.Optional(
      Type.Object(
        {
          total: Type.Optional(Count),
          passed: Type.Optional(Count),
          failed: Type.Optional(Count),
          passRate: Type.Optional(Rate),
          attackSuccessRate: Type.Optional(Rate),
        },
        strict,
      ),
    ),
    /** Anything else the harness records (seed, dataset, configuration). */
    properties: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  strict,
);
export type EvaluationResultFile = Static<typeof EvaluationResultFile>;
export type EvaluationCase = Static<typeof EvaluationCase>;

/** A validated result file, with where it came from. */
export interface EvaluationResult extends EvaluationResultFile {
  kind: 'red-team' | 'evaluation';
  /** The file, as shown. */
  input: string;
}

function fail(input: string, problems: string[]): never {
  throw new ArbiterError(
    'ARB_ERR_INPUT_INVALID',
    `${input}: not a valid ${evaluationFormat} result file:\n${problems.map((p) => `  ${input}: ${p}`).join('\n')}`,
    { details: { file: input, format: 'evaluation', issues: problems } },
  );
}

/** `/cases/3/passed` → `cases[3].passed`. */
function pathOf(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((segment, i) => (/^\d+$/.test(segment) ? `[${segment}]` : i === 0 ? segment : `.${segment}`))
    .join('');
}

function describe(error: ValueError): string {
  const path = pathOf(error.path);
  const field = path.split(/[.[]/).pop() ?? path;
  switch (error.type) {
    case ValueErrorType.ObjectAdditionalProperties:
      return `unknown field ${path}`;
    case ValueErrorType.ObjectRequiredProperty:
      return `missing required field ${path}`;
    case ValueErrorType.Literal:
      return `${path || field} must be ${JSON.stringify((error.schema as { const?: unknown }).const)} (got ${JSON.stringify(error.value)})`;
    default:
      return `${path || 'the document'}: ${error.message.charAt(0).toLowerCase()}${error.message.slice(1)} (got ${JSON.stringify(error.value)})`;
  }
}

function schemaProblems(schema: TSchema, value: unknown): string[] {
  const errors = [...Value.Errors(schema, value)];
  const missing = new Set(
    errors.filter((e) => e.type === ValueErrorType.ObjectRequiredProperty).map((e) => e.path),
  );
  const problems: string[] = [];
  for (const error of errors) {
    // A missing field also fails its type check, and a bad union member fails each option: report once.
    if (missing.has(error.path) && error.type !== ValueErrorType.ObjectRequiredProperty) continue;
    if (
      error.type === ValueErrorType.Literal &&
      errors.some((e) => e.path === error.path && e.type === ValueErrorType.Union)
    )
      continue;
    const line = describe(error);
    if (!problems.includes(line)) problems.push(line);
  }
  return problems.slice(0, 20);
}

/** Validates one result file; every problem is reported as `file: path: message` (ARB_ERR_INPUT_INVALID). */
export function parseEvaluationResult(input: string, value: unknown): EvaluationResult {
  const problems = schemaProblems(EvaluationResultFile, value);
  if (problems.length > 0) fail(input, problems);
  const file = value as EvaluationResultFile;
  const seen = new Map<string, number>();
  file.cases.forEach((entry, i) => {
    const first = seen.get(entry.case);
    if (first !== undefined)
      problems.push(
        `cases[${i}].case "${entry.case}" repeats cases[${first}].case (case ids are unique in a file)`,
      );
    else seen.set(entry.case, i);
  });
  const total = file.cases.length;
  const passed = file.cases.filter((entry) => entry.passed).length;
  const kind = file.kind ?? 'evaluation';
  const summary = file.summary ?? {};
  const claims: [keyof typeof summary, number][] = [
    ['total', total],
    ['passed', passed],
    ['failed', total - passed],
  ];
  for (const [field, actual] of claims)
    if (summary[field] !== undefined && summary[field] !== actual)
      problems.push(`summary.${field} is ${summary[field]}, but the cases give ${actual}`);
  const rates: [keyof typeof summary, number][] = [
    ['passRate', passed / total],
    ['attackSuccessRate', (total - passed) / total],
  ];
  for (const [field, actual] of rates)
    if (summary[field] !== undefined && Math.abs(Number(summary[field]) - actual) > 0.0005)
      problems.push(`summary.${field} is ${summary[field]}, but the cases give ${Number(actual.toFixed(4))}`);
  if (summary.attackSuccessRate !== undefined && kind !== 'red-team')
    problems.push('summary.attackSuccessRate is given, but the suite is not kind "red-team"');
  if (problems.length > 0) fail(input, problems);
  return { ...file, kind, input };
}
