import {
  type TArray,
  type TNull,
  type TObject,
  type TProperties,
  type TSchema,
  type TString,
  type TUnion,
  Type,
} from '@sinclair/typebox';
import { ArbiterError } from '../core/errors.js';
import { Nullable } from '../core/json-schema.js';
import { digits } from './query-strings.js';

/**
 * Keyset paging for the list routes, newest first by (time, id): one query shape (filters plus
 * `limit` and `cursor`), one answer shape (the items and `nextCursor`), one cursor. A cursor names
 * the last item of a page, so pages stay stable while new items arrive.
 */

const defaultLimit = 50;
const maxLimit = 500;

/** Where a page starts: strictly after (older than) this position. */
export interface PagePosition {
  time: string;
  id: string;
}

/** A page of a list: its items under the list's name, and the cursor of the next page (null on the last). */
export type PageOf<K extends string, T> = { [P in K]: T[] } & { nextCursor: string | null };

/** The query string of a list route: its filters, plus `limit` and `cursor`. Unknown parameters are a 400. */
export function PageQuerySchema<T extends TProperties>(filters: T) {
  return Type.Object(
    {
      ...filters,
      limit: Type.Optional(digits(`page size, 1..${maxLimit} (default ${defaultLimit})`)),
      cursor: Type.Optional(Type.String({ maxLength: 500, description: 'nextCursor of the previous page' })),
    },
    { additionalProperties: false },
  );
}

type PageProperties<K extends string, T extends TSchema> = { [P in K]: TArray<T> } & {
  nextCursor: TUnion<[TString, TNull]>;
};

/** The answer of a list route: the page's items under `key`, and the cursor of the next page. */
export function PageSchema<K extends string, T extends TSchema>(
  key: K,
  item: T,
): TObject<PageProperties<K, T>> {
  const properties = {
    [key]: Type.Array(item),
    nextCursor: Nullable(Type.String({ description: 'cursor of the next page; null on the last page' })),
  } as PageProperties<K, T>;
  return Type.Object(properties, { additionalProperties: false });
}

/** The size and start of the page a query asks for; 400 for a cursor this API did not hand out. */
export function pageRequest(query: { limit?: string; cursor?: string }): {
  limit: number;
  after: PagePosition | undefined;
} {
  const limit = Math.min(maxLimit, Math.max(1, Number(query.limit ?? defaultLimit)));
  return { limit, after: query.cursor === undefined ? undefined : decodeCursor(query.cursor) };
}

/** A page of `items` under `key`; a full page has a cursor naming its last item, a shorter one is the last. */
export function page<K extends string, T>(
  key: K,
  items: T[],
  limit: number,
  positionOf: (item: T) => PagePosition,
): PageOf<K, T> {
  const last = items.at(-1);
  const nextCursor = items.length === limit && last ? encodeCursor(positionOf(last)) : null;
  return { [key]: items, nextCursor } as PageOf<K, T>;
}

function encodeCursor({ time, id }: PagePosition): string {
  return Buffer.from(JSON.stringify([time, id])).toString('base64url');
}

function decodeCursor(cursor: string): PagePosition {
  try {
    const [time, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [unknown, unknown];
    if (typeof time === 'string' && typeof id === 'string') return { time, id };
  } catch {
    // fall through to the error below
  }
  throw new ArbiterError('ARB_ERR_REQUEST_INVALID', 'cursor is not a nextCursor returned by this API');
}
