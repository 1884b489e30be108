import { ArbiterError } from '../core/errors.js';

/** Keyset paging for lists ordered newest first by (time, id): the cursor names the last item of a page. */

export function encodeCursor(time: string, id: string): string {
  return Buffer.from(JSON.stringify([time, id])).toString('base64url');
}

/** The (time, id) a cursor names; 400 for anything this API did not hand out. */
export function decodeCursor(cursor: string): { time: string; id: string } {
  try {
    const [time, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [unknown, unknown];
    if (typeof time === 'string' && typeof id === 'string') return { time, id };
  } catch {
    // fall through to the error below
  }
  throw new ArbiterError('ARB_ERR_REQUEST_INVALID', 'cursor is not a nextCursor returned by this API');
}
