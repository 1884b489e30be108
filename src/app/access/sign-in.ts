import { randomBytes } from 'node:crypto';
import * as oidc from 'openid-client';
import { sameSecretText } from '../../core/constant-time.js';
import { sha256Hex } from '../../core/digest.js';
import { ArbiterError, isArbiterError } from '../../core/errors.js';
import { userRef } from '../../identity/actor-ref.js';
import { loopbackRedirectProblem } from '../../identity/loopback-redirect.js';
import { withAuthentication } from '../../identity/principal.js';
import { resolvePerson, type SignedInPerson } from '../../identity/sign-in.js';
import type { IdentityProviderConfig } from '../../policy/bundle.js';
import type { Store } from '../../store/store.js';
import type { Ledger } from '../ledger/ledger.js';
import type { PolicyHolder } from '../policies/policies.js';
import type { IssuedSession, SessionService } from './sessions.js';

/**
 * The relying party: authorization code flow with PKCE against the OpenID Provider the governance
 * repository names (kind: IdentityProvider), found by discovery, through openid-client (a certified
 * relying-party library — no hand-written JOSE). A sign-in in progress lives in a sealed cookie
 * (state, nonce, PKCE verifier, where to land); its state is single-use, recorded in the database
 * when the provider sends the person back, and forgotten once the cookie that carried it has expired.
 *
 * `arbiter login` signs in with the device grant (RFC 8628) or, when the provider has none, through
 * the browser and a loopback address of the person's machine (RFC 8252): the same authorization
 * code flow as the dashboard, through the same registered redirect URL, whose callback hands the
 * command line a one-time code instead of setting a cookie.
 */

/** How long a person has to finish signing in at the provider. */
export const signInWindowMs = 10 * 60_000;
const purpose = 'arbiter-sign-in';
const devicePurpose = 'arbiter-device-sign-in';
const loopbackRequestPurpose = 'arbiter-loopback-sign-in';
/** What a loopback one-time code is sealed for; exported for tests. */
export const loopbackCodePurpose = 'arbiter-loopback-code';
/** How long the one-time code of a loopback sign-in can be exchanged for a session. */
export const loopbackCodeTtlMs = 60_000;
/**
 * Used states and codes are kept this much longer than they could be presented, so replicas whose
 * clocks differ a little still refuse a replay.
 */
export const usedRecordMarginMs = 60_000;
const deviceGrant = 'urn:ietf:params:oauth:grant-type:device_code';

/** A device sign-in started for `arbiter login` (RFC 8628): what the person is shown, and a sealed handle. */
export interface DeviceSignIn {
  userCode: string;
  verificationUri: string;
  verificationUriComplete?: string;
  expiresIn: number;
  interval: number;
  /** The provider's device code, sealed with the session key: only this server can poll with it. */
  handle: string;
}

/** A command-line session: the bearer token `arbiter login` keeps, and who it names. */
export interface CliSession {
  token: string;
  person: SignedInPerson;
  expiresAt: Date;
}
const usedStatePrefix = 'sso.state-used:';
const usedLoopbackCodePrefix = 'sso.loopback-code-used:';
/** The meta key that marks a sign-in state used (its value: when); exported for tests. */
export const usedStateKey = (state: string) => `${usedStatePrefix}${sha256Hex(state)}`;
/** The meta key that marks a loopback one-time code used, by the code's id; exported for tests. */
export const usedLoopbackCodeKey = (jti: string) => `${usedLoopbackCodePrefix}${sha256Hex(jti)}`;

/**
 * Where the command line waits for a loopback sign-in, and what binds the answer to it: its state
 * (checked by the command line) and its PKCE challenge (RFC 7636, S256; checked here at the exchange).
 */
export interface LoopbackTarget {
  redirectUri: string;
  state: string;
  codeChallenge: string;
}

/** How a sign-in ended at the callback: a dashboard session, or an answer for the command line. */
export type FinishedSignIn =
  | { kind: 'dashboard'; session: IssuedSession; person: SignedInPerson; returnTo: string }
  | { kind: 'loopback'; redirect: URL };

function loopbackTargetOf(value: unknown): LoopbackTarget | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { redirectUri, state, codeChallenge } = value as Record<string, unknown>;
  return typeof redirectUri === 'string' && typeof state === 'string' && typeof codeChallenge === 'string'
    ? { redirectUri, state, codeChallenge }
    : undefined;
}

/** What a step-up sign-in asks the provider for. */
export interface StepUpRequest {
  mfa: boolean;
  /** `max_age` in seconds: the provider must authenticate the person again if their sign-in is older. */
  maxAgeSeconds?: number;
}

export interface SignInServiceDeps {
  policies: PolicyHolder;
  sessions: SessionService;
  store: Store;
  /** Command-line sessions are ledgered (`session.started`, `session.ended`) like tokens. */
  ledger: Ledger;
  clock: () => Date;
  /** Environment the client secret is read from (default process.env). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Outbound HTTP to the provider (tests intercept the token endpoint with it). */
  fetch?: oidc.CustomFetch;
}

type FailureReason =
  | 'state'
  | 'provider'
  | 'id-token'
  | 'code'
  | 'code-expired'
  | 'code-replayed'
  | 'redirect-uri'
  | 'verifier';

function failed(reason: FailureReason, message: string, cause?: unknown): ArbiterError {
  return new ArbiterError('ARB_ERR_AUTH_SSO_FAILED', message, {
    details: { reason },
    ...(cause === undefined ? {} : { cause }),
  });
}

function isLoopbackUrl(url: string): boolean {
  const host = new URL(url).hostname;
  return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export class SignInService {
  private readonly deps: SignInServiceDeps;
  private discovered:
    | { key: string; metadata: oidc.ServerMetadata; jwks?: oidc.ExportedJWKSCache }
    | undefined;

  constructor(deps: SignInServiceDeps) {
    this.deps = deps;
  }

  /** The provider in force, or undefined when the governance repository configures none. */
  get provider(): IdentityProviderConfig | undefined {
    return this.deps.policies.bundle.identityProvider;
  }

  /** The origin the provider sends people back to: the dashboard's public address. */
  publicOrigins(): string[] {
    const provider = this.provider;
    return provider ? [new URL(provider.redirectUrl).origin] : [];
  }

  private required(): IdentityProviderConfig {
    const provider = this.provider;
    if (!provider)
      throw new ArbiterError(
        'ARB_ERR_AUTH_SSO_NOT_CONFIGURED',
        'single sign-on is not configured: add a kind: IdentityProvider document to the governance repository (docs/identity.md)',
      );
    return provider;
  }

  private clientAuth(provider: IdentityProviderConfig): oidc.ClientAuth {
    if (!provider.clientSecretEnv) return oidc.None();
    const secret = (this.deps.env ?? process.env)[provider.clientSecretEnv];
    if (!secret)
      throw new ArbiterError(
        'ARB_ERR_AUTH_SSO_UNAVAILABLE',
        `the IdentityProvider's client secret variable ${provider.clientSecretEnv} is not set in the server's environment`,
      );
    return oidc.ClientSecretBasic(secret);
  }

  /**
   * A client configuration for the provider: the discovery document is fetched once per
   * configuration (issuer, client); ID tokens are checked on Arbiter's clock, with their signature
   * verified against the provider's keys even over TLS.
   */
  async configuration(provider: IdentityProviderConfig = this.required()): Promise<oidc.Configuration> {
    const clientAuth = this.clientAuth(provider);
    const key = JSON.stringify([provider.issuer, provider.clientId, provider.clientSecretEnv ?? null]);
    const insecure = new URL(provider.issuer).protocol === 'http:' && isLoopbackUrl(provider.issuer);
    if (this.discovered?.key !== key) {
      try {
        const found = await oidc.discovery(
          new URL(provider.issuer),
          provider.clientId,
          undefined,
          clientAuth,
          {
            ...(insecure ? { execute: [oidc.allowInsecureRequests] } : {}),
            ...(this.deps.fetch ? { [oidc.customFetch]: this.deps.fetch } : {}),
            timeout: 10,
          },
        );
        this.discovered = { key, metadata: found.serverMetadata() };
      } catch (error) {
        throw new ArbiterError(
          'ARB_ERR_AUTH_SSO_UNAVAILABLE',
          `cannot use the identity provider ${provider.issuer}: ${(error as Error).message}`,
          { cause: error },
        );
      }
    }
    const skewSeconds = Math.round((this.deps.clock().getTime() - Date.now()) / 1000);
    const config = new oidc.Configuration(
      this.discovered.metadata,
      provider.clientId,
      { [oidc.clockSkew]: skewSeconds, [oidc.clockTolerance]: 5, require_auth_time: true },
      clientAuth,
    );
    if (insecure) oidc.allowInsecureRequests(config);
    if (this.deps.fetch) config[oidc.customFetch] = this.deps.fetch;
    oidc.enableNonRepudiationChecks(config);
    if (this.discovered.jwks) oidc.setJwksCache(config, this.discovered.jwks);
    return config;
  }

  /**
   * Starts a sign-in: the provider URL to send the browser to, and the sealed transaction cookie.
   * `loopback` is the sealed request of `startLoopback` when `arbiter login` sent the browser here.
   */
  async begin({
    returnTo,
    stepUp,
    loopback,
  }: {
    returnTo: string;
    stepUp?: StepUpRequest;
    loopback?: string;
  }): Promise<{
    url: URL;
    transaction: string;
  }> {
    const provider = this.required();
    let target: LoopbackTarget | undefined;
    if (loopback !== undefined) {
      target = loopbackTargetOf(await this.deps.sessions.unseal(loopback, loopbackRequestPurpose));
      if (!target)
        throw failed(
          'state',
          'this arbiter login link is not valid or is older than 10 minutes: run arbiter login again',
        );
    }
    const config = await this.configuration(provider);
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const parameters: Record<string, string> = {
      redirect_uri: provider.redirectUrl,
      scope: ['openid', 'email', 'profile', ...provider.scopes].join(' '),
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    };
    if (stepUp) {
      parameters.prompt = 'login';
      if (stepUp.maxAgeSeconds !== undefined) parameters.max_age = String(stepUp.maxAgeSeconds);
      if (stepUp.mfa && provider.mfaAcrValues.length > 0)
        parameters.acr_values = provider.mfaAcrValues.join(' ');
    }
    const transaction = await this.deps.sessions.seal(
      {
        state,
        nonce,
        verifier,
        returnTo,
        ...(stepUp?.maxAgeSeconds !== undefined ? { maxAge: stepUp.maxAgeSeconds } : {}),
        ...(target ? { loopback: { ...target } } : {}),
      },
      signInWindowMs,
      purpose,
    );
    return { url: oidc.buildAuthorizationUrl(config, parameters), transaction };
  }

  /**
   * Finishes a sign-in at the callback: the state must be this browser's and unused, the code is
   * exchanged with the PKCE verifier, and the ID token verified (signature, issuer, audience,
   * expiry, nonce, auth_time). A dashboard sign-in gets its session and where the person was
   * going; a command-line one (`arbiter login` through the browser) a redirect to its loopback
   * address with a one-time code — or, when the sign-in fails, with the reason, so the command
   * line can say it instead of waiting.
   */
  async finish(callbackUrl: URL, transaction: string | undefined): Promise<FinishedSignIn> {
    const provider = this.required();
    const pending = transaction ? await this.deps.sessions.unseal(transaction, purpose) : undefined;
    if (
      !pending ||
      typeof pending.state !== 'string' ||
      typeof pending.nonce !== 'string' ||
      typeof pending.verifier !== 'string' ||
      typeof pending.returnTo !== 'string'
    )
      throw failed(
        'state',
        'no sign-in is in progress in this browser (or it took longer than 10 minutes): start again',
      );
    const loopback = loopbackTargetOf(pending.loopback);
    try {
      const person = await this.verifyAnswer(provider, callbackUrl, {
        state: pending.state,
        nonce: pending.nonce,
        verifier: pending.verifier,
        ...(typeof pending.maxAge === 'number' ? { maxAge: pending.maxAge } : {}),
      });
      if (loopback) return { kind: 'loopback', redirect: await this.loopbackAnswer(loopback, person) };
      const session = await this.deps.sessions.issue(person, provider.issuer, provider.sessionTtlMs);
      return { kind: 'dashboard', session, person, returnTo: pending.returnTo };
    } catch (error) {
      if (!loopback || !isArbiterError(error)) throw error;
      // RFC 6749 §4.1.2.1: the error goes back to the client that asked, with its state.
      const redirect = new URL(loopback.redirectUri);
      redirect.searchParams.set('error', 'access_denied');
      redirect.searchParams.set('error_description', `${error.code}: ${error.message}`);
      redirect.searchParams.set('state', loopback.state);
      return { kind: 'loopback', redirect };
    }
  }

  /** The state check, code exchange and ID token verification of `finish`: the person it signs in. */
  private async verifyAnswer(
    provider: IdentityProviderConfig,
    callbackUrl: URL,
    pending: { state: string; nonce: string; verifier: string; maxAge?: number },
  ): Promise<SignedInPerson> {
    const state = callbackUrl.searchParams.get('state');
    if (state !== pending.state)
      throw failed(
        'state',
        "the provider's answer is for another sign-in (state does not match): start again",
      );
    // Single use: a replayed answer (or a second tab re-using it) is refused before the code is spent.
    // A state is only accepted with its sealed cookie, which expires after signInWindowMs: older
    // marks can go, in the same transaction.
    const now = this.deps.clock();
    const first = await this.deps.store.write(async (tx) => {
      await tx.purgeMeta({
        prefix: usedStatePrefix,
        before: new Date(now.getTime() - signInWindowMs - usedRecordMarginMs).toISOString(),
      });
      if (await tx.getMeta(usedStateKey(state))) return false;
      await tx.setMeta(usedStateKey(state), now.toISOString());
      return true;
    });
    if (!first) throw failed('state', 'this sign-in answer was already used: start again');
    const config = await this.configuration(provider);
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    try {
      tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: pending.verifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        // A requested max_age is checked against auth_time; 0 (authenticate now) is left to the
        // vote's own step-up check, so time spent on a consent screen does not fail the sign-in.
        ...(pending.maxAge !== undefined && pending.maxAge > 0 ? { maxAge: pending.maxAge } : {}),
      });
    } catch (error) {
      if (error instanceof oidc.AuthorizationResponseError || error instanceof oidc.ResponseBodyError)
        throw failed(
          'provider',
          `the identity provider refused the sign-in: ${error.error}${error.error_description ? ` (${error.error_description})` : ''}`,
          error,
        );
      throw failed(
        'id-token',
        `the identity provider's answer does not verify: ${(error as Error).message}`,
        error,
      );
    } finally {
      const jwks = oidc.getJwksCache(config);
      if (jwks && this.discovered) this.discovered.jwks = jwks;
    }
    const claims = tokens.claims();
    if (!claims) throw failed('id-token', 'the identity provider returned no ID token');
    return resolvePerson(claims as unknown as Record<string, unknown>, provider);
  }

  /**
   * Starts `arbiter login` through the browser, for a provider without the device grant (RFC 8252):
   * the command line's loopback address, state and PKCE challenge are sealed into a link to this
   * server's sign-in, which the person opens. Nothing new is registered at the provider: the
   * provider sends the person back to the dashboard's redirect URL, as for any sign-in.
   */
  async startLoopback(target: LoopbackTarget): Promise<{ url: string; expiresIn: number }> {
    const provider = this.required();
    const problem = loopbackRedirectProblem(target.redirectUri);
    if (problem)
      throw new ArbiterError('ARB_ERR_REQUEST_INVALID', `redirectUri ${problem}`, {
        details: { reason: 'loopback-redirect' },
      });
    // A provider that cannot be used fails here, at the command line, not later in the browser.
    await this.configuration(provider);
    const sealed = await this.deps.sessions.seal({ ...target }, signInWindowMs, loopbackRequestPurpose);
    // The sign-in page beside the registered callback: the address the browser is known to reach.
    const url = new URL('login', provider.redirectUrl);
    url.searchParams.set('cli', sealed);
    return { url: url.href, expiresIn: signInWindowMs / 1000 };
  }

  /**
   * The callback's answer to the command line: its loopback address with a one-time code (the
   * signed-in person, sealed with the session key so the database cannot forge one, bound to the
   * address and PKCE challenge, good for loopbackCodeTtlMs) and its own state.
   */
  private async loopbackAnswer(target: LoopbackTarget, person: SignedInPerson): Promise<URL> {
    const { idpGroups: _idpGroups, ...kept } = person;
    const code = await this.deps.sessions.seal(
      {
        jti: randomBytes(18).toString('base64url'),
        person: kept,
        redirectUri: target.redirectUri,
        codeChallenge: target.codeChallenge,
      },
      loopbackCodeTtlMs,
      loopbackCodePurpose,
    );
    const redirect = new URL(target.redirectUri);
    redirect.searchParams.set('code', code);
    redirect.searchParams.set('state', target.state);
    return redirect;
  }

  /**
   * Exchanges the one-time code of a loopback sign-in for a command-line session (ledgered as
   * `session.started`). The code is spent by the first attempt, right or wrong; the redirect address
   * must be the one it was issued for and the verifier must hash to its challenge (RFC 7636 S256).
   */
  async redeemLoopback({
    code,
    codeVerifier,
    redirectUri,
  }: {
    code: string;
    codeVerifier: string;
    redirectUri: string;
  }): Promise<CliSession> {
    const provider = this.required();
    const opened = await this.deps.sessions.unsealOrWhyNot(code, loopbackCodePurpose);
    if ('problem' in opened)
      throw opened.problem === 'expired'
        ? failed(
            'code-expired',
            `this one-time code is older than ${loopbackCodeTtlMs / 1000} s: run arbiter login again`,
          )
        : failed('code', 'this is not a one-time code of this server: run arbiter login again');
    const { jti, person, redirectUri: issuedFor, codeChallenge } = opened.value;
    if (
      typeof jti !== 'string' ||
      typeof issuedFor !== 'string' ||
      typeof codeChallenge !== 'string' ||
      typeof person !== 'object' ||
      person === null
    )
      throw failed('code', 'this is not a one-time code of this server: run arbiter login again');
    const now = this.deps.clock();
    const first = await this.deps.store.write(async (tx) => {
      await tx.purgeMeta({
        prefix: usedLoopbackCodePrefix,
        before: new Date(now.getTime() - loopbackCodeTtlMs - usedRecordMarginMs).toISOString(),
      });
      const key = usedLoopbackCodeKey(jti);
      if (await tx.getMeta(key)) return false;
      await tx.setMeta(key, now.toISOString());
      return true;
    });
    if (!first) throw failed('code-replayed', 'this one-time code was already used: run arbiter login again');
    if (!sameSecretText(redirectUri, issuedFor))
      throw failed('redirect-uri', 'this one-time code was issued for another loopback address');
    if (!sameSecretText(await oidc.calculatePKCECodeChallenge(codeVerifier), codeChallenge))
      throw failed('verifier', 'the code verifier does not match the challenge of this sign-in');
    // Sealed by loopbackAnswer; the provider's own groups were left out (only the mapped groups
    // and role go into a session).
    return this.startCliSession(provider, {
      ...(person as Omit<SignedInPerson, 'idpGroups'>),
      idpGroups: [],
    });
  }

  /** A command-line session for a signed-in person, ledgered as `session.started`. */
  private async startCliSession(
    provider: IdentityProviderConfig,
    person: SignedInPerson,
  ): Promise<CliSession> {
    const issued = await this.deps.sessions.issue(person, provider.issuer, provider.sessionTtlMs, 'cli');
    const session = await this.deps.sessions.authenticate(issued.cookie, 'cli');
    await this.deps.store.write((tx) =>
      this.deps.ledger.log.append(tx.ledger, [
        withAuthentication(session, {
          type: 'session.started',
          actor: userRef(person.user),
          subject: `session:${issued.sessionId}`,
          data: { role: person.role, expiresAt: issued.expiresAt.toISOString() },
        }),
      ]),
    );
    return { token: issued.cookie, person, expiresAt: issued.expiresAt };
  }

  /**
   * Starts `arbiter login`: the device authorization grant (RFC 8628) at the provider, with this
   * server's client. The person opens the verification URL anywhere and enters the code.
   */
  async startDevice(): Promise<DeviceSignIn> {
    const provider = this.required();
    const config = await this.configuration(provider);
    // Told apart from an unreachable provider: `arbiter login` then signs in through the browser.
    if (!config.serverMetadata().device_authorization_endpoint)
      throw new ArbiterError(
        'ARB_ERR_AUTH_SSO_UNAVAILABLE',
        `the identity provider ${provider.issuer} does not offer device sign-in (RFC 8628): use arbiter login --browser`,
        { details: { reason: 'no-device-grant' } },
      );
    let started: Awaited<ReturnType<typeof oidc.initiateDeviceAuthorization>>;
    try {
      started = await oidc.initiateDeviceAuthorization(config, {
        scope: ['openid', 'email', 'profile', ...provider.scopes].join(' '),
      });
    } catch (error) {
      if (error instanceof oidc.ResponseBodyError)
        throw failed('provider', `the identity provider refused a device sign-in: ${error.error}`, error);
      throw new ArbiterError(
        'ARB_ERR_AUTH_SSO_UNAVAILABLE',
        `the identity provider does not offer device sign-in (RFC 8628): ${(error as Error).message}`,
        { cause: error },
      );
    }
    const expiresIn = Math.min(started.expires_in, 30 * 60);
    return {
      userCode: started.user_code,
      verificationUri: started.verification_uri,
      ...(started.verification_uri_complete
        ? { verificationUriComplete: started.verification_uri_complete }
        : {}),
      expiresIn,
      interval: started.interval ?? 5,
      handle: await this.deps.sessions.seal(
        { deviceCode: started.device_code },
        expiresIn * 1000,
        devicePurpose,
      ),
    };
  }

  /**
   * One poll of a device sign-in: pending until the person approves at the provider; then a
   * command-line session (ledgered as `session.started`).
   */
  async pollDevice(handle: string): Promise<{ pending: true; interval?: number } | CliSession> {
    const provider = this.required();
    const sealed = await this.deps.sessions.unseal(handle, devicePurpose);
    if (!sealed || typeof sealed.deviceCode !== 'string')
      throw failed(
        'state',
        'no device sign-in with this handle is in progress (or it expired): run arbiter login again',
      );
    const config = await this.configuration(provider);
    let tokens: Awaited<ReturnType<typeof oidc.genericGrantRequest>>;
    try {
      tokens = await oidc.genericGrantRequest(config, deviceGrant, { device_code: sealed.deviceCode });
    } catch (error) {
      if (error instanceof oidc.ResponseBodyError) {
        if (error.error === 'authorization_pending') return { pending: true };
        if (error.error === 'slow_down') return { pending: true, interval: 10 };
        throw failed('provider', `the identity provider ended the device sign-in: ${error.error}`, error);
      }
      throw failed(
        'id-token',
        `the identity provider's answer does not verify: ${(error as Error).message}`,
        error,
      );
    }
    const claims = tokens.claims();
    if (!claims) throw failed('id-token', 'the identity provider returned no ID token');
    return this.startCliSession(
      provider,
      resolvePerson(claims as unknown as Record<string, unknown>, provider),
    );
  }

  /** Ends a command-line session (`arbiter logout`): revoked everywhere, and ledgered. */
  async endCliSession(token: string): Promise<boolean> {
    const session = await this.deps.sessions.authenticate(token, 'cli').catch(() => undefined);
    if (!session) return false;
    await this.deps.sessions.revoke(token, 'cli');
    await this.deps.store.write((tx) =>
      this.deps.ledger.log.append(tx.ledger, [
        {
          type: 'session.ended',
          actor: userRef(session.user!),
          subject: `session:${session.auth.sessionId}`,
          data: {},
        },
      ]),
    );
    return true;
  }
}
