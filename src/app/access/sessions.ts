import { createHmac, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { EncryptJWT, jwtDecrypt } from 'jose';
import { sameSecretText } from '../../core/constant-time.js';
import { ArbiterError } from '../../core/errors.js';
import type { Principal } from '../../identity/principal.js';
import { maxSessionTtlMs } from '../../identity/session-lifetime.js';
import type { AuthContext, SignedInPerson } from '../../identity/sign-in.js';
import type { Store } from '../../store/store.js';
import { usedRecordMarginMs } from './sign-in.js';

/**
 * Sign-in sessions that a database writer cannot forge. A session is a cookie the server encrypts
 * and authenticates (JWE, `dir` + A256GCM, through jose) with a key kept in a file beside the
 * ledger key — never in the database. The cookie holds who the person is (issuer, subject, user
 * id, groups and role as mapped at sign-in, amr/acr/auth_time) and when it expires; the database
 * holds only revocations (logout), so sessions work unchanged across PostgreSQL replicas that
 * share the key file.
 */

/** The session key file beside the ledger key: `arbiter.ledger.key` → `arbiter.session.key`. */
export function defaultSessionKeyPath(ledgerKeyPath: string): string {
  return `${ledgerKeyPath.replace(/(\.ledger)?(-signing)?\.key$/i, '')}.session.key`;
}

/** Reads the 256-bit session key, creating it (mode 0600) on first use; an existing file is never overwritten. */
export function loadSessionKey(path: string): Uint8Array {
  const read = (): Uint8Array | undefined => {
    let text: string;
    try {
      text = readFileSync(path, 'utf8').trim();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new ArbiterError(
        'ARB_ERR_LEDGER_KEY',
        `cannot read session key ${path}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    const key = Buffer.from(text, 'base64url');
    if (key.length !== 32)
      throw new ArbiterError('ARB_ERR_LEDGER_KEY', `session key ${path} is not 32 bytes of base64url`);
    return new Uint8Array(key);
  };
  const existing = read();
  if (existing) return existing;
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    writeFileSync(path, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST')
      throw new ArbiterError(
        'ARB_ERR_LEDGER_KEY',
        `cannot create session key ${path}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
  }
  return read()!;
}

/** What a session cookie holds (the JWE's claims). */
interface SessionClaims {
  sid: string;
  /** Expiry, seconds since the epoch (the JWT `exp`, checked by jwtDecrypt). */
  exp: number;
  user: string;
  role: 'approver' | 'auditor' | 'admin';
  groups: string[];
  idp: string;
  sub: string;
  email?: string;
  name?: string;
  amr: string[];
  acr?: string;
  authTime?: number;
}

/** A session cookie and the CSRF token the page must send back with state-changing requests. */
export interface IssuedSession {
  cookie: string;
  csrfToken: string;
  sessionId: string;
  expiresAt: Date;
}

/** A session sealed for the browser (cookie) is never accepted as a command-line bearer, and the reverse. */
const audiences = { sso: 'arbiter-session', cli: 'arbiter-cli-session' } as const;
/** The prefix of a command-line session's bearer token (`arbiter login`). */
export const cliSessionPrefix = 'arbs_';
const maxCookieLength = 8_192;
/**
 * A revoked session's row holds the cookie's expiry: once that has passed (with the margin for
 * replicas' clocks) the cookie is refused anyway and the row can go.
 */
const revokedUntilPrefix = 'session.revoked-until:';
const revokedUntilKey = (sid: string) => `${revokedUntilPrefix}${sid}`;
/**
 * Rows of the older form hold the revocation time; the release before revoked-until rows reads
 * only these. Their cookie expired at most `maxSessionTtlMs` after it was issued, so at most that
 * long after the revocation. Sign-out still writes one beside the revoked-until row, so that during
 * a rolling upgrade a replica of that release refuses the session too.
 */
const revokedAtPrefix = 'session.revoked:';
const revokedAtKey = (sid: string) => `${revokedAtPrefix}${sid}`;

/**
 * The CSRF token of a session: an HMAC of its id under the session key. The page reads it from
 * `GET /auth/session` (same-origin only) and sends it as `x-arbiter-csrf`; another site can make
 * the browser send the cookie but can neither read nor compute this.
 */
export function csrfTokenOf(sessionKey: Uint8Array, sessionId: string): string {
  return createHmac('sha256', sessionKey).update(`csrf:${sessionId}`).digest('base64url');
}

export class SessionService {
  private readonly key: Uint8Array;
  private readonly store: Store;
  private readonly clock: () => Date;

  constructor({ key, store, clock }: { key: Uint8Array; store: Store; clock: () => Date }) {
    this.key = key;
    this.store = store;
    this.clock = clock;
  }

  /**
   * A new session for a person the provider signed in; `ttlMs` from now on Arbiter's clock. `sso`
   * is the dashboard's cookie; `cli` the bearer token `arbiter login` keeps (prefixed `arbs_`).
   */
  async issue(
    person: SignedInPerson,
    issuer: string,
    ttlMs: number,
    via: 'sso' | 'cli' = 'sso',
  ): Promise<IssuedSession> {
    // The purge of revocations written before their expiry was kept relies on this bound.
    if (!(ttlMs > 0 && ttlMs <= maxSessionTtlMs))
      throw new RangeError(`session lifetime ${ttlMs} ms is not between 0 and ${maxSessionTtlMs} ms`);
    const sessionId = randomBytes(18).toString('base64url');
    const csrfToken = csrfTokenOf(this.key, sessionId);
    const now = this.clock();
    const expiresAt = new Date(now.getTime() + ttlMs);
    const claims: Omit<SessionClaims, 'exp'> = {
      sid: sessionId,
      user: person.user,
      role: person.role,
      groups: person.groups,
      idp: issuer,
      sub: person.subject,
      ...(person.email ? { email: person.email } : {}),
      ...(person.name ? { name: person.name } : {}),
      amr: person.amr,
      ...(person.acr ? { acr: person.acr } : {}),
      ...(person.authTime !== undefined ? { authTime: person.authTime } : {}),
    };
    const cookie = await new EncryptJWT({ ...claims })
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
      .setIssuedAt(Math.floor(now.getTime() / 1000))
      .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
      .setAudience(audiences[via])
      .encrypt(this.key);
    return {
      cookie: via === 'cli' ? `${cliSessionPrefix}${cookie}` : cookie,
      csrfToken,
      sessionId,
      expiresAt,
    };
  }

  /** The principal of a session cookie; 401 ARB_ERR_AUTH_SESSION_INVALID when forged, expired or revoked. */
  async authenticate(cookie: string, via: 'sso' | 'cli' = 'sso'): Promise<Principal & { auth: AuthContext }> {
    const claims = await this.open(cookie, via);
    if (await this.isRevoked(claims.sid))
      throw new ArbiterError(
        'ARB_ERR_AUTH_SESSION_INVALID',
        'this session was ended (signed out): sign in again',
        {
          details: { reason: 'revoked' },
        },
      );
    return {
      tokenId: `session:${claims.sid}`,
      role: claims.role,
      user: claims.user,
      groups: claims.groups,
      auth: {
        via,
        issuer: claims.idp,
        subject: claims.sub,
        ...(claims.email ? { email: claims.email } : {}),
        ...(claims.name ? { name: claims.name } : {}),
        amr: claims.amr,
        ...(claims.acr ? { acr: claims.acr } : {}),
        ...(claims.authTime !== undefined ? { authTime: claims.authTime } : {}),
        sessionId: claims.sid,
      },
    };
  }

  /** The CSRF token of a session, for the page that holds its cookie (GET /auth/session). */
  csrfTokenFor(sessionId: string): string {
    return csrfTokenOf(this.key, sessionId);
  }

  /** True when `token` is the CSRF token of the session `sessionId`. */
  csrfMatches(sessionId: string, token: string): boolean {
    return sameSecretText(token, csrfTokenOf(this.key, sessionId));
  }

  /**
   * Ends a session everywhere (logout): its id is recorded as revoked until the cookie would expire
   * anyway, in both forms (the older one for replicas not yet upgraded). Revocations whose cookies
   * can no longer be valid go in the same transaction.
   */
  async revoke(cookie: string, via: 'sso' | 'cli' = 'sso'): Promise<void> {
    const claims = await this.open(cookie, via).catch(() => undefined);
    if (!claims) return;
    const now = this.clock().getTime();
    await this.store.write(async (tx) => {
      await tx.purgeMeta({
        prefix: revokedUntilPrefix,
        before: new Date(now - usedRecordMarginMs).toISOString(),
      });
      await tx.purgeMeta({
        prefix: revokedAtPrefix,
        before: new Date(now - maxSessionTtlMs - usedRecordMarginMs).toISOString(),
      });
      await tx.setMeta(revokedUntilKey(claims.sid), new Date(claims.exp * 1000).toISOString());
      await tx.setMeta(revokedAtKey(claims.sid), new Date(now).toISOString());
    });
  }

  /** True when the session was revoked: a row of either form, the older one still honoured. */
  private async isRevoked(sessionId: string): Promise<boolean> {
    return (
      (await this.store.getMeta(revokedUntilKey(sessionId))) !== undefined ||
      (await this.store.getMeta(revokedAtKey(sessionId))) !== undefined
    );
  }

  /** Encrypts a short-lived value (a sign-in in progress) with the session key. */
  async seal(value: Record<string, unknown>, ttlMs: number, purpose: string): Promise<string> {
    const now = this.clock().getTime();
    return new EncryptJWT({ ...value })
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
      .setIssuedAt(Math.floor(now / 1000))
      .setExpirationTime(Math.floor((now + ttlMs) / 1000))
      .setAudience(purpose)
      .encrypt(this.key);
  }

  /** The value `seal` made for `purpose`, or undefined when it is forged, for another purpose or expired. */
  async unseal(sealed: string, purpose: string): Promise<Record<string, unknown> | undefined> {
    const opened = await this.unsealOrWhyNot(sealed, purpose);
    return 'value' in opened ? opened.value : undefined;
  }

  /**
   * Like `unseal`, saying why a value is refused: `expired` when this server sealed it for `purpose`
   * and its lifetime is over (the expiry is checked after decryption, so it is authentic),
   * `invalid` for anything else.
   */
  async unsealOrWhyNot(
    sealed: string,
    purpose: string,
  ): Promise<{ value: Record<string, unknown> } | { problem: 'expired' | 'invalid' }> {
    if (sealed.length > maxCookieLength) return { problem: 'invalid' };
    try {
      const { payload } = await jwtDecrypt(sealed, this.key, {
        audience: purpose,
        currentDate: this.clock(),
        clockTolerance: 0,
        keyManagementAlgorithms: ['dir'],
        contentEncryptionAlgorithms: ['A256GCM'],
      });
      return { value: payload };
    } catch (error) {
      return { problem: (error as { code?: unknown }).code === 'ERR_JWT_EXPIRED' ? 'expired' : 'invalid' };
    }
  }

  private async open(cookie: string, via: 'sso' | 'cli'): Promise<SessionClaims> {
    const sealed =
      via === 'cli' && cookie.startsWith(cliSessionPrefix) ? cookie.slice(cliSessionPrefix.length) : cookie;
    const payload = await this.unseal(sealed, audiences[via]);
    if (
      !payload ||
      typeof payload.sid !== 'string' ||
      typeof payload.user !== 'string' ||
      typeof payload.exp !== 'number'
    )
      throw new ArbiterError(
        'ARB_ERR_AUTH_SESSION_INVALID',
        'the session cookie is not valid (forged, from another server, or expired): sign in again',
        { details: { reason: 'invalid' } },
      );
    return payload as unknown as SessionClaims;
  }
}
