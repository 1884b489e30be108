import type { FastifyRequest } from 'fastify';

/**
 * The two cookies of single sign-on: the session, and a sign-in in progress (state, nonce, PKCE
 * verifier), both sealed with the session key. HttpOnly always; Secure unless the server's own
 * address is plain http on loopback; SameSite=Lax, so the provider's redirect back carries them
 * and another site's POST does not.
 */

export const sessionCookie = 'arbiter_session';
export const signInCookie = 'arbiter_sign_in';
const maxCookieHeader = 16_384;

/** The value of cookie `name` in the request, or undefined. */
export function cookieOf(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (typeof header !== 'string' || header.length > maxCookieHeader) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    const value = part.slice(eq + 1).trim();
    return value.length > 0 ? value : undefined;
  }
  return undefined;
}

export function sessionCookieOf(request: FastifyRequest): string | undefined {
  return cookieOf(request, sessionCookie);
}

/** A Set-Cookie value; `maxAgeSeconds` 0 deletes the cookie. Values are base64url/JWE text: no escaping needed. */
export function setCookie(
  name: string,
  value: string,
  options: { maxAgeSeconds: number; secure: boolean; path?: string },
): string {
  return [
    `${name}=${value}`,
    `Path=${options.path ?? '/'}`,
    `Max-Age=${Math.max(0, Math.floor(options.maxAgeSeconds))}`,
    'HttpOnly',
    'SameSite=Lax',
    ...(options.secure ? ['Secure'] : []),
  ].join('; ');
}
