import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TokenService } from '../app/access/tokens.js';
import { ArbiterError } from '../core/errors.js';
import type { Principal } from '../identity/principal.js';
import type { Role } from '../store/records.js';
import type { FailedAuthentications } from './auth-failures.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /** Roles allowed on the route; routes without it are public. */
    roles?: readonly Role[];
  }
}

/** The authenticated principal of a request on a protected route. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new ArbiterError('ARB_ERR_AUTH_REQUIRED', 'send Authorization: Bearer arb_…');
  return request.principal;
}

async function authenticate(request: FastifyRequest, tokens: TokenService): Promise<Principal> {
  const header = request.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  if (header !== undefined && !match)
    throw new ArbiterError('ARB_ERR_AUTH_INVALID', 'the Authorization header must be "Bearer arb_…"');
  return tokens.authenticate(match?.[1]);
}

/**
 * Bearer-token authentication and role checks, before the body is even parsed: every route
 * declares its roles in `config.roles`, and a route without them is public.
 */
export function installAuth(
  app: FastifyInstance,
  tokens: TokenService,
  failures?: FailedAuthentications,
): void {
  app.addHook('onRequest', async (request, reply) => {
    const roles = request.routeOptions.config.roles;
    if (!roles) return;
    const principal = await authenticate(request, tokens).catch((error: unknown) => {
      if (!failures) throw error;
      failures.record(request.ip);
      const wait = failures.retryAfterMs(request.ip);
      if (wait <= 0) throw error;
      reply.header('retry-after', String(Math.ceil(wait / 1000)));
      throw new ArbiterError(
        'ARB_ERR_RATE_LIMITED',
        `too many failed authentications from this address; retry in ${Math.ceil(wait / 1000)} s`,
        { details: { retryAfterMs: wait } },
      );
    });
    if (!roles.includes(principal.role)) {
      throw new ArbiterError(
        'ARB_ERR_FORBIDDEN',
        `this needs one of the roles ${roles.join(', ')}; the token has role ${principal.role}`,
        {
          details: { role: principal.role, allowed: roles },
        },
      );
    }
    request.principal = principal;
  });
}
