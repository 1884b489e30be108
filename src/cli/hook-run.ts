import { isAbsolute, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseDuration } from '../core/duration.js';
import { type ExitCode, exitCodes } from './exit-codes.js';
import { gitFacts, gitUserEmail } from './git-facts.js';
import { isHookAgent } from './hook-agents.js';
import { displayUrl, HttpCallError, httpCall } from './http-call.js';
import type { Output } from './output.js';

// `arbiter hook AGENT`: runs once per tool call of a coding agent. It stays thin — read the agent's
// payload, add what only this machine knows, ask the server, print its answer — and it loads
// nothing but node:http(s) and this file's few imports, so the agent waits for the round trip and
// little else. The mapping to a decision, the shell parser and the policies live on the server.
//
// Fail closed: every failure (no server, a timeout, a refused token, a payload that is not JSON)
// exits 2 with one line on stderr, which all four agents read as "block this tool call".

/** The largest hook payload read from stdin. */
export const maxPayloadBytes = 1024 * 1024;
/** The largest answer accepted from the server. */
const maxAnswerBytes = 1024 * 1024;
const defaultUrl = 'http://127.0.0.1:8080';
const envNamePattern = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface HookIo {
  output: Output;
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** A reason the call is blocked, printed as `arbiter hook: <reason>`. */
class HookFailure extends Error {}

interface HookOptions {
  url: URL;
  token: string;
  user?: string;
  waitSeconds: number;
  timeoutMs: number;
  /** How a pending decision is answered: Claude Code's headless `defer`, or a denial with the approval link. */
  pending: 'deny' | 'defer';
}

/** Seconds from `30`, `30s` or `5m`; undefined when it is neither. */
function seconds(text: string): number | undefined {
  if (/^\d+$/.test(text)) return Number(text);
  const ms = parseDuration(text);
  return ms === undefined ? undefined : Math.ceil(ms / 1000);
}

function hookOptions(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): { agent: string; options: HookOptions } {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (error) {
    throw new HookFailure((error as Error).message);
  }
  const [agent, ...extra] = parsed.positionals;
  if (!isHookAgent(agent)) throw new HookFailure(`unknown agent ${agent ?? '(none)'}`);
  if (extra.length > 0) throw new HookFailure(`unexpected argument ${extra[0]}`);
  const values = parsed.values;
  const tokenEnv = values['token-env'] ?? 'ARBITER_TOKEN';
  if (!envNamePattern.test(tokenEnv)) throw new HookFailure(`--token-env ${tokenEnv} is not a variable name`);
  const token = env[tokenEnv];
  if (!token) throw new HookFailure(`no token: set ${tokenEnv} to the agent's Arbiter token`);
  let url: URL;
  const urlText = values.url ?? env.ARBITER_URL ?? defaultUrl;
  try {
    url = new URL(urlText);
  } catch {
    throw new HookFailure('the Arbiter URL is not a URL (--url or ARBITER_URL)');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new HookFailure(`the Arbiter URL must be http: or https:, not ${url.protocol}`);
  if (url.username || url.password)
    throw new HookFailure(`the Arbiter URL must not carry credentials: the token comes from ${tokenEnv}`);
  const waitSeconds = seconds(values.wait ?? '0');
  if (waitSeconds === undefined)
    throw new HookFailure(`--wait ${values.wait} is not a duration (30, 30s, 5m)`);
  const timeoutSeconds = seconds(values.timeout ?? '10');
  if (!timeoutSeconds) throw new HookFailure(`--timeout ${values.timeout} is not a duration (10, 10s, 1m)`);
  const pending = values.pending ?? 'deny';
  if (pending !== 'deny' && pending !== 'defer')
    throw new HookFailure(`--pending is deny or defer, not ${pending}`);
  if (pending === 'defer' && agent !== 'claude-code')
    throw new HookFailure('--pending defer is for claude-code only (its headless runs stop and resume)');
  const user = values.user ?? env.ARBITER_USER;
  return {
    agent,
    options: { url, token, user: user || undefined, waitSeconds, timeoutMs: timeoutSeconds * 1000, pending },
  };
}

function parse(args: readonly string[]) {
  return parseArgs({
    args: [...args],
    allowPositionals: true,
    strict: true,
    options: {
      url: { type: 'string' },
      'token-env': { type: 'string' },
      user: { type: 'string' },
      wait: { type: 'string' },
      timeout: { type: 'string' },
      pending: { type: 'string' },
    },
  });
}

/** The whole of stdin, up to maxPayloadBytes, within the time limit. */
function readPayload(stdin: NonNullable<HookIo['stdin']>, timeoutMs: number): Promise<string> {
  if (stdin.isTTY)
    return Promise.reject(new HookFailure("stdin is a terminal: pipe the agent's hook JSON into it"));
  return new Promise((resolvePayload, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (error?: HookFailure) => {
      clearTimeout(timer);
      stdin.removeListener('data', onData);
      stdin.removeListener('end', onEnd);
      stdin.removeListener('error', onError);
      stdin.pause();
      // A payload left unread (too large, too slow) must not hold the process open.
      if (error) (stdin as { destroy?: () => void }).destroy?.();
      if (error) reject(error);
      else resolvePayload(Buffer.concat(chunks).toString('utf8'));
    };
    const onData = (chunk: Buffer | string) => {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      size += bytes.length;
      if (size > maxPayloadBytes) finish(new HookFailure('the hook payload on stdin is larger than 1 MiB'));
      else chunks.push(bytes);
    };
    const onEnd = () => finish();
    const onError = (error: Error) => finish(new HookFailure(`cannot read stdin (${error.message})`));
    const timer = setTimeout(
      () => finish(new HookFailure(`stdin did not close within ${timeoutMs / 1000}s`)),
      timeoutMs,
    );
    stdin.on('data', onData);
    stdin.on('end', onEnd);
    stdin.on('error', onError);
  });
}

/** The directory the tool call runs in, as the payload says (Cursor sends workspace roots). */
function payloadCwd(payload: Record<string, unknown>, fallback: string): string {
  const roots = payload.workspace_roots;
  const cwd =
    typeof payload.cwd === 'string' && payload.cwd !== ''
      ? payload.cwd
      : Array.isArray(roots) && typeof roots[0] === 'string'
        ? roots[0]
        : fallback;
  return isAbsolute(cwd) ? cwd : resolve(fallback, cwd);
}

/** The `Arbiter-Client-*` headers: facts about this machine the server cannot see. */
async function clientHeaders(cwd: string, user: string | undefined, env: NodeJS.ProcessEnv) {
  const facts = gitFacts(cwd);
  const person = user ?? (await gitUserEmail(cwd, env));
  const headers: Record<string, string> = {};
  const add = (name: string, value: string | undefined) => {
    if (value) headers[name] = encodeURIComponent(value);
  };
  add('arbiter-client-repository', facts.repository);
  add('arbiter-client-branch', facts.branch);
  add('arbiter-client-remote', facts.remote);
  add('arbiter-client-user', person);
  return headers;
}

/** What the server's error body says, in one line. */
function refusal(status: number, body: string): string {
  try {
    const error = (JSON.parse(body) as { error?: { code?: unknown; message?: unknown } }).error;
    if (typeof error?.code === 'string')
      return `Arbiter refused the call (${status} ${error.code}${typeof error.message === 'string' ? `: ${error.message}` : ''})`;
  } catch {
    // Not Arbiter's error shape: a proxy or another server answered.
  }
  return `Arbiter answered ${status}${status === 404 ? ' (is the URL an Arbiter server with hook routes?)' : ''}`;
}

async function hook(args: readonly string[], io: HookIo): Promise<string> {
  const env = io.env ?? process.env;
  const { agent, options } = hookOptions(args, env);
  const text = await readPayload(io.stdin ?? process.stdin, options.timeoutMs);
  if (text.trim() === '') throw new HookFailure('no hook payload on stdin');
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch (error) {
    throw new HookFailure(`the hook payload is not JSON (${(error as Error).message})`);
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
    throw new HookFailure('the hook payload is not a JSON object');
  const cwd = payloadCwd(payload as Record<string, unknown>, io.cwd ?? process.cwd());
  const url = new URL(
    `v1/hooks/${agent}`,
    options.url.href.endsWith('/') ? options.url : `${options.url.href}/`,
  );
  if (options.pending === 'defer') url.searchParams.set('pending', 'defer');
  let answer: Awaited<ReturnType<typeof httpCall>>;
  try {
    answer = await httpCall({
      url,
      method: 'POST',
      headers: {
        authorization: `Bearer ${options.token}`,
        'content-type': 'application/json',
        accept: 'application/json',
        'arbiter-wait': String(options.waitSeconds),
        ...(await clientHeaders(cwd, options.user, env)),
      },
      // The payload goes as the agent wrote it: the server maps it.
      body: text,
      timeoutMs: options.timeoutMs + options.waitSeconds * 1000,
      maxBytes: maxAnswerBytes,
    });
  } catch (error) {
    if (error instanceof HttpCallError)
      throw new HookFailure(`cannot ask Arbiter at ${displayUrl(url)}: ${error.message}`);
    throw error;
  }
  if (answer.status < 200 || answer.status > 299) throw new HookFailure(refusal(answer.status, answer.body));
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer.body);
  } catch {
    parsed = undefined;
  }
  // The agent acts on what is printed; anything but a JSON object (a proxy's HTML page, an empty
  // body) would read as "no objection", so it blocks instead.
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new HookFailure(`Arbiter answered ${answer.status} without a JSON object`);
  return answer.body;
}

/** Runs `arbiter hook AGENT [options]` (args start at AGENT); prints the agent's answer. */
export async function runHook(args: readonly string[], io: HookIo): Promise<ExitCode> {
  try {
    io.output.out(await hook(args, io));
    return exitCodes.ok;
  } catch (error) {
    const reason =
      error instanceof HookFailure ? error.message : `internal error: ${(error as Error)?.message}`;
    io.output.err(`arbiter hook: ${reason.replace(/\s+/g, ' ').slice(0, 1000)}`);
    return exitCodes.usage;
  }
}
