import type { FastifyInstance } from 'fastify';

/**
 * Every route declares the schema of its 2xx answers: the OpenAPI document (and every client made
 * from it) is only as good as its response schemas, so a route without one fails the boot.
 */

/**
 * Hidden routes that answer without a response schema: the OpenAPI document itself, the dashboard's
 * files, and the browser redirects of single sign-on.
 */
export const routesWithoutResponseSchema: readonly string[] = [
  '/openapi.json',
  '/*',
  '/auth/login',
  '/auth/callback',
];

const success = /^(2\d\d|2XX)$/;

/** Methods whose requests Fastify reads a body for, and the statuses that reading can answer (schemas.ts `bodyRefusals`). */
const bodyMethods: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
export const bodyRefusalStatuses: readonly string[] = ['400', '413', '415'];

/** The statuses a route that takes a body answers before its handler and its schema does not declare. */
export function undeclaredBodyRefusals(methods: string | readonly string[], response: unknown): string[] {
  const takesBody = (typeof methods === 'string' ? [methods] : methods).some((method) =>
    bodyMethods.has(method.toUpperCase()),
  );
  if (!takesBody) return [];
  const declared = typeof response === 'object' && response !== null ? Object.keys(response) : [];
  return bodyRefusalStatuses.filter((status) => !declared.includes(status));
}

/** Which 2xx statuses a route's schema declares (none for a route without a response schema). */
export function successStatuses(schema: { response?: unknown } | undefined): string[] {
  const response = schema?.response;
  if (typeof response !== 'object' || response === null) return [];
  return Object.keys(response).filter((status) => success.test(status));
}

/**
 * Refuses, at registration, a route that declares no 2xx response schema, or that takes a body and
 * does not declare what reading it can answer (400, 413, 415), naming the route. Install before any
 * route is added.
 */
export function requireResponseSchemas(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    const schema = route.schema as { response?: unknown; hide?: boolean } | undefined;
    if (schema?.hide === true && routesWithoutResponseSchema.includes(route.url)) return;
    const methods = Array.isArray(route.method) ? route.method.join(',') : route.method;
    if (successStatuses(schema).length === 0) {
      throw new Error(
        `${methods} ${route.url} declares no schema for its 2xx answers: add schema.response (see src/server/schemas.ts)`,
      );
    }
    const undeclared = undeclaredBodyRefusals(route.method, schema?.response);
    if (undeclared.length > 0)
      throw new Error(
        `${methods} ${route.url} takes a body but does not declare ${undeclared.join(', ')}: add ...bodyRefusals (src/server/schemas.ts) to schema.response`,
      );
  });
}
