import swagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Arbiter } from '../app/arbiter.js';
import type { HookOptions } from '../app/hooks/hooks.js';
import { ArbiterError } from '../core/errors.js';
import { installAuth } from './auth.js';
import { FailedAuthentications } from './auth-failures.js';
import { installByteBudget } from './byte-budget.js';
import {
  ConnectionBudget,
  type ConnectionRefusalReason,
  installConnectionBudget,
} from './connection-budget.js';
import { installErrorHandling } from './errors.js';
import { fastifyLimitOptions, installLimits, resolveLimits, type ServerLimits } from './limits.js';
import { reportResponseDrift } from './response-check.js';
import { requireResponseSchemas } from './response-schemas.js';
import { authRoutes } from './routes/auth.js';
import { decisionRoutes } from './routes/decisions.js';
import { gateRunRoutes } from './routes/gate-runs.js';
import { hookOptionsFromEnvironment, hookRoutes } from './routes/hooks.js';
import { identityRoutes } from './routes/identity.js';
import { incidentRoutes } from './routes/incidents.js';
import { integrationRoutes } from './routes/integrations.js';
import { ledgerRoutes } from './routes/ledger.js';
import { monitorRoutes } from './routes/monitor.js';
import { operationRoutes } from './routes/operations.js';
import { reportRoutes } from './routes/reports.js';
import { systemRoutes } from './routes/systems.js';
import { defaultWebRoot, webRoutes } from './static.js';

export interface ServerOptions {
  /** pino logger options, or false for none (tests). */
  logger?: boolean | object;
  /** A logger made with `serverLogger` and shared with the background loops (wins over `logger`). */
  loggerInstance?: FastifyBaseLogger;
  /** Sizes, timeouts and the rate limit; anything not given keeps its default (see limits.ts). */
  limits?: Partial<ServerLimits>;
  /** The same as `limits.bodyLimit`. */
  bodyLimit?: number;
  /** Directory of the built dashboard (default dist/web of this package); false serves none. */
  webRoot?: string | false;
  /**
   * Tests: told of every JSON answer whose response schema dropped or changed part of what the
   * handler returned (see response-check.ts). Costs a second serialisation per answer.
   */
  onResponseDrift?: (problem: string) => void;
  /** False (`--human-tokens off`): people sign in with the identity provider; their bearer tokens are refused. */
  humanTokens?: boolean;
  /**
   * Coding-agent hooks: resource environment, allow answered as no opinion, longest wait
   * (default: `$ARBITER_HOOKS_ENVIRONMENT` or development, `$ARBITER_HOOKS_ALLOW` or allow, 300 s).
   */
  hooks?: Partial<HookOptions>;
}

// Credentials never reach the log.
const loggedSafely = { redact: ['req.headers.authorization', 'req.headers.cookie'] };

/** The server's pino logger at `level`, for Fastify and the background loops alike. */
export function serverLogger(level: string): FastifyBaseLogger {
  return pino({ ...loggedSafely, level });
}

/** The Fastify application over a running Arbiter. Listening is the caller's business. */
export async function buildServer(
  arbiter: Arbiter,
  options: ServerOptions = {},
): Promise<{ app: FastifyInstance; state: { shuttingDown: boolean } }> {
  const state = { shuttingDown: false };
  const limits = resolveLimits({ bodyLimit: options.bodyLimit, ...options.limits });
  const app = Fastify({
    ...(options.loggerInstance
      ? { loggerInstance: options.loggerInstance }
      : {
          logger:
            options.logger === false || options.logger === undefined
              ? false
              : { ...loggedSafely, ...(typeof options.logger === 'object' ? options.logger : {}) },
        }),
    ...fastifyLimitOptions(limits),
    // Strict validation: no coercion of body types, no silently dropped fields.
    ajv: {
      customOptions: { removeAdditional: false, coerceTypes: false, allErrors: true, useDefaults: false },
    },
    return503OnClosing: true,
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Arbiter API',
        description:
          'The accountability layer for AI in software delivery: decisions, approvals, ownership and the ledger.',
        version: '1',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'arb_…' } } },
    },
  });

  requireResponseSchemas(app);
  if (options.onResponseDrift) reportResponseDrift(app, options.onResponseDrift);
  installErrorHandling(app);
  const connections = new ConnectionBudget(limits);
  installConnectionBudget(
    app.server,
    connections,
    limits,
    connectionMetrics(arbiter.metrics.registry, connections),
  );
  // Before authentication: floods and oversized requests are refused before they cost a lookup.
  await installLimits(app, limits);
  app.addHook('onRequest', async () => {
    if (state.shuttingDown) throw new ArbiterError('ARB_ERR_UNAVAILABLE', 'the server is shutting down');
  });
  installAuth(
    app,
    {
      tokens: arbiter.tokens,
      sessions: arbiter.sessions,
      humanTokens: options.humanTokens ?? true,
      publicOrigins: () => arbiter.signIn.publicOrigins(),
    },
    limits.rateLimit > 0 ? new FailedAuthentications(limits.rateLimit, limits.rateLimitWindowMs) : undefined,
  );
  // After authentication and each route's own checks (onRequest), before any body is read.
  installByteBudget(app, limits);
  // Every answer, errors and 404s included: browsers must never sniff a JSON body into HTML.
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-content-type-options', 'nosniff');
    // A request answered before its body arrived (refused early): closing the connection is
    // cheaper than reading a body nobody will use, which Node would otherwise do to reuse it.
    if (!request.raw.complete) reply.header('connection', 'close');
  });
  app.addHook('onResponse', async (request, reply) => {
    arbiter.metrics.httpSeconds.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unknown',
        status: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
  });

  reportRoutes(app, arbiter);
  decisionRoutes(app, arbiter);
  hookRoutes(app, arbiter, {
    ...hookOptionsFromEnvironment(process.env, arbiter.notifications.dashboardUrl),
    ...options.hooks,
  });
  systemRoutes(app, arbiter);
  gateRunRoutes(app, arbiter);
  ledgerRoutes(app, arbiter);
  monitorRoutes(app, arbiter);
  incidentRoutes(app, arbiter);
  operationRoutes(app, arbiter, state);
  identityRoutes(app);
  authRoutes(app, {
    signIn: arbiter.signIn,
    sessions: arbiter.sessions,
    humanTokens: options.humanTokens ?? true,
  });
  integrationRoutes(app, arbiter, limits);
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  if (options.webRoot !== false) webRoutes(app, options.webRoot ?? defaultWebRoot);

  await app.ready();
  return { app, state };
}

/**
 * Open connections (a gauge) and refused ones by reason (a counter) in the Arbiter's registry;
 * returns what the connection budget calls on each refusal. A second server over the same
 * Arbiter takes the metrics over.
 */
function connectionMetrics(
  registry: Registry,
  budget: ConnectionBudget,
): (reason: ConnectionRefusalReason) => void {
  for (const name of ['arbiter_connections_open', 'arbiter_connections_refused_total'])
    registry.removeSingleMetric(name);
  new Gauge({
    name: 'arbiter_connections_open',
    help: 'Open HTTP connections',
    registers: [registry],
    collect() {
      this.set(budget.open);
    },
  });
  const refused = new Counter({
    name: 'arbiter_connections_refused_total',
    help: 'Connections refused at a limit, by reason (connections-per-address, connections)',
    labelNames: ['reason'],
    registers: [registry],
  });
  return (reason) => refused.inc({ reason });
}
