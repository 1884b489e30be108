import { errorCode, type ProbeResponse } from './http.js';

/**
 * Small expectations over responses. Each returns undefined when it holds, or a sentence saying
 * what the target did instead, which becomes the check's failure note.
 */

/** The status is one of `statuses`. */
export function statusIn(
  response: ProbeResponse,
  statuses: readonly number[],
  what: string,
): string | undefined {
  if (statuses.includes(response.status)) return undefined;
  return `${what}: expected ${statuses.join(' or ')}, got ${describeStatus(response)}`;
}

/** A client error (4xx): refused, and not the server's fault. */
export function clientError(response: ProbeResponse, what: string): string | undefined {
  if (response.status >= 400 && response.status < 500) return undefined;
  return `${what}: expected a 4xx, got ${describeStatus(response)}`;
}

/** Anything but a server error or no answer at all. */
export function notServerError(response: ProbeResponse, what: string): string | undefined {
  if (response.status > 0 && response.status < 500) return undefined;
  return `${what}: expected no 5xx, got ${describeStatus(response)}`;
}

/** The body is an Arbiter error, `{error: {code, message}}`, optionally with one of `codes`. */
export function arbiterError(
  response: ProbeResponse,
  what: string,
  codes?: readonly string[],
): string | undefined {
  const code = errorCode(response);
  if (code === undefined)
    return `${what}: the ${response.status} answer is not an {error: {code, message}} body`;
  if (codes && !codes.includes(code)) return `${what}: expected ${codes.join(' or ')}, got ${code}`;
  return undefined;
}

/** Refused: the status is one of `statuses` and the body an Arbiter error (with one of `codes`). */
export function refused(
  response: ProbeResponse,
  statuses: readonly number[],
  what: string,
  codes?: readonly string[],
): string | undefined {
  return statusIn(response, statuses, what) ?? arbiterError(response, 'the refusal', codes);
}

function describeStatus(response: ProbeResponse): string {
  if (response.status === 0) return 'no answer';
  const code = errorCode(response);
  return code ? `${response.status} ${code}` : String(response.status);
}
