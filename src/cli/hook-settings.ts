import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { parseDuration } from '../core/duration.js';
import { ArbiterError } from '../core/errors.js';
import { isPlainObject, type JsonObject, type JsonValue } from '../core/json.js';
import type { HookAgent } from './hook-agents.js';
import { parseJsonText } from './io.js';
import { shellWord } from './shell-words.js';

// `arbiter hook install | uninstall`: the Arbiter entries in each agent's own settings file, merged
// into what is there and removed again exactly. Everything else in the file is kept as it was
// (keys, order, indentation); a file that does not parse, or whose hooks are not in the agent's
// documented shape, is refused and left untouched.
//
// The shapes, from each agent's documentation:
// - Claude Code (.claude/settings.json): hooks.<Event> = [{matcher, hooks: [{type: "command", command,
//   timeout (s), onFailure}]}]; `onFailure: "block"` makes a hook that cannot start, times out or
//   exits oddly block the call (Claude Code 2.1.295+). Also `type: "http"` with url, headers,
//   allowedEnvVars.
// - Codex (.codex/hooks.json, read in the user and project layers): {hooks: {<Event>: [{matcher,
//   hooks: [{type: "command", command, timeout (s), statusMessage}]}]}}; no other root key is allowed
//   (codex-rs/config HooksFile is deny_unknown_fields).
// - Cursor (.cursor/hooks.json): {version: 1, hooks: {<event>: [{command, failClosed}]}}.
// - Gemini CLI (.gemini/settings.json): hooks.<Event> = [{matcher, hooks: [{name, type: "command",
//   command, timeout (ms), description}]}].

export type Scope = 'project' | 'user';

export interface HookPlacement {
  agent: HookAgent;
  scope: Scope;
  /** The project directory (for project scope). */
  dir: string;
  home: string;
  env: NodeJS.ProcessEnv;
}

export interface HookCommandOptions {
  /** How the agent starts Arbiter: `arbiter`, `npx arbiter`, `node /path/bin/arbiter.js`. */
  command: string;
  url?: string;
  tokenEnv?: string;
  wait?: string;
  /** Claude Code only: answer a decision still pending with `defer` (headless runs stop, then resume). */
  pending?: 'defer';
  /** Claude Code only: a `type: "http"` hook that posts to the server with no process per call. */
  http?: boolean;
}

interface AgentLayout {
  /** The settings file, relative to the project directory or the home directory. */
  file: string;
  /** Codex honours CODEX_HOME for its user layer. */
  userDir?: (home: string, env: NodeJS.ProcessEnv) => string;
  /** Each handler sits in a `{matcher, hooks: [...]}` group (all but Cursor). */
  grouped: boolean;
  pre: string;
  post: string;
  /** What install writes into an empty file besides the hooks. */
  skeleton: JsonObject;
}

const layouts: Record<HookAgent, AgentLayout> = {
  'claude-code': {
    file: '.claude/settings.json',
    grouped: true,
    pre: 'PreToolUse',
    post: 'PostToolUse',
    skeleton: {},
  },
  codex: {
    file: '.codex/hooks.json',
    userDir: (home, env) => env.CODEX_HOME ?? join(home, '.codex'),
    grouped: true,
    pre: 'PreToolUse',
    post: 'PostToolUse',
    skeleton: {},
  },
  cursor: {
    file: '.cursor/hooks.json',
    grouped: false,
    pre: 'preToolUse',
    post: 'postToolUse',
    skeleton: { version: 1 },
  },
  gemini: {
    file: '.gemini/settings.json',
    grouped: true,
    pre: 'BeforeTool',
    post: 'AfterTool',
    skeleton: {},
  },
};

/** The events install adds a hook to: before the tool call (the decision) and after it (the outcome). */
export function hookEvents(agent: HookAgent): { pre: string; post: string } {
  return { pre: layouts[agent].pre, post: layouts[agent].post };
}

export function settingsPath(placement: HookPlacement): string {
  const layout = layouts[placement.agent];
  if (placement.scope === 'project') return join(placement.dir, layout.file);
  if (layout.userDir) return join(layout.userDir(placement.home, placement.env), 'hooks.json');
  return join(placement.home, layout.file);
}

/** The command line the agent runs for each tool call. */
export function hookCommandLine(agent: HookAgent, options: HookCommandOptions): string {
  const words = [options.command, 'hook', agent];
  if (options.url) words.push('--url', shellWord(options.url));
  if (options.tokenEnv && options.tokenEnv !== 'ARBITER_TOKEN') words.push('--token-env', options.tokenEnv);
  if (options.wait) words.push('--wait', shellWord(options.wait));
  if (options.pending) words.push('--pending', options.pending);
  return words.join(' ');
}

/** Seconds in `--wait` (`30`, `30s`, `5m`); undefined when it is not a duration. */
export function waitSeconds(text: string): number | undefined {
  if (/^\d+$/.test(text)) return Number(text);
  const ms = parseDuration(text);
  return ms === undefined ? undefined : Math.ceil(ms / 1000);
}

/** Seconds the agent should give the hook: its HTTP timeout (10 s), the approval wait, a margin. */
function hookTimeoutSeconds(options: HookCommandOptions): number {
  return 10 + (options.wait ? (waitSeconds(options.wait) ?? 0) : 0) + 5;
}

/** The handler install adds for one event. */
function handlerFor(agent: HookAgent, event: 'pre' | 'post', options: HookCommandOptions): JsonObject {
  const command = hookCommandLine(agent, options);
  const timeout = hookTimeoutSeconds(options);
  switch (agent) {
    case 'claude-code': {
      const failure: JsonObject = event === 'pre' ? { onFailure: 'block' } : {};
      if (!options.http) return { type: 'command', command, timeout, ...failure };
      const tokenEnv = options.tokenEnv ?? 'ARBITER_TOKEN';
      const base = (options.url ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
      return {
        type: 'http',
        url: `${base}/v1/hooks/claude-code${options.pending ? `?pending=${options.pending}` : ''}`,
        headers: {
          Authorization: `Bearer $${tokenEnv}`,
          ...(options.wait ? { 'Arbiter-Wait': String(waitSeconds(options.wait) ?? 0) } : {}),
        },
        allowedEnvVars: [tokenEnv],
        timeout,
        ...failure,
      };
    }
    case 'codex':
      return {
        type: 'command',
        command,
        timeout,
        ...(event === 'pre' ? { statusMessage: 'Asking Arbiter' } : {}),
      };
    case 'cursor':
      return { command, ...(event === 'pre' ? { failClosed: true } : {}) };
    case 'gemini':
      return {
        name: event === 'pre' ? 'arbiter' : 'arbiter-outcome',
        type: 'command',
        command,
        timeout: timeout * 1000,
        description:
          event === 'pre'
            ? 'Arbiter decides whether this tool call may run'
            : "Reports the tool call's outcome to Arbiter",
      };
  }
}

/** True for a handler Arbiter's install wrote: it runs `arbiter hook AGENT` or posts to its route. */
export function isArbiterHandler(agent: HookAgent, handler: unknown): boolean {
  if (!isPlainObject(handler)) return false;
  if (typeof handler.command === 'string') {
    const pattern = new RegExp(`(^|[\\s/'"])arbiter(\\.js)?['"]?\\s+hook\\s+${agent}(\\s|$)`);
    return pattern.test(handler.command);
  }
  return (
    agent === 'claude-code' &&
    handler.type === 'http' &&
    typeof handler.url === 'string' &&
    /\/v1\/hooks\/claude-code\/?(\?.*)?$/.test(handler.url)
  );
}

const unchanged =
  "Arbiter changes only a settings file it can read in the agent's documented shape, so nothing was changed";

function malformed(path: string, what: string): ArbiterError {
  return new ArbiterError('ARB_ERR_INPUT_INVALID', `${path}: ${what}; ${unchanged}`, { details: { path } });
}

/** The `hooks` object of a settings document, checked to have the agent's shape for our events. */
function hooksOf(doc: JsonObject, agent: HookAgent, path: string): JsonObject | undefined {
  const hooks = doc.hooks;
  if (hooks === undefined) return undefined;
  if (!isPlainObject(hooks)) throw malformed(path, '"hooks" is not an object');
  const layout = layouts[agent];
  for (const event of [layout.pre, layout.post]) {
    const entries = hooks[event];
    if (entries === undefined) continue;
    if (!Array.isArray(entries)) throw malformed(path, `"hooks.${event}" is not an array`);
    if (layout.grouped)
      for (const [index, group] of entries.entries())
        if (!isPlainObject(group) || (group.hooks !== undefined && !Array.isArray(group.hooks)))
          throw malformed(path, `"hooks.${event}[${index}]" is not a {matcher, hooks: [...]} group`);
  }
  return hooks as JsonObject;
}

/** The Arbiter handlers of one event, wherever they sit. */
function arbiterHandlers(agent: HookAgent, entries: JsonValue[]): JsonObject[] {
  if (!layouts[agent].grouped)
    return entries.filter((entry) => isArbiterHandler(agent, entry)) as JsonObject[];
  return entries.flatMap(
    (group) =>
      ((group as JsonObject).hooks as JsonValue[] | undefined)?.filter((handler) =>
        isArbiterHandler(agent, handler),
      ) ?? [],
  ) as JsonObject[];
}

/** Removes every Arbiter handler of an event; a group left empty by that goes too. */
function withoutArbiter(agent: HookAgent, entries: JsonValue[]): JsonValue[] {
  if (!layouts[agent].grouped) return entries.filter((entry) => !isArbiterHandler(agent, entry));
  const kept: JsonValue[] = [];
  for (const group of entries as JsonObject[]) {
    const handlers = group.hooks as JsonValue[] | undefined;
    if (!handlers?.some((handler) => isArbiterHandler(agent, handler))) {
      kept.push(group);
      continue;
    }
    const rest = handlers.filter((handler) => !isArbiterHandler(agent, handler));
    if (rest.length > 0) kept.push({ ...group, hooks: rest });
  }
  return kept;
}

const equalJson = (a: JsonValue, b: JsonValue) => JSON.stringify(a) === JSON.stringify(b);

export interface SettingsDocument {
  path: string;
  /** Absent when the file does not exist yet. */
  doc?: JsonObject;
  indent: string;
  /** The file's mode, kept when it is rewritten. */
  mode?: number;
  /** The settings path is a symlink; `path` is its target. */
  linked?: boolean;
}

/** Reads an agent's settings file; refuses one that is not a JSON object. */
export function readSettings(path: string): SettingsDocument {
  if (!existsSync(path)) return { path, indent: '  ' };
  let real: string;
  let text: string;
  try {
    real = realpathSync(path);
    text = readFileSync(real, 'utf8');
  } catch (error) {
    throw malformed(
      path,
      `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
  const linked = lstatSync(path).isSymbolicLink();
  if (text.trim() === '')
    return { path: real, doc: {}, indent: '  ', mode: statSync(real).mode & 0o777, linked };
  let doc: unknown;
  try {
    doc = parseJsonText(path, text);
  } catch (error) {
    throw new ArbiterError('ARB_ERR_INPUT_INVALID', `${(error as Error).message}; ${unchanged}`, {
      details: { path },
    });
  }
  if (!isPlainObject(doc)) throw malformed(path, 'not a JSON object');
  return {
    path: real,
    doc: doc as JsonObject,
    indent: /^([ \t]+)\S/m.exec(text)?.[1] ?? '  ',
    mode: statSync(real).mode & 0o777,
    linked,
  };
}

/** Writes the document next to the old file and renames it over, so a crash never leaves half a file. */
function writeSettings(settings: SettingsDocument, doc: JsonObject): void {
  mkdirSync(dirname(settings.path), { recursive: true });
  const temporary = `${settings.path}.arbiter-${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(doc, null, settings.indent)}\n`, {
    mode: settings.mode ?? 0o644,
  });
  if (settings.mode !== undefined) chmodSync(temporary, settings.mode);
  renameSync(temporary, settings.path);
}

export interface SettingsChange {
  path: string;
  /** The events whose Arbiter hook was added, replaced or removed; empty when nothing changed. */
  events: string[];
}

/** Adds (or updates) Arbiter's hooks in the agent's settings file. Installing twice changes nothing. */
export function installHooks(placement: HookPlacement, options: HookCommandOptions): SettingsChange {
  const path = settingsPath(placement);
  const settings = readSettings(path);
  const layout = layouts[placement.agent];
  const doc: JsonObject = structuredClone(settings.doc ?? layout.skeleton);
  for (const [key, value] of Object.entries(layout.skeleton)) if (!(key in doc)) doc[key] = value;
  const hooks: JsonObject = hooksOf(doc, placement.agent, path) ?? {};
  const changed: string[] = [];
  for (const [event, kind] of [
    [layout.pre, 'pre'],
    [layout.post, 'post'],
  ] as const) {
    const wanted = handlerFor(placement.agent, kind, options);
    const entries = (hooks[event] as JsonValue[] | undefined) ?? [];
    const present = arbiterHandlers(placement.agent, entries);
    if (present.length === 1 && equalJson(present[0]!, wanted)) continue;
    const rest = withoutArbiter(placement.agent, entries);
    hooks[event] = [...rest, layout.grouped ? { matcher: '*', hooks: [wanted] } : wanted];
    changed.push(event);
  }
  if (changed.length === 0 && settings.doc !== undefined) return { path, events: [] };
  doc.hooks = hooks;
  writeSettings(settings, doc);
  return { path, events: changed };
}

/** Removes exactly the hooks install added; the file goes when nothing else was in it. */
export function uninstallHooks(placement: HookPlacement): SettingsChange {
  const path = settingsPath(placement);
  const settings = readSettings(path);
  if (!settings.doc) return { path, events: [] };
  const layout = layouts[placement.agent];
  const doc: JsonObject = structuredClone(settings.doc);
  const hooks = hooksOf(doc, placement.agent, path);
  if (!hooks) return { path, events: [] };
  const removed: string[] = [];
  for (const event of [layout.pre, layout.post]) {
    const entries = hooks[event] as JsonValue[] | undefined;
    if (!entries || arbiterHandlers(placement.agent, entries).length === 0) continue;
    const rest = withoutArbiter(placement.agent, entries);
    if (rest.length > 0) hooks[event] = rest;
    else delete hooks[event];
    removed.push(event);
  }
  if (removed.length === 0) return { path, events: [] };
  if (Object.keys(hooks).length === 0) delete doc.hooks;
  // A file reached through a symlink (a dotfiles repository) is emptied, never deleted.
  const empty = equalJson(doc, layout.skeleton) || Object.keys(doc).length === 0;
  if (empty && !settings.linked) rmSync(path);
  else writeSettings(settings, doc);
  return { path, events: removed };
}

/** The Arbiter handlers installed for each event (empty lists when none); for `hook doctor`. */
export function installedHandlers(placement: HookPlacement): {
  path: string;
  exists: boolean;
  handlers: Record<string, JsonObject[]>;
} {
  const path = settingsPath(placement);
  const settings = readSettings(path);
  const layout = layouts[placement.agent];
  const hooks = settings.doc ? hooksOf(settings.doc, placement.agent, path) : undefined;
  const handlers: Record<string, JsonObject[]> = {};
  for (const event of [layout.pre, layout.post])
    handlers[event] = hooks?.[event] ? arbiterHandlers(placement.agent, hooks[event] as JsonValue[]) : [];
  return { path, exists: settings.doc !== undefined, handlers };
}
