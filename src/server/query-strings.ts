import { Type } from '@sinclair/typebox';
import { ArbiterError } from '../core/errors.js';

/** Query strings carry numbers and times as text: schemas for them, and the checks a schema cannot make. */

/** A whole number in a query string (at most 15 digits, so it is exact as a JavaScript number). */
export function digits(description: string) {
  return Type.String({ pattern: '^[0-9]{1,15}$', description });
}

/**
 * The instant of a query parameter the schema checked as `date-time`, as an ISO string. RFC 3339
 * admits what JavaScript dates cannot hold (a leap second, `23:59:60`): that is a 400 naming the
 * parameter, never an invalid date further down.
 */
export function instantOf(text: string, parameter: string): string {
  const time = new Date(text);
  if (Number.isNaN(time.getTime()))
    throw new ArbiterError(
      'ARB_ERR_REQUEST_INVALID',
      `querystring/${parameter} ${text} is not a time this server can represent (leap seconds are not)`,
      { details: { path: `querystring/${parameter}` } },
    );
  return time.toISOString();
}
