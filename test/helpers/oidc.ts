import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import Provider from 'oidc-provider';
import { freePort, startTestServer, type TestServer } from './server.js';

/**
 * A real, certified OpenID Provider (the oidc-provider package) started inside the tests, with its
 * users, their groups and a one-time-password second factor. Its login page is this file's: a
 * form with login, password and an optional one-time password. Signing in with the right OTP
 * yields `amr: ["pwd","otp"]` and the MFA acr; without, `amr: ["pwd"]`. Consent is given at once.
 * The device authorization grant (RFC 8628) is enabled for Arbiter's client, for `arbiter login`,
 * unless `deviceFlow: false` (then `arbiter login` signs in through the browser).
 */

export interface TestUser {
  password: string;
  /** The one-time password that makes a sign-in multi-factor; none: this user has no second factor. */
  otp?: string;
  email?: string;
  emailVerified?: boolean;
  name?: string;
  groups: string[];
}

export interface TestProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The provider's signing key, for tests that forge ID tokens signed with the right key. */
  signingKey: { privateJwk: JWK; kid: string };
  mfaAcr: string;
  passwordAcr: string;
  close(): Promise<void>;
}

/** An ActionPolicy named `name`: restarts need an SRE, key rotations an SRE signed in with MFA in the last 15 minutes. */
export function stepUpPolicy(name: string): string {
  return `apiVersion: arbiter/v1
kind: ActionPolicy
metadata: { name: ${name} }
spec:
  match: { actions: [restart, rotate-keys] }
  rules:
    - name: restart-needs-sre
      when: request.action == 'restart'
      effect: require_approval
      approval: { from: ["group:sre"], ttl: 4h }
    - name: rotate-needs-mfa
      when: request.action == 'rotate-keys'
      effect: require_approval
      approval: { from: ["group:sre"], ttl: 4h, assurance: mfa, maxAuthAge: 15m }
`;
}

export const mfaAcr = 'urn:arbiter:test:mfa';
export const passwordAcr = 'urn:arbiter:test:pwd';

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

function loginPage(uid: string, message?: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>Test provider sign-in</title></head><body>
<h1>Sign in to the test provider</h1>
${message ? `<p role="alert">${escapeHtml(message)}</p>` : ''}
<form method="post" action="/interaction/${escapeHtml(uid)}/login">
<label>Login <input name="login" autocomplete="username"></label>
<label>Password <input name="password" type="password"></label>
<label>One-time password <input name="otp" autocomplete="one-time-code"></label>
<button type="submit">Sign in</button>
</form></body></html>`;
}

/** Starts the provider on a loopback port; `redirectUri` is Arbiter's /auth/callback. */
export async function startTestProvider({
  users,
  redirectUri,
  deviceFlow = true,
}: {
  users: Record<string, TestUser>;
  redirectUri: string;
  /** Whether the provider offers the device authorization grant (default true). */
  deviceFlow?: boolean;
}): Promise<TestProvider> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = 'test-provider-key';
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
  const clientSecret = 'test-client-secret-that-is-long-enough-0123456789';
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: 'arbiter',
        client_secret: clientSecret,
        redirect_uris: [redirectUri],
        grant_types: deviceFlow
          ? ['authorization_code', 'urn:ietf:params:oauth:grant-type:device_code']
          : ['authorization_code'],
        response_types: ['code'],
        require_auth_time: true,
      },
    ],
    jwks: { keys: [privateJwk] },
    cookies: { keys: ['test-provider-cookie-key'] },
    pkce: { required: () => true },
    acrValues: [passwordAcr, mfaAcr],
    scopes: ['openid', 'email', 'profile', 'groups'],
    claims: {
      // How and when the person authenticated: in every ID token, as Okta and Entra ID send them.
      openid: ['sub', 'acr', 'amr', 'auth_time'],
      sid: null,
      email: ['email', 'email_verified'],
      profile: ['name'],
      groups: ['groups'],
    },
    // Claims in the ID token itself (as Okta, Entra ID and Keycloak can be set up to do).
    conformIdTokenClaims: false,
    features: {
      devInteractions: { enabled: false },
      deviceFlow: { enabled: deviceFlow },
    },
    async findAccount(_ctx: unknown, id: string) {
      const user = users[id];
      if (!user) return undefined;
      return {
        accountId: id,
        async claims() {
          return {
            sub: id,
            ...(user.email ? { email: user.email, email_verified: user.emailVerified ?? true } : {}),
            ...(user.name ? { name: user.name } : {}),
            groups: user.groups,
          };
        },
      };
    },
  });
  const callback = provider.callback();
  server.on('request', (request, response) => {
    const path = new URL(request.url ?? '/', issuer).pathname;
    const interaction = /^\/interaction\/([^/]+)(\/login)?$/.exec(path);
    if (!interaction) return callback(request, response);
    (async () => {
      const details = await provider.interactionDetails(request, response);
      if (interaction[2] && request.method === 'POST') {
        const form = new URLSearchParams(await readBody(request));
        const login = form.get('login') ?? '';
        const user = users[login];
        if (!user || user.password !== form.get('password')) {
          response
            .writeHead(200, { 'content-type': 'text/html' })
            .end(loginPage(details.uid, 'wrong login or password'));
          return;
        }
        const otp = form.get('otp') ?? '';
        const multiFactor = user.otp !== undefined && otp === user.otp;
        if (otp !== '' && !multiFactor) {
          response
            .writeHead(200, { 'content-type': 'text/html' })
            .end(loginPage(details.uid, 'wrong one-time password'));
          return;
        }
        await provider.interactionFinished(
          request,
          response,
          {
            login: {
              accountId: login,
              amr: multiFactor ? ['pwd', 'otp'] : ['pwd'],
              acr: multiFactor ? mfaAcr : passwordAcr,
              remember: true,
            },
          },
          { mergeWithLastSubmission: false },
        );
        return;
      }
      if (details.prompt.name === 'login') {
        response.writeHead(200, { 'content-type': 'text/html' }).end(loginPage(details.uid));
        return;
      }
      // Consent: granted at once, for what was asked.
      const grant = new provider.Grant({
        accountId: details.session!.accountId,
        clientId: String(details.params.client_id),
      });
      grant.addOIDCScope(String(details.params.scope ?? 'openid'));
      const claims = details.prompt.details.missingOIDCClaims;
      if (Array.isArray(claims)) grant.addOIDCClaims(claims as string[]);
      const grantId = await grant.save();
      await provider.interactionFinished(
        request,
        response,
        { consent: { grantId } },
        { mergeWithLastSubmission: true },
      );
    })().catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
      response.end(String(error));
    });
  });
  return {
    issuer,
    clientId: 'arbiter',
    clientSecret,
    signingKey: { privateJwk, kid },
    mfaAcr,
    passwordAcr,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The IdentityProvider document for a test provider and an Arbiter at `arbiterUrl`. */
export function identityProviderDocument(
  provider: Pick<TestProvider, 'issuer' | 'clientId'>,
  arbiterUrl: string,
  extra = '',
): string {
  return `apiVersion: arbiter/v1
kind: IdentityProvider
metadata:
  name: test-idp
spec:
  displayName: Test IdP
  issuer: ${provider.issuer}
  clientId: ${provider.clientId}
  clientSecretEnv: TEST_OIDC_SECRET
  redirectUrl: ${arbiterUrl}/auth/callback
  scopes: [groups]
  mfaAcrValues: [${mfaAcr}]
  groupMapping:
    - idpGroup: sre-team
      groups: [sre]
      role: approver
    - idpGroup: platform-team
      groups: [platform]
      role: approver
    - idpGroup: auditors
      role: auditor
${extra}`;
}

/**
 * A browser without a browser, for HTTP-level tests: a cookie jar (one host, as a browser shares
 * cookies across the ports of 127.0.0.1) and redirects followed by hand.
 */
export class CookieBrowser {
  readonly jar = new Map<string, string>();

  private remember(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const expired = /max-age=0\b/i.test(line) || /expires=thu, 01 jan 1970/i.test(line);
      if (expired || value === '') this.jar.delete(name);
      else this.jar.set(name, value);
    }
  }

  cookieHeader(): string {
    return [...this.jar].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const response = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: { ...(init.headers as Record<string, string>), cookie: this.cookieHeader() },
    });
    this.remember(response);
    return response;
  }

  /** Follows redirects from `url`; returns the last response and its URL. */
  async follow(
    url: string,
    init: RequestInit = {},
  ): Promise<{ response: Response; url: string; hops: string[] }> {
    let current = url;
    let response = await this.request(current, init);
    const hops = [current];
    for (let i = 0; i < 20 && response.status >= 300 && response.status < 400; i++) {
      current = new URL(response.headers.get('location')!, current).href;
      hops.push(current);
      response = await this.request(current);
    }
    return { response, url: current, hops };
  }

  /**
   * Signs in at the provider's login form reached at `loginPageUrl` and follows the redirects back.
   * Returns the last response (Arbiter's landing redirect is followed too when `stopAt` is absent).
   */
  async submitLogin(
    loginPageUrl: string,
    fields: { login: string; password: string; otp?: string },
    options: { stopAt?: string } = {},
  ): Promise<{ response: Response; url: string; hops: string[] }> {
    const uid = /\/interaction\/([^/?]+)/.exec(loginPageUrl)![1]!;
    const action = new URL(`/interaction/${uid}/login`, loginPageUrl).href;
    let current = action;
    let response = await this.request(action, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ otp: '', ...fields }).toString(),
    });
    const hops = [current];
    for (let i = 0; i < 20 && response.status >= 300 && response.status < 400; i++) {
      current = new URL(response.headers.get('location')!, current).href;
      hops.push(current);
      if (options.stopAt && current.startsWith(options.stopAt)) break;
      response = await this.request(current);
    }
    return { response, url: current, hops };
  }
}

/** The `name="…" value="…"` fields of the first form in a page (oidc-provider's device pages). */
export function formFields(html: string): { action: string; fields: Record<string, string> } {
  const form = /<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/i.exec(html);
  if (!form) throw new Error(`no form in the page: ${html.slice(0, 300)}`);
  const fields: Record<string, string> = {};
  for (const input of form[2]!.matchAll(/<input[^>]*>/gi)) {
    const name = /name="([^"]*)"/.exec(input[0])?.[1];
    if (name) fields[name] = /value="([^"]*)"/.exec(input[0])?.[1] ?? '';
  }
  return { action: form[1]!, fields };
}

/**
 * The test provider and an Arbiter server that signs people in through it, as `identity.yaml`
 * configures it: the server's port is chosen first, since the provider must know the callback.
 */
export async function startSignInServer(options: {
  users: Record<string, TestUser>;
  deviceFlow?: boolean;
  /** The server's other options (backend, transport, humanTokens…). */
  server?: Omit<NonNullable<Parameters<typeof startTestServer>[0]>, 'port' | 'extraPolicies' | 'identity'>;
}): Promise<{ provider: TestProvider; server: TestServer }> {
  const port = await freePort();
  const arbiterUrl = `http://127.0.0.1:${port}`;
  const provider = await startTestProvider({
    redirectUri: `${arbiterUrl}/auth/callback`,
    users: options.users,
    ...(options.deviceFlow !== undefined ? { deviceFlow: options.deviceFlow } : {}),
  });
  const server = await startTestServer({
    ...options.server,
    port,
    extraPolicies: { 'identity.yaml': identityProviderDocument(provider, arbiterUrl) },
    identity: { env: { TEST_OIDC_SECRET: provider.clientSecret } },
  });
  return { provider, server };
}
