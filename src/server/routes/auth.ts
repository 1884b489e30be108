import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SessionService } from '../../app/access/sessions.js';
import { type CliSession, type SignInService, signInWindowMs } from '../../app/access/sign-in.js';
import { ArbiterError } from '../../core/errors.js';
import { Nullable } from '../../core/json-schema.js';
import { safeReturnPath } from '../../identity/sign-in.js';
import type { IdentityProviderConfig } from '../../policy/bundle.js';
import { assertSameSite } from '../auth.js';
import { cookieOf, sessionCookie, sessionCookieOf, setCookie, signInCookie } from '../cookies.js';
import { bodyRefusals, errorResponses } from '../schemas.js';

/**
 * Single sign-on for the dashboard (docs/identity.md): `/auth/login` sends the browser to the
 * provider, `/auth/callback` finishes and sets the session cookie, `/auth/session` tells the page
 * who is signed in (and hands it the CSRF token), `/auth/logout` ends the session. `arbiter login`
 * uses `/auth/device*` (RFC 8628) or, through the browser, `/auth/loopback*` (RFC 8252).
 */

export const SessionInfoSchema = Type.Object(
  {
    // The identity provider, or null when only bearer tokens are accepted.
    provider: Nullable(
      Type.Object({
        name: Type.String(),
        displayName: Type.String({ description: 'Shown as "Sign in with <displayName>"' }),
        loginUrl: Type.String({ description: 'Where the sign-in button leads (add ?return=PATH)' }),
      }),
    ),
    humanTokens: Type.Boolean({ description: 'Whether people may still sign in with a bearer token' }),
    session: Nullable(
      Type.Object({
        id: Type.String({ description: 'The user name' }),
        ref: Type.String({ description: '`user:NAME`' }),
        role: Type.String(),
        groups: Type.Array(Type.String()),
        issuer: Type.String(),
        subject: Type.String(),
        email: Nullable(Type.String()),
        name: Nullable(Type.String()),
        amr: Type.Array(Type.String()),
        acr: Nullable(Type.String()),
        authTime: Nullable(Type.Number({ description: 'Seconds since the epoch' })),
        csrfToken: Type.String({ description: 'Send as the x-arbiter-csrf header with every POST' }),
      }),
    ),
  },
  { description: 'Who is signed in to the dashboard, and how one signs in' },
);

export const DeviceSignInSchema = Type.Object(
  {
    userCode: Type.String({ description: 'The code the person enters at the verification URL' }),
    verificationUri: Type.String(),
    verificationUriComplete: Nullable(Type.String({ description: 'The URL with the code filled in' })),
    expiresIn: Type.Number({ description: 'Seconds the code stays valid' }),
    interval: Type.Number({ description: 'Seconds to wait between polls' }),
    handle: Type.String({ description: 'Send to POST /auth/device/token to poll' }),
  },
  { description: 'A device sign-in in progress (RFC 8628)' },
);

export const CliSessionSchema = Type.Object(
  {
    token: Type.String({ description: 'The bearer token of the session (arbs_…): keep it like a password' }),
    id: Type.String(),
    ref: Type.String(),
    role: Type.String(),
    groups: Type.Array(Type.String()),
    expiresAt: Type.String({ description: 'ISO 8601 time the session ends' }),
  },
  { description: 'A command-line session made by arbiter login' },
);

/** The answer that hands `arbiter login` its session, by device code or loopback alike. */
function cliSessionBody(session: CliSession): Static<typeof CliSessionSchema> {
  return {
    token: session.token,
    id: session.person.user,
    ref: `user:${session.person.user}`,
    role: session.person.role,
    groups: session.person.groups,
    expiresAt: session.expiresAt.toISOString(),
  };
}

export const LoopbackSignInSchema = Type.Object(
  {
    url: Type.String({ description: 'The link the person opens in a browser to sign in' }),
    expiresIn: Type.Number({ description: 'Seconds the link stays valid' }),
  },
  { description: 'An arbiter login through the browser and a loopback address (RFC 8252)' },
);

const base64url = (min: number, max: number, description: string) =>
  Type.String({ minLength: min, maxLength: max, pattern: '^[A-Za-z0-9_-]+$', description });

const LoopbackStartBody = Type.Object(
  {
    redirectUri: Type.String({
      maxLength: 256,
      description:
        'Where the browser is sent back: http://127.0.0.1:PORT/…, http://[::1]:PORT/… or http://localhost:PORT/…',
    }),
    state: base64url(22, 128, 'Returned with the code; the command line checks it'),
    codeChallenge: base64url(43, 43, 'BASE64URL(SHA-256(code verifier)), RFC 7636'),
    codeChallengeMethod: Type.Literal('S256'),
  },
  { additionalProperties: false },
);

const LoopbackTokenBody = Type.Object(
  {
    code: Type.String({
      minLength: 1,
      maxLength: 8192,
      description: 'The one-time code the browser brought',
    }),
    codeVerifier: Type.String({
      minLength: 43,
      maxLength: 128,
      pattern: '^[A-Za-z0-9._~-]+$',
      description: 'The PKCE code verifier (RFC 7636)',
    }),
    redirectUri: Type.String({ maxLength: 256, description: 'The loopback address the code was issued for' }),
  },
  { additionalProperties: false },
);

const LoginQuery = Type.Object(
  {
    return: Type.Optional(Type.String({ maxLength: 2048 })),
    cli: Type.Optional(Type.String({ maxLength: 4096, description: 'The sealed request of arbiter login' })),
    step_up: Type.Optional(Type.Literal('mfa')),
    max_age: Type.Optional(Type.String({ pattern: '^[0-9]{1,7}$' })),
  },
  { additionalProperties: false },
);
const CallbackQuery = Type.Object(
  {
    code: Type.Optional(Type.String({ maxLength: 4096 })),
    state: Type.Optional(Type.String({ maxLength: 1024 })),
    iss: Type.Optional(Type.String({ maxLength: 2048 })),
    error: Type.Optional(Type.String({ maxLength: 256 })),
    error_description: Type.Optional(Type.String({ maxLength: 2048 })),
    session_state: Type.Optional(Type.String({ maxLength: 1024 })),
  },
  { additionalProperties: false },
);

/** Cookies are Secure unless Arbiter itself is reached over plain http on loopback (development, tests). */
function secureCookies(provider: IdentityProviderConfig | undefined): boolean {
  if (!provider) return true;
  const url = new URL(provider.redirectUrl);
  return url.protocol === 'https:';
}

export function authRoutes(
  app: FastifyInstance,
  {
    signIn,
    sessions,
    humanTokens,
  }: { signIn: SignInService; sessions: SessionService; humanTokens: boolean },
): void {
  const clearSession = (reply: FastifyReply) =>
    reply.header(
      'set-cookie',
      setCookie(sessionCookie, '', { maxAgeSeconds: 0, secure: secureCookies(signIn.provider) }),
    );

  app.get(
    '/auth/session',
    {
      schema: {
        tags: ['identity'],
        summary: 'Who is signed in to the dashboard (session cookie), and the identity provider',
        response: { 200: SessionInfoSchema },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      const provider = signIn.provider;
      const cookie = sessionCookieOf(request);
      const principal = cookie ? await sessions.authenticate(cookie).catch(() => undefined) : undefined;
      if (cookie && !principal) clearSession(reply);
      return {
        provider: provider
          ? { name: provider.name, displayName: provider.displayName, loginUrl: '/auth/login' }
          : null,
        humanTokens,
        session: principal
          ? {
              id: principal.user!,
              ref: `user:${principal.user!}`,
              role: principal.role,
              groups: principal.groups,
              issuer: principal.auth.issuer,
              subject: principal.auth.subject,
              email: principal.auth.email ?? null,
              name: principal.auth.name ?? null,
              amr: principal.auth.amr,
              acr: principal.auth.acr ?? null,
              authTime: principal.auth.authTime ?? null,
              csrfToken: sessions.csrfTokenFor(principal.auth.sessionId),
            }
          : null,
      };
    },
  );

  app.get<{ Querystring: { return?: string; cli?: string; step_up?: 'mfa'; max_age?: string } }>(
    '/auth/login',
    { schema: { hide: true, querystring: LoginQuery } },
    async (request, reply) => {
      const returnTo = safeReturnPath(request.query.return);
      if (returnTo === undefined)
        throw new ArbiterError(
          'ARB_ERR_REQUEST_INVALID',
          '`return` must be a path of this dashboard, such as /approvals',
          {
            details: { reason: 'return-path' },
          },
        );
      const stepUp =
        request.query.step_up !== undefined || request.query.max_age !== undefined
          ? {
              mfa: request.query.step_up === 'mfa',
              ...(request.query.max_age !== undefined
                ? { maxAgeSeconds: Number(request.query.max_age) }
                : {}),
            }
          : undefined;
      const { url, transaction } = await signIn.begin({
        returnTo,
        ...(stepUp ? { stepUp } : {}),
        ...(request.query.cli !== undefined ? { loopback: request.query.cli } : {}),
      });
      return reply
        .header('cache-control', 'no-store')
        .header(
          'set-cookie',
          setCookie(signInCookie, transaction, {
            maxAgeSeconds: signInWindowMs / 1000,
            secure: secureCookies(signIn.provider),
            path: '/auth/callback',
          }),
        )
        .redirect(url.href, 302);
    },
  );

  app.get<{ Querystring: Record<string, string | undefined> }>(
    '/auth/callback',
    { schema: { hide: true, querystring: CallbackQuery } },
    async (request: FastifyRequest<{ Querystring: Record<string, string | undefined> }>, reply) => {
      const provider = signIn.provider;
      const secure = secureCookies(provider);
      // The sign-in cookie is spent whatever happens: an answer is tried once.
      reply.header(
        'set-cookie',
        setCookie(signInCookie, '', { maxAgeSeconds: 0, secure, path: '/auth/callback' }),
      );
      reply.header('cache-control', 'no-store');
      if (!provider)
        throw new ArbiterError('ARB_ERR_AUTH_SSO_NOT_CONFIGURED', 'single sign-on is not configured');
      // The registered redirect URL with the provider's answer: openid-client sends it as redirect_uri.
      const callbackUrl = new URL(provider.redirectUrl);
      const query = request.url.indexOf('?');
      callbackUrl.search = query < 0 ? '' : request.url.slice(query);
      const finished = await signIn.finish(callbackUrl, cookieOf(request, signInCookie));
      // `arbiter login` through the browser: no cookie here, the code goes to the command line.
      if (finished.kind === 'loopback')
        return reply.header('referrer-policy', 'no-referrer').redirect(finished.redirect.href, 302);
      const { session, returnTo } = finished;
      reply.header(
        'set-cookie',
        setCookie(sessionCookie, session.cookie, {
          maxAgeSeconds: provider.sessionTtlMs / 1000,
          secure,
        }),
      );
      return reply.redirect(returnTo, 302);
    },
  );

  app.post(
    '/auth/device',
    {
      schema: {
        tags: ['identity'],
        summary: '`arbiter login`: starts a device sign-in (RFC 8628) at the identity provider',
        body: Type.Object({}, { additionalProperties: false }),
        response: { 200: DeviceSignInSchema, ...errorResponses(404, 502), ...bodyRefusals },
      },
    },
    async (_request, reply) => {
      reply.header('cache-control', 'no-store');
      const started = await signIn.startDevice();
      return { ...started, verificationUriComplete: started.verificationUriComplete ?? null };
    },
  );

  app.post<{ Body: { handle: string } }>(
    '/auth/device/token',
    {
      schema: {
        tags: ['identity'],
        summary:
          '`arbiter login`: one poll of a device sign-in; a command-line session once the person approved',
        body: Type.Object(
          { handle: Type.String({ minLength: 1, maxLength: 4096 }) },
          { additionalProperties: false },
        ),
        response: {
          200: CliSessionSchema,
          202: Type.Object({ status: Type.Literal('pending'), interval: Nullable(Type.Number()) }),
          ...errorResponses(401, 403, 404),
          ...bodyRefusals,
        },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      const polled = await signIn.pollDevice(request.body.handle);
      if ('pending' in polled)
        return reply.code(202).send({ status: 'pending', interval: polled.interval ?? null });
      return cliSessionBody(polled);
    },
  );

  app.post<{ Body: { redirectUri: string; state: string; codeChallenge: string } }>(
    '/auth/loopback',
    {
      schema: {
        tags: ['identity'],
        summary:
          '`arbiter login` through the browser (RFC 8252): the link to open, which ends at the loopback address given',
        body: LoopbackStartBody,
        response: { 200: LoopbackSignInSchema, ...errorResponses(404, 502), ...bodyRefusals },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      const { redirectUri, state, codeChallenge } = request.body;
      return signIn.startLoopback({ redirectUri, state, codeChallenge });
    },
  );

  app.post<{ Body: { code: string; codeVerifier: string; redirectUri: string } }>(
    '/auth/loopback/token',
    {
      schema: {
        tags: ['identity'],
        summary:
          '`arbiter login` through the browser: the one-time code and its verifier for a command-line session',
        body: LoopbackTokenBody,
        response: { 200: CliSessionSchema, ...errorResponses(401, 403, 404), ...bodyRefusals },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      const session = await signIn.redeemLoopback(request.body);
      return cliSessionBody(session);
    },
  );

  app.post(
    '/auth/logout',
    {
      schema: {
        tags: ['identity'],
        summary: 'Ends the dashboard session (send x-arbiter-csrf)',
        response: {
          200: Type.Object({ signedOut: Type.Boolean() }),
          ...errorResponses(401, 403),
          ...bodyRefusals,
        },
      },
    },
    async (request, reply) => {
      // `arbiter logout`: the command-line session in the Authorization header.
      const bearer = /^Bearer\s+(arbs_\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
      if (bearer) return { signedOut: await signIn.endCliSession(bearer) };
      const cookie = sessionCookieOf(request);
      if (!cookie) return { signedOut: false };
      const principal = await sessions.authenticate(cookie).catch(() => undefined);
      // A forged or ended session is only cleared; a live one is ended for good, on proof it is this page.
      if (principal) {
        assertSameSite(request, principal.auth.sessionId, sessions, signIn.publicOrigins());
        await sessions.revoke(cookie);
      }
      clearSession(reply);
      return { signedOut: principal !== undefined };
    },
  );
}
