import type { TObject, TSchema } from '@sinclair/typebox';
import { type ValueError, ValueErrorType } from '@sinclair/typebox/errors';
import { Value } from '@sinclair/typebox/value';
import type { LoadProblem } from './problems.js';
import type { SourceDocument } from './yaml-source.js';

/** A document that passed schema validation, with its kind. */
export interface ValidDocument<K extends string = string> {
  kind: K;
  name: string;
  value: unknown;
  source: SourceDocument;
}

/**
 * Checks apiVersion and kind, then validates the document strictly against its kind's schema.
 * Problems point at the offending key or value; a missing field is reported at its parent.
 */
export function validateDocument<K extends string>(
  source: SourceDocument,
  kinds: Record<K, TSchema>,
): { document?: ValidDocument<K>; problems: LoadProblem[] } {
  const value = source.value;
  const problem = (
    path: (string | number)[],
    code: LoadProblem['code'],
    message: string,
    key = false,
  ): LoadProblem => ({
    file: source.file,
    ...source.locator.at(path, { key }),
    code,
    message,
  });
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return {
      problems: [
        problem(
          [],
          'ARB_ERR_POLICY_WRONG_TYPE',
          'a document must be a mapping with apiVersion, kind, metadata and spec',
        ),
      ],
    };
  }
  const record = value as Record<string, unknown>;
  if (record.apiVersion !== 'arbiter/v1') {
    const got =
      record.apiVersion === undefined ? 'it is missing' : `got ${JSON.stringify(record.apiVersion)}`;
    return {
      problems: [
        problem(['apiVersion'], 'ARB_ERR_POLICY_API_VERSION', `apiVersion must be "arbiter/v1" (${got})`),
      ],
    };
  }
  const kindNames = Object.keys(kinds) as K[];
  const kind = record.kind;
  if (typeof kind !== 'string' || !kindNames.includes(kind as K)) {
    const got = kind === undefined ? 'it is missing' : `got ${JSON.stringify(kind)}`;
    return {
      problems: [
        problem(
          ['kind'],
          'ARB_ERR_POLICY_UNKNOWN_KIND',
          `kind must be one of ${kindNames.join(', ')} (${got})`,
        ),
      ],
    };
  }
  const schema = kinds[kind as K];
  const problems: LoadProblem[] = [];
  const seen = new Set<string>();
  const errors = [...Value.Errors(schema, value)];
  // A missing field also fails its type check; report it once, as missing.
  const missingPaths = new Set(
    errors.filter((e) => e.type === ValueErrorType.ObjectRequiredProperty).map((e) => e.path),
  );
  for (const error of errors) {
    if (missingPaths.has(error.path) && error.type !== ValueErrorType.ObjectRequiredProperty) continue;
    const translated = translate(error, schema);
    const key = `${translated.path.join('/')}|${translated.code}`;
    if (seen.has(key) || [...seen].some((other) => isNestedUnionNoise(other, translated.path))) continue;
    seen.add(key);
    problems.push(problem(translated.path, translated.code, translated.message, translated.atKey));
  }
  if (problems.length > 0) return { problems };
  const name = String((record.metadata as { name: string }).name);
  return { document: { kind: kind as K, name, value, source }, problems: [] };
}

/** A union error already reported for a path makes the errors below that path redundant. */
function isNestedUnionNoise(seenKey: string, path: (string | number)[]): boolean {
  const [seenPath, code] = seenKey.split('|');
  return code === 'ARB_ERR_POLICY_WRONG_TYPE' && seenPath !== '' && path.join('/').startsWith(`${seenPath}/`);
}

interface TranslatedError {
  path: (string | number)[];
  code: LoadProblem['code'];
  message: string;
  atKey: boolean;
}

function translate(error: ValueError, root: TSchema): TranslatedError {
  const path = pointerToPath(error.path);
  const where = dotted(path);
  switch (error.type) {
    case ValueErrorType.ObjectAdditionalProperties: {
      const field = path[path.length - 1];
      const parent = schemaAt(root, path.slice(0, -1));
      const allowed =
        parent && 'properties' in parent ? Object.keys((parent as TObject).properties).join(', ') : '';
      return {
        path,
        code: 'ARB_ERR_POLICY_UNKNOWN_FIELD',
        message: `unknown field "${String(field)}" in ${dotted(path.slice(0, -1)) || 'the document'}${allowed ? ` (allowed: ${allowed})` : ''}`,
        atKey: true,
      };
    }
    case ValueErrorType.ObjectRequiredProperty: {
      const field = path[path.length - 1];
      return {
        path,
        code: 'ARB_ERR_POLICY_MISSING_FIELD',
        message: `missing required field "${String(field)}" in ${dotted(path.slice(0, -1)) || 'the document'}`,
        atKey: false,
      };
    }
    case ValueErrorType.Union: {
      const options = literalOptions(error.schema);
      const got = JSON.stringify(error.value);
      const message = options
        ? `${where} must be one of ${options.join(', ')} (got ${got})`
        : `${where} has the wrong type (got ${got})`;
      return { path, code: 'ARB_ERR_POLICY_WRONG_TYPE', message, atKey: false };
    }
    case ValueErrorType.Literal:
      return {
        path,
        code: 'ARB_ERR_POLICY_WRONG_TYPE',
        message: `${where} must be ${JSON.stringify((error.schema as { const?: unknown }).const)} (got ${JSON.stringify(error.value)})`,
        atKey: false,
      };
    case ValueErrorType.StringPattern:
      return {
        path,
        code: 'ARB_ERR_POLICY_WRONG_TYPE',
        message: `${where} ${JSON.stringify(error.value)} is not valid: use ${error.schema.description ?? `the pattern ${error.schema.pattern}`}`,
        atKey: false,
      };
    default:
      return {
        path,
        code: 'ARB_ERR_POLICY_WRONG_TYPE',
        message: `${where}: ${lowerFirst(error.message)}`,
        atKey: false,
      };
  }
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

function literalOptions(schema: TSchema): string[] | undefined {
  const anyOf = (schema as { anyOf?: TSchema[] }).anyOf;
  if (!anyOf?.every((option) => 'const' in option)) return undefined;
  return anyOf.map((option) => String((option as unknown as { const: unknown }).const));
}

function pointerToPath(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment));
}

/** `spec.rules[0].effect`, the way people read a path. */
export function dotted(path: readonly (string | number)[]): string {
  return path
    .map((segment, i) => (typeof segment === 'number' ? `[${segment}]` : i === 0 ? segment : `.${segment}`))
    .join('');
}

function schemaAt(root: TSchema, path: (string | number)[]): TSchema | undefined {
  let schema: TSchema | undefined = root;
  for (const segment of path) {
    if (!schema) return undefined;
    if (typeof segment === 'number') schema = (schema as { items?: TSchema }).items;
    else schema = (schema as { properties?: Record<string, TSchema> }).properties?.[segment];
  }
  return schema;
}
