import type { JsonObject } from '../core/json.js';
import type { HookCall } from './payload.js';

/**
 * Arbiter's verdict as each agent's own hook output, in exactly the documented shapes
 * (test/fixtures/hooks/README.md names them). Never `ask`: the person at the keyboard is usually
 * the requester, and may not approve their own agent's request.
 */

export type HookVerdict =
  /** Allowed: the agent proceeds. */
  | { kind: 'allow'; reason: string }
  /** Allowed, answered as no opinion: the agent's own permission prompts still apply. */
  | { kind: 'no-opinion' }
  | { kind: 'deny'; reason: string }
  /**
   * Waiting for approval. `defer` only for Claude Code's PreToolUse in headless mode, where the
   * run stops with `tool_deferred` and a resumed run asks again; everywhere else it is a denial
   * whose reason carries the approval link and the `arbiter approve` line.
   */
  | { kind: 'pending'; reason: string; defer: boolean };

/** The agent's native answer to `call` (after-tool events: always no opinion). */
export function hookAnswer(
  call: Pick<HookCall, 'agent' | 'event' | 'phase'>,
  verdict: HookVerdict,
): JsonObject {
  if (call.phase === 'after' || verdict.kind === 'no-opinion') return {};
  const deny = verdict.kind !== 'allow';
  const reason = verdict.reason;
  switch (call.agent) {
    case 'claude-code':
      if (call.event === 'PermissionRequest')
        return {
          hookSpecificOutput: {
            hookEventName: 'PermissionRequest',
            decision: deny ? { behavior: 'deny', message: reason } : { behavior: 'allow' },
          },
        };
      return {
        hookSpecificOutput: {
          hookEventName: 'PreToolUse',
          permissionDecision: verdict.kind === 'pending' && verdict.defer ? 'defer' : deny ? 'deny' : 'allow',
          permissionDecisionReason: reason,
        },
      };
    case 'codex':
      if (call.event === 'PermissionRequest')
        return {
          hookSpecificOutput: {
            hookEventName: 'PermissionRequest',
            decision: deny ? { behavior: 'deny', message: reason } : { behavior: 'allow' },
          },
        };
      // Codex refuses `permissionDecision: allow` without `updatedInput` (output_parser.rs): an
      // allowed call is answered with no decision, and Codex's own rules apply.
      return deny
        ? {
            hookSpecificOutput: {
              hookEventName: 'PreToolUse',
              permissionDecision: 'deny',
              permissionDecisionReason: reason,
            },
          }
        : {};
    case 'cursor':
      return deny
        ? { permission: 'deny', user_message: reason, agent_message: reason }
        : { permission: 'allow' };
    case 'gemini':
      return deny ? { decision: 'deny', reason } : { decision: 'allow' };
  }
}
