import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  loopbackCodePurpose,
  loopbackCodeTtlMs,
  signInWindowMs,
  usedLoopbackCodeKey,
  usedRecordMarginMs,
} from '../../src/app/access/sign-in.js';
import { decodeEntry } from '../../src/ledger/entry.js';
import { arbiterAsync } from '../helpers/cli.js';
import { CookieBrowser, startSignInServer, type TestProvider } from '../helpers/oidc.js';
import type { TestServer } from '../helpers/server.js';
import { tempDir } from '../helpers/temp.js';

/**
 * `arbiter login` against a real OpenID Provider without the device grant: the built binary
 * falls back to the browser (RFC 8252). It listens on a loopback port and prints a link; the test
 * plays the person, opening that link over HTTP, signing in at the provider's form and following
 * the redirects — through Arbiter's registered callback — back to the binary's loopback listener.
 * Then every way the loopback exchange can be abused: a non-loopback address, a replayed,
 * expired, forged or misdirected code, a wrong verifier, a stale or forged link.
 */

const bin = fileURLToPath(new URL('../../bin/arbiter.js', import.meta.url));

interface Spawned {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the stderr text once it matches `pattern`. */
  printed: (pattern: RegExp) => Promise<RegExpExecArray>;
  exited: Promise<number | null>;
}

function spawnArbiter(args: string[], env: Record<string, string>): Spawned {
  const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  const waiters: { pattern: RegExp; resolve: (match: RegExpExecArray) => void }[] = [];
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
    for (const waiter of [...waiters]) {
      const match = waiter.pattern.exec(stderr);
      if (match) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(match);
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    printed: (pattern) =>
      new Promise((resolve, reject) => {
        const match = pattern.exec(stderr);
        if (match) return resolve(match);
        waiters.push({ pattern, resolve });
        exited.then(() => reject(new Error(`exited before printing ${pattern}:\n${stdout}\n${stderr}`)));
      }),
    exited,
  };
}

const printedLink = /To sign in, open (\S+) in a browser on this computer \(valid 10 min\)\./;

describe('arbiter login through the browser (a provider without the device grant)', () => {
  let provider: TestProvider;
  let server: TestServer;
  const configDir = tempDir('arbiter-config-');
  const env = { ARBITER_CONFIG_DIR: configDir, ARBITER_TOKEN: '' };
  const users = {
    alice: { password: 'alice-pw', email: 'alice@example.com', groups: ['sre-team'] },
    mallory: { password: 'mallory-pw', email: 'mallory@example.com', groups: ['contractors'] },
  };

  beforeAll(async () => {
    ({ provider, server } = await startSignInServer({
      users,
      deviceFlow: false,
      server: { transport: 'socket', humanTokens: false },
    }));
    server.clock.time = new Date();
  });
  afterAll(async () => {
    await server?.close();
    await provider?.close();
  });

  it('falls back to the browser: the printed link signs in, back at the loopback listener; the session is kept 0600', async () => {
    const login = spawnArbiter(['login', '--url', server.url], env);
    const [, link] = await login.printed(printedLink);
    expect(link!.startsWith(`${server.url}/auth/login?cli=`)).toBe(true);

    // The person opens the printed link: Arbiter sends the browser to the provider's form.
    const person = new CookieBrowser();
    const opened = await person.follow(link!);
    expect(opened.response.status).toBe(200);
    expect(opened.url).toContain(`${provider.issuer}/interaction/`);
    const done = await person.submitLogin(opened.url, { login: 'alice', password: 'alice-pw' });
    // Provider → Arbiter's registered callback → the binary's loopback address, with a code.
    expect(done.hops.some((hop) => hop.startsWith(`${server.url}/auth/callback?`))).toBe(true);
    const back = new URL(done.url);
    expect([back.hostname, back.pathname, done.response.status]).toEqual(['127.0.0.1', '/callback', 200]);
    expect(await done.response.text()).toContain('Signed in');
    // No dashboard session: the sign-in was the command line's.
    expect(person.jar.has('arbiter_session')).toBe(false);

    expect(await login.exited, `${login.stdout()}\n${login.stderr()}`).toBe(0);
    expect(login.stdout()).toMatch(
      /^Signed in to http:\/\/127\.0\.0\.1:\d+ as alice@example\.com \(approver; sre\) until /,
    );
    const file = join(configDir, 'sessions.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(readFileSync(file, 'utf8'))[server.url];
    expect(saved).toMatchObject({ id: 'alice@example.com', role: 'approver', groups: ['sre'] });
    expect(saved.token).toMatch(/^arbs_/);
    const whoami = await arbiterAsync(['whoami', '--url', server.url], { env });
    expect([whoami.code, whoami.stdout.trim()]).toEqual([
      0,
      `user:alice@example.com (approver; sre) at ${server.url}`,
    ]);

    // Ledgered like the device sign-in.
    const size = await server.arbiter.store.ledger.size();
    const entries = (await server.arbiter.store.ledger.entries(0, size)).map((item) =>
      decodeEntry(item.bytes, item.seq),
    );
    const started = entries.filter((e) => 'entry' in e && e.entry.type === 'session.started').at(-1);
    expect(started && 'entry' in started && started.entry).toMatchObject({
      actor: 'user:alice@example.com',
      data: { role: 'approver', authentication: { via: 'cli', issuer: provider.issuer } },
    });

    // The listener answered once and is gone; the code it received is spent.
    await expect(fetch(done.url)).rejects.toThrow();
    const replayed = await server.call(undefined, 'POST', '/auth/loopback/token', {
      code: back.searchParams.get('code'),
      codeVerifier: 'v'.repeat(43),
      redirectUri: `${back.origin}${back.pathname}`,
    });
    expect([replayed.status, replayed.body.error.code, replayed.body.error.details.reason]).toEqual([
      401,
      'ARB_ERR_AUTH_SSO_FAILED',
      'code-replayed',
    ]);
    expect((await arbiterAsync(['logout', '--url', server.url], { env })).code).toBe(0);
  }, 120_000);

  it('--device is refused with the reason; --device with --browser is a usage error', async () => {
    const device = await arbiterAsync(['login', '--device', '--url', server.url], { env });
    expect(device.code).toBe(2);
    expect(device.stderr).toContain('ARB_ERR_AUTH_SSO_UNAVAILABLE');
    expect(device.stderr).toContain('does not offer device sign-in');
    const both = await arbiterAsync(['login', '--device', '--browser', '--url', server.url], { env });
    expect([both.code, both.stderr.trim()]).toEqual([2, 'error: choose one of --device and --browser']);
  });

  it('stops waiting at ctrl-c and at --timeout, with a message that says so', async () => {
    const interrupted = spawnArbiter(['login', '--browser', '--url', server.url], env);
    await interrupted.printed(printedLink);
    interrupted.child.kill('SIGINT');
    expect(await interrupted.exited).toBe(2);
    expect(interrupted.stderr()).toContain('error: sign-in cancelled (ctrl-c)');

    const timedOut = await arbiterAsync(['login', '--browser', '--timeout', '1', '--url', server.url], {
      env,
    });
    expect(timedOut.code).toBe(2);
    expect(timedOut.stderr).toContain('error: no sign-in arrived within 1 s: run arbiter login again');
  }, 60_000);

  describe('the loopback exchange refuses abuse', () => {
    const loopback = 'http://127.0.0.1:9/callback';

    /** Signs `login` in through the loopback flow, stopping at the loopback address; its code and secrets. */
    async function loopbackCode(login: keyof typeof users = 'alice', redirectUri = loopback) {
      const verifier = randomBytes(32).toString('base64url');
      const state = randomBytes(32).toString('base64url');
      const started = await server.call(undefined, 'POST', '/auth/loopback', {
        redirectUri,
        state,
        codeChallenge: createHash('sha256').update(verifier).digest('base64url'),
        codeChallengeMethod: 'S256',
      });
      expect(started.status, started.text).toBe(200);
      const person = new CookieBrowser();
      const opened = await person.follow(started.body.url);
      const done = await person.submitLogin(
        opened.url,
        { login, password: users[login].password },
        { stopAt: redirectUri },
      );
      const answer = new URL(done.url);
      return {
        answer,
        code: answer.searchParams.get('code') ?? '',
        state,
        verifier,
        redirectUri,
        link: started.body.url,
      };
    }

    const redeem = (body: Record<string, unknown>) =>
      server.call(undefined, 'POST', '/auth/loopback/token', body);
    const refusal = (response: { status: number; body: any }) => [
      response.status,
      response.body.error?.code,
      response.body.error?.details?.reason,
    ];

    it('only loopback addresses: another host, https, credentials, a query or no port is a 400', async () => {
      for (const redirectUri of [
        'http://evil.example:8080/callback',
        'http://127.0.0.1.evil.example:8080/callback',
        'http://127.0.0.1:8080@evil.example/callback',
        'https://127.0.0.1:8080/callback',
        'http://user@127.0.0.1:8080/callback',
        'http://127.0.0.1/callback',
        'http://127.0.0.1:8080/callback?next=http://evil.example',
        'http://0x7f.0.0.1:8080/callback',
        'javascript:alert(1)',
      ]) {
        const started = await server.call(undefined, 'POST', '/auth/loopback', {
          redirectUri,
          state: 's'.repeat(43),
          codeChallenge: 'c'.repeat(43),
          codeChallengeMethod: 'S256',
        });
        expect(refusal(started), redirectUri).toEqual([400, 'ARB_ERR_REQUEST_INVALID', 'loopback-redirect']);
      }
      // The name localhost is refused (RFC 8252 §8.3), with a reason that says to use the literal.
      const named = await server.call(undefined, 'POST', '/auth/loopback', {
        redirectUri: 'http://localhost:8080/callback',
        state: 's'.repeat(43),
        codeChallenge: 'c'.repeat(43),
        codeChallengeMethod: 'S256',
      });
      expect(refusal(named)).toEqual([400, 'ARB_ERR_REQUEST_INVALID', 'loopback-redirect']);
      expect(named.body.error.message).toContain('not the name localhost');
      for (const redirectUri of ['http://[::1]:8080/callback', 'http://127.0.0.1:8080/callback']) {
        const started = await server.call(undefined, 'POST', '/auth/loopback', {
          redirectUri,
          state: 's'.repeat(43),
          codeChallenge: 'c'.repeat(43),
          codeChallengeMethod: 'S256',
        });
        expect(started.status, redirectUri).toBe(200);
      }
      // PKCE is S256 only.
      const plain = await server.call(undefined, 'POST', '/auth/loopback', {
        redirectUri: loopback,
        state: 's'.repeat(43),
        codeChallenge: 'c'.repeat(43),
        codeChallengeMethod: 'plain',
      });
      expect(plain.status).toBe(400);
    });

    it('purges the marks of used codes once a code could no longer be presented', async () => {
      const codeMark = async (code: string) => {
        const sealed = await server.arbiter.sessions.unseal(code, loopbackCodePurpose);
        return () => server.arbiter.store.getMeta(usedLoopbackCodeKey(sealed!.jti as string));
      };
      const exchange = async () => {
        const { code, verifier, redirectUri } = await loopbackCode();
        const mark = await codeMark(code);
        expect((await redeem({ code, codeVerifier: verifier, redirectUri })).status).toBe(200);
        expect(await mark()).toBeDefined();
        return mark;
      };
      server.clock.time = new Date();
      const first = await exchange();
      // Late in the code's lifetime, another exchange purges what is old — not this mark.
      server.clock.advance(loopbackCodeTtlMs - 1_000);
      const second = await exchange();
      expect(await first()).toBeDefined();
      // Past the lifetime and the margin for replicas' clocks: the next exchange purges it.
      server.clock.advance(1_000 + usedRecordMarginMs + 1_000);
      await exchange();
      expect(await first()).toBeUndefined();
      expect(await second()).toBeDefined();
    });

    it('gives the code with the command line’s state, once: a wrong verifier spends it', async () => {
      const { answer, code, state, verifier, redirectUri } = await loopbackCode();
      expect(answer.searchParams.get('state')).toBe(state);
      const wrong = await redeem({ code, codeVerifier: randomBytes(32).toString('base64url'), redirectUri });
      expect(refusal(wrong)).toEqual([401, 'ARB_ERR_AUTH_SSO_FAILED', 'verifier']);
      const late = await redeem({ code, codeVerifier: verifier, redirectUri });
      expect(refusal(late)).toEqual([401, 'ARB_ERR_AUTH_SSO_FAILED', 'code-replayed']);
    });

    it('the right verifier at the right address gets a session, and only once', async () => {
      const { code, verifier, redirectUri } = await loopbackCode();
      const first = await redeem({ code, codeVerifier: verifier, redirectUri });
      expect(first.status, first.text).toBe(200);
      expect(first.body).toMatchObject({ id: 'alice@example.com', role: 'approver', groups: ['sre'] });
      expect((await server.call(first.body.token, 'GET', '/v1/me')).body.ref).toBe('user:alice@example.com');
      const again = await redeem({ code, codeVerifier: verifier, redirectUri });
      expect(refusal(again)).toEqual([401, 'ARB_ERR_AUTH_SSO_FAILED', 'code-replayed']);
    });

    it('refuses a code for another address, a forged code, and an expired one', async () => {
      const misdirected = await loopbackCode();
      const other = await redeem({
        code: misdirected.code,
        codeVerifier: misdirected.verifier,
        redirectUri: 'http://127.0.0.1:10/callback',
      });
      expect(refusal(other)).toEqual([401, 'ARB_ERR_AUTH_SSO_FAILED', 'redirect-uri']);

      const oversized = await redeem({
        code: 'x'.repeat(9_000),
        codeVerifier: 'v'.repeat(43),
        redirectUri: loopback,
      });
      expect([oversized.status, oversized.body.error.code]).toEqual([400, 'ARB_ERR_REQUEST_INVALID']);
      const longLink = await new CookieBrowser().request(`${server.url}/auth/login?cli=${'x'.repeat(5_000)}`);
      expect(longLink.status).toBe(400);
      const forged = await redeem({ code: 'forged', codeVerifier: 'v'.repeat(43), redirectUri: loopback });
      expect(refusal(forged)).toEqual([401, 'ARB_ERR_AUTH_SSO_FAILED', 'code']);
      // Sealed by this server, but for another use: the link is not a code.
      const link = new URL(misdirected.link).searchParams.get('cli')!;
      const notACode = await redeem({ code: link, codeVerifier: 'v'.repeat(43), redirectUri: loopback });
      expect(refusal(notACode)).toEqual([401, 'ARB_ERR_AUTH_SSO_FAILED', 'code']);

      const stale = await loopbackCode();
      server.clock.advance(loopbackCodeTtlMs + 1_000);
      try {
        const expired = await redeem({
          code: stale.code,
          codeVerifier: stale.verifier,
          redirectUri: stale.redirectUri,
        });
        expect(refusal(expired)).toEqual([401, 'ARB_ERR_AUTH_SSO_FAILED', 'code-expired']);
      } finally {
        server.clock.time = new Date();
      }
    });

    it('refuses a stale or forged link, and tells the command line why a sign-in was refused', async () => {
      const { link } = await loopbackCode();
      server.clock.advance(signInWindowMs + 1_000);
      try {
        const stale = await new CookieBrowser().request(link);
        expect(refusal({ status: stale.status, body: await stale.json() })).toEqual([
          401,
          'ARB_ERR_AUTH_SSO_FAILED',
          'state',
        ]);
      } finally {
        server.clock.time = new Date();
      }
      const forged = await new CookieBrowser().request(`${server.url}/auth/login?cli=forged`);
      expect(forged.status).toBe(401);

      // Mallory's groups map to no role: the loopback address hears the refusal, with the state.
      const { answer, state } = await loopbackCode('mallory');
      expect(answer.searchParams.get('code')).toBeNull();
      expect(answer.searchParams.get('state')).toBe(state);
      expect(answer.searchParams.get('error')).toBe('access_denied');
      expect(answer.searchParams.get('error_description')).toMatch(
        /^ARB_ERR_AUTH_SSO_REFUSED: none of your provider groups/,
      );
    });
  });
});
