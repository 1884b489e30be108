import { homedir } from 'node:os';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { ArbiterError } from '../core/errors.js';
import { type ExitCode, exitCodes } from './exit-codes.js';
import { type HookAgent, hookAgents, isHookAgent } from './hook-agents.js';
import { findProgram, runDoctor } from './hook-doctor.js';
import { runHook } from './hook-run.js';
import {
  type HookPlacement,
  hookCommandLine,
  hookEvents,
  installHooks,
  type Scope,
  uninstallHooks,
  waitSeconds,
} from './hook-settings.js';
import type { Output } from './output.js';
import { firstShellWord, shellArgument, shellWord } from './shell-words.js';

type Run = (action: () => Promise<ExitCode> | ExitCode) => Promise<void>;

const agentNames = hookAgents.join(' | ');
const labels: Record<HookAgent, string> = {
  'claude-code': 'Claude Code',
  codex: 'Codex',
  cursor: 'Cursor',
  gemini: 'Gemini CLI',
};

interface ScopeOptions {
  project?: boolean;
  user?: boolean;
  dir: string;
}

function agentArgument(value: string): HookAgent {
  if (!isHookAgent(value))
    throw new ArbiterError('ARB_ERR_USAGE', `unknown agent ${value}: use ${agentNames}`);
  return value;
}

function scopeOf(options: ScopeOptions): Scope {
  if (options.project && options.user)
    throw new ArbiterError('ARB_ERR_USAGE', 'use --project or --user, not both');
  return options.user ? 'user' : 'project';
}

export function placementFor(agent: HookAgent, scope: Scope, dir: string): HookPlacement {
  return { agent, scope, dir: resolve(dir), home: process.env.HOME ?? homedir(), env: process.env };
}

function checkedUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ArbiterError('ARB_ERR_USAGE', `--url ${url} is not a URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new ArbiterError('ARB_ERR_USAGE', '--url must be an http: or https: URL');
  // A settings file is often committed: a credential in it would be published with it.
  if (parsed.username || parsed.password)
    throw new ArbiterError(
      'ARB_ERR_USAGE',
      '--url must not carry credentials: the token comes from --token-env',
    );
  return url;
}

function checkedTokenEnv(name: string | undefined): string | undefined {
  if (name !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
    throw new ArbiterError('ARB_ERR_USAGE', `--token-env ${name} is not an environment variable name`);
  return name;
}

const listed = (events: string[]) => events.join(' and ');

/** `arbiter hook AGENT | install | uninstall | doctor`. */
export function registerHookCommands(program: Command, output: Output, run: Run): void {
  const hook = program
    .command('hook')
    .description(
      `coding-agent hooks (${agentNames}): answer one tool call, install into or uninstall from the agent's settings, check an installation`,
    );

  for (const agent of hookAgents) {
    hook
      .command(agent)
      .description(
        `ask Arbiter about one ${labels[agent]} tool call: the agent's hook JSON on stdin, its answer on stdout; on any failure exit 2 with one line on stderr (the agent blocks the call)`,
      )
      .option('--url <url>', 'Arbiter URL (default $ARBITER_URL or http://127.0.0.1:8080)')
      .option('--token-env <VAR>', 'environment variable holding the agent token', 'ARBITER_TOKEN')
      .option('--user <id>', 'the person at the keyboard (default $ARBITER_USER, else git config user.email)')
      .option('--wait <duration>', 'wait this long for a pending approval (30, 30s, 5m)', '0')
      .option('--timeout <duration>', 'give up on the server after this long (plus --wait)', '10')
      .option(
        '--pending <answer>',
        'how a decision still pending after --wait is answered: deny (with the approval link) or, for claude-code headless runs, defer',
        'deny',
      )
      .action(async (options: Record<string, string>) => {
        const args: string[] = [agent];
        for (const name of ['url', 'token-env', 'user', 'wait', 'timeout', 'pending'] as const) {
          const value = options[name.replace(/-(.)/g, (_, ch: string) => ch.toUpperCase())];
          if (value !== undefined) args.push(`--${name}`, value);
        }
        await run(() => runHook(args, { output }));
      });
  }

  hook
    .command('install')
    .description(
      "add Arbiter's hooks to the agent's settings file, keeping everything else in it (project: .claude/settings.json, .codex/hooks.json, .cursor/hooks.json, .gemini/settings.json; --user: the same under your home directory)",
    )
    .argument('<agent>', agentNames)
    .option('--project', 'the project settings in --dir (the default)')
    .option('--user', 'your user settings, for every project')
    .option('--dir <dir>', 'the project directory', '.')
    .option('--url <url>', 'Arbiter URL written into the hook (default: $ARBITER_URL when the hook runs)')
    .option(
      '--token-env <VAR>',
      'the environment variable the hook reads the agent token from',
      'ARBITER_TOKEN',
    )
    .option('--wait <duration>', 'how long a hook waits for a pending approval (30, 30s, 5m)')
    .option(
      '--pending <answer>',
      'claude-code: defer for headless (-p) runs, which stop and resume (default deny)',
    )
    .option('--command <command>', 'how the agent starts Arbiter', 'arbiter')
    .option('--http', 'Claude Code only: a type "http" hook (no process per tool call; no git facts)')
    .action(
      (
        agentName: string,
        options: ScopeOptions & {
          url?: string;
          tokenEnv: string;
          wait?: string;
          pending?: string;
          command: string;
          http?: boolean;
        },
      ) =>
        run(() => {
          const agent = agentArgument(agentName);
          if (options.http && agent !== 'claude-code')
            throw new ArbiterError(
              'ARB_ERR_USAGE',
              '--http is for claude-code only: the other agents run commands',
            );
          if (options.wait !== undefined && waitSeconds(options.wait) === undefined)
            throw new ArbiterError('ARB_ERR_USAGE', `--wait ${options.wait} is not a duration (30, 30s, 5m)`);
          if (options.command.trim() === '') throw new ArbiterError('ARB_ERR_USAGE', '--command is empty');
          if (options.pending !== undefined && options.pending !== 'deny' && options.pending !== 'defer')
            throw new ArbiterError('ARB_ERR_USAGE', `--pending is deny or defer, not ${options.pending}`);
          if (options.pending === 'defer' && agent !== 'claude-code')
            throw new ArbiterError('ARB_ERR_USAGE', '--pending defer is for claude-code only');
          const scope = scopeOf(options);
          const placement = placementFor(agent, scope, options.dir);
          const hookOptions = {
            command: options.command,
            url: checkedUrl(options.url),
            tokenEnv: checkedTokenEnv(options.tokenEnv),
            wait: options.wait,
            pending: options.pending === 'defer' ? ('defer' as const) : undefined,
            http: options.http,
          };
          const change = installHooks(placement, hookOptions);
          const events = hookEvents(agent);
          if (change.events.length === 0)
            output.out(`${labels[agent]}: Arbiter's hooks are already in ${change.path}; nothing changed.`);
          else output.out(`${labels[agent]}: ${listed(change.events)} hook set in ${change.path}.`);
          output.out(
            options.http
              ? `  ${events.pre} and ${events.post} post each tool call to ${(hookOptions.url ?? 'http://127.0.0.1:8080').replace(/\/+$/, '')}/v1/hooks/claude-code`
              : `  ${events.pre} and ${events.post} run: ${hookCommandLine(agent, hookOptions)}`,
          );
          // A hook that cannot start blocks every tool call: say so now, not at the agent's first call.
          if (!options.http && !findProgram(hookOptions.command, process.env)) {
            // This very Arbiter, as the agent's shell must be given it (a path may hold spaces).
            const thisArbiter = `${shellWord(process.execPath)} ${shellWord(process.argv[1]!)}`;
            output.err(
              `warning: ${firstShellWord(hookOptions.command)} is not on PATH here, so the agent cannot start the hook and every tool call will be blocked: put Arbiter on PATH, or install again with --command ${shellArgument(thisArbiter)}`,
            );
          }
          if (agent === 'codex')
            output.out(
              '  Codex runs a new hook only after you review and trust it: open Codex and accept it.',
            );
          if (agent === 'gemini')
            output.out(
              '  Gemini CLI runs hooks when its hooks system is on (/settings → "Enable Hooks System").',
            );
          const tokenEnv = hookOptions.tokenEnv ?? 'ARBITER_TOKEN';
          output.out(
            `Next: give the agent ${tokenEnv} (an agent token of the System it acts as)${hookOptions.url ? '' : ' and ARBITER_URL'}, then check the installation:`,
          );
          output.out(
            `  arbiter hook doctor ${agent}${scope === 'user' ? ' --user' : ''}${options.dir !== '.' ? ` --dir ${options.dir}` : ''}`,
          );
          return exitCodes.ok;
        }),
    );

  hook
    .command('uninstall')
    .description("remove exactly the hooks `arbiter hook install` added to the agent's settings file")
    .argument('<agent>', agentNames)
    .option('--project', 'the project settings in --dir (the default)')
    .option('--user', 'your user settings')
    .option('--dir <dir>', 'the project directory', '.')
    .action((agentName: string, options: ScopeOptions) =>
      run(() => {
        const agent = agentArgument(agentName);
        const change = uninstallHooks(placementFor(agent, scopeOf(options), options.dir));
        output.out(
          change.events.length === 0
            ? `${labels[agent]}: no Arbiter hook in ${change.path}; nothing changed.`
            : `${labels[agent]}: removed Arbiter's ${listed(change.events)} hooks from ${change.path}.`,
        );
        return exitCodes.ok;
      }),
    );

  hook
    .command('doctor')
    .description(
      'check an installation end to end, one line per check: hook in the settings, its command found, server reachable, hook route served, token valid, a dry-run decision (nothing recorded); exit 1 when a check fails',
    )
    .argument('[agent]', `${agentNames} (default: every agent with a hook installed)`)
    .option('--project', 'only the project settings in --dir')
    .option('--user', 'only your user settings')
    .option('--dir <dir>', 'the project directory', '.')
    .option(
      '--url <url>',
      "Arbiter URL (default: the hook's --url, else $ARBITER_URL, else http://127.0.0.1:8080)",
    )
    .option(
      '--token-env <VAR>',
      "the token's environment variable (default: the hook's --token-env, else ARBITER_TOKEN)",
    )
    .action((agentName: string | undefined, options: ScopeOptions & { url?: string; tokenEnv?: string }) =>
      run(async () => {
        const agents = agentName === undefined ? [...hookAgents] : [agentArgument(agentName)];
        const scopes: Scope[] =
          options.project && !options.user
            ? ['project']
            : options.user && !options.project
              ? ['user']
              : ['project', 'user'];
        return runDoctor({
          agents,
          explicitAgent: agentName !== undefined,
          placements: (agent) => scopes.map((scope) => placementFor(agent, scope, options.dir)),
          url: checkedUrl(options.url),
          tokenEnv: checkedTokenEnv(options.tokenEnv),
          env: process.env,
          output,
        });
      }),
    );
}
