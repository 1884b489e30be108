import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bashSyntax } from '../../src/app/hooks/shell-parser.js';
import { shellFacts } from '../../src/hooks/shell-facts.js';
import { arbiter } from '../helpers/cli.js';
import { type ServeProcess, spawnServe } from '../helpers/serve-process.js';
import { tempDir } from '../helpers/temp.js';
import { see } from './browser.js';

/**
 * A newcomer's first screen is what `npm start` (`serve --demo`) prints. Every address on it is
 * opened — dashboard pages in Chromium, signed in as the demo auditor — and every command on it is
 * run as printed, with the `<name's token>` placeholders filled in the way the banner asks.
 */

const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const dir = tempDir('arbiter-demo-banner-');
let server: ServeProcess;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(chromiumPath))
    throw new Error(
      `browser tests need Chromium at ${chromiumPath}: apt-get install chromium (or set CHROMIUM_PATH)`,
    );
  server = await spawnServe(['--demo'], { cwd: dir });
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
});

afterAll(async () => {
  await browser?.close();
  server?.child.kill('SIGTERM');
  await server?.exited;
});

const token = (name: string): string => {
  const match = new RegExp(`^  ${name}\\s.*\\s(arb_\\S+)$`, 'm').exec(server.output());
  if (!match) throw new Error(`the banner prints no token for ${name}`);
  return match[1]!;
};

interface Printed {
  /** Addresses to open, with the method the banner names (GET unless it says POST). */
  addresses: { method: 'GET' | 'POST'; url: string }[];
  /** Command lines, continuation lines joined, placeholders filled. */
  commands: string[];
}

/** What the banner asks a reader to open or run: a line's command runs to its end. */
function printed(banner: string): Printed {
  const result: Printed = { addresses: [], commands: [] };
  for (const line of banner.replace(/\\\n\s*/g, ' ').split('\n')) {
    const start = line.search(/\b(curl|npx arbiter) /);
    const prose = start < 0 ? line : line.slice(0, start);
    if (start >= 0)
      result.commands.push(line.slice(start).replace(/<(\w+)'s token>/g, (_, name: string) => token(name)));
    for (const match of prose.matchAll(/(?:(POST) )?(https?:\/\/[^\s()'"]+)/g))
      result.addresses.push({
        method: match[1] === 'POST' ? 'POST' : 'GET',
        url: match[2]!.replace(/[.,:;]+$/, ''),
      });
  }
  return result;
}

/** Does what the printed curl line does: only the options the banner uses, anything else fails. */
async function curl(argv: string[]): Promise<Response> {
  let method = 'GET';
  let url: string | undefined;
  let body: string | undefined;
  const headers: Record<string, string> = {};
  for (let i = 1; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === '-s') continue;
    if (word === '-X') method = argv[++i]!;
    else if (word === '-H') {
      const header = argv[++i]!;
      const colon = header.indexOf(':');
      headers[header.slice(0, colon).trim()] = header.slice(colon + 1).trim();
    } else if (word === '-d') {
      body = argv[++i]!;
      if (method === 'GET') method = 'POST';
    } else if (word.startsWith('-')) throw new Error(`curl option ${word} is not followed by this test`);
    else url = word;
  }
  if (!url) throw new Error(`no URL in ${argv.join(' ')}`);
  return fetch(url, { method, headers, body });
}

describe('what `arbiter serve --demo` prints, followed as printed', () => {
  it('every address answers: API addresses with 200, dashboard pages show what they name', async () => {
    const { addresses } = printed(server.output());
    expect(addresses.length).toBeGreaterThanOrEqual(5);
    const origin = new URL(server.url).origin;
    const context = await browser.newContext();
    const page = await context.newPage();
    const failures: string[] = [];
    page.on('pageerror', (error) => failures.push(`page error: ${error.message}`));
    page.on('response', (response) => {
      if (response.status() >= 400) failures.push(`${response.status()} ${response.url()}`);
    });
    await page.goto(`${server.url}/`);
    await page.getByLabel('Token').fill(token('erin'));
    await page.keyboard.press('Enter');
    await see(page.getByTestId('who'));
    try {
      for (const { method, url } of addresses) {
        const { pathname } = new URL(url);
        const dashboard =
          method === 'GET' &&
          url.startsWith(origin) &&
          !/^\/(v1(\/|$)|openapi\.json$|metrics$)/.test(pathname);
        if (!dashboard) {
          // A POST address is a route that takes a body: an empty one is refused (400), not unknown.
          const response = await fetch(url, { method });
          expect(response.status, `${method} ${url}`).toBe(method === 'POST' ? 400 : 200);
          continue;
        }
        await page.goto(url);
        await see(page.getByRole('heading', { level: 1 }));
        const id = /\/([a-z]+_[0-9a-z]+)$/.exec(pathname)?.[1];
        if (id) await see(page.getByText(id));
        await page.waitForLoadState('networkidle');
        expect(await page.getByText(/Page not found|Something went wrong/).count(), url).toBe(0);
      }
      expect(failures).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('every command runs and succeeds', async () => {
    const { commands } = printed(server.output());
    expect(commands.length).toBeGreaterThanOrEqual(5);
    const syntax = bashSyntax();
    for (const command of commands) {
      const facts = shellFacts(command, syntax);
      expect(facts.opaque, command).toBe(false);
      const { argv } = facts.commands[0]!;
      if (argv[0] === 'curl') {
        const response = await curl(argv);
        expect(response.status, `${command}: ${await response.text()}`).toBeLessThan(300);
      } else {
        const run = arbiter(argv.slice(2), { cwd: dir });
        expect(run.code, `${command}\n${run.stdout}${run.stderr}`).toBe(0);
      }
    }
  }, 120_000);
});
