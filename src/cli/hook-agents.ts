/** The coding agents `arbiter hook` speaks for; each name is also the path of its server route. */
export const hookAgents = ['claude-code', 'codex', 'cursor', 'gemini'] as const;

export type HookAgent = (typeof hookAgents)[number];

export function isHookAgent(value: unknown): value is HookAgent {
  return typeof value === 'string' && (hookAgents as readonly string[]).includes(value);
}
