import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Command } from 'commander';
import { ArbiterClient } from '../client/index.js';
import { parseDuration } from '../core/duration.js';
import { ArbiterError } from '../core/errors.js';
import { serveMcpOverHttp } from '../mcp/http.js';
import { startProxy } from '../mcp/proxy.js';
import { createArbiterMcpServer } from '../mcp/tools.js';
import { type ExitCode, exitCodes } from './exit-codes.js';
import type { Output } from './io.js';

type Run = (action: () => Promise<ExitCode> | ExitCode) => Promise<void>;

const arbiterUrl = (url?: string) => url ?? process.env.ARBITER_URL ?? 'http://127.0.0.1:8080';
const dashboard = (url?: string) => url ?? process.env.ARBITER_DASHBOARD_URL ?? arbiterUrl();

function agentClient(options: { url?: string; token?: string }): ArbiterClient {
  const token = options.token ?? process.env.ARBITER_TOKEN;
  if (!token) throw new ArbiterError('ARB_ERR_USAGE', 'no agent token: set ARBITER_TOKEN or pass --token');
  return new ArbiterClient({ url: arbiterUrl(options.url), token });
}

/** Resolves when stdin closes or a stop signal arrives. */
function untilStopped(): Promise<void> {
  return new Promise((resolve) => {
    process.stdin.once('end', resolve);
    process.stdin.once('close', resolve);
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
}

/** `arbiter mcp serve|proxy`. Over stdio, stdout carries the protocol: messages go to stderr. */
export function registerMcpCommands(program: Command, output: Output, run: Run): void {
  const mcp = program
    .command('mcp')
    .description("Arbiter's MCP server, and a proxy that governs any MCP server's tools");

  mcp
    .command('serve')
    .description(
      'serve request_action, wait_for_decision, report_outcome and explain_policy to an MCP client (stdio, or Streamable HTTP with --http)',
    )
    .option('--url <url>', 'Arbiter URL (default $ARBITER_URL or http://127.0.0.1:8080)')
    .option(
      '--token <token>',
      'agent token for stdio (default $ARBITER_TOKEN); over HTTP each client sends its own',
    )
    .option(
      '--dashboard-url <url>',
      'where humans approve (default $ARBITER_DASHBOARD_URL or the Arbiter URL)',
    )
    .option('--http', 'serve Streamable HTTP at /mcp instead of stdio')
    .option('--host <host>', 'HTTP address', '127.0.0.1')
    .option('--port <port>', 'HTTP port', '8765')
    .action(
      (options: {
        url?: string;
        token?: string;
        dashboardUrl?: string;
        http?: boolean;
        host: string;
        port: string;
      }) =>
        run(async () => {
          if (options.http) {
            const { url, server } = await serveMcpOverHttp({
              host: options.host,
              port: Number(options.port),
              arbiterUrl: arbiterUrl(options.url),
              dashboardUrl: dashboard(options.dashboardUrl ?? options.url),
            });
            output.err(`Arbiter MCP server listening on ${url} (send Authorization: Bearer <agent token>)`);
            await new Promise<void>((resolve) => {
              process.once('SIGTERM', resolve);
              process.once('SIGINT', resolve);
            });
            await new Promise((resolve) => server.close(resolve));
            return exitCodes.ok;
          }
          const server = createArbiterMcpServer(agentClient(options), {
            dashboardUrl: dashboard(options.dashboardUrl ?? options.url),
          });
          await server.connect(new StdioServerTransport());
          await untilStopped();
          await server.close();
          return exitCodes.ok;
        }),
    );

  mcp
    .command('proxy')
    .description('put an MCP server (started over stdio) behind Arbiter: every tool call is a decision')
    .requiredOption('--name <name>', "the server's name in action names: mcp.tool.<name>.<tool>")
    .option('--env <environment>', 'environment the tools act in (for policies)')
    .option('--wait <duration>', 'how long a call waits for approval', '5m')
    .option(
      '--rationale <text>',
      'rationale recorded with each call',
      'tool call through the Arbiter MCP proxy',
    )
    .option('--url <url>', 'Arbiter URL (default $ARBITER_URL)')
    .option('--token <token>', 'agent token (default $ARBITER_TOKEN)')
    .option('--dashboard-url <url>', 'where humans approve (default the Arbiter URL)')
    .argument('<command...>', 'the MCP server to run, after --')
    .addHelpText(
      'after',
      '\nExample:\n  arbiter mcp proxy --name github --env prod -- npx -y @modelcontextprotocol/server-github',
    )
    .action(
      (
        command: string[],
        options: {
          name: string;
          env?: string;
          wait: string;
          rationale: string;
          url?: string;
          token?: string;
          dashboardUrl?: string;
        },
      ) =>
        run(async () => {
          const waitMs = parseDuration(options.wait);
          if (waitMs === undefined)
            throw new ArbiterError(
              'ARB_ERR_USAGE',
              `--wait ${options.wait} is not a duration such as 90s or 5m`,
            );
          if (!/^[A-Za-z0-9_-]+$/.test(options.name))
            throw new ArbiterError('ARB_ERR_USAGE', '--name may hold letters, digits, "_" and "-"');
          const [executable, ...args] = command;
          const proxy = await startProxy(
            {
              name: options.name,
              command: executable!,
              args,
              client: agentClient(options),
              ...(options.env ? { environment: options.env } : {}),
              waitMs,
              rationale: options.rationale,
              dashboardUrl: dashboard(options.dashboardUrl ?? options.url),
              log: (message) => output.err(`arbiter-proxy: ${message}`),
            },
            new StdioServerTransport(),
          );
          await untilStopped();
          await proxy.close();
          return exitCodes.ok;
        }),
    );
}
