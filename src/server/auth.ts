import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Principal } from '../app/principal.js';
import type { TokenService } from '../app/tokens.js';
import { ArbiterError } from '../core/errors.js';
import type { Role } from '../store/records.js';

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

/**
 * Bearer-token authentication and role checks, before the body is even parsed: every route
 * declares its roles in `config.roles`, and a route without them is public.
 */
export function installAuth(app: FastifyInstance, tokens: TokenService): void {
  app.addHook('onRequest', async (request) => {
    const roles = request.routeOptions.config.roles;
    if (!roles) return;
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (header !== undefined && !match)
      throw new ArbiterError('ARB_ERR_AUTH_INVALID', 'the Authorization header must be "Bearer arb_…"');
    const principal = await tokens.authenticate(match?.[1]);
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
