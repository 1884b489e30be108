import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  CallToolRequestSchema,
  type CallToolResult,
  ListToolsRequestSchema,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { type Static, type TObject, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { DecisionRequestSchema, OutcomeRequestSchema } from '../app/decisions/requests.js';
import { packageVersion } from '../app/version.js';
import { ArbiterApiError, type ArbiterClient, type Decision } from '../client/index.js';
import { dashboardLink } from '../core/dashboard-links.js';
import { ActionRequestSchema } from '../policy/request.js';
import { screenToolCalls } from './screen.js';

/**
 * `arbiter mcp serve`: Arbiter's own tools for agents that speak MCP. Each tool is a thin,
 * documented call to the Arbiter API with the agent's token; answers are JSON the model reads.
 * Tool inputs are the API's own request schemas (JSON Schema from TypeBox), checked here as the
 * API checks them, so a model sees and meets exactly what the server will accept.
 */

const DecisionIdInput = Type.String({
  minLength: 1,
  maxLength: 100,
  description: 'the decisionId of a decision',
});

// Agents must say why; the API answers a missing rationale with ARB_ERR_RATIONALE_REQUIRED, the tool asks for it upfront.
const RequestActionInput = Type.Object(
  {
    ...DecisionRequestSchema.properties,
    rationale: Type.String({
      minLength: 1,
      maxLength: ActionRequestSchema.properties.rationale.maxLength,
      description: ActionRequestSchema.properties.rationale.description,
    }),
  },
  { additionalProperties: false },
);

const WaitInput = Type.Object(
  {
    decisionId: DecisionIdInput,
    timeoutSeconds: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 600, description: 'how long to wait (default 60, at most 600)' }),
    ),
  },
  { additionalProperties: false },
);

const StartInput = Type.Object({ decisionId: DecisionIdInput }, { additionalProperties: false });

const OutcomeInput = Type.Object(
  { decisionId: DecisionIdInput, ...OutcomeRequestSchema.properties },
  { additionalProperties: false },
);

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
    ...(decision.status === 'allowed'
      ? {
          startBy: decision.expiresAt,
          next: 'call start_action with this decisionId right before acting; act only if it answers started',
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

/** One tool: its description for the model, its input schema, and what it does with valid input. */
interface ToolDefinition<Input extends TObject> {
  name: string;
  title: string;
  description: string;
  input: Input;
  run(input: Static<Input>): Promise<unknown>;
}

const tool = <Input extends TObject>(definition: ToolDefinition<Input>) =>
  definition as unknown as ToolDefinition<TObject>;

/** The arguments' problems as the HTTP API words a 400: `arguments/path message`. */
function argumentsError(schema: TObject, args: unknown) {
  const details = [...Value.Errors(schema, args)].map((error) => ({
    path: `arguments${error.path}`,
    message: error.message,
  }));
  return apiError({
    code: 'ARB_ERR_REQUEST_INVALID',
    message: details.map((detail) => `${detail.path} ${detail.message}`).join('; '),
    details,
  });
}

/** Arbiter's MCP server: tool arguments are screened on every transport it connects to. */
class ArbiterMcpServer extends Server {
  override connect(transport: Transport): Promise<void> {
    return super.connect(screenToolCalls(transport, (_tool, error) => apiError(error)));
  }
}

/** An MCP server exposing Arbiter's tools, calling the API with `client` (the agent's token). */
export function createArbiterMcpServer(client: ArbiterClient, options: { dashboardUrl: string }): Server {
  const tools = [
    tool({
      name: 'request_action',
      title: 'Ask before acting',
      description:
        'Ask Arbiter for permission before a consequential action (deploy, migrate, roll back, promote a model). ' +
        'Returns status allowed (claim it with start_action, then act), pending (a human must approve: wait with wait_for_decision) or denied (do not act; the reasons say why).',
      input: RequestActionInput,
      run: async (input) => decisionSummary(await client.requestAction(input), options.dashboardUrl),
    }),
    tool({
      name: 'wait_for_decision',
      title: 'Wait for approval',
      description:
        'Wait until a pending decision is allowed or denied, or the timeout passes. Act only when status is allowed.',
      input: WaitInput,
      run: async ({ decisionId, timeoutSeconds }) =>
        decisionSummary(
          await client.waitForDecision(decisionId, { timeoutMs: (timeoutSeconds ?? 60) * 1000 }),
          options.dashboardUrl,
        ),
    }),
    tool({
      name: 'start_action',
      title: 'Start an allowed action',
      description:
        'Claim an allowed decision right before acting on it. It succeeds once (status started); an error means do not act: it already ran, a freeze revoked it, or its execution window passed (ask again).',
      input: StartInput,
      run: async ({ decisionId }) => decisionSummary(await client.start(decisionId), options.dashboardUrl),
    }),
    tool({
      name: 'report_outcome',
      title: 'Report what happened',
      description:
        'After an allowed action, report whether it succeeded, failed or was rolled back. Failures count against your autonomy.',
      input: OutcomeInput,
      run: async ({ decisionId, status, detail }) =>
        decisionSummary(await client.reportOutcome(decisionId, status, detail), options.dashboardUrl),
    }),
    tool({
      name: 'explain_policy',
      title: 'What would be decided?',
      description:
        'Ask what Arbiter would decide for an action, and why, without asking for it: nothing is recorded.',
      input: ActionRequestSchema,
      run: async (input) => {
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
      },
    }),
  ];
  const byName = new Map(tools.map((definition) => [definition.name, definition]));

  const server = new ArbiterMcpServer(
    { name: 'arbiter', version: packageVersion() },
    { capabilities: { tools: {} } },
  );
  // As JSON: the schemas' TypeBox markers stay here, whatever transport carries the list.
  const listed = tools.map(
    ({ name, title, description, input }): Tool => ({
      name,
      title,
      description,
      inputSchema: JSON.parse(JSON.stringify(input)) as Tool['inputSchema'],
    }),
  );
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: listed }));
  server.setRequestHandler(CallToolRequestSchema, async (request): Promise<CallToolResult> => {
    const definition = byName.get(request.params.name);
    if (!definition)
      return apiError({ code: 'ARB_ERR_NOT_FOUND', message: `no tool ${request.params.name}` });
    const args = request.params.arguments ?? {};
    if (!Value.Check(definition.input, args)) return argumentsError(definition.input, args);
    return guarded(() => definition.run(args));
  });
  return server;
}
