import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Arbiter } from '../../app/arbiter.js';
import { defaultHookOptions, type HookOptions, HookService } from '../../app/hooks/hooks.js';
import { bashSyntax } from '../../app/hooks/shell-parser.js';
import { ArbiterError } from '../../core/errors.js';
import { textProblem } from '../../core/json.js';
import { literals } from '../../core/json-schema.js';
import { hookAgents } from '../../hooks/agents.js';
import type { HookClient } from '../../hooks/request.js';
import { principalOf } from '../auth.js';
import { bodyRefusals, errorResponses } from '../schemas.js';

/** The largest hook body: a Write of a large file carries the whole file. */
export const hookBodyLimit = 2 * 1024 * 1024;

/** Any of the four agents' hook payloads: an object naming its event; each agent's fields are read by src/hooks/payload.ts. */
export const HookPayloadSchema = Type.Object(
  { hook_event_name: Type.String({ minLength: 1, maxLength: 100 }) },
  { additionalProperties: true, maxProperties: 200, description: "The agent's hook payload, verbatim" },
);

/**
 * Every agent's answer (docs/agents.md): Claude Code and Codex answer in `hookSpecificOutput`,
 * Cursor in `permission` + messages, Gemini CLI in `decision` + `reason`; `{}` is no opinion.
 */
export const HookAnswerSchema = Type.Object(
  {
    hookSpecificOutput: Type.Optional(
      Type.Object(
        {
          hookEventName: Type.String(),
          permissionDecision: Type.Optional(literals(['allow', 'deny', 'defer'] as const)),
          permissionDecisionReason: Type.Optional(Type.String()),
          decision: Type.Optional(
            Type.Object(
              { behavior: literals(['allow', 'deny'] as const), message: Type.Optional(Type.String()) },
              { additionalProperties: false },
            ),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    permission: Type.Optional(literals(['allow', 'deny'] as const)),
    user_message: Type.Optional(Type.String()),
    agent_message: Type.Optional(Type.String()),
    decision: Type.Optional(literals(['allow', 'deny'] as const)),
    reason: Type.Optional(Type.String()),
  },
  { additionalProperties: false, description: "The agent's native hook answer, to print verbatim" },
);

const HookParams = Type.Object({ agent: literals(hookAgents) });
const HookQuery = Type.Object(
  {
    pending: Type.Optional(
      literals(['defer', 'deny'] as const, {
        description:
          "How a pending decision is answered: `defer` (Claude Code's PreToolUse in headless `-p` runs) or `deny` (default) with the approval link",
      }),
    ),
  },
  { additionalProperties: false },
);
const encoded = (description: string) => Type.Optional(Type.String({ maxLength: 4096, description }));
const HookHeaders = Type.Object(
  {
    'arbiter-client-repository': encoded("Percent-encoded root of the git repository of the agent's cwd"),
    'arbiter-client-branch': encoded('Percent-encoded current branch'),
    'arbiter-client-remote': encoded('Percent-encoded remote URL (origin)'),
    'arbiter-client-user': encoded(
      'Percent-encoded person running the agent: recorded as onBehalfOf, may not approve',
    ),
    'arbiter-wait': Type.Optional(
      Type.String({
        pattern: '^[0-9]{1,6}$',
        description: 'Seconds to wait for a pending approval (default 0, at most 300)',
      }),
    ),
  },
  { additionalProperties: true },
);

/** The hook endpoint's configuration from the environment: `ARBITER_HOOKS_ENVIRONMENT`, `ARBITER_HOOKS_ALLOW`. */
export function hookOptionsFromEnvironment(
  env: NodeJS.ProcessEnv,
  dashboardUrl: string | undefined,
): HookOptions {
  const allow = env.ARBITER_HOOKS_ALLOW ?? 'allow';
  if (allow !== 'allow' && allow !== 'no-opinion')
    throw new ArbiterError(
      'ARB_ERR_USAGE',
      `ARBITER_HOOKS_ALLOW is allow or no-opinion, not ${JSON.stringify(allow)}`,
    );
  return {
    ...defaultHookOptions,
    environment: env.ARBITER_HOOKS_ENVIRONMENT || defaultHookOptions.environment,
    allowAnswer: allow,
    ...(dashboardUrl ? { dashboardUrl } : {}),
  };
}

/** Coding-agent hooks: `POST /v1/hooks/:agent` with the agent's payload, answered in its own shape. */
export function hookRoutes(app: FastifyInstance, arbiter: Arbiter, options: HookOptions): void {
  const hooks = new HookService(arbiter.decisions, arbiter.store, bashSyntax(), options);
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  api.post(
    '/v1/hooks/:agent',
    {
      bodyLimit: hookBodyLimit,
      config: { roles: ['agent', 'approver', 'admin'] },
      schema: {
        tags: ['hooks'],
        summary:
          "A coding agent's hook (Claude Code, Codex, Cursor, Gemini CLI): before a tool call, Arbiter's decision in the agent's own answer shape; after it, the outcome. The bearer token's System is the actor",
        security: [{ bearer: [] }],
        params: HookParams,
        querystring: HookQuery,
        headers: HookHeaders,
        body: HookPayloadSchema,
        response: { 200: HookAnswerSchema, ...errorResponses(401, 403, 404, 409), ...bodyRefusals },
      },
    },
    async (request, reply) => {
      const headers = request.headers;
      const client: HookClient = {};
      for (const [field, header] of [
        ['repository', 'arbiter-client-repository'],
        ['branch', 'arbiter-client-branch'],
        ['remote', 'arbiter-client-remote'],
        ['user', 'arbiter-client-user'],
      ] as const) {
        const value = headers[header];
        if (typeof value === 'string' && value.length > 0) client[field] = percentDecoded(header, value);
      }
      const result = await hooks.handle(principalOf(request), {
        agent: request.params.agent,
        payload: request.body,
        client,
        waitSeconds: Number(headers['arbiter-wait'] ?? 0),
        pending: request.query.pending ?? 'deny',
      });
      if (result.decisionId) reply.header('arbiter-decision-id', result.decisionId);
      return reply.code(200).send(result.answer);
    },
  );
}

/**
 * A client header's text. Raw header bytes cannot carry U+0000 (Node's parser refuses them), but
 * `%00` decodes to it: the decoded text gets the check every body and query string gets.
 */
function percentDecoded(header: string, value: string): string {
  let text: string;
  try {
    text = decodeURIComponent(value);
  } catch {
    throw new ArbiterError('ARB_ERR_REQUEST_INVALID', `the ${header} header is not percent-encoded UTF-8`, {
      details: { header },
    });
  }
  const problem = textProblem(text);
  if (problem)
    throw new ArbiterError('ARB_ERR_REQUEST_INVALID', `headers/${header} ${problem}`, {
      details: { reason: 'text', path: `headers/${header}`, header },
    });
  return text;
}
