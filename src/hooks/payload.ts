import { isPlainObject, type JsonValue } from '../core/json.js';
import { type HookAgent, type HookPhase, hookEvents } from './agents.js';

/**
 * One hook call of a coding agent, read from its documented payload (field names as each agent
 * documents them: test/fixtures/hooks/README.md names the sources).
 */
export interface HookCall {
  agent: HookAgent;
  /** The agent's own event name (`PreToolUse`, `beforeShellExecution`, `BeforeTool`…). */
  event: string;
  phase: HookPhase;
  /** Claude Code / Codex / Gemini `session_id`, Cursor `conversation_id`. */
  sessionId: string;
  /** The tool call's id where the agent gives one; it changes on every retry, so nothing is keyed on it. */
  toolUseId?: string;
  cwd?: string;
  /** Cursor's workspace roots. */
  workspaceRoots?: string[];
  permissionMode?: string;
  /** The agent's own tool name (`Bash`, `run_shell_command`, `Shell`, `mcp__github__create_issue`…). */
  toolName: string;
  /** The tool's raw input (never sent on whole: see request.ts). */
  toolInput: JsonValue;
  /** For MCP tools: the server (as the agent names it) and the tool. */
  mcp?: { server?: string; tool?: string };
  /** After-tool events: whether the tool succeeded. */
  succeeded?: boolean;
  /** The signed-in user the agent reports (Cursor's `user_email`), a hint only. */
  userEmail?: string;
}

/** Why a payload is not a hook call Arbiter can answer (`ARB_ERR_HOOK_PAYLOAD`'s details.reason). */
export type HookPayloadProblem =
  | { reason: 'not-an-object' }
  | { reason: 'unknown-event'; event: string | undefined }
  | { reason: 'missing-field'; field: string }
  | { reason: 'wrong-type'; field: string };

type Payload = Record<string, unknown>;

/** Reads `payload` as a hook call of `agent`, or says what is wrong with it. */
export function readHookCall(agent: HookAgent, payload: unknown): HookCall | HookPayloadProblem {
  if (!isPlainObject(payload)) return { reason: 'not-an-object' };
  const event = typeof payload.hook_event_name === 'string' ? payload.hook_event_name : undefined;
  const events: Record<string, HookPhase> = hookEvents[agent];
  const phase = event !== undefined && Object.hasOwn(events, event) ? events[event] : undefined;
  if (event === undefined || phase === undefined) return { reason: 'unknown-event', event };
  try {
    return readers[agent](payload, event, phase);
  } catch (problem) {
    if (problem instanceof FieldProblem) return problem.problem;
    throw problem;
  }
}

/** True when `read` is a problem rather than a call. */
export function isHookPayloadProblem(read: HookCall | HookPayloadProblem): read is HookPayloadProblem {
  return 'reason' in read;
}

class FieldProblem extends Error {
  constructor(readonly problem: HookPayloadProblem) {
    super(problem.reason);
  }
}

function text(payload: Payload, field: string): string {
  const value = payload[field];
  if (value === undefined || value === null) throw new FieldProblem({ reason: 'missing-field', field });
  if (typeof value !== 'string' || value.length === 0)
    throw new FieldProblem({ reason: 'wrong-type', field });
  return value;
}

function optionalText(payload: Payload, field: string): string | undefined {
  const value = payload[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new FieldProblem({ reason: 'wrong-type', field });
  return value;
}

/** A tool input: an object, or (Cursor's MCP events) a JSON string of one. */
function toolInput(payload: Payload, field = 'tool_input'): JsonValue {
  const value = payload[field];
  if (value === undefined || value === null) return {};
  if (typeof value === 'string') {
    try {
      return JSON.parse(value) as JsonValue;
    } catch {
      return value;
    }
  }
  return value as JsonValue;
}

/** `mcp__server__tool` (Claude Code, Codex, Gemini CLI's naming of MCP tools). */
export function mcpName(toolName: string): { server: string; tool: string } | undefined {
  const match = /^mcp__(.+?)__(.+)$/.exec(toolName);
  return match ? { server: match[1]!, tool: match[2]! } : undefined;
}

/** Claude Code and Codex share one payload shape (Codex adopted Claude Code's hook protocol). */
function claudeLike(agent: 'claude-code' | 'codex') {
  return (payload: Payload, event: string, phase: HookPhase): HookCall => {
    const toolName = text(payload, 'tool_name');
    const mcp = mcpName(toolName);
    const call: HookCall = {
      agent,
      event,
      phase,
      sessionId: text(payload, 'session_id'),
      toolName,
      toolInput: toolInput(payload),
      ...optional('toolUseId', optionalText(payload, 'tool_use_id')),
      ...optional('cwd', optionalText(payload, 'cwd')),
      ...optional('permissionMode', optionalText(payload, 'permission_mode')),
      ...(mcp ? { mcp } : {}),
    };
    if (phase === 'after')
      call.succeeded = event !== 'PostToolUseFailure' && !failedResponse(payload.tool_response);
    return call;
  };
}

/**
 * Whether a tool response reports failure: an `error`, `is_error`/`success: false`, an
 * `interrupted` flag, or a non-zero exit code — the fields the agents' responses use.
 */
function failedResponse(response: unknown): boolean {
  if (!isPlainObject(response)) return false;
  if (response.is_error === true || response.success === false || response.interrupted === true) return true;
  if (response.error !== undefined && response.error !== null && response.error !== '') return true;
  for (const field of ['exit_code', 'exitCode', 'returnCode', 'return_code'])
    if (typeof response[field] === 'number' && response[field] !== 0) return true;
  return false;
}

const readers: Record<HookAgent, (payload: Payload, event: string, phase: HookPhase) => HookCall> = {
  'claude-code': claudeLike('claude-code'),
  codex: claudeLike('codex'),
  cursor: (payload, event, phase) => {
    const roots = Array.isArray(payload.workspace_roots)
      ? payload.workspace_roots.filter((root): root is string => typeof root === 'string')
      : undefined;
    const common = {
      agent: 'cursor' as const,
      event,
      phase,
      sessionId: text(payload, 'conversation_id'),
      ...optional(
        'toolUseId',
        optionalText(payload, 'tool_use_id') ?? optionalText(payload, 'generation_id'),
      ),
      ...optional('cwd', optionalText(payload, 'cwd') ?? roots?.[0]),
      ...(roots && roots.length > 0 ? { workspaceRoots: roots } : {}),
      ...optional('userEmail', optionalText(payload, 'user_email')),
    };
    if (event === 'beforeShellExecution' || event === 'afterShellExecution') {
      const command = text(payload, 'command');
      return {
        ...common,
        toolName: 'Shell',
        toolInput: { command },
        ...(phase === 'after' ? { succeeded: !failedResponse(payload) } : {}),
      };
    }
    if (event === 'beforeMCPExecution' || event === 'afterMCPExecution') {
      const tool = text(payload, 'tool_name');
      const server = optionalText(payload, 'url') ?? optionalText(payload, 'command');
      return {
        ...common,
        toolName: tool,
        toolInput: toolInput(payload),
        mcp: { tool, ...(server ? { server } : {}) },
        ...(phase === 'after' ? { succeeded: !failedResponse(payload) } : {}),
      };
    }
    const toolName = text(payload, 'tool_name');
    // Cursor names MCP tools `MCP:<tool>` in preToolUse.
    const mcp = toolName.startsWith('MCP:') ? { tool: toolName.slice(4) } : mcpName(toolName);
    return {
      ...common,
      toolName,
      toolInput: toolInput(payload),
      ...(mcp ? { mcp } : {}),
      ...(phase === 'after'
        ? { succeeded: event !== 'postToolUseFailure' && !failedResponse(payload.tool_output ?? payload) }
        : {}),
    };
  },
  gemini: (payload, event, phase) => {
    const toolName = text(payload, 'tool_name');
    const context = isPlainObject(payload.mcp_context) ? payload.mcp_context : undefined;
    const named = mcpName(toolName);
    const server = typeof context?.server_name === 'string' ? context.server_name : named?.server;
    const tool = typeof context?.tool_name === 'string' ? context.tool_name : named?.tool;
    return {
      agent: 'gemini',
      event,
      phase,
      sessionId: text(payload, 'session_id'),
      toolName,
      toolInput: toolInput(payload),
      ...optional('cwd', optionalText(payload, 'cwd')),
      ...(server || tool ? { mcp: { ...optional('server', server), ...optional('tool', tool) } } : {}),
      ...(phase === 'after' ? { succeeded: !failedResponse(payload.tool_response) } : {}),
    };
  },
};

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
