import { createHash } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  CallToolRequestSchema,
  type CallToolResult,
  ListToolsRequestSchema,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { packageVersion } from '../app/version.js';
import { ArbiterApiError, type ArbiterClient, type Decision } from '../client/index.js';
import { dashboardLink } from '../core/dashboard-links.js';
import { argumentsDigest, ToolPins } from './fingerprint.js';
import { screenToolCalls } from './screen.js';

/**
 * `arbiter mcp proxy`: puts any MCP server (spoken to over stdio) behind Arbiter. Every tool call
 * becomes a decision (`mcp.tool.<server>.<tool>`); allowed calls are claimed (started) and
 * forwarded with the exact arguments that were decided on; pending calls wait for a human
 * (bounded) and are withdrawn when the wait ends or the client cancels or goes away, so nobody
 * approves a call that will never run; denied calls come back as tool errors with the reasons. Tools that policy denies outright are not listed, and a
 * tool whose definition changes during the session is blocked and reported to the ledger.
 */
export interface ProxyOptions {
  /** The downstream server's name in action names: `mcp.tool.<name>.<tool>`. */
  name: string;
  /** How to start the downstream server. */
  command: string;
  args: string[];
  /** Variables for the wrapped server on top of this process's environment (minus Arbiter's credentials). */
  env?: Record<string, string>;
  client: ArbiterClient;
  /** Environment the tool acts in, for policies' `environments` filter. */
  environment?: string;
  /** How long a call waits for approval before it fails. */
  waitMs: number;
  rationale: string;
  dashboardUrl: string;
  log?: (message: string) => void;
}

export interface RunningProxy {
  close(): Promise<void>;
}

const toolError = (message: string, details?: Record<string, unknown>): CallToolResult => ({
  content: [{ type: 'text', text: details ? `${message}\n${JSON.stringify(details, null, 2)}` : message }],
  isError: true,
});

/**
 * What the outcome says of a tool's result: its size and digest, never its content. Results can
 * hold anything the tool read (a `.env` file, a customer record); the ledger is permanent.
 */
export function resultSummary(result: CallToolResult): string {
  const canonical = JSON.stringify(result.content ?? []);
  const bytes = Buffer.byteLength(canonical);
  const kinds = [...new Set((result.content ?? []).map((item) => item.type))].join(', ') || 'nothing';
  const digest = createHash('sha256').update(canonical).digest('hex');
  return `${result.isError ? 'tool error' : 'tool result'}: ${kinds}, ${bytes} bytes, sha256:${digest}`;
}

/**
 * The environment the wrapped server starts with: this process's, so servers that read their
 * credentials from it (the GitHub MCP server's token) work — minus Arbiter's own credentials,
 * which the wrapped server has no business seeing.
 */
export function wrappedServerEnvironment(
  parent: NodeJS.ProcessEnv,
  extra: Record<string, string> = {},
): Record<string, string> {
  const inherited: Record<string, string> = {};
  for (const [name, value] of Object.entries(parent)) {
    if (value === undefined || isArbiterCredential(name)) continue;
    inherited[name] = value;
  }
  return { ...inherited, ...extra };
}

/** ARBITER_TOKEN, ARBITER_REDTEAM_*_TOKEN, ARBITER_DB (may hold a password), and any ARBITER_* secret. */
function isArbiterCredential(name: string): boolean {
  return /^ARBITER_/i.test(name) && /(TOKEN|SECRET|PASSWORD|KEY|^ARBITER_DB$)/i.test(name);
}

/** Starts the downstream server and serves the governed tools on `upstream`. */
export async function startProxy(options: ProxyOptions, upstream: Transport): Promise<RunningProxy> {
  const log = options.log ?? (() => {});
  const downstream = new Client({ name: `arbiter-proxy/${options.name}`, version: packageVersion() });
  await downstream.connect(
    new StdioClientTransport({
      command: options.command,
      args: options.args,
      env: wrappedServerEnvironment(process.env, options.env),
      stderr: 'inherit',
    }),
  );
  const pins = new ToolPins();
  const actionOf = (tool: string) => `mcp.tool.${options.name}.${tool}`;
  const resourceOf = (tool: string) => ({
    type: 'mcp-tool',
    id: `${options.name}/${tool}`,
    ...(options.environment ? { environment: options.environment } : {}),
  });

  /** Lists downstream tools, blocking and reporting any whose definition changed. */
  const currentTools = async (): Promise<Tool[]> => {
    const { tools } = await downstream.listTools();
    for (const change of pins.check(tools)) {
      log(`tool ${change.name} changed during the session (${change.was} → ${change.now}); blocked`);
      await options.client
        .report('mcp.tool_changed', `${options.name}/${change.name}`, {
          server: options.name,
          tool: change.name,
          was: change.was,
          now: change.now,
        })
        .catch((error: unknown) => log(`could not record the tool change: ${(error as Error).message}`));
    }
    return tools;
  };

  const server = new Server(
    { name: `arbiter-proxy/${options.name}`, version: packageVersion() },
    { capabilities: { tools: {} } },
  );

  server.setRequestHandler(ListToolsRequestSchema, async () => {
    const tools = (await currentTools()).filter((tool) => !pins.isBlocked(tool.name));
    const verdicts = await Promise.all(
      tools.map((tool) =>
        options.client
          .explain({
            action: actionOf(tool.name),
            resource: resourceOf(tool.name),
            rationale: 'listing tools',
            context: { server: options.name, tool: tool.name, arguments: {}, listing: true },
          })
          .then((verdict) => verdict.effect)
          // If Arbiter cannot be asked, show the tool: every call is still decided, and fails closed.
          .catch(() => 'unknown'),
      ),
    );
    return { tools: tools.filter((_, i) => verdicts[i] !== 'deny') };
  });

  /**
   * Waits for a pending decision until it is decided, the wait ends, or the caller goes away
   * (`signal`: the client cancelled the call or disconnected). A call given up on is withdrawn.
   */
  const awaitApproval = async (pending: Decision, name: string, signal: AbortSignal): Promise<Decision> => {
    log(`${name}: waiting up to ${Math.round(options.waitMs / 1000)} s for approval of ${pending.id}`);
    const waiting = options.client.waitForDecision(pending.id, { timeoutMs: options.waitMs });
    // A wait that outlives an abandoned call must not surface as an unhandled rejection.
    waiting.catch(() => {});
    const abandoned = new Promise<'abandoned'>((resolve) => {
      if (signal.aborted) resolve('abandoned');
      signal.addEventListener('abort', () => resolve('abandoned'), { once: true });
    });
    const decided = await Promise.race([waiting, abandoned]);
    if (decided !== 'abandoned' && decided.status !== 'pending') return decided;
    const why =
      decided === 'abandoned'
        ? 'the MCP client cancelled the call or went away while it waited for approval'
        : `no approval within ${Math.round(options.waitMs / 1000)} s; the call was not made`;
    return withdraw(decided === 'abandoned' ? pending : decided, why);
  };

  /** Withdraws a decision the proxy will not act on; answers its state as the server has it. */
  const withdraw = async (decision: Decision, why: string): Promise<Decision> => {
    try {
      const withdrawn = await options.client.withdraw(decision.id, why);
      log(`${decision.id} withdrawn: ${why}`);
      return withdrawn;
    } catch (error) {
      log(`could not withdraw ${decision.id}: ${(error as Error).message}`);
      return options.client.getDecision(decision.id).catch(() => decision);
    }
  };

  server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
    const name = request.params.name;
    const args = (request.params.arguments ?? {}) as Record<string, unknown>;
    const tools = await currentTools();
    if (pins.isBlocked(name))
      return toolError(
        `tool ${name} changed during this session and is blocked; restart the session to use its new definition`,
      );
    if (!tools.some((tool) => tool.name === name)) return toolError(`no tool ${name} on ${options.name}`);

    let decision: Decision;
    try {
      decision = await options.client.requestAction({
        action: actionOf(name),
        resource: resourceOf(name),
        rationale: options.rationale,
        context: {
          server: options.name,
          tool: name,
          arguments: args,
          argumentsDigest: argumentsDigest(args),
          fingerprint: pins.pinned(name),
        },
      });
      if (decision.status === 'pending') decision = await awaitApproval(decision, name, extra.signal);
      // Approved just as the caller went away: nobody will see the result, so it is not run.
      if (decision.status === 'allowed' && extra.signal.aborted)
        decision = await withdraw(decision, 'the MCP client went away before the call was made');
    } catch (error) {
      const message =
        error instanceof ArbiterApiError ? `${error.code}: ${error.message}` : (error as Error).message;
      return toolError(`Arbiter could not decide on ${name}, so it was not called (${message})`);
    }
    const reasons = decision.reasons.map((reason) => `${reason.policy}/${reason.rule}: ${reason.message}`);
    if (decision.status === 'denied')
      return toolError(`${name} was denied by Arbiter (decision ${decision.id})`, {
        reasons,
        statusReason: decision.statusReason,
      });
    if (decision.status === 'pending') {
      // Not withdrawn (Arbiter could not be reached to withdraw it): say where it waits.
      return toolError(`${name} is waiting for approval; it was not called (decision ${decision.id})`, {
        approvalUrl: dashboardLink(options.dashboardUrl, { kind: 'decision', id: decision.id }),
        reasons,
      });
    }
    if (decision.status !== 'allowed')
      return toolError(`${name} was not called: decision ${decision.id} is ${decision.status}`, {
        statusReason: decision.statusReason,
      });
    // Claimed before it runs: an allowed decision runs once, and not after a freeze revoked it.
    try {
      decision = await options.client.start(decision.id);
    } catch (error) {
      const message =
        error instanceof ArbiterApiError ? `${error.code}: ${error.message}` : (error as Error).message;
      return toolError(
        `${name} was not called: Arbiter refused to start decision ${decision.id} (${message})`,
      );
    }

    // Only what was decided on runs: the arguments recorded with the decision, not the caller's copy.
    const approved =
      (decision.request.context as { arguments?: Record<string, unknown> } | undefined)?.arguments ?? {};
    let result: CallToolResult;
    try {
      result = (await downstream.callTool({ name, arguments: approved })) as CallToolResult;
    } catch (error) {
      result = toolError(`${name} failed on ${options.name}: ${(error as Error).message}`);
    }
    await options.client
      .reportOutcome(decision.id, result.isError ? 'failed' : 'succeeded', resultSummary(result))
      .catch((error: unknown) =>
        log(`could not report the outcome of ${decision.id}: ${(error as Error).message}`),
      );
    return result;
  });

  // Arguments too deep to hash, or with reserved keys, are refused before any decision is asked for.
  await server.connect(
    screenToolCalls(upstream, (tool, error) =>
      toolError(
        `Arbiter refused the arguments of ${tool}, so it was not called (${error.code}: ${error.message})`,
        error.details,
      ),
    ),
  );
  return {
    async close() {
      await server.close();
      await downstream.close();
    },
  };
}
