import { decodeJwt, importJWK, SignJWT } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { decodeEntry, type LedgerEntry } from '../../src/ledger/entry.js';
import {
  CookieBrowser,
  identityProviderDocument,
  mfaAcr,
  startTestProvider,
  stepUpPolicy,
  type TestProvider,
} from '../helpers/oidc.js';
import { freePort, startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Single sign-on end to end over HTTP, against a real OpenID Provider (oidc-provider) started
 * here: sign in, land where one was going, approve with the session cookie (the ledger names the
 * issuer and subject), groups that do not match, step-up, and every way a sign-in can be forged or
 * replayed. The browser is a cookie jar that follows redirects (the Chromium test is
 * test/web/sign-in-browser.test.ts).
 */

const users = {
  alice: {
    password: 'alice-pw',
    otp: '123456',
    email: 'Alice@Example.com',
    name: 'Alice Liddell',
    groups: ['sre-team'],
  },
  bob: { password: 'bob-pw', email: 'bob@example.com', groups: ['platform-team'] },
  mallory: { password: 'mallory-pw', email: 'mallory@example.com', groups: ['contractors'] },
  unverified: { password: 'u-pw', email: 'u@example.com', emailVerified: false, groups: ['sre-team'] },
};

/** What the test does to the provider's token response on its way to Arbiter. */
type Forgery = 'none' | 'tamper' | 'wrong-audience' | 'expired' | 'unsigned';

describe('sign-in with a real OpenID Provider', () => {
  let provider: TestProvider;
  let server: TestServer;
  let forgery: Forgery = 'none';

  /** Rewrites the ID token in token endpoint answers, as a man in the middle or a broken provider would. */
  const interceptingFetch = async (url: string, init: Parameters<typeof fetch>[1]): Promise<Response> => {
    const response = await fetch(url, init as RequestInit);
    if (forgery === 'none' || !url.endsWith('/token')) return response;
    const body = (await response.json()) as { id_token?: string };
    const [header, payload, signature] = body.id_token!.split('.') as [string, string, string];
    const claims = decodeJwt(body.id_token!);
    if (forgery === 'tamper') {
      const changed = Buffer.from(JSON.stringify({ ...claims, groups: ['sre-team', 'admins'] })).toString(
        'base64url',
      );
      body.id_token = `${header}.${changed}.${signature}`;
    } else if (forgery === 'unsigned') {
      const none = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url');
      body.id_token = `${none}.${payload}.`;
    } else {
      // Signed with the provider's own key: only the audience or expiry check can catch it.
      const key = await importJWK(provider.signingKey.privateJwk, 'RS256');
      const now = Math.floor(Date.now() / 1000);
      const changed =
        forgery === 'expired' ? { iat: now - 7_200, exp: now - 3_600 } : { aud: 'some-other-client' };
      body.id_token = await new SignJWT({ ...claims, ...changed })
        .setProtectedHeader({ alg: 'RS256', kid: provider.signingKey.kid })
        .sign(key);
    }
    return new Response(JSON.stringify(body), {
      status: response.status,
      headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
    });
  };

  beforeAll(async () => {
    const port = await freePort();
    const arbiterUrl = `http://127.0.0.1:${port}`;
    provider = await startTestProvider({ users, redirectUri: `${arbiterUrl}/auth/callback` });
    server = await startTestServer({
      port,
      transport: 'socket',
      extraPolicies: {
        'identity.yaml': identityProviderDocument(provider, arbiterUrl),
        'sign-in-flows.yaml': stepUpPolicy('sign-in-flows'),
      },
      identity: { env: { TEST_OIDC_SECRET: provider.clientSecret }, fetch: interceptingFetch },
    });
  });
  afterAll(async () => {
    await server?.close();
    await provider?.close();
  });
  beforeEach(() => {
    forgery = 'none';
    // ID tokens carry the provider's (real) time; Arbiter's clock starts there.
    server.clock.time = new Date();
  });

  /** Starts a sign-in at Arbiter and returns the provider's login page URL. */
  async function startSignIn(
    browser: CookieBrowser,
    path = '/auth/login?return=/approvals',
  ): Promise<string> {
    const { response, url } = await browser.follow(`${server.url}${path}`);
    expect(response.status, await response.clone().text()).toBe(200);
    expect(url).toContain(`${provider.issuer}/interaction/`);
    return url;
  }

  /** Signs `login` in and returns the browser (with its session cookie) and where it landed. */
  async function signIn(login: keyof typeof users, options: { otp?: string; path?: string } = {}) {
    const browser = new CookieBrowser();
    const page = await startSignIn(browser, options.path);
    const done = await browser.submitLogin(page, {
      login,
      password: users[login].password,
      ...(options.otp ? { otp: options.otp } : {}),
    });
    return { browser, ...done };
  }

  async function sessionOf(browser: CookieBrowser) {
    const response = await browser.request(`${server.url}/auth/session`);
    return (await response.json()) as { session: null | Record<string, any> };
  }

  /** A call with the browser's session cookie and (unless told otherwise) its CSRF token. */
  async function withSession(
    browser: CookieBrowser,
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: any }> {
    const info = await sessionOf(browser);
    const response = await browser.request(`${server.url}${path}`, {
      method,
      headers: {
        ...(info.session ? { 'x-arbiter-csrf': info.session.csrfToken } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: await response.json() };
  }

  async function pendingDecision(
    action: 'restart' | 'rotate-keys',
  ): Promise<{ id: string; requestHash: string }> {
    const created = await server.call(server.tokens.deployBot, 'POST', '/v1/decisions', {
      action,
      resource: { type: 'service', id: 'payments', environment: 'staging' },
      rationale: `${action} the payments service after the config change`,
    });
    expect([created.status, created.body.status], created.text).toEqual([201, 'pending']);
    return created.body;
  }

  const vote = (browser: CookieBrowser, decision: { id: string; requestHash: string }, headers = {}) =>
    withSession(
      browser,
      'POST',
      `/v1/decisions/${decision.id}/approvals`,
      { verdict: 'approve', reason: 'checked the change', requestHash: decision.requestHash },
      headers,
    );

  async function ledgerEntry(seqPredicate: (entry: LedgerEntry) => boolean): Promise<{
    entry: LedgerEntry;
    personal: Record<string, unknown>;
  }> {
    const size = await server.arbiter.store.ledger.size();
    const stored = await server.arbiter.store.ledger.entries(Math.max(0, size - 50), size);
    for (const item of stored.reverse()) {
      const decoded = decodeEntry(item.bytes, item.seq);
      if (!('entry' in decoded) || !seqPredicate(decoded.entry)) continue;
      const personal = await server.arbiter.store.ledger.personal(item.seq, item.seq + 1);
      return {
        entry: decoded.entry,
        personal: Object.fromEntries(personal.map((value) => [value.field, value.value])),
      };
    }
    throw new Error('no such ledger entry');
  }

  it('signs in, lands where the person was going, and approves: the ledger names issuer and subject', async () => {
    const decision = await pendingDecision('restart');
    const { browser, response, url } = await signIn('alice', {
      path: `/auth/login?return=/decisions/${decision.id}`,
    });
    // The landing redirect is followed to the dashboard page the approval link named.
    expect(url).toBe(`${server.url}/decisions/${decision.id}`);
    expect(response.status).toBe(404); // no dashboard is served by this test server: the API refuses
    const info = await sessionOf(browser);
    expect(info.session).toMatchObject({
      id: 'alice@example.com',
      ref: 'user:alice@example.com',
      role: 'approver',
      groups: ['sre'],
      issuer: provider.issuer,
      subject: 'alice',
      email: 'alice@example.com',
      name: 'Alice Liddell',
      amr: ['pwd'],
      acr: provider.passwordAcr,
    });
    const me = await withSession(browser, 'GET', '/v1/me');
    expect(me.body).toMatchObject({
      id: 'alice@example.com',
      ref: 'user:alice@example.com',
      role: 'approver',
    });

    const voted = await vote(browser, decision);
    expect([voted.status, voted.body.status]).toEqual([200, 'allowed']);
    const { entry, personal } = await ledgerEntry(
      (e) => e.type === 'approval.recorded' && e.subject === decision.id,
    );
    expect(entry.actor).toBe('user:alice@example.com');
    expect(entry.data.authentication).toMatchObject({
      via: 'sso',
      issuer: provider.issuer,
      groups: ['sre'],
      amr: ['pwd'],
      acr: provider.passwordAcr,
    });
    expect(typeof (entry.data.authentication as { authTime: number }).authTime).toBe('number');
    // Subject, email and name are personal: committed to in the entry, kept beside it, erasable.
    expect(Object.keys(entry.data.personal as object).sort()).toEqual([
      'displayName',
      'email',
      'reason',
      'subject',
    ]);
    expect(personal).toMatchObject({
      subject: 'alice',
      email: 'alice@example.com',
      displayName: 'Alice Liddell',
    });
    expect(JSON.stringify(entry)).not.toContain('Alice Liddell');

    // Erasable as any personal field: the email goes, the entry (and its commitment) stays.
    const erased = await server.arbiter.store.write((tx) => tx.erasePersonal({ value: 'alice@example.com' }));
    expect(erased).toBeGreaterThanOrEqual(1);
    const after = await ledgerEntry((e) => e.type === 'approval.recorded' && e.subject === decision.id);
    expect(after.entry).toEqual(entry);
    expect(after.personal.email).toBeUndefined();
    expect(after.personal.subject).toBe('alice');
  });

  it('a person whose groups do not match cannot approve; one whose groups map to no role cannot sign in', async () => {
    const decision = await pendingDecision('restart');
    const { browser } = await signIn('bob');
    expect((await sessionOf(browser)).session).toMatchObject({ id: 'bob@example.com', groups: ['platform'] });
    const refused = await vote(browser, decision);
    expect([refused.status, refused.body.error.code]).toEqual([403, 'ARB_ERR_APPROVAL_NOT_ELIGIBLE']);

    const mallory = await signIn('mallory');
    expect(mallory.response.status).toBe(403);
    const error = (await mallory.response.json()) as { error: { code: string; details: { reason: string } } };
    expect([error.error.code, error.error.details.reason]).toEqual(['ARB_ERR_AUTH_SSO_REFUSED', 'no-role']);
    expect((await sessionOf(mallory.browser)).session).toBeNull();
  });

  it('freezes, autonomy changes and incidents record the sign-in too', async () => {
    const { browser } = await signIn('bob'); // platform: deploy-bot's owner team
    const authenticated = { via: 'sso', issuer: provider.issuer, groups: ['platform'], amr: ['pwd'] };
    const froze = await withSession(browser, 'POST', '/v1/systems/deploy-bot/freeze', { reason: 'sso test' });
    expect(froze.status).toBe(200);
    const frozen = await ledgerEntry((e) => e.type === 'system.frozen' && e.subject === 'deploy-bot');
    expect(frozen.entry.actor).toBe('user:bob@example.com');
    expect(frozen.entry.data.authentication).toMatchObject(authenticated);
    expect(frozen.personal).toMatchObject({ subject: 'bob', email: 'bob@example.com' });
    expect(
      (await withSession(browser, 'POST', '/v1/systems/deploy-bot/unfreeze', { reason: 'done' })).status,
    ).toBe(200);

    const lowered = await withSession(browser, 'POST', '/v1/systems/deploy-bot/autonomy', {
      level: 2,
      reason: 'sso test',
    });
    expect(lowered.status).toBe(200);
    const changed = await ledgerEntry(
      (e) => e.type === 'system.autonomy_changed' && e.subject === 'deploy-bot',
    );
    expect(changed.entry.data.authentication).toMatchObject(authenticated);
    await withSession(browser, 'POST', '/v1/systems/deploy-bot/autonomy', { level: 3, reason: 'put back' });

    const opened = await withSession(browser, 'POST', '/v1/incidents', {
      title: 'sso test',
      system: 'deploy-bot',
    });
    expect(opened.status).toBe(201);
    const incident = await ledgerEntry((e) => e.type === 'incident.opened' && e.subject === opened.body.id);
    expect(incident.entry.data.authentication).toMatchObject(authenticated);
    const resolved = await withSession(browser, 'POST', `/v1/incidents/${opened.body.id}/resolve`, {
      summary: 'ok',
    });
    expect(resolved.status).toBe(200);
    const closed = await ledgerEntry((e) => e.type === 'incident.resolved' && e.subject === opened.body.id);
    expect(closed.entry.data.authentication).toMatchObject(authenticated);
  });

  it('without a verified email, the id is issuer|subject', async () => {
    const { browser } = await signIn('unverified');
    expect((await sessionOf(browser)).session).toMatchObject({
      id: `${provider.issuer}|unverified`,
      email: null,
    });
  });

  it('an approval that requires mfa is refused for a password-only session and accepted after step-up', async () => {
    const decision = await pendingDecision('rotate-keys');
    const { browser } = await signIn('alice');
    const refused = await vote(browser, decision);
    expect([refused.status, refused.body.error.code, refused.body.error.details.reason]).toEqual([
      403,
      'ARB_ERR_APPROVAL_STEP_UP',
      'mfa',
    ]);
    const stepUp: string = refused.body.error.details.stepUp;
    expect(stepUp).toBe(`/auth/login?return=%2Fdecisions%2F${decision.id}&step_up=mfa&max_age=900`);
    expect(refused.body.error.message).toContain(stepUp);

    // The printed link: a fresh login at the provider (prompt=login, max_age, the MFA acr asked for).
    const { hops, url: page } = await browser.follow(`${server.url}${stepUp}`);
    const authorize = new URL(hops.find((hop) => hop.startsWith(`${provider.issuer}/auth?`))!);
    expect(authorize.searchParams.get('prompt')).toBe('login');
    expect(authorize.searchParams.get('max_age')).toBe('900');
    expect(authorize.searchParams.get('acr_values')).toBe(mfaAcr);
    expect(page).toContain('/interaction/');
    const back = await browser.submitLogin(page, { login: 'alice', password: 'alice-pw', otp: '123456' });
    expect(back.url).toBe(`${server.url}/decisions/${decision.id}`);
    expect((await sessionOf(browser)).session).toMatchObject({ amr: ['pwd', 'otp'], acr: mfaAcr });

    const accepted = await vote(browser, decision);
    expect([accepted.status, accepted.body.status]).toEqual([200, 'allowed']);
    const { entry } = await ledgerEntry((e) => e.type === 'approval.recorded' && e.subject === decision.id);
    expect(entry.data.authentication).toMatchObject({ amr: ['pwd', 'otp'], acr: mfaAcr });

    // maxAuthAge: 15m — the same session, 20 minutes on, is too old for the next one.
    const later = await pendingDecision('rotate-keys');
    server.clock.advance(20 * 60_000);
    const stale = await vote(browser, later);
    expect([stale.status, stale.body.error.code, stale.body.error.details.reason]).toEqual([
      403,
      'ARB_ERR_APPROVAL_STEP_UP',
      'auth-age',
    ]);
    // A bearer token cannot meet a step-up requirement at all.
    const token = await server.call(server.tokens.alice, 'POST', `/v1/decisions/${later.id}/approvals`, {
      verdict: 'approve',
      reason: 'token',
      requestHash: later.requestHash,
    });
    expect([token.status, token.body.error.details.reason]).toEqual([403, 'no-session']);
  });

  describe('forged and replayed sign-ins are refused', () => {
    async function callbackWith(mode: Forgery) {
      const browser = new CookieBrowser();
      const page = await startSignIn(browser);
      forgery = mode;
      const done = await browser.submitLogin(page, { login: 'alice', password: 'alice-pw' });
      return {
        browser,
        ...done,
        body: (await done.response.json()) as { error: { code: string; details: any; message: string } },
      };
    }

    for (const mode of ['tamper', 'wrong-audience', 'expired', 'unsigned'] as const) {
      it(`a ${mode} ID token`, async () => {
        const { response, body, browser } = await callbackWith(mode);
        expect([response.status, body.error.code, body.error.details.reason]).toEqual([
          401,
          'ARB_ERR_AUTH_SSO_FAILED',
          'id-token',
        ]);
        expect((await sessionOf(browser)).session).toBeNull();
      });
    }

    it('a replayed state and code: the same answer is used once', async () => {
      const browser = new CookieBrowser();
      const page = await startSignIn(browser);
      const signInCookie = browser.jar.get('arbiter_sign_in')!;
      const back = await browser.submitLogin(
        page,
        { login: 'alice', password: 'alice-pw' },
        {
          stopAt: `${server.url}/auth/callback`,
        },
      );
      const first = await browser.request(back.url);
      expect(first.status).toBe(302);
      // An attacker replays the answer with the sign-in cookie it captured.
      const replay = new CookieBrowser();
      replay.jar.set('arbiter_sign_in', signInCookie);
      const replayed = await replay.request(back.url);
      const body = (await replayed.json()) as { error: { code: string; details: { reason: string } } };
      expect([replayed.status, body.error.code, body.error.details.reason]).toEqual([
        401,
        'ARB_ERR_AUTH_SSO_FAILED',
        'state',
      ]);
      expect(replay.jar.has('arbiter_session')).toBe(false);
      // And the provider itself refuses the spent code.
      const code = new URL(back.url).searchParams.get('code')!;
      const redeemed = await fetch(`${provider.issuer}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${provider.clientId}:${provider.clientSecret}`).toString('base64')}`,
        },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code,
          redirect_uri: `${server.url}/auth/callback`,
          code_verifier: 'x'.repeat(43),
        }).toString(),
      });
      expect([redeemed.status, ((await redeemed.json()) as { error: string }).error]).toEqual([
        400,
        'invalid_grant',
      ]);
    });

    it('a missing PKCE verifier: no sign-in cookie at Arbiter, and no verifier at the provider', async () => {
      const browser = new CookieBrowser();
      const page = await startSignIn(browser);
      const back = await browser.submitLogin(
        page,
        { login: 'alice', password: 'alice-pw' },
        {
          stopAt: `${server.url}/auth/callback`,
        },
      );
      // The authorization request carried an S256 challenge.
      const stranger = new CookieBrowser();
      const refused = await stranger.request(back.url);
      const body = (await refused.json()) as { error: { code: string; details: { reason: string } } };
      expect([refused.status, body.error.code, body.error.details.reason]).toEqual([
        401,
        'ARB_ERR_AUTH_SSO_FAILED',
        'state',
      ]);
      const redeemed = await fetch(`${provider.issuer}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${provider.clientId}:${provider.clientSecret}`).toString('base64')}`,
        },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code: new URL(back.url).searchParams.get('code')!,
          redirect_uri: `${server.url}/auth/callback`,
        }).toString(),
      });
      const error = (await redeemed.json()) as { error: string };
      expect([redeemed.status, error.error]).toEqual([400, 'invalid_grant']);
    });

    it('the authorization request uses PKCE S256, state and nonce', async () => {
      const browser = new CookieBrowser();
      const { hops } = await browser.follow(`${server.url}/auth/login?return=/approvals`);
      const authorize = new URL(hops[1]!);
      expect(authorize.origin).toBe(provider.issuer);
      expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
      expect(authorize.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(authorize.searchParams.get('state')).toBeTruthy();
      expect(authorize.searchParams.get('nonce')).toBeTruthy();
      const cookie = (
        await fetch(`${server.url}/auth/login?return=/approvals`, { redirect: 'manual' })
      ).headers.getSetCookie()[0]!;
      expect(cookie).toMatch(
        /^arbiter_sign_in=[^;]+; Path=\/auth\/callback; Max-Age=600; HttpOnly; SameSite=Lax$/,
      );
    });
  });

  describe('the session cookie', () => {
    it('is HttpOnly and SameSite=Lax (Secure except on loopback http), and its CSRF token is required for POSTs', async () => {
      const browser = new CookieBrowser();
      const page = await startSignIn(browser);
      const back = await browser.submitLogin(
        page,
        { login: 'alice', password: 'alice-pw' },
        {
          stopAt: `${server.url}/auth/callback`,
        },
      );
      const landed = await browser.request(back.url);
      const set = landed.headers.getSetCookie().find((line) => line.startsWith('arbiter_session='))!;
      expect(set).toMatch(/; Path=\/; Max-Age=28800; HttpOnly; SameSite=Lax$/);

      const decision = await pendingDecision('restart');
      const noToken = await vote(browser, decision, { 'x-arbiter-csrf': '' });
      expect([noToken.status, noToken.body.error.code, noToken.body.error.details.reason]).toEqual([
        403,
        'ARB_ERR_AUTH_CSRF',
        'missing-token',
      ]);
      const wrong = await vote(browser, decision, { 'x-arbiter-csrf': 'x'.repeat(43) });
      expect(wrong.body.error.details.reason).toBe('wrong-token');
      const crossSite = await vote(browser, decision, { origin: 'https://evil.example' });
      expect([crossSite.status, crossSite.body.error.details.reason]).toEqual([403, 'cross-site']);
      const fetchMetadata = await vote(browser, decision, { 'sec-fetch-site': 'cross-site' });
      expect(fetchMetadata.body.error.details.reason).toBe('cross-site');
      // Nothing was recorded; the same page with its token votes.
      expect((await server.call(server.tokens.erin, 'GET', `/v1/decisions/${decision.id}`)).body.status).toBe(
        'pending',
      );
      const sameSite = await vote(browser, decision, { origin: server.url });
      expect(sameSite.status).toBe(200);
    });

    it('cannot be forged or altered, ends at logout everywhere, and expires', async () => {
      const { browser } = await signIn('bob');
      const cookie = browser.jar.get('arbiter_session')!;
      const altered = `${cookie.slice(0, -4)}${cookie.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
      for (const forged of [altered, 'not-a-session', `${cookie}.extra`]) {
        const response = await fetch(`${server.url}/v1/me`, {
          headers: { cookie: `arbiter_session=${forged}` },
        });
        const body = (await response.json()) as { error: { code: string } };
        expect([response.status, body.error.code]).toEqual([401, 'ARB_ERR_AUTH_SESSION_INVALID']);
      }
      // Logout needs the CSRF token too: another site cannot sign a person out.
      const crossSite = await withSession(browser, 'POST', '/auth/logout', undefined, {
        'x-arbiter-csrf': 'nope',
      });
      expect(crossSite.status).toBe(403);
      const out = await withSession(browser, 'POST', '/auth/logout');
      expect([out.status, out.body.signedOut]).toEqual([200, true]);
      expect(browser.jar.has('arbiter_session')).toBe(false);
      // A copy of the cookie kept elsewhere is dead too (the revocation is in the database).
      const copy = await fetch(`${server.url}/v1/me`, { headers: { cookie: `arbiter_session=${cookie}` } });
      expect(copy.status).toBe(401);

      const again = await signIn('bob');
      expect((await withSession(again.browser, 'GET', '/v1/me')).status).toBe(200);
      server.clock.advance(8 * 3_600_000 + 1_000);
      const expired = await again.browser.request(`${server.url}/v1/me`);
      const body = (await expired.json()) as { error: { code: string } };
      expect([expired.status, body.error.code]).toEqual([401, 'ARB_ERR_AUTH_SESSION_INVALID']);
      // The page asking who is signed in is told nobody, and the dead cookie is cleared.
      expect((await sessionOf(again.browser)).session).toBeNull();
      expect(again.browser.jar.has('arbiter_session')).toBe(false);
    });
  });

  it('the return path is this dashboard’s only: no open redirect', async () => {
    for (const hostile of [
      'https://evil.example/',
      '//evil.example/',
      '/\\evil.example',
      'javascript:alert(1)',
      '/auth/logout',
      '/v1/me',
      `/${'a'.repeat(3000)}`,
      '/ok\r\nset-cookie: x=y',
    ]) {
      const response = await fetch(`${server.url}/auth/login?return=${encodeURIComponent(hostile)}`, {
        redirect: 'manual',
      });
      expect(response.status, hostile).toBe(400);
      expect(response.headers.get('location'), hostile).toBeNull();
    }
    const fine = await fetch(
      `${server.url}/auth/login?return=${encodeURIComponent('/decisions/dec_1?tab=ledger#votes')}`,
      {
        redirect: 'manual',
      },
    );
    expect(fine.status).toBe(302);
    expect(fine.headers.get('location')!.startsWith(`${provider.issuer}/auth?`)).toBe(true);
  });
});

describe('--human-tokens off', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ humanTokens: false });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('refuses people’s bearer tokens and keeps agents’', async () => {
    for (const person of ['alice', 'erin', 'root']) {
      const refused = await server.call(server.tokens[person], 'GET', '/v1/me');
      expect([refused.status, refused.body.error.code]).toEqual([401, 'ARB_ERR_AUTH_HUMAN_TOKENS_OFF']);
    }
    expect((await server.call(server.tokens.deployBot, 'GET', '/v1/me')).status).toBe(200);
    const info = await server.call(undefined, 'GET', '/auth/session');
    expect(info.body).toEqual({ provider: null, humanTokens: false, session: null });
  });
});
