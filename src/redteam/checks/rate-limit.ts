import { type Check, fail, firstFailure, pass, skip } from '../check.js';
import { arbiterError } from '../expect.js';
import type { ProbeResponse } from '../http.js';

/** The most requests the suite sends to find the limit; a higher limit is reported, not exhausted. */
const mostRequests = 5000;
const concurrency = 16;

const numberHeader = (response: ProbeResponse, name: string) => {
  const value = response.headers[name];
  const n = Number(Array.isArray(value) ? value[0] : value);
  return Number.isFinite(n) ? n : undefined;
};

/**
 * Runs last: it spends the agent token's whole budget for the current window, so later requests
 * with that token would be refused for up to one window.
 */
export const rateLimitCheck: Check = {
  id: 'RATE-01',
  area: 'rate-limit',
  title:
    "A token over its rate limit gets 429 with Retry-After (spends the agent token's budget for one window)",
  async run(ctx) {
    const probe = { method: 'GET', path: '/v1/me', as: 'agent' } as const;
    const first = await ctx.http.send(probe);
    const limit = numberHeader(first, 'x-ratelimit-limit');
    const remaining = numberHeader(first, 'x-ratelimit-remaining');
    if (first.status === 429) return pass('the agent token is already over its limit');
    if (limit === undefined || remaining === undefined)
      return skip(
        'no X-RateLimit-Limit / X-RateLimit-Remaining headers on GET /v1/me: rate limiting is not configured',
      );
    if (remaining > mostRequests)
      return skip(
        `the limit (${limit} per window, ${remaining} left) is above the ${mostRequests} requests this check sends`,
      );
    // Send until refused: everything left, plus a little for requests other clients make meanwhile.
    let limited: ProbeResponse | undefined;
    let sent = 0;
    const budget = remaining + 20;
    const worker = async () => {
      while (!limited && sent < budget) {
        sent++;
        const response = await ctx.http.send(probe);
        if (response.status === 429) limited ??= response;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    if (!limited) return fail(`${sent} requests past a limit of ${limit} and no 429`);
    const retryAfter = limited.headers['retry-after'];
    const seconds = Number(retryAfter);
    return (
      firstFailure([
        retryAfter === undefined ? 'the 429 has no Retry-After header' : undefined,
        retryAfter !== undefined && !(seconds >= 0) && Number.isNaN(Date.parse(String(retryAfter)))
          ? `Retry-After is neither seconds nor a date: ${String(retryAfter)}`
          : undefined,
        arbiterError(limited, 'the 429', ['ARB_ERR_RATE_LIMITED']),
      ]) ?? pass(`limit ${limit}; 429 after ${sent + 1} requests, Retry-After: ${String(retryAfter)}`)
    );
  },
};
