import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { ArbiterError } from '../core/errors.js';
import { type ExitCode, exitCodes } from './exit-codes.js';
import { LoopbackReceiver } from './loopback-receiver.js';
import type { Output } from './output.js';

type Run = (action: () => Promise<ExitCode> | ExitCode) => Promise<void>;

/**
 * `arbiter login`, `logout`, `whoami`: a person signs the command line in with the identity
 * provider through the device authorization grant (RFC 8628) — the server starts it, the person
 * approves in any browser, the server checks the ID token and hands back a short-lived session
 * token bound to the same user id (ledgered as `session.started`). When the provider has no
 * device grant, through the browser instead (RFC 8252): the server's sign-in ends at a loopback
 * listener of this process with a one-time code, exchanged with a PKCE verifier only this process
 * knows. The session is kept in the user's config directory, mode 0600, one per server URL;
 * remote commands use it when no --token / $ARBITER_TOKEN is given.
 */

export interface SavedSession {
  token: string;
  id: string;
  role: string;
  groups: string[];
  expiresAt: string;
}

/** `$ARBITER_CONFIG_DIR`, else `$XDG_CONFIG_HOME/arbiter`, else `~/.config/arbiter`. */
export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.ARBITER_CONFIG_DIR ?? join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'arbiter');
}

const sessionsFile = (env?: NodeJS.ProcessEnv) => join(configDir(env), 'sessions.json');
const serverUrl = (url: string | undefined) =>
  (url ?? process.env.ARBITER_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');

function readSessions(env?: NodeJS.ProcessEnv): Record<string, SavedSession> {
  try {
    const parsed = JSON.parse(readFileSync(sessionsFile(env), 'utf8')) as unknown;
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, SavedSession>)
      : {};
  } catch {
    return {};
  }
}

/** Writes the sessions file readable by its owner only (written beside, then renamed into place). */
function writeSessions(sessions: Record<string, SavedSession>, env?: NodeJS.ProcessEnv): void {
  const path = sessionsFile(env);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const partial = `${path}.${process.pid}.tmp`;
  writeFileSync(partial, `${JSON.stringify(sessions, null, 2)}\n`, { mode: 0o600 });
  chmodSync(partial, 0o600);
  renameSync(partial, path);
}

/** The saved, unexpired session for `url`, if any. */
export function savedSession(url: string | undefined, now = new Date()): SavedSession | undefined {
  const session = readSessions()[serverUrl(url)];
  return session && Date.parse(session.expiresAt) > now.getTime() ? session : undefined;
}

async function api<T>(
  url: string,
  method: string,
  path: string,
  body?: unknown,
  token?: string,
): Promise<{ status: number; body: T }> {
  let response: Response;
  try {
    response = await fetch(`${url}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (cause) {
    throw new ArbiterError('ARB_ERR_USAGE', `cannot reach ${url}: ${(cause as Error).message}`, { cause });
  }
  const parsed = (await response.json().catch(() => ({}))) as T & {
    error?: { code: string; message: string; details?: { reason?: unknown } };
  };
  if (response.status >= 400)
    throw new ArbiterError(
      'ARB_ERR_USAGE',
      `${parsed.error?.code ?? `HTTP ${response.status}`}: ${parsed.error?.message ?? 'the server refused'}`,
      { details: { code: parsed.error?.code ?? null, reason: parsed.error?.details?.reason ?? null } },
    );
  return { status: response.status, body: parsed };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface DeviceStart {
  userCode: string;
  verificationUri: string;
  verificationUriComplete: string | null;
  expiresIn: number;
  interval: number;
  handle: string;
}

/** True when the server refused a device sign-in because its provider has no device grant. */
function noDeviceGrant(error: unknown): boolean {
  const details = (error as ArbiterError).details as { code?: unknown; reason?: unknown } | undefined;
  return details?.code === 'ARB_ERR_AUTH_SSO_UNAVAILABLE' && details.reason === 'no-device-grant';
}

function saveSession(url: string, session: SavedSession, output: Output): ExitCode {
  const { token, id, role, groups, expiresAt } = session;
  writeSessions({ ...readSessions(), [url]: { token, id, role, groups, expiresAt } });
  output.out(
    `Signed in to ${url} as ${id} (${role}${groups.length > 0 ? `; ${groups.join(', ')}` : ''}) until ${expiresAt}.`,
  );
  return exitCodes.ok;
}

async function deviceSignIn(url: string, device: DeviceStart, output: Output): Promise<ExitCode> {
  output.err(
    `To sign in, open ${device.verificationUriComplete ?? device.verificationUri} and confirm the code ${device.userCode} (valid ${Math.round(device.expiresIn / 60)} min).`,
  );
  let interval = Math.max(1, device.interval) * 1000;
  const deadline = Date.now() + device.expiresIn * 1000;
  while (Date.now() < deadline) {
    await sleep(interval);
    const polled = await api<SavedSession & { status?: string; interval?: number | null }>(
      url,
      'POST',
      '/auth/device/token',
      { handle: device.handle },
    );
    if (polled.status === 202) {
      if (polled.body.interval) interval = polled.body.interval * 1000;
      continue;
    }
    return saveSession(url, polled.body, output);
  }
  throw new ArbiterError(
    'ARB_ERR_USAGE',
    'the device code expired before it was confirmed: run arbiter login again',
  );
}

/**
 * Sign-in through the browser (RFC 8252): a one-shot listener on 127.0.0.1, a PKCE verifier kept
 * here, the link printed; ends at the first answer with this sign-in's state, at the timeout, or
 * at ctrl-c — the listener is closed whichever comes first.
 */
async function browserSignIn(
  url: string,
  output: Output,
  timeoutSeconds: number | undefined,
): Promise<ExitCode> {
  const receiver = await LoopbackReceiver.listen({ onRefused: (why) => output.err(`warning: ${why}`) });
  let timer: NodeJS.Timeout | undefined;
  let onInterrupt: (() => void) | undefined;
  // Listening for ctrl-c before the link is printed: a person may give up at any moment after.
  const interrupted = new Promise<never>((_, reject) => {
    onInterrupt = () => reject(new ArbiterError('ARB_ERR_USAGE', 'sign-in cancelled (ctrl-c)'));
    process.once('SIGINT', onInterrupt);
  });
  interrupted.catch(() => undefined);
  try {
    const codeVerifier = randomBytes(32).toString('base64url');
    const started = await api<{ url: string; expiresIn: number }>(url, 'POST', '/auth/loopback', {
      redirectUri: receiver.redirectUri,
      state: receiver.state,
      codeChallenge: createHash('sha256').update(codeVerifier).digest('base64url'),
      codeChallengeMethod: 'S256',
    });
    const waitSeconds = Math.min(timeoutSeconds ?? started.body.expiresIn, started.body.expiresIn);
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new ArbiterError(
              'ARB_ERR_USAGE',
              `no sign-in arrived within ${waitSeconds} s: run arbiter login again`,
            ),
          ),
        waitSeconds * 1000,
      );
    });
    output.err(
      `To sign in, open ${started.body.url} in a browser on this computer (valid ${Math.round(started.body.expiresIn / 60)} min).`,
    );
    const code = await Promise.race([receiver.answer, timedOut, interrupted]);
    const session = await api<SavedSession>(url, 'POST', '/auth/loopback/token', {
      code,
      codeVerifier,
      redirectUri: receiver.redirectUri,
    });
    return saveSession(url, session.body, output);
  } finally {
    clearTimeout(timer);
    if (onInterrupt) process.off('SIGINT', onInterrupt);
    await receiver.close();
  }
}

export function registerLoginCommands(program: Command, output: Output, run: Run): void {
  program
    .command('login')
    .description(
      'sign the command line in with the identity provider: device sign-in (RFC 8628), else through the browser (RFC 8252)',
    )
    .option('--url <url>', 'Arbiter URL (default $ARBITER_URL or http://127.0.0.1:8080)')
    .option('--device', 'use the device sign-in (RFC 8628): confirm a code in any browser, on any computer')
    .option(
      '--browser',
      'sign in through a browser on this computer, which returns to a loopback address of this process (RFC 8252)',
    )
    .option(
      '--timeout <seconds>',
      'through the browser: how long to wait for the sign-in (default: as long as the link is valid, 10 min)',
    )
    .addHelpText(
      'after',
      '\nWithout --device or --browser: the device sign-in when the provider offers it, else the browser.\nThe session is kept in $ARBITER_CONFIG_DIR (else $XDG_CONFIG_HOME/arbiter, else ~/.config/arbiter)/sessions.json, mode 0600.\nSee docs/identity.md#the-command-line-arbiter-login.',
    )
    .action((options: { url?: string; device?: boolean; browser?: boolean; timeout?: string }) =>
      run(async () => {
        if (options.device && options.browser)
          throw new ArbiterError('ARB_ERR_USAGE', 'choose one of --device and --browser');
        let timeoutSeconds: number | undefined;
        if (options.timeout !== undefined) {
          timeoutSeconds = Number(options.timeout);
          if (!/^[0-9]{1,5}$/.test(options.timeout) || timeoutSeconds < 1)
            throw new ArbiterError(
              'ARB_ERR_USAGE',
              '--timeout must be a whole number of seconds, at least 1',
            );
        }
        const url = serverUrl(options.url);
        if (options.browser) return browserSignIn(url, output, timeoutSeconds);
        let device: DeviceStart;
        try {
          device = (await api<DeviceStart>(url, 'POST', '/auth/device', {})).body;
        } catch (error) {
          if (options.device || !noDeviceGrant(error)) throw error;
          return browserSignIn(url, output, timeoutSeconds);
        }
        return deviceSignIn(url, device, output);
      }),
    );

  program
    .command('logout')
    .description('end the command-line session of arbiter login (at the server too) and forget it')
    .option('--url <url>', 'Arbiter URL (default $ARBITER_URL or http://127.0.0.1:8080)')
    .action((options: { url?: string }) =>
      run(async () => {
        const url = serverUrl(options.url);
        const sessions = readSessions();
        const session = sessions[url];
        if (!session) {
          output.out(`Not signed in to ${url}.`);
          return exitCodes.ok;
        }
        await api(url, 'POST', '/auth/logout', undefined, session.token).catch(() => undefined);
        delete sessions[url];
        writeSessions(sessions);
        output.out(`Signed out of ${url}.`);
        return exitCodes.ok;
      }),
    );

  program
    .command('whoami')
    .description(
      'who the command line is at the server: the arbiter login session, or --token / $ARBITER_TOKEN',
    )
    .option('--url <url>', 'Arbiter URL (default $ARBITER_URL or http://127.0.0.1:8080)')
    .option('--token <token>', 'bearer token (default $ARBITER_TOKEN, else the arbiter login session)')
    .option('--json', 'print JSON')
    .action((options: { url?: string; token?: string; json?: boolean }) =>
      run(async () => {
        const url = serverUrl(options.url);
        const token = options.token ?? (process.env.ARBITER_TOKEN || undefined) ?? savedSession(url)?.token;
        if (!token)
          throw new ArbiterError('ARB_ERR_USAGE', `not signed in to ${url}: run arbiter login --url ${url}`);
        const me = (
          await api<{ id: string; ref: string; role: string; groups: string[] }>(
            url,
            'GET',
            '/v1/me',
            undefined,
            token,
          )
        ).body;
        if (options.json) output.out(JSON.stringify(me, null, 2));
        else
          output.out(
            `${me.ref} (${me.role}${me.groups.length > 0 ? `; ${me.groups.join(', ')}` : ''}) at ${url}`,
          );
        return exitCodes.ok;
      }),
    );
}
