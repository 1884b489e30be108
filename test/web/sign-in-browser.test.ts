import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeEntry, type LedgerEntry } from '../../src/ledger/entry.js';
import { repoRoot } from '../helpers/cli.js';
import {
  identityProviderDocument,
  mfaAcr,
  startTestProvider,
  stepUpPolicy,
  type TestProvider,
} from '../helpers/oidc.js';
import { freePort, startTestServer, type TestServer } from '../helpers/server.js';
import { tempDir } from '../helpers/temp.js';
import { notSee, see, seeText } from './browser.js';

/**
 * Single sign-on in Chromium: the dashboard built from web/, a real Arbiter, and a real OpenID
 * Provider (oidc-provider, test/helpers/oidc.ts) whose login page the browser fills in. A person
 * follows an approval link, signs in with the provider, lands on the decision and approves;
 * an approval that needs MFA sends them through a fresh login first. And `arbiter login --browser`:
 * the link the built binary prints, opened in Chromium, ends at the binary's loopback listener.
 */

const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let provider: TestProvider;
let server: TestServer;
let browser: Browser;
const contexts: BrowserContext[] = [];
const pageErrors: string[] = [];

async function newPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  contexts.push(context);
  const page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  return page;
}

async function pending(action: 'restart' | 'rotate-keys'): Promise<string> {
  const created = await server.call(server.tokens.deployBot, 'POST', '/v1/decisions', {
    action,
    resource: { type: 'service', id: 'payments', environment: 'staging' },
    rationale: `${action} the payments service after the config change`,
  });
  expect(created.body.status, created.text).toBe('pending');
  return created.body.id;
}

/** Fills the test provider's login form. */
async function providerLogin(page: Page, login: string, password: string, otp = ''): Promise<void> {
  await page.waitForURL(`${provider.issuer}/interaction/**`);
  await page.getByLabel('Login', { exact: true }).fill(login);
  await page.getByLabel('Password', { exact: true }).fill(password);
  if (otp) await page.getByLabel('One-time password', { exact: true }).fill(otp);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

async function approvalEntry(decisionId: string): Promise<LedgerEntry> {
  const size = await server.arbiter.store.ledger.size();
  for (const item of (await server.arbiter.store.ledger.entries(0, size)).reverse()) {
    const decoded = decodeEntry(item.bytes, item.seq);
    if (
      'entry' in decoded &&
      decoded.entry.type === 'approval.recorded' &&
      decoded.entry.subject === decisionId
    )
      return decoded.entry;
  }
  throw new Error(`no approval of ${decisionId} in the ledger`);
}

beforeAll(async () => {
  if (!existsSync(chromiumPath))
    throw new Error(
      `browser tests need Chromium at ${chromiumPath}: apt-get install chromium (or set CHROMIUM_PATH)`,
    );
  const webRoot = tempDir('arbiter-sso-web-');
  await build({
    configFile: join(repoRoot, 'web', 'vite.config.ts'),
    logLevel: 'warn',
    build: { outDir: webRoot, emptyOutDir: true, sourcemap: false },
  });
  const port = await freePort();
  const arbiterUrl = `http://127.0.0.1:${port}`;
  provider = await startTestProvider({
    redirectUri: `${arbiterUrl}/auth/callback`,
    users: {
      alice: {
        password: 'alice-pw',
        otp: '654321',
        email: 'alice@example.com',
        name: 'Alice',
        groups: ['sre-team'],
      },
      bob: { password: 'bob-pw', email: 'bob@example.com', groups: ['platform-team'] },
    },
  });
  server = await startTestServer({
    webRoot,
    port,
    extraPolicies: {
      'identity.yaml': identityProviderDocument(provider, arbiterUrl),
      'browser-sign-in.yaml': stepUpPolicy('browser-sign-in'),
    },
    identity: { env: { TEST_OIDC_SECRET: provider.clientSecret } },
  });
  server.clock.time = new Date();
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
}, 120_000);

afterAll(async () => {
  expect(pageErrors).toEqual([]);
  for (const context of contexts) await context.close();
  await browser?.close();
  await server?.close();
  await provider?.close();
});

describe('sign-in with the identity provider in Chromium', () => {
  it('follows an approval link, signs in, sees the inbox and approves: the ledger names issuer and subject', async () => {
    const id = await pending('restart');
    const page = await newPage();
    await page.goto(`${server.url}/decisions/${id}`);
    // With a provider configured, the dashboard offers it instead of the token form.
    await see(page.getByTestId('sso-sign-in'));
    await seeText(page.getByTestId('sso-sign-in'), 'Sign in with Test IdP');
    await notSee(page.getByLabel('Token'));
    await page.getByTestId('sso-sign-in').click();
    await providerLogin(page, 'alice', 'alice-pw');
    // Back where the link pointed, signed in as the person the provider named.
    await page.waitForURL(`${server.url}/decisions/${id}`);
    await seeText(page.getByTestId('who'), 'alice@example.com');
    await see(page.getByRole('button', { name: 'Approve' }));

    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: /Approvals/ })
      .click();
    await see(page.locator(`article[data-decision="${id}"]`));

    await page.goto(`${server.url}/decisions/${id}`);
    await page.getByLabel(/Your reason/).fill('config change reviewed');
    await page.getByRole('button', { name: 'Approve' }).click();
    // One approval was needed: the decision is allowed and the vote form goes away.
    await notSee(page.getByRole('button', { name: 'Approve' }));
    const entry = await approvalEntry(id);
    expect(entry.actor).toBe('user:alice@example.com');
    expect(entry.data.authentication).toMatchObject({ via: 'sso', issuer: provider.issuer, amr: ['pwd'] });
    const [subject] = (await server.arbiter.store.ledger.personal(entry.seq, entry.seq + 1)).filter(
      (value) => value.field === 'subject',
    );
    expect(subject?.value).toBe('alice');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await see(page.getByTestId('sso-sign-in'));
    await page.reload();
    await see(page.getByTestId('sso-sign-in'));
  });

  it('a person whose groups do not match is told they cannot vote', async () => {
    const id = await pending('restart');
    const page = await newPage();
    await page.goto(`${server.url}/decisions/${id}`);
    await page.getByTestId('sso-sign-in').click();
    await providerLogin(page, 'bob', 'bob-pw');
    await page.waitForURL(`${server.url}/decisions/${id}`);
    await seeText(page.getByTestId('vote-refusal'), 'group:sre');
  });

  it('an approval that needs MFA sends the approver through a fresh login; then the vote counts', async () => {
    const id = await pending('rotate-keys');
    const page = await newPage();
    await page.goto(`${server.url}/decisions/${id}`);
    await page.getByTestId('sso-sign-in').click();
    await providerLogin(page, 'alice', 'alice-pw');
    await page.waitForURL(`${server.url}/decisions/${id}`);
    await page.getByLabel(/Your reason/).fill('key rotation planned');
    await page.getByRole('button', { name: 'Approve' }).click();
    // Refused for a password-only session: the dashboard goes to the provider (prompt=login).
    await providerLogin(page, 'alice', 'alice-pw', '654321');
    await page.waitForURL(`${server.url}/decisions/${id}`);
    await page.getByLabel(/Your reason/).fill('key rotation planned, signed in with a second factor');
    await page.getByRole('button', { name: 'Approve' }).click();
    await notSee(page.getByRole('button', { name: 'Approve' }));
    expect((await approvalEntry(id)).data.authentication).toMatchObject({ amr: ['pwd', 'otp'], acr: mfaAcr });
  });

  it('arbiter login --browser: the printed link, opened in Chromium, signs the command line in at its loopback address', async () => {
    const configDir = tempDir('arbiter-config-');
    const login = spawn(
      process.execPath,
      [join(repoRoot, 'bin', 'arbiter.js'), 'login', '--browser', '--url', server.url],
      {
        env: { ...process.env, ARBITER_CONFIG_DIR: configDir, ARBITER_TOKEN: '' },
      },
    );
    let stdout = '';
    let stderr = '';
    login.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    const exited = new Promise<number | null>((resolve) => login.on('exit', resolve));
    const link = await new Promise<string>((resolve, reject) => {
      login.stderr.on('data', (chunk) => {
        stderr += chunk;
        const match = /To sign in, open (\S+) in a browser on this computer/.exec(stderr);
        if (match) resolve(match[1]!);
      });
      exited.then(() => reject(new Error(`arbiter login exited early:\n${stdout}\n${stderr}`)));
    });
    const page = await newPage();
    await page.goto(link);
    await providerLogin(page, 'bob', 'bob-pw');
    await page.waitForURL(/^http:\/\/127\.0\.0\.1:\d+\/callback\?/);
    await seeText(page.getByRole('heading'), 'Signed in');
    expect(await exited, `${stdout}\n${stderr}`).toBe(0);
    expect(stdout).toContain('as bob@example.com (approver; platform)');
    expect(JSON.parse(readFileSync(join(configDir, 'sessions.json'), 'utf8'))[server.url].token).toMatch(
      /^arbs_/,
    );
  }, 120_000);
});
