import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signInWindowMs, usedRecordMarginMs, usedStateKey } from '../../src/app/access/sign-in.js';
import { CookieBrowser, startSignInServer, type TestProvider } from '../helpers/oidc.js';
import { postgresAvailable } from '../helpers/postgres.js';
import type { TestServer } from '../helpers/server.js';

/**
 * Used sign-in states, on each database: a state is marked used when the provider's answer
 * arrives, so a replay is refused for as long as the sealed cookie that carries it could be
 * presented; after that the mark is purged (by the next sign-in, in its own transaction) instead
 * of accumulating forever. Time moves on Arbiter's injected clock.
 */

const hasPostgres = await postgresAvailable();

for (const backend of ['sqlite', 'postgres'] as const) {
  describe.skipIf(backend === 'postgres' && !hasPostgres)(`used sign-in states (${backend})`, () => {
    let provider: TestProvider;
    let server: TestServer;

    beforeAll(async () => {
      ({ provider, server } = await startSignInServer({
        users: { alice: { password: 'alice-pw', email: 'alice@example.com', groups: ['sre-team'] } },
        server: { backend, transport: 'socket' },
      }));
    });
    afterAll(async () => {
      await server?.close();
      await provider?.close();
    });

    /** A dashboard sign-in, stopped at Arbiter's callback: the answer, and the cookie it needs. */
    async function answer(): Promise<{ callback: string; cookie: string; state: string }> {
      const browser = new CookieBrowser();
      const page = await browser.follow(`${server.url}/auth/login?return=/`);
      const cookie = browser.jar.get('arbiter_sign_in')!;
      const back = await browser.submitLogin(
        page.url,
        { login: 'alice', password: 'alice-pw' },
        { stopAt: `${server.url}/auth/callback` },
      );
      return { callback: back.url, cookie, state: new URL(back.url).searchParams.get('state')! };
    }

    async function present(signIn: { callback: string; cookie: string }) {
      const browser = new CookieBrowser();
      browser.jar.set('arbiter_sign_in', signIn.cookie);
      const response = await browser.request(signIn.callback);
      const body = response.status === 302 ? undefined : ((await response.json()) as { error: any });
      return { status: response.status, error: body?.error };
    }

    const marked = async (state: string) =>
      (await server.arbiter.store.getMeta(usedStateKey(state))) !== undefined;

    it('refuses a replay while the state could be presented, and purges its mark after', async () => {
      server.clock.time = new Date();
      const first = await answer();
      expect((await present(first)).status).toBe(302);
      expect(await marked(first.state)).toBe(true);

      // Late in the state's lifetime, another sign-in purges what is old — not this mark.
      server.clock.advance(signInWindowMs - 1_000);
      const second = await answer();
      expect((await present(second)).status).toBe(302);
      expect(await marked(first.state)).toBe(true);
      const replayed = await present(first);
      expect([replayed.status, replayed.error.code, replayed.error.details.reason]).toEqual([
        401,
        'ARB_ERR_AUTH_SSO_FAILED',
        'state',
      ]);
      expect(replayed.error.message).toContain('already used');

      // Past the lifetime (and the margin for replicas' clocks): the next sign-in purges the mark,
      // and the old answer is still refused — its sealed cookie has expired.
      server.clock.advance(1_000 + usedRecordMarginMs + 1_000);
      const third = await answer();
      expect((await present(third)).status).toBe(302);
      expect([await marked(first.state), await marked(second.state), await marked(third.state)]).toEqual([
        false,
        true,
        true,
      ]);
      const late = await present(first);
      expect([late.status, late.error.details.reason]).toEqual([401, 'state']);
      expect(late.error.message).toContain('no sign-in is in progress');
    }, 60_000);
  });
}
