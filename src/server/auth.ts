import type { FastifyInstance, FastifyRequest } from 'fastify';
import { cliSessionPrefix, type SessionService } from '../app/access/sessions.js';
import type { TokenService } from '../app/access/tokens.js';
import { ArbiterError } from '../core/errors.js';
import type { Principal } from '../identity/principal.js';
import type { Role } from '../store/records.js';
import type { FailedAuthentications } from './auth-failures.js';
import { sessionCookieOf } from './cookies.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /** Roles allowed on the route; routes without it are public. */
    roles?: readonly Role[];
  }
}

/** How callers prove who they are: bearer tokens, and (when configured) sign-in session cookies. */
export interface Authenticators {
  tokens: TokenService;
  sessions?: SessionService;
  /** False with `--human-tokens off`: only agents (and `arbiter login` sessions) use bearer tokens. */
  humanTokens?: boolean;
  /** Origins the dashboard is served at besides the request's Host (behind a proxy that rewrites it). */
  publicOrigins?: () => readonly string[];
}

/** The authenticated principal of a request on a protected route. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new ArbiterError('ARB_ERR_AUTH_REQUIRED', 'send Authorization: Bearer arb_…');
  return request.principal;
}

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

/** True when an `Origin` header names this server's host (`null` and garbage never do). */
function sameOrigin(origin: string, host: string | undefined): boolean {
  if (!host) return false;
  try {
    const url = new URL(origin);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.host === host;
  } catch {
    return false;
  }
}

/** The header a page sends its session's CSRF token in. */
export const csrfHeader = 'x-arbiter-csrf';

/**
 * A state-changing request that a cookie authenticates must prove it comes from Arbiter's own
 * pages: no cross-site Origin / Sec-Fetch-Site, and the session's CSRF token in `x-arbiter-csrf`
 * (a token only a same-origin page can read). Bearer-token requests carry no ambient credential
 * and need neither.
 */
export function assertSameSite(
  request: FastifyRequest,
  sessionId: string,
  sessions: SessionService,
  publicOrigins: readonly string[] = [],
): void {
  if (safeMethods.has(request.method)) return;
  const refuse = (reason: string, message: string) =>
    new ArbiterError('ARB_ERR_AUTH_CSRF', message, { details: { reason } });
  const origin = request.headers.origin;
  const ours =
    origin === undefined || sameOrigin(origin, request.headers.host) || publicOrigins.includes(origin);
  if (request.headers['sec-fetch-site'] === 'cross-site' || !ours)
    throw refuse(
      'cross-site',
      `a request from another site (${origin ?? 'cross-site'}) may not use your Arbiter session`,
    );
  const token = request.headers[csrfHeader];
  if (typeof token !== 'string' || token.length === 0)
    throw refuse(
      'missing-token',
      `a state-changing request with the session cookie needs the ${csrfHeader} header (GET /auth/session gives it)`,
    );
  if (!sessions.csrfMatches(sessionId, token))
    throw refuse('wrong-token', `the ${csrfHeader} header does not belong to this session`);
}

async function authenticate(request: FastifyRequest, auth: Authenticators): Promise<Principal> {
  const header = request.headers.authorization;
  if (header === undefined && auth.sessions) {
    const cookie = sessionCookieOf(request);
    if (cookie !== undefined) {
      const principal = await auth.sessions.authenticate(cookie);
      assertSameSite(request, principal.auth.sessionId, auth.sessions, auth.publicOrigins?.() ?? []);
      return principal;
    }
  }
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  if (header !== undefined && !match)
    throw new ArbiterError('ARB_ERR_AUTH_INVALID', 'the Authorization header must be "Bearer arb_…"');
  // `arbiter login` sessions: sealed like the cookie, sent as a bearer (no ambient credential, no CSRF).
  if (match?.[1]?.startsWith(cliSessionPrefix) && auth.sessions)
    return auth.sessions.authenticate(match[1], 'cli');
  const principal = await auth.tokens.authenticate(match?.[1]);
  if (auth.humanTokens === false && principal.role !== 'agent' && principal.auth?.via !== 'cli')
    throw new ArbiterError(
      'ARB_ERR_AUTH_HUMAN_TOKENS_OFF',
      'this server accepts no bearer tokens of people (--human-tokens off): sign in at /auth/login or with `arbiter login`',
    );
  return principal;
}

/**
 * Authentication and role checks, before the body is even parsed: every route declares its roles
 * in `config.roles`, and a route without them is public. A request carries a bearer token or, from
 * the dashboard, the sign-in session cookie (with CSRF protection on state-changing requests).
 */
export function installAuth(
  app: FastifyInstance,
  auth: Authenticators,
  failures?: FailedAuthentications,
): void {
  app.addHook('onRequest', async (request, reply) => {
    const roles = request.routeOptions.config.roles;
    if (!roles) return;
    const principal = await authenticate(request, auth).catch((error: unknown) => {
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
