import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeEntry } from '../../src/ledger/entry.js';
import { arbiterAsync } from '../helpers/cli.js';
import { CookieBrowser, formFields, startSignInServer, type TestProvider } from '../helpers/oidc.js';
import type { TestServer } from '../helpers/server.js';
import { tempDir } from '../helpers/temp.js';

/**
 * `arbiter login` against a real OpenID Provider with the device authorization grant (RFC 8628):
 * the built binary prints a URL and a code; the test plays the person, confirming the code at the
 * provider over HTTP and signing in; the binary saves the session (mode 0600), `whoami` uses it,
 * `logout` ends it at the server.
 */

const bin = fileURLToPath(new URL('../../bin/arbiter.js', import.meta.url));

describe('arbiter login (device flow)', () => {
  let provider: TestProvider;
  let server: TestServer;
  const configDir = tempDir('arbiter-config-');
  const env = { ARBITER_CONFIG_DIR: configDir, ARBITER_TOKEN: '' };

  beforeAll(async () => {
    ({ provider, server } = await startSignInServer({
      users: { alice: { password: 'alice-pw', email: 'alice@example.com', groups: ['sre-team'] } },
      server: { transport: 'socket', humanTokens: false },
    }));
    server.clock.time = new Date();
  });
  afterAll(async () => {
    await server?.close();
    await provider?.close();
  });

  it('signs in with the code the person confirms, keeps the session 0600, and logs out', async () => {
    const child = spawn(process.execPath, [bin, 'login', '--url', server.url], {
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    const printed = new Promise<string>((resolve) => {
      child.stderr.on('data', (chunk) => {
        stderr += chunk;
        if (/To sign in, open \S+ and confirm the code/.test(stderr)) resolve(stderr);
      });
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const line = await printed;
    const [, link, code] = /open (\S+) and confirm the code (\S+)/.exec(line)!;
    expect(link!.startsWith(`${provider.issuer}/device`)).toBe(true);

    // The person: opens the printed link, confirms the code, signs in at the provider.
    const person = new CookieBrowser();
    const confirm = await person.follow(link!);
    expect(confirm.response.status).toBe(200);
    const page = await confirm.response.text();
    expect(page).toContain(code);
    const { action, fields } = formFields(page);
    const confirmed = await person.follow(new URL(action, link).href, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...fields, confirm: 'yes' }).toString(),
    });
    expect(confirmed.url).toContain('/interaction/');
    const done = await person.submitLogin(confirmed.url, { login: 'alice', password: 'alice-pw' });
    expect(done.response.status).toBe(200);

    expect(await exited, `${stdout}\n${stderr}`).toBe(0);
    expect(stdout).toMatch(
      /^Signed in to http:\/\/127\.0\.0\.1:\d+ as alice@example\.com \(approver; sre\) until /,
    );
    const file = join(configDir, 'sessions.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(readFileSync(file, 'utf8'))[server.url];
    expect(saved).toMatchObject({ id: 'alice@example.com', role: 'approver', groups: ['sre'] });
    expect(saved.token).toMatch(/^arbs_/);

    // Works although people's bearer tokens are off on this server: it is a sign-in session.
    const whoami = await arbiterAsync(['whoami', '--url', server.url], { env });
    expect([whoami.code, whoami.stdout.trim()]).toEqual([
      0,
      `user:alice@example.com (approver; sre) at ${server.url}`,
    ]);
    expect((await server.call(server.tokens.alice, 'GET', '/v1/me')).body.error.code).toBe(
      'ARB_ERR_AUTH_HUMAN_TOKENS_OFF',
    );

    // Ledgered like a token: who, from which provider, until when.
    const size = await server.arbiter.store.ledger.size();
    const entries = (await server.arbiter.store.ledger.entries(0, size)).map((item) =>
      decodeEntry(item.bytes, item.seq),
    );
    const started = entries.find((e) => 'entry' in e && e.entry.type === 'session.started');
    expect(started && 'entry' in started && started.entry).toMatchObject({
      actor: 'user:alice@example.com',
      data: { role: 'approver', authentication: { via: 'cli', issuer: provider.issuer, groups: ['sre'] } },
    });

    const out = await arbiterAsync(['logout', '--url', server.url], { env });
    expect([out.code, out.stdout.trim()]).toEqual([0, `Signed out of ${server.url}.`]);
    const dead = await server.call(saved.token, 'GET', '/v1/me');
    expect([dead.status, dead.body.error.code]).toEqual([401, 'ARB_ERR_AUTH_SESSION_INVALID']);
    const after = await arbiterAsync(['whoami', '--url', server.url], { env });
    expect(after.code).toBe(2);
    expect(after.stderr).toContain(`run arbiter login --url ${server.url}`);
  }, 120_000);

  it('refuses a forged or unknown device handle', async () => {
    const polled = await server.call(undefined, 'POST', '/auth/device/token', { handle: 'forged' });
    expect([polled.status, polled.body.error.code, polled.body.error.details.reason]).toEqual([
      401,
      'ARB_ERR_AUTH_SSO_FAILED',
      'state',
    ]);
  });
});
