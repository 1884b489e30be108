import {
  type SchemaOptions,
  type TLiteral,
  type TNull,
  type TSchema,
  type TUnion,
  Type,
} from '@sinclair/typebox';
import type { JsonObject, JsonValue } from './json.js';

/**
 * TypeBox building blocks that wire shapes across the layers share: free-form JSON typed as
 * `JsonValue` (not `unknown`, so pure code can hash and canonicalise it), nullable fields, and
 * unions of string literals kept in `as const` lists.
 */

/** Any JSON value: the schema constrains nothing, the TypeScript type is `JsonValue`. */
export const JsonValueSchema = Type.Unsafe<JsonValue>({});

/** A JSON object with any members. */
export const JsonObjectSchema = Type.Unsafe<JsonObject>({ type: 'object', additionalProperties: true });

/** `schema` or `null`: the API sends every unset field of a view as null, never leaves it out. */
export function Nullable<T extends TSchema>(schema: T): TUnion<[T, TNull]> {
  return Type.Union([schema, Type.Null()]);
}

type LiteralUnion<T extends readonly string[]> = TUnion<{ -readonly [K in keyof T]: TLiteral<T[K]> }>;

/** One of the strings of an `as const` list, typed as their union. */
export function literals<const T extends readonly string[]>(
  values: T,
  options: SchemaOptions = {},
): LiteralUnion<T> {
  return Type.Union(
    values.map((value) => Type.Literal(value)),
    options,
  ) as unknown as LiteralUnion<T>;
}
