import { createHash } from 'node:crypto';
import * as oidc from 'openid-client';
import { ArbiterError } from '../../core/errors.js';
import { userRef } from '../../identity/actor-ref.js';
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
 * when the provider sends the person back.
 */

/** How long a person has to finish signing in at the provider. */
export const signInWindowMs = 10 * 60_000;
const purpose = 'arbiter-sign-in';
const devicePurpose = 'arbiter-device-sign-in';
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
const usedStateKey = (state: string) => `sso.state-used:${createHash('sha256').update(state).digest('hex')}`;

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

function failed(reason: 'state' | 'provider' | 'id-token', message: string, cause?: unknown): ArbiterError {
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

  /** Starts a sign-in: the provider URL to send the browser to, and the sealed transaction cookie. */
  async begin({ returnTo, stepUp }: { returnTo: string; stepUp?: StepUpRequest }): Promise<{
    url: URL;
    transaction: string;
  }> {
    const provider = this.required();
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
      },
      signInWindowMs,
      purpose,
    );
    return { url: oidc.buildAuthorizationUrl(config, parameters), transaction };
  }

  /**
   * Finishes a sign-in at the callback: the state must be this browser's and unused, the code is
   * exchanged with the PKCE verifier, and the ID token verified (signature, issuer, audience,
   * expiry, nonce, auth_time). Returns the new session and where the person was going.
   */
  async finish(
    callbackUrl: URL,
    transaction: string | undefined,
  ): Promise<{ session: IssuedSession; person: SignedInPerson; returnTo: string }> {
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
    const state = callbackUrl.searchParams.get('state');
    if (state !== pending.state)
      throw failed(
        'state',
        "the provider's answer is for another sign-in (state does not match): start again",
      );
    // Single use: a replayed answer (or a second tab re-using it) is refused before the code is spent.
    const first = await this.deps.store.write(async (tx) => {
      if (await tx.getMeta(usedStateKey(state))) return false;
      await tx.setMeta(usedStateKey(state), this.deps.clock().toISOString());
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
        ...(typeof pending.maxAge === 'number' && pending.maxAge > 0 ? { maxAge: pending.maxAge } : {}),
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
    const person = resolvePerson(claims as unknown as Record<string, unknown>, provider);
    const session = await this.deps.sessions.issue(person, provider.issuer, provider.sessionTtlMs);
    return { session, person, returnTo: pending.returnTo };
  }

  /**
   * Starts `arbiter login`: the device authorization grant (RFC 8628) at the provider, with this
   * server's client. The person opens the verification URL anywhere and enters the code.
   */
  async startDevice(): Promise<DeviceSignIn> {
    const provider = this.required();
    const config = await this.configuration(provider);
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
    const person = resolvePerson(claims as unknown as Record<string, unknown>, provider);
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
