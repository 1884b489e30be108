import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arbiterAsync } from '../helpers/cli.js';
import { startSignInServer, type TestProvider } from '../helpers/oidc.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { tempDir } from '../helpers/temp.js';

/**
 * `arbiter login` falls back to the browser only when the server says its provider has no device
 * grant (502 with `details.reason: no-device-grant`). Any other refusal of the device sign-in — a
 * server without single sign-on (404), a provider that cannot be reached (502, another reason) —
 * is reported as it is: no loopback listener, no link, exit 2. And `--timeout` takes whole seconds only.
 */

const env = { ARBITER_CONFIG_DIR: tempDir('arbiter-config-'), ARBITER_TOKEN: '' };
const browserLink = 'in a browser on this computer';

describe('arbiter login does not fall back to the browser on other refusals', () => {
  let withoutSso: TestServer;
  let providerDown: { provider: TestProvider; server: TestServer };

  beforeAll(async () => {
    withoutSso = await startTestServer({ transport: 'socket', humanTokens: false });
    providerDown = await startSignInServer({
      users: { alice: { password: 'alice-pw', email: 'alice@example.com', groups: [] } },
      server: { transport: 'socket', humanTokens: false },
    });
    // The provider stops before anyone signs in: the server cannot read its discovery document.
    await providerDown.provider.close();
  });
  afterAll(async () => {
    await withoutSso?.close();
    await providerDown?.server.close();
  });

  /** How many requests the server answered on `route`, from its own request histogram. */
  async function answered(server: TestServer, route: string): Promise<number> {
    const metric = await server.arbiter.metrics.httpSeconds.get();
    return metric.values
      .filter((value) => value.metricName?.endsWith('_count') && value.labels.route === route)
      .reduce((sum, value) => sum + value.value, 0);
  }

  it('a server without single sign-on (404): reported, no browser', async () => {
    const login = await arbiterAsync(['login', '--url', withoutSso.url], { env });
    expect(login.code).toBe(2);
    expect(login.stderr).toMatch(/^error: ARB_ERR_\w+: /);
    expect(login.stderr).not.toContain(browserLink);
    expect(login.stderr).not.toContain('no-device-grant');
    expect([
      await answered(withoutSso, '/auth/device'),
      await answered(withoutSso, '/auth/loopback'),
    ]).toEqual([1, 0]);
  });

  it('a provider that cannot be reached (502, not no-device-grant): reported, no browser', async () => {
    const login = await arbiterAsync(['login', '--url', providerDown.server.url], { env });
    expect(login.code).toBe(2);
    expect(login.stderr).toContain('error: ARB_ERR_AUTH_SSO_UNAVAILABLE: cannot use the identity provider');
    expect(login.stderr).not.toContain(browserLink);
    const { server } = providerDown;
    expect([await answered(server, '/auth/device'), await answered(server, '/auth/loopback')]).toEqual([
      1, 0,
    ]);
  });

  it('--timeout must be whole seconds, at least 1, before anything is asked', async () => {
    for (const timeout of ['0', '-1', 'soon', '1.5', '1e3', '100000', '']) {
      const login = await arbiterAsync(
        ['login', '--browser', '--timeout', timeout, '--url', withoutSso.url],
        {
          env,
        },
      );
      expect(login.code, timeout).toBe(2);
      expect(login.stderr, timeout).toContain('--timeout must be a whole number of seconds, at least 1');
    }
    expect(await answered(withoutSso, '/auth/loopback')).toBe(0);
  }, 120_000);
});
