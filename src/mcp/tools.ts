import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { z } from 'zod';
import { packageVersion } from '../app/version.js';
import { ArbiterApiError, type ArbiterClient, type Decision } from '../client/index.js';
import { dashboardLink } from '../core/dashboard-links.js';
import { screenToolCalls } from './screen.js';

/**
 * `arbiter mcp serve`: Arbiter's own tools for agents that speak MCP. Each tool is a thin,
 * documented call to the Arbiter API with the agent's token; answers are JSON the model reads.
 */

const resource = z.object({
  type: z.string().min(1).describe('what kind of thing, e.g. service, database, model'),
  id: z.string().min(1).describe('which one, e.g. payments'),
  environment: z.string().min(1).optional().describe('e.g. prod, staging'),
});

const actionShape = {
  action: z.string().min(1).describe('what you want to do, e.g. deploy, db.migrate, rollback'),
  resource,
  change: z.record(z.string(), z.unknown()).optional().describe('what changes, e.g. {"linesChanged": 40}'),
  confidence: z.number().min(0).max(1).optional().describe('how sure you are, 0..1'),
  context: z.record(z.string(), z.unknown()).optional().describe('anything else the policies should know'),
};

/** What a model needs to know about a decision, and where a human approves it. */
export function decisionSummary(decision: Decision, dashboardUrl: string): Record<string, unknown> {
  return {
    decisionId: decision.id,
    status: decision.status,
    effect: decision.effect,
    reasons: decision.reasons.map((reason) => ({
      rule: `${reason.policy}/${reason.rule}`,
      effect: reason.effect,
      message: reason.message,
    })),
    ...(decision.status === 'pending'
      ? {
          approvalsNeeded: decision.approvals.required
            .filter((requirement) => !requirement.met)
            .map((requirement) => ({
              count: requirement.count,
              from: requirement.from,
              ttl: requirement.ttl,
            })),
          approvalUrl: dashboardLink(dashboardUrl, { kind: 'decision', id: decision.id }),
          expiresAt: decision.expiresAt,
          next: 'call wait_for_decision with this decisionId; act only once status is allowed',
        }
      : {}),
    ...(decision.statusReason ? { statusReason: decision.statusReason } : {}),
    ...(decision.outcome ? { outcome: decision.outcome } : {}),
  };
}

const text = (value: unknown, isError = false) => ({
  content: [{ type: 'text' as const, text: JSON.stringify(value, null, 2) }],
  isError,
});

async function guarded(work: () => Promise<unknown>) {
  try {
    return text(await work());
  } catch (error) {
    if (error instanceof ArbiterApiError) return apiError(error);
    return text({ error: { code: 'ARB_ERR_INTERNAL', message: (error as Error).message } }, true);
  }
}

const apiError = (error: { code: string; message: string; details?: unknown }) =>
  text({ error: { code: error.code, message: error.message, details: error.details } }, true);

/** Arbiter's MCP server: tool arguments are screened on every transport it connects to. */
class ArbiterMcpServer extends McpServer {
  override connect(transport: Transport): Promise<void> {
    return super.connect(screenToolCalls(transport, (_tool, error) => apiError(error)));
  }
}

/** An MCP server exposing Arbiter's tools, calling the API with `client` (the agent's token). */
export function createArbiterMcpServer(client: ArbiterClient, options: { dashboardUrl: string }): McpServer {
  const server = new ArbiterMcpServer({ name: 'arbiter', version: packageVersion() });

  server.registerTool(
    'request_action',
    {
      title: 'Ask before acting',
      description:
        'Ask Arbiter for permission before a consequential action (deploy, migrate, roll back, promote a model). ' +
        'Returns status allowed (go ahead), pending (a human must approve: wait with wait_for_decision) or denied (do not act; the reasons say why).',
      inputSchema: {
        ...actionShape,
        rationale: z.string().min(1).describe('why you want to do it; required'),
        idempotencyKey: z
          .string()
          .min(1)
          .max(200)
          .optional()
          .describe('reuse to retry the same request safely'),
      },
    },
    async (input) =>
      guarded(async () => decisionSummary(await client.requestAction(input), options.dashboardUrl)),
  );

  server.registerTool(
    'wait_for_decision',
    {
      title: 'Wait for approval',
      description:
        'Wait until a pending decision is allowed or denied, or the timeout passes. Act only when status is allowed.',
      inputSchema: {
        decisionId: z.string().min(1),
        timeoutSeconds: z
          .number()
          .int()
          .min(1)
          .max(600)
          .optional()
          .describe('how long to wait (default 60, at most 600)'),
      },
    },
    async ({ decisionId, timeoutSeconds }) =>
      guarded(async () =>
        decisionSummary(
          await client.waitForDecision(decisionId, { timeoutMs: (timeoutSeconds ?? 60) * 1000 }),
          options.dashboardUrl,
        ),
      ),
  );

  server.registerTool(
    'report_outcome',
    {
      title: 'Report what happened',
      description:
        'After an allowed action, report whether it succeeded, failed or was rolled back. Failures count against your autonomy.',
      inputSchema: {
        decisionId: z.string().min(1),
        status: z.enum(['succeeded', 'failed', 'rolled_back']),
        detail: z.string().max(2000).optional(),
      },
    },
    async ({ decisionId, status, detail }) =>
      guarded(async () =>
        decisionSummary(await client.reportOutcome(decisionId, status, detail), options.dashboardUrl),
      ),
  );

  server.registerTool(
    'explain_policy',
    {
      title: 'What would be decided?',
      description:
        'Ask what Arbiter would decide for an action, and why, without asking for it: nothing is recorded.',
      inputSchema: { ...actionShape, rationale: z.string().min(1).optional() },
    },
    async (input) =>
      guarded(async () => {
        const verdict = await client.explain(input);
        return {
          effect: verdict.effect,
          reasons: verdict.reasons.map((reason) => ({
            rule: `${reason.policy}/${reason.rule}`,
            effect: reason.effect,
            message: reason.message,
          })),
          approvalsNeeded: verdict.approvals.map(({ count, from, ttl }) => ({ count, from, ttl })),
          bundle: verdict.bundle,
        };
      }),
  );

  return server;
}
