import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runGate } from '../../src/app/releases/run-gate.js';
import { startWitness } from '../../src/app/witness/witness.js';
import { createWitnessKey, readWitnessKey } from '../../src/app/witness/witness-config.js';
import { seedMonitoringDemo } from '../../src/demo/monitoring.js';
import { parseVerifierKey } from '../../src/ledger/note.js';
import { arbiterAsync, repoRoot } from '../helpers/cli.js';
import { startReceiver } from '../helpers/receiver.js';
import { deploy, freePort, startTestServer, type TestServer, waitForPending } from '../helpers/server.js';
import { tempDir } from '../helpers/temp.js';
import { notSee, see, seeText } from './browser.js';

/**
 * The dashboard end to end: the web app is built from web/ with Vite's API, a real Arbiter serves
 * it on a loopback port, and Debian's Chromium (driven by playwright-core) uses it as people would.
 * Screenshots of every view go to test-output/screenshots/; with ARBITER_UPDATE_SCREENSHOTS=1 the
 * README's go to docs/screenshots/ too.
 */

const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const screenshots = join(repoRoot, 'test-output', 'screenshots');
const readmeShots = new Set(['approvals', 'decision', 'systems', 'monitoring', 'incident-trace', 'gate-run']);

let server: TestServer;
let webhook: Awaited<ReturnType<typeof startReceiver>>;
let browser: Browser;
const contexts: BrowserContext[] = [];
const pageErrors: string[] = [];

async function shot(page: Page, name: string): Promise<void> {
  await page.waitForLoadState('networkidle');
  const path = join(screenshots, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  if (process.env.ARBITER_UPDATE_SCREENSHOTS === '1' && readmeShots.has(name))
    copyFileSync(path, join(repoRoot, 'docs', 'screenshots', `${name}.png`));
}

/** A fresh browser session (its own sessionStorage) signed in with `token`, typed and submitted by keyboard. */
async function signedIn(token: string, viewport = { width: 1280, height: 900 }): Promise<Page> {
  const context = await browser.newContext({ viewport, timezoneId: 'Europe/Berlin', locale: 'en-GB' });
  contexts.push(context);
  const page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(`${server.url}/`);
  await page.getByLabel('Token').fill(token);
  await page.keyboard.press('Enter');
  await see(page.getByTestId('who'));
  return page;
}

const card = (page: Page, attribute: string, id: string) => page.locator(`article[${attribute}="${id}"]`);

beforeAll(async () => {
  if (!existsSync(chromiumPath))
    throw new Error(
      `browser tests need Chromium at ${chromiumPath}: apt-get install chromium (or set CHROMIUM_PATH)`,
    );
  mkdirSync(screenshots, { recursive: true });
  if (process.env.ARBITER_UPDATE_SCREENSHOTS === '1')
    mkdirSync(join(repoRoot, 'docs', 'screenshots'), { recursive: true });
  const webRoot = tempDir('arbiter-web-build-');
  await build({
    configFile: join(repoRoot, 'web', 'vite.config.ts'),
    logLevel: 'warn',
    build: { outDir: webRoot, emptyOutDir: true, sourcemap: false },
  });
  // The server's URL is known before it starts, so the links its notifications carry are real.
  webhook = await startReceiver();
  const port = await freePort();
  server = await startTestServer({
    webRoot,
    port,
    extraPolicies: {
      'notifiers.yaml': `apiVersion: arbiter/v1\nkind: Notifier\nmetadata: {name: approvers-webhook}\nspec:\n  type: webhook\n  url: ${webhook.url}/events\n  secretEnv: TEST_WEBHOOK_SECRET\n  events: [decision.pending]\n`,
    },
    notifications: {
      dashboardUrl: `http://127.0.0.1:${port}`,
      env: { TEST_WEBHOOK_SECRET: 'whsec-dashboard-test' },
    },
  });
  // Relative times in the UI read against the browser's real clock.
  server.clock.time = new Date();
  await seedMonitoringDemo(server.arbiter, server.clock.now());
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
});

describe('dashboard in Chromium', () => {
  it('refuses an agent token at sign-in and says why', async () => {
    const context = await browser.newContext();
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(`${server.url}/approvals`);
    await shot(page, 'sign-in');
    await page.getByLabel('Token').fill(server.tokens.deployBot!);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await seeText(page.getByRole('alert'), 'The dashboard is for people');
    await notSee(page.getByTestId('who'));
  });

  it('two approvers approve a pending request in the inbox and the agent waiting on it proceeds', async () => {
    const alice = await signedIn(server.tokens.alice!);
    await alice.waitForURL(/\/approvals$/);
    const created = await server.call(
      server.tokens.deployBot,
      'POST',
      '/v1/decisions',
      deploy({
        change: { linesChanged: 812 },
        evidence: [{ url: 'https://ci.example.com/run/4711' }],
        context: { ticket: 'OPS-42' },
      }),
    );
    expect(created.body.status).toBe('pending');
    const id: string = created.body.id;
    const waiting = server.call(server.tokens.deployBot, 'GET', `/v1/decisions/${id}/wait?timeoutMs=60000`);
    let settled = false;
    void waiting.then(() => {
      settled = true;
    });

    // The inbox polls: the new request appears without a reload.
    const aliceCard = card(alice, 'data-decision', id);
    await see(aliceCard);
    await seeText(aliceCard, 'a change of 812 lines needs two approvers');
    await seeText(aliceCard, '0 of 2');
    await shot(alice, 'approvals');
    await aliceCard.getByLabel(/Your reason/).fill('diff reviewed, canary healthy');
    await aliceCard.getByRole('button', { name: 'Approve' }).click();
    await see(alice.getByText(/it is now pending, waiting for more approvals/));
    await seeText(aliceCard, '1 of 2');
    expect(settled).toBe(false);

    const bob = await signedIn(server.tokens.bob!);
    const bobCard = card(bob, 'data-decision', id);
    await see(bobCard.getByText('user:alice', { exact: true }));
    await bobCard.getByLabel(/Your reason/).fill('owner team: ok to ship');
    await bobCard.getByRole('button', { name: 'Approve' }).click();
    const result = await waiting;
    expect(result.body).toMatchObject({ id, status: 'allowed', statusReason: 'approved' });
    await see(bob.getByText(/it is now allowed/));
    await notSee(bobCard);
    // Alice's inbox hears about bob's vote by itself.
    await see(alice.getByText(new RegExp(`${id}\\) is no longer pending`)));
    await notSee(card(alice, 'data-decision', id));
  });

  it('the approval links Arbiter prints (arbiter exec, a notification, an old #/ link) land on the decision with its Approve button', async () => {
    // exec waits while the approver follows the links (it withdraws a decision it stops waiting
    // for, so it must still be waiting); the agent's withdrawal ends it, leaving nothing denied.
    const running = arbiterAsync(
      [
        'exec',
        '--action',
        'deploy',
        '--resource',
        'service:payments',
        '--env',
        'prod',
        '--rationale',
        'roll out the checkout fix',
        '--change',
        '{"linesChanged":640}',
        '--wait',
        '10m',
        '--',
        process.execPath,
        '-e',
        '0',
      ],
      { env: { ARBITER_URL: server.url, ARBITER_TOKEN: server.tokens.deployBot! } },
    );
    const pending = await waitForPending(server, 'system=deploy-bot');
    const printed = `${server.url}/decisions/${pending.id}`;

    await server.arbiter.notifications.deliverDue();
    const notified = webhook.received
      .map((request) => JSON.parse(request.body) as { subject: string; data: { link?: string } })
      .find((event) => event.subject === pending.id)?.data.link;
    expect(notified).toBe(`${server.url}/decisions/${pending.id}`);

    for (const link of [printed!, notified!, `${server.url}/#/decisions/${pending.id}`]) {
      // A fresh browser: the approver follows the link, signs in, and stays on the decision.
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      contexts.push(context);
      const page = await context.newPage();
      page.on('pageerror', (error) => pageErrors.push(error.message));
      await page.goto(link);
      await page.getByLabel('Token').fill(server.tokens.alice!);
      await page.keyboard.press('Enter');
      await page.waitForURL(`${server.url}/decisions/${pending.id}`);
      await seeText(page.locator('h1'), 'deploy');
      await seeText(page.locator('h1'), 'payments');
      await see(page.getByRole('button', { name: 'Approve' }));
    }
    await server.call(server.tokens.deployBot, 'POST', `/v1/decisions/${pending.id}/withdraw`, {
      reason: 'links followed',
    });
    const exec = await running;
    expect(exec.code).toBe(1);
    expect(exec.stderr).toContain(`${pending.id} is withdrawn`);
    // The link exec printed is the one the browser followed.
    expect(/approve at (\S+)/.exec(exec.stderr)?.[1]).toBe(printed);
  });

  it('a System link opens its page, and an unknown System says so', async () => {
    const page = await signedIn(server.tokens.alice!);
    await page.goto(`${server.url}/systems/deploy-bot`);
    await see(page.getByRole('heading', { name: 'System deploy-bot' }));
    await see(page.locator('h2#sys-deploy-bot'));
    await notSee(page.locator('h2#sys-migrate-bot'));
    await page.goto(`${server.url}/systems/no-such-system`);
    await see(page.getByText('No System no-such-system'));
  });

  it('shows a decision with its explanation and verifies its ledger entry in the browser', async () => {
    const [decision] = (await server.call(server.tokens.erin, 'GET', '/v1/decisions?status=allowed&limit=1'))
      .body.decisions;
    const page = await signedIn(server.tokens.erin!);
    await page.goto(`${server.url}/decisions/${decision.id}`);
    await see(page.getByRole('heading', { name: /deploy service:payments in prod/ }));
    await see(page.getByText('prod-deploys/needs-sre'));
    await see(page.getByText(decision.bundle));
    // An auditor reads, never votes.
    await notSee(page.getByRole('button', { name: 'Approve' }));
    await page.getByRole('button', { name: 'Verify this decision in the ledger' }).click();
    await see(page.getByText('verified in this browser'));
    await see(page.getByText(/hashes lead from the leaf to the root of the signed tree/));
    await shot(page, 'decision');

    await page.getByRole('link', { name: 'Decisions', exact: true }).first().click();
    await see(page.getByRole('link', { name: 'deploy' }).first());
    await shot(page, 'decisions');
    await page.getByLabel('Status').selectOption('denied');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(/status=denied/);
    await see(page.getByText('No decisions match'));
  });

  it('freezes a System from the UI, after which its next request is denied', async () => {
    const alice = await signedIn(server.tokens.alice!);
    await alice.goto(`${server.url}/systems`);
    // alice is in sre, not deploy-bot's owner team (platform): no kill switch for her.
    await see(card(alice, 'data-system', 'deploy-bot'));
    await notSee(card(alice, 'data-system', 'deploy-bot').getByRole('button', { name: /Freeze/ }));

    const bob = await signedIn(server.tokens.bob!);
    await bob.goto(`${server.url}/systems`);
    const deployBot = card(bob, 'data-system', 'deploy-bot');
    // Escape closes the form and hands focus back to the button that opened it.
    await deployBot.getByRole('button', { name: 'Freeze deploy-bot…' }).click();
    await deployBot.getByLabel(/Why freeze it/).fill('second thoughts');
    await bob.keyboard.press('Escape');
    await notSee(deployBot.getByRole('form', { name: 'Freeze deploy-bot' }));
    await see(deployBot.locator('button:focus', { hasText: 'Freeze deploy-bot…' }));
    await bob.keyboard.press('Enter');
    await deployBot.getByLabel(/Why freeze it/).fill('INC-42: bad deploys');
    await deployBot.getByRole('button', { name: 'Freeze', exact: true }).click();
    await see(deployBot.getByText('frozen', { exact: true }));
    await seeText(deployBot, 'INC-42: bad deploys');
    await shot(bob, 'systems');

    const denied = await server.call(server.tokens.deployBot, 'POST', '/v1/decisions', deploy());
    expect(denied.body).toMatchObject({ status: 'denied' });
    expect(JSON.stringify(denied.body.reasons)).toContain('frozen');

    await deployBot.getByRole('button', { name: 'Unfreeze deploy-bot…' }).click();
    await deployBot.getByLabel(/lift the kill switch/).press('Escape');
    await see(deployBot.locator('button:focus', { hasText: 'Unfreeze deploy-bot…' }));
    await deployBot.getByRole('button', { name: 'Unfreeze deploy-bot…' }).click();
    await deployBot.getByLabel(/lift the kill switch/).fill('INC-42 resolved');
    await deployBot.getByRole('button', { name: 'Unfreeze', exact: true }).click();
    await see(deployBot.getByText('active', { exact: true }));
    expect((await server.call(server.tokens.deployBot, 'POST', '/v1/decisions', deploy())).body.status).toBe(
      'allowed',
    );
  });

  it("says who lowered a System's autonomy and why, not the error budget", async () => {
    const reason = 'DBA-9: suggest only until the migration linter is fixed';
    const set = await server.call(server.tokens.root, 'POST', '/v1/systems/migrate-bot/autonomy', {
      level: 1,
      reason,
    });
    expect(set.status).toBe(200);
    try {
      const page = await signedIn(server.tokens.erin!);
      await page.goto(`${server.url}/systems`);
      const cap = card(page, 'data-system', 'migrate-bot').getByTestId('autonomy-cap');
      await seeText(cap, `set to 1 by user:root: ${reason}`);
      await see(cap.getByText('lowered', { exact: true }));
      expect(await cap.textContent()).not.toContain('error budget');
    } finally {
      await server.call(server.tokens.root, 'POST', '/v1/systems/migrate-bot/autonomy', {
        level: 2,
        reason: 'linter fixed',
      });
    }
  });

  it('keeps showing the inbox when a refresh fails, says so, and recovers on retry', async () => {
    const created = await server.call(
      server.tokens.deployBot,
      'POST',
      '/v1/decisions',
      deploy({ change: { linesChanged: 640 } }),
    );
    expect(created.body.status).toBe('pending');
    const page = await signedIn(server.tokens.erin!);
    await page.goto(`${server.url}/approvals`);
    const pendingCard = card(page, 'data-decision', created.body.id);
    await see(pendingCard);

    const inbox = (url: URL) =>
      url.pathname === '/v1/decisions' && url.searchParams.get('status') === 'pending';
    await page.route(inbox, (route) =>
      route.fulfill({
        status: 503,
        contentType: 'application/json',
        body: JSON.stringify({
          error: { code: 'ARB_ERR_STORE_UNAVAILABLE', message: 'the database cannot be reached' },
        }),
      }),
    );
    // The inbox polls every 3 s and retries twice (1 s, 2 s) before it gives up on a refresh.
    const notice = page.getByRole('status').filter({ hasText: 'Could not refresh' });
    await see(notice, { timeout: 20_000 });
    expect(await notice.textContent()).toMatch(
      /^Could not refresh: the database cannot be reached — showing what was loaded (just now|\d+ (sec|min)\. ago)ARB_ERR_STORE_UNAVAILABLE/,
    );
    await see(pendingCard);
    await shot(page, 'approvals-stale');

    await page.unroute(inbox);
    await notice.getByRole('button', { name: 'Try again' }).click();
    await notSee(notice);
    await see(pendingCard);
  });

  it('verifies the signed checkpoint and consistency with an older one the auditor pasted', async () => {
    const page = await signedIn(server.tokens.erin!);
    await page.goto(`${server.url}/ledger`);
    await see(page.getByText('verified', { exact: true }));
    const older = (await page.getByTestId('checkpoint-note').textContent())!;
    expect(older).toContain('\n\n— ');

    await server.call(server.tokens.deployBot, 'POST', '/v1/decisions', deploy());
    await page.reload();
    await see(page.getByText('Consistent with the checkpoint this browser verified before'));
    await page.getByLabel(/Paste a checkpoint you kept earlier/).fill(older);
    await page.getByRole('button', { name: 'Verify consistency' }).click();
    await see(page.getByText('consistent', { exact: true }));
    await see(page.getByText(/extends your tree of/));
    await shot(page, 'ledger');

    const forged = older.replace(/\n(\d+)\n/, (_, size) => `\n${Number(size) + 1}\n`);
    await page.getByLabel(/Paste a checkpoint you kept earlier/).fill(forged);
    await page.getByRole('button', { name: 'Verify consistency' }).click();
    await see(page.getByText('not consistent', { exact: true }));
    await see(page.getByText(/does not verify/));

    // A witness in the governance repository: the page checks its cosignature in the browser.
    await seeText(page.getByTestId('witnesses'), 'none configured');
    const witnessDir = tempDir('arbiter-web-witness-');
    createWitnessKey(join(witnessDir, 'w.key'), 'witness.example/dashboard');
    const witness = await startWitness({
      signer: readWitnessKey(join(witnessDir, 'w.key')),
      logs: [
        {
          origin: server.arbiter.ledger.origin,
          verifiers: [parseVerifierKey(server.arbiter.ledger.verifierKey)],
        },
      ],
      statePath: join(witnessDir, 'w.db'),
      logger: { warn() {}, error() {} },
    });
    const document = join(server.policyDir, 'witness.yaml');
    try {
      writeFileSync(
        document,
        `apiVersion: arbiter/v1\nkind: Witness\nmetadata: {name: dashboard}\nspec:\n  url: ${witness.url}\n  verifierKey: ${witness.verifierKey}\n`,
      );
      expect((await server.arbiter.policies.reload('test', 'api')).ok).toBe(true);
      await server.arbiter.checkpointIfGrown();
      await server.arbiter.witnesses.submitDue();
      await page.reload();
      await seeText(page.getByTestId('witnesses'), 'cosigned');
      await seeText(page.getByTestId('witnesses'), 'witness.example/dashboard');
    } finally {
      rmSync(document);
      await server.arbiter.policies.reload('test', 'api');
      await witness.close();
    }
  });

  it('charts drift, performance and fairness of a monitored model with its alerts', async () => {
    const page = await signedIn(server.tokens.erin!);
    await page.getByRole('link', { name: 'Monitoring' }).click();
    await page
      .getByRole('link', { name: /credit-scoring/ })
      .first()
      .click();
    await see(page.getByRole('img', { name: /Dataset drift/ }));
    await see(page.getByRole('img', { name: /Performance/ }));
    await see(page.getByRole('img', { name: /Demographic parity/ }));
    await see(page.getByText('credit-scoring-monitoring/persistent-input-drift'));
    await see(page.getByText(/3 features drifted for two windows running/));
    await shot(page, 'monitoring');
  });

  it('lists incidents and shows the trace: owner, who was paged, timeline, proofs verified', async () => {
    const opened = await server.call(server.tokens.alice, 'POST', '/v1/incidents', {
      title: 'checkout errors after the payments deploy',
      system: 'deploy-bot',
      severity: 'sev2',
    });
    expect(opened.status).toBe(201);
    await server.arbiter.checkpointIfGrown();
    const page = await signedIn(server.tokens.erin!);
    await page.getByRole('link', { name: 'Incidents' }).click();
    await page.getByRole('link', { name: 'checkout errors after the payments deploy' }).click();
    await see(page.getByRole('heading', { name: 'Timeline' }));
    await see(page.getByText(/(\d+)\/\1 ledger proofs verified/));
    await see(page.getByText('dana@example.com', { exact: false }).first());
    await shot(page, 'incident-trace');
    await page.goBack();
    await see(page.getByRole('link', { name: 'checkout errors after the payments deploy' }));
    await shot(page, 'incidents');
    // A link to an incident that does not exist says so, without a "Try again" that cannot help.
    await page.goto(`${server.url}/incidents/inc_nosuchincident`);
    await see(page.getByText('Not found', { exact: true }));
    await see(page.getByText('ARB_ERR_NOT_FOUND'));
    await notSee(page.getByRole('button', { name: 'Try again' }));
  });

  it('shows gate runs per System and version with their checks, pinned by the ledger', async () => {
    const releases = join(repoRoot, 'examples', 'releases', 'credit-scoring');
    const { run } = await runGate({
      policies: server.policyDir,
      release: join(releases, '1.2.0', 'release.yaml'),
      baseline: join(releases, '1.1.0', 'release.yaml'),
      osv: join(repoRoot, 'examples', 'osv'),
    });
    const recorded = await server.call(server.tokens.creditScoring, 'POST', '/v1/gate-runs', run);
    expect(recorded.status).toBe(201);

    const page = await signedIn(server.tokens.erin!);
    await page.getByRole('link', { name: 'Release gates' }).click();
    await see(page.getByRole('link', { name: '1.2.0' }));
    await shot(page, 'gates');
    await page.getByRole('link', { name: '1.2.0' }).click();
    await see(page.getByRole('heading', { name: 'credit-scoring 1.2.0' }));
    await see(page.getByText('credit-scoring-release/auc-floor'));
    await see(page.getByText('report matches the ledger'));
    await see(page.getByText(/GHSA-9wx4-h78v-vm56 .*\[waived by requests-session-verify\]/));
    await shot(page, 'gate-run');
  });

  it('fits a phone screen', async () => {
    const page = await signedIn(server.tokens.bob!, { width: 390, height: 844 });
    await page.goto(`${server.url}/systems`);
    await see(card(page, 'data-system', 'deploy-bot'));
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    await shot(page, 'systems-phone');
  });

  it('signs out and forgets the token', async () => {
    const page = await signedIn(server.tokens.root!);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await see(page.getByLabel('Token'));
    expect(await page.evaluate<string | null>("sessionStorage.getItem('arbiter.token')")).toBeNull();
    await page.reload();
    await see(page.getByLabel('Token'));
  });
});
