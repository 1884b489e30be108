/**
 * The coding agents whose hooks Arbiter answers, their hook events, and the normalised tool kinds
 * their tools map to (docs/agents.md is the contract).
 */

/** The agents, as they appear in `POST /v1/hooks/:agent` and `arbiter hook AGENT`. */
export const hookAgents = ['claude-code', 'codex', 'cursor', 'gemini'] as const;
export type HookAgent = (typeof hookAgents)[number];

/** How people call each agent in messages. */
export const agentTitles: Record<HookAgent, string> = {
  'claude-code': 'Claude Code',
  codex: 'Codex',
  cursor: 'Cursor',
  gemini: 'Gemini CLI',
};

/**
 * The hook events each agent documents that Arbiter answers: `before` events ask for a decision,
 * `after` events report the outcome of one.
 */
export const hookEvents = {
  'claude-code': {
    PreToolUse: 'before',
    PermissionRequest: 'before',
    PostToolUse: 'after',
    PostToolUseFailure: 'after',
  },
  codex: { PreToolUse: 'before', PermissionRequest: 'before', PostToolUse: 'after' },
  cursor: {
    preToolUse: 'before',
    beforeShellExecution: 'before',
    beforeMCPExecution: 'before',
    postToolUse: 'after',
    postToolUseFailure: 'after',
    afterShellExecution: 'after',
    afterMCPExecution: 'after',
  },
  gemini: { BeforeTool: 'before', AfterTool: 'after' },
} as const satisfies Record<HookAgent, Record<string, 'before' | 'after'>>;

export type HookPhase = 'before' | 'after';

/** The normalised kinds of tool; the action of a tool call is `agent.tool.<kind>`. */
export const toolKinds = [
  'shell',
  'file.read',
  'file.write',
  'file.edit',
  'web.fetch',
  'web.search',
  'mcp',
  'other',
] as const;
export type ToolKind = (typeof toolKinds)[number];

/** The action of a tool call of `kind`. */
export function toolAction(kind: ToolKind): `agent.tool.${ToolKind}` {
  return `agent.tool.${kind}`;
}
