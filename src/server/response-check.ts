import { isDeepStrictEqual } from 'node:util';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/**
 * A check for tests. Fastify writes a JSON answer through its response schema, which silently
 * drops every field the schema does not list and coerces values to the declared types (null to 0,
 * a number to a string). Installed, this compares each answer as written with what the handler
 * returned and reports any difference, so a schema that lags the code fails the tests that touch it.
 */

/** The first path where `written` differs from `returned`, or undefined when they are equal. */
export function firstDifference(returned: unknown, written: unknown, path = '$'): string | undefined {
  if (isDeepStrictEqual(returned, written)) return undefined;
  const isObject = (value: unknown): value is Record<string, unknown> =>
    typeof value === 'object' && value !== null;
  if (isObject(returned) && isObject(written) && Array.isArray(returned) === Array.isArray(written)) {
    for (const key of new Set([...Object.keys(returned), ...Object.keys(written)])) {
      const inner = firstDifference(returned[key], written[key], `${path}.${key}`);
      if (inner) return inner;
    }
  }
  return `${path}: the handler returned ${JSON.stringify(returned)}, the answer says ${JSON.stringify(written)}`;
}

/** Calls `report` for every JSON answer that its response schema changed on the way out. */
export function reportResponseDrift(app: FastifyInstance, report: (problem: string) => void): void {
  const returned = new WeakMap<FastifyRequest, unknown>();
  app.addHook('preSerialization', async (request, _reply, payload) => {
    // As JSON.stringify would write it: what the answer should be.
    returned.set(request, JSON.parse(JSON.stringify(payload)));
    return payload;
  });
  app.addHook('onSend', async (request, reply, payload) => {
    if (!returned.has(request) || typeof payload !== 'string') return payload;
    const expected = returned.get(request);
    returned.delete(request);
    const difference = firstDifference(expected, JSON.parse(payload));
    if (difference)
      report(
        `${request.method} ${request.routeOptions.url ?? request.url} ${reply.statusCode}: ${difference}`,
      );
    return payload;
  });
}
