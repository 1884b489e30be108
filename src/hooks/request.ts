import { join, normalize } from 'node:path/posix';
import { canonicalDigest, canonicalJson } from '../core/canonical-json.js';
import { sha256Hex } from '../core/digest.js';
import type { JsonObject, JsonValue } from '../core/json.js';
import { userRef } from '../identity/actor-ref.js';
import { normaliseUserName } from '../identity/names.js';
import type { ActionRequest } from '../policy/request.js';
import { agentTitles, type HookAgent, type ToolKind, toolAction } from './agents.js';
import type { HookCall } from './payload.js';
import { defaultShellLimits, type ShellLimits, type ShellSyntax, shellFacts } from './shell-facts.js';

/**
 * A hook call as an action request (the mapping contract of docs/agents.md): action
 * `agent.tool.<kind>`, resource `{type: "tool", id: <tool name>, environment}`, and in `context`
 * the facts a policy reads — tool, session, git, path, host, parsed command — while the tool's raw
 * input goes only as `{digest, size}`.
 */

/** What the local client (`arbiter hook`) adds: facts only the developer's machine can see. */
export interface HookClient {
  repository?: string;
  branch?: string;
  remote?: string;
  /** The person running the agent; recorded as `onBehalfOf`, who may not approve the request. */
  user?: string;
}

export interface HookMapping {
  /** The resource environment of every tool call (configuration: `development` by default). */
  environment: string;
  syntax: ShellSyntax;
  shellLimits?: ShellLimits;
}

/** The tool names each agent documents, by kind; anything else is `other` (or `mcp` by its name). */
const toolKindsByAgent: Record<HookAgent, Record<string, ToolKind>> = {
  'claude-code': {
    Bash: 'shell',
    Read: 'file.read',
    Glob: 'file.read',
    Grep: 'file.read',
    LS: 'file.read',
    Write: 'file.write',
    Edit: 'file.edit',
    MultiEdit: 'file.edit',
    NotebookEdit: 'file.edit',
    WebFetch: 'web.fetch',
    WebSearch: 'web.search',
  },
  codex: {
    Bash: 'shell',
    shell: 'shell',
    local_shell: 'shell',
    exec_command: 'shell',
    apply_patch: 'file.edit',
    NetworkAccess: 'web.fetch',
    web_search: 'web.search',
  },
  cursor: {
    Shell: 'shell',
    Read: 'file.read',
    Grep: 'file.read',
    Glob: 'file.read',
    LS: 'file.read',
    Write: 'file.write',
    Delete: 'file.write',
    StrReplace: 'file.edit',
    Edit: 'file.edit',
    MultiEdit: 'file.edit',
    WebFetch: 'web.fetch',
    WebSearch: 'web.search',
  },
  gemini: {
    run_shell_command: 'shell',
    read_file: 'file.read',
    read_many_files: 'file.read',
    list_directory: 'file.read',
    glob: 'file.read',
    search_file_content: 'file.read',
    write_file: 'file.write',
    replace: 'file.edit',
    web_fetch: 'web.fetch',
    google_web_search: 'web.search',
  },
};

/** The normalised kind of a call's tool. */
export function toolKindOf(call: Pick<HookCall, 'agent' | 'toolName' | 'mcp' | 'event'>): ToolKind {
  if (call.event === 'beforeShellExecution' || call.event === 'afterShellExecution') return 'shell';
  if (call.mcp) return 'mcp';
  return toolKindsByAgent[call.agent][call.toolName] ?? 'other';
}

/**
 * The key that finds the decision of a tool call again: the agent, the session, the tool and the
 * input's digest — not the tool-use id, which changes on every retry and on a resumed session.
 */
export function hookIdempotencyKey(
  call: Pick<HookCall, 'agent' | 'sessionId' | 'toolName' | 'toolInput'>,
): string {
  const input = canonicalDigest(call.toolInput).digest;
  return `hook:${call.agent}:${sha256Hex(canonicalJson([call.agent, call.sessionId, call.toolName, input]))}`;
}

/** The person at the keyboard as an actor reference (`user:<name>`); throws ARB_ERR_IDENTITY_NAME_INVALID. */
export function onBehalfOfRef(user: string): string {
  return userRef(normaliseUserName(user.replace(/^user:/, '')));
}

const pathFields = [
  'file_path',
  'path',
  'absolute_path',
  'notebook_path',
  'target_file',
  'filePath',
  'dir_path',
];
const contentFields = ['content', 'new_string', 'newString', 'contents', 'edits', 'new_source'];

/** The request for a before-tool call. */
export function hookRequest(call: HookCall, client: HookClient, mapping: HookMapping): ActionRequest {
  const kind = toolKindOf(call);
  const input = isObject(call.toolInput) ? call.toolInput : {};
  const workspace = client.repository ?? call.workspaceRoots?.[0] ?? call.cwd;
  const context: JsonObject = {
    tool: {
      kind,
      name: call.toolName,
      agent: call.agent,
      ...(call.mcp?.server ? { server: call.mcp.server } : {}),
      ...(call.mcp?.tool ? { tool: call.mcp.tool } : {}),
      input: { ...canonicalDigest(call.toolInput) },
    },
    session: {
      agent: call.agent,
      id: call.sessionId,
      ...(call.cwd ? { cwd: call.cwd } : {}),
      ...(call.permissionMode ? { permissionMode: call.permissionMode } : {}),
    },
  };
  const git = {
    ...(client.repository ? { repository: client.repository } : {}),
    ...(client.branch ? { branch: client.branch } : {}),
    ...(client.remote ? { remote: client.remote } : {}),
  };
  if (Object.keys(git).length > 0) context.git = git;
  if (workspace) context.workspace = workspace;
  const user = client.user ?? call.userEmail;
  if (user) context.onBehalfOf = onBehalfOfRef(user);

  if (kind.startsWith('file.') || kind === 'other') {
    const paths = filePaths(call, input);
    if (paths.length > 0) {
      const absolute = paths.map((path) => absolutePath(path, call.cwd));
      context.path = absolute[0]!;
      if (absolute.length > 1) context.paths = absolute;
      if (workspace) context.pathInWorkspace = absolute.every((path) => isWithin(path, workspace));
    }
    const content = contentFields.find((field) => input[field] !== undefined);
    if (content) context.content = { ...canonicalDigest(input[content]!) };
  }
  if (kind === 'web.fetch' || kind === 'web.search') {
    const host = hostOf(input);
    if (host) context.host = host;
  }
  if (kind === 'shell') {
    const command = typeof input.command === 'string' ? input.command : commandOf(input);
    const limits = mapping.shellLimits ?? defaultShellLimits;
    const facts = shellFacts(command, mapping.syntax, limits);
    context.command = {
      ...facts,
      // A command too large to parse travels as its digest and a prefix, never whole.
      raw: command.length > limits.maxLength ? `${command.slice(0, 1024)}…` : command,
      ...(command.length > limits.maxLength ? { rawInput: { ...canonicalDigest(command) } } : {}),
      commands: facts.commands.map((cmd) => ({ ...cmd, redirects: cmd.redirects.map((r) => ({ ...r })) })),
    } as unknown as JsonObject;
  }
  return {
    action: toolAction(kind),
    resource: { type: 'tool', id: call.toolName.slice(0, 500), environment: mapping.environment },
    rationale: rationaleOf(call, input),
    context,
  };
}

function isObject(value: JsonValue): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Codex's shell tools give the command as an argv array. */
function commandOf(input: JsonObject): string {
  const command = input.command ?? input.cmd;
  if (Array.isArray(command)) return command.map((word) => shellQuote(String(word))).join(' ');
  return typeof command === 'string' ? command : '';
}

function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./=:@%+,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

function filePaths(call: HookCall, input: JsonObject): string[] {
  const field = pathFields.find((name) => typeof input[name] === 'string');
  if (field) return [input[field] as string];
  if (Array.isArray(input.paths))
    return input.paths.filter((path): path is string => typeof path === 'string');
  // Codex's apply_patch names its files in the patch: `*** Update File: path`.
  const patch =
    typeof input.command === 'string' ? input.command : typeof input.patch === 'string' ? input.patch : '';
  if (call.toolName === 'apply_patch' || patch.startsWith('*** Begin Patch'))
    return [...patch.matchAll(/^\*\*\* (?:Add|Update|Delete) File: (.+)$/gm)].map((match) =>
      match[1]!.trim(),
    );
  return [];
}

function absolutePath(path: string, cwd: string | undefined): string {
  return normalize(path.startsWith('/') || !cwd ? path : join(cwd, path));
}

function isWithin(path: string, root: string): boolean {
  const base = normalize(root).replace(/\/+$/, '');
  return path === base || path.startsWith(`${base}/`);
}

/** The host of a fetch: its `url`, or the first URL in a prompt (Gemini CLI's web_fetch), or Codex's host. */
function hostOf(input: JsonObject): string | undefined {
  const candidates = [input.url, input.prompt, input.command, input.host].filter(
    (value): value is string => typeof value === 'string',
  );
  for (const candidate of candidates) {
    const url =
      /https?:\/\/[^\s"'<>]+/i.exec(candidate)?.[0] ??
      (/^[a-z0-9.-]+(:\d+)?$/i.test(candidate) ? `https://${candidate}` : undefined);
    if (!url) continue;
    try {
      return new URL(url).hostname.toLowerCase();
    } catch {}
  }
  return undefined;
}

function rationaleOf(call: HookCall, input: JsonObject): string {
  const said = typeof input.description === 'string' ? input.description.trim() : '';
  const base = `${agentTitles[call.agent]} ${call.event}: ${call.toolName}`;
  return (said ? `${base} — ${said}` : base).slice(0, 1000);
}
