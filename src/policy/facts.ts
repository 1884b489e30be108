import type { JsonValue } from '../core/json.js';
import { isPlainObject } from '../core/json.js';
import type { FieldChains } from './field-chains.js';

const segmentPattern = /\.?([A-Za-z_][A-Za-z0-9_]*)|\[("(?:[^"\\]|\\.)*"|\d+)\]/g;
const maxFactChars = 1_000;

/** A field path an expression reads, split into segments once at load time. */
export interface FactPath {
  /** As shown in explanations: `request.change.linesChanged`, `request.context["team-name"]`. */
  path: string;
  segments: readonly (string | number)[];
}

/** Splits a read path into its segments. */
export function factPath(path: string): FactPath {
  const segments: (string | number)[] = [];
  for (const [, name, index] of path.matchAll(segmentPattern)) {
    segments.push(name ?? (index?.startsWith('"') ? (JSON.parse(index) as string) : Number(index)));
  }
  return { path, segments };
}

/** Why a fact could not be resolved: the path does not exist in the context. */
export const missing: unique symbol = Symbol('missing');

/** Resolves path segments against a context, own properties only. */
export function resolvePath(
  context: Record<string, unknown>,
  segments: readonly (string | number)[],
): unknown {
  let current: unknown = context;
  // Indexed, not for-of: an iterator and its result objects per segment, on every fact of every verdict.
  for (let i = 0; i < segments.length; i++) {
    const key = segments[i]!;
    if (current instanceof Map) {
      if (!current.has(key)) return missing;
      current = current.get(key);
    } else if (Array.isArray(current) && typeof key === 'number') {
      if (key >= current.length) return missing;
      current = current[key];
    } else if (typeof current === 'object' && current !== null && Object.hasOwn(current, key)) {
      current = (current as Record<string | number, unknown>)[key];
    } else {
      return missing;
    }
  }
  return current;
}

/** Turns a CEL or context value into JSON for an explanation, keeping it short. */
export function factValue(value: unknown): JsonValue {
  if (typeof value === 'number' || typeof value === 'boolean')
    return Number.isFinite(value) || typeof value === 'boolean' ? value : String(value);
  if (typeof value === 'string' && value.length <= maxFactChars) return value;
  const json = toJson(value, 0);
  if (typeof json === 'string' && json.length > maxFactChars) return `${json.slice(0, maxFactChars)}…`;
  if (typeof json === 'object' && json !== null) {
    const text = JSON.stringify(json);
    if (text.length > maxFactChars)
      return Array.isArray(json)
        ? `<list of ${json.length} items>`
        : `<map of ${Object.keys(json).length} entries>`;
  }
  return json;
}

function toJson(value: unknown, depth: number): JsonValue {
  if (depth > 8) return '…';
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'bigint':
      return Number(value);
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'string':
    case 'boolean':
      return value;
    case 'object':
      break;
    default:
      return String(value);
  }
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'invalid date' : value.toISOString();
  if (value instanceof Uint8Array)
    return value.length > maxFactChars ? `<${value.length} bytes>` : Buffer.from(value).toString('base64');
  // A collection this large can never be shown within maxFactChars: name it without converting it,
  // so a request carrying a million-element list costs nothing here.
  if (Array.isArray(value)) {
    if (value.length > maxFactChars) return `<list of ${value.length} items>`;
    // A loop, not `map`: `map` makes its result through the array's `constructor`, which throws
    // for an array a library caller gave an own `constructor` field or a null prototype.
    const items: JsonValue[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) items[i] = toJson(value[i], depth + 1);
    return items;
  }
  if (value instanceof Map && value.size > maxFactChars) return `<map of ${value.size} entries>`;
  const entries =
    value instanceof Map
      ? [...value.entries()]
      : isPlainObject(value)
        ? Object.entries(value)
        : Object.entries(value);
  const out: Record<string, JsonValue> = {};
  for (const [key, item] of entries) out[String(key)] = toJson(item, depth + 1);
  return out;
}

/**
 * The facts one expression reads, prepared at load time. Explanations build a facts object for
 * every rule on every decision, so the common case (every path present) uses an object literal
 * generated for this expression's keys: one allocation of a fixed shape instead of a run of
 * dynamic property writes. Keys are JSON-quoted and always contain a dot or are a scope root,
 * so no key can be `__proto__`.
 */
export interface FactSet {
  readonly paths: readonly FactPath[];
  /** The facts object of `values[i]` for `paths[i]`. */
  readonly literal: (values: readonly unknown[]) => Record<string, JsonValue>;
  /** The bundle table that numbered this set when it was interned, and its number there. */
  readonly table: FieldChains | undefined;
  readonly slot: number;
  /** Each path's number in `table` (`FactValues` are indexed by it); empty while not interned. */
  readonly pathSlots: readonly number[];
  /** The facts object read straight from `FactValues` of `table`, by `pathSlots`. */
  readonly literalOfValues: (values: FactValues) => Record<string, JsonValue>;
}

/** An object literal function: `{"<path i>": v[<index i>], …}` for each path. */
function literalOf(paths: readonly FactPath[], indexes: readonly number[]): FactSet['literal'] {
  const body = `return {${paths.map((fact, i) => `${JSON.stringify(fact.path)}: v[${indexes[i]}]`).join(', ')}};`;
  return new Function('v', body) as FactSet['literal'];
}

/** Prepares the fact set for a list of paths. */
export function factSet(paths: readonly FactPath[]): FactSet {
  const literal = literalOf(
    paths,
    paths.map((_, i) => i),
  );
  return { paths, literal, table: undefined, slot: -1, pathSlots: [], literalOfValues: literal };
}

/**
 * One FactSet per distinct list of paths, shared by every expression of a bundle that reads that
 * list: a scope then collects each list's facts once (`request.change.linesChanged` and
 * `request.resource.environment` are read together by many rules of a bundle). Each set, and each
 * path, is numbered in the bundle's table `chains`: a scope keeps collected facts, and resolved
 * fact values, in arrays by those numbers.
 */
export function internFactSet(table: Map<string, FactSet>, set: FactSet, chains: FieldChains): FactSet {
  const key = set.paths.map((fact) => fact.path).join('\n');
  const known = table.get(key);
  if (known) return known;
  const pathSlots = set.paths.map((fact) => chains.factPathSlot(fact.path));
  const numbered: FactSet = {
    ...set,
    table: chains,
    slot: chains.numberFactSet(),
    pathSlots,
    literalOfValues: literalOf(set.paths, pathSlots),
  };
  table.set(key, numbered);
  return numbered;
}

/** The facts of one expression: the values it read by path, and the paths that do not exist. */
export interface CollectedFacts {
  facts: Record<string, JsonValue>;
  missing: string[] | undefined;
}

/**
 * Fact values resolved against one context, by the path's number in a bundle table
 * (`FactSet.pathSlots`): the value, `missing` for a path that is not there, undefined while unread.
 */
export type FactValues = (JsonValue | typeof missing | undefined)[];

/** The value of a fact as explanations show it, or `missing`. */
function factAt(context: Record<string, unknown>, fact: FactPath): JsonValue | typeof missing {
  const resolved = resolvePath(context, fact.segments);
  return resolved === missing ? missing : factValue(resolved);
}

/**
 * The facts an expression read: resolvable paths with their values, and the paths that do not
 * exist. `values` must belong to this `context` alone and be indexed by the numbers of the table
 * that interned `set`; without it (a set no table numbered) every path is resolved here.
 */
export function collectFacts(
  context: Record<string, unknown>,
  set: FactSet,
  values?: FactValues,
): CollectedFacts {
  const { paths } = set;
  let slots = set.pathSlots;
  let literal = set.literalOfValues;
  if (values === undefined) {
    values = new Array(paths.length);
    slots = [];
    literal = set.literal;
  }
  let absent: string[] | undefined;
  for (let i = 0; i < paths.length; i++) {
    const fact = paths[i]!;
    const slot = slots[i] ?? i;
    let value = values[slot];
    if (value === undefined) values[slot] = value = factAt(context, fact);
    if (value !== missing) continue;
    if (absent) absent.push(fact.path);
    else absent = [fact.path];
  }
  if (absent === undefined) return { facts: literal(values), missing: undefined };
  const facts: Record<string, JsonValue> = {};
  for (let i = 0; i < paths.length; i++) {
    const value = values[slots[i] ?? i];
    if (value !== missing) facts[paths[i]!.path] = value!;
  }
  return { facts, missing: absent };
}
