import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import type { JsonObject } from '../core/json.js';
import { type ExitCode, exitCodes } from './exit-codes.js';
import type { HookAgent } from './hook-agents.js';
import { type HookPlacement, hookEvents, installedHandlers } from './hook-settings.js';
import { displayUrl, type HttpAnswer, httpCall } from './http-call.js';
import type { Output } from './output.js';
import { firstShellWord } from './shell-words.js';

// `arbiter hook doctor`: follows an installation from the agent's settings file to a decision,
// one line per check. The dry run goes through POST /v1/decisions/explain, which evaluates the
// policies without recording anything, with the request a shell call of `git status` maps to.

export interface DoctorRequest {
  agents: HookAgent[];
  /** The agent was named: a missing hook is then a failure, not a skip. */
  explicitAgent: boolean;
  placements: (agent: HookAgent) => HookPlacement[];
  url?: string;
  tokenEnv?: string;
  env: NodeJS.ProcessEnv;
  output: Output;
}

/** Each agent's shell tool, as its hook payload names it. */
const shellTools: Record<HookAgent, string> = {
  'claude-code': 'Bash',
  codex: 'Bash',
  cursor: 'Shell',
  gemini: 'run_shell_command',
};

const defaultUrl = 'http://127.0.0.1:8080';
const timeoutMs = 10_000;

/** The value of `--name VALUE` in a hook command line (unquoting a single-quoted word). */
function commandOption(command: string, name: string): string | undefined {
  const match = new RegExp(`\\s--${name}(?:=|\\s+)('(?:[^']|'\\\\'')*'|\\S+)`).exec(command);
  if (!match) return undefined;
  const word = match[1]!;
  return word.startsWith("'") ? word.slice(1, -1).replaceAll(`'\\''`, "'") : word;
}

/** Where the first word of `command` is found (PATH, or the path it names), if it can be run. */
export function findProgram(command: string, env: NodeJS.ProcessEnv): string | undefined {
  const program = firstShellWord(command);
  const runnable = (path: string) => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (program.includes('/')) return runnable(resolve(program)) ? program : undefined;
  for (const dir of (env.PATH ?? '').split(delimiter))
    if (dir && isAbsolute(dir) && runnable(join(dir, program))) return join(dir, program);
  return undefined;
}

interface Checks {
  failed: boolean;
  ok(text: string): void;
  fail(text: string): void;
}

function checks(output: Output): Checks {
  const state: Checks = {
    failed: false,
    ok: (text) => output.out(`ok    ${text}`),
    fail: (text) => {
      state.failed = true;
      output.out(`FAIL  ${text}`);
    },
  };
  return state;
}

async function call(
  url: URL,
  init: { method: 'GET' | 'POST'; token?: string; body?: unknown },
): Promise<HttpAnswer> {
  return httpCall({
    url,
    method: init.method,
    headers: {
      accept: 'application/json',
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
      ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    timeoutMs,
    maxBytes: 16 * 1024 * 1024,
  });
}

function parsed<T>(answer: HttpAnswer): T | undefined {
  try {
    return JSON.parse(answer.body) as T;
  } catch {
    return undefined;
  }
}

function errorText(answer: HttpAnswer): string {
  try {
    const error = (JSON.parse(answer.body) as { error?: { code?: string; message?: string } }).error;
    if (error?.code) return `${answer.status} ${error.code}${error.message ? `: ${error.message}` : ''}`;
  } catch {
    // not Arbiter's error shape
  }
  return String(answer.status);
}

/** The settings checks for one agent; returns where its hook points (URL and token variable). */
function settingsChecks(
  request: DoctorRequest,
  agent: HookAgent,
  result: Checks,
): { installed: boolean; url?: string; tokenEnv?: string } {
  const { pre, post } = hookEvents(agent);
  let installed = false;
  let url: string | undefined;
  let tokenEnv: string | undefined;
  const looked: string[] = [];
  for (const placement of request.placements(agent)) {
    let found: ReturnType<typeof installedHandlers>;
    try {
      found = installedHandlers(placement);
    } catch (error) {
      result.fail(`${agent} settings: ${(error as Error).message}`);
      installed = true;
      continue;
    }
    looked.push(found.path);
    const handler = found.handlers[pre]?.[0] as JsonObject | undefined;
    if (!handler) continue;
    installed = true;
    const outcome =
      (found.handlers[post]?.length ?? 0) > 0
        ? ` and ${post}`
        : ` (no ${post} hook: outcomes are not reported)`;
    result.ok(`${agent} settings: ${pre}${outcome} hook in ${found.path}`);
    if (agent === 'claude-code' && handler.onFailure !== 'block')
      result.fail(
        `${agent} settings: the ${pre} hook lacks "onFailure": "block", so a hook that cannot run lets the call through (run arbiter hook install again)`,
      );
    if (agent === 'cursor' && handler.failClosed !== true)
      result.fail(
        `${agent} settings: the ${pre} hook lacks "failClosed": true, so a hook that cannot run lets the call through (run arbiter hook install again)`,
      );
    if (typeof handler.command === 'string') {
      const program = findProgram(handler.command, request.env);
      if (program) result.ok(`${agent} command: ${firstShellWord(handler.command)} found (${program})`);
      else
        result.fail(
          `${agent} command: ${firstShellWord(handler.command)} is not on PATH, so every tool call is blocked (install Arbiter there, or reinstall the hook with --command)`,
        );
      url ??= commandOption(handler.command, 'url');
      tokenEnv ??= commandOption(handler.command, 'token-env');
    } else if (typeof handler.url === 'string') {
      url ??= handler.url.replace(/\/v1\/hooks\/claude-code\/?(\?.*)?$/, '');
      const allowed = handler.allowedEnvVars;
      if (Array.isArray(allowed) && typeof allowed[0] === 'string') tokenEnv ??= allowed[0];
    }
  }
  if (!installed && request.explicitAgent)
    result.fail(
      `${agent} settings: no Arbiter hook in ${looked.join(' or ')} (run arbiter hook install ${agent})`,
    );
  return { installed, url, tokenEnv };
}

/** Reachable, hook route served, token valid, a dry-run decision. */
async function serverChecks(
  request: DoctorRequest,
  agent: HookAgent,
  target: { url?: string; tokenEnv?: string },
  result: Checks,
): Promise<void> {
  const urlText = request.url ?? target.url ?? request.env.ARBITER_URL ?? defaultUrl;
  const tokenEnv = request.tokenEnv ?? target.tokenEnv ?? 'ARBITER_TOKEN';
  let base: URL;
  try {
    base = new URL(urlText.endsWith('/') ? urlText : `${urlText}/`);
  } catch {
    result.fail(`${agent} server: ${urlText} is not a URL`);
    return;
  }
  const shown = displayUrl(base).replace(/\/$/, '');
  try {
    const health = await call(new URL('healthz', base), { method: 'GET' });
    if (health.status !== 200) {
      result.fail(`${agent} server: ${shown}/healthz answered ${health.status}`);
      return;
    }
    result.ok(`${agent} server: ${shown} is reachable`);
  } catch (error) {
    result.fail(`${agent} server: cannot reach ${shown} (${(error as Error).message})`);
    return;
  }
  try {
    const openapi = await call(new URL('openapi.json', base), { method: 'GET' });
    const paths = Object.keys(parsed<{ paths?: Record<string, unknown> }>(openapi)?.paths ?? {});
    if (paths.some((path) => path.startsWith('/v1/hooks/')))
      result.ok(`${agent} route: ${shown} serves POST /v1/hooks/${agent}`);
    else
      result.fail(
        `${agent} route: ${shown} has no /v1/hooks/ route (an Arbiter server older than its hooks?)`,
      );
  } catch (error) {
    result.fail(`${agent} route: cannot read ${shown}/openapi.json (${(error as Error).message})`);
  }
  const token = request.env[tokenEnv];
  if (!token) {
    result.fail(`${agent} token: ${tokenEnv} is not set`);
    return;
  }
  const me = await call(new URL('v1/me', base), { method: 'GET', token }).catch((error: Error) => error);
  if (me instanceof Error || me.status !== 200) {
    result.fail(
      `${agent} token: ${tokenEnv} is not accepted (${me instanceof Error ? me.message : errorText(me)})`,
    );
    return;
  }
  const identity = parsed<{ id?: string; role?: string }>(me) ?? {};
  if (identity.role !== 'agent') {
    result.fail(
      `${agent} token: ${tokenEnv} is a token of role ${identity.role}; a hook needs an agent token (the System the agent acts as)`,
    );
    return;
  }
  result.ok(`${agent} token: ${tokenEnv} is valid (${identity.id}, role agent)`);
  const tool = shellTools[agent];
  const dryRun = await call(new URL('v1/decisions/explain', base), {
    method: 'POST',
    token,
    body: {
      action: 'agent.tool.shell',
      resource: { type: 'tool', id: tool },
      rationale: 'arbiter hook doctor: dry run',
      context: {
        tool: { kind: 'shell', name: tool, agent },
        command: {
          raw: 'git status',
          commands: [{ program: 'git', argv: ['git', 'status'], redirects: [] }],
          opaque: false,
        },
      },
    },
  }).catch((error: Error) => error);
  if (dryRun instanceof Error || dryRun.status !== 200) {
    result.fail(
      `${agent} dry run: POST /v1/decisions/explain failed (${dryRun instanceof Error ? dryRun.message : errorText(dryRun)})`,
    );
    return;
  }
  const verdict =
    parsed<{ effect?: string; reasons?: { policy?: string; rule?: string }[]; defaulted?: boolean }>(
      dryRun,
    ) ?? {};
  const reason = verdict.reasons?.[0];
  const why = reason
    ? `${reason.policy}/${reason.rule}`
    : verdict.defaulted
      ? 'the bundle default'
      : 'no rule';
  result.ok(`${agent} dry run: ${tool} \`git status\` → ${verdict.effect} (${why}); nothing was recorded`);
}

export async function runDoctor(request: DoctorRequest): Promise<ExitCode> {
  const result = checks(request.output);
  let any = false;
  for (const agent of request.agents) {
    const target = settingsChecks(request, agent, result);
    if (!target.installed && !request.explicitAgent) continue;
    any = true;
    await serverChecks(request, agent, target, result);
  }
  if (!any)
    result.fail('settings: no Arbiter hook installed for any agent here (run arbiter hook install AGENT)');
  return result.failed ? exitCodes.failed : exitCodes.ok;
}
